package httptask

import (
	"context"
	"errors"
	"net/http"
)

// maxRedirects bounds the redirects one call follows.
const maxRedirects = 5

// credentialHeadersKey is the context key of the names of the headers a
// connection added to a request.
type credentialHeadersKey struct{}

// withCredentialHeaders records on ctx which headers of its request carry
// a connection's credentials, for checkRedirect.
func withCredentialHeaders(ctx context.Context, names []string) context.Context {
	return context.WithValue(ctx, credentialHeadersKey{}, names)
}

// checkRedirect applies the destination policy to every redirect target,
// and keeps a connection's credentials on the origin (scheme, host and
// port) they were sent to. net/http copies the first request's headers
// onto each redirect and removes only Authorization and Cookie, and only
// when the host is neither the same nor a subdomain: an API-key header
// would follow a redirect anywhere, and Authorization would go to another
// port of the same host, or from https to http. Once a redirect has left
// the origin, the credentials are not sent again, even when a later
// redirect comes back to it.
func (c *Client) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= maxRedirects {
		return errors.New("stopped after 5 redirects")
	}
	if err := c.hostAllowed(req.URL.Hostname()); err != nil {
		return err
	}
	names, _ := req.Context().Value(credentialHeadersKey{}).([]string)
	if len(names) > 0 && leftOrigin(req, via) {
		for _, n := range names {
			req.Header.Del(n) // req.Header is this hop's own copy
		}
	}
	return nil
}

// leftOrigin reports whether req or any request before it went to
// another origin than the first.
func leftOrigin(req *http.Request, via []*http.Request) bool {
	first := via[0].URL
	for _, r := range via[1:] {
		if !sameOrigin(first, r.URL) {
			return true
		}
	}
	return !sameOrigin(first, req.URL)
}
