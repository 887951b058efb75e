package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/store"
)

// op is one kind of store call.
type op int

const (
	opPutStateMachine op = iota
	opGetStateMachine
	opGetStateMachineVersion
	opListStateMachines
	opDeleteStateMachine
	opCreateExecution
	opGetExecution
	opCommit
	opHistory
	opListExecutions
	opDue
	opPopActivity
	opDropActivity
	opPing
	opAcquireLease
	opRenewLeases
	opReleaseLease
	opHeartbeat
	opLeave
	opDueIn
	opInFlight
	opAddInFlight
	opRunning
	opRebuilt
	opMarkRebuilt
	opOpenCounts
	opRecountOpen
	opGetDoc
	opPutDoc
	opDeleteDoc
	opListDocs
	numOps
)

var opNames = [numOps]string{
	"put_state_machine", "get_state_machine", "get_state_machine_version", "list_state_machines",
	"delete_state_machine", "create_execution", "get_execution", "commit", "history", "list_executions",
	"due", "pop_activity", "drop_activity", "ping", "acquire_lease", "renew_leases", "release_lease", "heartbeat", "leave",
	"due_in", "in_flight", "add_in_flight", "running", "rebuilt", "mark_rebuilt", "open_counts", "recount_open",
	"get_doc", "put_doc", "delete_doc", "list_docs",
}

// Error kinds of sfn_store_errors_total.
const (
	errKindError     = "error"      // anything unexpected: the store is in trouble
	errKindTimeout   = "timeout"    // the call ran out of time
	errKindConflict  = "conflict"   // compare-and-set lost: normal under contention
	errKindLeaseLost = "lease_lost" // a stale owner's commit was refused
)

type storeMetrics struct {
	duration *prometheus.HistogramVec
	errors   *prometheus.CounterVec
	// observers are curried per op, so that a call does no label hashing.
	observers [numOps]prometheus.Observer
}

func newStoreMetrics() *storeMetrics {
	s := &storeMetrics{
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "sfn_store_operation_duration_seconds", Help: "Time store operations took, by operation.",
			Buckets: storeBuckets,
		}, []string{"op"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "sfn_store_errors_total", Help: "Store operations that failed, by operation and kind (error, timeout, conflict, lease_lost). Not found and already exists are answers, not errors.",
		}, []string{"op", "kind"}),
	}
	for i := range numOps {
		s.observers[i] = s.duration.WithLabelValues(opNames[i])
	}
	return s
}

func (s *storeMetrics) done(o op, start time.Time, err error) {
	s.observers[o].Observe(time.Since(start).Seconds())
	if kind := errKind(err); kind != "" {
		s.errors.WithLabelValues(opNames[o], kind).Inc()
	}
}

// errKind classifies an error; "" for no error and for the errors that are
// ordinary answers.
func errKind(err error) string {
	switch {
	case err == nil,
		errors.Is(err, store.ErrNotFound),
		errors.Is(err, store.ErrAlreadyExists),
		errors.Is(err, store.ErrInvalidCursor),
		errors.Is(err, context.Canceled): // the caller left
		return ""
	case errors.Is(err, store.ErrConflict), errors.Is(err, store.ErrTaskTaken): // a poller elsewhere claimed the task first
		return errKindConflict
	case errors.Is(err, store.ErrLeaseLost):
		return errKindLeaseLost
	case errors.Is(err, context.DeadlineExceeded):
		return errKindTimeout
	}
	return errKindError
}

// WrapStore returns st with every operation timed and its errors counted.
// When st implements store.Leaser and store.NodeRegistry, so does the
// result (either, both or neither).
func (m *Metrics) WrapStore(st store.Store) store.Store {
	w := &timedStore{inner: st, m: m.store}
	l, isLeaser := st.(store.Leaser)
	n, isRegistry := st.(store.NodeRegistry)
	switch {
	case isLeaser && isRegistry:
		return &timedCluster{timedLeaser: &timedLeaser{timedStore: w, leaser: l}, nodes: n}
	case isLeaser:
		return &timedLeaser{timedStore: w, leaser: l}
	case isRegistry:
		return &timedNodes{timedStore: w, nodes: n}
	}
	return w
}

// timedStore delegates to inner, timing each call.
type timedStore struct {
	inner store.Store
	m     *storeMetrics
}

var _ store.Store = (*timedStore)(nil)

// Unwrap returns the wrapped store.
func (t *timedStore) Unwrap() store.Store { return t.inner }

func (t *timedStore) PutStateMachine(ctx context.Context, sm store.StateMachine) (store.StateMachine, store.PutResult, error) {
	start := time.Now()
	out, res, err := t.inner.PutStateMachine(ctx, sm)
	t.m.done(opPutStateMachine, start, err)
	return out, res, err
}

func (t *timedStore) GetStateMachine(ctx context.Context, name string, version int) (store.StateMachine, error) {
	start := time.Now()
	out, err := t.inner.GetStateMachine(ctx, name, version)
	t.m.done(opGetStateMachine, start, err)
	return out, err
}

func (t *timedStore) GetStateMachineVersion(ctx context.Context, name string, version int) (store.StateMachine, error) {
	start := time.Now()
	out, err := t.inner.GetStateMachineVersion(ctx, name, version)
	t.m.done(opGetStateMachineVersion, start, err)
	return out, err
}

func (t *timedStore) ListStateMachines(ctx context.Context, cursor string, limit int) ([]store.StateMachine, string, error) {
	start := time.Now()
	out, next, err := t.inner.ListStateMachines(ctx, cursor, limit)
	t.m.done(opListStateMachines, start, err)
	return out, next, err
}

func (t *timedStore) DeleteStateMachine(ctx context.Context, name string) error {
	start := time.Now()
	err := t.inner.DeleteStateMachine(ctx, name)
	t.m.done(opDeleteStateMachine, start, err)
	return err
}

func (t *timedStore) CreateExecution(ctx context.Context, p store.CreateParams) (string, error) {
	start := time.Now()
	id, err := t.inner.CreateExecution(ctx, p)
	t.m.done(opCreateExecution, start, err)
	return id, err
}

func (t *timedStore) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	start := time.Now()
	out, err := t.inner.GetExecution(ctx, id)
	t.m.done(opGetExecution, start, err)
	return out, err
}

func (t *timedStore) Commit(ctx context.Context, p store.CommitParams) error {
	start := time.Now()
	err := t.inner.Commit(ctx, p)
	t.m.done(opCommit, start, err)
	return err
}

func (t *timedStore) History(ctx context.Context, q store.HistoryQuery) ([]store.Event, error) {
	start := time.Now()
	out, err := t.inner.History(ctx, q)
	t.m.done(opHistory, start, err)
	return out, err
}

func (t *timedStore) ListExecutions(ctx context.Context, q store.ListQuery) ([]store.Summary, string, error) {
	start := time.Now()
	out, next, err := t.inner.ListExecutions(ctx, q)
	t.m.done(opListExecutions, start, err)
	return out, next, err
}

func (t *timedStore) Due(ctx context.Context, now time.Time, limit int) ([]string, error) {
	start := time.Now()
	out, err := t.inner.Due(ctx, now, limit)
	t.m.done(opDue, start, err)
	return out, err
}

// Watch is a subscription, not an operation with a latency: not timed.
func (t *timedStore) Watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	return t.inner.Watch(ctx, id)
}

// WatchStatus is a subscription too: not timed.
func (t *timedStore) WatchStatus(ctx context.Context, id string) (<-chan struct{}, func()) {
	return t.inner.WatchStatus(ctx, id)
}

func (t *timedStore) PopActivity(ctx context.Context, activity string) (*store.ActivityTask, error) {
	start := time.Now()
	out, err := t.inner.PopActivity(ctx, activity)
	t.m.done(opPopActivity, start, err)
	return out, err
}

func (t *timedStore) DropActivity(ctx context.Context, task *store.ActivityTask) (bool, error) {
	start := time.Now()
	removed, err := t.inner.DropActivity(ctx, task)
	t.m.done(opDropActivity, start, err)
	return removed, err
}

func (t *timedStore) Ping(ctx context.Context) error {
	start := time.Now()
	err := t.inner.Ping(ctx)
	t.m.done(opPing, start, err)
	return err
}

func (t *timedStore) Close() error { return t.inner.Close() }

func (t *timedStore) GetDoc(ctx context.Context, kind, name string) (store.Doc, error) {
	start := time.Now()
	d, err := t.inner.GetDoc(ctx, kind, name)
	t.m.done(opGetDoc, start, err)
	return d, err
}

func (t *timedStore) PutDoc(ctx context.Context, d store.Doc) (int64, error) {
	start := time.Now()
	rev, err := t.inner.PutDoc(ctx, d)
	t.m.done(opPutDoc, start, err)
	return rev, err
}

func (t *timedStore) DeleteDoc(ctx context.Context, kind, name string) error {
	start := time.Now()
	err := t.inner.DeleteDoc(ctx, kind, name)
	t.m.done(opDeleteDoc, start, err)
	return err
}

func (t *timedStore) ListDocs(ctx context.Context, kind, cursor string, limit int) ([]store.Doc, string, error) {
	start := time.Now()
	docs, next, err := t.inner.ListDocs(ctx, kind, cursor, limit)
	t.m.done(opListDocs, start, err)
	return docs, next, err
}

// timedLeaser is a timedStore over a store that also shares partitions.
type timedLeaser struct {
	*timedStore
	leaser store.Leaser
}

var _ store.Leaser = (*timedLeaser)(nil)

func (t *timedLeaser) AcquireLease(ctx context.Context, partition int, node string, ttl time.Duration) (int64, bool, error) {
	start := time.Now()
	fence, ok, err := t.leaser.AcquireLease(ctx, partition, node, ttl)
	t.m.done(opAcquireLease, start, err)
	return fence, ok, err
}

func (t *timedLeaser) RenewLeases(ctx context.Context, node string, partitions []int, ttl time.Duration) ([]int, error) {
	start := time.Now()
	lost, err := t.leaser.RenewLeases(ctx, node, partitions, ttl)
	t.m.done(opRenewLeases, start, err)
	return lost, err
}

func (t *timedLeaser) ReleaseLease(ctx context.Context, partition int, node string) error {
	start := time.Now()
	err := t.leaser.ReleaseLease(ctx, partition, node)
	t.m.done(opReleaseLease, start, err)
	return err
}

func (t *timedLeaser) Partitions() int { return t.leaser.Partitions() }

// timedNodes is a timedStore over a store that registers nodes.
type timedNodes struct {
	*timedStore
	nodes store.NodeRegistry
}

var _ store.NodeRegistry = (*timedNodes)(nil)

func (t *timedNodes) Heartbeat(ctx context.Context, node string, ttl time.Duration) ([]string, error) {
	return heartbeat(ctx, t.m, t.nodes, node, ttl)
}

func (t *timedNodes) Leave(ctx context.Context, node string) error {
	return leave(ctx, t.m, t.nodes, node)
}

// timedCluster is a timedStore over a store with leases and nodes (Redis,
// memory.Leased).
type timedCluster struct {
	*timedLeaser
	nodes store.NodeRegistry
}

var (
	_ store.Leaser       = (*timedCluster)(nil)
	_ store.NodeRegistry = (*timedCluster)(nil)
)

func (t *timedCluster) Heartbeat(ctx context.Context, node string, ttl time.Duration) ([]string, error) {
	return heartbeat(ctx, t.m, t.nodes, node, ttl)
}

func (t *timedCluster) Leave(ctx context.Context, node string) error {
	return leave(ctx, t.m, t.nodes, node)
}

func heartbeat(ctx context.Context, m *storeMetrics, n store.NodeRegistry, node string, ttl time.Duration) ([]string, error) {
	start := time.Now()
	alive, err := n.Heartbeat(ctx, node, ttl)
	m.done(opHeartbeat, start, err)
	return alive, err
}

func leave(ctx context.Context, m *storeMetrics, n store.NodeRegistry, node string) error {
	start := time.Now()
	err := n.Leave(ctx, node)
	m.done(opLeave, start, err)
	return err
}
