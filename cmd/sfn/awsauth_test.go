package main

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	awssfn "github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

const (
	awsTestKey    = "AKIASFNSERVETEST0001"
	awsTestSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSERVEKEY"
)

// awsCredentialsFile writes an --aws-credentials file holding awsTestKey
// as an admin.
func awsCredentialsFile(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "aws-credentials")
	data := "# access key id, secret access key, role\n" + awsTestKey + " " + awsTestSecret + " admin\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// awsClient is the real SDK client for the sfn at endpoint, without retries.
func awsClient(endpoint, key, secret string) *awssfn.Client {
	return awssfn.New(awsOptions(endpoint, key, secret))
}

func awsOptions(endpoint, key, secret string) awssfn.Options {
	return awssfn.Options{
		Region:       arn.DefaultRegion,
		BaseEndpoint: aws.String(endpoint),
		Credentials:  credentials.NewStaticCredentialsProvider(key, secret, ""),
		Retryer:      aws.NopRetryer{},
	}
}

// awsErrorCode is err's AWS error code, "" for no error.
func awsErrorCode(t *testing.T, err error) string {
	t.Helper()
	if err == nil {
		return ""
	}
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("not an AWS API error: %v", err)
	}
	return ae.ErrorCode()
}

func TestServeAWSFlagsFromEnvironment(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want map[string]string
	}{
		{"unset", nil, map[string]string{"aws-credentials": "", "aws-region": arn.DefaultRegion, "aws-account": arn.DefaultAccount}},
		{"set", map[string]string{"SFN_AWS_CREDENTIALS": "/etc/sfn/aws", "SFN_AWS_REGION": "eu-west-3", "SFN_AWS_ACCOUNT": "210987654321"},
			map[string]string{"aws-credentials": "/etc/sfn/aws", "aws-region": "eu-west-3", "aws-account": "210987654321"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			cmd := newServeCmd(&app{getenv: func(k string) string { return c.env[k] }})
			for flag, want := range c.want {
				if got := cmd.Flags().Lookup(flag).Value.String(); got != want {
					t.Errorf("--%s = %q, want %q", flag, got, want)
				}
			}
		})
	}
}

// TestServeAWSAuthModes: who may call the AWS API follows from the bearer
// tokens and the AWS keys, and the server says which at start.
func TestServeAWSAuthModes(t *testing.T) {
	tokens := map[string]httpapi.Role{"tok": httpapi.RoleAdmin}
	creds := awsCredentialsFile(t)
	for _, c := range []struct {
		name        string
		tokens      map[string]httpapi.Role
		credentials string
		log         string
		key, secret string
		code        string // "": ListStateMachines succeeds
	}{
		{"open: any signature", nil, "", "AWS API open: any signature is accepted", "anything", "at all", ""},
		{"tokens, no keys: refused", tokens, "", "AWS API closed: --auth-tokens without --aws-credentials", awsTestKey, awsTestSecret, "UnrecognizedClientException"},
		{"keys without tokens: the right key passes", nil, creds, "AWS API signatures verified (--aws-credentials), although the REST API is open", awsTestKey, awsTestSecret, ""},
		{"keys without tokens: a wrong secret is refused", nil, creds, "AWS API signatures verified", awsTestKey, "wrong", "InvalidSignatureException"},
		{"keys and tokens: the right key passes", tokens, creds, "AWS API signatures verified (--aws-credentials)", awsTestKey, awsTestSecret, ""},
		{"keys and tokens: an unknown key is refused", tokens, creds, "AWS API signatures verified", "AKIASFNSERVEUNKNOWN1", awsTestSecret, "UnrecognizedClientException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
			o := &serveOptions{awsCredentials: c.credentials}
			api, runner, err := newAWSAPI(t.Context(), o, engine, arn.DefaultSpace, c.tokens, log)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(runner.Stop)
			if !strings.Contains(logs.String(), c.log) {
				t.Errorf("log %q does not say %q", logs.String(), c.log)
			}
			ts := httptest.NewServer(api)
			defer ts.Close()
			_, err = awsClient(ts.URL, c.key, c.secret).ListStateMachines(t.Context(), &awssfn.ListStateMachinesInput{})
			if got := awsErrorCode(t, err); got != c.code {
				t.Fatalf("ListStateMachines: %v, want %q", err, c.code)
			}
		})
	}
}

func TestServeAWSCredentialsFileErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad")
	if err := os.WriteFile(bad, []byte("AKIA1 secret superuser\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, path, want string
	}{
		{"missing file", filepath.Join(dir, "absent"), "--aws-credentials: open"},
		{"unknown role", bad, `--aws-credentials ` + bad + `: AWS credentials: line 1: unknown role "superuser"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			engine := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
			_, _, err := newAWSAPI(t.Context(), &serveOptions{awsCredentials: c.path}, engine, arn.DefaultSpace, nil, slog.New(slog.DiscardHandler))
			var ee *exitError
			if !errors.As(err, &ee) || ee.code != exitUsage || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want a usage error with %q", err, c.want)
			}
		})
	}
}

// TestServeAWSCredentials: sfn serve --aws-credentials verifies the SDK's
// signatures on its listener, next to the REST API.
func TestServeAWSCredentials(t *testing.T) {
	addr := startServer(t, "--aws-credentials", awsCredentialsFile(t))
	ctx := context.Background()
	_, err := awsClient("http://"+addr, awsTestKey, awsTestSecret).ListStateMachines(ctx, &awssfn.ListStateMachinesInput{})
	if code := awsErrorCode(t, err); code != "" {
		t.Fatalf("the right key: %v", err)
	}
	_, err = awsClient("http://"+addr, awsTestKey, "wrong").ListStateMachines(ctx, &awssfn.ListStateMachinesInput{})
	if code := awsErrorCode(t, err); code != "InvalidSignatureException" {
		t.Fatalf("a wrong secret: %v, want InvalidSignatureException", err)
	}

	// StartSyncExecution goes to sync-<host>, as the SDK sends it: the
	// client dials the server whatever the name, as a resolver pointing
	// sync-127.0.0.1 at it would, and the Host check and the signature
	// both take the prefixed name.
	var (
		mu     sync.Mutex
		dialed []string
	)
	dialer := &net.Dialer{}
	o := awsOptions("http://"+addr, awsTestKey, awsTestSecret)
	o.HTTPClient = &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, host string) (net.Conn, error) {
		mu.Lock()
		dialed = append(dialed, host)
		mu.Unlock()
		return dialer.DialContext(ctx, network, addr)
	}}}
	_, err = awssfn.New(o).StartSyncExecution(ctx, &awssfn.StartSyncExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:" + arn.DefaultRegion + ":" + arn.DefaultAccount + ":stateMachine:absent"),
	})
	// Past the Host check and the signature: the AWS API's own answer
	// about the state machine (not the REST API's refusal, which the SDK
	// cannot name, nor an authentication refusal).
	if code := awsErrorCode(t, err); code != "StateMachineDoesNotExist" {
		t.Fatalf("StartSyncExecution to sync-%s: %v, want StateMachineDoesNotExist", addr, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(dialed) != 1 || dialed[0] != "sync-"+addr {
		t.Fatalf("the client dialled %q, want sync-%s", dialed, addr)
	}
}
