package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/schedule"
)

// setupSchedules starts an engine, its scheduler and the API behind a
// real listener.
func setupSchedules(t *testing.T, tokens map[string]httpapi.Role) (*httptest.Server, *interpreter.Engine) {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: testStore(t)})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	sched := schedule.New(schedule.Config{Engine: engine, Starter: httpapi.ScheduleStarter(engine), Poll: 50 * time.Millisecond,
		Limits: schedule.Limits{MaxCatchup: 24 * time.Hour}})
	if err := sched.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, AuthTokens: tokens, Schedules: sched}))
	t.Cleanup(func() {
		srv.Close()
		sched.Stop()
		engine.Stop()
	})
	return srv, engine
}

// waitFor polls the API until cond holds (the schedule's runner works on
// its own); it fails the test after 10 seconds.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestSchedulesAPI(t *testing.T) {
	t.Parallel()
	srv, _ := setupSchedules(t, nil)
	put(t, srv, "chain", passChain)
	spec := map[string]any{"target": map[string]any{"stateMachine": "chain"}, "input": map[string]any{"a": 1},
		"expression": "cron(0 9 ? * MON-FRI *)", "timezone": "Europe/Oslo", "overlapPolicy": "SKIP", "description": "weekday mornings"}
	r := call(t, srv, http.MethodPut, "/v1/schedules/mornings", spec)
	if r.status != http.StatusCreated || r.header.Get("Location") != "/v1/schedules/mornings" {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	v := r.json(t)
	if v["name"] != "mornings" || v["timezone"] != "Europe/Oslo" || v["state"] != "ENABLED" || v["overlapPolicy"] != "SKIP" ||
		v["catchupWindowSeconds"] != float64(300) || v["nextFireAt"] == nil || v["paused"] != false {
		t.Errorf("created: %s", r.body)
	}
	next, _ := time.Parse(time.RFC3339, v["nextFireAt"].(string))
	if local := next.In(mustZone(t, "Europe/Oslo")); local.Hour() != 9 || local.Minute() != 0 || local.Weekday() == time.Saturday || local.Weekday() == time.Sunday {
		t.Errorf("next fire %s is not 09:00 on a weekday in Oslo", local)
	}
	if r = call(t, srv, http.MethodPut, "/v1/schedules/mornings", spec); r.status != http.StatusOK {
		t.Errorf("PUT again: %d %s", r.status, r.body)
	}
	if r = call(t, srv, http.MethodPut, "/v1/schedules/evenings", map[string]any{"target": map[string]any{"stateMachine": "chain"},
		"expression": "rate(1 day)", "state": "DISABLED"}); r.status != http.StatusCreated {
		t.Fatalf("PUT evenings: %d %s", r.status, r.body)
	}
	// Listing, a page at a time.
	r = call(t, srv, http.MethodGet, "/v1/schedules?limit=1", nil)
	page := r.json(t)
	if len(page["schedules"].([]any)) != 1 || page["nextCursor"] == nil ||
		page["schedules"].([]any)[0].(map[string]any)["name"] != "evenings" {
		t.Fatalf("first page: %s", r.body)
	}
	r = call(t, srv, http.MethodGet, "/v1/schedules?limit=1&cursor="+page["nextCursor"].(string), nil)
	if page = r.json(t); len(page["schedules"].([]any)) != 1 || page["nextCursor"] != nil ||
		page["schedules"].([]any)[0].(map[string]any)["name"] != "mornings" {
		t.Fatalf("second page: %s", r.body)
	}
	// Pause with a note, resume.
	r = call(t, srv, http.MethodPost, "/v1/schedules/mornings/pause", map[string]any{"note": "holiday week"})
	if v = r.json(t); r.status != http.StatusOK || v["paused"] != true || v["note"] != "holiday week" || v["pausedAt"] == nil {
		t.Errorf("pause: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodPost, "/v1/schedules/mornings/resume", nil)
	if v = r.json(t); r.status != http.StatusOK || v["paused"] != false || v["note"] != nil {
		t.Errorf("resume: %d %s", r.status, r.body)
	}
	// Trigger: queued, then started by the runner.
	r = call(t, srv, http.MethodPost, "/v1/schedules/mornings/trigger", nil)
	if r.status != http.StatusAccepted {
		t.Fatalf("trigger: %d %s", r.status, r.body)
	}
	ans := r.json(t)
	queued := ans["queued"].([]any)[0].(map[string]any)
	execName := queued["executionName"].(string)
	if queued["kind"] != "trigger" || !strings.HasPrefix(execName, "mornings-") || !strings.HasSuffix(execName, "M") {
		t.Errorf("trigger queued %v", queued)
	}
	if note, _ := ans["note"].(string); !strings.Contains(note, "overlap policy") {
		t.Errorf("the 202 does not say the overlap policy decides: %q", note)
	}
	waitFor(t, "the triggered execution", func() bool {
		return call(t, srv, http.MethodGet, "/v1/executions/chain:"+execName, nil).status == http.StatusOK
	})
	if ex := call(t, srv, http.MethodGet, "/v1/executions/chain:"+execName, nil).json(t); ex["input"].(map[string]any)["a"] != float64(1) {
		t.Errorf("execution: %v", ex)
	}
	waitFor(t, "the schedule to record its fire", func() bool {
		v := call(t, srv, http.MethodGet, "/v1/schedules/mornings", nil).json(t)
		rec, _ := v["recentExecutions"].([]any)
		return v["fired"] == float64(1) && len(rec) == 1 && rec[0].(map[string]any)["executionId"] == "chain:"+execName
	})
	// Backfill: two weekday mornings of the first week of 2025.
	r = call(t, srv, http.MethodPost, "/v1/schedules/mornings/backfill", map[string]any{"from": "2025-01-02T00:00:00Z", "to": "2025-01-03T23:00:00Z"})
	if r.status != http.StatusAccepted || len(r.json(t)["queued"].([]any)) != 2 {
		t.Fatalf("backfill: %d %s", r.status, r.body)
	}
	for _, name := range []string{"mornings-20250102T080000Z", "mornings-20250103T080000Z"} {
		waitFor(t, name, func() bool {
			return call(t, srv, http.MethodGet, "/v1/executions/chain:"+name, nil).status == http.StatusOK
		})
	}
	// Delete.
	if r = call(t, srv, http.MethodDelete, "/v1/schedules/mornings", nil); r.status != http.StatusNoContent {
		t.Errorf("DELETE: %d %s", r.status, r.body)
	}
	if r = call(t, srv, http.MethodDelete, "/v1/schedules/mornings", nil); r.status != http.StatusNotFound {
		t.Errorf("DELETE again: %d %s", r.status, r.body)
	}
}

func TestSchedulesAPIRefusals(t *testing.T) {
	t.Parallel()
	srv, _ := setupSchedules(t, nil)
	put(t, srv, "chain", passChain)
	call(t, srv, http.MethodPut, "/v1/schedules/s", map[string]any{"target": map[string]any{"stateMachine": "chain"}, "expression": "rate(1 hour)"})
	tests := []struct {
		name, method, path string
		body               any
		status             int
		code, msg          string
		paths              []string
	}{
		{"every problem at once", "PUT", "/v1/schedules/x", map[string]any{"target": map[string]any{"stateMachine": "chain"},
			"expression": "cron(0 25 * * ? *)", "timezone": "Nowhere/Land", "overlapPolicy": "QUEUE"}, 400, "ValidationError",
			`/timezone: "Nowhere/Land" is not an IANA time zone name (as America/New_York, Europe/Oslo or UTC) (and 2 more problems)`, []string{"/timezone", "/expression", "/overlapPolicy"}},
		{"unknown state machine", "PUT", "/v1/schedules/x", map[string]any{"target": map[string]any{"stateMachine": "nope"}, "expression": "rate(1 hour)"},
			400, "ValidationError", "no state machine nope", []string{"/target"}},
		{"unknown alias", "PUT", "/v1/schedules/x", map[string]any{"target": map[string]any{"stateMachine": "chain", "alias": "live"}, "expression": "rate(1 hour)"},
			400, "ValidationError", "live", []string{"/target"}},
		{"unknown field", "PUT", "/v1/schedules/x", `{"target":{"stateMachine":"chain"},"expression":"rate(1 hour)","cron":"x"}`, 400, "InvalidInput", `unknown field "cron"`, nil},
		{"name too long", "PUT", "/v1/schedules/" + strings.Repeat("n", 64), map[string]any{}, 400, "InvalidInput", "1-63 characters", nil},
		{"not JSON", "PUT", "/v1/schedules/x", "{", 400, "InvalidInput", "malformed JSON", nil},
		{"too large", "PUT", "/v1/schedules/x", `{"input":"` + strings.Repeat("a", 400*1024) + `"}`, 413, "PayloadTooLarge", "exceeds", nil},
		{"no such schedule", "GET", "/v1/schedules/none", nil, 404, "NotFound", "no schedule none", nil},
		{"pause no such", "POST", "/v1/schedules/none/pause", nil, 404, "NotFound", "no schedule none", nil},
		{"backfill without range", "POST", "/v1/schedules/s/backfill", map[string]any{"from": "2025-01-01T00:00:00Z"}, 400, "InvalidInput", `needs "from" and "to"`, nil},
		{"backfill backwards", "POST", "/v1/schedules/s/backfill", map[string]any{"from": "2025-01-02T00:00:00Z", "to": "2025-01-01T00:00:00Z"}, 400, "InvalidInput", "is not after", nil},
		{"backfill too long", "POST", "/v1/schedules/s/backfill", map[string]any{"from": "2020-01-01T00:00:00Z", "to": "2021-01-01T00:00:00Z"}, 400, "InvalidInput", "more than 1000 slots", nil},
		{"bad cursor", "GET", "/v1/schedules?cursor=!!!", nil, 400, "InvalidInput", "cursor", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := call(t, srv, tt.method, tt.path, tt.body)
			if r.status != tt.status {
				t.Fatalf("%d %s, want %d", r.status, r.body, tt.status)
			}
			e := r.json(t)
			if e["error"] != tt.code || !strings.Contains(e["message"].(string), tt.msg) {
				t.Errorf("%s: want %s containing %q", r.body, tt.code, tt.msg)
			}
			if tt.paths != nil {
				var got []string
				for _, d := range e["details"].([]any) {
					got = append(got, d.(map[string]any)["path"].(string))
				}
				if strings.Join(got, " ") != strings.Join(tt.paths, " ") {
					t.Errorf("detail paths %v, want %v", got, tt.paths)
				}
			}
		})
	}
}

// TestScheduleThroughAlias: a schedule's target may be an alias, resolved
// as a start through the API resolves it; an EXPRESS state machine is
// refused.
func TestScheduleThroughAlias(t *testing.T) {
	t.Parallel()
	srv, eng := setupSchedules(t, nil)
	put(t, srv, "chain", passChain)
	if r := call(t, srv, http.MethodPost, "/v1/state-machines/chain/publish", nil); r.status != http.StatusCreated && r.status != http.StatusOK {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	if r := call(t, srv, http.MethodPut, "/v1/state-machines/chain/aliases/live", map[string]any{"routing": []any{map[string]any{"version": 1, "weight": 100}}}); r.status != http.StatusCreated {
		t.Fatalf("alias: %d %s", r.status, r.body)
	}
	r := call(t, srv, http.MethodPut, "/v1/schedules/live", map[string]any{"target": map[string]any{"stateMachine": "chain", "alias": "live"}, "expression": "rate(1 day)"})
	if r.status != http.StatusCreated {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	// A rate without a start date fires at once.
	waitFor(t, "the first fire", func() bool {
		v := call(t, srv, http.MethodGet, "/v1/schedules/live", nil).json(t)
		return v["fired"] == float64(1)
	})
	id := call(t, srv, http.MethodGet, "/v1/schedules/live", nil).json(t)["recentExecutions"].([]any)[0].(map[string]any)["executionId"].(string)
	if ex := call(t, srv, http.MethodGet, "/v1/executions/"+id, nil).json(t); ex["alias"] != "live" || ex["publishedVersion"] != float64(1) {
		t.Errorf("the execution does not show it ran through the alias: %v", ex)
	}
	put(t, srv, "fast", passChain)
	if _, err := awsmeta.New(eng.Store()).UpdateMachine(context.Background(), "fast", func(mc *awsmeta.Machine) error {
		mc.Type = awsmeta.Express
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	r = call(t, srv, http.MethodPut, "/v1/schedules/fast", map[string]any{"target": map[string]any{"stateMachine": "fast"}, "expression": "rate(1 day)"})
	if r.status != http.StatusBadRequest || !strings.Contains(string(r.body), "EXPRESS") {
		t.Errorf("an EXPRESS target: %d %s", r.status, r.body)
	}
}

func TestSchedulesNeedAdmin(t *testing.T) {
	t.Parallel()
	srv, _ := setupSchedules(t, map[string]httpapi.Role{"a": httpapi.RoleAdmin, "o": httpapi.RoleOperator, "r": httpapi.RoleReader})
	for _, route := range []struct{ method, path string }{
		{"GET", "/v1/schedules"}, {"PUT", "/v1/schedules/x"}, {"GET", "/v1/schedules/x"}, {"DELETE", "/v1/schedules/x"},
		{"POST", "/v1/schedules/x/pause"}, {"POST", "/v1/schedules/x/resume"}, {"POST", "/v1/schedules/x/trigger"}, {"POST", "/v1/schedules/x/backfill"},
	} {
		for tok, want := range map[string]int{"o": http.StatusForbidden, "r": http.StatusForbidden, "": http.StatusUnauthorized} {
			h := []string{}
			if tok != "" {
				h = []string{"Authorization", "Bearer " + tok}
			}
			if r := call(t, srv, route.method, route.path, nil, h...); r.status != want {
				t.Errorf("%s %s with token %q: %d, want %d", route.method, route.path, tok, r.status, want)
			}
		}
		if r := call(t, srv, route.method, route.path, nil, "Authorization", "Bearer a"); r.status == http.StatusForbidden || r.status == http.StatusUnauthorized {
			t.Errorf("%s %s as admin: %d", route.method, route.path, r.status)
		}
	}
}

func TestSchedulesOffWithoutScheduler(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	r := call(t, srv, http.MethodGet, "/v1/schedules", nil)
	if r.status != http.StatusNotFound || !strings.Contains(string(r.body), "runs no schedules") {
		t.Errorf("%d %s", r.status, r.body)
	}
}

// TestScheduleAnswersMatchOpenAPI validates the schedule routes' real
// answers against the OpenAPI document.
func TestScheduleAnswersMatchOpenAPI(t *testing.T) {
	t.Parallel()
	srv, _ := setupSchedules(t, nil)
	put(t, srv, "chain", passChain)
	steps := []docStep{
		{"PUT", "/v1/schedules/s", `{"target":{"stateMachine":"chain"},"expression":"cron(0/5 * * * ? *)","input":{"a":1},"startDate":"2025-01-01T00:00:00Z","flexibleTimeWindow":{"mode":"FLEXIBLE","maximumWindowInMinutes":3}}`, "application/json"},
		{"PUT", "/v1/schedules/s", `{"target":{"stateMachine":"chain","version":1},"expression":"cron(0/5 * * * ? *)","endDate":"2099-01-01T00:00:00Z"}`, "application/json"},
		{"PUT", "/v1/schedules/bad", `{"target":{"stateMachine":"chain"},"expression":"cron(0 0 * * * *)"}`, "application/json"},
		{"GET", "/v1/schedules", "", ""},
		{"GET", "/v1/schedules?limit=1", "", ""},
		{"GET", "/v1/schedules/s", "", ""},
		{"GET", "/v1/schedules/none", "", ""},
		{"POST", "/v1/schedules/s/pause", `{"note":"n"}`, "application/json"},
		{"POST", "/v1/schedules/s/resume", "", ""},
		{"POST", "/v1/schedules/s/trigger", "", ""},
		{"POST", "/v1/schedules/s/backfill", `{"from":"2025-01-01T00:00:00Z","to":"2025-01-01T00:20:00Z"}`, "application/json"},
		{"POST", "/v1/schedules/s/backfill", `{"from":"2025-01-01T00:00:00Z"}`, "application/json"},
		{"DELETE", "/v1/schedules/s", "", ""},
		{"DELETE", "/v1/schedules/s", "", ""},
	}
	checkAnswersAgainstDoc(t, srv, steps)
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}
