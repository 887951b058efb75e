package httpapi

import (
	"bufio"
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/sfn-project/sfn/httpapi/roles"
)

// Role is what a bearer token may do (roles.Role: the AWS API's access
// keys act with the same roles).
type Role = roles.Role

// Roles of the contract.
const (
	RoleAdmin    = roles.Admin    // everything
	RoleOperator = roles.Operator // executions and reading
	RoleWorker   = roles.Worker   // activity polls and task calls only
	RoleReader   = roles.Reader   // GET only
)

// perm is the kind of access a route needs.
type perm int

const (
	permRead    perm = iota // reading anything
	permDefine              // changing state machines
	permExecute             // starting, stopping, redriving executions
	permWork                // activity polls and task calls
)

// role is the role a route needing p needs (roles.Allows says who has
// it); the AWS API's operations need the same roles for the same access.
func (p perm) role() Role {
	switch p {
	case permRead:
		return RoleReader
	case permExecute:
		return RoleOperator
	case permWork:
		return RoleWorker
	}
	return RoleAdmin // permDefine
}

// authorize checks the bearer token when the server has tokens.
func (s *server) authorize(r *http.Request, p perm) error {
	if s.cfg.AuthTokens == nil {
		return nil
	}
	tok, ok := bearerToken(r.Header.Get("Authorization"))
	if !ok {
		return errf(codeUnauthorized, "missing bearer token (Authorization: Bearer <token>)")
	}
	role, found := Role(""), false
	// Compare against every token in constant time, so that timing does
	// not tell how much of a guess was right.
	for t, r := range s.cfg.AuthTokens {
		if subtle.ConstantTimeCompare([]byte(t), []byte(tok)) == 1 {
			role, found = r, true
		}
	}
	if !found {
		return errf(codeUnauthorized, "unknown bearer token")
	}
	if p == permRead && r.Method != http.MethodGet && r.Method != http.MethodHead && role == RoleReader {
		return errf(codeForbidden, fmt.Sprintf("role %s may only GET", role))
	}
	if !roles.Allows(role, p.role()) {
		return errf(codeForbidden, fmt.Sprintf("role %s may not call %s %s", role, r.Method, r.URL.Path))
	}
	return nil
}

// bearerToken returns the token of an Authorization header; the scheme's
// name is case-insensitive (RFC 6750, RFC 9110 section 11.1).
func bearerToken(h string) (string, bool) {
	scheme, tok, ok := strings.Cut(h, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", false
	}
	tok = strings.TrimLeft(tok, " ")
	return tok, tok != ""
}

// ParseTokens reads an auth tokens file: either a JSON object
// {"<token>": "<role>"} or lines of two fields, a token and a role in
// either order ("# comments" and blank lines skipped).
func ParseTokens(data []byte) (map[string]Role, error) {
	out := map[string]Role{}
	trimmed := bytes.TrimSpace(data)
	if bytes.HasPrefix(trimmed, []byte("{")) {
		var m map[string]string
		if err := json.Unmarshal(trimmed, &m); err != nil {
			return nil, fmt.Errorf("auth tokens: %w", err)
		}
		for t, r := range m {
			if !roles.Valid(Role(r)) {
				return nil, fmt.Errorf("auth tokens: unknown role %q (want admin, operator, worker or reader)", r)
			}
			if t == "" {
				return nil, fmt.Errorf("auth tokens: empty token")
			}
			out[t] = Role(r)
		}
	} else {
		sc := bufio.NewScanner(bytes.NewReader(data))
		for n := 1; sc.Scan(); n++ {
			line := strings.TrimSpace(sc.Text())
			if line == "" || strings.HasPrefix(line, "#") {
				continue
			}
			f := strings.Fields(line)
			if len(f) != 2 {
				return nil, fmt.Errorf("auth tokens: line %d: want a token and a role", n)
			}
			switch {
			case roles.Valid(Role(f[1])):
				out[f[0]] = Role(f[1])
			case roles.Valid(Role(f[0])):
				out[f[1]] = Role(f[0])
			default:
				return nil, fmt.Errorf("auth tokens: line %d: no role among admin, operator, worker, reader", n)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("auth tokens: %w", err)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("auth tokens: the file holds no token")
	}
	return out, nil
}
