package interpreter

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"os"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/interpreter/itemio"
	"github.com/sfn-project/sfn/mockconfig"
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
	// ContextIDs, when set, names executions in the context object: the
	// $$.Execution.Id and $$.Execution.Name of the execution stored as id
	// (ok false: the stored ones). Express runs use it: a node keeps them
	// under a UUID of its own, and they show their express ARN and the
	// name their caller gave.
	ContextIDs func(id string) (execID, execName string, ok bool)
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
	// CheckCachedThreads checks every reuse of a thread the record cache
	// kept decoded against its committed bytes, and fails the step on a
	// mismatch (tests set it); otherwise one reuse in 1,024 is checked and
	// a mismatch is decoded again and counted (CachedThreadMismatches).
	CheckCachedThreads bool
	// Space is the region and account that ARNs name (default
	// arn.DefaultSpace): $$.Execution.Id and $$.StateMachine.Id of the
	// executions this node starts are ARNs in it. Every node sharing a
	// store must have the same one (the AWS API records it in the store).
	Space arn.Space
	// Mocks is the mock configuration (AWS's mock configuration file) of
	// `sfn serve --mock-config`: an execution started with one of its test
	// cases (StartParams.TestCase) has its task calls answered by the test
	// case's mocked responses, for the states the test case names; the
	// other states run for real. Nil: starting with a test case is refused.
	Mocks *mockconfig.Config
	// ResolveMachine resolves the StateMachineArn of a startExecution task
	// (a child execution): a name, or an ARN of this server, of a state
	// machine, a version or an alias. Nil resolves names, state machine
	// ARNs and version ARNs (as revisions) in Space; the AWS API sets it to
	// resolve its published versions and aliases. store.ErrNotFound: no
	// such state machine.
	ResolveMachine func(ctx context.Context, ref string) (MachineRef, error)
	// ItemIO reads the items of distributed Maps with an ItemReader and
	// writes the results of those with a ResultWriter (object stores, the
	// HTTP reader); nil: such Maps fail with States.ItemReaderFailed or
	// States.ResultWriterFailed, saying that nothing is configured.
	ItemIO *itemio.IO
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
	if c.Limits.StepBytes <= 0 {
		c.Limits.StepBytes = DefaultLimits.StepBytes
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
	if c.Space == (arn.Space{}) {
		c.Space = arn.DefaultSpace
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

	locks   execLocks    // serialise changes to one execution within this node
	records *recordCache // the last record this node committed, per running execution

	timers   *timerQueue
	own      *ownership // nil when the store does not share work between nodes
	recovery *recovery  // nil without own

	inflightMu sync.Mutex
	inflight   map[string]context.CancelFunc // task token -> cancel

	rechecks *rechecks // executions to look at again after a commit of unknown outcome

	inbox  runInbox   // Map Run children's ends to tell their parents
	chunks chunkCache // the children's inputs of chunked Map Runs, decoded
	active activeSet  // Map Runs' readings and writings under way here
	// runSweep is where the janitor's look through Map Run records goes on
	// (its goroutine's alone).
	runSweep string

	pollMu  sync.Mutex
	pollers map[string]chan struct{} // activity -> closed when a task arrives

	latestMu sync.Mutex
	latest   map[string]latestEntry // state machine -> its latest version, briefly

	limits      limitCache  // the call limits, briefly (limits.go)
	slotNotices slotNotices // wakes this node's calls waiting for a key's slot

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
		timers: newTimerQueue(), inflight: map[string]context.CancelFunc{}, rechecks: newRechecks(), pollers: map[string]chan struct{}{},
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

// Clock is the engine's clock (Config.Clock, or real time): what runs
// beside the engine (schedules) keeps the same time.
func (e *Engine) Clock() Clock { return e.cfg.Clock }

// HTTPClient is the client of the engine's http:invoke tasks: the
// allow-list and connections they go through (TestState's HTTP tasks use
// it too).
func (e *Engine) HTTPClient() *httptask.Client { return e.cfg.HTTP }

// Space returns the region and account the engine's ARNs name.
func (e *Engine) Space() arn.Space { return e.cfg.Space }

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
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.runRechecks(e.ctx)
	}()
	e.refreshLimits(e.ctx)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		e.runLimitRefresh(e.ctx)
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
