// Package httptask performs the HTTP Task of the States Language
// (arn:aws:states:::http:invoke): it turns a Task's Parameters into a
// request, enforces the operator's destination policy, and turns the answer
// into AWS's result shape or error names.
package httptask

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// MaxResponse bounds a response body, as state data is bounded.
const MaxResponse = 256 * 1024

// Config configures a Client.
type Config struct {
	// Allow lists the hosts (exact names, "*.example.com" patterns) and
	// CIDRs requests may go to; empty allows every destination except the
	// always-denied ones.
	Allow []string
	// Deny adds destinations that are refused (the store's own address).
	Deny []string
	// Connections are the named credentials Authentication.ConnectionArn
	// refers to.
	Connections map[string]Connection
	// Timeout bounds one request when the Task sets no TimeoutSeconds.
	Timeout time.Duration
}

// alwaysDenied are link-local and cloud metadata addresses: a definition
// must not be able to read the host's cloud credentials or instance data.
// Most providers serve metadata on 169.254.169.254, inside link-local;
// these are the documented ones outside it. docs/tasks.md lists them.
var alwaysDenied = []string{
	"169.254.0.0/16",         // IPv4 link-local: AWS, GCP, Azure, OCI, DigitalOcean, OpenStack… (169.254.169.254), ECS (169.254.170.2), EKS Pod Identity (169.254.170.23), Tencent (169.254.0.23)
	"fe80::/10",              // IPv6 link-local (OpenStack's fe80::a9fe:a9fe)
	"100.100.100.200/32",     // Alibaba Cloud ECS metadata
	"168.63.129.16/32",       // Azure WireServer (platform agent, extension settings)
	"192.0.0.192/32",         // Oracle Cloud Classic metadata
	"fd00:ec2::254/128",      // AWS instance metadata (IPv6)
	"fd00:ec2::23/128",       // AWS EKS Pod Identity Agent (IPv6), hands out credentials
	"fd20:ce::254/128",       // Google Cloud metadata (IPv6)
	"fd00:c1::a9fe:a9fe/128", // Oracle Cloud Infrastructure metadata (IPv6)
	"fd00:a9fe:a9fe::1/128",  // Akamai (Linode) metadata (IPv6)
	"fd00:42::42/128",        // Scaleway metadata (IPv6)
}

// alwaysDeniedNames are metadata host names, refused by name without a
// DNS lookup (they resolve to a denied address where they exist, and to
// nothing elsewhere, so refusing them early only makes the error clear).
var alwaysDeniedNames = []string{
	"metadata.google.internal", "metadata.goog", // Google Cloud
	"metadata.tencentyun.com",    // Tencent Cloud
	"api.metadata.cloud.ibm.com", // IBM Cloud VPC
	"instance-data.ec2.internal", // AWS
}

// nat64 is the well-known NAT64 prefix (RFC 6052): on an IPv6-only host
// behind NAT64, 64:ff9b::a.b.c.d reaches the IPv4 address a.b.c.d.
var nat64 = &net.IPNet{IP: net.ParseIP("64:ff9b::"), Mask: net.CIDRMask(96, 128)}

// Client performs HTTP Tasks.
type Client struct {
	cfg      Config
	http     *http.Client
	plain    *plainTransport
	allowNet []*net.IPNet
	allowHst []string
	denyNet  []*net.IPNet
	denyHst  []string
	// endpoints are the compiled Endpoints of cfg.Connections, by the
	// same keys.
	endpoints map[string][]endpoint
	tokens    tokenCache
}

// New builds a client with pooled connections and the destination policy
// enforced at dial time (after DNS resolution, so a name cannot smuggle a
// denied address).
func New(cfg Config) (*Client, error) {
	c := &Client{cfg: cfg}
	if c.cfg.Timeout == 0 {
		c.cfg.Timeout = 60 * time.Second
	}
	var err error
	if c.endpoints, err = compileConnections(cfg.Connections); err != nil {
		return nil, err
	}
	for _, a := range cfg.Allow {
		if _, n, err := net.ParseCIDR(a); err == nil {
			c.allowNet = append(c.allowNet, n)
		} else if ip := net.ParseIP(a); ip != nil {
			c.allowNet = append(c.allowNet, hostNet(ip))
		} else if a != "" {
			c.allowHst = append(c.allowHst, strings.ToLower(a))
		}
	}
	c.denyHst = append(c.denyHst, alwaysDeniedNames...)
	for _, d := range append(append([]string{}, alwaysDenied...), cfg.Deny...) {
		if _, n, err := net.ParseCIDR(d); err == nil {
			c.denyNet = append(c.denyNet, n)
		} else if ip := net.ParseIP(d); ip != nil {
			c.denyNet = append(c.denyNet, hostNet(ip))
		} else if d != "" {
			c.denyHst = append(c.denyHst, strings.ToLower(d))
			// The store's name is refused, and so are its addresses, so
			// that the IP literal cannot reach it either.
			if ips, err := net.LookupIP(d); err == nil {
				for _, ip := range ips {
					c.denyNet = append(c.denyNet, hostNet(ip))
				}
			}
		}
	}
	// Neither transport asks for compressed answers (net/http's would, and
	// undo it): a result's Headers are the same over http and https.
	tr := &http.Transport{
		Proxy: nil, DialContext: c.dial, MaxIdleConns: 1024, MaxIdleConnsPerHost: 256,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, DisableCompression: true,
	}
	c.plain = &plainTransport{dial: c.dial, other: tr, maxIdle: 256, maxIdleAll: 1024, idleTimeout: 90 * time.Second,
		idle: map[string][]*plainConn{}}
	c.http = &http.Client{Transport: c.plain, CheckRedirect: c.checkRedirect}
	return c, nil
}

// CloseIdle closes the client's idle keep-alive connections.
func (c *Client) CloseIdle() { c.http.CloseIdleConnections() }

func hostNet(ip net.IP) *net.IPNet {
	bits := 128
	if ip.To4() != nil {
		ip, bits = ip.To4(), 32
	}
	return &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)}
}

// dial connects with the destination policy applied to the address each
// connection really goes to (after DNS resolution, and for every redirect),
// so that a name cannot smuggle a denied address in.
func (c *Client) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	if err := c.hostAllowed(host); err != nil {
		return nil, err
	}
	// A name matched by an --http-allow pattern may resolve anywhere but
	// the always-denied ranges; any other destination must be in an
	// allowed CIDR when the operator listed some.
	byName := false
	for _, a := range c.allowHst {
		if matchHost(a, strings.ToLower(host)) {
			byName = true
		}
	}
	d := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second,
		Control: func(_, addr string, _ syscall.RawConn) error { return c.control(addr, byName) }}
	return d.DialContext(ctx, network, address)
}

// control refuses denied addresses after resolution.
func (c *Client) control(address string, allowedByName bool) error {
	host, _, err := net.SplitHostPort(address)
	if err != nil {
		return err
	}
	ip := net.ParseIP(host)
	if ip == nil {
		return fmt.Errorf("cannot parse address %q", host)
	}
	if c.denied(ip) {
		return fmt.Errorf("destination %s is not allowed (link-local, cloud metadata or the store's own address)", ip)
	}
	if allowedByName || (len(c.allowNet) == 0 && len(c.allowHst) == 0) {
		return nil
	}
	for _, n := range c.allowNet {
		if n.Contains(ip) {
			return nil
		}
	}
	return fmt.Errorf("destination %s is not in --http-allow", ip)
}

// denied reports whether ip is in a denied range, also when it is an
// IPv4 address written in NAT64 form (IPv4-mapped forms are matched by
// net.IPNet itself).
func (c *Client) denied(ip net.IP) bool {
	for _, n := range c.denyNet {
		if n.Contains(ip) {
			return true
		}
	}
	if ip.To4() == nil && nat64.Contains(ip) {
		return c.denied(net.IP(ip[12:16]))
	}
	return false
}

// hostAllowed checks the name-based part of the policy before dialing, so
// that a refusal says which name was refused.
func (c *Client) hostAllowed(host string) error {
	h := strings.ToLower(strings.TrimSuffix(host, "."))
	for _, d := range c.denyHst {
		if matchHost(d, h) {
			return fmt.Errorf("destination %s is not allowed", host)
		}
	}
	if ip := net.ParseIP(h); ip != nil {
		return c.control(net.JoinHostPort(h, "0"), false)
	}
	if len(c.allowHst) > 0 && len(c.allowNet) == 0 {
		for _, a := range c.allowHst {
			if matchHost(a, h) {
				return nil
			}
		}
		return fmt.Errorf("destination %s is not in --http-allow", host)
	}
	return nil // checked again at dial time, with the addresses it resolves to
}

func matchHost(pattern, host string) bool {
	if strings.HasPrefix(pattern, "*.") {
		return strings.HasSuffix(host, pattern[1:])
	}
	return pattern == host
}

// forbiddenHeaders may not be set by a task: AWS's documented list for the
// HTTP Task (Call HTTPS APIs, "Headers"), plus Authorization (refused by
// AWS too; credentials come from a connection) and the two headers sfn
// sets itself on every call.
var forbiddenHeaders = map[string]bool{
	"a-im": true, "accept-charset": true, "accept-datetime": true, "accept-encoding": true, "cache-control": true,
	"connection": true, "content-encoding": true, "content-md5": true, "date": true, "expect": true, "forwarded": true,
	"from": true, "host": true, "http2-settings": true, "if-match": true, "if-modified-since": true, "if-none-match": true,
	"if-range": true, "if-unmodified-since": true, "max-forwards": true, "origin": true, "pragma": true,
	"proxy-authorization": true, "referer": true, "server": true, "te": true, "trailer": true, "transfer-encoding": true,
	"upgrade": true, "via": true, "warning": true,
	"authorization": true, "idempotency-key": true, "traceparent": true,
}

func forbiddenHeader(name string) bool {
	n := strings.ToLower(name)
	return forbiddenHeaders[n] || strings.HasPrefix(n, "x-forwarded-") || strings.HasPrefix(n, "x-amz-") || strings.HasPrefix(n, "x-amzn-")
}

// Request is one HTTP Task attempt.
type Request struct {
	Parameters value.Value
	// IdempotencyKey is "<execution id>/<TaskScheduled event id>".
	IdempotencyKey string
	// Observe, when set, is told the request as it was sent and the
	// response as it was received, once the call is made (not for a
	// request refused before anything was sent).
	Observe func(*Exchange)
	// NoRedirects answers a 3xx as it is (the error
	// States.Http.StatusCode.<code>) instead of following it: for callers
	// whose POST must reach the URL given or fail (webhooks), since a
	// 302/303 would turn it into a GET without its body.
	NoRedirects bool
}

// Invoke performs the request. The result is AWS's shape: StatusCode,
// StatusText, Headers, ResponseBody. A non-2xx answer is the error
// States.Http.StatusCode.<code>; a request that cannot be made is
// States.TaskFailed; a bad parameter is States.Runtime.
func (c *Client) Invoke(ctx context.Context, r Request) (value.Value, *failure.Error) {
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.cfg.Timeout)
		defer cancel()
	}
	req, ferr := c.build(ctx, r)
	if ferr != nil {
		return nil, ferr
	}
	if err := c.hostAllowed(req.URL.Hostname()); err != nil {
		return nil, failure.New(failure.TaskFailed, err.Error())
	}
	hc := c.http
	if r.NoRedirects {
		nc := *c.http
		nc.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
		hc = &nc
	}
	if r.Observe != nil {
		ex := exchangeOf(req)
		defer func() { r.Observe(ex) }()
		return c.do(hc, req, ex)
	}
	return c.do(hc, req, nil)
}

// do sends req with hc and reads its answer; ex, when set, records the
// response.
func (c *Client) do(hc *http.Client, req *http.Request, ex *Exchange) (value.Value, *failure.Error) {
	resp, err := hc.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, failure.New(failure.Timeout, "the HTTP request did not complete in time")
		}
		return nil, failure.Newf(failure.TaskFailed, "the HTTP request failed: %v", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponse+1))
	if ex != nil {
		ex.Response = responseOf(resp, body)
	}
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return nil, failure.New(failure.Timeout, "the HTTP response did not complete in time")
		}
		return nil, failure.Newf(failure.TaskFailed, "reading the HTTP response failed: %v", err)
	}
	if len(body) > MaxResponse {
		return nil, failure.Newf(failure.TaskFailed, "the HTTP response body is larger than %d bytes", MaxResponse)
	}
	result := value.NewObject(4)
	result.Set("Headers", responseHeaders(resp.Header))
	result.Set("ResponseBody", responseBody(resp.Header.Get("Content-Type"), body))
	result.Set("StatusCode", value.Int(int64(resp.StatusCode)))
	result.Set("StatusText", statusText(resp))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		// AWS reports only the status text as the cause (the response body
		// is not kept), so a Catch sees the same on both.
		return nil, failure.New("States.Http.StatusCode."+strconv.Itoa(resp.StatusCode), statusText(resp))
	}
	return result, nil
}

func statusText(resp *http.Response) string {
	if _, text, ok := strings.Cut(resp.Status, " "); ok && text != "" {
		return text
	}
	return http.StatusText(resp.StatusCode)
}

func responseHeaders(h http.Header) value.Value {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	o := value.NewObject(len(names))
	for _, k := range names {
		vals := make([]any, len(h[k]))
		for i, v := range h[k] {
			vals[i] = v
		}
		o.Set(strings.ToLower(k), vals)
	}
	return o
}

func responseBody(contentType string, body []byte) value.Value {
	if len(body) == 0 {
		return ""
	}
	if strings.Contains(strings.ToLower(contentType), "json") || contentType == "" {
		if v, err := value.Decode(body); err == nil {
			return v
		}
	}
	return string(body)
}

func runtimeErr(format string, args ...any) *failure.Error {
	return failure.Newf(failure.Runtime, format, args...)
}

func (c *Client) build(ctx context.Context, r Request) (*http.Request, *failure.Error) {
	p, ok := r.Parameters.(*value.Object)
	if !ok {
		return nil, runtimeErr("the HTTP Task's Parameters must be an object with ApiEndpoint and Method")
	}
	endpoint, _ := get[string](p, "ApiEndpoint")
	method, _ := get[string](p, "Method")
	if endpoint == "" || method == "" {
		return nil, runtimeErr("the HTTP Task needs the Parameters ApiEndpoint and Method (strings)")
	}
	method = strings.ToUpper(method)
	switch method {
	case "GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS":
	default:
		return nil, runtimeErr("the HTTP Task's Method %q is not one of GET, POST, PUT, DELETE, PATCH, HEAD, OPTIONS", method)
	}
	var body io.Reader
	contentType := ""
	if rb, ok := p.Get("RequestBody"); ok && method != "GET" && method != "HEAD" {
		if enc := transformEncoding(p); enc == "URL_ENCODED" {
			form, ferr := urlEncode(rb, arrayFormat(p))
			if ferr != nil {
				return nil, ferr
			}
			body, contentType = strings.NewReader(form), "application/x-www-form-urlencoded"
		} else if s, ok := rb.(string); ok {
			body, contentType = strings.NewReader(s), "text/plain; charset=UTF-8"
		} else {
			body, contentType = bytes.NewReader(value.Marshal(rb)), "application/json; charset=UTF-8"
		}
	}
	// The request parses the endpoint once; its URL is then checked and
	// given the query parameters.
	req, err := http.NewRequestWithContext(ctx, method, endpoint, body)
	if err != nil || (req.URL.Scheme != "http" && req.URL.Scheme != "https") || req.URL.Host == "" {
		return nil, runtimeErr("the HTTP Task's ApiEndpoint %q is not an http or https URL", endpoint)
	}
	if qp, ok := p.Get("QueryParameters"); ok {
		qo, ok := qp.(*value.Object)
		if !ok {
			return nil, runtimeErr("the HTTP Task's QueryParameters must be an object")
		}
		q := req.URL.Query()
		for _, m := range qo.Members() {
			switch v := m.Value.(type) {
			case []any:
				for _, e := range v {
					q.Add(m.Key, scalar(e))
				}
			default:
				q.Add(m.Key, scalar(v))
			}
		}
		req.URL.RawQuery = q.Encode()
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	if hv, ok := p.Get("Headers"); ok {
		ho, ok := hv.(*value.Object)
		if !ok {
			return nil, runtimeErr("the HTTP Task's Headers must be an object")
		}
		for _, m := range ho.Members() {
			if forbiddenHeader(m.Key) {
				return nil, runtimeErr("the HTTP Task may not set the header %q", m.Key)
			}
			req.Header.Set(m.Key, scalar(m.Value))
		}
	}
	if av, ok := p.Get("Authentication"); ok {
		names, ferr := c.authenticate(ctx, req, av)
		if ferr != nil {
			return nil, ferr
		}
		req = req.WithContext(withCredentialHeaders(ctx, names))
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "sfn-http-task")
	}
	if r.IdempotencyKey != "" { // canonical names, set directly
		req.Header["Idempotency-Key"] = []string{r.IdempotencyKey}
		req.Header["Traceparent"] = []string{traceparent(r.IdempotencyKey)}
	}
	return req, nil
}

// traceparent derives a W3C trace context from the idempotency key: the
// execution is the trace, the attempt is the span, so retries of a call
// share a trace and a replayed step sends the same ids.
func traceparent(key string) string {
	exec, attempt, _ := strings.Cut(key, "/")
	t := sha256.Sum256([]byte(exec))
	s := sha256.Sum256([]byte(key + attempt))
	return "00-" + hex.EncodeToString(t[:16]) + "-" + hex.EncodeToString(s[:8]) + "-01"
}

// HTTPSocket is AWS's error name for an HTTP Task whose request could not
// be made; sfn reports it when a connection may not be used for the
// task's destination.
const HTTPSocket = "States.Http.Socket"

// authenticate adds the connection's credentials to req and returns the
// names of the headers it set (checkRedirect keeps them on req's origin).
// A destination outside the connection's endpoints is refused before
// anything is sent, including an OAuth token request.
func (c *Client) authenticate(ctx context.Context, req *http.Request, av value.Value) ([]string, *failure.Error) {
	ao, ok := av.(*value.Object)
	if !ok {
		return nil, runtimeErr("the HTTP Task's Authentication must be an object with ConnectionArn")
	}
	arn, _ := get[string](ao, "ConnectionArn")
	if arn == "" {
		return nil, runtimeErr("the HTTP Task's Authentication needs a ConnectionArn")
	}
	name, key := connectionName(arn), arn
	conn, ok := c.cfg.Connections[key]
	if !ok {
		key = name
		conn, ok = c.cfg.Connections[key]
	}
	if !ok {
		return nil, runtimeErr("the connection %q is not defined on this server (--connections)", arn)
	}
	if !c.endpointAllowed(key, req.URL) {
		scheme, host, port := origin(req.URL)
		return nil, failure.Newf(HTTPSocket, "the connection %q may not be used for %s://%s: it is limited to its endpoints (%s); nothing was sent",
			key, scheme, net.JoinHostPort(host, strconv.Itoa(port)), strings.Join(conn.Endpoints, ", "))
	}
	switch {
	case conn.APIKeyName != "":
		req.Header.Set(conn.APIKeyName, conn.APIKeyValue)
		return []string{conn.APIKeyName}, nil
	case conn.Username != "":
		req.SetBasicAuth(conn.Username, conn.Password)
	case conn.BearerToken != "":
		req.Header.Set("Authorization", "Bearer "+conn.BearerToken)
	case conn.OAuth != nil:
		tok, err := c.oauthToken(ctx, key, conn.OAuth)
		if err != nil {
			return nil, failure.Newf(failure.TaskFailed, "the connection %q could not get an OAuth token: %v", arn, err)
		}
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	return authorizationHeader, nil
}

var authorizationHeader = []string{"Authorization"}

// endpointAllowed reports whether the connection stored under key may be
// used for u's origin.
func (c *Client) endpointAllowed(key string, u *url.URL) bool {
	for _, e := range c.endpoints[key] {
		if e.matches(u) {
			return true
		}
	}
	return false
}

// connectionName takes the connection's name from an EventBridge-style ARN
// (arn:aws:events:<region>:<account>:connection/<name>/<id>) or from a
// shorter "connection/<name>" or plain name.
func connectionName(arn string) string {
	if _, rest, ok := strings.Cut(arn, "connection/"); ok {
		name, _, _ := strings.Cut(rest, "/")
		return name
	}
	if i := strings.LastIndexAny(arn, ":/"); i >= 0 {
		return arn[i+1:]
	}
	return arn
}

func transformEncoding(p *value.Object) string {
	if s, ok := get[string](p, "Transform", "RequestBodyEncoding"); ok {
		return s
	}
	return ""
}

func arrayFormat(p *value.Object) string {
	if s, ok := get[string](p, "Transform", "RequestEncodingOptions", "ArrayFormat"); ok {
		return s
	}
	return "INDICES"
}

// urlEncode form-encodes a flat or nested object as AWS's Transform does.
func urlEncode(v value.Value, arrays string) (string, *failure.Error) {
	o, ok := v.(*value.Object)
	if !ok {
		return "", runtimeErr("a URL_ENCODED RequestBody must be an object")
	}
	var parts []string
	var walk func(prefix string, v value.Value)
	walk = func(prefix string, v value.Value) {
		switch t := v.(type) {
		case *value.Object:
			for _, m := range t.Members() {
				walk(prefix+"["+m.Key+"]", m.Value)
			}
		case []any:
			for i, e := range t {
				switch arrays {
				case "BRACKETS":
					walk(prefix+"[]", e)
				case "REPEAT":
					walk(prefix, e)
				case "COMMAS":
					strs := make([]string, len(t))
					for j, x := range t {
						strs[j] = scalar(x)
					}
					parts = append(parts, url.QueryEscape(prefix)+"="+url.QueryEscape(strings.Join(strs, ",")))
					return
				default:
					walk(prefix+"["+strconv.Itoa(i)+"]", e)
				}
			}
		default:
			parts = append(parts, url.QueryEscape(prefix)+"="+url.QueryEscape(scalar(t)))
		}
	}
	for _, m := range o.Members() {
		walk(m.Key, m.Value)
	}
	return strings.Join(parts, "&"), nil
}

func scalar(v value.Value) string {
	if s, ok := v.(string); ok {
		return s
	}
	return value.MarshalString(v)
}

func get[T any](o *value.Object, path ...string) (T, bool) {
	var zero T
	var cur value.Value = o
	for _, k := range path {
		obj, ok := cur.(*value.Object)
		if !ok {
			return zero, false
		}
		if cur, ok = obj.Get(k); !ok {
			return zero, false
		}
	}
	t, ok := cur.(T)
	return t, ok
}

// Get streams the body of a GET under the same policy as Invoke's calls
// (the allow-list, the denied addresses, redirects), for a distributed
// Map's ItemReader on an HTTPS URL: the caller reads the body as it comes
// (it may be far larger than a task's response) and closes it. The
// request has no deadline but ctx's.
func (c *Client) Get(ctx context.Context, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	if err := c.hostAllowed(req.URL.Hostname()); err != nil {
		return nil, err
	}
	return c.http.Do(req)
}
