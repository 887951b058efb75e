package awsjson_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/smithy-go"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

const (
	adminKey    = "AKIASFNTESTADMIN0001"
	adminSecret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYADMINKEY"
	readerKey   = "AKIASFNTESTREADER001"
	readerSec   = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYREADERKY"
)

var testCredentials = map[string]awsjson.Credential{
	adminKey:  {Secret: adminSecret, Role: awsjson.RoleAdmin},
	readerKey: {Secret: readerSec, Role: awsjson.RoleReader},
}

// newServer returns the AWS API over a memory store, configured by cfg
// (Engine, Meta and Space are filled in).
func newServer(t *testing.T, cfg awsjson.Config) *awsjson.Server {
	t.Helper()
	cfg.Engine = interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	cfg.Space = arn.DefaultSpace
	return awsjson.New(cfg)
}

// listen serves the AWS API on a real listener.
func listen(t *testing.T, cfg awsjson.Config) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(newServer(t, cfg))
	t.Cleanup(ts.Close)
	return ts
}

// errorCode is the AWS error code of err, "" for no error.
func errorCode(t *testing.T, err error) string {
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

// wantRefused fails unless err is the AWS error code, with a message that
// starts with msg.
func wantRefused(t *testing.T, err error, code, msg string) {
	t.Helper()
	var ae smithy.APIError
	if !errors.As(err, &ae) {
		t.Fatalf("got %v, want %s", err, code)
	}
	if ae.ErrorCode() != code || !strings.HasPrefix(ae.ErrorMessage(), msg) {
		t.Fatalf("got %s %q, want %s %q", ae.ErrorCode(), ae.ErrorMessage(), code, msg)
	}
}

const msgMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// TestSDKClientAuth: the real SDK client's requests verify with the right
// key and are refused, as AWS refuses them, otherwise.
func TestSDKClientAuth(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name        string
		cfg         awsjson.Config
		key, secret string
		code, msg   string // "": the request succeeds
	}{
		{"right key", awsjson.Config{Credentials: testCredentials}, adminKey, adminSecret, "", ""},
		{"reader may list", awsjson.Config{Credentials: testCredentials}, readerKey, readerSec, "", ""},
		{"wrong secret", awsjson.Config{Credentials: testCredentials}, adminKey, adminSecret + "x", "InvalidSignatureException", msgMismatch},
		{"unknown key", awsjson.Config{Credentials: testCredentials}, "AKIASFNTESTUNKNOWN01", adminSecret, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"server clock 20 minutes ahead", awsjson.Config{Credentials: testCredentials, Now: func() time.Time { return time.Now().Add(20 * time.Minute) }},
			adminKey, adminSecret, "InvalidSignatureException", "Signature expired: "},
		{"server clock 20 minutes behind", awsjson.Config{Credentials: testCredentials, Now: func() time.Time { return time.Now().Add(-20 * time.Minute) }},
			adminKey, adminSecret, "InvalidSignatureException", "Signature not yet current: "},
		{"server clock 10 minutes ahead (within 15)", awsjson.Config{Credentials: testCredentials, Now: func() time.Time { return time.Now().Add(10 * time.Minute) }},
			adminKey, adminSecret, "", ""},
		{"tokens but no AWS keys", awsjson.Config{}, adminKey, adminSecret, "UnrecognizedClientException", "The security token included in the request is invalid."},
		{"open: any signature", awsjson.Config{Open: true}, "anything", "at all", "", ""},
	} {
		t.Run(c.name, func(t *testing.T) {
			ts := listen(t, c.cfg)
			_, err := client(ts.URL, c.key, c.secret, nil).ListStateMachines(ctx, &sfn.ListStateMachinesInput{})
			if c.code == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			wantRefused(t, err, c.code, c.msg)
		})
	}
}

// TestReaderMayNotStart: a reader's key is authenticated and then refused
// an operator's operation.
func TestReaderMayNotStart(t *testing.T) {
	ts := listen(t, awsjson.Config{Credentials: testCredentials})
	_, err := client(ts.URL, readerKey, readerSec, nil).StartExecution(context.Background(), &sfn.StartExecutionInput{
		StateMachineArn: aws.String("arn:aws:states:us-east-1:123456789012:stateMachine:hello"),
	})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:StartExecution")
}

// signedRequest builds a ListStateMachines request to endpoint signed with
// the SDK's signer at signedAt. edit, when given, changes the request before
// it is signed.
func signedRequest(t *testing.T, endpoint, key, secret string, body []byte, signedAt time.Time, edit func(*http.Request)) *http.Request {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint+"/", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", awsjson.ContentType)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	if edit != nil {
		edit(req)
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "states", testRegion, signedAt); err != nil {
		t.Fatal(err)
	}
	return req
}

// answer is an AWS API answer: its status and error code.
type answer struct {
	status int
	code   string
	msg    string
}

func send(t *testing.T, req *http.Request) answer {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return readAnswer(t, resp.StatusCode, resp.Body)
}

func readAnswer(t *testing.T, status int, r io.Reader) answer {
	t.Helper()
	var env struct {
		Type    string `json:"__type"`
		Message string `json:"message"`
	}
	if err := json.NewDecoder(r).Decode(&env); err != nil {
		t.Fatalf("HTTP %d, not a JSON answer: %v", status, err)
	}
	return answer{status, env.Type, env.Message}
}

// TestSignedRequests: requests signed by hand with the SDK's signer, as
// other SDKs and the CLI sign them, and changed after signing.
func TestSignedRequests(t *testing.T) {
	ts := listen(t, awsjson.Config{Credentials: testCredentials})
	body := []byte(`{"maxResults":10}`)
	now := time.Now()
	for _, c := range []struct {
		name      string
		req       func() *http.Request
		code, msg string // "": answered 200
	}{
		{"as the SDK for Go signs", func() *http.Request {
			return signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
		}, "", ""},
		{"Content-Length not signed, as botocore signs", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, func(r *http.Request) { r.ContentLength = 0 })
			if strings.Contains(req.Header.Get("Authorization"), "content-length") {
				t.Fatal("the test request signs content-length")
			}
			req.ContentLength = int64(len(body))
			return req
		}, "", ""},
		{"signed 20 minutes ago", func() *http.Request {
			return signedRequest(t, ts.URL, adminKey, adminSecret, body, now.Add(-20*time.Minute), nil)
		}, "InvalidSignatureException", "Signature expired: "},
		{"body changed after signing", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			changed := []byte(`{"maxResults":99}`)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			return req
		}, "InvalidSignatureException", msgMismatch},
		{"body changed with its X-Amz-Content-Sha256 left as signed", func() *http.Request {
			sum := sha256.Sum256(body)
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, func(r *http.Request) {
				r.Header.Set("X-Amz-Content-Sha256", hex.EncodeToString(sum[:]))
			})
			changed := []byte(`{"maxResults":99}`)
			req.Body, req.ContentLength = io.NopCloser(bytes.NewReader(changed)), int64(len(changed))
			return req
		}, "InvalidSignatureException", msgMismatch},
		{"operation changed after signing", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Set("X-Amz-Target", "AWSStepFunctions.DeleteStateMachine")
			return req
		}, "InvalidSignatureException", msgMismatch},
		{"sync- host", func() *http.Request {
			return signedRequest(t, ts.URL, adminKey, adminSecret, body, now, func(r *http.Request) {
				r.Host = "sync-" + ts.Listener.Addr().String()
			})
		}, "", ""},
		{"host changed after signing", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Host = "sync-" + ts.Listener.Addr().String()
			return req
		}, "InvalidSignatureException", msgMismatch},
		{"no Authorization", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Del("Authorization")
			return req
		}, "MissingAuthenticationTokenException", "Request is missing Authentication Token"},
		{"not SigV4", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Set("Authorization", "Bearer abc")
			return req
		}, "IncompleteSignatureException", "Authorization header requires 'Credential' parameter."},
		{"a parameter without =", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "Credential=", "Credential ", 1))
			return req
		}, "IncompleteSignatureException", "'Credential "},
		{"no X-Amz-Date", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Del("X-Amz-Date")
			return req
		}, "IncompleteSignatureException", "Authorization header requires existence of a 'X-Amz-Date' header"},
		{"scoped to another service", func() *http.Request {
			req := signedRequest(t, ts.URL, adminKey, adminSecret, body, now, nil)
			req.Header.Set("Authorization", strings.Replace(req.Header.Get("Authorization"), "/states/", "/lambda/", 1))
			return req
		}, "InvalidSignatureException", "Credential should be scoped to correct service: 'states'."},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := send(t, c.req())
			if c.code == "" {
				if got.status != http.StatusOK {
					t.Fatalf("got %+v, want 200", got)
				}
				return
			}
			if got.status != http.StatusBadRequest || got.code != c.code || !strings.HasPrefix(got.msg, c.msg) {
				t.Fatalf("got %+v, want 400 %s %q", got, c.code, c.msg)
			}
		})
	}
}

// TestSignedUserAgent: a client that signs a header the Go SDK's signer
// never signs itself (the AWS SDK for Java v1 signs User-Agent) verifies.
func TestSignedUserAgent(t *testing.T) {
	s := newServer(t, awsjson.Config{Credentials: testCredentials})
	body := []byte(`{}`)
	req := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080/", bytes.NewReader(body))
	req.Header.Set("Content-Type", awsjson.ContentType)
	req.Header.Set("X-Amz-Target", "AWSStepFunctions.ListStateMachines")
	// The Go signer skips "User-Agent" by its canonical name only: keyed
	// in lower case, it is signed, as Java v1 signs it.
	req.Header["user-agent"] = []string{"aws-sdk-java/1.12.0"}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: adminKey, SecretAccessKey: adminSecret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, req, hex.EncodeToString(sum[:]), "states", testRegion, time.Now()); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(req.Header.Get("Authorization"), "user-agent") {
		t.Fatalf("the test request does not sign user-agent: %s", req.Header.Get("Authorization"))
	}
	// As net/http hands it to a handler: canonical names.
	received := http.Header{}
	for k, vs := range req.Header {
		for _, v := range vs {
			received.Add(k, v)
		}
	}
	req.Header = received
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := readAnswer(t, rec.Code, rec.Body); got.status != http.StatusOK {
		t.Fatalf("got %+v, want 200", got)
	}
}

// recordingBody is a request body that records whether it was read.
type recordingBody struct {
	r    io.Reader
	read atomic.Bool
}

func (b *recordingBody) Read(p []byte) (int, error) {
	b.read.Store(true)
	return b.r.Read(p)
}

func (b *recordingBody) Close() error { return nil }

// TestRefusedBeforeTheBody: who is calling is settled from the headers: a
// refused request's body is never read.
func TestRefusedBeforeTheBody(t *testing.T) {
	body := []byte(`{"maxResults":10}`)
	now := time.Now()
	for _, c := range []struct {
		name        string
		cfg         awsjson.Config
		key, secret string
		signedAt    time.Time
		code        string
	}{
		{"unknown key", awsjson.Config{Credentials: testCredentials}, "AKIASFNTESTUNKNOWN01", adminSecret, now, "UnrecognizedClientException"},
		{"stale date", awsjson.Config{Credentials: testCredentials}, adminKey, adminSecret, now.Add(-20 * time.Minute), "InvalidSignatureException"},
		{"tokens but no AWS keys", awsjson.Config{}, adminKey, adminSecret, now, "UnrecognizedClientException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := newServer(t, c.cfg)
			req := signedRequest(t, "http://127.0.0.1:8080", c.key, c.secret, body, c.signedAt, nil)
			rb := &recordingBody{r: bytes.NewReader(body)}
			req.Body = rb
			rec := httptest.NewRecorder()
			s.ServeHTTP(rec, req)
			if got := readAnswer(t, rec.Code, rec.Body); got.code != c.code {
				t.Fatalf("got %+v, want %s", got, c.code)
			}
			if rb.read.Load() {
				t.Fatal("the body of a refused request was read")
			}
		})
	}
	// The control: a request that passes is read.
	s := newServer(t, awsjson.Config{Credentials: testCredentials})
	req := signedRequest(t, "http://127.0.0.1:8080", adminKey, adminSecret, body, now, nil)
	rb := &recordingBody{r: bytes.NewReader(body)}
	req.Body = rb
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if got := readAnswer(t, rec.Code, rec.Body); got.status != http.StatusOK || !rb.read.Load() {
		t.Fatalf("control: got %+v, body read %v; want 200, body read", got, rb.read.Load())
	}
}

func TestParseCredentials(t *testing.T) {
	for _, c := range []struct {
		name, file string
		want       map[string]awsjson.Credential
		err        string
	}{
		{"keys and comments", "# key secret role\n\nAKIA1 s3cr/et+1 admin\n  AKIA2\tsecret2   reader  \n",
			map[string]awsjson.Credential{"AKIA1": {Secret: "s3cr/et+1", Role: "admin"}, "AKIA2": {Secret: "secret2", Role: "reader"}}, ""},
		{"two fields", "AKIA1 admin\n", nil, "line 1: want an access key id, a secret access key and a role"},
		{"unknown role", "AKIA1 secret root\n", nil, `line 1: unknown role "root"`},
		{"role first", "admin AKIA1 secret\n", nil, `line 1: unknown role "secret"`},
		{"slash in key", "AKIA/1 secret admin\n", nil, "line 1: an access key id cannot hold"},
		{"twice", "AKIA1 a admin\nAKIA1 b reader\n", nil, "line 2: access key id AKIA1 is given twice"},
		{"empty", "# nothing\n", nil, "the file holds no access key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := awsjson.ParseCredentials([]byte(c.file))
			if c.err != "" {
				if err == nil || !strings.Contains(err.Error(), c.err) {
					t.Fatalf("err = %v, want %q", err, c.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %v, want %v", got, c.want)
			}
			for k, v := range c.want {
				if got[k] != v {
					t.Errorf("%s = %+v, want %+v", k, got[k], v)
				}
			}
		})
	}
}
