package interpreter

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"log/slog"
	"math/big"
	"os"
	"regexp"
	"slices"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
)

// Errors the engine returns besides the store's.
var (
	// ErrInvalidName: a state machine or execution name outside [A-Za-z0-9_-]{1,80}.
	ErrInvalidName = errors.New("invalid name")
	// ErrPayloadTooLarge: an input or task result over the payload limit.
	ErrPayloadTooLarge = errors.New("payload too large")
	// ErrNotRedrivable: redrive of an execution that is running or succeeded.
	ErrNotRedrivable = errors.New("execution cannot be redriven")
	// ErrTaskNotFound: an unknown, finished or timed-out task token.
	ErrTaskNotFound = errors.New("task not found")
)

// InvalidDefinitionError carries every problem of a refused definition.
type InvalidDefinitionError struct{ Problems dsl.Problems }

func (e *InvalidDefinitionError) Error() string {
	return "invalid definition:\n" + e.Problems.Error()
}

// Handler is an in-process task implementation, registered by name and
// reached with Resource "handler:<name>". Return a *failure.Error to fail
// with an ASL error name (matched by Retry and Catch); any other error fails
// with States.TaskFailed.
type Handler func(ctx context.Context, input json.RawMessage) (json.RawMessage, error)

// Clock is the engine's source of time.
type Clock interface {
	Now() time.Time
	// After waits for d, like time.After.
	After(d time.Duration) <-chan time.Time
}

type realClock struct{}

func (realClock) Now() time.Time                         { return time.Now() }
func (realClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// Config configures an Engine.
type Config struct {
	Store  store.Store
	Logger *slog.Logger
	Clock  Clock
	Limits Limits
	// UUID and Random override the randomness of States.UUID,
	// States.MathRandom and retry jitter (tests make them deterministic).
	UUID   func() string
	Random func() float64
	// TimerPoll is how often the store is asked for due executions (timers
	// set by other nodes or before a restart); default 1s.
	TimerPoll time.Duration
	// HTTP performs http:invoke tasks; nil builds one with the default policy.
	HTTP *httptask.Client
	// TaskInterceptor, when set, sees every task attempt before it is
	// performed and may answer it itself (handled true): `sfn run --mock`
	// answers Task states by name this way, whatever their resource. An
	// attempt it does not handle is performed as usual.
	TaskInterceptor func(ctx context.Context, t TaskRequest) (output json.RawMessage, err error, handled bool)
	// Observer, when set, is told about every committed step (metrics).
	Observer Observer
	// LogData includes inputs and outputs in log lines (off by default:
	// state data may be private).
	LogData bool
	// Node names this process among the nodes sharing a store (default:
	// host name, process id and a random suffix).
	Node string
	// Leaser and Nodes share the work between nodes; by default the store's
	// own, when it has them (set them when the store is wrapped).
	Leaser store.Leaser
	Nodes  store.NodeRegistry
	// LeaseTTL is how long a partition lease lasts without renewal
	// (default 10s); leases are renewed every third of it.
	LeaseTTL time.Duration
	// Retention is how long finished executions are kept before the
	// janitor removes them with their history (default DefaultRetention,
	// 7 days; negative: kept forever). Definitions never expire.
	Retention time.Duration
	// RecordCache is how many running executions' records this node keeps
	// between their steps, so that a step starts without reading the
	// record back from the store (default 10,000; negative: none). Each
	// costs about the size of its record.
	RecordCache int
	// MaxTaskCalls bounds the task calls (handlers, HTTP) this node has in
	// flight at once (default DefaultMaxTaskCalls); calls over it wait, in
	// the order they were scheduled, and are never dropped.
	MaxTaskCalls int
}

// DefaultMaxTaskCalls is Config.MaxTaskCalls's default.
const DefaultMaxTaskCalls = 4096

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = realClock{}
	}
	if c.Limits.MaxPayload <= 0 {
		c.Limits.MaxPayload = DefaultLimits.MaxPayload
	}
	if c.Limits.MaxHistory <= 0 {
		c.Limits.MaxHistory = DefaultLimits.MaxHistory
	}
	if c.Limits.StepEvents <= 0 {
		c.Limits.StepEvents = DefaultLimits.StepEvents
	}
	if c.UUID == nil {
		c.UUID = func() string { return uuid.NewString() }
	}
	if c.Random == nil {
		c.Random = cryptoFloat
	}
	if c.TimerPoll == 0 {
		c.TimerPoll = time.Second
	}
	if c.HTTP == nil {
		c.HTTP, _ = httptask.New(httptask.Config{})
	}
	if c.Node == "" {
		host, _ := os.Hostname()
		c.Node = fmt.Sprintf("%s-%d-%s", host, os.Getpid(), randomSecret()[:6])
	}
	if c.LeaseTTL == 0 {
		c.LeaseTTL = 10 * time.Second
	}
	if c.Retention == 0 {
		c.Retention = DefaultRetention
	}
	if c.RecordCache == 0 {
		c.RecordCache = 10_000
	}
	if c.MaxTaskCalls <= 0 {
		c.MaxTaskCalls = DefaultMaxTaskCalls
	}
	return c
}

func cryptoFloat() float64 {
	n, err := rand.Int(rand.Reader, big.NewInt(1<<53))
	if err != nil {
		return 0.5
	}
	return float64(n.Int64()) / (1 << 53)
}

func randomSecret() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Engine runs executions.
type Engine struct {
	cfg     Config
	store   store.Store
	log     *slog.Logger
	workers *workers // run task calls
	slots   *slots   // bound the task calls in flight

	defsMu sync.RWMutex
	defs   map[string]*dsl.Definition // name + "@" + version

	handlersMu sync.RWMutex
	handlers   map[string]Handler

	locks   [256]sync.Mutex // serialise changes to one execution within this node
	records *recordCache    // the last record this node committed, per running execution

	timers   *timerQueue
	own      *ownership // nil when the store does not share work between nodes
	recovery *recovery  // nil without own

	inflightMu sync.Mutex
	inflight   map[string]context.CancelFunc // task token -> cancel

	pollMu  sync.Mutex
	pollers map[string]chan struct{} // activity -> closed when a task arrives

	latestMu sync.Mutex
	latest   map[string]latestEntry // state machine -> its latest version, briefly

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New creates an engine; call Start to run timers and background work.
func New(cfg Config) *Engine {
	cfg = cfg.withDefaults()
	e := &Engine{
		cfg: cfg, store: cfg.Store, log: cfg.Logger,
		defs: map[string]*dsl.Definition{}, handlers: map[string]Handler{},
		timers: newTimerQueue(), inflight: map[string]context.CancelFunc{}, pollers: map[string]chan struct{}{},
		workers: newWorkers(maxIdleWorkers), slots: newSlots(cfg.MaxTaskCalls),
		latest: map[string]latestEntry{}, records: newRecordCache(cfg.RecordCache, cacheTTL(cfg.Retention), cfg.Clock),
		ctx: context.Background(), cancel: func() {},
	}
	if cfg.Leaser == nil {
		cfg.Leaser, _ = cfg.Store.(store.Leaser)
	}
	if cfg.Nodes == nil {
		cfg.Nodes, _ = cfg.Store.(store.NodeRegistry)
	}
	if cfg.Leaser != nil {
		e.own = &ownership{leaser: cfg.Leaser, registry: cfg.Nodes, node: cfg.Node, ttl: cfg.LeaseTTL, held: map[int]int64{}}
		q, _ := cfg.Leaser.(store.PartitionQueries)
		e.recovery = newRecovery(e, q, cfg.Leaser.Partitions())
	}
	return e
}

// Store returns the engine's store.
func (e *Engine) Store() store.Store { return e.store }

// RegisterHandler makes Resource "handler:<name>" call h.
func (e *Engine) RegisterHandler(name string, h Handler) {
	e.handlersMu.Lock()
	defer e.handlersMu.Unlock()
	e.handlers[name] = h
}

// Start runs the engine's background work (timers) until ctx ends or Stop.
func (e *Engine) Start(ctx context.Context) error {
	e.ctx, e.cancel = context.WithCancel(ctx)
	if e.own != nil {
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.recovery.run(e.ctx)
		}()
		e.balanceLeases(e.ctx) // take partitions before serving
		e.wg.Add(1)
		go func() {
			defer e.wg.Done()
			e.runLeases(e.ctx)
		}()
	}
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.runTimers(e.ctx)
	}()
	e.startJanitor()
	return nil
}

// Stop ends background work and cancels task calls in flight, waiting for
// them to return.
func (e *Engine) Stop() {
	e.cancel()
	rctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	e.releaseLeases(rctx)
	cancel()
	e.inflightMu.Lock()
	for _, c := range e.inflight {
		c()
	}
	e.inflightMu.Unlock()
	e.wg.Wait()
	e.workers.stop()
	if e.cfg.HTTP != nil {
		e.cfg.HTTP.CloseIdle()
	}
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,80}$`)

// ValidName reports whether s is a valid state machine or execution name.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// ---- state machines ----

// PutResult is what PutStateMachine did.
type PutResult struct {
	StateMachine store.StateMachine
	Outcome      store.PutResult
	Warnings     dsl.Problems
}

// PutStateMachine validates a definition and stores it under name (a new
// version when it changed).
func (e *Engine) PutStateMachine(ctx context.Context, name string, source []byte, format dsl.Format) (PutResult, error) {
	if !ValidName(name) {
		return PutResult{}, fmt.Errorf("state machine name %q: %w", name, ErrInvalidName)
	}
	def, problems := dsl.Load(source, dsl.Options{Format: format})
	if problems.HasErrors() {
		return PutResult{}, &InvalidDefinitionError{Problems: problems.Errors()}
	}
	e.forgetLatest(name)
	defer e.forgetLatest(name) // also after the write: no start here sees the old version
	canon := value.Canonical(def.Source)
	sum := sha256.Sum256(canon)
	sm, outcome, err := e.store.PutStateMachine(ctx, store.StateMachine{
		Name: name, DefinitionSHA256: hex.EncodeToString(sum[:]), Definition: canon,
		Source: source, SourceFormat: def.Format.String(), UpdatedAt: e.cfg.Clock.Now().UTC(),
	})
	if err != nil {
		return PutResult{}, err
	}
	return PutResult{StateMachine: sm, Outcome: outcome, Warnings: problems}, nil
}

// definition returns the compiled definition of a state machine version,
// compiling it once per node.
func (e *Engine) definition(ctx context.Context, name string, version int) (*dsl.Definition, error) {
	key := fmt.Sprintf("%s@%d", name, version)
	e.defsMu.RLock()
	def := e.defs[key]
	e.defsMu.RUnlock()
	if def != nil {
		return def, nil
	}
	sm, err := e.store.GetStateMachineVersion(ctx, name, version)
	if err != nil {
		return nil, err
	}
	def, err = CompileVersion(sm) // from the uploaded text: key order and numbers as written
	if err != nil {
		return nil, err
	}
	e.defsMu.Lock()
	e.defs[key] = def
	e.defsMu.Unlock()
	return def, nil
}

// ---- executions ----

// Execution is an execution as clients see it.
type Execution struct {
	ID           string
	StateMachine string
	Version      int
	Name         string
	Status       string
	Input        json.RawMessage
	Output       json.RawMessage
	Error        string
	Cause        string
	StartedAt    time.Time
	StoppedAt    time.Time
	RedriveCount int
}

func viewOf(rec *store.Execution) *Execution {
	return &Execution{ID: rec.ID, StateMachine: rec.StateMachine, Version: rec.Version, Name: rec.Name, Status: rec.Status,
		Input: rec.Input, Output: rec.Output, Error: rec.Error, Cause: rec.Cause, StartedAt: rec.StartedAt,
		StoppedAt: rec.StoppedAt, RedriveCount: rec.RedriveCount}
}

// StartParams starts an execution.
type StartParams struct {
	StateMachine string
	// Name makes the start idempotent; empty gets a new UUID.
	Name string
	// Input is the execution's input (JSON); empty means {}.
	Input json.RawMessage
	// Version pins a version; 0 takes the latest.
	Version int
}

// StartExecution starts an execution and returns once its start (and its
// first step) is committed. existing is true when the name was already used
// with the same input and version: the existing execution is returned.
func (e *Engine) StartExecution(ctx context.Context, p StartParams) (ex *Execution, existing bool, err error) {
	if p.Name == "" {
		p.Name = e.cfg.UUID()
	}
	if !ValidName(p.Name) {
		return nil, false, fmt.Errorf("execution name %q: %w", p.Name, ErrInvalidName)
	}
	if len(p.Input) == 0 {
		p.Input = json.RawMessage("{}")
	}
	if len(p.Input) > e.cfg.Limits.MaxPayload {
		return nil, false, fmt.Errorf("input of %d bytes exceeds %d bytes: %w", len(p.Input), e.cfg.Limits.MaxPayload, ErrPayloadTooLarge)
	}
	input, err := value.Decode(p.Input)
	if err != nil {
		return nil, false, fmt.Errorf("input is not valid JSON: %w", err)
	}
	version := p.Version
	if version == 0 {
		if version, err = e.latestVersion(ctx, p.StateMachine); err != nil {
			return nil, false, err
		}
	} else if _, err := e.store.GetStateMachine(ctx, p.StateMachine, version); err != nil {
		return nil, false, err
	}
	sm := store.StateMachine{Name: p.StateMachine, Version: version}
	def, err := e.definition(ctx, sm.Name, sm.Version)
	if err != nil {
		return nil, false, err
	}
	hash := inputHash(input, sm.Version)
	now := e.cfg.Clock.Now().UTC()
	r := &run{
		id: sm.Name + ":" + p.Name, smName: sm.Name, execName: p.Name, version: sm.Version, status: store.StatusRunning,
		input: input, startedAt: now, inputHash: hash, def: def,
		threads: map[int]*thread{}, dirty: map[int]bool{}, deleted: map[int]bool{},
		now: now, deps: e.deps(), limits: e.cfg.Limits, events: make([]store.Event, 0, 8),
	}
	r.hdr.LastTime = now
	r.rep.on = e.cfg.Observer != nil
	r.start()
	rec, threads, _, err := r.record()
	if err != nil {
		return nil, false, err
	}
	rec.Threads = threads
	existingID, err := e.store.CreateExecution(ctx, store.CreateParams{Execution: rec, Events: r.events, Activities: r.activities,
		InFlight: r.inFlight()})
	if err != nil && !errors.Is(err, store.ErrAlreadyExists) && e.landed(ctx, rec.ID, 1, rec, threads) {
		err = nil // the create timed out but was applied
	}
	if errors.Is(err, store.ErrAlreadyExists) {
		old, gerr := e.store.GetExecution(ctx, existingID)
		if gerr != nil {
			return nil, false, gerr
		}
		if old.InputHash != hash {
			return nil, false, fmt.Errorf("execution name %q is already used with a different input or version: %w", p.Name, store.ErrAlreadyExists)
		}
		return viewOf(old), true, nil
	}
	if err != nil {
		return nil, false, err
	}
	rec.RecordVersion = 1
	e.records.putDecoded(rec, r.decodedThreads(rec))
	e.log.LogAttrs(ctx, slog.LevelDebug, "execution started", slog.String("execution_id", r.id), slog.String("state_machine", r.smName))
	e.afterCommit(r, rec)
	return viewOf(rec), false, nil
}

// inputHash identifies a start request: the input's canonical form and the version.
func inputHash(input value.Value, version int) string {
	h := sha256.New()
	h.Write(value.Canonical(input))
	fmt.Fprintf(h, "@%d", version)
	return hex.EncodeToString(h.Sum(nil))
}

func (e *Engine) deps() stepDeps {
	return stepDeps{UUID: e.cfg.UUID, Random: e.cfg.Random, Secret: randomSecret}
}

func (e *Engine) lockFor(id string) *sync.Mutex {
	h := fnv.New32a()
	h.Write([]byte(id))
	return &e.locks[h.Sum32()%uint32(len(e.locks))]
}

// modify loads an execution, applies change, and commits when it reports a
// change; on a conflict (another writer got there first) it reloads and
// applies the change again to the new truth. It starts from the record this
// node committed last when it has it (recordCache), and reads the store
// when it has not, when the commit conflicts, and before it concludes from
// a cached record that there is nothing to do.
func (e *Engine) modify(ctx context.Context, id string, change func(r *run) bool) (*store.Execution, bool, error) {
	return e.modifyAs(ctx, id, false, change)
}

// errNotHolder: holder work (modifyAs with holder set) for an execution
// whose partition this node does not hold.
var errNotHolder = errors.New("this node does not hold the execution's partition")

// modifyAs commits with the fence this node holds for the execution's
// partition when it began. With holder set (the work only the partition's
// holder does: timers) it does not commit at all without one, so that a
// node that lost the partition cannot write into it. Other writes (stop,
// task results, from any node) need no lease: without one they are plain
// compare-and-set on the record version.
func (e *Engine) modifyAs(ctx context.Context, id string, holder bool, change func(r *run) bool) (*store.Execution, bool, error) {
	fence := e.own.fence(id)
	if holder && e.own != nil && fence == 0 {
		return nil, false, errNotHolder
	}
	mu := e.lockFor(id)
	mu.Lock()
	defer mu.Unlock()
	cached, decoded := e.records.take(id)
	for attempt := 0; ; attempt++ {
		rec, fromCache := cached, cached != nil
		cached = nil
		if rec == nil {
			var err error
			if rec, err = e.store.GetExecution(ctx, id); err != nil {
				e.records.drop(id)
				return nil, false, err
			}
			e.records.put(rec) // the truth, for the next look
		}
		def, err := e.definition(ctx, rec.StateMachine, rec.Version)
		if err != nil {
			return nil, false, err
		}
		r, err := decodeRun(rec, def, fromCache, decoded)
		decoded = nil // the run owns them now, and may change them
		if err != nil {
			e.records.drop(id)
			return nil, false, err
		}
		r.now = e.cfg.Clock.Now().UTC()
		r.deps = e.deps()
		r.limits = e.cfg.Limits
		r.rep.on = e.cfg.Observer != nil
		if !change(r) {
			if fromCache {
				continue // confirm against the store: the cached record may be old
			}
			return rec, false, nil
		}
		next, set, del, err := r.record()
		if err != nil {
			return nil, false, err
		}
		err = e.store.Commit(ctx, store.CommitParams{ID: id, ExpectedVersion: rec.RecordVersion, Fence: fence, Record: next, Base: rec,
			SetThreads: set, DeleteThreads: del, Events: r.events, Activities: r.activities, Claim: r.claim,
			Withdraw: r.withdrawn, InFlight: r.inFlight()})
		if errors.Is(err, store.ErrConflict) && attempt < 10 {
			continue
		}
		if errors.Is(err, store.ErrTaskTaken) {
			e.records.put(rec) // nothing was written: the record stands
			return nil, false, err
		}
		if err != nil && !errors.Is(err, store.ErrLeaseLost) && e.landed(ctx, id, rec.RecordVersion+1, next, set) {
			err = nil // the write timed out but was applied: never write it twice
		}
		if err != nil {
			e.records.drop(id)
			return nil, false, err
		}
		next.RecordVersion = rec.RecordVersion + 1
		full := committed(rec, next, set, del)
		e.records.putDecoded(full, r.decodedThreads(full))
		e.afterCommit(r, next)
		return next, true, nil
	}
}

// landed resolves an ambiguous write (a timeout, a dropped connection) by
// re-reading: the commit landed when the record is at the version it would
// have made, with its events, its engine header and the threads it wrote.
// Another writer's commit from the same version (this one may have started
// from an old cached record) differs in all but the rarest cases: a step
// that wrote events carries its time, to the nanosecond, in the header, and
// a change without events changes a thread.
func (e *Engine) landed(ctx context.Context, id string, version int64, wrote *store.Execution, threads map[string][]byte) bool {
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer cancel()
	rec, err := e.store.GetExecution(rctx, id)
	if err != nil || rec.RecordVersion != version || rec.LastEventID != wrote.LastEventID ||
		rec.Status != wrote.Status || !bytes.Equal(rec.Engine, wrote.Engine) || !rec.StartedAt.Equal(wrote.StartedAt) {
		return false
	}
	for k, b := range threads {
		if !bytes.Equal(rec.Threads[k], b) {
			return false
		}
	}
	return true
}

// afterCommit performs a committed step's effects: task calls, withdrawn
// tasks, the next timer, and a continuation when the step yielded.
func (e *Engine) afterCommit(r *run, rec *store.Execution) {
	if e.cfg.Observer != nil {
		e.cfg.Observer.StepCommitted(r.stepReport())
	}
	if r.status != store.StatusRunning && len(r.events) > 0 {
		e.logEnd(r)
	}
	for _, tok := range r.cancels {
		e.inflightMu.Lock()
		if c := e.inflight[tok]; c != nil {
			c()
		}
		e.inflightMu.Unlock()
	}
	for _, c := range r.calls {
		if !slices.Contains(r.cancels, c.Token) { // scheduled and withdrawn in one step
			e.dispatch(r.id, c)
		}
	}
	for _, a := range r.activities {
		e.activityArrived(a.Activity)
	}
	if !rec.DueAt.IsZero() {
		e.timers.add(rec.ID, rec.DueAt)
	}
}

// TaskRequest is a task attempt as a TaskInterceptor sees it.
type TaskRequest struct {
	ExecutionID string
	State       string
	Resource    string
	Input       json.RawMessage
	// Attempt counts the retries before this attempt (0, 1, 2 …).
	Attempt int
}

// dispatch performs one task call after its TaskScheduled committed.
func (e *Engine) dispatch(id string, c taskCall) {
	normal := e.callFor(id, c) // nil for activities: a worker polls them
	callback := c.Spec.WaitForToken
	ic := e.cfg.TaskInterceptor
	if ic == nil {
		if normal != nil {
			e.perform(id, c, func(ctx context.Context) taskOutcome {
				out, ferr := normal(ctx)
				return taskOutcome{out: out, ferr: ferr, callback: callback, ok: true}
			})
		}
		return
	}
	req := TaskRequest{ExecutionID: id, State: c.State, Resource: c.Spec.Resource, Input: value.Marshal(c.Params), Attempt: c.Attempt}
	e.perform(id, c, func(ctx context.Context) taskOutcome {
		out, err, handled := ic(ctx, req)
		if handled {
			// An intercepted answer is the task's result, callbacks included.
			v, ferr := resultOf(out, err, c.State)
			return taskOutcome{out: v, ferr: ferr, ok: true}
		}
		if normal == nil {
			return taskOutcome{} // an activity: its worker answers
		}
		v, ferr := normal(ctx)
		return taskOutcome{out: v, ferr: ferr, callback: callback, ok: true}
	})
}

// taskOutcome is what performing a task attempt produced; ok is false when
// nothing is to be recorded (someone else answers).
type taskOutcome struct {
	out      value.Value
	ferr     *failure.Error
	callback bool // a callback request was acknowledged: wait for the token
	ok       bool
}

// resultOf turns an interceptor's answer into a task outcome.
func resultOf(out json.RawMessage, err error, state string) (value.Value, *failure.Error) {
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, failure.New(failure.TaskFailed, err.Error())
	}
	if len(out) == 0 {
		return value.NewObject(0), nil
	}
	v, derr := value.Decode(out)
	if derr != nil {
		return nil, failure.Newf(failure.TaskFailed, "the answer for state %q is not valid JSON: %v", state, derr)
	}
	return v, nil
}

// callFor returns how to perform a task of the kind of c (nil for activities).
func (e *Engine) callFor(id string, c taskCall) func(ctx context.Context) (value.Value, *failure.Error) {
	var call func(ctx context.Context) (value.Value, *failure.Error)
	switch c.Spec.Kind {
	case dsl.HandlerTask:
		e.handlersMu.RLock()
		h := e.handlers[c.Spec.Name]
		e.handlersMu.RUnlock()
		call = func(ctx context.Context) (value.Value, *failure.Error) { return callHandler(ctx, h, c) }
	case dsl.HTTPTask:
		key := fmt.Sprintf("%s/%d", id, c.ScheduledID)
		call = func(ctx context.Context) (value.Value, *failure.Error) {
			return e.cfg.HTTP.Invoke(ctx, httptask.Request{Parameters: c.Params, IdempotencyKey: key})
		}
	default:
		return nil
	}
	return call
}

// maxIdleWorkers bounds the goroutines kept for task calls between calls.
const maxIdleWorkers = 1024

// perform runs a call in the background and records its outcome.
func (e *Engine) perform(id string, c taskCall, call func(ctx context.Context) taskOutcome) {
	var ctx context.Context
	var cancel context.CancelFunc
	if c.Timeout > 0 {
		// A little past the task's own deadline: the timer reports the
		// timeout; this only stops a call nobody waits for any more.
		ctx, cancel = context.WithTimeout(e.ctx, time.Duration(c.Timeout)*time.Second+time.Second)
	} else {
		ctx, cancel = context.WithCancel(e.ctx)
	}
	e.inflightMu.Lock()
	e.inflight[c.Token] = cancel
	e.inflightMu.Unlock()
	tk := e.slots.enqueue() // in line in the order the calls were scheduled
	e.wg.Add(1)
	e.workers.run(func() {
		defer e.wg.Done()
		defer func() {
			e.inflightMu.Lock()
			delete(e.inflight, c.Token)
			e.inflightMu.Unlock()
			cancel()
		}()
		if !e.slots.wait(ctx, tk) {
			return // withdrawn, timed out or stopping while in line
		}
		o := call(ctx)
		e.slots.release()
		if ctx.Err() != nil || !o.ok {
			return // withdrawn, timed out (the timer reports it), stopping, or answered elsewhere
		}
		// A result is recorded until it sticks: a store that fails for a
		// while only delays it (the attempt's own timeout still applies).
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			_, _, err := e.modify(e.ctx, id, func(r *run) bool {
				if o.callback && o.ferr == nil {
					return r.submitted(c.Thread, c.ScheduledID, o.out)
				}
				return r.taskResult(c.Thread, c.ScheduledID, o.out, o.ferr)
			})
			if err == nil || errors.Is(err, store.ErrNotFound) || e.ctx.Err() != nil {
				return
			}
			e.log.Warn("task result not recorded yet; retrying", slog.String("execution_id", id), slog.Any("error", err))
			select {
			case <-e.ctx.Done():
				return
			case <-e.cfg.Clock.After(backoff):
			}
		}
	})
}

// activityArrived wakes the pollers of an activity.
func (e *Engine) activityArrived(activity string) {
	e.pollMu.Lock()
	if ch := e.pollers[activity]; ch != nil {
		close(ch)
		delete(e.pollers, activity)
	}
	e.pollMu.Unlock()
}

func (e *Engine) activitySignal(activity string) <-chan struct{} {
	e.pollMu.Lock()
	defer e.pollMu.Unlock()
	ch := e.pollers[activity]
	if ch == nil {
		ch = make(chan struct{})
		e.pollers[activity] = ch
	}
	return ch
}

// PollActivity hands a task of an activity (roughly the oldest: see
// store.Store.PopActivity) to a worker, waiting until one arrives or ctx
// ends (then ErrTaskNotFound). The task's ActivityStarted is committed
// before it is handed out.
func (e *Engine) PollActivity(ctx context.Context, activity, worker string) (token string, input json.RawMessage, err error) {
	for {
		signal := e.activitySignal(activity)
		task, err := e.store.PopActivity(ctx, activity)
		if err == nil {
			tk, ok := ParseToken(task.Token)
			applied := false
			if ok {
				_, _, err = e.modify(ctx, tk.ExecutionID, func(r *run) bool {
					applied, r.claim = false, nil // modify may call this again on a newer record
					t := r.threads[tk.Thread]
					if t == nil || t.Task == nil || t.Task.Secret != tk.Secret {
						return false
					}
					applied = r.activityStarted(tk.Thread, tk.ScheduledID, worker)
					if applied && task.Held != "" {
						r.claim = task // the task leaves its queue with ActivityStarted, or not at all
					}
					return applied
				})
			}
			switch {
			case errors.Is(err, store.ErrTaskTaken):
				continue // a poller elsewhere claimed it first
			case err != nil && !errors.Is(err, store.ErrNotFound):
				// The hand-out could not be recorded: the task goes back to
				// the queue for the next poller (a held one never left it).
				if task.Held == "" {
					e.requeueUntilDone(tk)
				}
				return "", nil, err
			case err == nil && applied:
				return task.Token, task.Input, nil
			}
			// The task was withdrawn, timed out or ended with its execution
			// meanwhile: a held one is taken out of its queue now.
			if task.Held != "" {
				if _, err := e.store.DropActivity(context.WithoutCancel(ctx), task); err != nil {
					e.log.Warn("stale activity task not dropped", slog.String("execution_id", task.ExecutionID), slog.Any("error", err))
				}
			}
			continue
		}
		if !errors.Is(err, store.ErrNotFound) {
			if deadline, ok := ctx.Deadline(); ctx.Err() != nil || ok && !time.Now().Before(deadline) {
				return "", nil, ErrTaskNotFound // the poll's time ran out during the read
			}
			return "", nil, err
		}
		select {
		case <-ctx.Done():
			return "", nil, ErrTaskNotFound
		case <-signal:
		case <-e.cfg.Clock.After(250 * time.Millisecond): // tasks queued by other nodes
		}
	}
}

func callHandler(ctx context.Context, h Handler, c taskCall) (out value.Value, ferr *failure.Error) {
	if h == nil {
		return nil, failure.Newf(failure.TaskFailed, "no handler is registered under the name %q", c.Spec.Name)
	}
	defer func() {
		if p := recover(); p != nil {
			out, ferr = nil, failure.Newf(failure.TaskFailed, "handler %q panicked: %v", c.Spec.Name, p)
		}
	}()
	raw, err := h(ctx, value.Marshal(c.Params))
	if err != nil {
		var fe *failure.Error
		if errors.As(err, &fe) {
			return nil, fe
		}
		return nil, failure.New(failure.TaskFailed, err.Error())
	}
	if len(raw) == 0 {
		return value.NewObject(0), nil
	}
	v, err := value.Decode(raw)
	if err != nil {
		return nil, failure.Newf(failure.TaskFailed, "handler %q returned invalid JSON: %v", c.Spec.Name, err)
	}
	return v, nil
}

// GetExecution describes an execution.
func (e *Engine) GetExecution(ctx context.Context, id string) (*Execution, error) {
	rec, err := e.store.GetExecution(ctx, id)
	if err != nil {
		return nil, err
	}
	return viewOf(rec), nil
}

// Wait reads the execution without a notice after waitRecheck, then after
// twice as long each time up to waitRecheckMax: a notice lost while the
// store's subscription reconnects must not keep a waiter until its
// deadline, and many long waits must not become a steady load of reads.
const (
	waitRecheck    = 2 * time.Second
	waitRecheckMax = 30 * time.Second
)

// Wait blocks until the execution ends or ctx is done, and returns it. It
// reads the execution when its status changes, not after every step.
func (e *Engine) Wait(ctx context.Context, id string) (*Execution, error) {
	notices, cancel := e.store.WatchStatus(ctx, id)
	defer cancel()
	every := waitRecheck
	recheck := time.NewTimer(every) // real time, whatever the engine's clock: it is about the network
	defer recheck.Stop()
	for {
		ex, err := e.GetExecution(ctx, id)
		if err != nil {
			return nil, err
		}
		if ex.Status != store.StatusRunning {
			return ex, nil
		}
		select {
		case <-notices:
		case <-recheck.C:
			every = min(2*every, waitRecheckMax)
			recheck.Reset(every)
		case <-ctx.Done():
			return ex, ctx.Err()
		}
	}
}

// StopExecution aborts a running execution; an ended one is returned unchanged.
func (e *Engine) StopExecution(ctx context.Context, id, errName, cause string) (*Execution, error) {
	rec, _, err := e.modify(ctx, id, func(r *run) bool {
		if r.status != store.StatusRunning {
			return false
		}
		r.abort(errName, cause, false)
		return true
	})
	if err != nil {
		return nil, err
	}
	return viewOf(rec), nil
}

// MaxRedrives bounds how often one execution may be redriven (as AWS).
const MaxRedrives = 1000

// RedriveExecution resumes a FAILED, TIMED_OUT or ABORTED execution from the
// state that did not succeed.
func (e *Engine) RedriveExecution(ctx context.Context, id string) (*Execution, error) {
	var refused error
	rec, _, err := e.modify(ctx, id, func(r *run) bool {
		refused = r.redrive()
		return refused == nil
	})
	if err != nil {
		return nil, err
	}
	if refused != nil {
		return nil, refused
	}
	return viewOf(rec), nil
}

// History returns a page of an execution's events.
func (e *Engine) History(ctx context.Context, q store.HistoryQuery) ([]store.Event, error) {
	return e.store.History(ctx, q)
}

// ---- tasks from outside ----

// TaskSuccess completes the task attempt a token names.
func (e *Engine) TaskSuccess(ctx context.Context, token string, output json.RawMessage) error {
	if len(output) > e.cfg.Limits.MaxPayload {
		return fmt.Errorf("task output of %d bytes exceeds %d bytes: %w", len(output), e.cfg.Limits.MaxPayload, ErrPayloadTooLarge)
	}
	var v value.Value = value.NewObject(0)
	if len(output) > 0 {
		var err error
		if v, err = value.Decode(output); err != nil {
			return fmt.Errorf("task output is not valid JSON: %w", err)
		}
	}
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, v, nil) })
}

// TaskFailure fails the task attempt a token names.
func (e *Engine) TaskFailure(ctx context.Context, token, errName, cause string) error {
	fe := &failure.Error{Name: errName, Cause: cause}
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.taskResult(tk.Thread, tk.ScheduledID, nil, fe) })
}

// TaskHeartbeat tells that the task a token names is still being worked on.
func (e *Engine) TaskHeartbeat(ctx context.Context, token string) error {
	return e.withToken(ctx, token, func(r *run, tk Token) bool { return r.heartbeat(tk.Thread, tk.ScheduledID) })
}

func (e *Engine) withToken(ctx context.Context, token string, apply func(*run, Token) bool) error {
	tk, ok := ParseToken(token)
	if !ok {
		return ErrTaskNotFound
	}
	applied := false
	_, _, err := e.modify(ctx, tk.ExecutionID, func(r *run) bool {
		// modify may call this again on a newer record: only the last call counts.
		applied = false
		t := r.threads[tk.Thread]
		if t == nil || t.Task == nil || t.Task.ScheduledID != tk.ScheduledID || t.Task.Secret != tk.Secret {
			return false
		}
		applied = apply(r, tk)
		return applied
	})
	if errors.Is(err, store.ErrNotFound) {
		return ErrTaskNotFound
	}
	if err != nil {
		return err
	}
	if !applied {
		return ErrTaskNotFound
	}
	return nil
}

// logEnd writes one line when an execution ends.
func (e *Engine) logEnd(r *run) {
	attrs := []slog.Attr{slog.String("execution_id", r.id), slog.String("state_machine", r.smName), slog.String("status", r.status)}
	level := slog.LevelInfo
	if r.status != store.StatusSucceeded {
		level = slog.LevelWarn
		attrs = append(attrs, slog.String("error", r.errName))
		if e.cfg.LogData {
			attrs = append(attrs, slog.String("cause", r.cause))
		}
	} else if e.cfg.LogData {
		attrs = append(attrs, slog.String("output", value.MarshalString(r.output)))
	}
	e.log.LogAttrs(e.ctx, level, "execution ended", attrs...)
}

// Maintainer reports whether this node does the cluster-wide chores (the
// open-executions gauge, the janitor): the holder of partition 0, or the
// only node when the store is not shared.
func (e *Engine) Maintainer() bool {
	if e.own == nil {
		return true
	}
	e.own.mu.RLock()
	defer e.own.mu.RUnlock()
	_, ok := e.own.held[0]
	return ok
}

// HeldPartitions is how many partition leases this node holds (0 when the
// store is not shared), for metrics.
func (e *Engine) HeldPartitions() int {
	if e.own == nil {
		return 0
	}
	return len(e.own.partitions())
}

// requeueActivity queues an activity task again while it is still waiting
// for a worker: after a hand-out that could not be recorded, or on recovery
// (a node may have died between taking a task off the queue and recording
// it). A duplicate entry is harmless: a poll that finds the task already
// started skips it.
func (e *Engine) requeueActivity(ctx context.Context, tk Token) {
	if err := e.requeueOnce(ctx, tk); err != nil {
		e.log.Warn("activity task not requeued", slog.String("execution_id", tk.ExecutionID), slog.Any("error", err))
	}
}

// requeueUntilDone is requeueActivity for a task this node popped and
// could not hand out: the store just failed, so the requeue is tried
// again in the background, backing off, until it sticks or the engine
// stops. Otherwise a second failure would leave the task in no queue, and
// an activity without a timeout would wait for ever.
func (e *Engine) requeueUntilDone(tk Token) {
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
			err := e.requeueOnce(e.ctx, tk)
			if err == nil || e.ctx.Err() != nil {
				return
			}
			e.log.Warn("activity task not requeued yet; retrying", slog.String("execution_id", tk.ExecutionID), slog.Any("error", err))
			select {
			case <-e.ctx.Done():
				return
			case <-e.cfg.Clock.After(backoff):
			}
		}
	}()
}

// requeueOnce queues the task again if it still waits for a worker; nil
// when it does not (any more).
func (e *Engine) requeueOnce(ctx context.Context, tk Token) error {
	_, _, err := e.modify(ctx, tk.ExecutionID, func(r *run) bool {
		t := r.threads[tk.Thread]
		if r.status != store.StatusRunning || t == nil || t.Phase != phaseTask || t.Task == nil ||
			t.Task.ScheduledID != tk.ScheduledID || t.Task.Secret != tk.Secret || t.Task.Started {
			return false
		}
		s := r.state(t)
		if s == nil || s.Task == nil || s.Task.Kind != dsl.ActivityTask {
			return false
		}
		r.activities = append(r.activities, r.queuedTask(t, s))
		return true
	})
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	return err
}

// latestTTL is how long a node trusts the latest version it read of a state
// machine. Starts on this node see its own PUT and DELETE at once; a change
// made on another node reaches this node's starts within latestTTL. It saves
// a store round trip (and the definition's bytes) on every start.
const latestTTL = 250 * time.Millisecond

type latestEntry struct {
	version int
	until   time.Time
}

func (e *Engine) latestVersion(ctx context.Context, name string) (int, error) {
	now := time.Now()
	e.latestMu.Lock()
	ent, ok := e.latest[name]
	e.latestMu.Unlock()
	if ok && now.Before(ent.until) {
		return ent.version, nil
	}
	sm, err := e.store.GetStateMachine(ctx, name, 0)
	if err != nil {
		return 0, err
	}
	e.latestMu.Lock()
	if len(e.latest) > 10000 {
		clear(e.latest) // bounded: names come from users
	}
	e.latest[name] = latestEntry{version: sm.Version, until: now.Add(latestTTL)}
	e.latestMu.Unlock()
	return sm.Version, nil
}

func (e *Engine) forgetLatest(name string) {
	e.latestMu.Lock()
	delete(e.latest, name)
	e.latestMu.Unlock()
}

// DeleteStateMachine deletes a state machine; running executions finish on
// their pinned version.
func (e *Engine) DeleteStateMachine(ctx context.Context, name string) error {
	e.forgetLatest(name)
	defer e.forgetLatest(name)
	return e.store.DeleteStateMachine(ctx, name)
}
