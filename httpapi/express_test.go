package httpapi_test

import (
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	sfntypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// expressEnv is the REST API and the AWS API over one engine and one
// Express runner, behind a real listener.
type expressEnv struct {
	srv *httptest.Server
	// ended hears of every Express execution that ended.
	ended chan express.Result
}

// setupExpress serves both APIs on st. runner configures the Express runner
// (its Store, Space and Ended are set here); noRunner leaves it out of the
// REST API, as a server that does not run EXPRESS machines.
func setupExpress(t *testing.T, st store.Store, runner express.Config, noRunner bool) *expressEnv {
	t.Helper()
	ctx := context.Background()
	engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Space: arn.DefaultSpace})
	if err := engine.Start(ctx); err != nil {
		t.Fatal(err)
	}
	env := &expressEnv{ended: make(chan express.Result, 100)}
	runner.Store, runner.Space = st, arn.DefaultSpace
	runner.Ended = func(res express.Result) {
		select {
		case env.ended <- res:
		default:
		}
	}
	if runner.StopGrace == 0 {
		runner.StopGrace = 100 * time.Millisecond // a run still waiting at the end is cut
	}
	r := express.New(runner)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	aws := awsjson.New(awsjson.Config{Engine: engine, Open: true, Space: arn.DefaultSpace, Express: awsjson.NewExpress(r, arn.DefaultSpace)})
	cfg := httpapi.Config{Engine: engine, AWS: aws}
	if !noRunner {
		cfg.Express = r
	}
	env.srv = httptest.NewServer(httpapi.New(cfg))
	t.Cleanup(func() {
		env.srv.Close()
		r.Stop()
		engine.Stop()
	})
	return env
}

// expressStores are the stores the Express tests run on: memory, and a
// private Redis (skipped loudly without redis-server, failed under CI=true).
var expressStores = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"memory", func(*testing.T) store.Store { return memory.New() }},
	{"redis", func(t *testing.T) store.Store {
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16,
			Prefix: "express" + strconv.FormatInt(time.Now().UnixNano(), 36)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		return st
	}},
}

// awsClient is the real SDK client for the AWS API of srv (open: any
// signature). It dials srv whatever the host, as a resolver would for the
// sync-<host> the SDK sends StartSyncExecution to.
func awsClient(srv *httptest.Server) *sfn.Client {
	addr := srv.Listener.Addr().String()
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}}
	return sfn.New(sfn.Options{Region: arn.DefaultRegion, BaseEndpoint: aws.String(srv.URL), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDSFNTEST", "any-secret", ""), Retryer: aws.NopRetryer{}})
}

const expressPrefix = "arn:aws:states:us-east-1:123456789012:express:"

func TestExpressStateMachines(t *testing.T) {
	for _, sc := range expressStores {
		t.Run(sc.name, func(t *testing.T) {
			env := setupExpress(t, sc.open(t), express.Config{}, false)
			srv := env.srv

			// Created EXPRESS with ?type=; the PUT answer, GET and the list show it.
			r := call(t, srv, http.MethodPut, "/v1/state-machines/fast?type=EXPRESS", passChain)
			if r.status != http.StatusCreated || r.json(t)["type"] != "EXPRESS" {
				t.Fatalf("PUT ?type=EXPRESS: %d %s", r.status, r.body)
			}
			put(t, srv, "slow", waitDef) // STANDARD by default
			if m := call(t, srv, http.MethodGet, "/v1/state-machines/fast", nil).json(t); m["type"] != "EXPRESS" {
				t.Fatalf("GET: %v", m)
			}
			if m := call(t, srv, http.MethodGet, "/v1/state-machines/slow", nil).json(t); m["type"] != "STANDARD" {
				t.Fatalf("GET of a STANDARD machine: %v", m)
			}
			list := call(t, srv, http.MethodGet, "/v1/state-machines", nil).json(t)["stateMachines"].([]any)
			types := map[string]any{}
			for _, it := range list {
				m := it.(map[string]any)
				types[m["name"].(string)] = m["type"]
			}
			if types["fast"] != "EXPRESS" || types["slow"] != "STANDARD" {
				t.Fatalf("list shows types %v", types)
			}

			// The type never changes; an absent type keeps it.
			for _, c := range []struct {
				path   string
				status int
				code   string
			}{
				{"/v1/state-machines/fast?type=STANDARD", http.StatusConflict, "Conflict"},
				{"/v1/state-machines/slow?type=EXPRESS", http.StatusConflict, "Conflict"},
				{"/v1/state-machines/fast?type=express", http.StatusBadRequest, "InvalidInput"},
			} {
				wantError(t, call(t, srv, http.MethodPut, c.path, passChain), c.status, c.code)
			}
			changed := strings.Replace(passChain, "Result: 2", "Result: 3", 1)
			if r := call(t, srv, http.MethodPut, "/v1/state-machines/fast", changed); r.status != http.StatusOK || r.json(t)["type"] != "EXPRESS" || r.json(t)["version"] != 2.0 {
				t.Fatalf("PUT without type: %d %s", r.status, r.body)
			}
			put(t, srv, "fast", passChain) // back to the first definition, as version 3

			// The AWS API sees the same type, and runs it.
			fastArn := aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:fast")
			out, err := awsClient(srv).DescribeStateMachine(context.Background(), &sfn.DescribeStateMachineInput{StateMachineArn: fastArn})
			if err != nil || out.Type != sfntypes.StateMachineTypeExpress {
				t.Fatalf("DescribeStateMachine: %+v, %v", out, err)
			}
			sync, err := awsClient(srv).StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: fastArn, Input: aws.String(`{}`)})
			if err != nil || sync.Status != sfntypes.SyncExecutionStatusSucceeded {
				t.Fatalf("StartSyncExecution: %+v, %v", sync, err)
			}

			// A synchronous start answers the end; names are not idempotent.
			var ids []string
			for range 2 {
				r := call(t, srv, http.MethodPost, "/v1/state-machines/fast/executions?wait=10s", map[string]any{"name": "n1", "input": map[string]any{"x": 1}})
				if r.status != http.StatusOK {
					t.Fatalf("sync start: %d %s", r.status, r.body)
				}
				m := r.json(t)
				id, _ := m["executionId"].(string)
				if !strings.HasPrefix(id, expressPrefix+"fast:n1:") || m["type"] != "EXPRESS" || m["status"] != "SUCCEEDED" ||
					m["name"] != "n1" || m["stateMachine"] != "fast" || m["version"] != 3.0 || m["stoppedAt"] == nil || r.header.Get("Location") != "" {
					t.Fatalf("sync start answered %s", r.body)
				}
				var raw struct{ Output json.RawMessage }
				if err := json.Unmarshal(r.body, &raw); err != nil || string(raw.Output) != `{"x":1,"a":1,"b":2}` {
					t.Fatalf("output %s (%v)", raw.Output, err)
				}
				ids = append(ids, id)
			}
			if ids[0] == ids[1] {
				t.Fatalf("two starts with one name answered the same execution %s", ids[0])
			}

			// Express executions are not kept.
			for _, path := range []string{"/v1/executions/" + ids[0], "/v1/executions/" + ids[0] + "/history"} {
				r := call(t, srv, http.MethodGet, path, nil)
				wantError(t, r, http.StatusNotFound, "NotFound")
				if !strings.Contains(string(r.body), "not kept") {
					t.Fatalf("GET %s: %s", path, r.body)
				}
			}

			// An asynchronous start answers 202 at once, without Location,
			// and the run ends on its own.
			r = call(t, srv, http.MethodPost, "/v1/state-machines/fast/executions", map[string]any{"input": map[string]any{"y": 2}})
			m := r.json(t)
			if r.status != http.StatusAccepted || m["status"] != "RUNNING" || m["type"] != "EXPRESS" || r.header.Get("Location") != "" {
				t.Fatalf("async start: %d %s (Location %q)", r.status, r.body, r.header.Get("Location"))
			}
			asyncID := m["executionId"].(string)
			if !strings.HasPrefix(asyncID, expressPrefix+"fast:") {
				t.Fatalf("async executionId %s", asyncID)
			}
			waitEnded(t, env, asyncID, store.StatusSucceeded)
		})
	}
}

// waitEnded waits for the runner to report the end of the Express
// execution with the ARN id, and checks its status.
func waitEnded(t *testing.T, env *expressEnv, id, status string) {
	t.Helper()
	timeout := time.After(20 * time.Second)
	for {
		select {
		case res := <-env.ended:
			if !strings.HasSuffix(id, ":"+res.ID) {
				continue // an earlier run
			}
			if res.Status != status {
				t.Fatalf("%s ended %s (%s: %s), want %s", id, res.Status, res.Error, res.Cause, status)
			}
			return
		case <-timeout:
			t.Fatalf("%s did not end", id)
		}
	}
}

func TestExpressFailureAndWait(t *testing.T) {
	env := setupExpress(t, memory.New(), express.Config{}, false)
	srv := env.srv
	put(t, srv, "boom?type=EXPRESS", failDef)
	put(t, srv, "sleepy?type=EXPRESS", waitDef)

	// A failed run is an answer, 200 with its error.
	r := call(t, srv, http.MethodPost, "/v1/state-machines/boom/executions?wait=10s", nil)
	m := r.json(t)
	if r.status != http.StatusOK || m["status"] != "FAILED" || m["error"] != "E.Boom" || m["cause"] != "because" || m["output"] != nil {
		t.Fatalf("failed run: %d %s", r.status, r.body)
	}

	// A start through a published version says so.
	if r := call(t, srv, http.MethodPost, "/v1/state-machines/boom/publish", nil); r.status != http.StatusCreated {
		t.Fatalf("publish: %d %s", r.status, r.body)
	}
	r = call(t, srv, http.MethodPost, "/v1/state-machines/boom/executions?wait=10s", map[string]any{"publishedVersion": 1})
	if m := r.json(t); r.status != http.StatusOK || m["publishedVersion"] != 1.0 || m["status"] != "FAILED" {
		t.Fatalf("start of a published version: %d %s", r.status, r.body)
	}

	// A wait shorter than the run: 202 with the execution, which goes on.
	r = call(t, srv, http.MethodPost, "/v1/state-machines/sleepy/executions?wait=200ms", map[string]any{"name": "zz"})
	m = r.json(t)
	if r.status != http.StatusAccepted || m["status"] != "RUNNING" || !strings.HasPrefix(m["executionId"].(string), expressPrefix+"sleepy:zz:") {
		t.Fatalf("wait ran out: %d %s", r.status, r.body)
	}
}

func TestExpressDefinitionsRefused(t *testing.T) {
	env := setupExpress(t, memory.New(), express.Config{}, false)
	for _, c := range []struct {
		name, def, state, path string
	}{
		{"activity", activityDef, "T", "/States/T/Resource"},
		{"callback", `{"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"Ask","States":{"Ask":{"Type":"Task",` +
			`"Resource":"arn:aws:states:::http:invoke.waitForTaskToken","Parameters":{"ApiEndpoint":"http://x/","Method":"POST"},"End":true}}}]}}}`,
			"Ask", "/States/P/Branches/0/States/Ask/Resource"},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := call(t, env.srv, http.MethodPut, "/v1/state-machines/x?type=EXPRESS", c.def)
			wantError(t, r, http.StatusBadRequest, "ValidationError")
			m := r.json(t)
			details, _ := m["details"].([]any)
			if !strings.Contains(m["message"].(string), `"`+c.state+`"`) || len(details) != 1 {
				t.Fatalf("refusal %s", r.body)
			}
			d := details[0].(map[string]any)
			if d["path"] != c.path || d["line"] != 1.0 || d["column"].(float64) < 2 {
				t.Fatalf("detail %v, want path %s with its position", d, c.path)
			}
			wantError(t, call(t, env.srv, http.MethodGet, "/v1/state-machines/x", nil), http.StatusNotFound, "NotFound")
			// The same definition is fine for a STANDARD machine.
			put(t, env.srv, "x", c.def)
			if r := call(t, env.srv, http.MethodDelete, "/v1/state-machines/x", nil); r.status != http.StatusNoContent {
				t.Fatalf("DELETE: %d %s", r.status, r.body)
			}
		})
	}
}

func TestExpressWithoutRunner(t *testing.T) {
	env := setupExpress(t, memory.New(), express.Config{}, true)
	wantError(t, call(t, env.srv, http.MethodPut, "/v1/state-machines/fast?type=EXPRESS", passChain), http.StatusBadRequest, "InvalidInput")
	// One made through the AWS API is refused at start.
	_, err := awsClient(env.srv).CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{Name: aws.String("fast"),
		Definition: aws.String(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), Type: sfntypes.StateMachineTypeExpress,
		RoleArn: aws.String("arn:aws:iam::123456789012:role/test")})
	if err != nil {
		t.Fatal(err)
	}
	r := call(t, env.srv, http.MethodPost, "/v1/state-machines/fast/executions?wait=5s", nil)
	wantError(t, r, http.StatusBadRequest, "InvalidInput")
	if !strings.Contains(string(r.body), "does not run EXPRESS") {
		t.Fatalf("refusal %s", r.body)
	}
}

// TestExpressLimit: a node that holds as many Express runs as it may
// answers 503 with Retry-After.
func TestExpressLimit(t *testing.T) {
	env := setupExpress(t, memory.New(), express.Config{MaxRunning: 1}, false)
	put(t, env.srv, "sleepy?type=EXPRESS", waitDef)
	if r := call(t, env.srv, http.MethodPost, "/v1/state-machines/sleepy/executions", nil); r.status != http.StatusAccepted {
		t.Fatalf("first start: %d %s", r.status, r.body)
	}
	r := call(t, env.srv, http.MethodPost, "/v1/state-machines/sleepy/executions", nil)
	wantError(t, r, http.StatusServiceUnavailable, "Unavailable")
	if r.header.Get("Retry-After") != "1" {
		t.Fatalf("Retry-After %q", r.header.Get("Retry-After"))
	}
}
