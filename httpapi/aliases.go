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

// meta is the store's documents.
func (s *server) meta() *awsmeta.Meta { return awsmeta.New(s.engine.Store()) }

// errUnchanged ends a document update that has nothing to write.
var errUnchanged = errors.New("unchanged")

// existingMachine checks that a state machine exists (404 otherwise).
func (s *server) existingMachine(ctx context.Context, name string) (store.StateMachine, error) {
	return s.engine.Store().GetStateMachine(ctx, name, 0)
}

// publishingError words the refusals of awsmeta's rules of published
// versions and aliases (shared with the AWS API) in this API's terms.
func publishingError(name string, err error) error {
	var re *awsmeta.RoutingError
	switch {
	case errors.Is(err, awsmeta.ErrDescriptionTooLong):
		return errf(codeInvalidInput, fmt.Sprintf("description is too long: %v", err))
	case errors.Is(err, awsmeta.ErrVersionQuota):
		return errf(codeConflict, fmt.Sprintf("state machine %s has %d published versions, the most it can have", name, awsmeta.MaxPublished))
	case errors.Is(err, awsmeta.ErrAliasQuota):
		return errf(codeConflict, fmt.Sprintf("state machine %s has %d aliases, the most it can have", name, awsmeta.MaxAliases))
	case errors.As(err, &re):
		switch re.Rule {
		case awsmeta.RoutingCount:
			return errf(codeInvalidInput, fmt.Sprintf("routing has %d entries: an alias routes to one or two published versions", re.Count))
		case awsmeta.RoutingWeight:
			return errf(codeInvalidInput, fmt.Sprintf("routing[%d].weight must be an integer from %d to %d", re.Index, awsmeta.MinWeight, awsmeta.MaxWeight))
		case awsmeta.RoutingDuplicate:
			return errf(codeInvalidInput, fmt.Sprintf("routing names published version %d twice", re.Version))
		case awsmeta.RoutingSum:
			return errf(codeInvalidInput, fmt.Sprintf("routing weights sum to %d: they must sum to 100", re.Sum))
		case awsmeta.RoutingUnpublished:
			return errf(codeInvalidInput, fmt.Sprintf("state machine %s has no published version %d (publish one with POST /v1/state-machines/%s/publish)", name, re.Version, name))
		}
		return errf(codeInvalidInput, re.Error())
	}
	return err
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
	if err := awsmeta.CheckDescription(body.Description); err != nil {
		s.writeError(w, r, publishingError(name, err))
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
		// A version any published version names already gives that one
		// back (awsmeta's rule, the AWS API's too).
		p, created, err := mc.Publish(sm.Version, body.Description, now)
		out = p
		if err == nil && !created {
			return errUnchanged
		}
		return err
	})
	status := http.StatusCreated
	if errors.Is(err, errUnchanged) {
		status, err = http.StatusOK, nil
	}
	if err != nil {
		s.writeError(w, r, publishingError(name, err))
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

// aliasParam reads the {alias} path parameter.
func aliasParam(r *http.Request) (string, error) {
	raw := chi.URLParam(r, "alias")
	v, err := url.PathUnescape(raw)
	if err != nil || !awsmeta.ValidAliasName(v) {
		return "", errf(codeInvalidInput, fmt.Sprintf("alias name %q is invalid: names are 1-80 characters of [A-Za-z0-9_.-], not only digits", raw))
	}
	return v, nil
}

// routeBody is one route of an alias as a PUT gives it.
type routeBody struct {
	Version *int `json:"version"` // published version number
	Weight  *int `json:"weight"`
}

// routes reads an alias's routing and checks awsmeta's rules that need no
// document (awsmeta.CheckRouting: one or two distinct versions, weights
// from 0 to 100 summing to 100); that the versions are published is
// checked against the document.
func routes(name string, in []routeBody) ([]awsmeta.Route, error) {
	out := make([]awsmeta.Route, len(in))
	for i, rt := range in {
		switch {
		case rt.Version == nil || *rt.Version < 1:
			return nil, errf(codeInvalidInput, fmt.Sprintf("routing[%d].version must be a published version number (from 1)", i))
		case rt.Weight == nil:
			return nil, errf(codeInvalidInput, fmt.Sprintf("routing[%d].weight must be an integer from %d to %d", i, awsmeta.MinWeight, awsmeta.MaxWeight))
		}
		out[i] = awsmeta.Route{Version: *rt.Version, Weight: *rt.Weight}
	}
	if err := awsmeta.CheckRouting(out); err != nil {
		return nil, publishingError(name, err)
	}
	return out, nil
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
	if err := awsmeta.CheckDescription(body.Description); err != nil {
		s.writeError(w, r, publishingError(name, err))
		return
	}
	rs, err := routes(name, body.Routing)
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
		i := slices.IndexFunc(mc.Aliases, func(a awsmeta.Alias) bool { return a.Name == alias })
		if i < 0 {
			out = awsmeta.Alias{Name: alias, Description: body.Description, Routing: rs, CreatedAt: now, UpdatedAt: now}
			created = true
			return mc.AddAlias(out)
		}
		if err := mc.CheckRouting(rs); err != nil {
			return err
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
		s.writeError(w, r, publishingError(name, err))
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
// version or an alias); the body may name one instead, or a version. mc is
// the state machine's document, which the start has read. An alias picks
// by a draw derived from the execution's name when it has one
// (awsmeta.StartDraw), so that a retried start runs the version the first
// try picked and is answered as a repetition, not a conflict.
func startTarget(ref machineRef, body startBody, mc awsmeta.Machine) (int, awsmeta.ExecutionNote, error) {
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
		if alias = *body.Alias; !awsmeta.ValidAliasName(alias) {
			return 0, none, errf(codeInvalidInput, fmt.Sprintf("alias name %q is invalid: names are 1-80 characters of [A-Za-z0-9_.-], not only digits", alias))
		}
	}
	if published == 0 && alias == "" {
		return 0, none, nil // the latest version
	}
	if alias != "" {
		name := ""
		if body.Name != nil {
			name = *body.Name
		}
		p, err := mc.Pick(alias, awsmeta.StartDraw(ref.Name, name))
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
