package httpapi

// Published versions and aliases. sfn makes a version of a state machine
// (a revision, in the AWS API's words) on every changed PUT; publishing
// gives one of them a published version number, AWS's version, numbered
// separately and never reused. An alias routes starts to one or two
// published versions by weight. Both live in the state machine's document
// (awsmeta), which the AWS API reads and writes too.

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// AWS's quotas, which the AWS API applies too.
const (
	maxPublished   = 1000 // published versions per state machine
	maxAliases     = 100  // aliases per state machine
	maxDescription = 256  // characters of a version's or alias's description
)

// meta is the store's documents.
func (s *server) meta() *awsmeta.Meta { return awsmeta.New(s.engine.Store()) }

// errUnchanged ends a document update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// existingMachine checks that a state machine exists (404 otherwise).
func (s *server) existingMachine(ctx context.Context, name string) (store.StateMachine, error) {
	return s.engine.Store().GetStateMachine(ctx, name, 0)
}

func checkDescription(d string) error {
	if n := len([]rune(d)); n > maxDescription {
		return errf(codeInvalidInput, fmt.Sprintf("description is %d characters long: at most %d are allowed", n, maxDescription))
	}
	return nil
}

// publishedView is a published version.
type publishedView struct {
	Name             string `json:"name"`
	PublishedVersion int    `json:"publishedVersion"`
	Version          int    `json:"version"`
	Description      string `json:"description,omitempty"`
	CreatedAt        string `json:"createdAt"`
}

func (s *server) publishStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Description string `json:"description"`
		Version     *int   `json:"version"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkDescription(body.Description); err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	sm, err := s.existingMachine(ctx, name)
	if err == nil && body.Version != nil {
		if *body.Version < 1 {
			s.writeError(w, r, errf(codeInvalidInput, "version must be an integer from 1"))
			return
		}
		sm, err = s.engine.Store().GetStateMachine(ctx, name, *body.Version)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	var out awsmeta.Published
	_, err = s.meta().UpdateMachine(ctx, name, func(mc *awsmeta.Machine) error {
		// Publishing what the latest published version already is gives
		// that one back, as AWS does for an unchanged definition.
		if n := len(mc.Published); n > 0 && mc.Published[n-1].Revision == sm.Version {
			out = mc.Published[n-1]
			return errUnchanged
		}
		if len(mc.Published) >= maxPublished {
			return errf(codeConflict, fmt.Sprintf("state machine %s has %d published versions, the most it can have", name, maxPublished))
		}
		out = awsmeta.Published{Number: mc.NextNumber, Revision: sm.Version, Description: body.Description, CreatedAt: now}
		mc.Published = append(mc.Published, out)
		mc.NextNumber++
		return nil
	})
	status := http.StatusCreated
	if errors.Is(err, errUnchanged) {
		status, err = http.StatusOK, nil
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.Header().Set("Location", "/v1/state-machines/"+name+"/versions/"+strconv.Itoa(out.Revision))
	writeJSON(w, status, publishedView{Name: name, PublishedVersion: out.Number, Version: out.Revision,
		Description: out.Description, CreatedAt: interpreter.FormatTime(out.CreatedAt)})
}

// aliasView is an alias.
type aliasView struct {
	Name         string      `json:"name"`
	StateMachine string      `json:"stateMachine"`
	Description  string      `json:"description,omitempty"`
	Routing      []routeView `json:"routing"`
	CreatedAt    string      `json:"createdAt"`
	UpdatedAt    string      `json:"updatedAt"`
}

// routeView is one route of an alias: a published version, the version
// (revision) it names, and its weight.
type routeView struct {
	Version  int `json:"version"` // published version number
	Revision int `json:"revision"`
	Weight   int `json:"weight"`
}

func viewAlias(sm string, mc awsmeta.Machine, a awsmeta.Alias) aliasView {
	v := aliasView{Name: a.Name, StateMachine: sm, Description: a.Description, Routing: make([]routeView, len(a.Routing)),
		CreatedAt: interpreter.FormatTime(a.CreatedAt), UpdatedAt: interpreter.FormatTime(a.UpdatedAt)}
	for i, rt := range a.Routing {
		p, _ := mc.Version(rt.Version)
		v.Routing[i] = routeView{Version: rt.Version, Revision: p.Revision, Weight: rt.Weight}
	}
	return v
}

// validAliasName reports whether name is an alias name AWS accepts: 1-80
// letters, digits, '_', '-' and '.', not only digits (an all-digit name
// would read as a version number in an ARN).
func validAliasName(name string) bool {
	if name == "" || len(name) > 80 {
		return false
	}
	other := false
	for _, c := range name {
		switch {
		case c >= '0' && c <= '9':
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == '-', c == '.':
			other = true
		default:
			return false
		}
	}
	return other
}

// aliasParam reads the {alias} path parameter.
func aliasParam(r *http.Request) (string, error) {
	raw := chi.URLParam(r, "alias")
	v, err := url.PathUnescape(raw)
	if err != nil || !validAliasName(v) {
		return "", errf(codeInvalidInput, fmt.Sprintf("alias name %q is invalid: names are 1-80 characters of [A-Za-z0-9_.-], not only digits", raw))
	}
	return v, nil
}

// routeBody is one route of an alias as a PUT gives it.
type routeBody struct {
	Version *int `json:"version"` // published version number
	Weight  *int `json:"weight"`
}

// routes checks an alias's routing: one or two distinct published
// versions with weights from 0 to 100 that sum to 100. That the versions
// exist is checked against the document (checkPublished).
func routes(in []routeBody) ([]awsmeta.Route, error) {
	if len(in) < 1 || len(in) > 2 {
		return nil, errf(codeInvalidInput, fmt.Sprintf("routing has %d entries: an alias routes to one or two published versions", len(in)))
	}
	out := make([]awsmeta.Route, len(in))
	sum := 0
	for i, rt := range in {
		switch {
		case rt.Version == nil || *rt.Version < 1:
			return nil, errf(codeInvalidInput, fmt.Sprintf("routing[%d].version must be a published version number (from 1)", i))
		case rt.Weight == nil || *rt.Weight < 0 || *rt.Weight > 100:
			return nil, errf(codeInvalidInput, fmt.Sprintf("routing[%d].weight must be an integer from 0 to 100", i))
		}
		out[i] = awsmeta.Route{Version: *rt.Version, Weight: *rt.Weight}
		sum += *rt.Weight
	}
	if len(out) == 2 && out[0].Version == out[1].Version {
		return nil, errf(codeInvalidInput, fmt.Sprintf("routing names published version %d twice", out[0].Version))
	}
	if sum != 100 {
		return nil, errf(codeInvalidInput, fmt.Sprintf("routing weights sum to %d: they must sum to 100", sum))
	}
	return out, nil
}

func checkPublished(name string, mc *awsmeta.Machine, rs []awsmeta.Route) error {
	for _, rt := range rs {
		if _, ok := mc.Version(rt.Version); !ok {
			return errf(codeInvalidInput, fmt.Sprintf("state machine %s has no published version %d (publish one with POST /v1/state-machines/%s/publish)", name, rt.Version, name))
		}
	}
	return nil
}

func (s *server) putAlias(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	alias, err := aliasParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	var body struct {
		Description string      `json:"description"`
		Routing     []routeBody `json:"routing"`
	}
	if err := decodeEnvelope(w, r, envelopeAllowance, &body); err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := checkDescription(body.Description); err != nil {
		s.writeError(w, r, err)
		return
	}
	rs, err := routes(body.Routing)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	if _, err := s.existingMachine(ctx, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	now := time.Now().UTC()
	created := false
	var out awsmeta.Alias
	mc, err := s.meta().UpdateMachine(ctx, name, func(mc *awsmeta.Machine) error {
		created = false
		if err := checkPublished(name, mc, rs); err != nil {
			return err
		}
		i := slices.IndexFunc(mc.Aliases, func(a awsmeta.Alias) bool { return a.Name == alias })
		if i < 0 {
			if len(mc.Aliases) >= maxAliases {
				return errf(codeConflict, fmt.Sprintf("state machine %s has %d aliases, the most it can have", name, maxAliases))
			}
			out = awsmeta.Alias{Name: alias, Description: body.Description, Routing: rs, CreatedAt: now, UpdatedAt: now}
			mc.Aliases = append(mc.Aliases, out)
			created = true
			return nil
		}
		a := &mc.Aliases[i]
		if a.Description == body.Description && slices.Equal(a.Routing, rs) {
			out = *a
			return errUnchanged
		}
		a.Description, a.Routing, a.UpdatedAt = body.Description, rs, now
		out = *a
		return nil
	})
	if errors.Is(err, errUnchanged) {
		mc, err = s.meta().Machine(ctx, name)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/state-machines/"+name+"/aliases/"+alias)
	writeJSON(w, status, viewAlias(name, mc, out))
}

func (s *server) getAlias(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	alias, err := aliasParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mc, err := s.meta().Machine(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a, ok := mc.Alias(alias)
	if !ok {
		s.writeError(w, r, errf(codeNotFound, fmt.Sprintf("state machine %s has no alias %s", name, alias)))
		return
	}
	writeJSON(w, http.StatusOK, viewAlias(name, mc, a))
}

func (s *server) listAliases(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ctx := r.Context()
	if _, err := s.existingMachine(ctx, name); err != nil {
		s.writeError(w, r, err)
		return
	}
	mc, err := s.meta().Machine(ctx, name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		Aliases []aliasView `json:"aliases"`
	}
	a := answer{Aliases: make([]aliasView, 0, len(mc.Aliases))}
	for _, al := range mc.Aliases {
		a.Aliases = append(a.Aliases, viewAlias(name, mc, al))
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) deleteAlias(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	alias, err := aliasParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, err = s.meta().UpdateMachine(r.Context(), name, func(mc *awsmeta.Machine) error {
		i := slices.IndexFunc(mc.Aliases, func(a awsmeta.Alias) bool { return a.Name == alias })
		if i < 0 {
			return errf(codeNotFound, fmt.Sprintf("state machine %s has no alias %s", name, alias))
		}
		mc.Aliases = slices.Delete(mc.Aliases, i, i+1)
		return nil
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// startTarget resolves what a start runs: the version (revision) and, for
// a start through a published version or an alias, the note that records
// it. ref is the state machine of the path (an ARN may name a published
// version or an alias); the body may name one instead, or a version.
func (s *server) startTarget(ctx context.Context, ref machineRef, body startBody) (int, awsmeta.ExecutionNote, error) {
	var none awsmeta.ExecutionNote
	given := 0
	for _, set := range []bool{ref.qualified(), body.Version != nil, body.PublishedVersion != nil, body.Alias != nil} {
		if set {
			given++
		}
	}
	if given > 1 {
		return 0, none, errf(codeInvalidInput, "name at most one of version, publishedVersion and alias (a version or alias ARN in the path counts as one)")
	}
	if body.Version != nil {
		if *body.Version < 1 {
			return 0, none, errf(codeInvalidInput, "version must be an integer from 1")
		}
		return *body.Version, none, nil
	}
	published, alias := ref.Published, ref.Alias
	if body.PublishedVersion != nil {
		if published = *body.PublishedVersion; published < 1 {
			return 0, none, errf(codeInvalidInput, "publishedVersion must be an integer from 1")
		}
	}
	if body.Alias != nil {
		if alias = *body.Alias; !validAliasName(alias) {
			return 0, none, errf(codeInvalidInput, fmt.Sprintf("alias name %q is invalid: names are 1-80 characters of [A-Za-z0-9_.-], not only digits", alias))
		}
	}
	if published == 0 && alias == "" {
		return 0, none, nil // the latest version
	}
	mc, err := s.meta().Machine(ctx, ref.Name)
	if err != nil {
		return 0, none, err
	}
	if alias != "" {
		p, err := mc.Pick(alias, rand.Float64())
		if errors.Is(err, awsmeta.ErrNoAlias) || errors.Is(err, awsmeta.ErrNoVersion) {
			return 0, none, errf(codeNotFound, fmt.Sprintf("state machine %s: %v", ref.Name, err))
		}
		if err != nil {
			return 0, none, err
		}
		return p.Revision, awsmeta.ExecutionNote{Version: p.Number, Alias: alias}, nil
	}
	p, ok := mc.Version(published)
	if !ok {
		return 0, none, errf(codeNotFound, fmt.Sprintf("state machine %s has no published version %d", ref.Name, published))
	}
	return p.Revision, awsmeta.ExecutionNote{Version: p.Number}, nil
}
