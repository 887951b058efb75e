package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// service is a loopback HTTP service that answers from a script of status
// codes (the last one repeats) and records every request.
type service struct {
	*httptest.Server
	mu    sync.Mutex
	codes []int
	reqs  []serviceReq
	hold  chan struct{} // when set, the first request waits for it (or its context)
}

type serviceReq struct {
	Key, Traceparent, Auth string
	Body                   map[string]any
}

func newService(t *testing.T, codes ...int) *service {
	t.Helper()
	s := &service{codes: codes}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, _ := io.ReadAll(r.Body)
		var body map[string]any
		_ = json.Unmarshal(raw, &body)
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, serviceReq{Key: r.Header.Get("Idempotency-Key"), Traceparent: r.Header.Get("Traceparent"),
			Auth: r.Header.Get("Authorization"), Body: body})
		code := 200
		if len(s.codes) > 0 {
			code = s.codes[min(n, len(s.codes)-1)]
		}
		hold := s.hold
		s.mu.Unlock()
		if hold != nil && n == 0 {
			select {
			case <-hold:
			case <-r.Context().Done():
				return
			}
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_ = json.NewEncoder(w).Encode(map[string]any{"attempt": n + 1, "code": code})
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *service) requests() []serviceReq {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]serviceReq(nil), s.reqs...)
}

// scheduledKeys are the idempotency keys the history says calls must carry.
func scheduledKeys(id string, h []event) []string {
	var keys []string
	for _, e := range find(h, "TaskScheduled") {
		keys = append(keys, fmt.Sprintf("%s/%d", id, e.ID))
	}
	return keys
}

func TestHTTPRetryOnStatusThenSuccess(t *testing.T) {
	t.Parallel()
	svc := newService(t, 503, 503, 200)
	f := setup(t)
	f.put("sm", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"arn:aws:states:::http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`/pay","Method":"POST","RequestBody":{"order.$":"$.order"}},
		"Retry":[{"ErrorEquals":["States.Http.StatusCode.503"],"IntervalSeconds":2,"MaxAttempts":3}],
		"ResultSelector":{"code.$":"$.StatusCode","body.$":"$.ResponseBody"},"End":true}}}`)
	ex := f.start("sm", `{"order":7}`)
	got, dues := f.driveDue(ex.ID)
	if got.Status != store.StatusSucceeded || !jsonEqual(t, decode(t, got.Output), `{"code":200,"body":{"attempt":3,"code":200}}`) {
		t.Fatalf("ended %s %s %q %s", got.Status, got.Error, got.Cause, got.Output)
	}
	if diff := cmp.Diff(secs(2, 6), dues); diff != "" {
		t.Errorf("retry due times (-want +got):\n%s", diff)
	}
	h := f.history(ex.ID)
	checkInvariants(t, h, true)
	failed := find(h, "TaskFailed")
	if len(failed) != 2 || failed[0].Fields["error"] != "States.Http.StatusCode.503" || failed[0].Fields["cause"] != "Service Unavailable" {
		t.Errorf("TaskFailed events %v", failed)
	}
	reqs := svc.requests()
	var keys []string
	for _, r := range reqs {
		keys = append(keys, r.Key)
		if r.Body["order"] != float64(7) {
			t.Errorf("request body %v", r.Body)
		}
	}
	if diff := cmp.Diff(scheduledKeys(ex.ID, h), keys); diff != "" {
		t.Errorf("each attempt's Idempotency-Key is <execution id>/<its TaskScheduled id> (-want +got):\n%s", diff)
	}
	if keys[0] == keys[1] || keys[1] == keys[2] {
		t.Errorf("retries share a key: %v", keys)
	}
	trace := strings.Split(reqs[0].Traceparent, "-")
	for _, r := range reqs {
		if p := strings.Split(r.Traceparent, "-"); len(p) != 4 || p[1] != trace[1] {
			t.Errorf("traceparent %q: retries of one execution share its trace %q", r.Traceparent, trace[1])
		}
	}
}

func TestHTTPStatusErrorIsCaught(t *testing.T) {
	t.Parallel()
	svc := newService(t, 404)
	f := setup(t)
	f.put("sm", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"GET"},
		"Catch":[{"ErrorEquals":["States.Http.StatusCode.404"],"ResultPath":"$.err","Next":"Missing"}],"End":true},
		"Missing":{"Type":"Pass","End":true}}}`)
	got := f.wait(f.start("sm", `{}`).ID)
	if got.Status != store.StatusSucceeded || string(got.Output) != `{"err":{"Error":"States.Http.StatusCode.404","Cause":"Not Found"}}` {
		t.Errorf("ended %s %s", got.Status, got.Output)
	}
}

func TestHTTPCallback(t *testing.T) {
	t.Parallel()
	const def = `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"arn:aws:states:::http:invoke.waitForTaskToken",
		"Parameters":{"ApiEndpoint":"%s/confirm","Method":"POST","RequestBody":{"token.$":"$$.Task.Token","order.$":"$.order"}},
		%s"Catch":[{"ErrorEquals":["Restaurant.Closed"],"ResultPath":"$.err","Next":"Refund"}],"End":true},
		"Refund":{"Type":"Pass","Result":"refunded","ResultPath":"$.refund","End":true}}}`

	// callback starts an execution and returns its id and the token the
	// service received, once TaskSubmitted is committed.
	callback := func(t *testing.T, timing string) (*fixture, string, string) {
		svc := newService(t, 202)
		f := setup(t)
		f.put("sm", fmt.Sprintf(def, svc.URL, timing))
		ex := f.start("sm", `{"order":1}`)
		h := f.waitEvent(ex.ID, "TaskSubmitted", 1)
		reqs := svc.requests()
		if len(reqs) != 1 {
			t.Fatalf("%d requests, want 1", len(reqs))
		}
		tok, _ := reqs[0].Body["token"].(string)
		if _, ok := interpreter.ParseToken(tok); !ok || reqs[0].Body["order"] != float64(1) {
			t.Fatalf("the service got %v, want the task token and the order", reqs[0].Body)
		}
		if diff := cmp.Diff([]string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted"}, types(h)); diff != "" {
			t.Errorf("history while waiting (-want +got):\n%s", diff)
		}
		sub := find(h, "TaskSubmitted")[0]
		if out, _ := sub.Fields["output"].(map[string]any); out == nil || out["StatusCode"] != float64(202) {
			t.Errorf("TaskSubmitted %s: its output is the acknowledgement", sub.Raw)
		}
		if rec, _ := f.store.GetExecution(f.ctx, ex.ID); rec.Status != store.StatusRunning {
			t.Errorf("after the 202 the execution is %s, want RUNNING", rec.Status)
		}
		return f, ex.ID, tok
	}

	t.Run("success", func(t *testing.T) {
		t.Parallel()
		f, id, tok := callback(t, "")
		if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"confirmed":true}`)); err != nil {
			t.Fatal(err)
		}
		got := f.wait(id)
		if got.Status != store.StatusSucceeded || string(got.Output) != `{"confirmed":true}` {
			t.Errorf("ended %s %s", got.Status, got.Output)
		}
		checkInvariants(t, f.history(id), true)
		for name, call := range map[string]func() error{
			"second success": func() error { return f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{}`)) },
			"failure":        func() error { return f.eng.TaskFailure(f.ctx, tok, "E", "") },
			"heartbeat":      func() error { return f.eng.TaskHeartbeat(f.ctx, tok) },
			"unknown token":  func() error { return f.eng.TaskSuccess(f.ctx, tok+"x", json.RawMessage(`{}`)) },
			"garbage":        func() error { return f.eng.TaskSuccess(f.ctx, "garbage", json.RawMessage(`{}`)) },
		} {
			if err := call(); !errors.Is(err, interpreter.ErrTaskNotFound) {
				t.Errorf("%s after the end: %v, want ErrTaskNotFound", name, err)
			}
		}
	})

	t.Run("failure is caught", func(t *testing.T) {
		t.Parallel()
		f, id, tok := callback(t, "")
		if err := f.eng.TaskFailure(f.ctx, tok, "Restaurant.Closed", "closed on Mondays"); err != nil {
			t.Fatal(err)
		}
		got := f.wait(id)
		want := `{"order":1,"err":{"Error":"Restaurant.Closed","Cause":"closed on Mondays"},"refund":"refunded"}`
		if got.Status != store.StatusSucceeded || !jsonEqual(t, decode(t, got.Output), want) {
			t.Errorf("ended %s %s, want %s", got.Status, got.Output, want)
		}
	})

	t.Run("result over 256 KiB is refused", func(t *testing.T) {
		t.Parallel()
		f, id, tok := callback(t, "")
		big := json.RawMessage(`{"x":"` + strings.Repeat("a", 256*1024) + `"}`)
		if err := f.eng.TaskSuccess(f.ctx, tok, big); !errors.Is(err, interpreter.ErrPayloadTooLarge) {
			t.Fatalf("TaskSuccess with %d bytes: %v, want ErrPayloadTooLarge", len(big), err)
		}
		if rec, _ := f.store.GetExecution(f.ctx, id); rec.Status != store.StatusRunning {
			t.Errorf("a refused result changed the execution: %s", rec.Status)
		}
		if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{"small":1}`)); err != nil {
			t.Errorf("the token still works after a refused result: %v", err)
		}
		if got := f.wait(id); got.Status != store.StatusSucceeded {
			t.Errorf("ended %s", got.Status)
		}
	})

	t.Run("missed heartbeat", func(t *testing.T) {
		t.Parallel()
		f, id, tok := callback(t, `"HeartbeatSeconds":10,"TimeoutSeconds":100,`)
		rec, _ := f.store.GetExecution(f.ctx, id)
		if want := epoch.Add(10 * time.Second); !rec.DueAt.Equal(want) {
			t.Errorf("due at %v, want the heartbeat deadline %v", rec.DueAt, want)
		}
		f.clock.set(epoch.Add(8 * time.Second))
		if err := f.eng.TaskHeartbeat(f.ctx, tok); err != nil {
			t.Fatal(err)
		}
		rec, _ = f.store.GetExecution(f.ctx, id)
		if want := epoch.Add(18 * time.Second); !rec.DueAt.Equal(want) {
			t.Errorf("after a heartbeat due at %v, want %v", rec.DueAt, want)
		}
		f.clock.advanceTo(t, epoch.Add(18*time.Second))
		got := f.wait(id)
		if got.Status != store.StatusFailed || got.Error != failure.Timeout {
			t.Errorf("ended %s %q %q, want FAILED States.Timeout", got.Status, got.Error, got.Cause)
		}
		if err := f.eng.TaskSuccess(f.ctx, tok, json.RawMessage(`{}`)); !errors.Is(err, interpreter.ErrTaskNotFound) {
			t.Errorf("success after the timeout: %v, want ErrTaskNotFound", err)
		}
	})

	t.Run("task timeout", func(t *testing.T) {
		t.Parallel()
		f, id, _ := callback(t, `"TimeoutSeconds":30,`)
		f.clock.advanceTo(t, epoch.Add(30*time.Second))
		got := f.wait(id)
		if got.Status != store.StatusFailed || got.Error != failure.Timeout {
			t.Errorf("ended %s %q, want FAILED States.Timeout", got.Status, got.Error)
		}
		if n := count(f.history(id), "TaskTimedOut"); n != 1 {
			t.Errorf("%d TaskTimedOut", n)
		}
	})
}

func TestHTTPCallbackRequestFails(t *testing.T) {
	t.Parallel()
	svc := newService(t, 500)
	f := setup(t)
	f.put("sm", `{"StartAt":"Ask","States":{"Ask":{"Type":"Task","Resource":"http:invoke.waitForTaskToken",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"POST","RequestBody":{"token.$":"$$.Task.Token"}},"End":true}}}`)
	got := f.wait(f.start("sm", `{}`).ID)
	if got.Status != store.StatusFailed || got.Error != "States.Http.StatusCode.500" {
		t.Errorf("a callback request answered 500 ended %s %q, want States.Http.StatusCode.500", got.Status, got.Error)
	}
}

func decode(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var v any
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestHTTPIdempotencyKeysInMap(t *testing.T) {
	t.Parallel()
	svc := newService(t, 503, 200) // the first call of all fails once
	f := setup(t)
	f.put("sm", `{"StartAt":"Each","States":{"Each":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":1,"End":true,
		"Iterator":{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"http:invoke",
			"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"POST","RequestBody":{"item.$":"$"}},
			"Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1}],"ResultSelector":{"code.$":"$.StatusCode"},"End":true}}}}}}`)
	ex := f.start("sm", `{"items":[1,2,3,4]}`)
	got := f.drive(ex.ID)
	if got.Status != store.StatusSucceeded {
		t.Fatalf("ended %s %s %s", got.Status, got.Error, got.Cause)
	}
	h := f.history(ex.ID)
	want := scheduledKeys(ex.ID, h)
	var keys []string
	seen := map[string]bool{}
	for _, r := range svc.requests() {
		keys = append(keys, r.Key)
		if seen[r.Key] {
			t.Errorf("key %s sent twice", r.Key)
		}
		seen[r.Key] = true
	}
	if len(keys) != 5 {
		t.Errorf("%d calls, want 5 (4 items, one retry)", len(keys))
	}
	if diff := cmp.Diff(want, keys); diff != "" {
		t.Errorf("keys (-want +got):\n%s", diff)
	}
}

// TestHTTPReplayKeepsKey: a node dies while its call is in flight; the node
// that takes the execution over makes the call again with the same
// Idempotency-Key and traceparent, so the service can deduplicate it.
func TestHTTPReplayKeepsKey(t *testing.T) {
	t.Parallel()
	svc := newService(t, 200)
	svc.hold = make(chan struct{}) // the first call never answers
	st := memory.WithLeases(memory.New(), 16)
	ctx := context.Background()
	a, crashA := node(t, st, "A")
	if _, err := a.PutStateMachine(ctx, "sm", []byte(`{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"POST"},"ResultPath":null,"End":true}}}`), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	ex, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "sm", Name: "replay"})
	if err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(guard)
	for len(svc.requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	crashA()
	b, _ := node(t, st, "B")
	t.Cleanup(b.Stop)
	wctx, cancel := context.WithTimeout(ctx, guard)
	defer cancel()
	got, err := b.Wait(wctx, ex.ID)
	if err != nil || got.Status != store.StatusSucceeded {
		t.Fatalf("after the takeover: %v %+v", err, got)
	}
	reqs := svc.requests()
	if len(reqs) != 2 || reqs[0].Key != reqs[1].Key || reqs[0].Traceparent != reqs[1].Traceparent || reqs[0].Key != ex.ID+"/3" {
		t.Errorf("calls %+v: want two with the key %s/3 and one traceparent", reqs, ex.ID)
	}
	close(svc.hold)
}

// TestHTTPSecretsStayOutOfHistory: credentials of a connection reach the
// service but no event, output or error of the execution.
func TestHTTPSecretsStayOutOfHistory(t *testing.T) {
	t.Parallel()
	const secret = "s3cr3t-bearer-value"
	svc := newService(t, 200, 401)
	hc, err := httptask.New(httptask.Config{Connections: map[string]httptask.Connection{"pay": {BearerToken: secret, Endpoints: []string{"127.0.0.1"}}}})
	if err != nil {
		t.Fatal(err)
	}
	f := setup(t, func(c *interpreter.Config) { c.HTTP = hc })
	f.put("sm", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"POST","RequestBody":{"n":1},
			"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/pay/0b1c"}},
		"ResultPath":"$.first","Next":"Again"},
		"Again":{"Type":"Task","Resource":"http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"POST","Authentication":{"ConnectionArn":"pay"}},"End":true}}}`)
	ex := f.start("sm", `{}`)
	got := f.wait(ex.ID)
	if got.Status != store.StatusFailed || got.Error != "States.Http.StatusCode.401" {
		t.Fatalf("ended %s %q", got.Status, got.Error)
	}
	reqs := svc.requests()
	if len(reqs) != 2 || reqs[0].Auth != "Bearer "+secret {
		t.Fatalf("the service got %+v", reqs)
	}
	for _, e := range f.history(ex.ID) {
		if strings.Contains(string(e.Raw), secret) {
			t.Errorf("event %d %s holds the secret: %s", e.ID, e.Type, e.Raw)
		}
	}
	if strings.Contains(got.Cause+string(got.Output), secret) {
		t.Errorf("the execution's cause or output holds the secret")
	}

	// An unknown connection fails the state with States.Runtime.
	f.put("unknown", `{"StartAt":"Call","States":{"Call":{"Type":"Task","Resource":"http:invoke",
		"Parameters":{"ApiEndpoint":"`+svc.URL+`","Method":"GET","Authentication":{"ConnectionArn":"nope"}},"End":true}}}`)
	ex2, _, err := f.eng.StartExecution(f.ctx, interpreter.StartParams{StateMachine: "unknown", Name: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.wait(ex2.ID); got.Status != store.StatusFailed || got.Error != failure.Runtime || !strings.Contains(got.Cause, "nope") {
		t.Errorf("unknown connection ended %s %q %q", got.Status, got.Error, got.Cause)
	}
}
