package awsjson

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
)

// Page tokens (nextToken) wrap the store's cursors: base64url of the cursor,
// a dot, and a MAC of the listing's kind and the cursor. The MAC ties a
// token to the listing that made it, so a token from another listing, or
// one typed by hand, is refused as InvalidToken instead of being misread.
// Its key is fixed and public: a cursor is no secret (it names the last
// item of a page), and every node must accept every node's tokens.
var tokenKey = []byte("sfn nextToken v1")

func tokenMAC(kind, cursor string) string {
	m := hmac.New(sha256.New, tokenKey)
	m.Write([]byte(kind))
	m.Write([]byte{0})
	m.Write([]byte(cursor))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:12])
}

// sealToken makes the nextToken of a listing of kind; "" stays "".
func (s *Server) sealToken(kind, cursor string) string {
	if cursor == "" {
		return ""
	}
	return base64.RawURLEncoding.EncodeToString([]byte(cursor)) + "." + tokenMAC(kind, cursor)
}

// openToken returns the cursor in a nextToken of kind ("" for "").
func (s *Server) openToken(kind, token string) (string, error) {
	if token == "" {
		return "", nil
	}
	enc, mac, ok := strings.Cut(token, ".")
	if !ok {
		return "", invalidToken(token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(enc)
	if err != nil || !hmac.Equal([]byte(mac), []byte(tokenMAC(kind, string(raw)))) {
		return "", invalidToken(token)
	}
	return string(raw), nil
}

func invalidToken(token string) *Error {
	return errorf(excInvalidToken, "Invalid Token: '%s'", token)
}
