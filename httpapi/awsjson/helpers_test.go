package awsjson_test

import (
	"context"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go/middleware"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// testRole is the roleArn the tests create state machines with: sfn
// assumes no role, any well-formed ARN will do.
const testRole = "arn:aws:iam::123456789012:role/sfn-test"

// testRegion is the region the tests' clients sign for.
const testRegion = arn.DefaultRegion

// client is the real SDK client for endpoint, signing with key and secret,
// without retries (a retry would hide the first answer), over httpClient
// (nil: the SDK's own) and with the API options given. Every test of the
// package makes its clients here.
func client(endpoint, key, secret string, httpClient sfn.HTTPClient, apiOptions ...func(*middleware.Stack) error) *sfn.Client {
	o := sfn.Options{
		Region:       testRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
		APIOptions:   apiOptions,
	}
	if httpClient != nil {
		o.HTTPClient = httpClient
	}
	return sfn.New(o)
}

// sdkEnv is an open AWS API over a started engine, behind a real listener,
// and the real SDK client pointed at it.
type sdkEnv struct {
	eng    *interpreter.Engine
	url    string
	client *sfn.Client
}

// startSDK starts an engine on st, serves the AWS API on a real listener
// (open: any signature, as `sfn serve` without tokens) and returns the SDK
// client for it. Everything stops when the test ends.
func startSDK(t *testing.T, st store.Store) *sdkEnv {
	t.Helper()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Space: arn.DefaultSpace})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(awsjson.New(awsjson.Config{Engine: eng, Open: true, Space: arn.DefaultSpace}))
	t.Cleanup(func() {
		ts.Close()
		eng.Stop()
	})
	return &sdkEnv{eng: eng, url: ts.URL, client: client(ts.URL, "AKIDSFNTEST", "any-secret", nil)}
}

// memoryStore is a fresh in-memory store.
func memoryStore(t *testing.T) store.Store {
	t.Helper()
	return memory.New()
}

// redisStore is the Redis store on a private redis-server (or
// SFN_TEST_REDIS_URL, under a prefix of this test's own); skipped loudly
// without redis-server, failed under CI=true.
func redisStore(t *testing.T) store.Store {
	t.Helper()
	st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16,
		Prefix: "awsjson" + strconv.FormatInt(time.Now().UnixNano(), 36)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// createMachine creates a STANDARD state machine through the SDK and
// returns its ARN.
func (e *sdkEnv) createMachine(t *testing.T, name, definition string) string {
	t.Helper()
	out, err := e.client.CreateStateMachine(context.Background(), &sfn.CreateStateMachineInput{
		Name: aws.String(name), Definition: aws.String(definition), RoleArn: aws.String(testRole),
	})
	if err != nil {
		t.Fatalf("CreateStateMachine %s: %v", name, err)
	}
	return aws.ToString(out.StateMachineArn)
}

// start starts a named execution and returns its ARN.
func (e *sdkEnv) start(t *testing.T, machineArn, name, input string) string {
	t.Helper()
	out, err := e.client.StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String(machineArn), Name: aws.String(name), Input: aws.String(input),
	})
	if err != nil {
		t.Fatalf("StartExecution %s: %v", name, err)
	}
	return aws.ToString(out.ExecutionArn)
}

// finish waits for the execution an ARN names to end (the engine's own
// wait, not polling) and returns DescribeExecution's answer for it.
func (e *sdkEnv) finish(t *testing.T, executionArn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	a, err := arn.Parse(executionArn)
	if err != nil {
		t.Fatalf("execution ARN %q: %v", executionArn, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if _, err := e.eng.Wait(ctx, a.ExecutionID()); err != nil {
		t.Fatalf("waiting for %s: %v", executionArn, err)
	}
	return e.describe(t, executionArn)
}

// describe is DescribeExecution, which must succeed.
func (e *sdkEnv) describe(t *testing.T, executionArn string) *sfn.DescribeExecutionOutput {
	t.Helper()
	out, err := e.client.DescribeExecution(context.Background(), &sfn.DescribeExecutionInput{ExecutionArn: aws.String(executionArn)})
	if err != nil {
		t.Fatalf("DescribeExecution %s: %v", executionArn, err)
	}
	return out
}

// wantCode fails unless err is the AWS error code (any message).
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := errorCode(t, err); got != code {
		t.Fatalf("got %q (%v), want %s", got, err, code)
	}
}
