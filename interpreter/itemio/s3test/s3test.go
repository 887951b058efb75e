// Package s3test starts an S3-protocol server in process for tests and
// benchmarks (gofakes3 on an httptest listener: a real S3 protocol
// endpoint, not a mock of the client), with a real AWS SDK client to fill
// and read its buckets. It imports nothing of sfn's, so that itemio's own
// tests use it too.
package s3test

import (
	"bytes"
	"context"
	"io"
	"log"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// The server's credentials (gofakes3 accepts any signature).
const (
	KeyID  = "AKIDTEST"
	Secret = "secret-test"
)

// Server is a running S3-protocol server.
type Server struct {
	URL    string
	Client *s3.Client
}

// Start starts a server with the given buckets; it stops with the test.
func Start(t testing.TB, buckets ...string) *Server { return StartWith(t, nil, buckets...) }

// StartWith is Start with wrap around the in-memory backend (nil: none),
// for a test that serves generated objects or injects faults.
func StartWith(t testing.TB, wrap func(gofakes3.Backend) gofakes3.Backend, buckets ...string) *Server {
	t.Helper()
	var b gofakes3.Backend = s3mem.New()
	if wrap != nil {
		b = wrap(b)
	}
	ts := httptest.NewUnstartedServer(gofakes3.New(b, gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	// gofakes3 writes an error after the headers when a reader leaves
	// early (MaxItems, Close): net/http's complaint about it is noise.
	ts.Config.ErrorLog = log.New(io.Discard, "", 0)
	ts.Start()
	t.Cleanup(ts.Close)
	s := &Server{URL: ts.URL, Client: s3.New(s3.Options{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(KeyID, Secret, ""),
		BaseEndpoint:               aws.String(ts.URL),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})}
	for _, name := range buckets {
		if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
			t.Fatalf("create bucket %s: %v", name, err)
		}
	}
	return s
}

// Put stores an object.
func (s *Server) Put(t testing.TB, bucket, key string, body []byte) {
	t.Helper()
	if _, err := s.Client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// Get reads an object.
func (s *Server) Get(t testing.TB, bucket, key string) []byte {
	t.Helper()
	out, err := s.Client.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
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

// Keys lists the bucket's keys under prefix.
func (s *Server) Keys(t testing.TB, bucket, prefix string) []string {
	t.Helper()
	out, err := s.Client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, *o.Key)
	}
	return keys
}
