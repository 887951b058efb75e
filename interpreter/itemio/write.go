package itemio

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// PutObject is the one ResultWriter resource.
const PutObject = "s3:putObject"

// Result is one child's end, for the ResultWriter.
type Result struct {
	Index           int // the item's index: files list results in item order
	ExecutionArn    string
	Name            string
	StateMachineArn string
	// Status is SUCCEEDED, FAILED, ABORTED or TIMED_OUT for a child that
	// ran, PENDING for an item whose child never started (the Map Run
	// failed or was aborted first).
	Status        string
	Input, Output []byte // JSON; Output only for SUCCEEDED
	Error, Cause  string
	StartDate     time.Time
	StopDate      time.Time
	RedriveCount  int
	// RedriveStatus and RedriveStatusReason as DescribeExecution gives
	// them; when empty, what AWS reports for a Map Run's child: a
	// succeeded child is NOT_REDRIVABLE ("Execution is SUCCEEDED and cannot
	// be redriven"), another REDRIVABLE_BY_MAP_RUN.
	RedriveStatus, RedriveStatusReason string
}

// WriteRequest is one ResultWriter evaluation.
type WriteRequest struct {
	Resource  string      // arn:aws:states:::s3:putObject; "" means it too
	Params    value.Value // evaluated: Bucket, Prefix (optional)
	MapRunARN string      // …:mapRun:<machine>/<label>:<map run id>
	// WriterConfig: OutputType JSON (default) or JSONL; Transformation
	// NONE (the default with a ResultWriter), COMPACT or FLATTEN.
	OutputType, Transformation string
}

// WriterDetails is the state's ResultWriterDetails.
type WriterDetails struct{ Bucket, Key string } // Key = <Prefix>/<map run id>/manifest.json

// ResultFile is one entry of the manifest's ResultFiles.
type ResultFile struct {
	Key  string `json:"Key"`
	Size int64  `json:"Size"`
}

// Manifest is manifest.json, as AWS writes it.
type Manifest struct {
	DestinationBucket string `json:"DestinationBucket"`
	MapRunArn         string `json:"MapRunArn"`
	ResultFiles       struct {
		FAILED    []ResultFile `json:"FAILED"`
		PENDING   []ResultFile `json:"PENDING"`
		SUCCEEDED []ResultFile `json:"SUCCEEDED"`
	} `json:"ResultFiles"`
}

// Write exports the children's results as AWS lays them out:
// <Prefix>/<map run id>/SUCCEEDED_<n>.json (succeeded children),
// FAILED_<n>.json (failed, timed out and aborted ones), PENDING_<n>.json
// (items never started), each file split past MaxResultFileBytes, then
// manifest.json naming them; the manifest is written last, so that one
// that exists names complete files. Writing again (a retried step)
// overwrites the same keys. A bucket or prefix the server may not write
// is refused before any request. Errors are *failure.Error
// (States.ResultWriterFailed) except ctx's own.
func (x *IO) Write(ctx context.Context, req WriteRequest, results []Result) (WriterDetails, error) {
	if req.Resource != "" {
		action, ferr := resourceAction(req.Resource, failure.ResultWriterFailed, "ResultWriter")
		if ferr != nil {
			return WriterDetails{}, ferr
		}
		if action != PutObject {
			return WriterDetails{}, failure.Newf(failure.ResultWriterFailed, "ResultWriter Resource %q is not supported: use arn:aws:states:::s3:putObject", req.Resource)
		}
	}
	params, ok := req.Params.(*value.Object)
	if !ok {
		return WriterDetails{}, failure.Newf(failure.ResultWriterFailed, "the ResultWriter's Parameters must be an object, not %s", value.TypeName(req.Params))
	}
	if ferr := onlyParams(params, failure.ResultWriterFailed, PutObject, "Bucket", "Prefix", "ExpectedBucketOwner"); ferr != nil {
		return WriterDetails{}, ferr
	}
	bucket, ferr := paramString(params, "Bucket", true, failure.ResultWriterFailed)
	if ferr != nil {
		return WriterDetails{}, ferr
	}
	prefix, ferr := paramString(params, "Prefix", false, failure.ResultWriterFailed)
	if ferr != nil {
		return WriterDetails{}, ferr
	}
	id := req.MapRunARN[strings.LastIndexByte(req.MapRunARN, ':')+1:]
	if id == "" || strings.Contains(id, "/") {
		return WriterDetails{}, failure.Newf(failure.ResultWriterFailed, "the Map Run ARN %q does not end in a map run id", req.MapRunARN)
	}
	enc, ferr := newEncoder(req.OutputType, req.Transformation)
	if ferr != nil {
		return WriterDetails{}, ferr
	}
	dir := prefix
	if dir != "" && !strings.HasSuffix(dir, "/") {
		dir += "/"
	}
	dir += id + "/"
	store, client, ferr := x.storeFor(writing, bucket, dir)
	if ferr != nil {
		return WriterDetails{}, ferr
	}

	byStatus := map[string][]*Result{}
	for i := range results {
		r := &results[i]
		switch r.Status {
		case "SUCCEEDED", "PENDING":
			byStatus[r.Status] = append(byStatus[r.Status], r)
		case "FAILED", "TIMED_OUT", "ABORTED":
			byStatus["FAILED"] = append(byStatus["FAILED"], r)
		default:
			return WriterDetails{}, failure.Newf(failure.ResultWriterFailed, "the child of item %d has status %q, which no result file holds", r.Index, r.Status)
		}
	}
	put := func(key string, body []byte) error {
		_, err := client.PutObject(ctx, &s3.PutObjectInput{
			Bucket: aws.String(bucket), Key: aws.String(key),
			Body: bytes.NewReader(body), ContentLength: aws.Int64(int64(len(body))),
			ContentType: aws.String(enc.contentType()),
		})
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if errorCode(err) == "NoSuchBucket" {
				return failure.Newf(failure.ResultWriterFailed, "the bucket %q does not exist (object store %q)", bucket, store.Name)
			}
			return failure.Newf(failure.ResultWriterFailed, "writing s3://%s/%s failed: %s", bucket, key, describe(store, err))
		}
		return nil
	}
	m := Manifest{DestinationBucket: bucket, MapRunArn: req.MapRunARN}
	m.ResultFiles.FAILED, m.ResultFiles.PENDING, m.ResultFiles.SUCCEEDED = []ResultFile{}, []ResultFile{}, []ResultFile{}
	for _, group := range []struct {
		status string
		files  *[]ResultFile
	}{{"SUCCEEDED", &m.ResultFiles.SUCCEEDED}, {"FAILED", &m.ResultFiles.FAILED}, {"PENDING", &m.ResultFiles.PENDING}} {
		rs := byStatus[group.status]
		slices.SortStableFunc(rs, func(a, b *Result) int { return a.Index - b.Index })
		f := resultFile{max: x.maxResultFileBytes, enc: enc}
		flush := func() error {
			if f.count == 0 {
				return nil
			}
			body := f.close()
			key := fmt.Sprintf("%s%s_%d.json", dir, group.status, len(*group.files))
			if err := put(key, body); err != nil {
				return err
			}
			*group.files = append(*group.files, ResultFile{Key: key, Size: int64(len(body))})
			f.reset()
			return nil
		}
		for _, r := range rs {
			for _, elem := range enc.elements(r) {
				if !f.fits(elem) {
					if err := flush(); err != nil {
						return WriterDetails{}, err
					}
				}
				f.add(elem)
			}
		}
		if err := flush(); err != nil {
			return WriterDetails{}, err
		}
	}
	manifest, err := json.Marshal(m)
	if err != nil {
		return WriterDetails{}, failure.Newf(failure.ResultWriterFailed, "encoding the manifest: %v", err)
	}
	key := dir + "manifest.json"
	if err := put(key, manifest); err != nil {
		return WriterDetails{}, err
	}
	return WriterDetails{Bucket: bucket, Key: key}, nil
}

// encoder turns results into the elements of result files.
type encoder struct {
	jsonl          bool
	transformation string
}

func newEncoder(outputType, transformation string) (encoder, *failure.Error) {
	var e encoder
	switch outputType {
	case "", "JSON":
	case "JSONL":
		e.jsonl = true
	default:
		return e, failure.Newf(failure.ResultWriterFailed, "WriterConfig.OutputType %q is not JSON or JSONL", outputType)
	}
	switch transformation {
	case "", "NONE":
		e.transformation = "NONE"
	case "COMPACT", "FLATTEN":
		e.transformation = transformation
	default:
		return e, failure.Newf(failure.ResultWriterFailed, "WriterConfig.Transformation %q is not NONE, COMPACT or FLATTEN", transformation)
	}
	return e, nil
}

func (e encoder) contentType() string {
	if e.jsonl {
		return "application/jsonl"
	}
	return "application/json"
}

// elements returns the encoded elements one result contributes: its
// record (NONE, and always for a child that did not succeed: "If a child
// workflow execution fails, Step Functions returns its execution result
// unchanged"), its output (COMPACT), or its output's elements when the
// output is an array (FLATTEN).
func (e encoder) elements(r *Result) [][]byte {
	if e.transformation == "NONE" || r.Status != "SUCCEEDED" {
		return [][]byte{value.Marshal(record(r))}
	}
	out, err := value.Decode(r.Output)
	if err != nil {
		out = string(r.Output) // not JSON: kept, as text
	}
	if arr, ok := out.([]any); ok && e.transformation == "FLATTEN" {
		elems := make([][]byte, len(arr))
		for i, v := range arr {
			elems[i] = value.Marshal(v)
		}
		return elems
	}
	return [][]byte{value.Marshal(out)}
}

// record is a result as AWS writes it with Transformation NONE: the
// child's description, members in AWS's (alphabetical) order, input and
// output as JSON text.
func record(r *Result) *value.Object {
	o := value.NewObject(16)
	if r.Cause != "" {
		o.Set("Cause", r.Cause)
	}
	if r.Error != "" {
		o.Set("Error", r.Error)
	}
	if r.ExecutionArn != "" {
		o.Set("ExecutionArn", r.ExecutionArn)
	}
	if r.Input != nil {
		o.Set("Input", compact(r.Input))
		o.Set("InputDetails", value.ObjectOf("Included", true))
	}
	if r.Name != "" {
		o.Set("Name", r.Name)
	}
	if r.Output != nil && r.Status == "SUCCEEDED" {
		o.Set("Output", compact(r.Output))
		o.Set("OutputDetails", value.ObjectOf("Included", true))
	}
	if r.Status != "PENDING" {
		o.Set("RedriveCount", value.Int(int64(r.RedriveCount)))
		status, reason := r.RedriveStatus, r.RedriveStatusReason
		if status == "" {
			status = "REDRIVABLE_BY_MAP_RUN"
			if r.Status == "SUCCEEDED" {
				status, reason = "NOT_REDRIVABLE", "Execution is SUCCEEDED and cannot be redriven"
			}
		}
		o.Set("RedriveStatus", status)
		if reason != "" {
			o.Set("RedriveStatusReason", reason)
		}
	}
	if !r.StartDate.IsZero() {
		o.Set("StartDate", date(r.StartDate))
	}
	if r.StateMachineArn != "" {
		o.Set("StateMachineArn", r.StateMachineArn)
	}
	o.Set("Status", r.Status)
	if !r.StopDate.IsZero() {
		o.Set("StopDate", date(r.StopDate))
	}
	return o
}

// date is AWS's form in result files: "2025-02-04T01:49:50.099Z".
func date(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// compact returns JSON text without insignificant space; text that is not
// JSON is kept as it is.
func compact(b []byte) string {
	var buf bytes.Buffer
	if err := json.Compact(&buf, b); err != nil {
		return string(b)
	}
	return buf.String()
}

// resultFile builds one result file: a JSON array, or JSON Lines.
type resultFile struct {
	enc   encoder
	max   int64
	buf   bytes.Buffer
	count int
}

// fits reports whether elem fits in the file; a file always takes its
// first element, however large.
func (f *resultFile) fits(elem []byte) bool {
	return f.count == 0 || int64(f.buf.Len()+len(elem)+2) <= f.max
}

func (f *resultFile) add(elem []byte) {
	switch {
	case f.enc.jsonl:
	case f.count == 0:
		f.buf.WriteByte('[')
	default:
		f.buf.WriteByte(',')
	}
	f.buf.Write(elem)
	if f.enc.jsonl {
		f.buf.WriteByte('\n')
	}
	f.count++
}

func (f *resultFile) close() []byte {
	if !f.enc.jsonl {
		f.buf.WriteByte(']')
	}
	return f.buf.Bytes()
}

func (f *resultFile) reset() {
	f.buf = bytes.Buffer{}
	f.count = 0
}

// Transform shapes the results as a ResultWriter with only a WriterConfig
// does: the elements Write would put in its files (NONE: each child's
// record; COMPACT: the outputs; FLATTEN: the outputs, arrays flattened; a
// child that did not succeed always as its record), as one array, in
// item order, for the Map state's own result.
func Transform(results []Result, transformation string) ([]any, error) {
	e, ferr := newEncoder("", transformation)
	if ferr != nil {
		return nil, ferr
	}
	sort.SliceStable(results, func(i, j int) bool { return results[i].Index < results[j].Index })
	out := make([]any, 0, len(results))
	for i := range results {
		for _, b := range e.elements(&results[i]) {
			v, err := value.Decode(b)
			if err != nil {
				return nil, failure.Newf(failure.ResultWriterFailed, "result %d: %v", results[i].Index, err)
			}
			out = append(out, v)
		}
	}
	return out, nil
}
