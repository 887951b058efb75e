package itemio

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// fakeS3 is a real S3-protocol server (gofakes3) on a loopback listener,
// and the SDK client the tests use to put and get objects themselves.
type fakeS3 struct {
	url    string
	client *s3.Client
}

const (
	testKeyID  = "AKIDTEST"
	testSecret = "secret-test"
)

// newFakeS3 starts a store with the buckets; backend wraps the in-memory
// backend when a test needs to serve generated objects.
func newFakeS3(t testing.TB, backend func(gofakes3.Backend) gofakes3.Backend, buckets ...string) *fakeS3 {
	t.Helper()
	var b gofakes3.Backend = s3mem.New()
	if backend != nil {
		b = backend(b)
	}
	ts := httptest.NewUnstartedServer(gofakes3.New(b, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	// gofakes3 writes an error after the headers when a reader leaves
	// early (MaxItems, Close): net/http's complaint about it is noise.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	f := &fakeS3{url: ts.URL, client: s3.New(s3.Options{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(testKeyID, testSecret, ""),
		BaseEndpoint:               aws.String(ts.URL),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})}
	for _, name := range buckets {
		if _, err := f.client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("create bucket %s: %v", name, err)
		}
	}
	return f
}

func (f *fakeS3) put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	_, err := f.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)})
	if err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

func (f *fakeS3) get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := f.client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("read s3://%s/%s: %v", bucket, key, err)
	}
	return b
}

// keys lists the bucket's keys under prefix.
func (f *fakeS3) keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	out, err := f.client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
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
