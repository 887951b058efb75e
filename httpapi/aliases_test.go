package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// setupSpace starts an engine in space behind a real listener.
func setupSpace(t *testing.T, st store.Store, space arn.Space, tokens map[string]httpapi.Role) *httptest.Server {
	t.Helper()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Space: space})
	if err := engine.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(httpapi.Config{Engine: engine, AuthTokens: tokens}))
	t.Cleanup(func() {
		srv.Close()
		engine.Stop()
	})
	return srv
}

// want checks an answer's status and returns its JSON body.
func want(t *testing.T, r response, status int) map[string]any {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d (want %d): %s", r.status, status, r.body)
	}
	if len(r.body) == 0 {
		return nil
	}
	return r.json(t)
}

// num reads a JSON number member as an int (0 when absent).
func num(m map[string]any, key string) int {
	f, _ := m[key].(float64)
	return int(f)
}

const (
	oneDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"one","End":true}}}`
	twoDef = `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"two","End":true}}}`
)

func TestPublish(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "m", oneDef)
	if v := want(t, call(t, srv, "GET", "/v1/state-machines/m", nil), 200); v["publishedVersion"] != nil {
		t.Fatalf("an unpublished version shows publishedVersion: %v", v)
	}
	p := want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", map[string]any{"description": "first"}), 201)
	if num(p, "publishedVersion") != 1 || num(p, "version") != 1 || p["description"] != "first" || p["name"] != "m" {
		t.Fatalf("first publish: %v", p)
	}
	// The latest published version again: that one, unchanged.
	p = want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 200)
	if num(p, "publishedVersion") != 1 || p["description"] != "first" {
		t.Fatalf("publish again: %v", p)
	}
	if v := want(t, call(t, srv, "GET", "/v1/state-machines/m", nil), 200); num(v, "publishedVersion") != 1 {
		t.Fatalf("GET after publishing: %v", v)
	}
	r := call(t, srv, "PUT", "/v1/state-machines/m", twoDef)
	if v := want(t, r, 200); num(v, "version") != 2 || v["publishedVersion"] != nil {
		t.Fatalf("PUT of a new version: %v", v)
	}
	p = want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	if num(p, "publishedVersion") != 2 || num(p, "version") != 2 {
		t.Fatalf("second publish: %v", p)
	}
	// An older version published again is the version that publishes it,
	// though it is not the latest published one (AWS's rule, the AWS API's
	// too), whatever the description.
	p = want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", map[string]any{"version": 1, "description": "other"}), 200)
	if num(p, "publishedVersion") != 1 || num(p, "version") != 1 || p["description"] != "first" {
		t.Fatalf("publishing version 1 again: %v", p)
	}
	if v := want(t, call(t, srv, "GET", "/v1/state-machines/m/versions/1", nil), 200); num(v, "publishedVersion") != 1 {
		t.Fatalf("version 1 shows %v, want its published number 1", v["publishedVersion"])
	}
	// Descriptions are counted in characters: 256 of two bytes each pass.
	put(t, srv, "m", oneDef) // version 3
	p = want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", map[string]any{"description": strings.Repeat("é", 256)}), 201)
	if num(p, "publishedVersion") != 3 || num(p, "version") != 3 {
		t.Fatalf("publishing version 3: %v", p)
	}
	list := want(t, call(t, srv, "GET", "/v1/state-machines", nil), 200)
	items := list["stateMachines"].([]any)
	if len(items) != 1 || num(items[0].(map[string]any), "publishedVersion") != 3 {
		t.Fatalf("list: %v, want m at version 3 published as 3", items)
	}
	// An unchanged PUT answers the version with its published number.
	if v := want(t, call(t, srv, "PUT", "/v1/state-machines/m", oneDef), 200); num(v, "publishedVersion") != 3 {
		t.Fatalf("unchanged PUT: %v", v)
	}

	for _, c := range []struct {
		path   string
		body   any
		status int
		code   string
	}{
		{"/v1/state-machines/m/publish", map[string]any{"version": 9}, 404, "NotFound"},
		{"/v1/state-machines/m/publish", map[string]any{"version": 0}, 400, "InvalidInput"},
		{"/v1/state-machines/m/publish", map[string]any{"description": strings.Repeat("d", 257)}, 400, "InvalidInput"},
		{"/v1/state-machines/m/publish", map[string]any{"revision": 1}, 400, "InvalidInput"},
		{"/v1/state-machines/nosuch/publish", nil, 404, "NotFound"},
	} {
		wantError(t, call(t, srv, "POST", c.path, c.body), c.status, c.code)
	}
}

func TestAliases(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "m", oneDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	put(t, srv, "m", twoDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)

	route := func(version, weight int) map[string]any { return map[string]any{"version": version, "weight": weight} }
	r := call(t, srv, "PUT", "/v1/state-machines/m/aliases/live", map[string]any{"routing": []any{route(1, 100)}})
	a := want(t, r, 201)
	if r.header.Get("Location") != "/v1/state-machines/m/aliases/live" || a["name"] != "live" || a["stateMachine"] != "m" {
		t.Fatalf("created alias: %v (Location %q)", a, r.header.Get("Location"))
	}
	created := a["createdAt"]
	again := want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/live", map[string]any{"routing": []any{route(1, 100)}}), 200)
	if again["updatedAt"] != a["updatedAt"] {
		t.Fatalf("an unchanged PUT changed updatedAt: %v then %v", a, again)
	}
	a = want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/live",
		map[string]any{"description": "canary", "routing": []any{route(1, 90), route(2, 10)}}), 200)
	rs, _ := json.Marshal(a["routing"])
	if string(rs) != `[{"revision":1,"version":1,"weight":90},{"revision":2,"version":2,"weight":10}]` || a["createdAt"] != created || a["description"] != "canary" {
		t.Fatalf("changed alias: %v", a)
	}
	if g := want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases/live", nil), 200); g["description"] != "canary" {
		t.Fatalf("GET alias: %v", g)
	}
	want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/beta.2", map[string]any{"routing": []any{route(2, 100)}}), 201)
	l := want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases", nil), 200)
	if as := l["aliases"].([]any); len(as) != 2 || as[0].(map[string]any)["name"] != "live" || as[1].(map[string]any)["name"] != "beta.2" {
		t.Fatalf("aliases: %v", l)
	}

	for _, c := range []struct {
		what   string
		path   string
		body   any
		status int
		code   string
	}{
		{"weights not 100", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{route(1, 50), route(2, 40)}}, 400, "InvalidInput"},
		{"three routes", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{route(1, 50), route(2, 50), route(1, 0)}}, 400, "InvalidInput"},
		{"no route", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{}}, 400, "InvalidInput"},
		{"same version twice", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{route(1, 50), route(1, 50)}}, 400, "InvalidInput"},
		{"weight over 100", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{route(1, 101)}}, 400, "InvalidInput"},
		{"no weight", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{map[string]any{"version": 1}}}, 400, "InvalidInput"},
		{"unpublished version", "/v1/state-machines/m/aliases/x", map[string]any{"routing": []any{route(7, 100)}}, 400, "InvalidInput"},
		{"digits only", "/v1/state-machines/m/aliases/123", map[string]any{"routing": []any{route(1, 100)}}, 400, "InvalidInput"},
		{"no state machine", "/v1/state-machines/nosuch/aliases/x", map[string]any{"routing": []any{route(1, 100)}}, 404, "NotFound"},
	} {
		t.Run(c.what, func(t *testing.T) {
			wantError(t, call(t, srv, "PUT", c.path, c.body), c.status, c.code)
		})
	}
	wantError(t, call(t, srv, "GET", "/v1/state-machines/m/aliases/x", nil), 404, "NotFound")
	wantError(t, call(t, srv, "GET", "/v1/state-machines/nosuch/aliases", nil), 404, "NotFound")

	want(t, call(t, srv, "DELETE", "/v1/state-machines/m/aliases/live", nil), 204)
	wantError(t, call(t, srv, "DELETE", "/v1/state-machines/m/aliases/live", nil), 404, "NotFound")
	wantError(t, call(t, srv, "GET", "/v1/state-machines/m/aliases/live", nil), 404, "NotFound")
}

// Publishing and aliases change state machines: admin only.
func TestAliasRoles(t *testing.T) {
	t.Parallel()
	srv := setup(t, map[string]httpapi.Role{"adm": httpapi.RoleAdmin, "op": httpapi.RoleOperator, "rd": httpapi.RoleReader})
	auth := func(tok string) []string { return []string{"Authorization", "Bearer " + tok} }
	if r := call(t, srv, "PUT", "/v1/state-machines/m", oneDef, auth("adm")...); r.status != 201 {
		t.Fatalf("PUT: %d %s", r.status, r.body)
	}
	body := map[string]any{"routing": []any{map[string]any{"version": 1, "weight": 100}}}
	wantError(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil, auth("op")...), 403, "Forbidden")
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil, auth("adm")...), 201)
	wantError(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/a", body, auth("op")...), 403, "Forbidden")
	want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/a", body, auth("adm")...), 201)
	want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases/a", nil, auth("rd")...), 200)
	want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases", nil, auth("rd")...), 200)
	wantError(t, call(t, srv, "DELETE", "/v1/state-machines/m/aliases/a", nil, auth("rd")...), 403, "Forbidden")
	// Starting through an alias is an operator's start.
	want(t, call(t, srv, "POST", "/v1/state-machines/m/executions?wait=5s", map[string]any{"alias": "a"}, auth("op")...), 200)
}

func TestStartThroughAliases(t *testing.T) {
	t.Parallel()
	space := arn.Space{Region: "eu-west-1", Account: "111122223333"}
	srv := setupSpace(t, testStore(t), space, nil)
	put(t, srv, "m", oneDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	put(t, srv, "m", twoDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	alias := func(name string, w1, w2 int) {
		t.Helper()
		routing := []any{map[string]any{"version": 1, "weight": w1}, map[string]any{"version": 2, "weight": w2}}
		if w2 == 0 {
			routing = routing[:1]
		}
		r := call(t, srv, "PUT", "/v1/state-machines/m/aliases/"+name, map[string]any{"routing": routing})
		if r.status != 201 {
			t.Fatalf("PUT alias %s: %d %s", name, r.status, r.body)
		}
	}
	alias("old", 100, 0)
	alias("half", 50, 50)

	smARN := space.StateMachine("m")
	for _, c := range []struct {
		what      string
		path      string
		body      map[string]any
		output    string
		published int
		alias     string
	}{
		{"latest", "/v1/state-machines/m/executions", map[string]any{}, `"two"`, 0, ""},
		{"version", "/v1/state-machines/m/executions", map[string]any{"version": 1}, `"one"`, 0, ""},
		{"published version", "/v1/state-machines/m/executions", map[string]any{"publishedVersion": 1}, `"one"`, 1, ""},
		{"alias", "/v1/state-machines/m/executions", map[string]any{"alias": "old"}, `"one"`, 1, "old"},
		{"version ARN", "/v1/state-machines/" + space.Version("m", 2) + "/executions", map[string]any{}, `"two"`, 2, ""},
		{"alias ARN", "/v1/state-machines/" + strings.ReplaceAll(space.Alias("m", "old"), ":", "%3A") + "/executions", map[string]any{}, `"one"`, 1, "old"},
		{"state machine ARN", "/v1/state-machines/" + smARN + "/executions", map[string]any{}, `"two"`, 0, ""},
	} {
		t.Run(c.what, func(t *testing.T) {
			c.body["name"] = strings.ReplaceAll(c.what, " ", "-")
			ex := want(t, call(t, srv, "POST", c.path+"?wait=5s", c.body), 200)
			out, _ := json.Marshal(ex["output"])
			if string(out) != c.output || num(ex, "publishedVersion") != c.published || (ex["alias"] != nil && ex["alias"] != c.alias) || (c.alias != "" && ex["alias"] != c.alias) {
				t.Fatalf("%v: want output %s, publishedVersion %d, alias %q", ex, c.output, c.published, c.alias)
			}
			// Described later, the execution says the same.
			got := want(t, call(t, srv, "GET", "/v1/executions/"+ex["executionId"].(string), nil), 200)
			if num(got, "publishedVersion") != c.published || (c.alias != "" && got["alias"] != c.alias) {
				t.Fatalf("GET: %v", got)
			}
		})
	}

	// The weights: a 50/50 alias runs both versions (a 2^-39 chance of not).
	seen := map[string]int{}
	for i := range 40 {
		ex := want(t, call(t, srv, "POST", "/v1/state-machines/m/executions?wait=5s", map[string]any{"alias": "half", "name": fmt.Sprintf("h%d", i)}), 200)
		out, _ := json.Marshal(ex["output"])
		seen[string(out)]++
		if want := map[string]int{`"one"`: 1, `"two"`: 2}[string(out)]; num(ex, "publishedVersion") != want || num(ex, "version") != want {
			t.Fatalf("through half: %v", ex)
		}
	}
	if seen[`"one"`] == 0 || seen[`"two"`] == 0 {
		t.Fatalf("40 starts through a 50/50 alias ran %v", seen)
	}
	// The same name again through the alias: the execution it started.
	first := want(t, call(t, srv, "GET", "/v1/executions/m:alias", nil), 200)
	again := want(t, call(t, srv, "POST", "/v1/state-machines/m/executions", map[string]any{"alias": "old", "name": "alias"}), 200)
	if again["executionId"] != "m:alias" || again["alias"] != "old" || again["startedAt"] != first["startedAt"] {
		t.Fatalf("idempotent start through an alias: %v", again)
	}

	for _, c := range []struct {
		what   string
		path   string
		body   map[string]any
		status int
		code   string
	}{
		{"alias and version", "/v1/state-machines/m/executions", map[string]any{"alias": "old", "version": 1}, 400, "InvalidInput"},
		{"alias and published", "/v1/state-machines/m/executions", map[string]any{"alias": "old", "publishedVersion": 1}, 400, "InvalidInput"},
		{"alias ARN and alias", "/v1/state-machines/" + space.Alias("m", "old") + "/executions", map[string]any{"alias": "old"}, 400, "InvalidInput"},
		{"unknown alias", "/v1/state-machines/m/executions", map[string]any{"alias": "nope"}, 404, "NotFound"},
		{"bad alias name", "/v1/state-machines/m/executions", map[string]any{"alias": "12"}, 400, "InvalidInput"},
		{"unknown published version", "/v1/state-machines/m/executions", map[string]any{"publishedVersion": 7}, 404, "NotFound"},
		{"unknown version ARN", "/v1/state-machines/" + space.Version("m", 7) + "/executions", map[string]any{}, 404, "NotFound"},
	} {
		t.Run(c.what, func(t *testing.T) {
			wantError(t, call(t, srv, "POST", c.path, c.body), c.status, c.code)
		})
	}
}

// A named start retried through a 50/50 alias is answered as the same
// start every time: the retry picks the version the first try picked (a new
// draw would pick the other half the time, and the retry would be a
// conflict).
func TestRetriedStartThroughAlias(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "m", oneDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	put(t, srv, "m", twoDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/half", map[string]any{"routing": []any{
		map[string]any{"version": 1, "weight": 50}, map[string]any{"version": 2, "weight": 50}}}), 201)
	body := map[string]any{"alias": "half", "name": "retried", "input": map[string]any{"n": 1}}
	first := want(t, call(t, srv, "POST", "/v1/state-machines/m/executions", body), 202)
	for i := range 20 {
		again := want(t, call(t, srv, "POST", "/v1/state-machines/m/executions", body), 200)
		if again["executionId"] != first["executionId"] || num(again, "version") != num(first, "version") || again["alias"] != "half" {
			t.Fatalf("retry %d: %v, want the first start %v", i+1, again, first)
		}
	}
}

// Deleting a state machine deletes its document: made again under the
// name, it has no published versions or aliases.
func TestDeleteForgetsPublished(t *testing.T) {
	t.Parallel()
	srv := setup(t, nil)
	put(t, srv, "m", oneDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/a", map[string]any{"routing": []any{map[string]any{"version": 1, "weight": 100}}}), 201)
	want(t, call(t, srv, "DELETE", "/v1/state-machines/m", nil), 204)
	put(t, srv, "m", oneDef)
	if v := want(t, call(t, srv, "GET", "/v1/state-machines/m", nil), 200); v["publishedVersion"] != nil {
		t.Fatalf("made again: %v", v)
	}
	if l := want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases", nil), 200); len(l["aliases"].([]any)) != 0 {
		t.Fatalf("made again, aliases %v", l)
	}
	wantError(t, call(t, srv, "POST", "/v1/state-machines/m/executions", map[string]any{"alias": "a"}), 404, "NotFound")
	if p := want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201); num(p, "publishedVersion") != 1 {
		t.Fatalf("first publish after the delete: %v", p)
	}
	wantError(t, call(t, srv, "DELETE", "/v1/state-machines/nosuch", nil), 404, "NotFound")
}

// A document left by a delete that failed half-way (the state machine
// gone, its document not) does not carry over to a new state machine of the
// name: the PUT that creates it starts it with a fresh document, of the type
// asked for, without the old one's published versions and aliases.
func TestPutResetsLeftoverDocument(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	st := testStore(t)
	srv := setupSpace(t, st, arn.DefaultSpace, nil)
	put(t, srv, "m", oneDef)
	want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201)
	want(t, call(t, srv, "PUT", "/v1/state-machines/m/aliases/a", map[string]any{"routing": []any{map[string]any{"version": 1, "weight": 100}}}), 201)
	if _, err := awsmeta.New(st).UpdateMachine(ctx, "m", func(mc *awsmeta.Machine) error {
		mc.Type = awsmeta.Express
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteStateMachine(ctx, "m"); err != nil { // the document stays
		t.Fatal(err)
	}

	made := want(t, call(t, srv, "PUT", "/v1/state-machines/m", twoDef), 201)
	if made["type"] != awsmeta.Standard || made["publishedVersion"] != nil {
		t.Fatalf("made again: %v, want a STANDARD machine with no published version", made)
	}
	if l := want(t, call(t, srv, "GET", "/v1/state-machines/m/aliases", nil), 200); len(l["aliases"].([]any)) != 0 {
		t.Fatalf("made again, aliases %v", l)
	}
	if p := want(t, call(t, srv, "POST", "/v1/state-machines/m/publish", nil), 201); num(p, "publishedVersion") != 1 {
		t.Fatalf("first publish of the new state machine: %v", p)
	}
	mc, err := awsmeta.New(st).Machine(ctx, "m")
	if err != nil {
		t.Fatal(err)
	}
	if mc.FirstRevision != num(made, "version") || mc.FirstRevision < 2 {
		t.Fatalf("document's first revision %d, want the new state machine's first version %d", mc.FirstRevision, num(made, "version"))
	}
}

// A PUT creates the documents of the activities its definition uses, so
// that the AWS API lists them; an existing one is left as it is.
func TestPutCreatesActivities(t *testing.T) {
	t.Parallel()
	st := testStore(t)
	srv := setupWith(t, st, httpapi.Config{})
	meta := awsmeta.New(st)
	ctx := context.Background()
	made := time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)
	if _, created, err := meta.CreateActivity(ctx, "old", awsmeta.Activity{CreatedAt: made}); err != nil || !created {
		t.Fatalf("create: %v %v", created, err)
	}
	before := time.Now().Add(-time.Second)
	put(t, srv, "two", `{"StartAt":"A","States":{
		"A":{"Type":"Task","Resource":"activity:old","Next":"B"},
		"B":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:fresh","End":true}}}`)
	if a, err := meta.Activity(ctx, "old"); err != nil || !a.CreatedAt.Equal(made) {
		t.Errorf("existing activity: %+v %v, want it unchanged", a, err)
	}
	if a, err := meta.Activity(ctx, "fresh"); err != nil || a.CreatedAt.Before(before) {
		t.Errorf("new activity: %+v %v, want it created now", a, err)
	}
	items, _, err := meta.ListActivities(ctx, "", 10)
	if err != nil || len(items) != 2 {
		t.Errorf("activities %+v %v, want old and fresh", items, err)
	}
}

// Paths take ARNs wherever they take names, in this node's space only.
func TestARNsInPaths(t *testing.T) {
	t.Parallel()
	space := arn.Space{Region: "eu-west-1", Account: "111122223333"}
	other := arn.Space{Region: "us-east-1", Account: "111122223333"}
	srv := setupSpace(t, testStore(t), space, nil)
	enc := func(s string) string { return strings.ReplaceAll(s, ":", "%3A") }
	put(t, srv, "ids", `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"execution.$":"$$.Execution.Id","stateMachine.$":"$$.StateMachine.Id"},"End":true}}}`)
	put(t, srv, "act", activityDef)

	for _, p := range []string{space.StateMachine("ids"), enc(space.StateMachine("ids"))} {
		if v := want(t, call(t, srv, "GET", "/v1/state-machines/"+p, nil), 200); v["name"] != "ids" {
			t.Fatalf("GET %s: %v", p, v)
		}
	}
	if r := call(t, srv, "GET", "/v1/state-machines/"+space.StateMachine("ids")+"/graph", nil); r.status != 200 {
		t.Fatalf("graph by ARN: %d %s", r.status, r.body)
	}
	if v := want(t, call(t, srv, "GET", "/v1/state-machines/"+space.StateMachine("ids")+"/versions/1", nil), 200); v["name"] != "ids" {
		t.Fatalf("version by ARN: %v", v)
	}

	// The context object's ids are ARNs of the node's space.
	ex := want(t, call(t, srv, "POST", "/v1/state-machines/"+enc(space.StateMachine("ids"))+"/executions?wait=5s", map[string]any{"name": "x"}), 200)
	execARN := space.Execution("ids", "x")
	out, _ := json.Marshal(ex["output"])
	if ex["executionId"] != "ids:x" || string(out) != `{"execution":"`+execARN+`","stateMachine":"`+space.StateMachine("ids")+`"}` {
		t.Fatalf("started by ARN: %v", ex)
	}
	for _, p := range []string{execARN, enc(execARN)} {
		if v := want(t, call(t, srv, "GET", "/v1/executions/"+p, nil), 200); v["executionId"] != "ids:x" {
			t.Fatalf("GET %s: %v", p, v)
		}
		if h := want(t, call(t, srv, "GET", "/v1/executions/"+p+"/history", nil), 200); len(h["events"].([]any)) == 0 {
			t.Fatalf("history by ARN: %v", h)
		}
	}
	if r := call(t, srv, "GET", "/v1/executions/"+execARN+"/events", nil); r.status != 200 || !strings.Contains(string(r.body), "ExecutionSucceeded") {
		t.Fatalf("events by ARN: %d %s", r.status, r.body)
	}
	want(t, call(t, srv, "POST", "/v1/executions/"+execARN+"/stop", nil), 200)
	l := want(t, call(t, srv, "GET", "/v1/executions?stateMachine="+enc(space.StateMachine("ids")), nil), 200)
	if es := l["executions"].([]any); len(es) != 1 || es[0].(map[string]any)["executionId"] != "ids:x" {
		t.Fatalf("list by ARN: %v", l)
	}
	want(t, call(t, srv, "GET", "/v1/state-machines/"+space.StateMachine("ids")+"/executions", nil), 200)

	// An activity's ARN polls it.
	want(t, call(t, srv, "POST", "/v1/state-machines/act/executions", map[string]any{"name": "a"}), 202)
	task := want(t, call(t, srv, "POST", "/v1/activities/"+enc(space.Activity("work"))+"/poll?wait=5s", nil), 200)
	if tok, _ := task["taskToken"].(string); tok == "" {
		t.Fatalf("poll by ARN: %v", task)
	}

	for _, c := range []struct {
		what, method, path string
		status             int
		code               string
	}{
		{"another space's state machine", "GET", "/v1/state-machines/" + other.StateMachine("ids"), 404, "NotFound"},
		{"another space's execution", "GET", "/v1/executions/" + other.Execution("ids", "x"), 404, "NotFound"},
		{"another space's activity", "POST", "/v1/activities/" + other.Activity("work") + "/poll?wait=1ms", 404, "NotFound"},
		{"a version ARN where a name is taken", "GET", "/v1/state-machines/" + space.Version("ids", 1), 400, "InvalidInput"},
		{"an activity ARN for a state machine", "GET", "/v1/state-machines/" + space.Activity("ids"), 400, "InvalidInput"},
		{"a state machine ARN for an execution", "GET", "/v1/executions/" + space.StateMachine("ids"), 400, "InvalidInput"},
		{"not an ARN", "GET", "/v1/state-machines/arn:aws:nope", 400, "InvalidInput"},
		{"a version ARN in a list filter", "GET", "/v1/executions?stateMachine=" + space.Version("ids", 1), 400, "InvalidInput"},
		{"an execution of a state machine called arn", "GET", "/v1/executions/arn:x", 404, "NotFound"},
	} {
		t.Run(c.what, func(t *testing.T) {
			wantError(t, call(t, srv, c.method, c.path, nil), c.status, c.code)
		})
	}
}
