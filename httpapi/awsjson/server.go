// Package awsjson is sfn's second front door: the AWS Step Functions API
// (protocol awsJson1_0: POST / with X-Amz-Target AWSStepFunctions.<Op>,
// SigV4) over the same engine, store and roles as the REST API. It answers
// as AWS does, so that the AWS SDKs, the aws CLI and Terraform's provider
// work against sfn unchanged; docs/aws-api.md lists the operations and the
// differences that remain.
package awsjson

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/httpapi/roles"
	"github.com/sfn-project/sfn/interpreter"
)

// ContentType is awsJson1_0's media type, of requests and answers.
const ContentType = "application/x-amz-json-1.0"

// targetPrefix is the X-Amz-Target prefix of Step Functions operations.
const targetPrefix = "AWSStepFunctions."

// MaxBody caps a request body.
const MaxBody = 1 << 20

// Roles, the REST API's (package roles), as the strings Credential and
// the operations hold.
const (
	RoleAdmin    = string(roles.Admin)
	RoleOperator = string(roles.Operator)
	RoleWorker   = string(roles.Worker)
	RoleReader   = string(roles.Reader)
)

// Credential is an AWS access key's secret and the sfn role it acts with.
type Credential struct {
	Secret string
	Role   string
}

// Config configures the AWS API.
type Config struct {
	Engine *interpreter.Engine
	Meta   *awsmeta.Meta
	Space  arn.Space
	// Credentials maps access key ids to their secrets and roles.
	Credentials map[string]Credential
	// Open accepts any signature (and no signature): the REST API has no
	// tokens either. When false, a request must be signed with one of
	// Credentials (none at all: every request is refused).
	Open bool
	// MaxSkew is how far a request's X-Amz-Date may be from the server's
	// clock (default 15 minutes, as AWS).
	MaxSkew time.Duration
	Logger  *slog.Logger
	// StoreTimeout bounds ordinary operations (default 2s).
	StoreTimeout time.Duration
	// MaxPollWait is GetActivityTask's long poll (default 60s, as AWS).
	MaxPollWait time.Duration
	// Express runs EXPRESS executions; nil refuses them.
	Express Express
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Server serves the AWS API.
type Server struct {
	cfg   Config
	eng   *interpreter.Engine
	meta  *awsmeta.Meta
	space arn.Space
	log   *slog.Logger

	syncStarts *awsmeta.Recent[resolvedStart] // StartSyncExecution's recent state machine lookups (sync.go)
}

// New returns the AWS API server.
func New(cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StoreTimeout == 0 {
		cfg.StoreTimeout = 2 * time.Second
	}
	if cfg.MaxPollWait == 0 {
		cfg.MaxPollWait = 60 * time.Second
	}
	if cfg.MaxSkew == 0 {
		cfg.MaxSkew = 15 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Meta == nil {
		cfg.Meta = awsmeta.New(cfg.Engine.Store())
	}
	return &Server{cfg: cfg, eng: cfg.Engine, meta: cfg.Meta, space: cfg.Space, log: cfg.Logger,
		syncStarts: awsmeta.NewRecent[resolvedStart](startCacheTTL, startCacheMax, cfg.Now)}
}

// call is one request being served: what an operation reads of it.
type call struct {
	body []byte
	role string // the caller's
}

// decode reads the request's JSON body into dst (an empty body is {}).
func (c *call) decode(dst any) error {
	if len(c.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(c.body, dst); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return errorf(excValidation, "1 validation error detected: Value at '%s' failed to satisfy constraint: Member must be of type %s", te.Field, jsonTypeName(te.Type.Kind().String()))
		}
		return errorf(excSerialization, "the request body is not a JSON object: %v", err)
	}
	return nil
}

func jsonTypeName(k string) string {
	switch k {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "list"
	case "map", "struct", "ptr":
		return "structure"
	}
	return "number"
}

// ServeHTTP answers one AWS API request.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	target := r.Header.Get("X-Amz-Target")
	op, ok := strings.CutPrefix(target, targetPrefix)
	if r.Method != http.MethodPost {
		s.writeError(w, r, errorf(excUnknownOperation, "the AWS API takes POST, not %s", r.Method))
		return
	}
	// Who is calling is settled before the body is read: an unknown key
	// or a stale date costs the server nothing more.
	cred, err := s.precheck(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if err := s.verify(r, body, cred); err != nil {
		s.writeError(w, r, err)
		return
	}
	if !ok {
		s.writeError(w, r, errorf(excUnknownOperation, "unknown operation %q: X-Amz-Target must be AWSStepFunctions.<Operation>", target))
		return
	}
	o, known := operations[op]
	if !known {
		s.writeError(w, r, errorf(excUnknownOperation, "sfn does not implement the operation %s", op))
		return
	}
	role := RoleAdmin
	if cred != nil {
		role = cred.Role
	}
	if !roles.Allows(roles.Role(role), roles.Role(o.role)) {
		s.writeError(w, r, errorf(excAccessDenied, "User is not authorized to perform: states:%s (the access key's role is %s; %s needs %s)", op, role, op, o.role))
		return
	}
	ctx := r.Context()
	if o.long {
		// The operation waits (a long poll, a synchronous execution):
		// it may write for as long as its own bound.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(6 * time.Minute))
	} else {
		_ = http.NewResponseController(w).SetWriteDeadline(time.Now().Add(s.cfg.StoreTimeout + 30*time.Second))
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.cfg.StoreTimeout)
		defer cancel()
	}
	c := &call{body: body, role: role}
	out, err := o.fn(s, ctx, c)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	if out == nil {
		out = struct{}{}
	}
	writeJSON(w, http.StatusOK, out)
}

func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > MaxBody {
		return nil, errorf(excValidation, "the request body of %d bytes is over the limit of %d bytes", r.ContentLength, MaxBody)
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, MaxBody+1))
	if err != nil {
		return nil, errorf(excSerialization, "reading the request body: %v", err)
	}
	if len(b) > MaxBody {
		return nil, errorf(excValidation, "the request body is over the limit of %d bytes", MaxBody)
	}
	return b, nil
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"__type":"InternalServerError","message":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", ContentType)
	if w.Header().Get("X-Amzn-RequestId") == "" { // writeError may have named it
		w.Header().Set("X-Amzn-RequestId", requestID(w))
	}
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func requestID(w http.ResponseWriter) string {
	if id := w.Header().Get("X-Request-Id"); id != "" {
		return id
	}
	return fmt.Sprintf("%016x", time.Now().UnixNano())
}

// Epoch is a time as awsJson1_0 writes it: epoch seconds, with milliseconds
// as a fraction.
type Epoch time.Time

// MarshalJSON implements json.Marshaler.
func (t Epoch) MarshalJSON() ([]byte, error) {
	tm := time.Time(t)
	ms := tm.UnixMilli()
	return []byte(fmt.Sprintf("%d.%03d", ms/1000, int(math.Abs(float64(ms%1000))))), nil
}

// epoch returns t as an Epoch pointer, nil for the zero time (omitted).
func epoch(t time.Time) *Epoch {
	if t.IsZero() {
		return nil
	}
	e := Epoch(t)
	return &e
}
