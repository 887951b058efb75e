package awsjson

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sfn-project/sfn/httpapi/roles"
)

// SigV4 as Step Functions takes it: the Authorization header form (a
// presigned query string is not accepted), scoped to the service "states".
const (
	sigV4Algorithm  = "AWS4-HMAC-SHA256"
	sigV4Service    = "states"
	sigV4Terminator = "aws4_request"
	amzDateFormat   = "20060102T150405Z"
	scopeDateFormat = "20060102"
)

// msgUnknownKey is AWS's message for an access key it does not know.
const msgUnknownKey = "The security token included in the request is invalid."

// msgSignatureMismatch is AWS's message for a signature that does not match.
const msgSignatureMismatch = "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details."

// sigV4Auth is a parsed Authorization header.
type sigV4Auth struct {
	header        string
	accessKey     string
	scopeDate     string
	region        string
	service       string
	terminator    string
	signedHeaders []string // lower case, as the client listed them
	signature     string
}

// parseAuthorization parses an AWS4-HMAC-SHA256 Authorization header. Its
// errors are AWS's IncompleteSignatureException, worded as AWS words them.
func parseAuthorization(h string) (*sigV4Auth, error) {
	algorithm, rest, _ := strings.Cut(h, " ")
	params := map[string]string{}
	if algorithm == sigV4Algorithm {
		for _, part := range strings.Split(rest, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			k, v, ok := strings.Cut(part, "=")
			if !ok {
				return nil, errorf(excIncompleteSignature, "'%s' not a valid key=value pair (missing equal-sign) in Authorization header: '%s'.", part, h)
			}
			params[k] = v
		}
	}
	var missing []string
	for _, p := range []string{"Credential", "Signature", "SignedHeaders"} {
		if params[p] == "" {
			missing = append(missing, fmt.Sprintf("Authorization header requires '%s' parameter.", p))
		}
	}
	if len(missing) > 0 {
		return nil, errorf(excIncompleteSignature, "%s Authorization=%s", strings.Join(missing, " "), h)
	}
	a := &sigV4Auth{header: h, signature: params["Signature"]}
	cred := strings.Split(params["Credential"], "/")
	if len(cred) != 5 || cred[0] == "" {
		return nil, errorf(excIncompleteSignature, "Credential is malformed: want <access key id>/<date>/<region>/%s/%s, not '%s'. Authorization=%s", sigV4Service, sigV4Terminator, params["Credential"], h)
	}
	a.accessKey, a.scopeDate, a.region, a.service, a.terminator = cred[0], cred[1], cred[2], cred[3], cred[4]
	for _, name := range strings.Split(params["SignedHeaders"], ";") {
		if name == "" {
			return nil, errorf(excIncompleteSignature, "SignedHeaders is malformed: an empty header name in '%s'. Authorization=%s", params["SignedHeaders"], h)
		}
		a.signedHeaders = append(a.signedHeaders, strings.ToLower(name))
	}
	return a, nil
}

// precheck settles who is calling from the headers alone, before the body
// is read: an unknown key or a stale date is refused without reading a
// byte of the body. It returns nil when the API is open (any signature, or
// none, is accepted).
func (s *Server) precheck(r *http.Request) (*Credential, error) {
	if s.cfg.Open {
		return nil, nil
	}
	if len(s.cfg.Credentials) == 0 {
		// Bearer tokens but no AWS keys: nobody may call the AWS API (the
		// server says so in its log at start).
		return nil, errorf(excUnrecognizedClient, msgUnknownKey)
	}
	h := r.Header.Get("Authorization")
	if h == "" {
		return nil, errorf(excMissingAuth, "Request is missing Authentication Token")
	}
	a, err := parseAuthorization(h)
	if err != nil {
		return nil, err
	}
	cred, ok := s.cfg.Credentials[a.accessKey]
	if !ok {
		return nil, errorf(excUnrecognizedClient, msgUnknownKey)
	}
	signed, err := amzDate(r)
	if err != nil {
		return nil, err
	}
	if err := s.checkSkew(signed); err != nil {
		return nil, err
	}
	if err := checkScope(a, signed); err != nil {
		return nil, err
	}
	return &cred, nil
}

// amzDate is the request's X-Amz-Date. The SDKs and the CLI always send
// it; AWS would also take a Date header, which sfn does not.
func amzDate(r *http.Request) (time.Time, error) {
	v := r.Header.Get("X-Amz-Date")
	if v == "" {
		return time.Time{}, errorf(excIncompleteSignature, "Authorization header requires existence of a 'X-Amz-Date' header (sfn does not take a 'Date' header instead). Authorization=%s", r.Header.Get("Authorization"))
	}
	t, err := time.Parse(amzDateFormat, v)
	if err != nil {
		return time.Time{}, errorf(excIncompleteSignature, "Date must be in ISO-8601 'basic format'. Got '%s'. See http://en.wikipedia.org/wiki/ISO_8601", v)
	}
	return t, nil
}

// checkSkew refuses a request signed further from the server's clock than
// MaxSkew, in AWS's words.
func (s *Server) checkSkew(signed time.Time) error {
	now := s.cfg.Now().UTC()
	skew := formatSkew(s.cfg.MaxSkew)
	if earliest := now.Add(-s.cfg.MaxSkew); signed.Before(earliest) {
		return errorf(excSignatureExpired, "Signature expired: %s is now earlier than %s (%s - %s)",
			signed.Format(amzDateFormat), earliest.Format(amzDateFormat), now.Format(amzDateFormat), skew)
	}
	if latest := now.Add(s.cfg.MaxSkew); signed.After(latest) {
		return errorf(excSignatureExpired, "Signature not yet current: %s is still later than %s (%s + %s)",
			signed.Format(amzDateFormat), latest.Format(amzDateFormat), now.Format(amzDateFormat), skew)
	}
	return nil
}

// formatSkew writes a skew as AWS does ("15 min."), or as a Go duration
// when it is not whole minutes.
func formatSkew(d time.Duration) string {
	if d%time.Minute == 0 {
		return fmt.Sprintf("%d min.", d/time.Minute)
	}
	return d.String()
}

// checkScope checks the credential scope against the request: the same day
// as X-Amz-Date, the service "states" and the terminator. Any region is
// taken: clients configured with a dummy region work, as with the emulators.
func checkScope(a *sigV4Auth, signed time.Time) error {
	if day := signed.Format(scopeDateFormat); a.scopeDate != day {
		return errorf(excInvalidSignature, "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '%s' != '%s', from '%s'.", a.scopeDate, day, signed.Format(amzDateFormat))
	}
	if a.region == "" {
		return errorf(excInvalidSignature, "Credential should be scoped to a valid region. ")
	}
	if a.service != sigV4Service {
		return errorf(excInvalidSignature, "Credential should be scoped to correct service: '%s'. ", sigV4Service)
	}
	if a.terminator != sigV4Terminator {
		return errorf(excInvalidSignature, "Credential should be scoped with a valid terminator: '%s', not '%s'. ", sigV4Terminator, a.terminator)
	}
	return nil
}

// verify checks the request's signature over its body: it signs a copy of
// the request with the AWS SDK for Go's own signer, the caller's secret,
// the same time, scope and signed headers, and compares the signatures in
// constant time. precheck has vetted the header, the key and the date.
func (s *Server) verify(r *http.Request, body []byte, cred *Credential) error {
	if s.cfg.Open || cred == nil {
		return nil
	}
	a, err := parseAuthorization(r.Header.Get("Authorization"))
	if err != nil {
		return err
	}
	signed, err := amzDate(r)
	if err != nil {
		return err
	}
	want, err := sign(r, body, a, cred.Secret, signed)
	if err != nil {
		return err
	}
	if subtle.ConstantTimeCompare([]byte(want), []byte(a.signature)) != 1 {
		return errorf(excInvalidSignature, msgSignatureMismatch)
	}
	return nil
}

// signer is one SDK signer for every request: it keeps the signing keys it
// derived (four HMACs each, per key, day, region and service), so that a
// client's requests after the first of the day skip that work.
var signer = v4.NewSigner()

// sign returns the signature the client should have sent. The copy signed
// carries only the headers the client listed in SignedHeaders, and Host as
// the server received it (a sync- prefix included), so that the signer's
// canonical request is the client's:
//
//   - The header map is keyed by the lower-case names the client listed.
//     The signer lower-cases names itself, and its list of headers it never
//     signs (User-Agent, Expect, Transfer-Encoding, X-Amzn-Trace-Id) is
//     looked up by canonical name only, so a client that signs one of them
//     (the AWS SDK for Java v1 signs User-Agent) is verified too.
//   - X-Amz-Date is left to the signer, which writes it from the time given:
//     the request's own X-Amz-Date, parsed exactly.
//   - Content-Length is signed by the signer from the request's length when
//     positive: set only when the client signed it.
//   - The payload hash is always the body's own SHA-256. A client's
//     X-Amz-Content-Sha256 header, when signed, is part of the canonical
//     headers like any other, but never stands in for the body: a body
//     changed in flight under an unchanged header does not verify.
func sign(r *http.Request, body []byte, a *sigV4Auth, secret string, signed time.Time) (string, error) {
	u := *r.URL
	cp := &http.Request{Method: r.Method, URL: &u, Host: r.Host, Header: http.Header{}}
	for _, name := range a.signedHeaders {
		switch name {
		case "host", "x-amz-date":
		case "content-length":
			cp.ContentLength = r.ContentLength
		case "transfer-encoding":
			// net/http moves it out of the header map.
			cp.Header[name] = []string{strings.Join(r.TransferEncoding, ",")}
		default:
			if v := r.Header.Values(name); len(v) > 0 {
				cp.Header[name] = v
			}
		}
	}
	if cp.Host == "" {
		cp.Host = r.URL.Host
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: a.accessKey, SecretAccessKey: secret}
	if err := signer.SignHTTP(r.Context(), creds, cp, hex.EncodeToString(sum[:]), a.service, a.region, signed); err != nil {
		return "", fmt.Errorf("signing the request again: %w", err)
	}
	mine, err := parseAuthorization(cp.Header.Get("Authorization"))
	if err != nil {
		return "", fmt.Errorf("the signer's own Authorization header: %w", err)
	}
	return mine.signature, nil
}

// ParseCredentials reads an AWS credentials file (serve's --aws-credentials):
// lines of an access key id, its secret access key and the sfn role it acts
// with (admin, operator, worker or reader), separated by white space.
// "# comments" and blank lines are skipped.
//
//	# access key id        secret access key                          role
//	AKIASFNADMIN0000001    wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY   admin
func ParseCredentials(data []byte) (map[string]Credential, error) {
	out := map[string]Credential{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Fields(line)
		if len(f) != 3 {
			return nil, fmt.Errorf("AWS credentials: line %d: want an access key id, a secret access key and a role", n)
		}
		key, secret, role := f[0], f[1], f[2]
		// The key is the first part of SigV4's Credential=<key>/<date>/...,
		// a comma-separated parameter: those characters cannot be in it.
		if strings.ContainsAny(key, "/,=") {
			return nil, fmt.Errorf("AWS credentials: line %d: an access key id cannot hold '/', ',' or '='", n)
		}
		if !roles.Valid(roles.Role(role)) {
			return nil, fmt.Errorf("AWS credentials: line %d: unknown role %q (want admin, operator, worker or reader)", n, role)
		}
		if _, dup := out[key]; dup {
			return nil, fmt.Errorf("AWS credentials: line %d: access key id %s is given twice", n, key)
		}
		out[key] = Credential{Secret: secret, Role: role}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("AWS credentials: %w", err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("AWS credentials: the file holds no access key")
	}
	return out, nil
}
