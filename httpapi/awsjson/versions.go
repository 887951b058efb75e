package awsjson

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store"
)

// AWS's versions are sfn's published versions. sfn makes a revision on every
// changed definition (the store's "versions"); publishing gives the latest
// revision the next AWS version number of its state machine, kept in the
// state machine's document (awsmeta.Machine.Published). Numbers are never
// reused, and deleting a version leaves its revision in the store: running
// executions are pinned to it.

func init() {
	register(map[string]op{
		"PublishStateMachineVersion": {role: RoleAdmin, fn: (*Server).publishStateMachineVersion},
		"ListStateMachineVersions":   {role: RoleReader, fn: (*Server).listStateMachineVersions},
		"DeleteStateMachineVersion":  {role: RoleAdmin, fn: (*Server).deleteStateMachineVersion},
	})
}

// excServiceQuota is AWS's answer to a 1001st version or a 101st alias.
const excServiceQuota = "ServiceQuotaExceededException"

// initialRevision is what PublishStateMachineVersion's revisionId takes for a
// state machine that was never updated (AWS).
const initialRevision = "INITIAL"

// errNoChange ends an awsmeta.UpdateMachine change that finds nothing to
// write; the caller then answers from what it found.
var errNoChange = errors.New("nothing to change")

// revisionID is the revisionId AWS shows for a revision: shaped as a UUID,
// and the same for as long as the revision exists (derived from the name,
// the revision number, which the store never reuses, and the definition's
// digest), so an update that changes nothing keeps it.
func revisionID(sm store.StateMachine) string {
	sum := sha256.Sum256([]byte(sm.Name + "\x00" + strconv.Itoa(sm.Version) + "\x00" + sm.DefinitionSHA256))
	sum[6] = sum[6]&0x0f | 0x80 // UUID version 8: made by its own rules
	sum[8] = sum[8]&0x3f | 0x80 // RFC 9562 variant
	h := hex.EncodeToString(sum[:16])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// publish makes revision of a state machine a published version and returns
// it, by awsmeta's rules (Machine.Publish, which the REST API follows too):
// a revision that is already published returns its version, as publishing
// is idempotent (AWS's PublishStateMachineVersion, and Create/Update with
// publish=true on an unchanged definition).
func (s *Server) publish(ctx context.Context, name string, revision int, description string) (awsmeta.Published, error) {
	if err := awsmeta.CheckDescription(description); err != nil {
		return awsmeta.Published{}, s.publishingError(name, err)
	}
	now := s.cfg.Now().UTC()
	var out awsmeta.Published
	_, err := s.meta.UpdateMachine(ctx, name, func(mc *awsmeta.Machine) error {
		p, created, err := mc.Publish(revision, description, now)
		out = p
		if err == nil && !created {
			return errNoChange
		}
		return err
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return awsmeta.Published{}, s.publishingError(name, err)
	}
	return out, nil
}

// publishingError words the refusals of awsmeta's rules of versions and
// aliases (shared with the REST API) as AWS does; name is the state
// machine's.
func (s *Server) publishingError(name string, err error) error {
	var re *awsmeta.RoutingError
	switch {
	case errors.Is(err, awsmeta.ErrDescriptionTooLong):
		return errorf(excValidation, "1 validation error detected: Value at 'description' failed to satisfy constraint: Member must have length less than or equal to %d", awsmeta.MaxDescription)
	case errors.Is(err, awsmeta.ErrVersionQuota):
		return errorf(excServiceQuota, "State machine %s has %d versions, the most it can have: delete unused versions with DeleteStateMachineVersion", s.space.StateMachine(name), awsmeta.MaxPublished)
	case errors.Is(err, awsmeta.ErrAliasQuota):
		return errorf(excServiceQuota, "State machine %s has %d aliases, the most it can have: delete unused aliases with DeleteStateMachineAlias", s.space.StateMachine(name), awsmeta.MaxAliases)
	case errors.As(err, &re) && re.Rule == awsmeta.RoutingUnpublished:
		return noResource()
	case errors.As(err, &re):
		return &Error{Type: excValidation, Reason: reasonRouting, Message: re.Error()}
	}
	return err
}

// latestRevision returns the latest revision of the state machine an
// unqualified ARN names, or StateMachineDoesNotExist.
func (s *Server) latestRevision(ctx context.Context, member, arnStr string) (store.StateMachine, error) {
	a, found, err := s.stateMachineARN(member, arnStr, false)
	if err != nil {
		return store.StateMachine{}, err
	}
	if !found {
		return store.StateMachine{}, noStateMachine(arnStr)
	}
	sm, err := s.eng.Store().GetStateMachine(ctx, a.Name, 0)
	if errors.Is(err, store.ErrNotFound) {
		return store.StateMachine{}, noStateMachine(arnStr)
	}
	return sm, err
}

type publishIn struct {
	StateMachineArn string  `json:"stateMachineArn"`
	RevisionID      *string `json:"revisionId"`
	Description     string  `json:"description"`
}

type versionItem struct {
	StateMachineVersionArn string `json:"stateMachineVersionArn"`
	CreationDate           *Epoch `json:"creationDate"`
}

func (s *Server) publishStateMachineVersion(ctx context.Context, c *call) (any, error) {
	var in publishIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	latest, err := s.latestRevision(ctx, "stateMachineArn", in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	if in.RevisionID != nil && *in.RevisionID != "" {
		cur := revisionID(latest)
		ok := *in.RevisionID == cur
		if !ok && *in.RevisionID == initialRevision {
			// INITIAL is the revision the state machine was created with,
			// which is past 1 for a name deleted and made again (revisions
			// are never reused); a document from before it was recorded
			// says nothing, and 1 is the best guess.
			mc, err := s.meta.Machine(ctx, latest.Name)
			if err != nil {
				return nil, err
			}
			first := mc.FirstRevision
			if first == 0 {
				first = 1
			}
			ok = latest.Version == first
		}
		if !ok {
			return nil, errorf(excConflict, "Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", *in.RevisionID, cur)
		}
	}
	p, err := s.publish(ctx, latest.Name, latest.Version, in.Description)
	if err != nil {
		return nil, err
	}
	return versionItem{StateMachineVersionArn: s.space.Version(latest.Name, p.Number), CreationDate: epoch(p.CreatedAt)}, nil
}

type listVersionsIn struct {
	StateMachineArn string `json:"stateMachineArn"`
	MaxResults      int    `json:"maxResults"`
	NextToken       string `json:"nextToken"`
}

// listStateMachineVersions lists published versions newest first. Its page
// cursor is the number of the last version listed: the next page starts
// below it, whatever was published or deleted in between.
func (s *Server) listStateMachineVersions(ctx context.Context, c *call) (any, error) {
	var in listVersionsIn
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	if err := checkMax("maxResults", in.MaxResults); err != nil {
		return nil, err
	}
	latest, err := s.latestRevision(ctx, "stateMachineArn", in.StateMachineArn)
	if err != nil {
		return nil, err
	}
	tokenKind := "versions/" + latest.Name
	cursor, err := s.openToken(tokenKind, in.NextToken)
	if err != nil {
		return nil, err
	}
	below := 0 // 0: from the newest
	if cursor != "" {
		if below, err = strconv.Atoi(cursor); err != nil || below <= 0 {
			return nil, invalidToken(in.NextToken)
		}
	}
	mc, err := s.meta.Machine(ctx, latest.Name)
	if err != nil {
		return nil, err
	}
	limit := pageSize(in.MaxResults)
	items := make([]versionItem, 0, min(limit, len(mc.Published)))
	next, last := "", 0
	for i := len(mc.Published) - 1; i >= 0; i-- {
		p := mc.Published[i]
		if below != 0 && p.Number >= below {
			continue
		}
		if len(items) == limit {
			next = strconv.Itoa(last)
			break
		}
		items = append(items, versionItem{StateMachineVersionArn: s.space.Version(latest.Name, p.Number), CreationDate: epoch(p.CreatedAt)})
		last = p.Number
	}
	return struct {
		StateMachineVersions []versionItem `json:"stateMachineVersions"`
		NextToken            string        `json:"nextToken,omitempty"`
	}{items, s.sealToken(tokenKind, next)}, nil
}

func (s *Server) deleteStateMachineVersion(ctx context.Context, c *call) (any, error) {
	var in struct {
		StateMachineVersionArn string `json:"stateMachineVersionArn"`
	}
	if err := c.decode(&in); err != nil {
		return nil, err
	}
	a, found, err := s.parseARN("stateMachineVersionArn", in.StateMachineVersionArn, arn.Version)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, nil // AWS: deleting what does not exist succeeds
	}
	_, err = s.meta.UpdateMachine(ctx, a.Name, func(mc *awsmeta.Machine) error {
		at := -1
		for i, p := range mc.Published {
			if p.Number == a.Version {
				at = i
			}
		}
		if at < 0 {
			return errNoChange
		}
		var users []string
		for _, al := range mc.Aliases {
			for _, r := range al.Routing {
				if r.Version == a.Version {
					users = append(users, al.Name)
					break
				}
			}
		}
		if len(users) > 0 {
			return errorf(excConflict, "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [%s]", strings.Join(users, ", "))
		}
		mc.Published = append(mc.Published[:at:at], mc.Published[at+1:]...)
		return nil
	})
	if err != nil && !errors.Is(err, errNoChange) {
		return nil, err
	}
	return nil, nil
}
