// Package s3test starts an S3-protocol server in process for tests and
// benchmarks (gofakes3 on an httptest listener: a real S3 protocol
// endpoint, not a mock of the client), with a real AWS SDK client to fill
// and read its buckets.
package s3test

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"

	"github.com/sfn-project/sfn/interpreter/itemio"
)

// The server's credentials (gofakes3 accepts any signature).
const (
	KeyID  = "AKIATESTKEY"
	Secret = "test-secret"
)

// Server is a running S3-protocol server.
type Server struct {
	URL    string
	Client *s3.Client
}

// Start starts a server with the given buckets; it stops with the test.
func Start(t testing.TB, buckets ...string) *Server {
	t.Helper()
	ts := httptest.NewServer(gofakes3.New(s3mem.New(), gofakes3.WithLogger(gofakes3.DiscardLog())).Server())
	t.Cleanup(ts.Close)
	s := &Server{URL: ts.URL, Client: s3.New(s3.Options{
		Region:                     "us-east-1",
		Credentials:                credentials.NewStaticCredentialsProvider(KeyID, Secret, ""),
		BaseEndpoint:               aws.String(ts.URL),
		UsePathStyle:               true,
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})}
	for _, b := range buckets {
		if _, err := s.Client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("create bucket %s: %v", b, err)
		}
	}
	return s
}

// Store is the itemio store of this server, reading and writing what
// read and write name ("bucket" or "bucket/prefix").
func (s *Server) Store(read, write []string) itemio.Store {
	return itemio.Store{Name: "test", Endpoint: s.URL, Region: "us-east-1", AccessKeyID: KeyID, SecretAccessKey: Secret,
		PathStyle: true, Read: read, Write: write}
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
