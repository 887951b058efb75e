package httpapi

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

type stateMachineView struct {
	Name             string          `json:"name"`
	Version          int             `json:"version"`
	DefinitionSHA256 string          `json:"definitionSha256"`
	CreatedAt        string          `json:"createdAt"`
	UpdatedAt        string          `json:"updatedAt"`
	Definition       json.RawMessage `json:"definition,omitempty"`
}

func smView(sm store.StateMachine, withDefinition bool) stateMachineView {
	v := stateMachineView{Name: sm.Name, Version: sm.Version, DefinitionSHA256: sm.DefinitionSHA256,
		CreatedAt: interpreter.FormatTime(sm.CreatedAt), UpdatedAt: interpreter.FormatTime(sm.UpdatedAt)}
	if withDefinition {
		v.Definition = interpreter.DefinitionJSON(sm) // as uploaded: key order and numbers kept
	}
	return v
}

type stateMachineItem struct {
	Name      string `json:"name"`
	Version   int    `json:"version"`
	UpdatedAt string `json:"updatedAt"`
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
	name, err := pathName(r, "name", "state machine")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readBody(w, r, maxDefinitionBody)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res, err := s.engine.PutStateMachine(r.Context(), name, body, definitionFormat(r))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	status := http.StatusOK
	if res.Outcome == store.Created {
		status = http.StatusCreated
	}
	w.Header().Set("Location", "/v1/state-machines/"+name)
	writeJSON(w, status, smView(res.StateMachine, false))
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
	a := answer{StateMachines: make([]stateMachineItem, 0, len(sms)), NextCursor: next}
	for _, sm := range sms {
		a.StateMachines = append(a.StateMachines, stateMachineItem{Name: sm.Name, Version: sm.Version,
			UpdatedAt: interpreter.FormatTime(sm.UpdatedAt)})
	}
	writeJSON(w, http.StatusOK, a)
}

func (s *server) getStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := pathName(r, "name", "state machine")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	sm, err := s.engine.Store().GetStateMachine(r.Context(), name, 0)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, smView(sm, true))
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
	name, err := pathName(r, "name", "state machine")
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
	sm, err := s.engine.Store().GetStateMachine(r.Context(), name, version)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, smView(sm, true))
}

func (s *server) deleteStateMachine(w http.ResponseWriter, r *http.Request) {
	name, err := pathName(r, "name", "state machine")
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.engine.DeleteStateMachine(r.Context(), name); err != nil {
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
