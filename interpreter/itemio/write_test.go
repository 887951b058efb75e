package itemio

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

const (
	mapRunID  = "ad9b5f27-090b-3ac6-9beb-243cd77144a7"
	mapRunARN = "arn:aws:states:us-east-1:123456789012:mapRun:csvProcess/Map:" + mapRunID
	machine   = "arn:aws:states:us-east-1:123456789012:stateMachine:csvProcess/Map"
)

var (
	t0 = time.Date(2025, 2, 4, 1, 49, 50, 99_000_000, time.UTC)
	t1 = time.Date(2025, 2, 4, 1, 49, 50, 163_000_000, time.UTC)
)

func child(i int, status string) Result {
	name := fmt.Sprintf("child-%d", i)
	r := Result{
		Index: i, ExecutionArn: "arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:" + name,
		Name: name, StateMachineArn: machine, Status: status,
		Input:     []byte(fmt.Sprintf(`{ "item": %d }`, i)),
		StartDate: t0, StopDate: t1,
	}
	switch status {
	case "SUCCEEDED":
		r.Output = []byte(fmt.Sprintf(`[{"n": %d}, "x"]`, i))
	case "FAILED":
		r.Error, r.Cause = "Boom", "it broke"
	case "TIMED_OUT":
		r.Error = "States.Timeout"
	case "ABORTED":
	case "PENDING":
		r = Result{Index: i, Status: status, Input: r.Input}
	}
	return r
}

// TestWriteLayout writes a Map Run's results and reads the manifest and
// the files back through the S3 protocol: AWS's keys, members and order.
func TestWriteLayout(t *testing.T) {
	t.Parallel()
	s3 := newFakeS3(t, nil, "results")
	x := newIO(t, Config{Stores: []Store{s3.store("local", nil, []string{"results/mapJobs"})}})
	results := []Result{child(4, "SUCCEEDED"), child(1, "FAILED"), child(0, "SUCCEEDED"), child(2, "TIMED_OUT"), child(3, "ABORTED"), child(5, "PENDING")}
	d, err := x.Write(context.Background(), WriteRequest{Resource: "arn:aws:states:::s3:putObject", Params: params(t, `{"Bucket":"results","Prefix":"mapJobs"}`), MapRunARN: mapRunARN}, results)
	if err != nil {
		t.Fatal(err)
	}
	dir := "mapJobs/" + mapRunID + "/"
	if d != (WriterDetails{Bucket: "results", Key: dir + "manifest.json"}) {
		t.Fatalf("details %+v", d)
	}
	succeeded := `[` +
		`{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:child-0","Input":"{\"item\":0}","InputDetails":{"Included":true},"Name":"child-0","Output":"[{\"n\":0},\"x\"]","OutputDetails":{"Included":true},"RedriveCount":0,"RedriveStatus":"NOT_REDRIVABLE","RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven","StartDate":"2025-02-04T01:49:50.099Z","StateMachineArn":"` + machine + `","Status":"SUCCEEDED","StopDate":"2025-02-04T01:49:50.163Z"},` +
		`{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:child-4","Input":"{\"item\":4}","InputDetails":{"Included":true},"Name":"child-4","Output":"[{\"n\":4},\"x\"]","OutputDetails":{"Included":true},"RedriveCount":0,"RedriveStatus":"NOT_REDRIVABLE","RedriveStatusReason":"Execution is SUCCEEDED and cannot be redriven","StartDate":"2025-02-04T01:49:50.099Z","StateMachineArn":"` + machine + `","Status":"SUCCEEDED","StopDate":"2025-02-04T01:49:50.163Z"}]`
	failed := `[` +
		`{"Cause":"it broke","Error":"Boom","ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:child-1","Input":"{\"item\":1}","InputDetails":{"Included":true},"Name":"child-1","RedriveCount":0,"RedriveStatus":"REDRIVABLE_BY_MAP_RUN","StartDate":"2025-02-04T01:49:50.099Z","StateMachineArn":"` + machine + `","Status":"FAILED","StopDate":"2025-02-04T01:49:50.163Z"},` +
		`{"Error":"States.Timeout","ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:child-2","Input":"{\"item\":2}","InputDetails":{"Included":true},"Name":"child-2","RedriveCount":0,"RedriveStatus":"REDRIVABLE_BY_MAP_RUN","StartDate":"2025-02-04T01:49:50.099Z","StateMachineArn":"` + machine + `","Status":"TIMED_OUT","StopDate":"2025-02-04T01:49:50.163Z"},` +
		`{"ExecutionArn":"arn:aws:states:us-east-1:123456789012:execution:csvProcess/Map:child-3","Input":"{\"item\":3}","InputDetails":{"Included":true},"Name":"child-3","RedriveCount":0,"RedriveStatus":"REDRIVABLE_BY_MAP_RUN","StartDate":"2025-02-04T01:49:50.099Z","StateMachineArn":"` + machine + `","Status":"ABORTED","StopDate":"2025-02-04T01:49:50.163Z"}]`
	pending := `[{"Input":"{\"item\":5}","InputDetails":{"Included":true},"Status":"PENDING"}]`
	for key, want := range map[string]string{"SUCCEEDED_0.json": succeeded, "FAILED_0.json": failed, "PENDING_0.json": pending} {
		if got := string(s3.get(t, "results", dir+key)); got != want {
			t.Errorf("%s\n got %s\nwant %s", key, got, want)
		}
	}
	want := fmt.Sprintf(`{"DestinationBucket":"results","MapRunArn":"%s","ResultFiles":{"FAILED":[{"Key":"%sFAILED_0.json","Size":%d}],"PENDING":[{"Key":"%sPENDING_0.json","Size":%d}],"SUCCEEDED":[{"Key":"%sSUCCEEDED_0.json","Size":%d}]}}`,
		mapRunARN, dir, len(failed), dir, len(pending), dir, len(succeeded))
	if got := string(s3.get(t, "results", d.Key)); got != want {
		t.Errorf("manifest\n got %s\nwant %s", got, want)
	}
	if keys := s3.keys(t, "results", ""); len(keys) != 4 {
		t.Errorf("keys %v, want the manifest and 3 result files", keys)
	}
}

// TestWriteKeys: where the manifest goes for the prefixes AWS accepts, and
// that no results still write a manifest with empty lists.
func TestWriteKeys(t *testing.T) {
	t.Parallel()
	s3 := newFakeS3(t, nil, "results")
	x := newIO(t, Config{Stores: []Store{s3.store("local", nil, []string{"results"})}})
	for _, tc := range []struct{ params, key string }{
		{`{"Bucket":"results"}`, mapRunID + "/manifest.json"},
		{`{"Bucket":"results","Prefix":""}`, mapRunID + "/manifest.json"},
		{`{"Bucket":"results","Prefix":"jobs/"}`, "jobs/" + mapRunID + "/manifest.json"},
		{`{"Bucket":"results","Prefix":"a/b"}`, "a/b/" + mapRunID + "/manifest.json"},
	} {
		d, err := x.Write(context.Background(), WriteRequest{Params: params(t, tc.params), MapRunARN: mapRunARN}, nil)
		if err != nil {
			t.Fatalf("%s: %v", tc.params, err)
		}
		if d.Key != tc.key {
			t.Errorf("%s: key %s, want %s", tc.params, d.Key, tc.key)
		}
		var m Manifest
		if err := json.Unmarshal(s3.get(t, "results", d.Key), &m); err != nil {
			t.Fatal(err)
		}
		if m.ResultFiles.SUCCEEDED == nil || len(m.ResultFiles.SUCCEEDED)+len(m.ResultFiles.FAILED)+len(m.ResultFiles.PENDING) != 0 {
			t.Errorf("%s: manifest %+v, want empty lists", tc.params, m)
		}
	}
}

// TestWriteSplits: past the file size bound (5 GB on AWS, small here) the
// results go on in SUCCEEDED_1.json and so on, in item order, each file
// within the bound.
func TestWriteSplits(t *testing.T) {
	t.Parallel()
	s3 := newFakeS3(t, nil, "results")
	x := newIO(t, Config{Stores: []Store{s3.store("local", nil, []string{"results"})}})
	x.maxResultFileBytes = 2000
	var results []Result
	for i := range 40 {
		results = append(results, child(i, "SUCCEEDED"))
	}
	d, err := x.Write(context.Background(), WriteRequest{Params: params(t, `{"Bucket":"results","Prefix":"p"}`), MapRunARN: mapRunARN}, results)
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(s3.get(t, "results", d.Key), &m); err != nil {
		t.Fatal(err)
	}
	if len(m.ResultFiles.SUCCEEDED) < 5 {
		t.Fatalf("%d files, want the 40 results split in several", len(m.ResultFiles.SUCCEEDED))
	}
	next := 0
	for i, f := range m.ResultFiles.SUCCEEDED {
		if want := fmt.Sprintf("p/%s/SUCCEEDED_%d.json", mapRunID, i); f.Key != want {
			t.Fatalf("file %d is %s, want %s", i, f.Key, want)
		}
		body := s3.get(t, "results", f.Key)
		if int64(len(body)) != f.Size || f.Size > 2000 {
			t.Fatalf("%s: %d bytes, manifest says %d, bound 2000", f.Key, len(body), f.Size)
		}
		var recs []struct{ Name string }
		if err := json.Unmarshal(body, &recs); err != nil {
			t.Fatalf("%s: %v", f.Key, err)
		}
		for _, r := range recs {
			if r.Name != fmt.Sprintf("child-%d", next) {
				t.Fatalf("%s holds %s, want child-%d", f.Key, r.Name, next)
			}
			next++
		}
	}
	if next != 40 {
		t.Fatalf("%d results in the files, want 40", next)
	}
}

// TestWriteTransformations: WriterConfig's COMPACT and FLATTEN apply to
// succeeded children, whose outputs are written as JSON values; failed
// children keep their NONE record; JSONL writes a line per element.
func TestWriteTransformations(t *testing.T) {
	t.Parallel()
	s3 := newFakeS3(t, nil, "results")
	x := newIO(t, Config{Stores: []Store{s3.store("local", nil, []string{"results"})}})
	results := []Result{child(1, "SUCCEEDED"), child(0, "SUCCEEDED"), child(2, "FAILED"), {Index: 3, Status: "SUCCEEDED", Output: []byte(`"plain"`)}}
	failedNone := string(value.Marshal(record(&results[2])))
	for _, tc := range []struct {
		outputType, transformation string
		succeeded, failed          string
	}{
		{"JSON", "COMPACT", `[[{"n":0},"x"],[{"n":1},"x"],"plain"]`, "[" + failedNone + "]"},
		{"", "FLATTEN", `[{"n":0},"x",{"n":1},"x","plain"]`, "[" + failedNone + "]"},
		{"JSONL", "FLATTEN", "{\"n\":0}\n\"x\"\n{\"n\":1}\n\"x\"\n\"plain\"\n", failedNone + "\n"},
	} {
		prefix := tc.outputType + tc.transformation
		d, err := x.Write(context.Background(), WriteRequest{Params: params(t, `{"Bucket":"results","Prefix":"`+prefix+`"}`), MapRunARN: mapRunARN, OutputType: tc.outputType, Transformation: tc.transformation}, results)
		if err != nil {
			t.Fatal(err)
		}
		dir := strings.TrimSuffix(d.Key, "manifest.json")
		if got := string(s3.get(t, "results", dir+"SUCCEEDED_0.json")); got != tc.succeeded {
			t.Errorf("%s SUCCEEDED\n got %s\nwant %s", prefix, got, tc.succeeded)
		}
		if got := string(s3.get(t, "results", dir+"FAILED_0.json")); got != tc.failed {
			t.Errorf("%s FAILED\n got %s\nwant %s", prefix, got, tc.failed)
		}
	}
}

// TestWriteRefusals: what the server may not write, and requests that
// cannot be performed, fail before a request reaches the store; a missing
// bucket fails with a cause that says so.
func TestWriteRefusals(t *testing.T) {
	t.Parallel()
	tripwire := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Errorf("a request reached the store: %s %s", r.Method, r.URL)
		w.WriteHeader(http.StatusForbidden)
	}))
	t.Cleanup(tripwire.Close)
	s3 := newFakeS3(t, nil)
	x := newIO(t, Config{Stores: []Store{
		{Name: "guarded", Endpoint: tripwire.URL, Read: []string{"in"}, Write: []string{"out/jobs"}},
		s3.store("real", nil, []string{"missing"}),
	}})
	ok := WriteRequest{Params: params(t, `{"Bucket":"out","Prefix":"jobs"}`), MapRunARN: mapRunARN}
	tests := []struct {
		name    string
		req     func(WriteRequest) WriteRequest
		results []Result
		wantErr string
	}{
		{"read-only bucket", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Bucket":"in"}`); return r }, nil,
			`the server may not write bucket "in": object store "guarded" does not list it under "write"`},
		{"unconfigured bucket", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Bucket":"elsewhere"}`); return r }, nil,
			`no object store is configured to write bucket "elsewhere"`},
		{"outside the prefix", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Bucket":"out","Prefix":"jobsX"}`); return r }, nil,
			`the server may not write s3://out/jobsX/` + mapRunID + `/: object store "guarded" allows writing only s3://out/jobs/*`},
		{"dot-dot", func(r WriteRequest) WriteRequest {
			r.Params = params(t, `{"Bucket":"out","Prefix":"jobs/.."}`)
			return r
		}, nil, `".." segment`},
		{"no map run id", func(r WriteRequest) WriteRequest {
			r.MapRunARN = "arn:aws:states:us-east-1:1:mapRun:sm/label:"
			return r
		}, nil, "does not end in a map run id"},
		{"bad Transformation", func(r WriteRequest) WriteRequest { r.Transformation = "SQUASH"; return r }, nil, `WriterConfig.Transformation "SQUASH" is not NONE, COMPACT or FLATTEN`},
		{"bad OutputType", func(r WriteRequest) WriteRequest { r.OutputType = "CSV"; return r }, nil, `WriterConfig.OutputType "CSV" is not JSON or JSONL`},
		{"bad resource", func(r WriteRequest) WriteRequest { r.Resource = "arn:aws:states:::s3:copyObject"; return r }, nil, `ResultWriter Resource "arn:aws:states:::s3:copyObject" is not supported`},
		{"missing Bucket", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Prefix":"x"}`); return r }, nil, "the field Bucket is missing"},
		{"unsupported parameter", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Bucket":"out","Acl":"public"}`); return r }, nil, "Parameters.Acl is not supported by sfn for s3:putObject"},
		{"running child", func(r WriteRequest) WriteRequest { return r }, []Result{{Index: 7, Status: "RUNNING"}}, `the child of item 7 has status "RUNNING"`},
		{"missing bucket", func(r WriteRequest) WriteRequest { r.Params = params(t, `{"Bucket":"missing"}`); return r }, []Result{child(0, "SUCCEEDED")},
			`the bucket "missing" does not exist (object store "real")`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := x.Write(context.Background(), tc.req(ok), tc.results)
			wantFailure(t, err, failure.ResultWriterFailed, tc.wantErr)
		})
	}
}

// TestReadWhatWasWritten closes the loop: a result file is a JSON array a
// later Distributed Map can read.
func TestReadWhatWasWritten(t *testing.T) {
	t.Parallel()
	s3 := newFakeS3(t, nil, "loop")
	x := newIO(t, Config{Stores: []Store{s3.store("local", []string{"loop"}, []string{"loop"})}})
	d, err := x.Write(context.Background(), WriteRequest{Params: params(t, `{"Bucket":"loop"}`), MapRunARN: mapRunARN, Transformation: "COMPACT"}, []Result{child(0, "SUCCEEDED"), child(1, "SUCCEEDED")})
	if err != nil {
		t.Fatal(err)
	}
	var m Manifest
	if err := json.Unmarshal(s3.get(t, "loop", d.Key), &m); err != nil {
		t.Fatal(err)
	}
	got, err := readAll(t, x, ReadRequest{Resource: getObject, Params: params(t, `{"Bucket":"loop","Key":"`+m.ResultFiles.SUCCEEDED[0].Key+`"}`), InputType: "JSON"})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(`[[{"n":0},"x"],[{"n":1},"x"]]`, got); diff != "" {
		t.Fatal(diff)
	}
}
