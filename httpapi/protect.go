package httpapi

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// This file holds the defences that apply to every request before a
// route sees it: deadlines on reading a body, the Host check against DNS
// rebinding, and the refusal of browser writes from other origins.
// docs/security.md explains the threat each one answers.

// trackedBody is a request body that clears the connection's read deadline
// once it has been read to its end, and remembers whether it was.
//
// The body deadline bounds a client that trickles its body; once the body
// is in, the server's own background read (which notices a client that
// goes away) must not time out under a long handler such as ?wait= or an
// activity poll, since a timed-out read cancels the request.
type trackedBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done atomic.Bool
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if err == io.EOF && !b.done.Swap(true) {
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

type bodyKey struct{}

// bodyDeadline gives a request that has a body BodyTimeout to send it.
func (s *server) bodyDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody || r.ContentLength == 0 {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		_ = rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout))
		tb := &trackedBody{ReadCloser: r.Body, rc: rc}
		r.Body = tb
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), bodyKey{}, tb)))
	})
}

// unreadBody reports whether r came with a body that was not read to its
// end. An answer to such a request closes the connection: otherwise Go's
// server reads (up to 256 KiB of) the rest before it writes the answer, and
// a client trickling its body holds the answer, and the connection, for as
// long as it likes.
func unreadBody(r *http.Request) bool {
	tb, ok := r.Context().Value(bodyKey{}).(*trackedBody)
	return ok && !tb.done.Load()
}

// hostPolicy decides which Host headers the server answers. A web page can
// make a browser send requests to a name its author controls that resolves
// to sfn's address (DNS rebinding); the browser then treats sfn as the
// page's own origin, and an open API would do what the page asks. Such a
// request carries the attacker's name in Host, so a server that answers
// only its own names is out of reach. An IP literal in Host cannot be
// rebound, and is always accepted.
type hostPolicy struct {
	any      bool
	exact    map[string]bool
	suffixes []string // from "*.example.com": ".example.com"
}

// newHostPolicy reads patterns: names, "*.domain" and "*" (any host). The
// "sync-" form of each name is accepted too: AWS SDKs send
// StartSyncExecution to sync-<host>.
func newHostPolicy(patterns []string) (*hostPolicy, error) {
	p := &hostPolicy{exact: map[string]bool{"localhost": true}, suffixes: []string{".localhost"}}
	for _, raw := range patterns {
		pat := normalHost(raw)
		switch {
		case pat == "":
			continue
		case pat == "*":
			p.any = true
		case strings.HasPrefix(pat, "*."):
			if strings.Contains(pat[2:], "*") || len(pat) < 3 {
				return nil, fmt.Errorf("allowed host %q: a wildcard may only begin a name, as in *.example.com", raw)
			}
			p.suffixes = append(p.suffixes, pat[1:])
		case strings.Contains(pat, "*"):
			return nil, fmt.Errorf("allowed host %q: a wildcard may only begin a name, as in *.example.com", raw)
		default:
			p.exact[pat] = true
		}
	}
	return p, nil
}

// normalHost lowercases a host, drops a port, brackets and a final dot.
func normalHost(h string) string {
	h = strings.ToLower(strings.TrimSpace(h))
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	h = strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
	return strings.TrimSuffix(h, ".")
}

func (p *hostPolicy) allows(host string) bool {
	if p.any {
		return true
	}
	h := normalHost(host)
	if h == "" {
		return true // HTTP/1.0 without Host
	}
	for _, name := range []string{h, strings.TrimPrefix(h, "sync-")} {
		if net.ParseIP(name) != nil {
			return true // an address (sync-<address> too): nothing to rebind
		}
		if p.exact[name] {
			return true
		}
		for _, s := range p.suffixes {
			if strings.HasSuffix(name, s) {
				return true
			}
		}
	}
	return false
}

// checkHost refuses a request whose Host is not one of the server's names.
func (s *server) checkHost(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.hosts != nil && !s.hosts.allows(r.Host) {
			s.writeError(w, r, errf(codeForbidden, fmt.Sprintf(
				"host %q is not a name of this server: add it to --allowed-hosts (SFN_ALLOWED_HOSTS) if it is", r.Host)))
			return
		}
		next.ServeHTTP(w, r)
	})
}

// browserWrites refuses writes that a browser sends on behalf of a page
// from another origin (Go's CrossOriginProtection: Sec-Fetch-Site, or
// Origin against Host), and requires a JSON or YAML body on a write a
// browser sends at all: a cross-site page can only send text/plain, form
// or multipart bodies without asking first (a CORS preflight, which sfn
// never grants). Requests from programs (curl, SDKs, the sfn CLI) carry
// neither header and keep the content sniffing the API documents.
func (s *server) browserWrites(next http.Handler) http.Handler {
	cop := s.cop // with the trusted origins (New)
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errf(codeForbidden, "cross-origin write refused: a page of another origin may not change this server"))
	}))
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isWrite(r.Method) && fromBrowser(r) && r.ContentLength != 0 && !jsonOrYAML(r.Header.Get("Content-Type")) {
			s.writeError(w, r, errf(codeUnsupportedMedia, fmt.Sprintf(
				"content type %q is not accepted from a browser: send application/json", r.Header.Get("Content-Type"))))
			return
		}
		next.ServeHTTP(w, r)
	})
	return cop.Handler(inner)
}

func isWrite(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// fromBrowser reports whether a browser sent r: browsers add Origin to
// every write and Sec-Fetch-* to every request; other clients rarely do.
func fromBrowser(r *http.Request) bool {
	return r.Header.Get("Origin") != "" || r.Header.Get("Sec-Fetch-Site") != "" || r.Header.Get("Sec-Fetch-Mode") != ""
}

func jsonOrYAML(ct string) bool {
	mt, _, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	return mediaFormat(mt) != mediaOther || mt == "application/x-amz-json-1.0"
}
