package faultstore

import (
	"context"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Op names a store operation.
type Op string

// The operations faults can be injected into.
const (
	PutStateMachine        Op = "PutStateMachine"
	GetStateMachine        Op = "GetStateMachine"
	GetStateMachineVersion Op = "GetStateMachineVersion"
	ListStateMachines      Op = "ListStateMachines"
	DeleteStateMachine     Op = "DeleteStateMachine"
	CreateExecution        Op = "CreateExecution"
	GetExecution           Op = "GetExecution"
	Commit                 Op = "Commit"
	History                Op = "History"
	ListExecutions         Op = "ListExecutions"
	Due                    Op = "Due"
	PopActivity            Op = "PopActivity"
	DropActivity           Op = "DropActivity"
	Ping                   Op = "Ping"
	AcquireLease           Op = "AcquireLease"
	RenewLeases            Op = "RenewLeases"
	ReleaseLease           Op = "ReleaseLease"
	Heartbeat              Op = "Heartbeat"
	Leave                  Op = "Leave"
	GetDoc                 Op = "GetDoc"
	PutDoc                 Op = "PutDoc"
	DeleteDoc              Op = "DeleteDoc"
	ListDocs               Op = "ListDocs"
)

// ErrInjected is the default error of a fault.
var ErrInjected = errors.New("faultstore: injected fault")

// Rule is one kind of fault.
type Rule struct {
	Op Op
	// Probability that a call of Op is hit; 0 means every call (until Count).
	Probability float64
	// Count is how many calls the rule hits at most; 0 is no limit.
	Count int
	// Delay is waited before the call (or the error); the caller's context
	// cuts it short.
	Delay time.Duration
	// Err is returned by a hit call; nil with Delay alone only delays, nil
	// without Delay is ErrInjected.
	Err error
	// Applied performs the call and returns Err afterwards when it
	// succeeded: an ambiguous write that "timed out but succeeded".
	Applied bool
	// Match, when set, limits the rule to calls about an execution id it
	// accepts (calls without an id never match).
	Match func(id string) bool
}

type rule struct {
	Rule
	hits int
}

// Faults controls the faults of one wrapped store. It is safe for
// concurrent use.
type Faults struct {
	mu    sync.Mutex
	rules []*rule
	rnd   *rand.Rand
	hits  map[Op]int
	calls map[Op]int
}

// Wrap returns inner with faults injected and the control of the faults.
// seed makes probabilistic faults repeatable.
func Wrap(inner store.Store, seed uint64) (store.Store, *Faults) {
	f := &Faults{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), hits: map[Op]int{}, calls: map[Op]int{}}
	base := &Store{inner: inner, f: f}
	leaser, isLeaser := inner.(store.Leaser)
	nodes, isNodes := inner.(store.NodeRegistry)
	switch {
	case isLeaser && isNodes:
		return &sharedStore{leasedStore{base, leaser}, nodes}, f
	case isLeaser:
		return &leasedStore{base, leaser}, f
	}
	return base, f
}

// Add adds a rule; remove takes it away again.
func (f *Faults) Add(r Rule) (remove func()) {
	if r.Err == nil && r.Delay == 0 {
		r.Err = ErrInjected
	}
	rr := &rule{Rule: r}
	f.mu.Lock()
	f.rules = append(f.rules, rr)
	f.mu.Unlock()
	return func() {
		f.mu.Lock()
		defer f.mu.Unlock()
		for i, x := range f.rules {
			if x == rr {
				f.rules = append(f.rules[:i], f.rules[i+1:]...)
				return
			}
		}
	}
}

// Clear removes every rule.
func (f *Faults) Clear() {
	f.mu.Lock()
	f.rules = nil
	f.mu.Unlock()
}

// Hits returns how many calls of op a rule hit.
func (f *Faults) Hits(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.hits[op]
}

// Calls returns how many calls of op were made.
func (f *Faults) Calls(op Op) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls[op]
}

// pick returns the rule that hits this call, if any.
func (f *Faults) pick(op Op, id string) *Rule {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls[op]++
	for _, r := range f.rules {
		if r.Op != op || (r.Count > 0 && r.hits >= r.Count) {
			continue
		}
		if r.Match != nil && (id == "" || !r.Match(id)) {
			continue
		}
		if r.Probability > 0 && f.rnd.Float64() >= r.Probability {
			continue
		}
		r.hits++
		f.hits[op]++
		c := r.Rule
		return &c
	}
	return nil
}

// do runs one call under the faults of op.
func do(ctx context.Context, f *Faults, op Op, id string, call func() error) error {
	r := f.pick(op, id)
	if r == nil {
		return call()
	}
	if r.Delay > 0 {
		t := time.NewTimer(r.Delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
	if r.Err == nil {
		return call()
	}
	if r.Applied {
		if err := call(); err != nil {
			return err
		}
	}
	return r.Err
}
