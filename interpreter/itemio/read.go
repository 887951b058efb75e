package itemio

import (
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// The ItemReader resources sfn performs. The partition ("aws") may be any:
// definitions written for aws-cn or aws-us-gov read the same.
const (
	GetObject     = "s3:getObject"
	ListObjectsV2 = "s3:listObjectsV2"
	HTTPInvoke    = "http:invoke" // sfn's extension: not portable to AWS
)

// ReadRequest is one ItemReader evaluation: Resource, the evaluated
// Parameters/Arguments (an object: Bucket, Key (and optionally VersionId)
// for getObject; Bucket, Prefix (optional) for listObjectsV2; ApiEndpoint
// (and optionally Method "GET") for http:invoke) and ReaderConfig.
type ReadRequest struct {
	Resource          string
	Params            value.Value
	InputType         string // JSON, JSONL, CSV, MANIFEST; "" for listObjectsV2
	CSVHeaderLocation string // FIRST_ROW (the default) or GIVEN
	CSVHeaders        []string
	CSVDelimiter      string // COMMA (the default), PIPE, SEMICOLON, SPACE, TAB
	// MaxItems is the evaluated MaxItems or MaxItemsPath: 0 reads every
	// item; a negative value fails as AWS fails it; the CSV header row does
	// not count.
	MaxItems int64
}

// Items streams the items of one reader: a 10 GB object is never held in
// memory, only the item being parsed (at most MaxItemBytes).
type Items interface {
	// Next returns the next item; ok is false at the end. An error is a
	// *failure.Error (States.ItemReaderFailed: a malformed item, a read
	// that broke off), except ctx's own error when ctx ended during the
	// call. An error is final: later calls return it again. Cancelling ctx
	// while Next waits on the store abandons the read.
	Next(ctx context.Context) (item value.Value, ok bool, err error)
	// Source is $$.Map.Item.Source of the item Next gave last:
	// "s3://bucket/key" for getObject (for MANIFEST, the data file it came
	// from), "s3://bucket/prefix" for listObjectsV2, the URL for
	// http:invoke.
	Source() string
	// Close releases the connection to the store; it may be called at any
	// point, and more than once. Items is used by one goroutine at a time.
	Close() error
}

// Read starts one ItemReader: it checks the request and what the server
// allows, then opens the object (or lists the bucket's first page), so that
// a missing object, an unreachable store or a file that is no JSON array
// fails here, before any item. Everything that can be refused without a
// request (a bucket or prefix not allowed, bad parameters or ReaderConfig)
// is refused before one is sent. ctx bounds the opening only; the returned
// Items reads on until Close. Errors are *failure.Error
// (States.ItemReaderFailed) except ctx's own.
func (x *IO) Read(ctx context.Context, req ReadRequest) (Items, error) {
	action, ferr := resourceAction(req.Resource, failure.ItemReaderFailed, "ItemReader")
	if ferr != nil {
		return nil, ferr
	}
	if req.MaxItems < 0 {
		return nil, failure.New(failure.ItemReaderFailed, "field MaxItems must be positive")
	}
	left := min(req.MaxItems, MaxItemsLimit)
	if left == 0 {
		left = -1
	}
	params, ok := req.Params.(*value.Object)
	if !ok {
		return nil, failure.Newf(failure.ItemReaderFailed, "the ItemReader's Parameters must be an object, not %s", value.TypeName(req.Params))
	}
	// The stream outlives Read's ctx: it ends with Close, or with the ctx
	// of a Next that is cancelled while it waits.
	streamCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	it := &items{left: left, cancel: cancel}
	var err error
	switch action {
	case GetObject, HTTPInvoke:
		err = x.openObject(ctx, streamCtx, action, params, req, it)
	case ListObjectsV2:
		err = x.openListing(ctx, streamCtx, params, req, it)
	default:
		err = failure.Newf(failure.ItemReaderFailed, "ItemReader Resource %q is not supported: use arn:aws:states:::s3:getObject, arn:aws:states:::s3:listObjectsV2 or arn:aws:states:::http:invoke", req.Resource)
	}
	if err != nil {
		it.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, err
	}
	return it, nil
}

// resourceAction returns "s3:getObject" for arn:<partition>:states:::s3:getObject.
func resourceAction(resource, name, field string) (string, *failure.Error) {
	rest, ok := strings.CutPrefix(resource, "arn:")
	if ok {
		var partition string
		partition, rest, ok = strings.Cut(rest, ":")
		ok = ok && strings.HasPrefix(partition, "aws")
		if ok {
			rest, ok = strings.CutPrefix(rest, "states:::")
		}
	}
	if !ok {
		return "", failure.Newf(name, "%s Resource %q is not an arn:aws:states::: integration ARN", field, resource)
	}
	return rest, nil
}

// paramString returns the string member key of the parameters; required
// members must be present and non-empty.
func paramString(p *value.Object, key string, required bool, name string) (string, *failure.Error) {
	v, ok := p.Get(key)
	if !ok || v == nil {
		if required {
			return "", failure.Newf(name, "the field %s is missing from the Parameters", key)
		}
		return "", nil
	}
	s, ok := v.(string)
	if !ok {
		return "", failure.Newf(name, "Parameters.%s must be a string, not %s", key, value.TypeName(v))
	}
	if s == "" && required {
		return "", failure.Newf(name, "Parameters.%s is empty", key)
	}
	return s, nil
}

// onlyParams refuses members other than the allowed ones: a parameter sfn
// would not pass on (an SSE key, a Range, Headers) must not be dropped
// silently.
func onlyParams(p *value.Object, name, resource string, allowed ...string) *failure.Error {
	for _, m := range p.Members() {
		found := false
		for _, a := range allowed {
			found = found || m.Key == a
		}
		if !found {
			return failure.Newf(name, "Parameters.%s is not supported by sfn for %s (supported: %s)", m.Key, resource, strings.Join(allowed, ", "))
		}
	}
	return nil
}

// openObject opens the object (getObject) or the URL (http:invoke) and
// prepares the parser of its InputType.
func (x *IO) openObject(ctx, streamCtx context.Context, action string, params *value.Object, req ReadRequest, it *items) error {
	f, ferr := parseFormat(req)
	if ferr != nil {
		return ferr
	}
	var name string // the object's name, for its compression
	var open func() (io.ReadCloser, error)
	if action == HTTPInvoke {
		if ferr := onlyParams(params, failure.ItemReaderFailed, "http:invoke", "ApiEndpoint", "Method"); ferr != nil {
			return ferr
		}
		endpoint, ferr := paramString(params, "ApiEndpoint", true, failure.ItemReaderFailed)
		if ferr != nil {
			return ferr
		}
		if m, ferr := paramString(params, "Method", false, failure.ItemReaderFailed); ferr != nil {
			return ferr
		} else if m != "" && m != "GET" {
			return failure.Newf(failure.ItemReaderFailed, "an http:invoke ItemReader reads with GET, not %s", m)
		}
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return failure.Newf(failure.ItemReaderFailed, "Parameters.ApiEndpoint %q is not an http(s) URL", endpoint)
		}
		if f.inputType == "MANIFEST" {
			return failure.New(failure.ItemReaderFailed, "InputType MANIFEST (an S3 inventory) is read with arn:aws:states:::s3:getObject, not http:invoke")
		}
		if x.http == nil {
			return failure.New(failure.ItemReaderFailed, "ItemReader Resource arn:aws:states:::http:invoke is not enabled on this server")
		}
		it.source, name = endpoint, u.Path
		open = func() (io.ReadCloser, error) {
			body, err := x.http(streamCtx, endpoint)
			if err != nil {
				var fe *failure.Error
				if errors.As(err, &fe) {
					return nil, fe
				}
				return nil, failure.Newf(failure.ItemReaderFailed, "GET %s failed: %v", endpoint, err)
			}
			return body, nil
		}
	} else {
		if ferr := onlyParams(params, failure.ItemReaderFailed, "s3:getObject", "Bucket", "Key", "VersionId", "ExpectedBucketOwner"); ferr != nil {
			return ferr
		}
		bucket, ferr := paramString(params, "Bucket", true, failure.ItemReaderFailed)
		if ferr != nil {
			return ferr
		}
		key, ferr := paramString(params, "Key", true, failure.ItemReaderFailed)
		if ferr != nil {
			return ferr
		}
		version, ferr := paramString(params, "VersionId", false, failure.ItemReaderFailed)
		if ferr != nil {
			return ferr
		}
		store, client, ferr := x.storeFor(reading, bucket, key)
		if ferr != nil {
			return ferr
		}
		it.source, name = "s3://"+bucket+"/"+key, key
		open = func() (io.ReadCloser, error) {
			return openS3(streamCtx, store, client, bucket, key, version)
		}
		if f.inputType == "MANIFEST" {
			body, err := open()
			if err != nil {
				return err
			}
			defer body.Close()
			m, err := x.openInventory(streamCtx, bucket, it.source, body)
			if err != nil {
				return err
			}
			it.p = m
			it.closers = append(it.closers, m)
			return nil
		}
	}
	body, err := open()
	if err != nil {
		return err
	}
	it.closers = append(it.closers, body)
	r, err := decompress(ctx, streamCtx, name, it.source, body)
	if err != nil {
		return err
	}
	p, err := f.parser(r, it.source, x.maxItemBytes)
	if err != nil {
		return err
	}
	it.p = p
	return nil
}

// openS3 opens an object's body, which resumes a broken-off read.
func openS3(ctx context.Context, store *Store, client *s3.Client, bucket, key, version string) (io.ReadCloser, error) {
	source := "s3://" + bucket + "/" + key
	get := func(ctx context.Context, offset int64, etag string) (*s3.GetObjectOutput, error) {
		in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
		if version != "" {
			in.VersionId = aws.String(version)
		}
		if offset > 0 {
			in.Range = aws.String(fmt.Sprintf("bytes=%d-", offset))
			if etag != "" {
				in.IfMatch = aws.String(etag)
			}
		}
		out, err := client.GetObject(ctx, in)
		if err != nil {
			switch errorCode(err) {
			case "NoSuchKey":
				return nil, failure.Newf(failure.ItemReaderFailed, "the object %s does not exist (object store %q)", source, store.Name)
			case "NoSuchBucket":
				return nil, failure.Newf(failure.ItemReaderFailed, "the bucket %q does not exist (object store %q)", bucket, store.Name)
			case "PreconditionFailed":
				return nil, failure.Newf(failure.ItemReaderFailed, "the object %s changed while it was read (object store %q)", source, store.Name)
			}
			return nil, failure.Newf(failure.ItemReaderFailed, "reading %s failed: %s", source, describe(store, err))
		}
		return out, nil
	}
	out, err := get(ctx, 0, "")
	if err != nil {
		return nil, err
	}
	return &resuming{ctx: ctx, get: get, body: out.Body, etag: aws.ToString(out.ETag)}, nil
}

// decompress returns the content of an object by its name's extension:
// gunzipped for ".gz" (AWS decompresses GZIP and ZSTD by name), refused
// for zstd, as it is otherwise.
func decompress(ctx, streamCtx context.Context, name, source string, body io.Reader) (io.Reader, error) {
	switch {
	case strings.HasSuffix(name, ".gz"):
		zr, err := gzip.NewReader(body)
		if err != nil {
			if ctx.Err() == nil && streamCtx.Err() == nil {
				return nil, failure.Newf(failure.ItemReaderFailed, "%s is not gzip data: %v", source, err)
			}
			return nil, err
		}
		return zr, nil
	case strings.HasSuffix(name, ".zst") || strings.HasSuffix(name, ".zstd"):
		return nil, failure.Newf(failure.ItemReaderFailed, "%s: zstd-compressed objects are not supported by sfn; store it uncompressed or gzip-compressed (.gz)", source)
	}
	return body, nil
}

// openListing lists the bucket's first page, so that a missing bucket
// fails the reader before any item.
func (x *IO) openListing(_, streamCtx context.Context, params *value.Object, req ReadRequest, it *items) error {
	if req.InputType != "" {
		return failure.Newf(failure.ItemReaderFailed, "ReaderConfig.InputType %s with s3:listObjectsV2 reads every listed object (Transformation LOAD_AND_FLATTEN), which sfn does not support; drop InputType to iterate over the objects' metadata", req.InputType)
	}
	if ferr := onlyParams(params, failure.ItemReaderFailed, "s3:listObjectsV2", "Bucket", "Prefix", "ExpectedBucketOwner"); ferr != nil {
		return ferr
	}
	bucket, ferr := paramString(params, "Bucket", true, failure.ItemReaderFailed)
	if ferr != nil {
		return ferr
	}
	prefix, ferr := paramString(params, "Prefix", false, failure.ItemReaderFailed)
	if ferr != nil {
		return ferr
	}
	store, client, ferr := x.storeFor(reading, bucket, prefix)
	if ferr != nil {
		return ferr
	}
	it.source = "s3://" + bucket + "/" + prefix
	l := &listing{client: client, store: store, bucket: bucket, prefix: prefix, source: it.source}
	if err := l.fetch(streamCtx); err != nil {
		return err
	}
	it.p = l
	return nil
}

// parser yields the items of one source.
type parser interface {
	next(ctx context.Context) (value.Value, bool, error)
}

// items is the Items of every reader: the parser, MaxItems, and the
// stream's lifetime.
type items struct {
	source  string
	p       parser
	left    int64 // items still to give; -1: no limit
	cancel  context.CancelFunc
	closers []io.Closer
	err     error // final
	done    bool
	once    sync.Once
}

func (it *items) Source() string {
	if s, ok := it.p.(interface{ source() string }); ok {
		return s.source()
	}
	return it.source
}

func (it *items) Next(ctx context.Context) (value.Value, bool, error) {
	if it.err != nil {
		return nil, false, it.err
	}
	if it.done || it.left == 0 {
		return nil, false, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, false, err
	}
	stop := context.AfterFunc(ctx, it.cancel)
	v, ok, err := it.p.next(ctx)
	if !stop() {
		// ctx ended during the call and the stream with it.
		it.err = failure.Newf(failure.ItemReaderFailed, "reading %s was interrupted: %v", it.source, ctx.Err())
		return nil, false, ctx.Err()
	}
	if err != nil {
		var fe *failure.Error
		if !errors.As(err, &fe) {
			fe = failure.Newf(failure.ItemReaderFailed, "reading %s failed: %v", it.source, err)
		}
		it.err = fe
		return nil, false, fe
	}
	if !ok {
		it.done = true
		return nil, false, nil
	}
	if it.left > 0 {
		it.left--
	}
	return v, true, nil
}

func (it *items) Close() error {
	it.once.Do(func() {
		if it.err == nil {
			it.err = failure.Newf(failure.ItemReaderFailed, "the reader of %s is closed", it.source)
		}
		it.cancel()
		for _, c := range it.closers {
			c.Close()
		}
	})
	return nil
}

// listing is the items of listObjectsV2: one page of object metadata at a
// time.
type listing struct {
	client         *s3.Client
	store          *Store
	bucket, prefix string
	source         string
	token          *string
	page           []value.Value
	last           bool
}

// fetch reads the next page.
func (l *listing) fetch(ctx context.Context) error {
	in := &s3.ListObjectsV2Input{Bucket: aws.String(l.bucket), ContinuationToken: l.token}
	if l.prefix != "" {
		in.Prefix = aws.String(l.prefix)
	}
	out, err := l.client.ListObjectsV2(ctx, in)
	if err != nil {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if errorCode(err) == "NoSuchBucket" {
			return failure.Newf(failure.ItemReaderFailed, "the bucket %q does not exist (object store %q)", l.bucket, l.store.Name)
		}
		return failure.Newf(failure.ItemReaderFailed, "listing %s failed: %s", l.source, describe(l.store, err))
	}
	l.page = l.page[:0]
	for _, o := range out.Contents {
		l.page = append(l.page, objectItem(o.ETag, o.Key, o.LastModified, o.Size, string(o.StorageClass)))
	}
	l.token = out.NextContinuationToken
	l.last = !aws.ToBool(out.IsTruncated) || l.token == nil
	return nil
}

func (l *listing) next(ctx context.Context) (value.Value, bool, error) {
	for len(l.page) == 0 {
		if l.last {
			return nil, false, nil
		}
		if err := l.fetch(ctx); err != nil {
			return nil, false, err
		}
	}
	v := l.page[0]
	l.page[0] = nil
	l.page = l.page[1:]
	return v, true, nil
}

// format is a ReaderConfig for an object's content.
type format struct {
	inputType string
	headers   []string // GIVEN; nil: FIRST_ROW
	delim     byte
}

var delimiters = map[string]byte{"": ',', "COMMA": ',', "PIPE": '|', "SEMICOLON": ';', "SPACE": ' ', "TAB": '\t'}

func parseFormat(req ReadRequest) (format, *failure.Error) {
	f := format{inputType: req.InputType}
	switch req.InputType {
	case "JSON", "JSONL":
	case "CSV":
		d, ok := delimiters[req.CSVDelimiter]
		if !ok {
			return f, failure.Newf(failure.ItemReaderFailed, "ReaderConfig.CSVDelimiter %q is not one of COMMA, PIPE, SEMICOLON, SPACE, TAB", req.CSVDelimiter)
		}
		f.delim = d
		switch req.CSVHeaderLocation {
		case "", "FIRST_ROW":
		case "GIVEN":
			if len(req.CSVHeaders) == 0 {
				return f, failure.New(failure.ItemReaderFailed, "ReaderConfig.CSVHeaders must list the columns when CSVHeaderLocation is GIVEN")
			}
			if ferr := checkHeaders(req.CSVHeaders); ferr != nil {
				return f, ferr
			}
			f.headers = req.CSVHeaders
		default:
			return f, failure.Newf(failure.ItemReaderFailed, "ReaderConfig.CSVHeaderLocation %q is not FIRST_ROW or GIVEN", req.CSVHeaderLocation)
		}
	case "MANIFEST":
		// An S3 inventory: its manifest.json names CSV files whose columns
		// its fileSchema gives.
	case "PARQUET":
		return f, failure.Newf(failure.ItemReaderFailed, "InputType %s is not supported by sfn", req.InputType)
	case "":
		return f, failure.New(failure.ItemReaderFailed, "ReaderConfig.InputType is required to read an object: JSON, JSONL, CSV or MANIFEST")
	default:
		return f, failure.Newf(failure.ItemReaderFailed, "ReaderConfig.InputType %q is not one of JSON, JSONL, CSV, MANIFEST", req.InputType)
	}
	return f, nil
}

// checkHeaders refuses duplicate column names, in AWS's words.
func checkHeaders(h []string) *failure.Error {
	seen := make(map[string]bool, len(h))
	for _, name := range h {
		if seen[name] {
			return failure.New(failure.ItemReaderFailed, "CSV headers cannot contain duplicates.")
		}
		seen[name] = true
	}
	return nil
}

// parser returns the parser of the format over r. For JSON it reads the
// opening of the array, so that a document that is no array fails Read.
func (f format) parser(r io.Reader, source string, maxItem int) (parser, error) {
	switch f.inputType {
	case "JSON":
		return newJSONArray(r, source, maxItem)
	case "JSONL":
		return newJSONLines(r, source, maxItem), nil
	case "CSV":
		return newCSVItems(r, source, f.delim, f.headers, maxItem), nil
	}
	return nil, fmt.Errorf("unknown input type %q", f.inputType) // parseFormat refused it
}

// resuming is an object's body that, when the connection breaks off,
// asks the store for the rest (a Range from the first byte not yet read,
// If-Match the ETag first read, so that a changed object fails rather than
// mixes): reading a 10 GB object takes long enough for a connection to
// drop. It gives up after maxResumes attempts in a row that read nothing.
type resuming struct {
	ctx      context.Context
	get      func(ctx context.Context, offset int64, etag string) (*s3.GetObjectOutput, error)
	body     io.ReadCloser
	etag     string
	off      int64
	failures int // resumes in a row without a byte read
}

const maxResumes = 3

func (r *resuming) Read(p []byte) (int, error) {
	for {
		n, err := r.body.Read(p)
		r.off += int64(n)
		if n > 0 {
			r.failures = 0
		}
		if err == nil || err == io.EOF || r.ctx.Err() != nil {
			return n, err
		}
		if r.failures == maxResumes {
			return n, fmt.Errorf("the connection broke off at byte %d, %d times in a row: %w", r.off, maxResumes, err)
		}
		r.failures++
		r.body.Close()
		out, gerr := r.get(r.ctx, r.off, r.etag)
		if gerr != nil {
			r.body = io.NopCloser(strings.NewReader(""))
			return n, gerr
		}
		r.body = out.Body
		if out.ContentRange == nil && r.off > 0 {
			// A store that ignores Range sends the object from its start.
			r.body.Close()
			r.body = io.NopCloser(strings.NewReader(""))
			return n, fmt.Errorf("the connection broke off at byte %d and the store did not resume it (no Content-Range)", r.off)
		}
		if n > 0 {
			return n, nil
		}
	}
}

func (r *resuming) Close() error { return r.body.Close() }
