package redistest

import (
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
)

// Process is a private redis-server whose process a test can pause and
// resume, to see what sfn does while Redis hangs.
type Process struct {
	URL string
	cmd *exec.Cmd
}

// Pausable starts a private redis-server for this test (never
// SFN_TEST_REDIS_URL: the test signals the process), stopped when the test
// ends.
func Pausable(t testing.TB, extra ...string) *Process {
	t.Helper()
	bin := binary(t, "redis-server")
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	cmd := exec.Command(bin, args...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT) // a stopped process would not die until continued
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
	})
	addr := "127.0.0.1:" + strconv.Itoa(port)
	if err := waitPing(addr); err != nil {
		t.Fatal(err)
	}
	return &Process{URL: "redis://" + addr, cmd: cmd}
}

// Pause stops the server (SIGSTOP): connections stay open and every call
// hangs, as with a stuck Redis or a network cut without resets.
func (p *Process) Pause(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
}

// Resume continues a paused server (SIGCONT).
func (p *Process) Resume(t testing.TB) {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatalf("SIGCONT redis-server: %v", err)
	}
}
