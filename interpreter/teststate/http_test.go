package teststate

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/interpreter/httptask"
)

// shop is a real HTTP server for the HTTP Task tests: /stock answers 200
// with the request's body echoed, /busy 503, /hang never answers.
func shop(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Date", "Sat, 01 Mar 2025 12:00:00 GMT")
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/busy":
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = io.WriteString(w, `{"retry":true}`)
		case "/hang":
			<-r.Context().Done()
		default:
			_, _ = io.WriteString(w, `{"count":4,"echo":"`+strings.ReplaceAll(string(body), `"`, `'`)+`"}`)
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPTask(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	client, err := httptask.New(httptask.Config{Connections: map[string]httptask.Connection{
		"shop": {APIKeyName: "X-Api-Key", APIKeyValue: "key-secret", Endpoints: []string{"127.0.0.1"}},
	}})
	if err != nil {
		t.Fatal(err)
	}
	opts := fixed
	opts.HTTP = client
	task := func(path, extra string) string {
		return `{"Type":"Task","Resource":"arn:aws:states:::http:invoke","Parameters":{"ApiEndpoint":"` + srv.URL + path + `","Method":"POST",
			"Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/shop/1"},
			"QueryParameters":{"sku.$":"$.sku"},"RequestBody":{"qty":2}},"ResultSelector":{"count.$":"$.ResponseBody.count"}` + extra + `,"End":true}`
	}
	reqHeaders := func(key string) string {
		return "Content-Type: application/json; charset=UTF-8\nUser-Agent: sfn-http-task\nX-Api-Key: " + key
	}
	respHeaders := func(n int) string {
		return "Content-Length: " + strconv.Itoa(n) + "\nContent-Type: application/json\nDate: Sat, 01 Mar 2025 12:00:00 GMT"
	}
	okResult := `{"Headers":{"content-length":["30"],"content-type":["application/json"],"date":["Sat, 01 Mar 2025 12:00:00 GMT"]},` +
		`"ResponseBody":{"count":4,"echo":"{'qty':2}"},"StatusCode":200,"StatusText":"OK"}`
	params := `{"ApiEndpoint":"` + srv.URL + `/stock","Method":"POST","Authentication":{"ConnectionArn":"arn:aws:events:us-east-1:123456789012:connection/shop/1"},"QueryParameters":{"sku":"A-1"},"RequestBody":{"qty":2}}`
	for _, tc := range []struct {
		name string
		req  Request
		want *Answer
	}{
		{
			name: "TRACE: request and response, the connection's key redacted",
			req:  Request{Definition: task("/stock", ""), Input: `{"sku":"A-1"}`, InspectionLevel: Trace},
			want: &Answer{Status: Succeeded, Output: `{"count":4}`, InspectionData: &InspectionData{
				Input: `{"sku":"A-1"}`, AfterInputPath: `{"sku":"A-1"}`, AfterParameters: params,
				Result: okResult, AfterResultSelector: `{"count":4}`, AfterResultPath: `{"count":4}`,
				Request: &InspectionDataRequest{Protocol: "HTTP/1.1", Method: "POST", URL: srv.URL + "/stock?sku=A-1",
					Headers: reqHeaders("[REDACTED]"), Body: `{"qty":2}`},
				Response: &InspectionDataResponse{Protocol: "HTTP/1.1", StatusCode: "200", StatusMessage: "OK",
					Headers: respHeaders(30), Body: `{"count":4,"echo":"{'qty':2}"}`},
			}},
		},
		{
			name: "TRACE with revealSecrets",
			req:  Request{Definition: task("/stock", ""), Input: `{"sku":"A-1"}`, InspectionLevel: Trace, RevealSecrets: true},
			want: &Answer{Status: Succeeded, Output: `{"count":4}`, InspectionData: &InspectionData{
				Input: `{"sku":"A-1"}`, AfterInputPath: `{"sku":"A-1"}`, AfterParameters: params,
				Result: okResult, AfterResultSelector: `{"count":4}`, AfterResultPath: `{"count":4}`,
				Request: &InspectionDataRequest{Protocol: "HTTP/1.1", Method: "POST", URL: srv.URL + "/stock?sku=A-1",
					Headers: reqHeaders("key-secret"), Body: `{"qty":2}`},
				Response: &InspectionDataResponse{Protocol: "HTTP/1.1", StatusCode: "200", StatusMessage: "OK",
					Headers: respHeaders(30), Body: `{"count":4,"echo":"{'qty':2}"}`},
			}},
		},
		{
			name: "DEBUG has no request or response",
			req:  Request{Definition: task("/stock", ""), Input: `{"sku":"A-1"}`, InspectionLevel: Debug},
			want: &Answer{Status: Succeeded, Output: `{"count":4}`, InspectionData: &InspectionData{
				Input: `{"sku":"A-1"}`, AfterInputPath: `{"sku":"A-1"}`, AfterParameters: params,
				Result: okResult, AfterResultSelector: `{"count":4}`, AfterResultPath: `{"count":4}`,
			}},
		},
		{
			name: "a 503 is retriable, and its response is shown",
			req: Request{Definition: task("/busy", `,"Retry":[{"ErrorEquals":["States.Http.StatusCode.503"],"IntervalSeconds":2}]`),
				Input: `{"sku":"A-1"}`, InspectionLevel: Trace},
			want: &Answer{Status: Retriable, Error: "States.Http.StatusCode.503", Cause: "Service Unavailable", InspectionData: &InspectionData{
				Input: `{"sku":"A-1"}`, AfterInputPath: `{"sku":"A-1"}`, AfterParameters: strings.Replace(params, "/stock", "/busy", 1),
				ErrorDetails: &InspectionErrorDetails{RetryIndex: ip(0), RetryBackoffIntervalSeconds: ip(2)},
				Request: &InspectionDataRequest{Protocol: "HTTP/1.1", Method: "POST", URL: srv.URL + "/busy?sku=A-1",
					Headers: reqHeaders("[REDACTED]"), Body: `{"qty":2}`},
				Response: &InspectionDataResponse{Protocol: "HTTP/1.1", StatusCode: "503", StatusMessage: "Service Unavailable",
					Headers: respHeaders(14), Body: `{"retry":true}`},
			}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := run(t, tc.req, opts)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}
}

// TestHTTPTaskPolicy: the client's allow-list applies, and nothing sent
// means nothing to show.
func TestHTTPTaskPolicy(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	client, err := httptask.New(httptask.Config{Allow: []string{"example.com"}})
	if err != nil {
		t.Fatal(err)
	}
	opts := fixed
	opts.HTTP = client
	got := run(t, Request{Definition: `{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"` + srv.URL + `","Method":"GET"},"End":true}`,
		InspectionLevel: Trace}, opts)
	if got.Status != Failed || got.Error != "States.TaskFailed" || !strings.Contains(got.Cause, "is not in --http-allow") {
		t.Errorf("answer %+v, want FAILED States.TaskFailed (destination not allowed)", got)
	}
	if got.InspectionData == nil || got.InspectionData.Request != nil || got.InspectionData.Response != nil {
		t.Errorf("inspection %+v, want no request or response for a call never made", got.InspectionData)
	}
}

// TestHTTPTaskTimeLimit: the caller's deadline (AWS's five minutes) fails
// the state with States.Timeout; cancelling is the caller's error.
func TestHTTPTaskTimeLimit(t *testing.T) {
	t.Parallel()
	srv := shop(t)
	client, err := httptask.New(httptask.Config{})
	if err != nil {
		t.Fatal(err)
	}
	opts := fixed
	opts.HTTP = client
	req := Request{Definition: `{"Type":"Task","Resource":"http:invoke","Parameters":{"ApiEndpoint":"` + srv.URL + `/hang","Method":"GET"},"End":true}`, InspectionLevel: Trace}

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	got, err := Run(ctx, req, opts)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	if got.Status != Failed || got.Error != "States.Timeout" {
		t.Errorf("answer %+v, want FAILED States.Timeout", got)
	}
	if got.InspectionData.Request == nil || got.InspectionData.Response != nil {
		t.Errorf("inspection %+v, want the request sent and no response", got.InspectionData)
	}

	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := Run(ctx, req, opts)
		done <- err
	}()
	cancel()
	if err := <-done; err != context.Canceled {
		t.Errorf("Run with a cancelled context: %v, want context.Canceled", err)
	}
}
