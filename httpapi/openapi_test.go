package httpapi_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers/legacy"
	"github.com/go-chi/chi/v5"

	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store/memory"
)

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	data, err := httpapi.OpenAPI()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := openapi3.NewLoader().LoadFromData(data)
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("the OpenAPI document is invalid: %v", err)
	}
	return doc
}

// docStep is one request whose answer is checked against the OpenAPI
// document; ctype is the request's Content-Type, none when empty.
type docStep struct{ method, path, body, ctype string }

// checkAnswersAgainstDoc sends each step to srv in turn and validates the
// answer against the OpenAPI document: a route the document lacks, or an
// answer that does not match it, is an error.
func checkAnswersAgainstDoc(t *testing.T, srv *httptest.Server, steps []docStep) {
	t.Helper()
	doc := loadDoc(t)
	doc.Servers = nil
	router, err := legacy.NewRouter(doc)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range steps {
		req, _ := http.NewRequest(s.method, srv.URL+s.path, strings.NewReader(s.body))
		if s.ctype != "" {
			req.Header.Set("Content-Type", s.ctype)
		}
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		// The document's router matches decoded paths, where a %2F would
		// split the id: it is given one without.
		rr := req.Clone(req.Context())
		rr.URL, _ = url.Parse(strings.ReplaceAll(req.URL.String(), "%2F", "-"))
		route, params, err := router.FindRoute(rr)
		if err != nil {
			t.Errorf("%s %s: not in the document: %v", s.method, s.path, err)
			continue
		}
		in := &openapi3filter.ResponseValidationInput{
			RequestValidationInput: &openapi3filter.RequestValidationInput{Request: rr, PathParams: params, Route: route,
				Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}},
			Status: res.StatusCode, Header: res.Header, Body: io.NopCloser(bytes.NewReader(body)),
			Options: &openapi3filter.Options{IncludeResponseStatus: true},
		}
		if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
			t.Errorf("%s %s -> %d %s: %v", s.method, s.path, res.StatusCode, body, err)
		}
	}
}

var paramRE = regexp.MustCompile(`\{[^}]*\}`)

// TestOpenAPICoversRoutes: every route the router serves is documented and
// every documented operation is served.
func TestOpenAPICoversRoutes(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	documented := map[string]bool{}
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			documented[method+" "+paramRE.ReplaceAllString(path, "{}")] = true
		}
	}
	h := httpapi.New(httpapi.Config{Engine: interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})})
	served := map[string]bool{}
	err := chi.Walk(h.(chi.Routes), func(method, route string, _ http.Handler, _ ...func(http.Handler) http.Handler) error {
		if route != "/" {
			route = strings.TrimSuffix(route, "/")
		}
		if strings.HasSuffix(route, "*") {
			return nil
		}
		served[method+" "+paramRE.ReplaceAllString(route, "{}")] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for k := range served {
		if !documented[k] {
			t.Errorf("served but not documented: %s", k)
		}
	}
	for k := range documented {
		if !served[k] {
			t.Errorf("documented but not served: %s", k)
		}
	}
}

// TestOpenAPIResponses validates real answers against the document.
func TestOpenAPIResponses(t *testing.T) {
	t.Parallel()
	srv := setupExpress(t, testStore(t), express.Config{}, false).srv
	put(t, srv, "chain", passChain)
	put(t, srv, "slow", waitDef)
	steps := []docStep{
		{"GET", "/healthz", "", ""},
		{"GET", "/readyz", "", ""},
		{"PUT", "/v1/state-machines/chain2", passChain, "application/yaml"},
		{"PUT", "/v1/state-machines/bad", "StartAt: X\nStates: {}\n", "application/yaml"},
		{"GET", "/v1/state-machines", "", ""},
		{"GET", "/v1/state-machines/chain", "", ""},
		{"GET", "/v1/state-machines/chain/versions/1", "", ""},
		{"GET", "/v1/state-machines/nosuch", "", ""},
		{"POST", "/v1/validate", passChain, "application/yaml"},
		{"POST", "/v1/state-machines/chain/executions", `{"name":"x","input":{"a":1}}`, "application/json"},
		{"POST", "/v1/state-machines/chain/executions?wait=5s", `{"name":"x","input":{"a":1}}`, "application/json"},
		{"POST", "/v1/state-machines/slow/executions", `{"name":"s"}`, "application/json"},
		{"GET", "/v1/executions/chain:x", "", ""},
		{"GET", "/v1/executions/chain:x/history?limit=2", "", ""},
		{"GET", "/v1/executions?limit=1", "", ""},
		{"GET", "/v1/state-machines/chain/executions", "", ""},
		{"POST", "/v1/executions/slow:s/stop", "", ""},
		{"POST", "/v1/executions/slow:s/redrive", "", ""},
		{"POST", "/v1/executions/chain:x/redrive", "", ""},
		{"POST", "/v1/activities/none/poll?wait=1ms", "", ""},
		{"POST", "/v1/tasks/heartbeat", `{"taskToken":"nope"}`, "application/json"},
		// Published versions and aliases, and ARNs for names.
		{"POST", "/v1/state-machines/chain/publish", `{"description":"first"}`, "application/json"},
		{"POST", "/v1/state-machines/chain/publish", "", ""},
		{"POST", "/v1/state-machines/nosuch/publish", "", ""},
		{"GET", "/v1/state-machines/chain", "", ""},
		{"GET", "/v1/state-machines?limit=1", "", ""},
		{"PUT", "/v1/state-machines/chain/aliases/live", `{"routing":[{"version":1,"weight":100}]}`, "application/json"},
		{"PUT", "/v1/state-machines/chain/aliases/live", `{"description":"d","routing":[{"version":1,"weight":100}]}`, "application/json"},
		{"PUT", "/v1/state-machines/chain/aliases/bad", `{"routing":[]}`, "application/json"},
		{"GET", "/v1/state-machines/chain/aliases/live", "", ""},
		{"GET", "/v1/state-machines/chain/aliases", "", ""},
		{"POST", "/v1/state-machines/chain/executions", `{"name":"viaAlias","alias":"live"}`, "application/json"},
		{"POST", "/v1/state-machines/chain/executions?wait=5s", `{"name":"viaAlias","alias":"live"}`, "application/json"},
		{"GET", "/v1/executions/chain:viaAlias", "", ""},
		{"GET", "/v1/executions/arn:aws:states:us-east-1:123456789012:execution:chain:viaAlias", "", ""},
		{"GET", "/v1/state-machines/arn%3Aaws%3Astates%3Aus-east-1%3A123456789012%3AstateMachine%3Achain", "", ""},
		{"GET", "/v1/state-machines/arn:aws:states:eu-west-1:123456789012:stateMachine:chain", "", ""},
		{"DELETE", "/v1/state-machines/chain/aliases/live", "", ""},
		{"DELETE", "/v1/state-machines/chain/aliases/live", "", ""},
		// EXPRESS state machines.
		{"PUT", "/v1/state-machines/fast?type=EXPRESS", passChain, "application/yaml"},
		{"PUT", "/v1/state-machines/fast?type=STANDARD", passChain, "application/yaml"},
		{"PUT", "/v1/state-machines/bad?type=EXPRESS", activityDef, "application/json"},
		{"GET", "/v1/state-machines/fast", "", ""},
		{"POST", "/v1/state-machines/fast/executions?wait=5s", `{"name":"x","input":{"a":1}}`, "application/json"},
		{"POST", "/v1/state-machines/fast/executions", `{"name":"x"}`, "application/json"},
		{"GET", "/v1/executions/arn:aws:states:us-east-1:123456789012:express:fast:x:00000000-0000-0000-0000-000000000000", "", ""},
	}
	checkAnswersAgainstDoc(t, srv, steps)
}
