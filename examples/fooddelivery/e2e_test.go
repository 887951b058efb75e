package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestCrashMidway runs the example on a real sfn serve on Redis, kills the
// sfn process with SIGKILL while orders wait for the restaurant's callback
// and the kitchen, starts it again on the same Redis, and checks that every
// order still ends as its scenario says — delivered, or cancelled (and
// refunded when it was charged) — with a complete, gapless history.
func TestCrashMidway(t *testing.T) {
	if testing.Short() {
		t.Skip("end to end: builds sfn and runs it on Redis")
	}
	t.Parallel()
	redisURL := redistest.URL(t) // skips loudly without redis-server (fails under CI=true)
	bin := buildSFN(t)
	addr := freeAddr(t)
	srv := &sfnProcess{t: t, bin: bin, args: []string{"serve", "--addr", addr, "--redis-url", redisURL,
		"--redis-prefix", fmt.Sprintf("e2e-%d", time.Now().UnixNano()), "--node", "e2e-node", "--log-level", "warn"},
		logs: &syncBuffer{}}
	t.Cleanup(srv.kill)
	ctx, cancel := context.WithTimeout(context.Background(), 75*time.Second)
	defer cancel()
	srv.start(ctx)

	logs := &syncBuffer{}
	d, err := startDemo(options{server: "http://" + addr, host: "127.0.0.1", machine: "food-delivery", flaky: 0.3},
		slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(d.Close)
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("sfn log:\n%s\nservices' and workers' log:\n%s", srv.logs, logs)
		}
	})
	began := time.Now()
	orders, err := d.placeOrders(ctx, "order", 30)
	if err != nil {
		t.Fatal(err)
	}

	// Kill sfn at once when orders wait in the activity states and several
	// still wait for the restaurant's callback.
	waitFor(ctx, t, "3 kitchen tasks and 5 pending restaurant callbacks", func() bool {
		p := d.svc.ledger.progress()
		if p.kitchenTaken >= 3 && p.ordersAtRestaurant-p.confirmed >= 5 {
			srv.kill()
			return true
		}
		return false
	})
	killedAt := time.Since(began)
	p := d.svc.ledger.progress()
	pending := p.ordersAtRestaurant - p.confirmed // callbacks not yet taken: their orders are running
	t.Logf("SIGKILL after %v: %d orders at the restaurant, %d callbacks pending, %d kitchen tasks taken",
		killedAt.Round(time.Millisecond), p.ordersAtRestaurant, pending, p.kitchenTaken)
	if pending == 0 {
		t.Fatal("no callback was pending at the kill: the test did not test a crash")
	}
	// Stay down until a pending restaurant callback has found sfn gone, so
	// that the outage is seen by the services and not only by the engine.
	waitFor(ctx, t, "a restaurant callback to miss the dead sfn", func() bool {
		return d.svc.ledger.progress().callbackMisses > 0
	})

	srv.start(ctx)
	ends, err := d.await(ctx, orders)
	if err != nil {
		dumpRunning(t, d, orders)
		t.Fatal(err)
	}
	lines, problems, err := d.verify(ctx, orders, ends)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("all %d orders ended %v after the start, %v after the restart:\n%s", len(orders),
		time.Since(began).Round(time.Millisecond), (time.Since(began) - killedAt).Round(time.Millisecond), strings.Join(lines, "\n"))
	for _, p := range problems {
		t.Error(p)
	}
}

// dumpRunning logs the history of every order still running.
func dumpRunning(t *testing.T, d *demo, orders []order) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, o := range orders {
		e, err := d.sfn.describe(ctx, o.ID)
		if err != nil || e.Status != "RUNNING" {
			continue
		}
		h, err := d.sfn.history(ctx, o.ID)
		if err != nil {
			t.Logf("%s: history: %v", o.Name, err)
			continue
		}
		var b strings.Builder
		for _, ev := range h {
			fmt.Fprintf(&b, "  %3d <%3d %s %-28s %s %s %s\n", ev.ID, ev.Previous, ev.Timestamp, ev.Type, ev.Name, ev.Error, ev.Cause)
		}
		t.Logf("%s (%s) still RUNNING:\n%s", o.Name, o.Scenario.name, b.String())
	}
}

// buildSFN builds cmd/sfn into a temporary folder.
func buildSFN(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		goBin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	bin := filepath.Join(t.TempDir(), "sfn")
	cmd := exec.Command(goBin, "build", "-o", bin, "./cmd/sfn")
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/sfn: %v\n%s", err, out)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// sfnProcess is one sfn serve, started and killed as a whole process.
type sfnProcess struct {
	t    *testing.T
	bin  string
	args []string
	logs *syncBuffer

	mu  sync.Mutex
	cmd *exec.Cmd
}

// start runs sfn and waits until /readyz answers 200.
func (p *sfnProcess) start(ctx context.Context) {
	p.t.Helper()
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	p.mu.Lock()
	p.cmd = cmd
	p.mu.Unlock()
	var addr string
	for i, a := range p.args {
		if a == "--addr" {
			addr = p.args[i+1]
		}
	}
	c := &http.Client{Timeout: time.Second}
	waitFor(ctx, p.t, "sfn /readyz", func() bool {
		res, err := c.Get("http://" + addr + "/readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	})
}

// kill ends sfn with SIGKILL: no shutdown, leases not handed back.
func (p *sfnProcess) kill() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	_ = p.cmd.Wait()
	p.cmd = nil
}

// waitFor polls cond until it holds, failing the test when ctx ends first.
func waitFor(ctx context.Context, t *testing.T, what string, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-ctx.Done():
			t.Fatalf("waiting for %s: %v", what, ctx.Err())
		case <-time.After(20 * time.Millisecond): // polling a condition with a deadline
		}
	}
}

// syncBuffer is a log sink written from several goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
