package awsjson_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

// TestUnsupportedOperations: an operation whose feature sfn lacks answers
// 400 UnsupportedOperation naming what is missing, after the role check
// (SfnTestUnsupported: unsupported_internal_test.go registers it, since
// every operation of the SDK is served).
func TestUnsupportedOperations(t *testing.T) {
	ts := listen(t, awsjson.Config{Credentials: testCredentials})
	target := func(r *http.Request) { r.Header.Set("X-Amz-Target", "AWSStepFunctions.SfnTestUnsupported") }
	for _, c := range []struct {
		name, key, secret string
		want              answer
		errorType         string
	}{
		{"admin", adminKey, adminSecret,
			answer{http.StatusBadRequest, "UnsupportedOperation", "sfn does not support SfnTestUnsupported: it exists only in the tests"}, "UnsupportedOperation"},
		{"reader", readerKey, readerSec,
			answer{http.StatusBadRequest, "AccessDeniedException",
				"User is not authorized to perform: states:SfnTestUnsupported (the access key's role is reader; SfnTestUnsupported needs admin)"}, "AccessDeniedException"},
	} {
		t.Run(c.name, func(t *testing.T) {
			req := signedRequest(t, ts.URL, c.key, c.secret, []byte(`{}`), time.Now(), target)
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			if got := readAnswer(t, res.StatusCode, res.Body); got != c.want {
				t.Errorf("answer %+v, want %+v", got, c.want)
			}
			if got := res.Header.Get("X-Amzn-ErrorType"); got != c.errorType {
				t.Errorf("X-Amzn-ErrorType %q, want %q", got, c.errorType)
			}
		})
	}
}
