package intrinsic

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/hex"
	"hash"
	"strings"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// Input limits AWS documents for the encoding and hashing intrinsics, in
// characters.
const (
	maxEncodeInput = 10000
	maxDecodeInput = 10000
	maxHashInput   = 10000
)

// base64Encode is States.Base64Encode: standard alphabet, padded, over the
// UTF-8 bytes of the string.
func base64Encode(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	return base64.StdEncoding.EncodeToString([]byte(args[0].(string))), nil
}

// base64Decode is States.Base64Decode. Bytes that are not UTF-8 become
// U+FFFD, as a Java String built from them would.
func base64Decode(_ *Env, n *callNode, args []value.Value) (value.Value, error) {
	b, err := base64.StdEncoding.DecodeString(args[0].(string))
	if err != nil {
		return nil, intrinsicFailure(n.fn.name, "the argument is not valid Base64: %v", err)
	}
	s := string(b)
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	return s, nil
}

var hashes = map[string]func() hash.Hash{
	"MD5":     md5.New,
	"SHA-1":   sha1.New,
	"SHA-256": sha256.New,
	"SHA-384": sha512.New384,
	"SHA-512": sha512.New,
}

// NewHash returns a new hash for the algorithm named as States.Hash (and
// JSONata's $hash in workflows) names it: MD5, SHA-1, SHA-256, SHA-384 or
// SHA-512; nil for any other name.
func NewHash(alg string) hash.Hash {
	if h := hashes[alg]; h != nil {
		return h()
	}
	return nil
}

func knownAlgorithm(v value.Value) string {
	if hashes[v.(string)] == nil {
		return "must be one of MD5, SHA-1, SHA-256, SHA-384, SHA-512, got " + describe(v)
	}
	return ""
}

// hashDigest is States.Hash(data, algorithm): the lower-case hex digest of the
// UTF-8 bytes of data.
func hashDigest(_ *Env, _ *callNode, args []value.Value) (value.Value, error) {
	h := hashes[args[1].(string)]()
	h.Write([]byte(args[0].(string)))
	return hex.EncodeToString(h.Sum(nil)), nil
}
