package awsjson_test

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

const (
	syncEcho  = `{"StartAt":"Echo","States":{"Echo":{"Type":"Pass","Result":{"sync":true},"ResultPath":"$.result","End":true}}}`
	syncFail  = `{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"Sync.Failure","Cause":"deliberate"}}}`
	syncWait  = `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`
	syncBlock = `{"StartAt":"T","States":{"T":{"Type":"Task","Resource":"handler:block","End":true}}}`
)

// syncFixture is the AWS API over a memory store with an Express runner,
// on a real listener, and the SDK client that talks to it.
type syncFixture struct {
	eng    *interpreter.Engine
	meta   *awsmeta.Meta
	runner *express.Runner
	ts     *httptest.Server
	client *sfn.Client
	hosts  chan string   // the Host of every request served
	gate   chan struct{} // handler:block returns when it is closed
	inside chan struct{} // handler:block has been called
	ended  chan express.Result
}

func newSyncFixture(t *testing.T, change func(*express.Config)) *syncFixture {
	t.Helper()
	return newSyncFixtureWith(t, change, nil)
}

// newSyncFixtureWith is newSyncFixture with an API that takes only requests
// signed with one of credentials (nil: any request, as newSyncFixture's).
func newSyncFixtureWith(t *testing.T, change func(*express.Config), credentials map[string]awsjson.Credential) *syncFixture {
	t.Helper()
	ctx := context.Background()
	st := memory.New()
	f := &syncFixture{
		eng: interpreter.New(interpreter.Config{Store: st, CheckCachedThreads: true}), meta: awsmeta.New(st),
		hosts: make(chan string, 100), gate: make(chan struct{}), inside: make(chan struct{}, 10), ended: make(chan express.Result, 10),
	}
	if err := f.eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.eng.Stop)
	cfg := express.Config{Store: st, Space: arn.DefaultSpace, Ended: func(r express.Result) { f.ended <- r },
		Handlers: map[string]interpreter.Handler{"block": func(ctx context.Context, _ json.RawMessage) (json.RawMessage, error) {
			f.inside <- struct{}{}
			select {
			case <-f.gate:
				return json.RawMessage(`{"unblocked":true}`), nil
			case <-ctx.Done():
				return nil, ctx.Err()
			}
		}}}
	if change != nil {
		change(&cfg)
	}
	f.runner = express.New(cfg)
	if err := f.runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.runner.Stop)
	api := awsjson.New(awsjson.Config{Engine: f.eng, Meta: f.meta, Space: arn.DefaultSpace, Open: credentials == nil, Credentials: credentials,
		Express: awsjson.NewExpress(f.runner, arn.DefaultSpace)})
	f.ts = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case f.hosts <- r.Host:
		default:
		}
		api.ServeHTTP(w, r)
	}))
	t.Cleanup(f.ts.Close)
	f.client = client(f.ts.URL, "AKIDEXAMPLE", "secret", nil, withoutHostPrefix)
	return f
}

// machine stores a state machine of type typ and returns its ARN.
func (f *syncFixture) machine(t *testing.T, name, def, typ string) string {
	t.Helper()
	ctx := context.Background()
	if _, err := f.eng.PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	if _, err := f.meta.UpdateMachine(ctx, name, func(m *awsmeta.Machine) error { m.Type = typ; return nil }); err != nil {
		t.Fatal(err)
	}
	return arn.DefaultSpace.StateMachine(name)
}

// withoutHostPrefix keeps StartSyncExecution on the endpoint itself: the
// SDK's model sends it to sync-<host>, and aws-sdk-go-v2 has no client
// option to stop that, only the stack value its operation middleware reads
// (smithyhttp.DisableEndpointHostPrefix). The stack's values are reset
// when an operation starts, so it is set by a middleware in the stack.
func withoutHostPrefix(stack *middleware.Stack) error {
	return stack.Initialize.Add(middleware.InitializeMiddlewareFunc("sfnNoHostPrefix",
		func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
			return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
		}), middleware.Before)
}

var expressARN = regexp.MustCompile(`^arn:aws:states:us-east-1:123456789012:express:([^:]+):([^:]+):([0-9a-f-]{36})$`)

func TestStartSyncExecution(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	echo := f.machine(t, "echo", syncEcho, awsmeta.Express)
	fail := f.machine(t, "fail", syncFail, awsmeta.Express)
	before := time.Now().Add(-time.Second)
	out, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(echo), Name: aws.String("first"), Input: aws.String(`{"n": 1}`), TraceHeader: aws.String("Root=1-abc"),
	})
	if err != nil {
		t.Fatal(err)
	}
	m := expressARN.FindStringSubmatch(aws.ToString(out.ExecutionArn))
	if m == nil || m[1] != "echo" || m[2] != "first" {
		t.Errorf("executionArn %q, want arn:…:express:echo:first:<uuid>", aws.ToString(out.ExecutionArn))
	}
	if out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != `{"n":1,"result":{"sync":true}}` ||
		aws.ToString(out.Input) != `{"n": 1}` || aws.ToString(out.Name) != "first" || aws.ToString(out.StateMachineArn) != echo ||
		aws.ToString(out.TraceHeader) != "Root=1-abc" {
		t.Errorf("answer: status %s output %s input %s name %s stateMachineArn %s traceHeader %s", out.Status, aws.ToString(out.Output),
			aws.ToString(out.Input), aws.ToString(out.Name), aws.ToString(out.StateMachineArn), aws.ToString(out.TraceHeader))
	}
	if out.InputDetails == nil || !out.InputDetails.Included || out.OutputDetails == nil || !out.OutputDetails.Included {
		t.Errorf("inputDetails %+v outputDetails %+v, want included", out.InputDetails, out.OutputDetails)
	}
	if out.StartDate == nil || out.StopDate == nil || out.StartDate.Before(before) || out.StopDate.Before(*out.StartDate) || time.Since(*out.StopDate) > time.Minute {
		t.Errorf("startDate %v stopDate %v", out.StartDate, out.StopDate)
	}
	if b := out.BillingDetails; b == nil || b.BilledMemoryUsedInMB != 64 || b.BilledDurationInMilliseconds < 100 || b.BilledDurationInMilliseconds%100 != 0 {
		t.Errorf("billingDetails %+v", b)
	}

	// A second start under the same name is another execution.
	again, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(echo), Name: aws.String("first"), Input: aws.String(`{"n": 1}`),
	})
	if err != nil {
		t.Fatalf("the same name again: %v", err)
	}
	if aws.ToString(again.ExecutionArn) == aws.ToString(out.ExecutionArn) {
		t.Errorf("the same name again: ARN %s, the first's", aws.ToString(again.ExecutionArn))
	}

	// A failed run is an answer, with its error and cause and no output.
	failed, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(fail)})
	if err != nil {
		t.Fatal(err)
	}
	if failed.Status != types.SyncExecutionStatusFailed || aws.ToString(failed.Error) != "Sync.Failure" || aws.ToString(failed.Cause) != "deliberate" ||
		failed.Output != nil || aws.ToString(failed.Input) != "{}" {
		t.Errorf("failed run: status %s error %q cause %q output %v input %q", failed.Status, aws.ToString(failed.Error),
			aws.ToString(failed.Cause), failed.Output, aws.ToString(failed.Input))
	}
	if m := expressARN.FindStringSubmatch(aws.ToString(failed.ExecutionArn)); m == nil || len(m[2]) != 36 {
		t.Errorf("a start without a name: executionArn %q, want a UUID for a name", aws.ToString(failed.ExecutionArn))
	}

	// METADATA_ONLY leaves the data out.
	meta, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
		StateMachineArn: aws.String(echo), Input: aws.String(`{"secret": 1}`), IncludedData: types.IncludedDataMetadataOnly,
	})
	if err != nil {
		t.Fatal(err)
	}
	if meta.Input != nil || meta.Output != nil || meta.InputDetails == nil || meta.InputDetails.Included || meta.Status != types.SyncExecutionStatusSucceeded {
		t.Errorf("METADATA_ONLY: input %v output %v inputDetails %+v status %s", meta.Input, meta.Output, meta.InputDetails, meta.Status)
	}
}

func TestStartSyncExecutionRefusals(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	echo := f.machine(t, "echo", syncEcho, awsmeta.Express)
	standard := f.machine(t, "standard", syncEcho, awsmeta.Standard)
	tests := []struct {
		name string
		in   sfn.StartSyncExecutionInput
		code string
	}{
		{"STANDARD machine", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(standard), Input: aws.String(`{}`), Name: aws.String("SyncExecution")}, "StateMachineTypeNotSupported"},
		{"absent machine", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn.DefaultSpace.StateMachine("absent"))}, "StateMachineDoesNotExist"},
		{"other account", sfn.StartSyncExecutionInput{StateMachineArn: aws.String("arn:aws:states:us-east-1:000000000000:stateMachine:echo")}, "StateMachineDoesNotExist"},
		{"not an ARN", sfn.StartSyncExecutionInput{StateMachineArn: aws.String("echo")}, "InvalidArn"},
		{"execution ARN", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(arn.DefaultSpace.Execution("echo", "x"))}, "InvalidArn"},
		{"empty input", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo), Input: aws.String("")}, "InvalidExecutionInput"},
		{"input not JSON", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo), Input: aws.String(`{"a":`)}, "InvalidExecutionInput"},
		{"bad name", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo), Name: aws.String("a b")}, "InvalidName"},
		{"includedData", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo), IncludedData: "SOME_DATA"}, "ValidationException"},
		{"long traceHeader", sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo), TraceHeader: aws.String(strings.Repeat("x", 257))}, "ValidationException"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := f.client.StartSyncExecution(context.Background(), &tt.in)
			if got := errorCode(t, err); got != tt.code {
				t.Errorf("error %q (%v), want %s", got, err, tt.code)
			}
		})
	}
}

// A run longer than the Express limit ends TIMED_OUT (the limit is short
// here; it is five minutes by default).
func TestStartSyncExecutionTimedOut(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, func(c *express.Config) { c.MaxDuration = time.Second })
	waits := f.machine(t, "waits", syncWait, awsmeta.Express)
	out, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(waits)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != types.SyncExecutionStatusTimedOut || aws.ToString(out.Error) != "States.Timeout" || out.Output != nil {
		t.Errorf("status %s error %q output %v, want TIMED_OUT States.Timeout and no output", out.Status, aws.ToString(out.Error), out.Output)
	}
}

// A node full of Express executions refuses more: ExecutionLimitExceeded.
func TestStartSyncExecutionLimit(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, func(c *express.Config) { c.MaxRunning = 1 })
	blocks := f.machine(t, "blocks", syncBlock, awsmeta.Express)
	echo := f.machine(t, "echo", syncEcho, awsmeta.Express)
	first := make(chan error, 1)
	go func() {
		out, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(blocks)})
		if err == nil && (out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != `{"unblocked":true}`) {
			err = errors.New("the first run answered " + string(out.Status) + " " + aws.ToString(out.Output))
		}
		first <- err
	}()
	<-f.inside
	_, err := f.client.StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(echo)})
	if code := errorCode(t, err); code != "ExecutionLimitExceeded" {
		t.Errorf("a start over the bound: %q (%v), want ExecutionLimitExceeded", code, err)
	}
	_, err = f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(echo)})
	if code := errorCode(t, err); code != "ExecutionLimitExceeded" {
		t.Errorf("an asynchronous start over the bound: %q (%v), want ExecutionLimitExceeded", code, err)
	}
	close(f.gate)
	if err := <-first; err != nil {
		t.Fatal(err)
	}
}

// A version ARN runs that version; the unqualified ARN the latest.
func TestStartSyncExecutionVersion(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	ctx := context.Background()
	sm := f.machine(t, "versioned", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"first","End":true}}}`, awsmeta.Express)
	pub, err := f.client.PublishStateMachineVersion(ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(sm)})
	if err != nil {
		t.Fatal(err)
	}
	f.machine(t, "versioned", `{"StartAt":"P","States":{"P":{"Type":"Pass","Result":"second","End":true}}}`, awsmeta.Express)
	for target, want := range map[string]string{aws.ToString(pub.StateMachineVersionArn): `"first"`, sm: `"second"`} {
		out, err := f.client.StartSyncExecution(ctx, &sfn.StartSyncExecutionInput{StateMachineArn: aws.String(target)})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.Output) != want || aws.ToString(out.StateMachineArn) != sm {
			t.Errorf("%s: output %s stateMachineArn %s, want %s and %s", target, aws.ToString(out.Output), aws.ToString(out.StateMachineArn), want, sm)
		}
	}
}

// The SDK sends StartSyncExecution to sync-<host> unless told not to; sfn
// answers there, open or with signatures (the host is signed as sent, and
// verifies). The client's dialer stands in for a resolver that sends
// sync-127.0.0.1 to the loopback listener.
func TestStartSyncExecutionHostPrefix(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name        string
		credentials map[string]awsjson.Credential
		key, secret string
	}{
		{"open", nil, "AKIDEXAMPLE", "secret"},
		{"signed", testCredentials, adminKey, adminSecret},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			f := newSyncFixtureWith(t, nil, c.credentials)
			echo := f.machine(t, "echo", syncEcho, awsmeta.Express)
			addr := f.ts.Listener.Addr().String()
			var (
				mu     sync.Mutex
				dialed []string
			)
			dialer := &net.Dialer{}
			hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, host string) (net.Conn, error) {
				mu.Lock()
				dialed = append(dialed, host)
				mu.Unlock()
				return dialer.DialContext(ctx, network, addr)
			}}}
			for len(f.hosts) > 0 {
				<-f.hosts
			}
			out, err := client(f.ts.URL, c.key, c.secret, hc).StartSyncExecution(context.Background(), &sfn.StartSyncExecutionInput{
				StateMachineArn: aws.String(echo), Input: aws.String(`{"via":"prefix"}`),
			})
			if err != nil {
				t.Fatal(err)
			}
			if out.Status != types.SyncExecutionStatusSucceeded || aws.ToString(out.Output) != `{"via":"prefix","result":{"sync":true}}` {
				t.Errorf("status %s output %s", out.Status, aws.ToString(out.Output))
			}
			if host := <-f.hosts; host != "sync-"+addr {
				t.Errorf("the request arrived with Host %q, want %q", host, "sync-"+addr)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(dialed) != 1 || dialed[0] != "sync-"+addr {
				t.Errorf("the client dialled %q, want sync-%s", dialed, addr)
			}
		})
	}
}

// StartExecution of an EXPRESS machine starts it asynchronously: an
// Express ARN at once, the run in the background, its start kept in the
// store until it ends.
func TestStartExecutionExpress(t *testing.T) {
	t.Parallel()
	f := newSyncFixture(t, nil)
	blocks := f.machine(t, "blocks", syncBlock, awsmeta.Express)
	out, err := f.client.StartExecution(context.Background(), &sfn.StartExecutionInput{StateMachineArn: aws.String(blocks), Name: aws.String("bg")})
	if err != nil {
		t.Fatal(err)
	}
	m := expressARN.FindStringSubmatch(aws.ToString(out.ExecutionArn))
	if m == nil || m[1] != "blocks" || m[2] != "bg" || out.StartDate == nil {
		t.Fatalf("executionArn %q startDate %v", aws.ToString(out.ExecutionArn), out.StartDate)
	}
	<-f.inside
	if _, err := f.eng.Store().GetDoc(context.Background(), "express-start", m[3]); err != nil {
		t.Errorf("the start is not in the store while it runs: %v", err)
	}
	close(f.gate)
	end := <-f.ended
	if end.ID != m[3] || end.Status != store.StatusSucceeded {
		t.Errorf("ended %+v", end)
	}
	if _, err := f.eng.Store().GetDoc(context.Background(), "express-start", m[3]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the start is still in the store after the run: %v", err)
	}
}
