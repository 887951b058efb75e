package ui_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/notify"
	"github.com/sfn-project/sfn/interpreter/schedule"
	"github.com/sfn-project/sfn/store/memory"
)

// opsServer is a real engine with its scheduler and notification service
// behind the API; script, when given, is served as the harness of
// /ui/harness.html.
func opsServer(t *testing.T, script string) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(engine.Stop)
	sched := schedule.New(schedule.Config{Engine: engine, Starter: httpapi.ScheduleStarter(engine), Poll: 50 * time.Millisecond,
		Limits: schedule.Limits{MaxCatchup: 24 * time.Hour}})
	if err := sched.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(sched.Stop)
	svc, err := notify.New(notify.Config{Engine: engine, Rescan: 50 * time.Millisecond, Poll: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if err := svc.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Stop)
	return withHarness(t, httpapi.New(httpapi.Config{Engine: engine, Schedules: sched, Notifications: svc}), script)
}

// harnessSteps runs body in the console's page once it has loaded: out
// (<section id="harness">), until(f) (polls f until it gives something)
// and record(name, element) (a copy of element, in a <div data-step>)
// are in scope. out gets data-done="yes" when body ends, data-failed
// with the error when it throws.
func harnessSteps(consts map[string]string, body string) string {
	var b strings.Builder
	b.WriteString("'use strict';\n")
	for k, v := range consts {
		data, _ := json.Marshal(v)
		b.WriteString("const " + k + " = " + string(data) + ";\n")
	}
	b.WriteString(`(async () => {
  const out = document.createElement('section');
  out.id = 'harness';
  document.body.appendChild(out);
  const pause = () => new Promise((r) => setTimeout(r, 20));
  async function until(f) {
    for (let i = 0; i < 500; i++) { const v = f(); if (v) return v; await pause(); }
    throw new Error('timed out waiting for ' + f);
  }
  const $ = (sel) => document.getElementById('main').querySelector(sel); // not the copies in out
  function record(name, el) {
    const copy = document.createElement('div');
    copy.setAttribute('data-step', name);
    copy.appendChild(el.cloneNode(true));
    out.appendChild(copy);
  }
  try {
`)
	b.WriteString(body)
	b.WriteString(`
    out.setAttribute('data-done', 'yes');
  } catch (err) {
    out.setAttribute('data-failed', String(err));
  }
})();
`)
	return b.String()
}

// steps cuts the harness's copies out of a DOM dump, by step name.
func steps(t *testing.T, dom string) map[string]string {
	t.Helper()
	if !strings.Contains(dom, `data-done="yes"`) {
		t.Fatalf("the harness did not finish:\n%s", dom)
	}
	out := map[string]string{}
	_, shown, _ := strings.Cut(dom, `id="harness"`)
	for _, part := range strings.Split(shown, `<div data-step="`)[1:] {
		name, rest, _ := strings.Cut(part, `"`)
		out[name] = rest
	}
	return out
}

// contains reports each of wants missing from got, and then got.
func contains(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	missing := false
	for _, w := range wants {
		if !strings.Contains(got, w) {
			t.Errorf("%s lacks %s", what, w)
			missing = true
		}
	}
	if missing {
		t.Logf("%s:\n%s", what, got)
	}
}

// consoleTime is a time of the API as the console prints it.
func consoleTime(s string) string {
	return strings.TrimSuffix(strings.Replace(s, "T", " ", 1), "Z")
}

// The console's schedule pages: a schedule created through the API is
// triggered, backfilled (once refused) and paused with a note through
// its page's controls; the list and the page show its next fire time,
// status and note, and link the executions it started; a second
// schedule is deleted from its page.
func TestConsoleSchedulesInChromium(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	const note = "quarter close: hold the reports"
	script := harnessSteps(map[string]string{"NOTE": note}, `
    const hash = location.hash;
    if (hash === '#/schedule/report') {
      (await until(() => $('button.trigger'))).click();
      record('triggered', await until(() => $('.queued-note')));
      const bf = $('form.backfill-form');
      bf.elements.from.value = '2024-01-03T00:00:00Z';
      bf.elements.to.value = '2024-01-01T00:00:00Z';
      bf.querySelector('button[type=submit]').click();
      record('refused', await until(() => $('.action-error') && $('.action-result')));
      bf.elements.from.value = '2024-01-01T00:00:00Z';
      bf.elements.to.value = '2024-01-02T12:00:00Z';
      bf.querySelector('button[type=submit]').click();
      record('backfilled', await until(() => $('.queued-note')));
      const pf = $('form.pause-form');
      pf.elements.note.value = NOTE;
      pf.querySelector('button[type=submit]').click();
      await until(() => $('.exec-head .b-paused'));
      record('paused', $('.exec-head'));
    } else {
      window.confirm = () => true;
      (await until(() => $('button.delete'))).click();
      await until(() => location.hash === '#/schedules' && $('table.schedules'));
      record('deleted', document.getElementById('main'));
    }`)
	srv := opsServer(t, script)
	if status, body, _ := do(t, srv, http.MethodPut, "/v1/state-machines/reports", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`); status >= 300 {
		t.Fatalf("PUT state machine: %d %s", status, body)
	}
	for name, spec := range map[string]string{
		"report":  `{"target":{"stateMachine":"reports"},"expression":"cron(0 3 * * ? *)","timezone":"Europe/Oslo","input":{"kind":"daily"},"description":"the daily report"}`,
		"scratch": `{"target":{"stateMachine":"reports","version":1},"expression":"rate(5 minutes)","overlapPolicy":"SKIP"}`,
	} {
		if status, body, _ := do(t, srv, http.MethodPut, "/v1/schedules/"+name, spec); status != http.StatusCreated {
			t.Fatalf("PUT schedule %s: %d %s", name, status, body)
		}
	}

	got := steps(t, browse(t, bin, srv.URL+"/ui/harness.html#/schedule/report", "--dump-dom"))
	contains(t, "the trigger's note", got["triggered"], "Queued slot report-")
	contains(t, "the refused backfill", got["refused"], `class="exec-error action-error"`, "InvalidInput", "is not after from")
	contains(t, "the backfill's note", got["backfilled"], "Queued 2 slots: report-20240101T020000Z, report-20240102T020000Z")
	contains(t, "the paused head", got["paused"], `class="badge b-paused">PAUSED<`, `<span class="note">`+note+`</span>`, "Resume")
	if strings.Contains(got["paused"], "queued-note") {
		t.Errorf("pausing notes queued slots:\n%s", got["paused"])
	}

	// The runner starts the three slots; the API says it is paused.
	var v struct {
		Paused           bool
		Note             string
		NextFireAt       string
		RecentExecutions []struct{ ExecutionID, Kind string }
	}
	untilJSON(t, srv, "/v1/schedules/report", &v, func() bool { return len(v.RecentExecutions) == 3 })
	if !v.Paused || v.Note != note || v.NextFireAt == "" {
		t.Fatalf("schedule after the console paused it: %+v", v)
	}
	// The same slots again find their executions.
	if status, body, _ := do(t, srv, http.MethodPost, "/v1/schedules/report/backfill", `{"from":"2024-01-01T00:00:00Z","to":"2024-01-02T12:00:00Z"}`); status != http.StatusAccepted {
		t.Fatalf("backfill again: %d %s", status, body)
	}
	untilJSON(t, srv, "/v1/schedules/report", &v, func() bool { return len(v.RecentExecutions) == 5 })
	links := []string{}
	for _, r := range v.RecentExecutions {
		links = append(links, `href="#/exec/`+r.ExecutionID+`"`)
	}
	contains(t, "the schedule's links", strings.Join(links, " "), `href="#/exec/reports:report-20240101T020000Z"`, `href="#/exec/reports:report-20240102T020000Z"`)

	next, err := time.Parse(time.RFC3339, v.NextFireAt)
	if err != nil {
		t.Fatal(err)
	}
	oslo, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		t.Fatal(err)
	}
	local := `<span class="muted local"> · ` + next.In(oslo).Format("2006-01-02 15:04:05") + ` Europe/Oslo</span>`
	if next.In(oslo).Format("15:04:05") != "03:00:00" {
		t.Errorf("next fire %s is not 03:00 in Oslo", v.NextFireAt)
	}
	page := browse(t, bin, srv.URL+"/ui/#/schedule/report", "--dump-dom")
	contains(t, "the schedule's page", page, append([]string{"report", "the daily report", `<span class="next-fire">` + consoleTime(v.NextFireAt) + `</span>`, local,
		`class="badge b-paused">PAUSED<`, note, "cron(0 3 * * ? *)", "Europe/Oslo", `href="#/sm/reports"`, "ALLOW_ALL", `data-prop="Catch-up window"`,
		`>trigger<`, `>backfill<`, `data-count="fired">5<`, `<span class="found"`}, links...)...)

	list := browse(t, bin, srv.URL+"/ui/#/schedules", "--dump-dom")
	contains(t, "the list", list, `data-schedule="report" data-status="PAUSED"`, `href="#/schedule/report"`, `<span class="note"> `+note+`</span>`,
		`<span class="next-fire">`+consoleTime(v.NextFireAt)+`</span>`, `data-schedule="scratch" data-status="ENABLED"`, "rate(5 minutes)",
		`href="#/sm/reports/1"`, `<a href="#/schedules" class="on">`)

	got = steps(t, browse(t, bin, srv.URL+"/ui/harness.html#/schedule/scratch", "--dump-dom"))
	if d := got["deleted"]; !strings.Contains(d, `data-schedule="report"`) || strings.Contains(d, `data-schedule="scratch"`) {
		t.Errorf("the list after deleting scratch:\n%s", d)
	}
	if status, body, _ := do(t, srv, http.MethodGet, "/v1/schedules/scratch", ""); status != http.StatusNotFound {
		t.Errorf("scratch after the console deleted it: %d %s", status, body)
	}
}

// A server that runs no schedules or notifications says so on the pages.
func TestConsoleWithoutSchedulesInChromium(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	srv := server(t, nil)
	for page, want := range map[string]string{"schedules": "this server runs no schedules", "notifications": "this server sends no notifications"} {
		dom := browse(t, bin, srv.URL+"/ui/#/"+page, "--dump-dom")
		contains(t, page, dom, `<section class="error"><h2>Error</h2>`, want)
	}
}

// The console's notification pages: endpoints with their filters and
// counts (never a secret), and an endpoint's dead letter delivered again
// from its page once the receiver is back.
func TestConsoleNotificationsInChromium(t *testing.T) {
	bin := chromium(t)
	t.Parallel()
	var status atomic.Int64
	status.Store(http.StatusBadRequest) // a 4xx: a dead letter at once
	var received atomic.Int64
	rcv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		received.Add(1)
		w.WriteHeader(int(status.Load()))
	}))
	t.Cleanup(rcv.Close)
	script := harnessSteps(nil, `
    (await until(() => $('button.redeliver'))).click();
    record('redelivered', await until(() => $('.redelivered-note') && $('.action-result')));
    await until(() => !$('tr[data-dead-letter]'));
    record('after', document.getElementById('main'));`)
	srv := opsServer(t, script)
	const secret = "do-not-show-0123456789"
	for name, body := range map[string]string{
		"audit": `{"url":"` + rcv.URL + `/hook","stateMachines":["pay"],"statuses":["SUCCEEDED"],"secret":"` + secret + `"}`,
		"quiet": `{"url":"https://hooks.example.com/quiet","enabled":false}`,
	} {
		if st, b, _ := do(t, srv, http.MethodPut, "/v1/notification-endpoints/"+name, body); st != http.StatusCreated {
			t.Fatalf("PUT endpoint %s: %d %s", name, st, b)
		}
	}
	if st, b, _ := do(t, srv, http.MethodPut, "/v1/state-machines/pay", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`); st >= 300 {
		t.Fatalf("PUT state machine: %d %s", st, b)
	}
	if st, b, _ := do(t, srv, http.MethodPost, "/v1/state-machines/pay/executions?wait=20s", `{"name":"p-1"}`); st != http.StatusOK {
		t.Fatalf("start: %d %s", st, b)
	}
	var dl struct{ DeadLetters []struct{ ID string } }
	untilJSON(t, srv, "/v1/notification-endpoints/audit/dead-letters", &dl, func() bool { return len(dl.DeadLetters) == 1 })

	list := browse(t, bin, srv.URL+"/ui/#/notifications", "--dump-dom")
	contains(t, "the endpoints", list, `data-endpoint="audit"`, `href="#/notification/audit"`, rcv.URL+"/hook", ">pay<", ">SUCCEEDED<", ">HMAC<",
		`data-endpoint="quiet"`, `class="badge b-disabled"`, `data-count="deadLetters">1<`, `<a href="#/notifications" class="on">`)
	page := browse(t, bin, srv.URL+"/ui/#/notification/audit", "--dump-dom")
	contains(t, "the endpoint's page", page, `data-dead-letter="`+dl.DeadLetters[0].ID+`"`, `href="#/exec/pay:p-1"`, "400",
		`class="badge b-succeeded"`, `class="badge b-enabled"`, "Deliver again")
	for what, dom := range map[string]string{"list": list, "page": page} {
		if strings.Contains(dom, secret) {
			t.Errorf("the %s shows the secret", what)
		}
	}

	before := received.Load()
	status.Store(http.StatusOK)
	got := steps(t, browse(t, bin, srv.URL+"/ui/harness.html#/notification/audit", "--dump-dom"))
	contains(t, "the redelivery's note", got["redelivered"], "Delivered again: 1")
	contains(t, "the page after it", got["after"], "No dead letters", `data-count="deadLetters">0<`, `data-count="delivered">1<`)
	if n := received.Load(); n != before+1 {
		t.Errorf("the receiver got %d requests after the redelivery, want 1", n-before)
	}
	if st, b, _ := do(t, srv, http.MethodGet, "/v1/notification-endpoints/audit/dead-letters", ""); st != http.StatusOK || strings.Contains(string(b), dl.DeadLetters[0].ID) {
		t.Errorf("dead letters after the console delivered it again: %d %s", st, b)
	}
}
