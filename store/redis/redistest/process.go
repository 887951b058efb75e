package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"
)

// Process is a private redis-server that a test can pause, resume, kill and
// restart, to see what sfn does while Redis hangs or crashes.
type Process struct {
	URL  string
	bin  string
	dir  string
	port int
	args []string
	cmd  *exec.Cmd
}

// Pausable starts a private redis-server for this test with extra
// configuration arguments (never SFN_TEST_REDIS_URL: the test signals the
// process), killed when the test ends.
func Pausable(t testing.TB, extra ...string) *Process {
	t.Helper()
	return start(t, binary(t, "redis-server"), t.TempDir(), extra...)
}

// Launch starts redis-server on a free loopback port with dir as its
// working directory, for a server that outlives one test (one a package's
// tests share, say): the caller stops it with Stop. Tests that may run
// without Redis check with Need first.
func Launch(dir string, extra ...string) (*Process, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, err
	}
	return startFree(bin, dir, extra)
}

// Need skips the test loudly when there is no redis-server (fails it under
// CI=true).
func Need(t testing.TB) {
	t.Helper()
	binary(t, "redis-server")
}

// startFree starts bin on a free loopback port.
func startFree(bin, dir string, extra []string) (*Process, error) {
	var err error
	for attempt := 0; attempt < 3; attempt++ { // a free port may be taken before the server binds it
		var l net.Listener
		if l, err = net.Listen("tcp", "127.0.0.1:0"); err != nil {
			return nil, err
		}
		port := l.Addr().(*net.TCPAddr).Port
		l.Close()
		var p *Process
		if p, err = launch(bin, dir, port, extra); err == nil {
			return p, nil
		}
	}
	return nil, err
}

// launch runs bin on port in dir and returns once it answers.
func launch(bin, dir string, port int, extra []string) (*Process, error) {
	args := append([]string{"--port", strconv.Itoa(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", dir, "--logfile", filepath.Join(dir, "redis.log")}, extra...)
	p := &Process{URL: "redis://127.0.0.1:" + strconv.Itoa(port), bin: bin, dir: dir, port: port, args: extra,
		cmd: exec.Command(bin, args...)}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	if err := waitPing(p.addr()); err != nil {
		p.Kill()
		log, _ := os.ReadFile(filepath.Join(dir, "redis.log"))
		return nil, fmt.Errorf("redis-server did not answer: %w\n%s", err, log)
	}
	return p, nil
}

func (p *Process) addr() string { return "127.0.0.1:" + strconv.Itoa(p.port) }

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

// Kill ends the server with SIGKILL, as a crash would. It does nothing when
// the server is not running.
func (p *Process) Kill() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT) // a stopped process would not die until continued
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.cmd = nil
}

// Stop shuts the server down gracefully (it writes its append-only file),
// and kills it when that takes more than 10s. It does nothing when the
// server is not running.
func (p *Process) Stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan struct{})
	go func() { _ = p.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-done
	}
	p.cmd = nil
}

// Restart starts a server that was killed or stopped again, on the same
// port, directory and configuration, as Redis restarting after a crash.
// Whatever ends the first process (Pausable's cleanup) ends this one.
func (p *Process) Restart(t testing.TB) {
	t.Helper()
	again, err := launch(p.bin, p.dir, p.port, p.args)
	if err != nil {
		t.Fatal(err)
	}
	p.cmd = again.cmd
}
