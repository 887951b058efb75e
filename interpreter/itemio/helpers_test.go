package itemio

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/itemio/s3test"
)

// fakeS3 is a real S3-protocol server on a loopback listener (s3test),
// and the SDK client the tests use to put and get objects themselves.
type fakeS3 struct {
	*s3test.Server
	url    string
	client *s3.Client
}

const (
	testKeyID  = s3test.KeyID
	testSecret = s3test.Secret
)

// newFakeS3 starts a store with the buckets; backend wraps the in-memory
// backend when a test needs to serve generated objects.
func newFakeS3(t testing.TB, backend func(gofakes3.Backend) gofakes3.Backend, buckets ...string) *fakeS3 {
	t.Helper()
	s := s3test.StartWith(t, backend, buckets...)
	return &fakeS3{Server: s, url: s.URL, client: s.Client}
}

func (f *fakeS3) put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	f.Put(t, bucket, key, body)
}

func (f *fakeS3) get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	return f.Get(t, bucket, key)
}

func (f *fakeS3) keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	return f.Keys(t, bucket, prefix)
}

// store is a Store on the fake with the test credentials.
func (f *fakeS3) store(name string, read, write []string) Store {
	return Store{Name: name, Endpoint: f.url, AccessKeyID: testKeyID, SecretAccessKey: testSecret, PathStyle: true, Read: read, Write: write}
}

func newIO(t testing.TB, cfg Config) *IO {
	t.Helper()
	x, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return x
}

// params builds evaluated Parameters from JSON text.
func params(t testing.TB, s string) value.Value {
	t.Helper()
	v, err := value.DecodeString(s)
	if err != nil {
		t.Fatalf("params %s: %v", s, err)
	}
	return v
}

// readAll reads every item of req and returns them as one JSON array, the
// way a Pass item processor with MaxConcurrency 1 gives them back in AWS's
// recordings; or the error of Read or of the first failing Next.
func readAll(t testing.TB, x *IO, req ReadRequest) (string, error) {
	t.Helper()
	ctx := context.Background()
	it, err := x.Read(ctx, req)
	if err != nil {
		return "", err
	}
	defer it.Close()
	all := []any{}
	for {
		v, ok, err := it.Next(ctx)
		if err != nil {
			return value.MarshalString(all), err
		}
		if !ok {
			return value.MarshalString(all), nil
		}
		all = append(all, v)
	}
}

// wantFailure checks that err is a *failure.Error named name whose cause
// holds cause.
func wantFailure(t testing.TB, err error, name, cause string) {
	t.Helper()
	var fe *failure.Error
	if !errors.As(err, &fe) {
		t.Fatalf("error %v (%T), want a *failure.Error %s", err, err, name)
	}
	if fe.Name != name || !strings.Contains(fe.Cause, cause) {
		t.Fatalf("error %s: %q, want %s with a cause holding %q", fe.Name, fe.Cause, name, cause)
	}
}
