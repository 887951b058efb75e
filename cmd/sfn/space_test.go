package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestServeRefusesAnotherSpace: a node started on a store that was first
// started with another region is refused before it runs anything — its
// engine would name executions by ARN in the wrong region ($$.Execution.Id)
// — so its --load uploads nothing.
func TestServeRefusesAnotherSpace(t *testing.T) {
	if testing.Short() {
		t.Skip("starts servers on Redis")
	}
	t.Parallel()
	url := redistest.URL(t)
	prefix := "space" + strconv.FormatInt(time.Now().UnixNano(), 36)
	startServer(t, "--redis-url", url, "--redis-prefix", prefix, "--aws-region", "eu-west-1")

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "second.json"), []byte(`{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := execute(t.Context(), []string{"serve", "--addr", "127.0.0.1:0", "--redis-url", url, "--redis-prefix", prefix,
		"--aws-region", "eu-west-3", "--load", dir, "--log-level", "error"},
		streams{in: strings.NewReader(""), out: &stderr, err: &stderr}, func(string) string { return "" })
	if code != exitUsage {
		t.Errorf("exit code %d, want %d (usage)", code, exitUsage)
	}
	for _, want := range []string{"first started with region eu-west-1", "this node has region eu-west-3", "--aws-region eu-west-1"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("output %q does not say %q", stderr.String(), want)
		}
	}

	st, err := redisstore.New(t.Context(), redisstore.Options{URL: url, Prefix: prefix})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if _, err := st.GetStateMachine(t.Context(), "second", 0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the refused node loaded its definitions: GetStateMachine(second) = %v, want not found", err)
	}
}
