package teststate

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/states"
)

// redacted replaces what a connection added to a request (its credential
// headers) unless the request asks for revealSecrets.
const redacted = "[REDACTED]"

// callHTTP makes an unmocked http:invoke Task's call through Options.HTTP,
// within the Task's TimeoutSeconds and at most maxDuration, and records
// the request and response for TRACE. The error is ctx's own, when the
// caller cancelled it during the call (its deadline is States.Timeout).
func (t *tester) callHTTP(ctx context.Context, call states.TaskCall) (value.Value, *failure.Error, error) {
	limit := maxDuration
	if call.TimeoutSeconds > 0 && time.Duration(call.TimeoutSeconds)*time.Second < limit {
		limit = time.Duration(call.TimeoutSeconds) * time.Second
	}
	cctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var ex *httptask.Exchange
	result, fe := t.opts.HTTP.Invoke(cctx, httptask.Request{Parameters: call.Parameters, Observe: func(e *httptask.Exchange) { ex = e }})
	if ex != nil {
		t.ins.Request, t.ins.Response = inspectExchange(ex, t.req.RevealSecrets)
	}
	switch err := ctx.Err(); {
	case errors.Is(err, context.DeadlineExceeded):
		// The caller's own time limit (AWS's five minutes) ended the
		// call: the state fails with States.Timeout, as on AWS.
		return nil, failure.New(failure.Timeout, "the HTTP Task did not complete in the time TestState allows"), nil
	case err != nil:
		return nil, nil, err
	}
	if fe != nil {
		return nil, fe.Capped(), nil
	}
	return result, nil, nil
}

// inspectExchange is an HTTP call as TestState shows it. Headers are
// "Name: value" lines in name order; a credential header's value is
// redacted unless reveal.
func inspectExchange(ex *httptask.Exchange, reveal bool) (*InspectionDataRequest, *InspectionDataResponse) {
	hidden := map[string]bool{}
	if !reveal {
		for _, n := range ex.Credentials {
			hidden[http.CanonicalHeaderKey(n)] = true
		}
	}
	req := &InspectionDataRequest{Protocol: ex.Protocol, Method: ex.Method, URL: ex.URL,
		Headers: headerLines(ex.Header, hidden), Body: string(ex.Body)}
	if ex.Response == nil {
		return req, nil
	}
	r := ex.Response
	return req, &InspectionDataResponse{Protocol: r.Protocol, StatusCode: strconv.Itoa(r.StatusCode), StatusMessage: r.StatusText,
		Headers: headerLines(r.Header, nil), Body: string(r.Body)}
}

func headerLines(h http.Header, hidden map[string]bool) string {
	names := make([]string, 0, len(h))
	for n := range h {
		names = append(names, n)
	}
	slices.Sort(names)
	var b strings.Builder
	for _, n := range names {
		for _, v := range h[n] {
			if hidden[http.CanonicalHeaderKey(n)] {
				v = redacted
			}
			if b.Len() > 0 {
				b.WriteByte('\n')
			}
			b.WriteString(n)
			b.WriteString(": ")
			b.WriteString(v)
		}
	}
	return b.String()
}
