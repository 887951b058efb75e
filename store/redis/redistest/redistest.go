// Package redistest starts private redis-server processes for tests of
// packages that run on the Redis store. A test gets its own server on a free
// loopback port (or SFN_TEST_REDIS_URL when set); without a redis-server
// binary it is skipped loudly, or failed under CI=true, where .ci/run
// installs one.
package redistest

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// URL returns the URL of a Redis for this test: SFN_TEST_REDIS_URL, or a
// private redis-server stopped when the test ends.
func URL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("SFN_TEST_REDIS_URL"); u != "" {
		return u
	}
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		msg := "\n\n*** redis-server NOT FOUND on PATH: this Redis test is NOT RUN. " +
			"Install redis-server or set SFN_TEST_REDIS_URL. ***\n\n"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	dir := t.TempDir()
	cmd := exec.Command(bin, "--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log"))
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return "redis://" + addr
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			t.Fatalf("redis-server on %s did not answer: %v\n%s", addr, err, log)
		}
		time.Sleep(20 * time.Millisecond) // polling a starting process, not synchronising test logic
	}
}
