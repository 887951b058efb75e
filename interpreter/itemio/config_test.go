package itemio

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseConfig(t *testing.T) {
	t.Parallel()
	env := map[string]string{"MINIO_KEY": "AKIDENV", "MINIO_SECRET": "s3cr3t-from-env"}
	getenv := func(k string) string { return env[k] }
	cfg, err := ParseConfig([]byte(`{
	  "objectStores": [
	    {"name": "minio", "endpoint": "http://127.0.0.1:9000", "region": "eu-west-1",
	     "accessKeyId": "${MINIO_KEY}", "secretAccessKey": "env:MINIO_SECRET",
	     "read": ["datasets", "shared/exports/"], "write": ["results/map-runs"]},
	    {"name": "ceph", "endpoint": "https://ceph.internal", "pathStyle": false,
	     "accessKeyId": "AKIDPLAIN", "secretAccessKey": "plain", "read": ["archive"]}
	  ]
	}`), getenv)
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Stores: []Store{
		{Name: "minio", Endpoint: "http://127.0.0.1:9000", Region: "eu-west-1", AccessKeyID: "AKIDENV", SecretAccessKey: "s3cr3t-from-env",
			PathStyle: true, Read: []string{"datasets", "shared/exports/"}, Write: []string{"results/map-runs"}},
		{Name: "ceph", Endpoint: "https://ceph.internal", AccessKeyID: "AKIDPLAIN", SecretAccessKey: "plain", PathStyle: false, Read: []string{"archive"}},
	}}
	if diff := cmp.Diff(want.Stores, cfg.Stores); diff != "" || cfg.HTTP != nil {
		t.Fatal(diff)
	}
	if _, err := New(cfg); err != nil {
		t.Fatalf("New of a parsed config: %v", err)
	}
}

func TestParseConfigRefuses(t *testing.T) {
	t.Parallel()
	getenv := func(k string) string { return map[string]string{"SET": "s3cr3t-value"}[k] }
	store := func(fields string) string {
		return `{"objectStores": [{"name": "s", "endpoint": "http://127.0.0.1:9000", "read": ["b"]` + fields + `}]}`
	}
	tests := []struct {
		name, file string
		want       []string
	}{
		{"unknown field", store(`, "wirte": ["b"]`), []string{`unknown field "wirte"`}},
		{"unset variable", store(`, "accessKeyId": "${UNSET}", "secretAccessKey": "${SET}"`), []string{`object store "s": accessKeyId: the environment variable UNSET is empty or not set`}},
		{"empty variable name", store(`, "accessKeyId": "${}", "secretAccessKey": "x"`), []string{"accessKeyId: names no environment variable"}},
		{"half credentials", store(`, "accessKeyId": "AKID"`), []string{"set both accessKeyId and secretAccessKey"}},
		{"no endpoint", `{"objectStores": [{"name": "s", "read": ["b"]}]}`, []string{`object store "s": endpoint: empty`}},
		{"endpoint not http", `{"objectStores": [{"name": "s", "endpoint": "ftp://x", "read": ["b"]}]}`, []string{`"ftp://x" is not an http:// or https:// URL`}},
		{"endpoint with credentials", `{"objectStores": [{"name": "s", "endpoint": "http://u:p@x", "read": ["b"]}]}`, []string{"credentials belong in accessKeyId"}},
		{"no name", `{"objectStores": [{"endpoint": "http://x", "read": ["b"]}]}`, []string{"objectStores[0]: name is empty"}},
		{"grants nothing", `{"objectStores": [{"name": "s", "endpoint": "http://x"}]}`, []string{"grants nothing"}},
		{"bad grant", store(`, "write": ["", "a b/c", "ok/../x"]`), []string{`write: "": the bucket name is empty`, `write: "a b/c": the bucket name "a b" holds ' '`, `".." segment`}},
		{"bucket on two stores", `{"objectStores": [
			{"name": "one", "endpoint": "http://x", "read": ["shared/a"]},
			{"name": "two", "endpoint": "http://y", "read": ["shared/b"]},
			{"name": "two", "endpoint": "http://z", "write": ["w"]}]}`,
			[]string{`object store "two": read: bucket "shared" is already granted to read by object store "one"`, `object store "two": the name is used twice`}},
		{"not an object", `[]`, []string{`want {"objectStores"`}},
		{"trailing data", store(``) + `{}`, []string{"unexpected data after the JSON object"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseConfig([]byte(tc.file), getenv)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "s3cr3t-value") {
				t.Errorf("error %q quotes a secret", err)
			}
		})
	}
}

// TestLoadConfig reads a file and serves a read with it, against a real
// S3-protocol server, the credentials coming from the environment.
func TestLoadConfig(t *testing.T) {
	s3 := newFakeS3(t, nil, "datasets")
	s3.put(t, "datasets", "in/items.json", []byte(`[{"a":1}]`))
	path := filepath.Join(t.TempDir(), "stores.json")
	os.WriteFile(path, []byte(`{"objectStores": [{"name": "local", "endpoint": "`+s3.url+`",
		"accessKeyId": "${ITEMIO_TEST_KEY}", "secretAccessKey": "${ITEMIO_TEST_SECRET}", "read": ["datasets/in"]}]}`), 0o600)
	t.Setenv("ITEMIO_TEST_KEY", testKeyID)
	t.Setenv("ITEMIO_TEST_SECRET", testSecret)
	cfg, err := LoadConfig(path)
	if err != nil {
		t.Fatal(err)
	}
	x := newIO(t, cfg)
	got, err := readAll(t, x, ReadRequest{Resource: getObject, Params: params(t, `{"Bucket":"datasets","Key":"in/items.json"}`), InputType: "JSON"})
	if err != nil || got != `[{"a":1}]` {
		t.Fatalf("read %s, %v", got, err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.json")); err == nil {
		t.Error("a missing file loaded")
	}
	os.WriteFile(path, []byte(`{"objectStores": [{"name": "x"}]}`), 0o600)
	if _, err := LoadConfig(path); err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming the file", err)
	}
}
