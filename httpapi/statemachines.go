package httpapi

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"sync"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

type stateMachineView struct {
	Name             string `json:"name"`
	Version          int    `json:"version"`
	DefinitionSHA256 string `json:"definitionSha256"`
	CreatedAt        string `json:"createdAt"`
	UpdatedAt        string `json:"updatedAt"`
	// Type is STANDARD or EXPRESS; it never changes.
	Type string `json:"type"`
	// PublishedVersion is the published version (AWS's version number)
	// that names this version, when one does.
	PublishedVersion int             `json:"publishedVersion,omitempty"`
	Definition       json.RawMessage `json:"definition,omitempty"`
}

// smView shows sm; mc is its state machine's document, for the published
// version number.
func smView(sm store.StateMachine, mc awsmeta.Machine, withDefinition bool) stateMachineView {
	v := stateMachineView{Name: sm.Name, Version: sm.Version, DefinitionSHA256: sm.DefinitionSHA256,
		CreatedAt: interpreter.FormatTime(sm.CreatedAt), UpdatedAt: interpreter.FormatTime(sm.UpdatedAt),
		Type: machineType(mc), PublishedVersion: mc.PublishedNumber(sm.Version)}
	if withDefinition {
		v.Definition = interpreter.DefinitionJSON(sm) // as uploaded: key order and numbers kept
	}
	return v
}

type stateMachineItem struct {
	Name             string `json:"name"`
	Version          int    `json:"version"`
	UpdatedAt        string `json:"updatedAt"`
	Type             string `json:"type"`
	PublishedVersion int    `json:"publishedVersion,omitempty"`
}

// definitionFormat picks the parser from the content type; anything else is sniffed.
func definitionFormat(r *http.Request) dsl.Format {
	mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil {
		return dsl.Sniff
	}
	switch mediaFormat(mt) {
	case mediaJSON:
		return dsl.JSON
	case mediaYAML:
		return dsl.YAML
	}
	return dsl.Sniff
}

func (s *server) putStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	asked, err := typeParam(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readBody(w, r, maxDefinitionBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// awsmeta.PutDefinition settles the type (the one asked for a new name,
	// the one it has for an existing one), checks an EXPRESS definition,
	// gives a new state machine a fresh document before its definition is
	// written, and creates the activities the definition uses: as the AWS
	// API and sfn serve --load do.
	res, err := s.meta().PutDefinition(r.Context(), s.engine, awsmeta.Definition{Name: name, Source: body,
		Format: definitionFormat(r), Type: asked, CheckExpress: s.checkExpress})
	var typeErr *awsmeta.TypeError
	if errors.As(err, &typeErr) {
		err = errf(codeConflict, typeErr.Error())
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Outcome == store.Created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/state-machines/"+name)
	writeJSON(w, status, smView(res.StateMachine, res.Machine, false))
}

func (s *server) validate(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(w, r, maxDefinitionBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	_, problems := dsl.Load(body, dsl.Options{Format: definitionFormat(r)})
	if problems.HasErrors() {
		s.writeError(w, r, &interpreter.InvalidDefinitionError{Problems: problems.Errors()})
		return
	}
	type answer struct {
		Valid    bool            `json:"valid"`
		Warnings []problemDetail `json:"warnings,omitempty"`
	}
	a := answer{Valid: true}
	for _, p := range problems {
		a.Warnings = append(a.Warnings, problemDetail{Path: p.Path, Line: p.Line, Column: p.Column, Message: p.Message,
			Code: p.Code, Severity: string(p.Severity)})
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) listStateMachines(w http.ResponseWriter, r *http.Request) {
	limit, cursor, err := pageParams(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if !validNameCursor(cursor) {
		s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("malformed cursor %q: pass the nextCursor of an earlier page", cursor)))
		return
	}
	sms, next, err := s.engine.Store().ListStateMachines(r.Context(), cursor, limit)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	type answer struct {
		StateMachines []stateMachineItem `json:"stateMachines"`
		NextCursor    string             `json:"nextCursor,omitempty"`
	}
	docs, err := s.machineDocs(r.Context(), sms)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	a := answer{StateMachines: make([]stateMachineItem, 0, len(sms)), NextCursor: next}
	for i, sm := range sms {
		a.StateMachines = append(a.StateMachines, stateMachineItem{Name: sm.Name, Version: sm.Version,
			UpdatedAt: interpreter.FormatTime(sm.UpdatedAt), Type: machineType(docs[i]), PublishedVersion: docs[i].PublishedNumber(sm.Version)})
	}
	writeJSON(w, http.StatusOK, a)
}

// docReaders bounds the document reads of one listing in flight at once.
const docReaders = 16

// machineDocs reads the documents of the state machines of a page, a few
// at a time: a page of a thousand must not be a thousand round trips in a
// row.
func (s *server) machineDocs(ctx context.Context, sms []store.StateMachine) ([]awsmeta.Machine, error) {
	meta := s.meta()
	docs := make([]awsmeta.Machine, len(sms))
	errs := make([]error, len(sms))
	sem := make(chan struct{}, docReaders)
	var wg sync.WaitGroup
	for i, sm := range sms {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			docs[i], errs[i] = meta.Machine(ctx, sm.Name)
		}()
	}
	wg.Wait()
	return docs, errors.Join(errs...)
}

func (s *server) getStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.showVersion(w, r, name, 0)
}

// showVersion answers a version (0: the latest) with its definition.
func (s *server) showVersion(w http.ResponseWriter, r *http.Request, name string, version int) {
	sm, err := s.engine.Store().GetStateMachine(r.Context(), name, version)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	mc, err := s.meta().Machine(r.Context(), name)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, smView(sm, mc, true))
}

// versionParam parses a version number (1 or more).
func versionParam(raw string) (int, error) {
	v, err := strconv.Atoi(raw)
	if err != nil || v < 1 {
		return 0, errf(codeInvalidInput, fmt.Sprintf("version %q must be an integer from 1", raw))
	}
	return v, nil
}

func (s *server) getStateMachineVersion(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	raw, err := pathParam(r, "version")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	version, err := versionParam(raw)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	s.showVersion(w, r, name, version)
}

func (s *server) deleteStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	err = s.engine.DeleteStateMachine(r.Context(), name)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.writeError(w, r, err)
		return
	}
	// Its tags, published versions and aliases go with it, so that a state
	// machine made again under the name starts without them; also when it
	// was gone already (a retry after this failed).
	if derr := s.meta().DeleteMachine(r.Context(), name); derr != nil {
		s.writeError(w, r, derr)
		return
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// validNameCursor reports whether cursor is empty or one the state machine
// listing hands out: a state machine name in unpadded base64url. Both stores
// would take any base64 as a place in the list and answer an empty or
// arbitrary page, where a made-up cursor is the client's mistake.
func validNameCursor(cursor string) bool {
	if cursor == "" {
		return true
	}
	b, err := base64.RawURLEncoding.DecodeString(cursor)
	return err == nil && interpreter.ValidName(string(b)) && base64.RawURLEncoding.EncodeToString(b) == cursor
}
