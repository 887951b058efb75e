package itemio

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/sfn-project/sfn/dsl/failure"
)

// Limits AWS documents, which sfn keeps.
const (
	// MaxItemBytes bounds one item read from an object: "Step Functions
	// supports reading an item of up to 8 MB from a text delimited file,
	// JSON, or JSON Lines file". It also bounds what one item costs in
	// memory, whatever the object's size.
	MaxItemBytes = 8 << 20
	// MaxCSVHeaderBytes bounds a CSV header row ("Step Functions supports
	// CSV headers of up to 10 KB").
	MaxCSVHeaderBytes = 10 << 10
	// MaxResultFileBytes is where a result file is split ("If a file size
	// exceeds 5 GB, Step Functions creates another file").
	MaxResultFileBytes = 5 << 30
	// MaxItemsLimit is the largest MaxItems that means anything: "You can
	// specify a limit of up to 100,000,000 after which the Distributed Map
	// stops reading items". Larger values read everything (R11's
	// 100000001 reads all 4 rows), so they are capped, not refused.
	MaxItemsLimit = 100_000_000
)

// IO reads items and writes results for Distributed Maps, against the
// configured object stores and the HTTP reader. It is safe for concurrent
// use.
type IO struct {
	stores []Store
	c      compiled
	client map[*Store]*s3.Client
	http   func(ctx context.Context, url string) (io.ReadCloser, error)

	// Bounds, variables so that tests can reach them with small data.
	maxItemBytes       int
	maxResultFileBytes int64
}

// New checks the configuration and prepares one S3 client per store; it
// sends no request (a store that is down fails the readers that use it,
// not the server's start).
func New(cfg Config) (*IO, error) {
	stores := append([]Store(nil), cfg.Stores...)
	c, err := compile(stores)
	if err != nil {
		return nil, fmt.Errorf("object stores: %w", err)
	}
	x := &IO{
		stores: stores, c: c, client: map[*Store]*s3.Client{}, http: cfg.HTTP,
		maxItemBytes: MaxItemBytes, maxResultFileBytes: MaxResultFileBytes,
	}
	for i := range x.stores {
		x.client[&x.stores[i]] = newClient(x.stores[i])
	}
	return x, nil
}

func newClient(s Store) *s3.Client {
	region := s.Region
	if region == "" {
		region = "us-east-1"
	}
	var creds aws.CredentialsProvider = aws.AnonymousCredentials{}
	if s.AccessKeyID != "" {
		static := aws.Credentials{AccessKeyID: s.AccessKeyID, SecretAccessKey: s.SecretAccessKey, SessionToken: s.SessionToken, Source: "sfn object store " + s.Name}
		creds = aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) { return static, nil })
	}
	return s3.New(s3.Options{
		Region:       region,
		Credentials:  creds,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: s.PathStyle,
		// Only what a request needs: the SDK's default checksums (CRC32
		// trailers on uploads, validation of downloads) are not spoken by
		// every S3-compatible store.
		RequestChecksumCalculation: aws.RequestChecksumCalculationWhenRequired,
		ResponseChecksumValidation: aws.ResponseChecksumValidationWhenRequired,
	})
}

// direction names what a definition wants of a bucket, for lookups and
// their messages.
type direction struct {
	verb   string // "read", "write"
	ing    string // "reading", "writing"
	errors string // the error name
	mine   func(compiled) map[string]*access
	other  func(compiled) map[string]*access
}

var (
	reading = direction{"read", "reading", failure.ItemReaderFailed,
		func(c compiled) map[string]*access { return c.read },
		func(c compiled) map[string]*access { return c.write }}
	writing = direction{"write", "writing", failure.ResultWriterFailed,
		func(c compiled) map[string]*access { return c.write },
		func(c compiled) map[string]*access { return c.read }}
)

// storeFor returns the store that may read (or write) the key or key
// prefix p of bucket, or the error that refuses it, before any request.
func (x *IO) storeFor(d direction, bucket, p string) (*Store, *s3.Client, *failure.Error) {
	if err := checkBucket(bucket); err != nil {
		return nil, nil, failure.Newf(d.errors, "Bucket: %v", err)
	}
	if err := checkKey(p); err != nil {
		return nil, nil, failure.Newf(d.errors, "%v", err)
	}
	a := d.mine(x.c)[bucket]
	if a == nil {
		if o := d.other(x.c)[bucket]; o != nil {
			return nil, nil, failure.Newf(d.errors, "the server may not %s bucket %q: object store %q does not list it under %q", d.verb, bucket, o.store.Name, d.verb)
		}
		return nil, nil, failure.Newf(d.errors, "no object store is configured to %s bucket %q (see the server's object stores file)", d.verb, bucket)
	}
	for _, g := range a.grants {
		if g.covers(p) {
			return a.store, x.client[a.store], nil
		}
	}
	allowed := make([]string, len(a.grants))
	for i, g := range a.grants {
		allowed[i] = "s3://" + g.String() + "*"
	}
	return nil, nil, failure.Newf(d.errors, "the server may not %s s3://%s/%s: object store %q allows %s only %s", d.verb, bucket, p, a.store.Name, d.ing, strings.Join(allowed, ", "))
}

// describe words an error from a store for a cause: the store's own error
// code and message when it answered, else why it could not be reached.
// SDK errors carry the operation and attempts; the cause keeps what a user
// can act on.
func describe(s *Store, err error) string {
	var api interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &api) {
		msg := api.ErrorMessage()
		if msg == "" {
			return fmt.Sprintf("object store %q answered %s", s.Name, api.ErrorCode())
		}
		return fmt.Sprintf("object store %q answered %s: %s", s.Name, api.ErrorCode(), msg)
	}
	var nerr net.Error
	var operr *net.OpError
	switch {
	case errors.As(err, &operr):
		return fmt.Sprintf("object store %q at %s is unreachable: %v", s.Name, s.Endpoint, operr)
	case errors.As(err, &nerr):
		return fmt.Sprintf("object store %q at %s is unreachable: %v", s.Name, s.Endpoint, nerr)
	}
	return fmt.Sprintf("object store %q at %s: %v", s.Name, s.Endpoint, err)
}

// errorCode is the store's error code in err, "" when it did not answer.
func errorCode(err error) string {
	var api interface{ ErrorCode() string }
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}
