package httptask

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
)

// Connection is a named set of credentials, kept on the server so that
// secrets never appear in definitions or history.
type Connection struct {
	APIKeyName  string `json:"apiKeyName,omitempty" yaml:"apiKeyName"`
	APIKeyValue string `json:"apiKeyValue,omitempty" yaml:"apiKeyValue"`
	Username    string `json:"username,omitempty" yaml:"username"`
	Password    string `json:"password,omitempty" yaml:"password"`
	BearerToken string `json:"bearerToken,omitempty" yaml:"bearerToken"`
	// OAuth client credentials (RFC 6749 section 4.4): the token is fetched
	// from TokenURL and cached until shortly before it expires.
	OAuth *OAuth `json:"oauth,omitempty" yaml:"oauth"`
	// Endpoints are the destinations the credentials may be sent to, in
	// --http-allow's syntax (a name, "*.domain", an IP or a CIDR), each
	// optionally with a scheme ("https://") and a port (":8443"). A
	// definition chooses its URL, often from execution input: without this
	// list anyone who may start an execution could send the credentials to
	// a server of their choosing. Required; ["*"] allows every destination
	// and must be chosen knowingly.
	Endpoints []string `json:"endpoints,omitempty" yaml:"endpoints"`
}

// OAuth configures an OAuth 2.0 client credentials connection.
type OAuth struct {
	TokenURL     string `json:"tokenUrl" yaml:"tokenUrl"`
	ClientID     string `json:"clientId" yaml:"clientId"`
	ClientSecret string `json:"clientSecret" yaml:"clientSecret"`
	Scope        string `json:"scope,omitempty" yaml:"scope"`
}

// AnyEndpoint is the Endpoints entry that lets a connection be used for
// every destination.
const AnyEndpoint = "*"

// ParseConnections reads the --connections file: a JSON object of
// connection name -> Connection. A secret written "env:NAME" or "$NAME"
// (apiKeyValue, password, bearerToken, oauth.clientSecret) is read with
// getenv (os.Getenv when nil). Unknown fields, a missing or bad endpoint
// list, incomplete or mixed credentials and unset environment variables
// are refused; the error lists every problem, each naming the connection
// and the field, and never holds a secret.
func ParseConnections(data []byte, getenv func(string) string) (map[string]Connection, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var raw map[string]json.RawMessage
	if err := strictDecode(data, &raw); err != nil || raw == nil {
		var te *json.UnmarshalTypeError
		if err == nil {
			err = errors.New("the file holds null")
		} else if errors.As(err, &te) && te.Field == "" {
			err = fmt.Errorf("the file holds a JSON %s", te.Value)
		}
		return nil, fmt.Errorf("want a JSON object of connection name -> {apiKeyName, apiKeyValue | username, password | bearerToken | oauth: {tokenUrl, clientId, clientSecret, scope}, endpoints: [...]}: %v", err)
	}
	names := make([]string, 0, len(raw))
	for name := range raw {
		names = append(names, name)
	}
	sort.Strings(names)
	conns := make(map[string]Connection, len(raw))
	var errs []error
	for _, name := range names {
		var c Connection
		if err := strictDecode(raw[name], &c); err != nil {
			errs = append(errs, fmt.Errorf("connection %q: %s", name, decodeProblem(err)))
			continue
		}
		problems := c.resolveSecrets(getenv)
		_, bad := c.validate(name)
		problems = append(problems, bad...)
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("connection %q: %s", name, p))
		}
		conns[name] = c
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return conns, nil
}

// UnrestrictedConnections names the connections whose Endpoints allow
// every destination ("*"), sorted, so that the server can warn about each
// at start-up.
func UnrestrictedConnections(conns map[string]Connection) []string {
	var names []string
	for name, c := range conns {
		for _, e := range c.Endpoints {
			if e == AnyEndpoint {
				names = append(names, name)
				break
			}
		}
	}
	sort.Strings(names)
	return names
}

// strictDecode decodes one JSON value, refusing unknown fields and
// anything after the value.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("unexpected data after the JSON value")
	}
	return nil
}

// decodeProblem words a decoding error of one connection with the JSON
// field it is about, not the Go type it was decoded into.
func decodeProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return fmt.Sprintf("%s: want %s, not a JSON %s", te.Field, jsonKind(te.Type.String()), te.Value)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonKind(goType string) string {
	switch {
	case goType == "string":
		return "a string"
	case strings.HasPrefix(goType, "[]"):
		return "an array of strings"
	default:
		return "an object"
	}
}

// resolveSecrets reads the secrets written as environment references.
func (c *Connection) resolveSecrets(getenv func(string) string) []string {
	var problems []string
	resolve := func(field string, v *string) {
		name, ok := strings.CutPrefix(*v, "env:")
		if !ok {
			name, ok = strings.CutPrefix(*v, "$")
		}
		if !ok {
			return
		}
		if name == "" {
			problems = append(problems, field+": names no environment variable (want env:NAME or $NAME)")
			return
		}
		if *v = getenv(name); *v == "" {
			problems = append(problems, fmt.Sprintf("%s: the environment variable %s is empty or not set", field, name))
		}
	}
	resolve("apiKeyValue", &c.APIKeyValue)
	resolve("password", &c.Password)
	resolve("bearerToken", &c.BearerToken)
	if c.OAuth != nil {
		resolve("oauth.clientSecret", &c.OAuth.ClientSecret)
	}
	return problems
}

// validate reports what is wrong with a connection, one message a
// problem, naming the field, and returns the endpoints that compile.
// Messages never quote a secret.
func (c Connection) validate(name string) ([]endpoint, []string) {
	var problems []string
	if name == "" {
		problems = append(problems, "the connection's name is empty")
	}
	var kinds []string
	if c.APIKeyName != "" || c.APIKeyValue != "" {
		kinds = append(kinds, "apiKeyName/apiKeyValue")
	}
	if c.Username != "" || c.Password != "" {
		kinds = append(kinds, "username/password")
	}
	if c.BearerToken != "" {
		kinds = append(kinds, "bearerToken")
	}
	if c.OAuth != nil {
		kinds = append(kinds, "oauth")
	}
	switch {
	case len(kinds) == 0:
		problems = append(problems, "no credentials: set apiKeyName and apiKeyValue, username and password, bearerToken, or oauth")
	case len(kinds) > 1:
		problems = append(problems, fmt.Sprintf("more than one kind of credentials (%s): a connection has one", strings.Join(kinds, ", ")))
	}
	if c.APIKeyName != "" || c.APIKeyValue != "" {
		switch {
		case c.APIKeyName == "":
			problems = append(problems, "apiKeyValue without apiKeyName")
		case c.APIKeyValue == "":
			problems = append(problems, "apiKeyName without apiKeyValue")
		case !validHeaderName(c.APIKeyName):
			problems = append(problems, fmt.Sprintf("apiKeyName %q is not a valid header name", c.APIKeyName))
		case forbiddenHeader(c.APIKeyName) && !strings.EqualFold(c.APIKeyName, "Authorization"):
			problems = append(problems, fmt.Sprintf("apiKeyName %q is a header that sfn sets itself or that an HTTP Task may not send", c.APIKeyName))
		}
	}
	if c.Password != "" && c.Username == "" {
		problems = append(problems, "password without username")
	}
	if strings.Contains(c.Username, ":") {
		problems = append(problems, "username: Basic authentication does not allow a colon in the user name (RFC 7617)")
	}
	if o := c.OAuth; o != nil {
		if u, err := url.Parse(o.TokenURL); o.TokenURL == "" || err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			problems = append(problems, fmt.Sprintf("oauth.tokenUrl %q is not an http or https URL", o.TokenURL))
		}
		if o.ClientID == "" {
			problems = append(problems, "oauth.clientId is missing")
		}
		if o.ClientSecret == "" {
			problems = append(problems, "oauth.clientSecret is missing")
		}
	}
	if len(c.Endpoints) == 0 {
		problems = append(problems, `no "endpoints": list the destinations its credentials may be sent to, `+
			`e.g. "endpoints": ["api.example.com", "https://*.example.com:8443", "10.20.0.0/16"]; `+
			`"endpoints": ["*"] allows every destination, which lets anyone who may start an execution send these credentials to a server of their choosing`)
	}
	var endpoints []endpoint
	for i, e := range c.Endpoints {
		ep, err := parseEndpoint(e)
		if err != nil {
			problems = append(problems, fmt.Sprintf("endpoints[%d] %q: %v", i, e, err))
			continue
		}
		endpoints = append(endpoints, ep)
	}
	return endpoints, problems
}

// validHeaderName reports whether name is an HTTP token (RFC 9110).
func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c <= ' ' || c >= 0x7f || strings.IndexByte("\"(),/:;<=>?@[\\]{}", c) >= 0 {
			return false
		}
	}
	return true
}

// endpoint is one compiled entry of a connection's Endpoints.
type endpoint struct {
	any    bool       // "*"
	scheme string     // "http" or "https"; "" for both
	host   string     // a name or "*.domain"; "" when ipnet is set
	ipnet  *net.IPNet // an IP or a CIDR
	port   int        // 0 for any
}

// parseEndpoint reads one Endpoints entry: "*", or [scheme://]host[:port]
// where host is a name, "*.domain", an IP (IPv6 in brackets when a port
// follows) or a CIDR (without a port).
func parseEndpoint(s string) (endpoint, error) {
	if s == AnyEndpoint {
		return endpoint{any: true}, nil
	}
	var e endpoint
	rest := s
	if scheme, r, ok := strings.Cut(s, "://"); ok {
		e.scheme = strings.ToLower(scheme)
		if e.scheme != "http" && e.scheme != "https" {
			return e, fmt.Errorf("the scheme %q is not http or https", scheme)
		}
		rest = r
	}
	if rest == "" {
		return e, errors.New("no host")
	}
	if _, n, err := net.ParseCIDR(rest); err == nil {
		e.ipnet = n
		return e, nil
	}
	if strings.ContainsAny(rest, "/?#") {
		return e, errors.New("a path, query or fragment is not allowed: an endpoint names a destination (host, optional scheme and port), not a URL")
	}
	if ip := net.ParseIP(rest); ip != nil { // an IPv6 address without brackets has no port
		e.ipnet = hostNet(ip)
		return e, nil
	}
	host := rest
	if strings.HasPrefix(rest, "[") || strings.Contains(rest, ":") {
		h, port, err := net.SplitHostPort(rest)
		if err != nil {
			if h, ok := strings.CutPrefix(rest, "["); ok && strings.HasSuffix(h, "]") {
				h = strings.TrimSuffix(h, "]")
				if ip := net.ParseIP(h); ip != nil {
					e.ipnet = hostNet(ip)
					return e, nil
				}
			}
			return e, fmt.Errorf("want host or host:port: %v", err)
		}
		p, err := strconv.Atoi(port)
		if err != nil || p < 1 || p > 65535 {
			return e, fmt.Errorf("the port %q is not a number from 1 to 65535", port)
		}
		e.port, host = p, h
	}
	if ip := net.ParseIP(host); ip != nil {
		e.ipnet = hostNet(ip)
		return e, nil
	}
	name := strings.ToLower(strings.TrimSuffix(host, "."))
	if err := validHostPattern(name); err != nil {
		return e, err
	}
	e.host = name
	return e, nil
}

// validHostPattern accepts a DNS name, optionally behind "*." (any
// subdomain), as --http-allow does.
func validHostPattern(name string) error {
	labels := strings.TrimPrefix(name, "*.")
	if labels == "" {
		return errors.New("no host")
	}
	for _, l := range strings.Split(labels, ".") {
		if l == "" {
			return fmt.Errorf("the host %q has an empty label", name)
		}
		for i := 0; i < len(l); i++ {
			if c := l[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				if c == '*' {
					return fmt.Errorf("the host %q: a wildcard is allowed only as a whole first label (*.example.com)", name)
				}
				return fmt.Errorf("the host %q has the character %q, which a host name cannot have", name, c)
			}
		}
	}
	return nil
}

// matches reports whether the URL's origin is inside the endpoint. An IP
// or CIDR entry matches only a URL whose host is an address: deciding for
// a name would need a DNS lookup before the refusal, and a name that an
// attacker controls may resolve anywhere.
func (e endpoint) matches(u *url.URL) bool {
	if e.any {
		return true
	}
	scheme, host, port := origin(u)
	if e.scheme != "" && e.scheme != scheme {
		return false
	}
	if e.port != 0 && e.port != port {
		return false
	}
	if e.ipnet != nil {
		ip := net.ParseIP(host)
		return ip != nil && e.ipnet.Contains(ip)
	}
	return matchHost(e.host, host)
}

// origin is a URL's scheme, host (lower case, without a final dot) and
// port (the scheme's default when the URL has none).
func origin(u *url.URL) (scheme, host string, port int) {
	scheme = strings.ToLower(u.Scheme)
	host = strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if p, err := strconv.Atoi(u.Port()); err == nil {
		return scheme, host, p
	}
	if scheme == "https" {
		return scheme, host, 443
	}
	return scheme, host, 80
}

func sameOrigin(a, b *url.URL) bool {
	as, ah, ap := origin(a)
	bs, bh, bp := origin(b)
	return as == bs && ah == bh && ap == bp
}

// compileConnections checks every connection and compiles its endpoints,
// keyed like cfg.Connections.
func compileConnections(conns map[string]Connection) (map[string][]endpoint, error) {
	names := make([]string, 0, len(conns))
	for name := range conns {
		names = append(names, name)
	}
	sort.Strings(names)
	out := make(map[string][]endpoint, len(conns))
	var errs []error
	for _, name := range names {
		endpoints, problems := conns[name].validate(name)
		for _, p := range problems {
			errs = append(errs, fmt.Errorf("connection %q: %s", name, p))
		}
		if len(endpoints) > 0 {
			out[name] = endpoints
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return out, nil
}
