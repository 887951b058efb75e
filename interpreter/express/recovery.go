package express

// Asynchronous Express starts run at least once. Each is a document in the
// shared store (kind kindStart, named by the execution id) that names the
// node running it, written before the run starts and removed when it ends.
// Its input (up to the payload limit, 256 KiB by default) is a document of
// its own (kindInput, same name), read only by the node that claims the
// start: every node lists every start document each RecoverEvery, and that
// listing reads small documents only (about 250 bytes each: at 10 s and
// the default MaxRunning, a node's round over N full nodes reads about
// N × 2.5 MB). The start is written before its input and removed after it,
// so a start without its input was never acknowledged (its node died
// between the two writes, or the second failed and its caller was told)
// or has ended: recovery drops it.
// Each node keeps a heartbeat document (kindNode) whose expiry it pushes
// forward every NodeTTL/3. A node's recovery looks over the start
// documents every RecoverEvery: one whose node's heartbeat has lapsed (or
// that names this node but was written before this process started: a
// crash and restart under the same --node) is claimed by compare-and-set
// on its revision, so that one node wins, and run again under the same id.
//
// The heartbeats are documents of their own rather than the engine's node
// registry (store.NodeRegistry): a name added there would be given
// partitions by the engines' rendezvous hashing, and the registry has no
// read that does not also renew.

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
)

// Document kinds.
const (
	kindStart = "express-start"
	kindInput = "express-input" // Data is the start's input, as it is
	kindNode  = "express-node"
)

// startDoc is an asynchronous start as the shared store keeps it.
type startDoc struct {
	Node         string `json:"node"`
	StateMachine string `json:"stateMachine"`
	Version      int    `json:"version"`
	Name         string `json:"name"`
	// InputBytes is the size of its input (kindInput), which a node counts
	// against its MaxBytes before it claims the start.
	InputBytes int64     `json:"inputBytes"`
	StartedAt  time.Time `json:"startedAt"`
	// WrittenAt is when Node took the start (first, or by a claim).
	WrittenAt time.Time `json:"writtenAt"`
	// Runs counts the times the start was taken: 1, then one more per
	// recovery.
	Runs int `json:"runs"`
}

// nodeDoc is a node's heartbeat.
type nodeDoc struct {
	Until time.Time `json:"until"`
}

// putStart records an asynchronous start before it runs: the start, then
// its input.
func (r *Runner) putStart(ctx context.Context, x *run) error {
	data, err := json.Marshal(startDoc{Node: r.cfg.Node, StateMachine: x.res.StateMachine, Version: x.res.Version,
		Name: x.res.Name, InputBytes: int64(len(x.res.Input)), StartedAt: x.res.StartedAt, WrittenAt: r.cfg.Now().UTC(), Runs: 1})
	if err != nil {
		return err
	}
	if _, err := r.cfg.Store.PutDoc(ctx, store.Doc{Kind: kindStart, Name: x.res.ID, Data: data}); err != nil {
		return err
	}
	if _, err := r.cfg.Store.PutDoc(ctx, store.Doc{Kind: kindInput, Name: x.res.ID, Data: x.res.Input}); err != nil {
		// The caller is told it did not start; what is left of it is
		// dropped by a recovery round if this fails too.
		dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if derr := r.dropStart(dctx, x.res.ID); derr != nil {
			r.log.Warn("removing a failed Express start failed", slog.String("execution_id", x.res.ID), slog.Any("error", derr))
		}
		return err
	}
	return nil
}

// dropStart removes a start's documents: its input first, so that a start
// never outlives it unnoticed (see above).
func (r *Runner) dropStart(ctx context.Context, id string) error {
	if err := r.cfg.Store.DeleteDoc(ctx, kindInput, id); err != nil {
		return err
	}
	return r.cfg.Store.DeleteDoc(ctx, kindStart, id)
}

// removeStart removes a start's documents once its run ended, unless
// another node has claimed it meanwhile (this node was thought dead): that
// node's run removes them when it ends. A start already gone may have been
// dropped while this node wrote its input: the input goes too.
func (r *Runner) removeStart(x *run) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.ctx), 5*time.Second)
	defer cancel()
	d, err := r.cfg.Store.GetDoc(ctx, kindStart, x.res.ID)
	switch {
	case errors.Is(err, store.ErrNotFound):
		err = r.cfg.Store.DeleteDoc(ctx, kindInput, x.res.ID)
	case err == nil:
		var s startDoc
		if json.Unmarshal(d.Data, &s) == nil && s.Node != r.cfg.Node {
			return
		}
		err = r.dropStart(ctx, x.res.ID)
	}
	if err != nil {
		// The start stays and is run again later: at least once.
		r.log.Warn("removing an ended Express start failed: it will run again", slog.String("execution_id", x.res.ID), slog.Any("error", err))
	}
}

// heartbeat is this node's heartbeat document.
type heartbeat struct {
	mu  sync.Mutex
	rev int64
}

// beat pushes this node's expiry NodeTTL ahead.
func (h *heartbeat) beat(ctx context.Context, r *Runner) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	data, _ := json.Marshal(nodeDoc{Until: r.cfg.Now().UTC().Add(r.cfg.NodeTTL)})
	for range 3 {
		rev, err := r.cfg.Store.PutDoc(ctx, store.Doc{Kind: kindNode, Name: r.cfg.Node, Data: data, Rev: h.rev})
		if err == nil {
			h.rev = rev
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return err
		}
		// Written by an earlier process under this name, or removed by
		// a node that found it long expired: take it over.
		d, gerr := r.cfg.Store.GetDoc(ctx, kindNode, r.cfg.Node)
		switch {
		case errors.Is(gerr, store.ErrNotFound):
			h.rev = 0
		case gerr != nil:
			return gerr
		default:
			h.rev = d.Rev
		}
	}
	return store.ErrConflict
}

// leave removes this node's heartbeat at shutdown, so that the starts it
// leaves are run again at once.
func (h *heartbeat) leave(ctx context.Context, r *Runner) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := r.cfg.Store.DeleteDoc(ctx, kindNode, r.cfg.Node); err != nil {
		r.log.Warn("removing the Express heartbeat failed", slog.Any("error", err))
	}
	h.rev = 0
}

func (r *Runner) runHeartbeat(ctx context.Context) {
	t := time.NewTicker(r.cfg.NodeTTL / 3)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := r.hb.beat(ctx, r); err != nil && ctx.Err() == nil {
			r.log.Warn("Express heartbeat failed", slog.Any("error", err))
		}
	}
}

func (r *Runner) runRecovery(ctx context.Context) {
	t := time.NewTicker(r.cfg.RecoverEvery)
	defer t.Stop()
	if r.cfg.hooks.noFirstRound {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	for {
		if n, err := r.Recover(ctx); err != nil && ctx.Err() == nil {
			r.log.Warn("recovering Express starts failed", slog.Any("error", err))
		} else if n > 0 {
			r.log.Info("Express starts of lost nodes run again", slog.Int("count", n))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// recoverPage is how many start documents one read lists.
const recoverPage = 100

// Recover looks over the start documents once, runs again those whose node
// is gone, and returns how many it took. It runs every RecoverEvery on its
// own; tests call it to make a round happen now.
func (r *Runner) Recover(ctx context.Context) (int, error) {
	// One round at a time: a start this round has claimed is this node's
	// and not running yet, which another round would take for ended.
	r.recovering.Lock()
	defer r.recovering.Unlock()
	now := r.cfg.Now()
	alive := map[string]bool{r.cfg.Node: true}
	seen := map[string]bool{}
	taken := 0
	cursor := ""
	for {
		docs, next, err := r.cfg.Store.ListDocs(ctx, kindStart, cursor, recoverPage)
		if err != nil {
			return taken, err
		}
		for _, d := range docs {
			seen[d.Name] = true
			var s startDoc
			if err := json.Unmarshal(d.Data, &s); err != nil {
				r.log.Warn("unreadable Express start document skipped", slog.String("execution_id", d.Name), slog.Any("error", err))
				continue
			}
			switch r.judge(ctx, d.Name, s, alive, now) {
			case keep:
			case rerun:
				ok, err := r.claim(ctx, d, s)
				if err != nil {
					return taken, err
				}
				if ok {
					taken++
				}
			case ended:
				if err := r.dropStart(ctx, d.Name); err != nil {
					return taken, err
				}
			}
		}
		if next == "" {
			break
		}
		cursor = next
	}
	for id := range r.unclaimed {
		if !seen[id] { // ended or dropped elsewhere
			delete(r.unclaimed, id)
		}
	}
	return taken, r.forgetDeadNodes(ctx, now)
}

// verdict is what recovery does with a start document.
type verdict int

const (
	keep  verdict = iota // its run is alive, here or on a live node
	rerun                // its node is gone: run it again
	ended                // it ran here, and removing it failed then: remove it now
)

// judge decides about one start document. Another node's start is run
// again when that node's heartbeat has lapsed. One of this node's not
// running here either was written before this process started (a crash
// and a restart under the same Node: run it again), or was claimed here
// but could neither run nor be given back (unclaimed: run it again), or
// has ended, its removal having failed (or having happened since it was
// listed) — unless this node is stopping: then it may have been cut, and
// is left for the node that runs it again.
func (r *Runner) judge(ctx context.Context, id string, s startDoc, alive map[string]bool, now time.Time) verdict {
	if s.Node == r.cfg.Node {
		// Runs are cut only once stopping is set: both read at once, a
		// start that is not running was not cut unless stopping.
		r.mu.Lock()
		_, running := r.running[id]
		stopping := r.stopping
		r.mu.Unlock()
		switch {
		case running || stopping:
			return keep
		case s.WrittenAt.Before(r.bootedAt), r.unclaimed[id]:
			return rerun
		}
		return ended
	}
	live, known := alive[s.Node]
	if !known {
		live = true // a read that fails leaves the start alone
		d, err := r.cfg.Store.GetDoc(ctx, kindNode, s.Node)
		var n nodeDoc
		switch {
		case errors.Is(err, store.ErrNotFound):
			live = false
		case err == nil && json.Unmarshal(d.Data, &n) == nil:
			live = n.Until.After(now)
		}
		alive[s.Node] = live
	}
	if live {
		return keep
	}
	return rerun
}

// claim takes a lost start for this node (compare-and-set: of several
// nodes recovering at once, one wins) and runs it again under its id.
// It returns false when the start was not run: another node was quicker,
// this node is full, or the run could not begin. A start that can never
// run is then dropped; one that may run later is given back as it was,
// for a later round (here or on another node) to take again.
func (r *Runner) claim(ctx context.Context, d store.Doc, s startDoc) (bool, error) {
	r.mu.Lock()
	full := r.stopping || len(r.running) >= r.cfg.MaxRunning || r.bytes+s.InputBytes > r.cfg.MaxBytes
	r.mu.Unlock()
	if full {
		return false, nil
	}
	if r.cfg.hooks.beforeClaim != nil {
		r.cfg.hooks.beforeClaim(d.Name)
	}
	from, runs, written := s.Node, s.Runs+1, s.WrittenAt
	s.Node, s.WrittenAt, s.Runs = r.cfg.Node, r.cfg.Now().UTC(), runs
	data, err := json.Marshal(s)
	if err != nil {
		return false, err
	}
	rev, err := r.cfg.Store.PutDoc(ctx, store.Doc{Kind: kindStart, Name: d.Name, Data: data, Rev: d.Rev})
	if err != nil {
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		// The write may have been applied (its reply lost): should the
		// start name this node now, the next round claims it again
		// rather than taking it for ended.
		r.unclaimed[d.Name] = true
		return false, err
	}
	in, err := r.cfg.Store.GetDoc(ctx, kindInput, d.Name)
	switch {
	case errors.Is(err, store.ErrNotFound) && r.cfg.Now().Sub(written) < r.cfg.NodeTTL:
		// Written within a node's lifetime: its node may only be slow,
		// between the start and the input, and still acknowledge and run
		// it. Given back; a later round decides.
		r.giveBack(ctx, d, rev, err)
		return false, nil
	case errors.Is(err, store.ErrNotFound):
		delete(r.unclaimed, d.Name)
		r.log.Info("Express start without its input dropped: it was never acknowledged, or it has ended", slog.String("execution_id", d.Name))
		return false, r.dropStart(ctx, d.Name)
	case err != nil:
		r.giveBack(ctx, d, rev, err)
		return false, nil
	}
	if r.cfg.hooks.claimed != nil {
		r.cfg.hooks.claimed(d.Name)
	}
	r.log.Info("Express start of a lost node run again", slog.String("execution_id", d.Name), slog.String("state_machine", s.StateMachine),
		slog.String("lost_node", from), slog.Int("runs", runs))
	_, err = r.begin(ctx, beginParams{Start: Start{StateMachine: s.StateMachine, Version: s.Version, Name: s.Name, Input: in.Data},
		id: d.Name, owned: true, startedAt: s.StartedAt})
	if err == nil {
		delete(r.unclaimed, d.Name)
		return true, nil
	}
	if cannotRun(err) {
		delete(r.unclaimed, d.Name)
		r.log.Error("Express start dropped: it cannot run", slog.String("execution_id", d.Name), slog.String("state_machine", s.StateMachine), slog.Any("error", err))
		return false, r.dropStart(ctx, d.Name)
	}
	r.giveBack(ctx, d, rev, err)
	return false, nil
}

// giveBack restores a claimed start that could not begin here (err) to
// what it was before the claim, so that its node still counts as lost and
// a later round takes it again. Should that write fail too, the start
// names this node without running here, which a round takes for ended:
// unclaimed makes this node's next round claim it again instead.
func (r *Runner) giveBack(ctx context.Context, d store.Doc, claimedRev int64, err error) {
	r.log.Warn("Express start of a lost node could not run here now: given back", slog.String("execution_id", d.Name), slog.Any("error", err))
	// The round's context may be why (Stop): the write must still happen.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	defer cancel()
	_, perr := r.cfg.Store.PutDoc(ctx, store.Doc{Kind: kindStart, Name: d.Name, Data: d.Data, Rev: claimedRev})
	switch {
	case perr == nil, errors.Is(perr, store.ErrConflict): // given back, or taken by another node since
		delete(r.unclaimed, d.Name)
	default:
		r.log.Warn("giving back an Express start failed: this node takes it again", slog.String("execution_id", d.Name), slog.Any("error", perr))
		r.unclaimed[d.Name] = true
	}
}

// cannotRun tells the errors of a start that no retry can mend: its state
// machine version does not exist, its definition is one Express cannot run
// (remembered by definitions), its input is over the payload limit, or it
// has run here already. Any other error (the store failing for a while,
// this node full or stopping) may pass.
func cannotRun(err error) bool {
	var (
		unsupported *UnsupportedError
		invalid     *interpreter.InvalidDefinitionError
		unrunnable  *unrunnableError
	)
	return errors.Is(err, store.ErrNotFound) || errors.As(err, &unsupported) || errors.As(err, &invalid) || errors.As(err, &unrunnable) ||
		errors.Is(err, interpreter.ErrPayloadTooLarge) || errors.Is(err, store.ErrAlreadyExists)
}

// deadNodeKeep is how long after its expiry a node's heartbeat document is
// kept, in NodeTTLs: long enough that every node's recovery has seen it
// lapse.
const deadNodeKeep = 10

// forgetDeadNodes removes heartbeat documents long expired.
func (r *Runner) forgetDeadNodes(ctx context.Context, now time.Time) error {
	cursor := ""
	for {
		docs, next, err := r.cfg.Store.ListDocs(ctx, kindNode, cursor, recoverPage)
		if err != nil {
			return err
		}
		for _, d := range docs {
			var n nodeDoc
			if d.Name == r.cfg.Node || json.Unmarshal(d.Data, &n) != nil {
				continue
			}
			if n.Until.Add(deadNodeKeep * r.cfg.NodeTTL).Before(now) {
				if err := r.cfg.Store.DeleteDoc(ctx, kindNode, d.Name); err != nil {
					return err
				}
			}
		}
		if next == "" {
			return nil
		}
		cursor = next
	}
}
