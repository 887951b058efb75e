package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter"
)

func invalidName(what, raw string) error {
	return errf(codeInvalidInput, fmt.Sprintf("%s name %q is invalid: names are 1-80 characters of [A-Za-z0-9_-]", what, raw))
}

// isARN tells an ARN from a name or an execution id: names hold no colon
// and ids one ("<state machine>:<name>", where the state machine may be
// called arn), an ARN six or more.
func isARN(s string) bool { return strings.HasPrefix(s, "arn:") && strings.Count(s, ":") > 1 }

// ownARN parses an ARN given where a name is taken. One of another region
// or account names nothing this node has: 404, as an unknown name.
func (s *server) ownARN(v string) (arn.ARN, error) {
	a, err := arn.Parse(v)
	if err != nil {
		return arn.ARN{}, errf(codeInvalidInput, fmt.Sprintf("%q is not an ARN of a Step Functions resource: %v", v, err))
	}
	if sp := s.engine.Space(); !sp.Owns(a) {
		return arn.ARN{}, errf(codeNotFound, fmt.Sprintf("%s is in region %s and account %s; this node serves region %s and account %s",
			v, a.Region, a.Account, sp.Region, sp.Account))
	}
	return a, nil
}

// machineRef is what a state machine parameter names: a state machine, or
// through an ARN one of its published versions or aliases.
type machineRef struct {
	Name      string
	Published int    // a version ARN's number
	Alias     string // an alias ARN's alias
}

func (m machineRef) qualified() bool { return m.Published != 0 || m.Alias != "" }

// resolveMachine reads a state machine name or ARN (of this node's space).
func (s *server) resolveMachine(v string) (machineRef, error) {
	if !isARN(v) {
		if !interpreter.ValidName(v) {
			return machineRef{}, invalidName("state machine", v)
		}
		return machineRef{Name: v}, nil
	}
	a, err := s.ownARN(v)
	if err != nil {
		return machineRef{}, err
	}
	if !interpreter.ValidName(a.Name) {
		return machineRef{}, invalidName("state machine", a.Name)
	}
	switch a.Kind {
	case arn.StateMachine:
		return machineRef{Name: a.Name}, nil
	case arn.Version:
		return machineRef{Name: a.Name, Published: a.Version}, nil
	case arn.Alias:
		return machineRef{Name: a.Name, Alias: a.Alias}, nil
	}
	return machineRef{}, errf(codeInvalidInput, fmt.Sprintf("%s is not the ARN of a state machine", v))
}

// machineParam reads the {name} path parameter: a state machine name, or
// its ARN (a version's or an alias's only where the route says so).
func (s *server) machineParam(r *http.Request) (machineRef, error) {
	raw := chi.URLParam(r, "name")
	v, err := url.PathUnescape(raw)
	if err != nil {
		return machineRef{}, invalidName("state machine", raw)
	}
	return s.resolveMachine(v)
}

// machineName reads the {name} path parameter: a state machine name or its
// unqualified ARN.
func (s *server) machineName(r *http.Request) (string, error) {
	m, err := s.machineParam(r)
	if err != nil {
		return "", err
	}
	if m.qualified() {
		return "", errf(codeInvalidInput, fmt.Sprintf("%s names a published version or an alias: this route takes the state machine's name or unqualified ARN",
			chi.URLParam(r, "name")))
	}
	return m.Name, nil
}

// executionID reads the {id} path parameter: an execution id
// ("<state machine>:<name>") or an execution ARN.
func (s *server) executionID(r *http.Request) (string, error) {
	v, err := pathParam(r, "id")
	if err != nil || !isARN(v) {
		return v, err
	}
	a, err := s.ownARN(v)
	if err != nil {
		return "", err
	}
	if a.Kind == arn.Express {
		return "", expressNotKept(v)
	}
	if a.Kind != arn.Execution {
		return "", errf(codeInvalidInput, fmt.Sprintf("%s is not the ARN of an execution", v))
	}
	return a.ExecutionID(), nil
}

// activityName reads the {activity} path parameter: an activity name or ARN.
func (s *server) activityName(r *http.Request) (string, error) {
	raw := chi.URLParam(r, "activity")
	v, err := url.PathUnescape(raw)
	if err != nil {
		return "", invalidName("activity", raw)
	}
	if isARN(v) {
		a, err := s.ownARN(v)
		if err != nil {
			return "", err
		}
		if a.Kind != arn.Activity {
			return "", errf(codeInvalidInput, fmt.Sprintf("%s is not the ARN of an activity", v))
		}
		v = a.Name
	}
	if !interpreter.ValidName(v) {
		return "", invalidName("activity", v)
	}
	return v, nil
}

// pathParam returns a path parameter, unescaped.
func pathParam(r *http.Request, key string) (string, error) {
	raw := chi.URLParam(r, key)
	v, err := url.PathUnescape(raw)
	if err != nil || v == "" {
		return "", errf(codeInvalidInput, fmt.Sprintf("malformed path parameter %s %q", key, raw))
	}
	return v, nil
}

// mediaKind is what a media type says about a body's syntax.
type mediaKind int

const (
	mediaOther mediaKind = iota
	mediaJSON
	mediaYAML
)

// mediaFormat classifies a media type as parsed by mime.ParseMediaType:
// the one list of the types read as JSON and as YAML.
func mediaFormat(mt string) mediaKind {
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json"):
		return mediaJSON
	case mt == "application/yaml" || mt == "application/x-yaml" || mt == "text/yaml" || mt == "text/x-yaml" || strings.HasSuffix(mt, "+yaml"):
		return mediaYAML
	}
	return mediaOther
}

// requireJSON refuses a declared content type that is not JSON.
func requireJSON(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && mediaFormat(mt) == mediaJSON {
		return nil
	}
	return errf(codeUnsupportedMedia, fmt.Sprintf("content type %q is not supported here: send application/json", ct))
}

// readBody reads at most limit bytes of the body; more is PayloadTooLarge.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		return nil, errf(codeTooLarge, fmt.Sprintf("the request body exceeds %d bytes", limit))
	}
	if err != nil {
		return nil, errf(codeInvalidInput, "the request body could not be read: "+err.Error())
	}
	return b, nil
}

// decodeEnvelope reads a JSON request envelope into dst, refusing unknown
// fields; an empty body leaves dst as it is.
func decodeEnvelope(w http.ResponseWriter, r *http.Request, limit int64, dst any) error {
	if err := requireJSON(r); err != nil {
		return err
	}
	body, err := readBody(w, r, limit)
	if err != nil {
		return err
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return envelopeError(err)
	}
	if dec.More() {
		return errf(codeInvalidInput, "malformed JSON body: data after the JSON object")
	}
	if _, err := dec.Token(); err != io.EOF {
		return errf(codeInvalidInput, "malformed JSON body: data after the JSON object")
	}
	return nil
}

func envelopeError(err error) error {
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return errf(codeInvalidInput, "the request body must be a JSON object")
		}
		return errf(codeInvalidInput, fmt.Sprintf("field %q must be %s, not a JSON %s", typeErr.Field, jsonKind(typeErr.Type.Kind().String()), typeErr.Value))
	case errors.As(err, &syntaxErr) && strings.Contains(syntaxErr.Error(), "exceeded max depth"):
		// encoding/json's own bound (10,000) is far past the data limit
		// every other entry point names; name that one here too.
		return errf(codeInvalidInput, fmt.Sprintf("JSON nested more than %d levels deep at byte %d (the limit is %d levels of arrays and objects)",
			value.MaxDepth, syntaxErr.Offset, value.MaxDepth))
	case errors.As(err, &syntaxErr):
		return errf(codeInvalidInput, fmt.Sprintf("malformed JSON body at byte %d: %s", syntaxErr.Offset, syntaxErr.Error()))
	case errors.Is(err, io.ErrUnexpectedEOF):
		return errf(codeInvalidInput, "malformed JSON body: it ends too early")
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return errf(codeInvalidInput, fmt.Sprintf("unknown field %s in the request body", f))
	}
	return errf(codeInvalidInput, "malformed JSON body: "+err.Error())
}

func jsonKind(goKind string) string {
	switch goKind {
	case "int", "int64", "ptr":
		return "an integer"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "struct", "map":
		return "an object"
	}
	return "of another type"
}

// pageParams parses ?limit= and ?cursor=.
func pageParams(r *http.Request) (limit int, cursor string, err error) {
	q := r.URL.Query()
	limit = 100
	if s := q.Get("limit"); s != "" || q.Has("limit") {
		n, perr := strconv.Atoi(s)
		if perr != nil || n < 1 || n > 1000 {
			return 0, "", errf(codeInvalidInput, fmt.Sprintf("limit %q must be an integer from 1 to 1000", s))
		}
		limit = n
	}
	return limit, q.Get("cursor"), nil
}

// waitParam parses a Go duration query parameter, clamped to max.
func waitParam(r *http.Request, key string, def, max time.Duration) (time.Duration, error) {
	q := r.URL.Query()
	if !q.Has(key) {
		return def, nil
	}
	s := q.Get(key)
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return 0, errf(codeInvalidInput, fmt.Sprintf("%s=%q is not a duration (Go syntax: 500ms, 10s, 2m)", key, s))
	}
	return min(d, max), nil
}
