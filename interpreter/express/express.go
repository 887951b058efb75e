package express

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// Errors of a start.
var (
	// ErrLimitExceeded: this node holds as many Express executions, or as
	// many bytes of their input, as Config allows.
	ErrLimitExceeded = errors.New("too many Express executions on this node")
	// ErrStopped: the Runner is not running (not started, or shutting
	// down); a synchronous caller whose run was cut by a shutdown gets it
	// too.
	ErrStopped = errors.New("the Express runner is stopped")
	// ErrResultLost: a synchronous run ended but its result could not be
	// read (see keepEnded).
	ErrResultLost = errors.New("the Express execution's result was lost")
)

// MaxDuration is AWS's limit on an Express execution: five minutes.
const MaxDuration = 5 * time.Minute

// Defaults of Config.
const (
	DefaultMaxRunning = 10_000
	DefaultMaxBytes   = 256 << 20
	DefaultNodeTTL    = 15 * time.Second
	DefaultRecovery   = 10 * time.Second
	DefaultStopGrace  = 30 * time.Second
)

// Config configures a Runner.
type Config struct {
	// Store is the shared store: the definitions Express executions run,
	// and the documents that make asynchronous starts survive a crash.
	Store store.Store
	// Space names state machines in the context object ($$.StateMachine.Id)
	// and executions in the end-of-execution log line.
	Space  arn.Space
	Logger *slog.Logger
	// LogData adds inputs and outputs to the log lines.
	LogData bool
	// HTTP performs http:invoke tasks (nil: the default policy), as the
	// node's main engine does.
	HTTP *httptask.Client
	// Handlers are the in-process task handlers (Resource "handler:<name>").
	Handlers map[string]interpreter.Handler
	// Limits bounds payloads as the main engine's do.
	Limits interpreter.Limits
	// Node names this node in the start documents (default: host name,
	// process id and a random suffix). Two live nodes must not share one.
	Node string
	// MaxRunning and MaxBytes bound the Express executions this node holds
	// at once, by count and by the bytes of their inputs; a start over
	// either is refused with ErrLimitExceeded.
	MaxRunning int
	MaxBytes   int64
	// MaxDuration ends a run that takes longer (TIMED_OUT, States.Timeout);
	// default and upper bound MaxDuration. It is applied as the
	// definition's TimeoutSeconds, so in whole seconds, and counts from
	// the first start: a run taken again after its node was lost gets
	// what is left.
	MaxDuration time.Duration
	// NodeTTL is how long this node counts as alive after each heartbeat;
	// it beats every third of it. Another node runs again the asynchronous
	// starts of a node whose heartbeat is older.
	NodeTTL time.Duration
	// RecoverEvery is how often the start documents are looked over for
	// those whose node is gone.
	RecoverEvery time.Duration
	// StopGrace is how long Stop waits for the runs in flight to end before
	// it cuts them.
	StopGrace time.Duration
	// Ended, when set, is told about every execution that ended on this
	// node, after its start document is removed (metrics, tests). It must
	// not block.
	Ended func(Result)
	// UUID makes execution ids (tests).
	UUID func() string
	// Now is the clock of start times and heartbeats (tests).
	Now func() time.Time

	hooks hooks
}

// hooks hold a Runner at points of its recovery, for tests (set through
// export_test.go); they are all unset otherwise.
type hooks struct {
	// noFirstRound skips the recovery round that Start begins with: a
	// test's own rounds are then the only ones until RecoverEvery.
	noFirstRound bool
	// beforeClaim is called when a round has judged a start lost, just
	// before it claims it.
	beforeClaim func(id string)
	// claimed is called when a round has claimed a start, just before it
	// runs it.
	claimed func(id string)
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Space == (arn.Space{}) {
		c.Space = arn.DefaultSpace
	}
	if c.Node == "" {
		host, _ := os.Hostname()
		c.Node = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), uuid.NewString()[:8])
	}
	if c.MaxRunning <= 0 {
		c.MaxRunning = DefaultMaxRunning
	}
	if c.MaxBytes <= 0 {
		c.MaxBytes = DefaultMaxBytes
	}
	if c.MaxDuration <= 0 || c.MaxDuration > MaxDuration {
		c.MaxDuration = MaxDuration
	}
	if c.NodeTTL <= 0 {
		c.NodeTTL = DefaultNodeTTL
	}
	if c.RecoverEvery <= 0 {
		c.RecoverEvery = DefaultRecovery
	}
	if c.StopGrace <= 0 {
		c.StopGrace = DefaultStopGrace
	}
	if c.UUID == nil {
		c.UUID = uuid.NewString
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	return c
}

// Start starts an Express execution.
type Start struct {
	StateMachine string
	// Version is the shared store's version to run; 0 runs the latest.
	Version int
	// Name is the execution's name; empty gets a new UUID. Names are not
	// unique: every start is a new execution.
	Name string
	// Input is JSON; empty means {}.
	Input json.RawMessage
}

// Result is an Express execution: as it ended (StartSync) or as it began
// (StartAsync, Status RUNNING).
type Result struct {
	// ID is unique per execution: the last part of its ARN.
	ID           string
	StateMachine string
	Version      int // the shared store's
	Name         string
	Status       string
	Input        json.RawMessage
	Output       json.RawMessage
	Error        string
	Cause        string
	StartedAt    time.Time
	StoppedAt    time.Time
}

// Runner runs Express executions. Start it before the first start; Stop
// it at shutdown.
type Runner struct {
	cfg     Config
	mem     *memory.Store
	private *interpreter.Engine
	defs    *definitions
	log     *slog.Logger
	maxSecs int64
	// maxPayload is the input bound, checked before a run is admitted
	// (the private engine checks it again).
	maxPayload int

	mu       sync.Mutex
	running  map[string]*run // by execution id
	bytes    int64
	stopping bool
	idle     chan struct{} // closed when running empties while stopping

	bootedAt time.Time
	ctx      context.Context // ends when the runs in flight are cut
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	hb       heartbeat

	recovering sync.Mutex // one Recover at a time
	// unclaimed are starts this node may have claimed (a claim whose
	// write failed, a give-back that failed) but does not run: they may
	// name this node without running here. Recover's (under recovering).
	unclaimed map[string]bool
}

// run is one execution this node holds.
type run struct {
	res    Result
	size   int64
	async  bool // its start document is this node's to remove
	done   chan struct{}
	err    error // set before done closes when the run was cut
	result *Result
}

// New returns a Runner.
func New(cfg Config) *Runner {
	cfg = cfg.withDefaults()
	mem := memory.New()
	r := &Runner{}
	private := interpreter.New(interpreter.Config{
		Store: mem, Logger: slog.New(quietEnds{cfg.Logger.With(slog.Bool("express", true)).Handler()}),
		Limits: cfg.Limits, HTTP: cfg.HTTP, LogData: cfg.LogData, Space: cfg.Space,
		// A run is stored under a UUID (names are not unique among Express
		// runs); its context object shows what AWS shows: the express ARN
		// and the name its caller gave.
		ContextIDs: r.contextIDs,
		// Ended executions are removed within seconds (runSweeper), not
		// by the retention janitor.
		Retention: -1,
		Node:      cfg.Node,
	})
	for name, h := range cfg.Handlers {
		private.RegisterHandler(name, h)
	}
	maxSecs := int64(math.Ceil(cfg.MaxDuration.Seconds()))
	maxPayload := cfg.Limits.MaxPayload
	if maxPayload <= 0 {
		maxPayload = interpreter.DefaultLimits.MaxPayload
	}
	*r = Runner{
		cfg: cfg, mem: mem, private: private, log: cfg.Logger, maxSecs: maxSecs, maxPayload: maxPayload,
		defs: newDefinitions(cfg.Store, private, maxSecs), running: map[string]*run{}, unclaimed: map[string]bool{},
		stopping: true, // until Start
		ctx:      context.Background(), cancel: func() {},
	}
	return r
}

// contextIDs gives the private engine a run's express ARN and name for
// its context object, by the id it is stored under ("<state machine>:<id>").
func (r *Runner) contextIDs(stored string) (string, string, bool) {
	_, id, ok := strings.Cut(stored, ":")
	if !ok {
		return "", "", false
	}
	r.mu.Lock()
	x := r.running[id]
	r.mu.Unlock()
	if x == nil {
		return "", "", false
	}
	return r.cfg.Space.Express(x.res.StateMachine, x.res.Name, x.res.ID), x.res.Name, true
}

// RegisterHandler makes Resource "handler:<name>" call h in Express runs.
func (r *Runner) RegisterHandler(name string, h interpreter.Handler) {
	r.private.RegisterHandler(name, h)
}

// Start runs the private engine, says this node is alive, and runs the
// heartbeat, the recovery of other nodes' starts and the sweeper in the
// background until Stop. When ctx ends, the Runner stops as Stop does.
func (r *Runner) Start(ctx context.Context) error {
	r.ctx, r.cancel = context.WithCancel(context.WithoutCancel(ctx))
	r.bootedAt = r.cfg.Now()
	if err := r.private.Start(r.ctx); err != nil {
		return err
	}
	if err := r.hb.beat(ctx, r); err != nil {
		r.private.Stop()
		return fmt.Errorf("express: first heartbeat: %w", err)
	}
	r.mu.Lock()
	r.stopping = false
	r.mu.Unlock()
	r.wg.Add(3)
	go func() {
		defer r.wg.Done()
		r.runHeartbeat(r.ctx)
	}()
	go func() {
		defer r.wg.Done()
		r.runRecovery(r.ctx)
	}()
	go func() {
		defer r.wg.Done()
		r.runSweeper(r.ctx)
	}()
	go func() {
		select {
		case <-ctx.Done():
			r.Stop()
		case <-r.ctx.Done():
		}
	}()
	return nil
}

// Stop refuses new starts, waits up to StopGrace for the runs in flight to
// end, then cuts the rest: their synchronous callers get ErrStopped, and
// the asynchronous ones keep their start documents, which another node (or
// this one, restarted under the same Node) runs again. It then gives up
// this node's heartbeat so that happens at once.
func (r *Runner) Stop() {
	r.mu.Lock()
	if r.stopping {
		r.mu.Unlock()
		return
	}
	r.stopping = true
	var idle chan struct{}
	if len(r.running) > 0 {
		idle = make(chan struct{})
		r.idle = idle
	}
	r.mu.Unlock()
	if idle != nil {
		t := time.NewTimer(r.cfg.StopGrace)
		select {
		case <-idle:
		case <-t.C:
			r.log.Warn("Express executions still running at the end of the grace period are cut", slog.Int("count", r.Running()))
		}
		t.Stop()
	}
	r.cancel()
	r.private.Stop()
	r.wg.Wait()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	r.hb.leave(ctx, r)
}

// Running is how many Express executions this node holds.
func (r *Runner) Running() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.running)
}

// StillRunningError is StartSync's error when its caller stops waiting
// (ctx ends) after the run began: the run goes on, and Result is the run
// as it began (Status RUNNING), so that the caller can name it.
type StillRunningError struct {
	Result Result
	Err    error // ctx's
}

func (e *StillRunningError) Error() string {
	return fmt.Sprintf("express execution %s is still running: %v", e.Result.ID, e.Err)
}

func (e *StillRunningError) Unwrap() error { return e.Err }

// StartSync runs an execution to its end and returns it. A run that the
// caller stops waiting for (ctx) still runs to its end: the error is then
// a *StillRunningError wrapping ctx's.
func (r *Runner) StartSync(ctx context.Context, p Start) (*Result, error) {
	x, err := r.begin(ctx, beginParams{Start: p})
	if err != nil {
		return nil, err
	}
	select {
	case <-x.done:
		if x.err != nil {
			return nil, x.err
		}
		return x.result, nil
	case <-ctx.Done():
		return nil, &StillRunningError{Result: x.res, Err: ctx.Err()}
	}
}

// StartAsync starts an execution and returns once its start is recorded
// in the shared store (and its first step taken): from then on it runs at
// least once, here or, should this node die, on another.
func (r *Runner) StartAsync(ctx context.Context, p Start) (*Result, error) {
	x, err := r.begin(ctx, beginParams{Start: p, write: true, owned: true})
	if err != nil {
		return nil, err
	}
	res := x.res // as it began
	res.Status = store.StatusRunning
	return &res, nil
}

// beginParams is one run to begin.
type beginParams struct {
	Start
	// id is empty for a new start, and the execution's id when recovery
	// runs it again.
	id string
	// write records the start in the shared store before it runs.
	write bool
	// owned: the run's start document is this node's to remove at its end
	// (written here, or claimed by recovery).
	owned bool
	// startedAt is when a run that recovery runs again first started
	// (zero for a new start): its Result and end log show it, and its
	// time limit counts from it.
	startedAt time.Time
}

// begin admits a run, copies its definition, records an asynchronous start,
// starts it on the private engine, and leaves a goroutine to wait for its
// end unless it ended already.
func (r *Runner) begin(ctx context.Context, bp beginParams) (*run, error) {
	p, id := bp.Start, bp.id
	if len(p.Input) == 0 {
		p.Input = json.RawMessage("{}")
	}
	if len(p.Input) > r.maxPayload {
		return nil, fmt.Errorf("input of %d bytes exceeds %d bytes: %w", len(p.Input), r.maxPayload, interpreter.ErrPayloadTooLarge)
	}
	def, err := r.defs.resolve(ctx, p.StateMachine, p.Version, r.maxSecs)
	if err != nil {
		return nil, err
	}
	startedAt, overdue := r.cfg.Now().UTC(), false
	if !bp.startedAt.IsZero() {
		// Taken again after a crash: the time limit (the definition's
		// TimeoutSeconds, at most MaxDuration) counts from the first
		// start, so the run gets a copy capped at what is left of it, in
		// whole seconds rounded up.
		left := time.Duration(def.timeout)*time.Second - startedAt.Sub(bp.startedAt)
		startedAt, overdue = bp.startedAt.UTC(), left <= 0
		if secs := int64(math.Ceil(left.Seconds())); !overdue && secs < def.timeout {
			if def, err = r.defs.resolve(ctx, p.StateMachine, def.shared, secs); err != nil {
				return nil, err
			}
		}
	}
	if id == "" {
		id = r.cfg.UUID()
	}
	if p.Name == "" {
		p.Name = r.cfg.UUID()
	}
	x := &run{
		res: Result{ID: id, StateMachine: p.StateMachine, Version: def.shared, Name: p.Name, Status: store.StatusRunning,
			Input: p.Input, StartedAt: startedAt},
		size: int64(len(p.Input)), async: bp.owned, done: make(chan struct{}),
	}
	if err := r.admit(x); err != nil {
		return nil, err
	}
	if bp.write {
		if err := r.putStart(ctx, x); err != nil {
			r.release(x)
			return nil, err
		}
	}
	if overdue {
		// Its time ran out before it was taken again: it ends as a run
		// that went on too long would have.
		r.end(x, &interpreter.Execution{Status: store.StatusTimedOut, Error: failure.Timeout,
			Cause: "The execution's time ran out before it was run again after its node was lost", StoppedAt: r.cfg.Now().UTC()}, nil)
		return x, nil
	}
	ex, _, err := r.private.StartExecution(ctx, interpreter.StartParams{
		StateMachine: p.StateMachine, Version: def.private, Name: id, Input: p.Input,
	})
	if err != nil {
		if bp.write {
			r.removeStart(x)
		}
		r.release(x)
		if errors.Is(err, store.ErrAlreadyExists) {
			// The private store still holds an ended run under this id
			// (recovery found its start again before the sweep): its
			// result is known, and it ran.
			return nil, fmt.Errorf("express execution %s ran already: %w", id, err)
		}
		return nil, err
	}
	if ex.Status != store.StatusRunning {
		r.end(x, ex, nil) // the common case: no Task or Wait, all in one step
		return x, nil
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		ended, err := r.private.Wait(r.ctx, ex.ID)
		switch {
		case r.ctx.Err() != nil:
			// Cut by Stop: whatever it ended with (a task call cancelled
			// by the shutdown fails it) is not its result.
			ended, err = nil, ErrStopped
		case err != nil:
			ended, err = nil, fmt.Errorf("%w: express execution %s: %v", ErrResultLost, id, err)
		}
		r.end(x, ended, err)
	}()
	return x, nil
}

// admit counts a run against the node's bounds.
func (r *Runner) admit(x *run) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	switch {
	case r.stopping:
		return ErrStopped
	case len(r.running) >= r.cfg.MaxRunning:
		return fmt.Errorf("%w: %d executions running, the limit is %d", ErrLimitExceeded, len(r.running), r.cfg.MaxRunning)
	case r.bytes+x.size > r.cfg.MaxBytes:
		return fmt.Errorf("%w: %d bytes of input held, the limit is %d", ErrLimitExceeded, r.bytes, r.cfg.MaxBytes)
	}
	r.running[x.res.ID] = x
	r.bytes += x.size
	return nil
}

// release takes a run off the node's bounds.
func (r *Runner) release(x *run) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.running[x.res.ID] != x {
		return
	}
	delete(r.running, x.res.ID)
	r.bytes -= x.size
	if r.stopping && len(r.running) == 0 && r.idle != nil {
		close(r.idle)
		r.idle = nil
	}
}

// end records a run's end: its result for a waiting caller, the log line,
// the removal of its start document, and its release.
func (r *Runner) end(x *run, ex *interpreter.Execution, err error) {
	if err != nil {
		// Cut by a shutdown: an asynchronous start keeps its document, to
		// be run again.
		x.err = err
		r.release(x)
		close(x.done)
		return
	}
	res := x.res
	res.Status, res.Output, res.Error, res.Cause, res.StoppedAt = ex.Status, ex.Output, ex.Error, ex.Cause, ex.StoppedAt
	if res.StoppedAt.Before(res.StartedAt) {
		res.StoppedAt = res.StartedAt
	}
	x.result = &res
	r.logEnd(&res)
	if x.async {
		r.removeStart(x)
	}
	r.release(x)
	close(x.done)
	if r.cfg.Ended != nil {
		r.cfg.Ended(res)
	}
}

// logEnd writes the execution's end, in place of the history AWS would send
// to its logs.
func (r *Runner) logEnd(res *Result) {
	attrs := []slog.Attr{
		slog.String("execution_arn", r.cfg.Space.Express(res.StateMachine, res.Name, res.ID)),
		slog.String("state_machine", res.StateMachine), slog.String("name", res.Name),
		slog.String("status", res.Status), slog.Duration("duration", res.StoppedAt.Sub(res.StartedAt)),
	}
	if res.Status != store.StatusSucceeded {
		attrs = append(attrs, slog.String("error", res.Error))
		if r.cfg.LogData {
			attrs = append(attrs, slog.String("cause", res.Cause))
		}
	} else if r.cfg.LogData {
		attrs = append(attrs, slog.String("output", string(res.Output)))
	}
	r.log.LogAttrs(r.ctx, slog.LevelInfo, "express execution ended", attrs...)
}

// Ended executions stay in the private store for keepEnded, and a sweep
// every sweepEvery removes the older ones. The store cannot remove one
// execution by id, only those that ended before a time, and a run's result
// is read from it after the end is committed (Wait): an execution must not
// go in between. keepEnded is that gap's bound, far above the microseconds
// it takes; a run whose result was swept first anyway (the process stalled
// for seconds) answers ErrResultLost. The store holds keepEnded's worth of
// ended executions besides the running ones.
const (
	keepEnded  = 5 * time.Second
	sweepEvery = time.Second
)

// runSweeper removes the ended executions older than keepEnded.
func (r *Runner) runSweeper(ctx context.Context) {
	x := store.AsExpirer(r.mem)
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if _, err := x.Expire(ctx, time.Now().Add(-keepEnded), math.MaxInt32); err != nil && ctx.Err() == nil {
			r.log.Warn("removing ended Express executions failed", slog.Any("error", err))
		}
	}
}

// quietEnds drops the private engine's "execution ended" lines: the Runner
// writes its own, with the Express ARN.
type quietEnds struct{ slog.Handler }

func (h quietEnds) Handle(ctx context.Context, rec slog.Record) error {
	if rec.Message == "execution ended" {
		return nil
	}
	return h.Handler.Handle(ctx, rec)
}

func (h quietEnds) WithAttrs(a []slog.Attr) slog.Handler { return quietEnds{h.Handler.WithAttrs(a)} }
func (h quietEnds) WithGroup(n string) slog.Handler      { return quietEnds{h.Handler.WithGroup(n)} }
