package redis_test

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// server is a private redis-server started by a test.
type server struct {
	port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

func (s *server) url() string { return "redis://127.0.0.1:" + strconv.Itoa(s.port) }

// need returns the path of redis-server, or skips the test loudly (fails
// it under CI=true, where .ci/run installs redis-server).
func need(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("redis-server")
	if err == nil {
		return path
	}
	msg := "\n\n*** redis-server NOT FOUND on PATH: the Redis store is NOT TESTED. " +
		"Install redis-server or set SFN_TEST_REDIS_URL. ***\n\n"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// startServer starts redis-server on a free loopback port with dir as its
// working directory (logs, append-only files) and waits until it answers.
func startServer(bin, dir string, port int, extra ...string) (*server, error) {
	if port == 0 {
		p, err := freePort()
		if err != nil {
			return nil, err
		}
		port = p
	}
	s := &server{port: port, dir: dir, args: extra}
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	s.cmd = exec.Command(bin, args...)
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	c := goredis.NewClient(&goredis.Options{Addr: "127.0.0.1:" + strconv.Itoa(port), MaxRetries: -1})
	defer c.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := c.Ping(ctx).Err()
		cancel()
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.kill()
			log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
			return nil, fmt.Errorf("redis-server on port %d did not answer: %v\n%s", port, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// stop shuts the server down gracefully (it writes its append-only file).
func (s *server) stop() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Signal(syscall.SIGCONT)
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-done
	}
	s.cmd = nil
}

// kill ends the server with SIGKILL, as a crash would.
func (s *server) kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	_ = s.cmd.Process.Kill()
	_ = s.cmd.Wait()
	s.cmd = nil
}

// private starts a server for one test and stops it in t.Cleanup.
func private(t *testing.T, extra ...string) *server {
	t.Helper()
	bin := need(t)
	s, err := startServer(bin, t.TempDir(), 0, extra...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.stop)
	return s
}

// The shared server runs the conformance suite and the benchmarks; each
// store on it gets its own key prefix.
var shared struct {
	once sync.Once
	url  string
	srv  *server
	dir  string
	err  error
}

func sharedURL(t testing.TB) string {
	t.Helper()
	if u := os.Getenv("SFN_TEST_REDIS_URL"); u != "" {
		return u
	}
	bin := need(t)
	shared.once.Do(func() {
		shared.dir, shared.err = os.MkdirTemp("", "sfn-redis-test-")
		if shared.err != nil {
			return
		}
		shared.srv, shared.err = startServer(bin, shared.dir, 0)
		if shared.err == nil {
			shared.url = shared.srv.url()
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
		shared.srv.stop()
	}
	if shared.dir != "" {
		_ = os.RemoveAll(shared.dir)
	}
	os.Exit(code)
}
