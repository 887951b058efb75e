package redis_test

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

// The shared server runs the conformance suite and the benchmarks; each
// store on it gets its own key prefix.
var shared struct {
	once sync.Once
	url  string
	srv  *redistest.Process
	dir  string
	err  error
}

func sharedURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("SFN_TEST_REDIS_URL"); u != "" {
		return u
	}
	redistest.Need(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "sfn-redis-test-")
		if shared.err != nil {
			return
		}
		shared.srv, shared.err = redistest.Launch(shared.dir)
		if shared.err == nil {
			shared.url = shared.srv.URL
		}
	})
	if shared.err != nil {
		t.Fatal(shared.err)
	}
	return shared.url
}

var prefixes atomic.Int64

// newPrefix is a key prefix no other test of this run (or another run on
// the same server) uses.
func newPrefix() string {
	return fmt.Sprintf("sfntest-%d-%d-%d", os.Getpid(), time.Now().UnixNano()%1e9, prefixes.Add(1))
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared.srv != nil {
		shared.srv.Stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
