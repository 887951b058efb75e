package itemio

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"strings"
)

// Store is one S3-compatible object store the server may read from and
// write to.
type Store struct {
	// Name identifies the store in messages and in the configuration; it is
	// referenced by nothing in definitions: a definition names a bucket, and
	// the store whose Read (or Write) list holds that bucket serves it.
	Name     string
	Endpoint string // e.g. http://127.0.0.1:9000
	Region   string // "us-east-1" when empty
	// AccessKeyID and SecretAccessKey sign the requests (SigV4); both empty:
	// anonymous requests. SessionToken is for temporary credentials.
	AccessKeyID, SecretAccessKey, SessionToken string
	// PathStyle addresses buckets as http://host/bucket/key rather than
	// http://bucket.host/key. Self-hosted stores (MinIO, Ceph, versitygw)
	// want it; LoadConfig makes it the default.
	PathStyle bool
	// Read and Write are what definitions may read and write: "bucket" for
	// the whole bucket, or "bucket/prefix" for the keys under the folder
	// "prefix/" (a trailing "/" is implied, so "data/in" allows
	// "in/x.json" but not "inbox/x.json").
	Read  []string
	Write []string
}

// Config is the object stores and the HTTP reader's switch.
type Config struct {
	Stores []Store
	// HTTP performs an ItemReader with Resource arn:aws:states:::http:invoke
	// (sfn's non-portable extension): GET of Parameters.ApiEndpoint; nil
	// refuses such readers. The server's HTTP destination policy belongs in
	// this function; the body it returns is closed by Items.Close.
	HTTP func(ctx context.Context, url string) (io.ReadCloser, error)
}

// fileStore is one entry of the configuration file's "objectStores".
type fileStore struct {
	Name            string   `json:"name"`
	Endpoint        string   `json:"endpoint"`
	Region          string   `json:"region"`
	AccessKeyID     string   `json:"accessKeyId"`
	SecretAccessKey string   `json:"secretAccessKey"`
	SessionToken    string   `json:"sessionToken"`
	PathStyle       *bool    `json:"pathStyle"`
	Read            []string `json:"read"`
	Write           []string `json:"write"`
}

type fileConfig struct {
	ObjectStores []fileStore `json:"objectStores"`
}

// LoadConfig reads the object stores from a JSON file (the format is in the
// package documentation). Credentials may name environment variables as
// "${NAME}" (also "$NAME" or "env:NAME", as in the --connections file); an
// unset or empty variable is an error, never empty credentials. The
// returned Config has no HTTP reader: the server sets Config.HTTP.
func LoadConfig(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	cfg, err := ParseConfig(data, os.Getenv)
	if err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// ParseConfig is LoadConfig for the file's content, with getenv resolving
// the environment references (os.Getenv when nil). Unknown fields are
// refused, so a misspelt "wirte" cannot silently grant nothing; every
// problem is reported at once and no message quotes a secret. The stores
// are checked as New checks them.
func ParseConfig(data []byte, getenv func(string) string) (Config, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var fc fileConfig
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&fc); err != nil {
		return Config{}, fmt.Errorf(`want {"objectStores": [{"name", "endpoint", "region", "accessKeyId", "secretAccessKey", "pathStyle", "read": [...], "write": [...]}]}: %s`, strings.TrimPrefix(err.Error(), "json: "))
	}
	if dec.More() {
		return Config{}, errors.New("unexpected data after the JSON object")
	}
	var cfg Config
	var errs []error
	for i, fs := range fc.ObjectStores {
		where := fmt.Sprintf("objectStores[%d]", i)
		if fs.Name != "" {
			where = fmt.Sprintf("object store %q", fs.Name)
		}
		s := Store{
			Name: fs.Name, Endpoint: fs.Endpoint, Region: fs.Region,
			PathStyle: fs.PathStyle == nil || *fs.PathStyle,
			Read:      fs.Read, Write: fs.Write,
		}
		for _, f := range []struct {
			field string
			in    string
			out   *string
		}{
			{"accessKeyId", fs.AccessKeyID, &s.AccessKeyID},
			{"secretAccessKey", fs.SecretAccessKey, &s.SecretAccessKey},
			{"sessionToken", fs.SessionToken, &s.SessionToken},
		} {
			v, err := resolveEnv(f.in, getenv)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %s: %v", where, f.field, err))
			}
			*f.out = v
		}
		cfg.Stores = append(cfg.Stores, s)
	}
	if len(errs) == 0 {
		if _, err := compile(cfg.Stores); err != nil {
			errs = append(errs, err)
		}
	}
	if len(errs) > 0 {
		return Config{}, errors.Join(errs...)
	}
	return cfg, nil
}

// resolveEnv returns v, or the environment variable v names when it is
// written "${NAME}", "$NAME" or "env:NAME".
func resolveEnv(v string, getenv func(string) string) (string, error) {
	name, ok := "", false
	switch {
	case strings.HasPrefix(v, "${") && strings.HasSuffix(v, "}"):
		name, ok = v[2:len(v)-1], true
	case strings.HasPrefix(v, "env:"):
		name, ok = v[4:], true
	case strings.HasPrefix(v, "$"):
		name, ok = v[1:], true
	}
	if !ok {
		return v, nil
	}
	if name == "" {
		return "", errors.New("names no environment variable (want ${NAME})")
	}
	val := getenv(name)
	if val == "" {
		return "", fmt.Errorf("the environment variable %s is empty or not set", name)
	}
	return val, nil
}

// grant is one entry of a store's Read or Write list.
type grant struct {
	bucket string
	prefix string // "" for the whole bucket, else ending in "/"
}

func (g grant) String() string {
	if g.prefix == "" {
		return g.bucket
	}
	return g.bucket + "/" + g.prefix
}

// covers reports whether the key or key prefix p lies under the grant.
func (g grant) covers(p string) bool { return strings.HasPrefix(p, g.prefix) }

// compiled is the validated configuration: which store serves which bucket
// for reading and for writing.
type compiled struct {
	read, write map[string]*access // by bucket
}

// access is one bucket's store and the prefixes granted in it.
type access struct {
	store  *Store
	grants []grant
}

// compile checks the stores and indexes their grants by bucket. A bucket
// granted by two stores in the same direction is refused: which endpoint
// would serve it would depend on the order of the file.
func compile(stores []Store) (compiled, error) {
	c := compiled{read: map[string]*access{}, write: map[string]*access{}}
	var errs []error
	names := map[string]bool{}
	for i := range stores {
		s := &stores[i]
		where := fmt.Sprintf("objectStores[%d]", i)
		if s.Name == "" {
			errs = append(errs, fmt.Errorf("%s: name is empty", where))
		} else {
			where = fmt.Sprintf("object store %q", s.Name)
			if names[s.Name] {
				errs = append(errs, fmt.Errorf("%s: the name is used twice", where))
			}
			names[s.Name] = true
		}
		if err := checkEndpoint(s.Endpoint); err != nil {
			errs = append(errs, fmt.Errorf("%s: endpoint: %v", where, err))
		}
		if (s.AccessKeyID == "") != (s.SecretAccessKey == "") {
			errs = append(errs, fmt.Errorf("%s: set both accessKeyId and secretAccessKey, or neither for anonymous requests", where))
		}
		if len(s.Read) == 0 && len(s.Write) == 0 {
			errs = append(errs, fmt.Errorf("%s: grants nothing: list buckets in read and/or write", where))
		}
		for _, dir := range []struct {
			field   string
			entries []string
			index   map[string]*access
		}{{"read", s.Read, c.read}, {"write", s.Write, c.write}} {
			for _, e := range dir.entries {
				g, err := parseGrant(e)
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %s: %v", where, dir.field, err))
					continue
				}
				a := dir.index[g.bucket]
				switch {
				case a == nil:
					dir.index[g.bucket] = &access{store: s, grants: []grant{g}}
				case a.store != s:
					errs = append(errs, fmt.Errorf("%s: %s: bucket %q is already granted to %s by object store %q; a bucket is served by one store", where, dir.field, g.bucket, dir.field, a.store.Name))
				default:
					a.grants = append(a.grants, g)
				}
			}
		}
	}
	if len(errs) > 0 {
		return compiled{}, errors.Join(errs...)
	}
	return c, nil
}

func checkEndpoint(e string) error {
	if e == "" {
		return errors.New("empty (want e.g. http://127.0.0.1:9000)")
	}
	u, err := url.Parse(e)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q is not an http:// or https:// URL with a host", e)
	}
	if u.User != nil {
		return errors.New("credentials belong in accessKeyId and secretAccessKey, not in the URL")
	}
	return nil
}

// parseGrant reads "bucket" or "bucket/prefix".
func parseGrant(e string) (grant, error) {
	bucket, prefix, _ := strings.Cut(e, "/")
	if err := checkBucket(bucket); err != nil {
		return grant{}, fmt.Errorf("%q: %v", e, err)
	}
	prefix = strings.TrimRight(prefix, "/")
	if prefix != "" {
		if err := checkKey(prefix); err != nil {
			return grant{}, fmt.Errorf("%q: %v", e, err)
		}
		prefix += "/"
	}
	return grant{bucket: bucket, prefix: prefix}, nil
}

// checkBucket refuses what no S3 store accepts as a bucket name and what
// would change the request's path (a "/" cannot occur: it splits grants).
func checkBucket(b string) error {
	if b == "" {
		return errors.New("the bucket name is empty")
	}
	if len(b) > 255 {
		return errors.New("the bucket name is longer than 255 characters")
	}
	for _, r := range b {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '.' || r == '_') {
			return fmt.Errorf("the bucket name %q holds %q (want letters, digits, '-', '.', '_')", b, r)
		}
	}
	if b == "." || b == ".." {
		return fmt.Errorf("%q is not a bucket name", b)
	}
	return nil
}

// checkKey refuses keys with "." or ".." segments: S3 keeps such keys
// literally, but some S3-compatible stores and proxies clean the path,
// which would let "in/../secret" escape the prefix "in/".
func checkKey(k string) error {
	for _, seg := range strings.Split(k, "/") {
		if seg == "." || seg == ".." {
			return fmt.Errorf("the key %q has a %q segment, which a store may resolve outside its prefix", k, seg)
		}
	}
	return nil
}
