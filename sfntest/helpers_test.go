package sfntest_test

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
)

// recorder is a testing.TB that keeps what sfntest reports, so that tests
// can check the failures sfntest gives. Fatalf ends the calling goroutine,
// as testing.T's does; run such code through report.
type recorder struct {
	testing.TB // the methods sfntest does not use are not implemented
	ctx        context.Context

	mu     sync.Mutex
	errors []string
	fatal  string
}

func (r *recorder) Helper()                  {}
func (r *recorder) Context() context.Context { return r.ctx }
func (r *recorder) Logf(string, ...any)      {}

func (r *recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

func (r *recorder) Fatalf(format string, args ...any) {
	r.mu.Lock()
	r.fatal = fmt.Sprintf(format, args...)
	r.mu.Unlock()
	runtime.Goexit()
}

// reported is everything the recorder was told, fatal last.
func (r *recorder) reported() string {
	r.mu.Lock()
	defer r.mu.Unlock()
	all := append([]string(nil), r.errors...)
	if r.fatal != "" {
		all = append(all, "FATAL: "+r.fatal)
	}
	return strings.Join(all, "\n")
}

// report runs f with a recorder in a goroutine of its own (Fatalf ends it)
// and returns the recorder once f has returned or stopped.
func report(t *testing.T, f func(tb testing.TB)) *recorder {
	t.Helper()
	rec := &recorder{ctx: t.Context()}
	done := make(chan struct{})
	go func() {
		defer close(done)
		f(rec)
	}()
	<-done
	return rec
}

// printT is the stand-in for a *testing.T in the package's Example: it
// prints what the test reports.
type printT struct {
	testing.TB // the methods sfntest does not use are not implemented
	failed     bool
}

func (p *printT) Helper()                  {}
func (p *printT) Context() context.Context { return context.Background() }

func (p *printT) Errorf(format string, args ...any) {
	p.failed = true
	fmt.Printf(format+"\n", args...)
}

// Fatalf panics: an Example runs on the test binary's main goroutine,
// which must not end with runtime.Goexit.
func (p *printT) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}
