package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// consecutive reports whether events have the ids first, first+1, ….
func consecutive(evs []store.Event, first int64) error {
	for i, e := range evs {
		if want := first + int64(i); e.ID != want {
			return fmt.Errorf("event %d has id %d, want %d: %w", i, e.ID, want, store.ErrConflict)
		}
	}
	return nil
}

// taskArgs makes the queue elements of activity tasks (encodeQueued) and
// names their queues.
func (s *Store) taskArgs(p int, tasks []store.ActivityTask) (queues []string, elems []any, err error) {
	if len(tasks) == 0 {
		return nil, nil, nil
	}
	now := time.Now()
	queues, elems = make([]string, len(tasks)), make([]any, len(tasks))
	for i, t := range tasks {
		at := now
		if !t.QueuedAt.IsZero() {
			at = t.QueuedAt
		}
		if elems[i], err = encodeQueued(t, at); err != nil {
			return nil, nil, err
		}
		queues[i] = s.keys.activity(p, t.Activity)
	}
	return queues, elems, nil
}

// queuedHere notes, for this process's polls, the tasks a script queued
// (localQueue).
func (s *Store) queuedHere(tasks []store.ActivityTask, elems []any) {
	now := time.Now()
	for i, t := range tasks {
		s.local.add(t.Activity, elems[i].(string), now)
	}
}

// hintsOf names the hint sets of the activities of tasks, each once.
func (s *Store) hintsOf(tasks []store.ActivityTask) []string {
	var hints []string
	for i, t := range tasks {
		seen := false
		for _, u := range tasks[:i] {
			if u.Activity == t.Activity {
				seen = true
				break
			}
		}
		if !seen {
			hints = append(hints, s.keys.activityHint(t.Activity))
		}
	}
	return hints
}

// CreateExecution implements store.Store. The name is reserved in the
// execution's partition, which holds every execution of that name as long
// as ids derive from the state machine and the name (as the engine's do:
// <state machine>:<name>).
func (s *Store) CreateExecution(ctx context.Context, p store.CreateParams) (string, error) {
	r := p.Execution
	if r == nil {
		return "", errors.New("redis store: create: no execution")
	}
	if err := consecutive(p.Events, 1); err != nil {
		return "", fmt.Errorf("redis store: create %s: %w", r.ID, err)
	}
	part := s.partitionOf(r.ID)
	queues, tasks, err := s.taskArgs(part, p.Activities)
	if err != nil {
		return "", fmt.Errorf("redis store: create %s: %w", r.ID, err)
	}
	fields := createFields(r, len(p.Events))
	keys := append([]string{
		s.keys.record(part, r.ID), s.keys.history(part, r.ID), s.keys.name(part, r.StateMachine, r.Name),
		s.keys.due(part), s.keys.index(part, "", ""), s.keys.index(part, r.StateMachine, ""),
		s.keys.index(part, r.StateMachine, r.Status), s.keys.index(part, "", r.Status), s.keys.ended(part),
		s.keys.inflight(part), s.keys.open(part), s.keys.changes(part),
	}, queues...)
	due := ""
	if r.Status == store.StatusRunning {
		due = dueScore(r.DueAt)
	}
	open := ""
	if r.Status == store.StatusRunning {
		open = r.StateMachine
	}
	args := make([]any, 0, 15+len(fields)+len(p.Events)+len(tasks))
	args = append(args, r.ID, micros(r.StartedAt), due, s.keys.channel(part), s.publish(),
		len(fields)/2, len(p.Events), len(tasks), endedScore(r), flag(p.InFlight), open,
		s.changeArg(p.Change), s.changeMinID(), s.keys.statusChannel(part), r.Status)
	args = append(args, fields...)
	for _, e := range p.Events {
		args = append(args, e.Data)
	}
	args = append(args, tasks...)

	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.batch.runHinted(ctx, createScript, keys, args, s.hintsOf(p.Activities), strconv.Itoa(part)).StringSlice()
	if err != nil {
		return "", fmt.Errorf("redis store: create %s: %w", r.ID, err)
	}
	if len(res) == 2 && res[0] == "EXISTS" {
		return res[1], fmt.Errorf("redis store: create %s: execution name %q: %w", r.ID, r.Name, store.ErrAlreadyExists)
	}
	if len(res) != 1 || res[0] != "OK" {
		return "", fmt.Errorf("redis store: create %s: unexpected reply %v", r.ID, res)
	}
	s.queuedHere(p.Activities, tasks)
	return "", nil
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, id string) (*store.Execution, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	h, err := s.client.HGetAll(ctx, s.keys.record(s.partitionOf(id), id)).Result()
	if err != nil {
		return nil, fmt.Errorf("redis store: get %s: %w", id, err)
	}
	if len(h) == 0 {
		return nil, fmt.Errorf("redis store: execution %q: %w", id, store.ErrNotFound)
	}
	r, err := decodeRecord(id, h)
	if err != nil {
		return nil, fmt.Errorf("redis store: get %s: %w", id, err)
	}
	return r, nil
}

// Commit implements store.Store and the fencing of store.Leaser: a
// non-zero Fence must be the partition's current lease token.
func (s *Store) Commit(ctx context.Context, p store.CommitParams) error {
	if p.Record == nil {
		return fmt.Errorf("redis store: commit %s: no record", p.ID)
	}
	var first int64
	if len(p.Events) > 0 {
		first = p.Events[0].ID
		if err := consecutive(p.Events, first); err != nil {
			return fmt.Errorf("redis store: commit %s: %w", p.ID, err)
		}
	}
	part := s.partitionOf(p.ID)
	queues, tasks, err := s.taskArgs(part, p.Activities)
	if err != nil {
		return fmt.Errorf("redis store: commit %s: %w", p.ID, err)
	}
	fields := changedHeaderFields(p.Base, p.Record)
	for t, v := range p.SetThreads {
		fields = append(fields, threadPrefix+t, v)
	}
	r := p.Record
	due := ""
	if r.Status == store.StatusRunning {
		due = dueScore(r.DueAt)
	}
	keys := append([]string{s.keys.record(part, p.ID), s.keys.history(part, p.ID), s.keys.lease(part), s.keys.due(part),
		s.keys.ended(part), s.keys.inflight(part), s.keys.open(part), s.keys.changes(part)}, queues...)
	claim := ""
	if c := p.Claim; c != nil {
		if c.Held == "" || c.ExecutionID != p.ID {
			return fmt.Errorf("redis store: commit %s: the claimed task must be a held task of this execution", p.ID)
		}
		keys = append(keys, s.keys.activity(part, c.Activity))
		claim = c.Held
	}
	for _, w := range p.Withdraw {
		if w.ExecutionID != p.ID || w.QueuedAt.IsZero() {
			return fmt.Errorf("redis store: commit %s: a withdrawn task must be this execution's, with its QueuedAt", p.ID)
		}
	}
	withdrawQueues, withdrawn, err := s.taskArgs(part, p.Withdraw)
	if err != nil {
		return fmt.Errorf("redis store: commit %s: %w", p.ID, err)
	}
	keys = append(keys, withdrawQueues...)
	args := make([]any, 0, 19+len(fields)+len(p.DeleteThreads)+len(p.Events)+len(tasks)+len(withdrawn))
	args = append(args, strconv.FormatInt(p.ExpectedVersion, 10), strconv.FormatInt(p.Fence, 10), p.ID, due, r.Status,
		s.keys.partition(part), s.keys.channel(part), s.publish(),
		len(fields)/2, len(p.DeleteThreads), len(p.Events), len(tasks), first, endedScore(r), claim, len(withdrawn),
		flag(p.InFlight), s.changeArg(p.Change), s.changeMinID())
	args = append(args, fields...)
	for _, t := range p.DeleteThreads {
		args = append(args, threadPrefix+t)
	}
	for _, e := range p.Events {
		args = append(args, e.Data)
	}
	args = append(args, tasks...)
	args = append(args, withdrawn...)

	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.batch.runHinted(ctx, commitScript, keys, args, s.hintsOf(p.Activities), strconv.Itoa(part)).StringSlice()
	if err != nil {
		return fmt.Errorf("redis store: commit %s: %w", p.ID, err)
	}
	if len(res) == 0 {
		return fmt.Errorf("redis store: commit %s: empty reply", p.ID)
	}
	switch res[0] {
	case "OK":
		s.queuedHere(p.Activities, tasks)
		for i, w := range p.Withdraw {
			s.local.take(w.Activity, withdrawn[i].(string)) // no poll here holds it again
		}
		return nil
	case "TAKEN":
		// A task taken by a poller elsewhere is one stale entry; a task
		// behind a backlog means the held list is out of step.
		if n, _ := strconv.Atoi(at(res, 1)); p.Claim != nil && n > claimWindow {
			s.local.miss(p.Claim.Activity, time.Now())
		}
		return fmt.Errorf("redis store: commit %s: %w", p.ID, store.ErrTaskTaken)
	case "NOTFOUND":
		return fmt.Errorf("redis store: commit %s: %w", p.ID, store.ErrNotFound)
	case "LEASELOST":
		return fmt.Errorf("redis store: commit %s with fence %d, partition %d is at %s: %w", p.ID, p.Fence, part, at(res, 1), store.ErrLeaseLost)
	case "CONFLICT":
		return fmt.Errorf("redis store: commit %s at version %d, record is at %s: %w", p.ID, p.ExpectedVersion, at(res, 1), store.ErrConflict)
	case "GAP":
		return fmt.Errorf("redis store: commit %s: first event id %d, last event is %s: %w", p.ID, first, at(res, 1), store.ErrConflict)
	}
	return fmt.Errorf("redis store: commit %s: unexpected reply %v", p.ID, res)
}

// flag is a script's boolean argument.
func flag(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

func at(res []string, i int) string {
	if i < len(res) {
		return res[i]
	}
	return "?"
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) ([]store.Event, error) {
	part := s.partitionOf(q.ID)
	after := max(q.After, 0)
	rev := "0"
	if q.Reverse {
		rev = "1"
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := historyScript.Run(ctx, s.client, []string{s.keys.record(part, q.ID), s.keys.history(part, q.ID)},
		after, max(q.Limit, 0), rev).Slice()
	if errors.Is(err, goredis.Nil) {
		return nil, fmt.Errorf("redis store: history %s: %w", q.ID, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("redis store: history %s: %w", q.ID, err)
	}
	if len(res) != 2 {
		return nil, fmt.Errorf("redis store: history %s: unexpected reply", q.ID)
	}
	id, _ := res[0].(int64)
	page, _ := res[1].([]any)
	out := make([]store.Event, 0, len(page))
	for _, d := range page {
		data, _ := d.(string)
		out = append(out, store.Event{ID: id, Data: bytesOf(data)})
		if q.Reverse {
			id--
		} else {
			id++
		}
	}
	return out, nil
}
