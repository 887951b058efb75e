package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/store/faultstore"
)

// faultServer is setupWith on the test store wrapped in faults.
func faultServer(t *testing.T) (*httptest.Server, *faultstore.Faults) {
	t.Helper()
	st, faults := faultstore.Wrap(testStore(t), 1)
	return setupWith(t, st, httpapi.Config{}), faults
}

// loseAnswer makes the next write of op about id land and then fail as a
// store timeout does, and the first read of id after it fail too: only a
// read that is tried again finds out what happened.
func loseAnswer(faults *faultstore.Faults, op faultstore.Op, id string) {
	var wrote atomic.Bool
	faults.Add(faultstore.Rule{Op: op, Count: 1, Applied: true, Err: context.DeadlineExceeded,
		Match: func(x string) bool { wrote.Store(true); return x == id }})
	faults.Add(faultstore.Rule{Op: faultstore.GetExecution, Count: 1, Err: context.DeadlineExceeded,
		Match: func(x string) bool { return wrote.Load() && x == id }})
}

// TestStartAnswerLost: a start whose create landed but whose answer was lost
// answers 202 with the execution, not 503; the client's retry with the
// same name answers 200 with the same execution.
func TestStartAnswerLost(t *testing.T) {
	t.Parallel()
	srv, faults := faultServer(t)
	put(t, srv, "w", waitDef)
	loseAnswer(faults, faultstore.CreateExecution, "w:lost")
	body := map[string]any{"name": "lost", "input": map[string]any{"k": 1}}
	r := call(t, srv, http.MethodPost, "/v1/state-machines/w/executions", body)
	if r.status != http.StatusAccepted || r.json(t)["executionId"] != "w:lost" {
		t.Fatalf("start whose create landed: %d %s, want 202 with the execution", r.status, r.body)
	}
	if faults.Hits(faultstore.CreateExecution) != 1 || faults.Hits(faultstore.GetExecution) != 1 {
		t.Fatalf("faults hit: create %d, read %d (want 1, 1)", faults.Hits(faultstore.CreateExecution), faults.Hits(faultstore.GetExecution))
	}
	r = call(t, srv, http.MethodPost, "/v1/state-machines/w/executions", body)
	if r.status != http.StatusOK || r.json(t)["executionId"] != "w:lost" || r.json(t)["status"] != "RUNNING" {
		t.Fatalf("retry: %d %s, want 200 with the existing execution", r.status, r.body)
	}
}

// TestTaskAnswerRetries: a task answer whose commit landed but whose answer
// was lost answers 200; its retry answers 200 saying it was already
// applied; an answer of the other kind is 409, another answer of the same
// kind and a heartbeat are 404 (a finished token), and so is a token never
// seen.
func TestTaskAnswerRetries(t *testing.T) {
	t.Parallel()
	success := taskCall{path: "/v1/tasks/success", body: map[string]any{"output": map[string]any{"ok": true, "n": 1}}}
	failure := taskCall{path: "/v1/tasks/failure", body: map[string]any{"error": "Worker.Boom", "cause": "it broke"}}
	for _, c := range []struct {
		name        string
		first       taskCall
		other       taskCall // the other kind: 409
		sameKind    taskCall // same kind, another answer: 404
		wantStatus  string
		wantMessage string
	}{
		{"success", success, failure, taskCall{path: "/v1/tasks/success", body: map[string]any{"output": map[string]any{"ok": false}}},
			"SUCCEEDED", "the task already succeeded: this failure was not applied"},
		{"failure", failure, success, taskCall{path: "/v1/tasks/failure", body: map[string]any{"error": "Worker.Boom", "cause": "other"}},
			"FAILED", "the task already failed: this success was not applied"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			srv, faults := faultServer(t)
			put(t, srv, "act", activityDef)
			r := call(t, srv, http.MethodPost, "/v1/state-machines/act/executions", map[string]any{"name": "job"})
			id := r.json(t)["executionId"].(string)
			r = call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=5s", map[string]any{"workerName": "w1"})
			if r.status != http.StatusOK {
				t.Fatalf("poll: %d %s", r.status, r.body)
			}
			tok := r.json(t)["taskToken"].(string)

			loseAnswer(faults, faultstore.Commit, id)
			r = c.first.send(t, srv, tok)
			if r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "{}" {
				t.Fatalf("%s whose commit landed: %d %s, want 200 {}", c.name, r.status, r.body)
			}
			if faults.Hits(faultstore.Commit) != 1 || faults.Hits(faultstore.GetExecution) != 1 {
				t.Fatalf("faults hit: commit %d, read %d (want 1, 1)", faults.Hits(faultstore.Commit), faults.Hits(faultstore.GetExecution))
			}
			faults.Clear()
			if got := ended(t, srv, id)["status"]; got != c.wantStatus {
				t.Errorf("execution %v, want %s", got, c.wantStatus)
			}

			r = c.first.send(t, srv, tok)
			if r.status != http.StatusOK || r.json(t)["alreadyApplied"] != true {
				t.Errorf("retry of the applied %s: %d %s, want 200 alreadyApplied", c.name, r.status, r.body)
			}
			r = c.other.send(t, srv, tok)
			wantError(t, r, http.StatusConflict, "Conflict")
			if msg := r.json(t)["message"]; msg != c.wantMessage {
				t.Errorf("conflict message %q, want %q", msg, c.wantMessage)
			}
			wantError(t, c.sameKind.send(t, srv, tok), http.StatusNotFound, "NotFound")
			wantError(t, call(t, srv, http.MethodPost, "/v1/tasks/heartbeat", map[string]any{"taskToken": tok}), http.StatusNotFound, "NotFound")
			wantError(t, c.first.send(t, srv, "bm8.1.3.secret"), http.StatusNotFound, "NotFound")
		})
	}
}

// ended reads an execution until it is no longer running.
func ended(t *testing.T, srv *httptest.Server, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ex := call(t, srv, http.MethodGet, "/v1/executions/"+id, nil).json(t)
		if ex["status"] != "RUNNING" {
			return ex
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s still running after 10s", id)
		}
		time.Sleep(20 * time.Millisecond) // polling a condition with a deadline
	}
}

// taskCall is a task answer without its token.
type taskCall struct {
	path string
	body map[string]any
}

func (c taskCall) send(t *testing.T, srv *httptest.Server, tok string) response {
	t.Helper()
	body := map[string]any{"taskToken": tok}
	for k, v := range c.body {
		body[k] = v
	}
	return call(t, srv, http.MethodPost, c.path, body)
}

// TestTaskFailureLimits: a failure whose error or cause is longer than AWS
// allows (256 and 32,768 characters) is 400 naming the field and the
// limit, and nothing is applied; at the limit (in characters, not bytes)
// it is taken.
func TestTaskFailureLimits(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "act", activityDef)
	r := call(t, srv, http.MethodPost, "/v1/state-machines/act/executions", map[string]any{"name": "limits"})
	id := r.json(t)["executionId"].(string)
	r = call(t, srv, http.MethodPost, "/v1/activities/work/poll?wait=5s", nil)
	if r.status != http.StatusOK {
		t.Fatalf("poll: %d %s", r.status, r.body)
	}
	tok := r.json(t)["taskToken"].(string)
	for _, c := range []struct {
		name, errName, cause, want string
	}{
		{"error too long", strings.Repeat("E", 257), "c", `field "error" is 257 characters long: at most 256 are allowed`},
		{"cause too long", "E", strings.Repeat("c", 32769), `field "cause" is 32769 characters long: at most 32768 are allowed`},
		{"cause too long, multibyte", "E", strings.Repeat("é", 32769), `field "cause" is 32769 characters long: at most 32768 are allowed`},
	} {
		r := call(t, srv, http.MethodPost, "/v1/tasks/failure", map[string]any{"taskToken": tok, "error": c.errName, "cause": c.cause})
		wantError(t, r, http.StatusBadRequest, "InvalidInput")
		if msg := r.json(t)["message"]; msg != c.want {
			t.Errorf("%s: message %q, want %q", c.name, msg, c.want)
		}
	}
	// 32,768 characters of two bytes each: at the limit, taken as it is.
	cause := strings.Repeat("é", 32768)
	errName := strings.Repeat("É", 256)
	if r := call(t, srv, http.MethodPost, "/v1/tasks/failure", map[string]any{"taskToken": tok, "error": errName, "cause": cause}); r.status != http.StatusOK {
		t.Fatalf("failure at the limits: %d %s", r.status, r.body)
	}
	ex := ended(t, srv, id)
	if ex["status"] != "FAILED" || ex["error"] != errName || ex["cause"] != cause {
		t.Errorf("execution %v with error of %d bytes, cause of %d bytes: the answer at the limits was changed",
			ex["status"], len(ex["error"].(string)), len(ex["cause"].(string)))
	}
}
