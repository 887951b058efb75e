package httptask

import (
	"io"
	"net/http"
)

// Exchange is one HTTP Task call as it was made: the request as sent, after
// the connection's credentials, the query parameters and sfn's own headers
// were added, and the response as it was received (nil when none came).
// TestState shows it at its TRACE inspection level.
type Exchange struct {
	Protocol string // "HTTP/1.1"
	Method   string
	URL      string
	Header   http.Header
	Body     []byte
	// Credentials names the request headers a connection added (an API
	// key, Authorization): secrets, which a caller shows only on purpose.
	Credentials []string
	Response    *ExchangeResponse
}

// ExchangeResponse is the response of an Exchange. Body is what was read of
// it (at most MaxResponse+1 bytes).
type ExchangeResponse struct {
	Protocol   string
	StatusCode int
	StatusText string
	Header     http.Header
	Body       []byte
}

// exchangeOf records req, which is about to be sent, for Request.Observe:
// its body is read from a copy, so the request itself is untouched.
func exchangeOf(req *http.Request) *Exchange {
	ex := &Exchange{Protocol: req.Proto, Method: req.Method, URL: req.URL.String(), Header: req.Header.Clone()}
	if names, ok := req.Context().Value(credentialHeadersKey{}).([]string); ok {
		ex.Credentials = append([]string(nil), names...)
	}
	if req.GetBody != nil {
		if rc, err := req.GetBody(); err == nil {
			ex.Body, _ = io.ReadAll(rc)
			_ = rc.Close()
		}
	}
	return ex
}

// responseOf records resp and the body read from it.
func responseOf(resp *http.Response, body []byte) *ExchangeResponse {
	return &ExchangeResponse{Protocol: resp.Proto, StatusCode: resp.StatusCode, StatusText: statusText(resp),
		Header: resp.Header.Clone(), Body: body}
}
