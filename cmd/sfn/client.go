package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

// client talks to an sfn server over its HTTP API (docs/api.md).
type client struct {
	base  string
	token string
	http  *http.Client
	// stream is used for long requests (?wait=, the event stream): no timeout.
	stream *http.Client
}

func (a *app) client() (*client, error) {
	u, err := url.Parse(a.server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, usageErrorf("--server %q: want a URL such as http://127.0.0.1:8080", a.server)
	}
	return &client{
		base:   strings.TrimRight(a.server, "/"),
		token:  a.token,
		http:   &http.Client{Timeout: 30 * time.Second},
		stream: &http.Client{},
	}, nil
}

// apiError is the server's JSON error body: the request reached the server
// and it said no.
type apiError struct {
	Status  int           `json:"-"`
	Code    string        `json:"error"`
	Message string        `json:"message"`
	Details []errorDetail `json:"details,omitempty"`
}

// errorDetail is one problem of a ValidationError.
type errorDetail struct {
	Path    string `json:"path"`
	Line    int    `json:"line,omitempty"`
	Column  int    `json:"column,omitempty"`
	Message string `json:"message"`
	Code    string `json:"code,omitempty"`
}

func (e *apiError) Error() string {
	if e.Message == "" {
		return fmt.Sprintf("%s (HTTP %d)", e.Code, e.Status)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Is lets callers match on the code: errors.Is(err, &apiError{Code: "NotFound"}).
func (e *apiError) Is(target error) bool {
	t, ok := target.(*apiError)
	return ok && t.Code == e.Code
}

// unreachableError: the request never got an HTTP answer.
type unreachableError struct {
	server string
	err    error
}

func (e *unreachableError) Error() string {
	return fmt.Sprintf("server %s is unreachable: %v (start one with `sfn serve`, or set --server / SFN_SERVER)", e.server, e.err)
}
func (e *unreachableError) Unwrap() error { return e.err }

// request describes one call.
type request struct {
	method, path string
	query        url.Values
	body         []byte
	contentType  string
	long         bool // no client timeout
	header       http.Header
}

// pageFlags name a page of a listing: a listing command's --limit and
// --cursor.
type pageFlags struct {
	limit  int
	cursor string
}

func (p *pageFlags) add(cmd *cobra.Command) {
	cmd.Flags().IntVar(&p.limit, "limit", 100, "at most this many (1-1000)")
	cmd.Flags().StringVar(&p.cursor, "cursor", "", "continue after an earlier page (its nextCursor)")
}

// query asks for the page: ?limit=, and ?cursor= after the first.
func (p pageFlags) query() url.Values {
	q := url.Values{"limit": {strconv.Itoa(p.limit)}}
	if p.cursor != "" {
		q.Set("cursor", p.cursor)
	}
	return q
}

// do makes a call and decodes a 2xx JSON answer into out (when not nil).
// It returns the status code.
func (c *client) do(ctx context.Context, r request, out any) (int, error) {
	resp, err := c.send(ctx, r)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return resp.StatusCode, &unreachableError{server: c.base, err: err}
	}
	if resp.StatusCode >= 300 {
		return resp.StatusCode, decodeAPIError(resp.StatusCode, data)
	}
	if out != nil && len(data) > 0 {
		if raw, ok := out.(*json.RawMessage); ok {
			*raw = append((*raw)[:0], data...)
			return resp.StatusCode, nil
		}
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: unexpected answer: %w", r.method, r.path, err)
		}
	}
	return resp.StatusCode, nil
}

// send makes the request and returns the response as is (any status).
func (c *client) send(ctx context.Context, r request) (*http.Response, error) {
	u := c.base + r.path
	if len(r.query) > 0 {
		u += "?" + r.query.Encode()
	}
	var body io.Reader
	if r.body != nil {
		body = bytes.NewReader(r.body)
	}
	req, err := http.NewRequestWithContext(ctx, r.method, u, body)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	for k, vs := range r.header {
		req.Header[k] = vs
	}
	if r.contentType != "" {
		req.Header.Set("Content-Type", r.contentType)
	}
	req.Header.Set("Accept", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	hc := c.http
	if r.long {
		hc = c.stream
	}
	resp, err := hc.Do(req)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &unreachableError{server: c.base, err: err}
	}
	return resp, nil
}

func decodeAPIError(status int, data []byte) error {
	e := &apiError{Status: status}
	if err := json.Unmarshal(data, e); err != nil || e.Code == "" {
		e.Code = http.StatusText(status)
		e.Message = strings.TrimSpace(string(data))
		if len(e.Message) > 200 {
			e.Message = e.Message[:200] + "…"
		}
	}
	return e
}

// isCode reports whether err is the server's error with that code.
func isCode(err error, code string) bool {
	var ae *apiError
	return errors.As(err, &ae) && ae.Code == code
}

func pathEscape(s string) string { return url.PathEscape(s) }

// ---- typed calls ----

type stateMachineMeta struct {
	Name             string          `json:"name"`
	Version          int             `json:"version"`
	DefinitionSHA256 string          `json:"definitionSha256,omitempty"`
	CreatedAt        string          `json:"createdAt,omitempty"`
	UpdatedAt        string          `json:"updatedAt,omitempty"`
	Definition       json.RawMessage `json:"definition,omitempty"`
}

type execution struct {
	ExecutionID  string          `json:"executionId"`
	StateMachine string          `json:"stateMachine"`
	Version      int             `json:"version"`
	Name         string          `json:"name"`
	Status       string          `json:"status"`
	Input        json.RawMessage `json:"input,omitempty"`
	Output       json.RawMessage `json:"output,omitempty"`
	Error        string          `json:"error,omitempty"`
	Cause        string          `json:"cause,omitempty"`
	StartedAt    string          `json:"startedAt,omitempty"`
	StoppedAt    string          `json:"stoppedAt,omitempty"`
	RedriveCount int             `json:"redriveCount,omitempty"`
	// A child execution's parent, and a distributed Map's child's Map Run.
	ParentExecutionID string `json:"parentExecutionId,omitempty"`
	MapRunARN         string `json:"mapRunArn,omitempty"`
	// TestCase: started with a test case of the server's mock configuration.
	TestCase string `json:"testCase,omitempty"`
}

func (c *client) getExecution(ctx context.Context, id string) (*execution, json.RawMessage, error) {
	var raw json.RawMessage
	if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/executions/" + pathEscape(id)}, &raw); err != nil {
		return nil, nil, err
	}
	var ex execution
	if err := json.Unmarshal(raw, &ex); err != nil {
		return nil, nil, fmt.Errorf("execution %s: unexpected answer: %w", id, err)
	}
	return &ex, raw, nil
}

// history reads every event of an execution, following nextCursor.
func (c *client) history(ctx context.Context, id string) ([]json.RawMessage, error) {
	var all []json.RawMessage
	cursor := ""
	for {
		q := pageFlags{limit: 1000, cursor: cursor}.query()
		var page struct {
			Events     []json.RawMessage `json:"events"`
			NextCursor string            `json:"nextCursor"`
		}
		if _, err := c.do(ctx, request{method: http.MethodGet, path: "/v1/executions/" + pathEscape(id) + "/history", query: q}, &page); err != nil {
			return nil, err
		}
		all = append(all, page.Events...)
		if page.NextCursor == "" || len(page.Events) == 0 {
			return all, nil
		}
		cursor = page.NextCursor
	}
}
