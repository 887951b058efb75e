package awsjson_test

import (
	"bytes"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
)

// TestUnexpectedErrors: an error the API does not expect is logged with
// its text and the request id, and answered without its text: 500
// InternalServerError naming the request id, or 503 when the store does not
// answer a ping either (then the ping's error is logged too).
func TestUnexpectedErrors(t *testing.T) {
	t.Parallel()
	const secret = "dial tcp 10.1.2.3:6379: the store's password is hunter2"
	for _, c := range []struct {
		name        string
		pingFails   bool
		status      int
		code        string
		message     string // the answer's message, with ID for the request id
		logMentions []string
	}{
		{"store answers a ping", false, http.StatusInternalServerError, "InternalServerError",
			"internal error; the server's log has the details, request id ID", []string{secret}},
		{"store answers no ping", true, http.StatusServiceUnavailable, "ServiceUnavailableException",
			"the store is unreachable", []string{secret, "ping_error", faultstore.ErrInjected.Error()}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st, faults := faultstore.Wrap(memory.New(), 1)
			faults.Add(faultstore.Rule{Op: faultstore.History, Err: errors.New(secret)})
			if c.pingFails {
				faults.Add(faultstore.Rule{Op: faultstore.Ping})
			}
			var logged bytes.Buffer
			api := awsjson.New(awsjson.Config{Engine: interpreter.New(interpreter.Config{Store: st}), Space: arn.DefaultSpace, Open: true,
				Logger: slog.New(slog.NewTextHandler(&logged, nil))})
			req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"executionArn":"`+arn.DefaultSpace.Execution("sm", "run")+`"}`))
			req.Header.Set("Content-Type", awsjson.ContentType)
			req.Header.Set("X-Amz-Target", "AWSStepFunctions.GetExecutionHistory")
			rec := httptest.NewRecorder()
			api.ServeHTTP(rec, req) // returns once the answer and the log line are written
			got := readAnswer(t, rec.Code, rec.Body)
			id := rec.Header().Get("X-Amzn-RequestId")
			if id == "" {
				t.Fatal("no X-Amzn-RequestId")
			}
			want := answer{c.status, c.code, strings.ReplaceAll(c.message, "ID", id)}
			if got != want {
				t.Errorf("answer %+v, want %+v", got, want)
			}
			if strings.Contains(got.msg, "hunter2") {
				t.Errorf("the answer tells the error's text: %q", got.msg)
			}
			line := logged.String()
			for _, s := range append(c.logMentions, "request_id="+id, "GetExecutionHistory") {
				if !strings.Contains(line, s) {
					t.Errorf("the log does not mention %q:\n%s", s, line)
				}
			}
		})
	}
}
