// Package redistest starts private redis-server processes for tests of
// packages that run on the Redis store. A test gets its own server on a free
// loopback port (or SFN_TEST_REDIS_URL when set), its own 3-master Redis
// Cluster, or a server it can pause, kill and restart (Pausable); a package
// can share one server among its tests (Launch). Without a redis-server
// binary a test is skipped loudly, or failed under CI=true, where .ci/run
// installs one.
package redistest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
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
	return Server(t)
}

// Server starts a private redis-server for this test with extra
// configuration arguments (e.g. "--appendonly", "yes") and returns its URL.
// It never uses SFN_TEST_REDIS_URL: callers that ask for a configuration
// need a server of their own.
func Server(t testing.TB, extra ...string) string {
	t.Helper()
	bin := binary(t, "redis-server")
	return start(t, bin, t.TempDir(), extra...).URL
}

// Cluster starts a private Redis Cluster of three masters without replicas
// and returns a URL naming all three nodes (redis://a,b,c), which selects
// the store's Cluster mode. It waits until the cluster reports
// cluster_state:ok on every node.
func Cluster(t testing.TB) string {
	t.Helper()
	bin := binary(t, "redis-server")
	cli := binary(t, "redis-cli")
	addrs := make([]string, 3)
	for i := range addrs {
		dir := t.TempDir()
		addrs[i] = start(t, bin, dir, "--cluster-enabled", "yes",
			"--cluster-config-file", filepath.Join(dir, "nodes.conf"), "--cluster-node-timeout", "5000").addr()
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command(cli, args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(20 * time.Second)
	for _, a := range addrs {
		c := goredis.NewClient(&goredis.Options{Addr: a, MaxRetries: -1})
		for {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			info, err := c.ClusterInfo(ctx).Result()
			cancel()
			if err == nil && strings.Contains(info, "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				c.Close()
				t.Fatalf("cluster node %s not ok after 20s: %v\n%s", a, err, info)
			}
			time.Sleep(50 * time.Millisecond) // polling a forming cluster, not synchronising test logic
		}
		c.Close()
	}
	return "redis://" + strings.Join(addrs, ",")
}

// binary finds a Redis program or skips (fails under CI=true) loudly.
func binary(t testing.TB, name string) string {
	t.Helper()
	bin, err := exec.LookPath(name)
	if err != nil {
		msg := "\n\n*** " + name + " NOT FOUND on PATH: this Redis test is NOT RUN. " +
			"Install redis-server (and redis-cli) or set SFN_TEST_REDIS_URL. ***\n\n"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	return bin
}

// start runs redis-server on a free loopback port in dir, kills it when the
// test ends, and returns it once it answers.
func start(t testing.TB, bin, dir string, extra ...string) *Process {
	t.Helper()
	p, err := startFree(bin, dir, extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(p.Kill)
	return p
}

func waitPing(addr string) error {
	c := goredis.NewClient(&goredis.Options{Addr: addr, MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("redis-server on %s: %w", addr, err)
		}
		time.Sleep(20 * time.Millisecond) // polling a starting process, not synchronising test logic
	}
}
