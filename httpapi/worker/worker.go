package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// Handler does one task: it gets the task's input and returns its output
// (any JSON value; nil is sent as null) or an error. Return an *Error to
// name the ASL error; any other error fails the task as ErrorName.
// ctx ends when Run's context ends or when the task is over on the server
// side (a heartbeat was answered 404: it timed out or its execution
// ended); the handler should then give up.
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// Config configures a Worker. Server and Activity are required.
type Config struct {
	// Server is the base URL of sfn, e.g. http://127.0.0.1:8080.
	Server string
	// Activity is the activity name (the last part of the state's
	// activity:NAME resource).
	Activity string
	// WorkerName appears in the ActivityStarted event (default host-pid).
	WorkerName string
	// Token is sent as "Authorization: Bearer <Token>" when set; a worker
	// role suffices.
	Token string
	// HTTPClient makes the calls. The default has no overall timeout
	// (polls are long; each call has its own deadline) and keeps enough
	// idle connections for Concurrency pollers.
	HTTPClient *http.Client
	// Concurrency is how many tasks run at once (default 1). Each slot
	// polls only while it is free.
	Concurrency int
	// HeartbeatEvery is how often a running task sends a heartbeat
	// (default 10s; negative: never). Keep it well below the state's
	// HeartbeatSeconds.
	HeartbeatEvery time.Duration
	// PollWait is how long one poll waits for a task (default 20s; the
	// server caps it at 60s).
	PollWait time.Duration
	// ReportGrace is how long a result may still be reported after Run's
	// context ended (default 10s).
	ReportGrace time.Duration
	// MinBackoff and MaxBackoff bound the waits after server or network
	// errors (defaults 100ms and 5s).
	MinBackoff, MaxBackoff time.Duration
	// Logger receives the worker's problems (default: discarded).
	Logger *slog.Logger
}

func (c Config) withDefaults() Config {
	if c.WorkerName == "" {
		host, _ := os.Hostname()
		c.WorkerName = fmt.Sprintf("%s-%d", host, os.Getpid())
	}
	if c.Concurrency <= 0 {
		c.Concurrency = 1
	}
	if c.HTTPClient == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConnsPerHost = 2 * c.Concurrency
		c.HTTPClient = &http.Client{Transport: tr}
	}
	if c.HeartbeatEvery == 0 {
		c.HeartbeatEvery = 10 * time.Second
	}
	if c.PollWait <= 0 {
		c.PollWait = 20 * time.Second
	}
	if c.ReportGrace <= 0 {
		c.ReportGrace = 10 * time.Second
	}
	if c.MinBackoff <= 0 {
		c.MinBackoff = 100 * time.Millisecond
	}
	if c.MaxBackoff < c.MinBackoff {
		c.MaxBackoff = max(5*time.Second, c.MinBackoff)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}

func (c Config) validate() error {
	u, err := url.Parse(c.Server)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("worker: Server %q: want an http or https URL", c.Server)
	}
	if c.Activity == "" {
		return errors.New("worker: Activity is required")
	}
	return nil
}

// Worker polls one activity. Make it with New; Run it once or several
// times (one after the other or at once).
type Worker struct {
	cfg      Config
	base     string // Server without a trailing slash
	pollPath string
}

// New checks cfg and returns a Worker.
func New(cfg Config) (*Worker, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return &Worker{
		cfg:  cfg,
		base: strings.TrimRight(cfg.Server, "/"),
		pollPath: "/v1/activities/" + url.PathEscape(cfg.Activity) + "/poll?wait=" +
			url.QueryEscape(cfg.PollWait.String()),
	}, nil
}

// Run polls and handles tasks until ctx ends, then waits for the handlers
// in flight (their context ends too) and returns nil. Server and network
// errors are logged and retried with back-off; Run returns an error only
// when the server refuses the worker itself (a bad token, a role without
// access, a wrong URL).
func (w *Worker) Run(ctx context.Context, h Handler) error {
	if h == nil {
		return errors.New("worker: nil handler")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		once     sync.Once
		fatalErr error
	)
	for range w.cfg.Concurrency {
		wg.Go(func() {
			if err := w.slot(ctx, h); err != nil {
				once.Do(func() { fatalErr = err })
				cancel()
			}
		})
	}
	wg.Wait()
	return fatalErr
}

// task is one poll's answer.
type task struct {
	Token string          `json:"taskToken"`
	Input json.RawMessage `json:"input"`
}

// slot polls and handles tasks one after the other.
func (w *Worker) slot(ctx context.Context, h Handler) error {
	bo := backoff{min: w.cfg.MinBackoff, max: w.cfg.MaxBackoff}
	failing := false
	for ctx.Err() == nil {
		t, err := w.poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			if fatal(err) {
				return fmt.Errorf("worker: poll %s: %w", w.cfg.Activity, err)
			}
			// One warning per outage, not one per attempt.
			level := slog.LevelWarn
			if failing {
				level = slog.LevelDebug
			}
			failing = true
			w.cfg.Logger.Log(ctx, level, "activity poll failed; backing off", slog.String("activity", w.cfg.Activity), slog.Any("error", err))
			sleep(ctx, bo.next())
			continue
		}
		if failing {
			w.cfg.Logger.Info("activity poll works again", slog.String("activity", w.cfg.Activity))
			failing = false
		}
		bo.reset()
		if t != nil {
			w.handle(ctx, h, t)
		}
	}
	return nil
}

// poll waits for one task; nil when none arrived.
func (w *Worker) poll(ctx context.Context) (*task, error) {
	// The server answers within PollWait; the margin covers a slow network
	// while still noticing a connection that hangs.
	pctx, cancel := context.WithTimeout(ctx, w.cfg.PollWait+30*time.Second)
	defer cancel()
	status, body, err := w.post(pctx, w.pollPath, map[string]string{"workerName": w.cfg.WorkerName})
	if err != nil || status == http.StatusNoContent {
		return nil, err
	}
	var t task
	if err := json.Unmarshal(body, &t); err != nil || t.Token == "" {
		return nil, fmt.Errorf("worker: poll answer %.200q is not a task", body)
	}
	return &t, nil
}

// handle runs h on t with heartbeats and reports the result.
func (w *Worker) handle(ctx context.Context, h Handler, t *task) {
	hctx, over := context.WithCancelCause(ctx)
	beats := make(chan struct{})
	var bwg sync.WaitGroup
	if w.cfg.HeartbeatEvery > 0 {
		bwg.Go(func() { w.heartbeats(hctx, t.Token, beats, over) })
	}
	out, err := call(hctx, h, t.Input)
	close(beats)
	bwg.Wait()
	gone := errors.Is(context.Cause(hctx), errTaskOver)
	over(nil)
	switch {
	case gone:
		w.cfg.Logger.Info("task ended on the server while its handler ran; result dropped", slog.String("activity", w.cfg.Activity))
		return
	case ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)):
		// Stopped with the worker: leave the task to its heartbeat or
		// timeout (and Retry) rather than fail it for our shutdown.
		w.cfg.Logger.Info("worker stopped while a task ran; task left unanswered", slog.String("activity", w.cfg.Activity))
		return
	}
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() { time.AfterFunc(w.cfg.ReportGrace, cancel) })
	defer stop()
	w.report(rctx, t.Token, out, err)
}

// errTaskOver ends a handler's context when the server no longer knows
// its task.
var errTaskOver = errors.New("worker: the task is no longer open on the server")

// heartbeats sends a heartbeat every HeartbeatEvery until done closes.
// A 404 means the task is over: the handler's context is cancelled.
func (w *Worker) heartbeats(ctx context.Context, token string, done <-chan struct{}, over context.CancelCauseFunc) {
	tick := time.NewTicker(w.cfg.HeartbeatEvery)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		bctx, cancel := context.WithTimeout(ctx, max(w.cfg.HeartbeatEvery, time.Second))
		_, _, err := w.post(bctx, "/v1/tasks/heartbeat", map[string]string{"taskToken": token})
		cancel()
		switch {
		case err == nil:
		case statusIs(err, http.StatusNotFound):
			over(errTaskOver)
			return
		case ctx.Err() == nil:
			// A missed beat is not fatal: the next one may pass.
			w.cfg.Logger.Warn("heartbeat failed", slog.String("activity", w.cfg.Activity), slog.Any("error", err))
		}
	}
}

// call runs h, turning a panic into an error.
func call(ctx context.Context, h Handler, input json.RawMessage) (out json.RawMessage, err error) {
	defer func() {
		if p := recover(); p != nil {
			out, err = nil, &Error{Name: PanicName, Cause: fmt.Sprint(p)}
		}
	}()
	return h(ctx, input)
}

// report sends the handler's outcome, retrying server and network errors
// until it is taken or ctx ends.
func (w *Worker) report(ctx context.Context, token string, out json.RawMessage, herr error) {
	path, body := "", any(nil)
	if herr == nil {
		if out == nil {
			out = json.RawMessage("null")
		}
		if json.Valid(out) {
			path, body = "/v1/tasks/success", map[string]any{"taskToken": token, "output": out}
		} else {
			herr = &Error{Name: InvalidOutputName, Cause: fmt.Sprintf("the handler's result is not JSON: %.200q", out)}
		}
	}
	if herr != nil {
		path, body = "/v1/tasks/failure", failureBody(token, herr)
	}
	bo := backoff{min: w.cfg.MinBackoff, max: w.cfg.MaxBackoff}
	attempt := 0
	for {
		cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		_, _, err := w.post(cctx, path, body)
		cancel()
		switch {
		case err == nil:
			return
		case statusIs(err, http.StatusNotFound):
			w.cfg.Logger.Info("task already over on the server; result dropped", slog.String("activity", w.cfg.Activity))
			return
		case statusIs(err, http.StatusRequestEntityTooLarge) && herr == nil:
			herr = &Error{Name: OutputTooLargeName, Cause: fmt.Sprintf("the result has %d bytes; the server takes at most 256 KiB", len(out))}
			path, body = "/v1/tasks/failure", failureBody(token, herr)
			continue
		case !retryable(err):
			w.cfg.Logger.Error("task result refused", slog.String("activity", w.cfg.Activity), slog.Any("error", err))
			return
		}
		level := slog.LevelWarn
		if attempt++; attempt > 1 {
			level = slog.LevelDebug
		}
		w.cfg.Logger.Log(ctx, level, "task result not delivered; retrying", slog.String("activity", w.cfg.Activity), slog.Any("error", err))
		if !sleep(ctx, bo.next()) {
			w.cfg.Logger.Error("task result given up: the worker stopped", slog.String("activity", w.cfg.Activity), slog.Any("error", err))
			return
		}
	}
}

func failureBody(token string, err error) map[string]any {
	name, cause := ErrorName, err.Error()
	var we *Error
	if errors.As(err, &we) {
		name, cause = we.Name, we.Cause
	}
	return map[string]any{"taskToken": token, "error": truncate(name, maxErrorLen), "cause": truncate(cause, maxCauseLen)}
}
