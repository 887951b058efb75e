package notify_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

const secret = "a-secret-of-32-characters-long!!"

// An endpoint that is down for a while gets every event once it is back:
// retried with back-off (on a clock the test moves), each execution's in
// order, signed.
func TestDeliveredAfterEndpointWasDown(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		rcv := newReceiver(t)
		rcv.status.Store(http.StatusServiceUnavailable)
		clock := newClock()
		eng := node(t, st, "n1", nil)
		svc := service(t, eng, clock, func(c *notify.Config) { c.Parallel = 4 })
		put(t, svc, notify.Spec{Name: "orders", URL: rcv.srv.URL + "/hook", Secret: strp(secret)})
		names := []string{"a", "b", "c"}
		for _, n := range names {
			run(t, eng, "ok", n)
		}
		// Down: the first events fail, then wait on the clock; four more
		// rounds of failures, with longer back-offs.
		for range 5 {
			clock.waitWaiting(t, 1)
			clock.Advance(time.Hour)
		}
		if n := rcv.count.Load(); n < 5 {
			t.Fatalf("%d attempts while down, want at least 5", n)
		}
		rcv.status.Store(http.StatusOK)
		stop := clock.keepAdvancing(time.Hour)
		defer stop()
		got := rcv.accepted(t, 2*len(names))
		byExec := map[string][]string{}
		ids := map[string]bool{}
		for _, d := range got {
			ts := d.header.Get(notify.HeaderTimestamp)
			sec, _ := strconv.ParseInt(ts, 10, 64)
			signedAt := time.Unix(sec, 0) // the clock moved on since, by hours
			if err := notify.Verify(secret, d.header.Get(notify.HeaderSignature), ts, d.body, signedAt, 5*time.Minute); err != nil {
				t.Errorf("signature: %v", err)
			}
			if err := notify.Verify("another-secret-of-enough-length", d.header.Get(notify.HeaderSignature), ts, d.body, signedAt, 5*time.Minute); !errors.Is(err, notify.ErrBadSignature) {
				t.Errorf("a wrong secret verified: %v", err)
			}
			ev := decodeEvent(t, d.body)
			if d.header.Get(notify.HeaderEventID) != ev.ID || d.header.Get("Idempotency-Key") != ev.ID {
				t.Errorf("headers name event %q / %q, body %q", d.header.Get(notify.HeaderEventID), d.header.Get("Idempotency-Key"), ev.ID)
			}
			if ct := d.header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type %q", ct)
			}
			if ids[ev.ID] {
				t.Errorf("event %s delivered twice after the endpoint came back", ev.ID)
			}
			ids[ev.ID] = true
			byExec[ev.Detail.Name] = append(byExec[ev.Detail.Name], ev.Detail.Status)
		}
		for _, n := range names {
			if d := cmp.Diff([]string{"RUNNING", "SUCCEEDED"}, byExec[n]); d != "" {
				t.Errorf("execution %s's events in order (-want +got):\n%s", n, d)
			}
		}
		del := caughtUp(t, svc, "orders")
		if del.Delivered != int64(2*len(names)) || del.DeadLetters != 0 {
			t.Errorf("delivery %+v: want %d delivered, no dead letters", del, 2*len(names))
		}
	})
}

// The event is AWS's, field by field.
func TestEventShape(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	st := memStore()
	eng := node(t, st, "n1", nil)
	svc := service(t, eng, newClock(), nil)
	put(t, svc, notify.Spec{Name: "all", URL: rcv.srv.URL})
	ok := run(t, eng, "ok", "good")
	bad := run(t, eng, "bad", "broken")
	space := arn.DefaultSpace
	events := map[string]notify.Event{}
	for _, d := range rcv.accepted(t, 4) {
		ev := decodeEvent(t, d.body)
		events[ev.Detail.Name+" "+ev.Detail.Status] = ev
		var raw map[string]any
		if err := json.Unmarshal(d.body, &raw); err != nil {
			t.Fatal(err)
		}
		detail := raw["detail"].(map[string]any)
		for _, k := range []string{"executionArn", "stateMachineArn", "name", "status", "startDate", "stopDate", "input", "output", "inputDetails", "outputDetails", "error", "cause"} {
			if _, ok := detail[k]; !ok {
				t.Errorf("%s %s: detail has no %q", ev.Detail.Name, ev.Detail.Status, k)
			}
		}
	}
	i64 := func(t time.Time) *int64 { v := t.UnixMilli(); return &v }
	s := func(v string) *string { return &v }
	want := map[string]notify.Detail{
		"good RUNNING": {ExecutionArn: space.ExecutionOfID(ok.ID), StateMachineArn: space.StateMachine("ok"), Name: "good", Status: "RUNNING",
			StartDate: ok.StartedAt.UnixMilli(), Input: s(`{"n":"good"}`), InputDetails: &notify.DataDetails{Included: true}},
		"good SUCCEEDED": {ExecutionArn: space.ExecutionOfID(ok.ID), StateMachineArn: space.StateMachine("ok"), Name: "good", Status: "SUCCEEDED",
			StartDate: ok.StartedAt.UnixMilli(), StopDate: i64(ok.StoppedAt), Input: s(`{"n":"good"}`), Output: s(`{"done":true}`),
			InputDetails: &notify.DataDetails{Included: true}, OutputDetails: &notify.DataDetails{Included: true}},
		"broken FAILED": {ExecutionArn: space.ExecutionOfID(bad.ID), StateMachineArn: space.StateMachine("bad"), Name: "broken", Status: "FAILED",
			StartDate: bad.StartedAt.UnixMilli(), StopDate: i64(bad.StoppedAt), Input: s(`{"n":"broken"}`),
			InputDetails: &notify.DataDetails{Included: true}, OutputDetails: &notify.DataDetails{Included: false},
			Error: s(bad.Error), Cause: s(bad.Cause)},
	}
	for k, w := range want {
		ev, found := events[k]
		if !found {
			t.Errorf("no %s event among %v", k, events)
			continue
		}
		if d := cmp.Diff(w, ev.Detail); d != "" {
			t.Errorf("%s detail (-want +got):\n%s", k, d)
		}
		if ev.Version != "0" || ev.DetailType != notify.DetailType || ev.Source != "aws.states" || ev.Account != space.Account ||
			ev.Region != space.Region || len(ev.Resources) != 1 || ev.Resources[0] != w.ExecutionArn {
			t.Errorf("%s envelope %+v", k, ev)
		}
		if _, err := time.Parse("2006-01-02T15:04:05Z", ev.Time); err != nil {
			t.Errorf("%s time %q: %v", k, ev.Time, err)
		}
	}
	if bad.Error == "" {
		t.Error("the failed execution has no error")
	}
}

// Filters: by status and state machine, and the cursor moves past what
// they leave out.
func TestFilters(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		failures, endsOfOk := newReceiver(t), newReceiver(t)
		eng := node(t, st, "n1", nil)
		svc := service(t, eng, newClock(), nil)
		put(t, svc, notify.Spec{Name: "failures", URL: failures.srv.URL, Statuses: []string{"FAILED", "TIMED_OUT"}})
		put(t, svc, notify.Spec{Name: "ok-ends", URL: endsOfOk.srv.URL, StateMachines: []string{"ok"}, Statuses: []string{"SUCCEEDED"}})
		run(t, eng, "ok", "x1")
		run(t, eng, "bad", "x2")
		run(t, eng, "other", "x3")
		caughtUp(t, svc, "failures")
		caughtUp(t, svc, "ok-ends")
		check := func(r *receiver, want []string) {
			t.Helper()
			var got []string
			for len(r.got) > 0 {
				ev := decodeEvent(t, (<-r.got).body)
				got = append(got, ev.Detail.Name+" "+ev.Detail.Status)
			}
			if d := cmp.Diff(want, got); d != "" {
				t.Errorf("delivered (-want +got):\n%s", d)
			}
		}
		check(failures, []string{"x2 FAILED"})
		check(endsOfOk, []string{"x1 SUCCEEDED"})
	})
}

// Given up after RetryFor: dead letters, listed and delivered again; an
// answer that says "never" (a 4xx) is a dead letter at once.
func TestDeadLettersAndRedelivery(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		rcv := newReceiver(t)
		rcv.status.Store(http.StatusInternalServerError)
		clock := newClock()
		eng := node(t, st, "n1", nil)
		svc := service(t, eng, clock, func(c *notify.Config) { c.RetryFor = 2 * time.Hour })
		ctx := context.Background()
		put(t, svc, notify.Spec{Name: "flaky", URL: rcv.srv.URL, Statuses: []string{"SUCCEEDED"}})
		run(t, eng, "ok", "d1")
		// Attempts at 0, 30 min, 1 h, 1 h 30 and 2 h: tried again; at
		// 2 h 30 (more than 2 h after the change): given up.
		for range 5 {
			clock.waitWaiting(t, 1)
			clock.Advance(30 * time.Minute)
		}
		del := caughtUp(t, svc, "flaky")
		if del.DeadLetters != 1 || del.Delivered != 0 || !strings.Contains(del.LastError, "500") {
			t.Fatalf("delivery %+v: want one dead letter, the last error a 500", del)
		}
		letters, _, err := svc.DeadLetters(ctx, "flaky", "", 10)
		if err != nil || len(letters) != 1 {
			t.Fatalf("dead letters %v, %v", letters, err)
		}
		l := letters[0]
		if l.ExecutionID != "ok:d1" || l.Status != "SUCCEEDED" || l.Attempts < 3 || !strings.Contains(l.LastError, "500") {
			t.Errorf("dead letter %+v", l)
		}
		// Still failing: it stays, one attempt more.
		res, err := svc.Redeliver(ctx, "flaky", nil)
		if err != nil || len(res.Failed) != 1 || len(res.Redelivered) != 0 {
			t.Fatalf("redeliver while down: %+v, %v", res, err)
		}
		rcv.status.Store(http.StatusOK)
		for len(rcv.got) > 0 {
			<-rcv.got
		}
		res, err = svc.Redeliver(ctx, "flaky", []string{l.ID, "0000000000000-missing"})
		if err != nil || len(res.Redelivered) != 1 || res.Redelivered[0] != l.ID || len(res.NotFound) != 1 {
			t.Fatalf("redeliver: %+v, %v", res, err)
		}
		ev := decodeEvent(t, rcv.next(t).body)
		if ev.ID != l.EventID || ev.Detail.Status != "SUCCEEDED" || ev.Detail.Output == nil {
			t.Errorf("redelivered %+v, want event %s with its output", ev, l.EventID)
		}
		if letters, _, _ := svc.DeadLetters(ctx, "flaky", "", 10); len(letters) != 0 {
			t.Errorf("dead letters after redelivery: %v", letters)
		}
		// A 400 is final: a dead letter without waiting.
		rcv.status.Store(http.StatusBadRequest)
		run(t, eng, "ok", "d2")
		del = caughtUp(t, svc, "flaky")
		if del.DeadLetters != 1 {
			t.Errorf("after a 400: %+v, want one dead letter", del)
		}
	})
}

// A webhook goes through the HTTP tasks' client: a destination the
// allow-list refuses is never called, and the event is a dead letter at once.
func TestAllowListRefusesWebhook(t *testing.T) {
	t.Parallel()
	rcv := newReceiver(t)
	httpc, err := httptask.New(httptask.Config{Allow: []string{"hooks.example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	eng := node(t, memStore(), "n1", httpc)
	svc := service(t, eng, newClock(), nil)
	put(t, svc, notify.Spec{Name: "forbidden", URL: rcv.srv.URL})
	run(t, eng, "ok", "r1")
	del := caughtUp(t, svc, "forbidden")
	if del.DeadLetters != 2 || !strings.Contains(del.LastError, "not in --http-allow") {
		t.Errorf("delivery %+v: want two dead letters refused by the allow-list", del)
	}
	if n := rcv.count.Load(); n != 0 {
		t.Errorf("the forbidden endpoint was called %d times", n)
	}
}

// Written by the commit, delivered by another node: node A runs the
// executions and goes away without delivering anything; node B, on the
// same Redis, takes the partitions over and delivers every event.
func TestDeliveredByAnotherNode(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		shared := memory.WithLeases(memory.New(), 16)
		deliveredByAnotherNode(t, func() store.Store { return shared })
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		url := redistestURL(t)
		deliveredByAnotherNode(t, func() store.Store { return redisStore(t, url) })
	})
}

func deliveredByAnotherNode(t *testing.T, open func() store.Store) {
	rcv := newReceiver(t)
	a := node(t, open(), "A", nil)
	// A has the endpoint but no delivery running: it stands for a node
	// that stops right after its commits.
	svcA, err := notify.New(notify.Config{Engine: a})
	if err != nil {
		t.Fatal(err)
	}
	put(t, svcA, notify.Spec{Name: "hook", URL: rcv.srv.URL})
	run(t, a, "ok", "n1")
	run(t, a, "bad", "n2")
	a.Stop()
	b := node(t, open(), "B", nil)
	service(t, b, newClock(), nil)
	got := map[string]bool{}
	for _, d := range rcv.accepted(t, 4) {
		ev := decodeEvent(t, d.body)
		got[ev.Detail.Name+" "+ev.Detail.Status] = true
	}
	for _, w := range []string{"n1 RUNNING", "n1 SUCCEEDED", "n2 RUNNING", "n2 FAILED"} {
		if !got[w] {
			t.Errorf("no %s among %v", w, got)
		}
	}
}

func TestSpecRefusals(t *testing.T) {
	t.Parallel()
	eng := node(t, memStore(), "n1", nil)
	svc, err := notify.New(notify.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		spec  notify.Spec
		field string
	}{
		{notify.Spec{Name: "bad name!", URL: "https://x.example"}, "name"},
		{notify.Spec{Name: "a", URL: ""}, "url"},
		{notify.Spec{Name: "a", URL: "ftp://x.example"}, "url"},
		{notify.Spec{Name: "a", URL: "https://user:pw@x.example"}, "url"},
		{notify.Spec{Name: "a", URL: "https://x.example", Statuses: []string{"DONE"}}, "statuses[0]"},
		{notify.Spec{Name: "a", URL: "https://x.example", StateMachines: []string{"ok", "no/slash"}}, "stateMachines[1]"},
		{notify.Spec{Name: "a", URL: "https://x.example", Secret: strp("short")}, "secret"},
	} {
		_, _, err := svc.PutEndpoint(context.Background(), c.spec)
		var ve *notify.ValidationError
		if !errors.As(err, &ve) || ve.Field != c.field {
			t.Errorf("%+v: error %v, want a ValidationError on %s", c.spec, err, c.field)
		}
	}
}

// A reader refuses what a newer release wrote rather than guess.
func TestNewerFormatsRefused(t *testing.T) {
	t.Parallel()
	if _, err := interpreter.DecodeStatusChange([]byte(`{"v":2,"id":"x"}`)); err == nil {
		t.Error("a change log entry of format 2 was read")
	}
	if _, err := interpreter.DecodeStatusChange([]byte(`{"v":1,"id":"x","status":"RUNNING"}`)); err != nil {
		t.Errorf("format 1: %v", err)
	}
	st := memStore()
	eng := node(t, st, "n1", nil)
	svc, err := notify.New(notify.Config{Engine: eng})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, err := st.PutDoc(ctx, store.Doc{Kind: "webhook", Name: "future", Data: []byte(`{"v":2,"url":"https://x.example","enabled":true}`)}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := svc.Endpoint(ctx, "future"); err == nil || !strings.Contains(err.Error(), "newer format") {
		t.Errorf("an endpoint of format 2: %v", err)
	}
	if _, _, err := svc.PutEndpoint(ctx, notify.Spec{Name: "future", URL: "https://y.example"}); err == nil {
		t.Error("an endpoint of format 2 was rewritten")
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"x"}`)
	now := time.Unix(1_700_000_000, 0)
	sig := notify.Sign(secret, now.Unix(), body)
	ts := "1700000000"
	cases := []struct {
		name          string
		sig, ts, body string
		at            time.Time
		want          error
	}{
		{"valid", sig, ts, string(body), now, nil},
		{"among several", "v0=abc, " + sig, ts, string(body), now, nil},
		{"body changed", sig, ts, `{"id":"y"}`, now, notify.ErrBadSignature},
		{"timestamp changed", sig, "1700000001", string(body), now, notify.ErrBadSignature},
		{"too old", sig, ts, string(body), now.Add(10 * time.Minute), notify.ErrStale},
		{"no v1", "v0=abc", ts, string(body), now, notify.ErrNoSignature},
	}
	for _, c := range cases {
		if err := notify.Verify(secret, c.sig, c.ts, []byte(c.body), c.at, 5*time.Minute); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", c.name, err, c.want)
		}
	}
}

// A PUT that fixes an endpoint's URL while its events are being retried
// applies from the next attempt: the events reach the new URL, not dead
// letters hours later.
func TestURLFixedDuringRetries(t *testing.T) {
	t.Parallel()
	stores(t, func(t *testing.T, st store.Store) {
		wrong, right := newReceiver(t), newReceiver(t)
		wrong.status.Store(http.StatusServiceUnavailable)
		clock := newClock()
		eng := node(t, st, "n1", nil)
		svc := service(t, eng, clock, nil)
		put(t, svc, notify.Spec{Name: "orders", URL: wrong.srv.URL + "/hook", Secret: strp(secret)})
		run(t, eng, "ok", "a")
		clock.waitWaiting(t, 1) // the first attempt failed; the retry waits
		put(t, svc, notify.Spec{Name: "orders", URL: right.srv.URL + "/hook"})
		stop := clock.keepAdvancing(time.Minute)
		defer stop()
		got := right.accepted(t, 2)
		var statuses []string
		for _, d := range got {
			statuses = append(statuses, decodeEvent(t, d.body).Detail.Status)
		}
		if diff := cmp.Diff([]string{"RUNNING", "SUCCEEDED"}, statuses); diff != "" {
			t.Errorf("the fixed URL's events (-want +got):\n%s", diff)
		}
		if del := caughtUp(t, svc, "orders"); del.DeadLetters != 0 {
			t.Errorf("%d dead letters: the events went to the new URL", del.DeadLetters)
		}
	})
}
