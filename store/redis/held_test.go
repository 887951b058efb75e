package redis_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/storetest"
)

// heldNodes opens two stores (nodes) on one prefix: a always holds the
// tasks it queued, b never does.
func heldNodes(t *testing.T) (a, b *redis.Store) {
	t.Helper()
	url, prefix := sharedURL(t), newPrefix()
	a = open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 4, LocalPolls: 1})
	b = open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 4, LocalPolls: -1})
	t.Cleanup(func() { a.Close(); b.Close() })
	return a, b
}

// createWithTasks creates an execution that queues n tasks of activity A.
func createWithTasks(t *testing.T, s store.Store, name string, n int) *store.Execution {
	t.Helper()
	rec := &store.Execution{ID: "sm:" + name, StateMachine: "sm", Version: 1, Name: name, Status: store.StatusRunning,
		StartedAt: time.Now(), RecordVersion: 1, LastEventID: 1, Engine: []byte(`{}`)}
	var tasks []store.ActivityTask
	for i := range n {
		tasks = append(tasks, store.ActivityTask{Activity: "A", Token: fmt.Sprintf("%s-%d", name, i), ExecutionID: rec.ID, Input: []byte(`{}`)})
	}
	if _, err := s.CreateExecution(context.Background(), store.CreateParams{Execution: rec,
		Events: []store.Event{{ID: 1, Data: []byte(`{"type":"ExecutionStarted"}`)}}, Activities: tasks}); err != nil {
		t.Fatal(err)
	}
	return rec
}

// claim commits one event on rec's execution, claiming task.
func claim(s store.Store, rec *store.Execution, task *store.ActivityTask) error {
	ctx := context.Background()
	cur, err := s.GetExecution(ctx, rec.ID)
	if err != nil {
		return err
	}
	return s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: cur,
		Events: []store.Event{{ID: cur.LastEventID + 1, Data: []byte(`{"type":"TaskStarted"}`)}}, Claim: task})
}

// TestHeldTaskClaim: a held task leaves its queue with the commit that
// claims it, and only then; a second claim writes nothing.
func TestHeldTaskClaim(t *testing.T) {
	a, b := heldNodes(t)
	ctx := context.Background()
	rec := createWithTasks(t, a, "e", 1)
	held, err := a.PopActivity(ctx, "A")
	if err != nil || held.Held == "" {
		t.Fatalf("PopActivity on the node that queued the task: %+v, %v; want a held task", held, err)
	}
	// Still queued until claimed: the other node pops it.
	popped, err := b.PopActivity(ctx, "A")
	if err != nil || popped.Held != "" || popped.Token != held.Token {
		t.Fatalf("PopActivity on the other node: %+v, %v; want the same task, popped", popped, err)
	}
	before, _ := a.GetExecution(ctx, rec.ID)
	if err := claim(a, rec, held); !errors.Is(err, store.ErrTaskTaken) {
		t.Fatalf("claim of a task popped elsewhere: %v, want ErrTaskTaken", err)
	}
	if after, _ := a.GetExecution(ctx, rec.ID); after.RecordVersion != before.RecordVersion || after.LastEventID != before.LastEventID {
		t.Fatalf("a missed claim wrote: version %d → %d, last event %d → %d", before.RecordVersion, after.RecordVersion, before.LastEventID, after.LastEventID)
	}
	// One task taken elsewhere is one stale entry: a keeps holding.
	createWithTasks(t, a, "f", 1)
	if next, err := a.PopActivity(ctx, "A"); err != nil || next.Held == "" || next.Token != "f-0" {
		t.Fatalf("PopActivity after a stolen task: %+v, %v; want f-0 held", next, err)
	}
}

// TestHeldTaskClaimWins: of a held claim and a pop elsewhere, one wins;
// a claimed task is gone for everyone.
func TestHeldTaskClaimWins(t *testing.T) {
	a, b := heldNodes(t)
	ctx := context.Background()
	rec := createWithTasks(t, a, "e", 2)
	held, err := a.PopActivity(ctx, "A")
	if err != nil || held.Held == "" || held.Token != "e-0" {
		t.Fatalf("PopActivity: %+v, %v; want e-0 held", held, err)
	}
	if err := claim(a, rec, held); err != nil {
		t.Fatalf("claim: %v", err)
	}
	got, err := storetest.Take(ctx, b, "A")
	if err != nil || got.Token != "e-1" {
		t.Fatalf("the other node takes %+v, %v; want e-1 (e-0 was claimed)", got, err)
	}
	if got, err := storetest.Take(ctx, a, "A"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after both: %+v, %v; want ErrNotFound", got, err)
	}
}

// TestHeldTaskBehindBacklog: a claim looks only near the head of the
// queue, so a held task behind a long backlog misses (nothing written, the
// task still queued), and the node's polls then serve the backlog from the
// head.
func TestHeldTaskBehindBacklog(t *testing.T) {
	a, b := heldNodes(t)
	ctx := context.Background()
	createWithTasks(t, b, "backlog", 80) // queued by b: a does not hold them
	late := "late"
	for i := 0; store.PartitionOf("sm:"+late, 4) != store.PartitionOf("sm:backlog", 4); i++ {
		late = fmt.Sprintf("late%d", i) // the same queue as the backlog
	}
	rec := createWithTasks(t, a, late, 1)
	held, err := a.PopActivity(ctx, "A")
	if err != nil || held.Token != late+"-0" || held.Held == "" {
		t.Fatalf("PopActivity: %+v, %v; want %s-0 held", held, err, late)
	}
	if err := claim(a, rec, held); !errors.Is(err, store.ErrTaskTaken) {
		t.Fatalf("claim behind 80 tasks: %v, want ErrTaskTaken", err)
	}
	if removed, err := a.DropActivity(ctx, held); err != nil || removed {
		t.Fatalf("DropActivity behind the backlog: %v, %v; want left in place", removed, err)
	}
	next, err := a.PopActivity(ctx, "A")
	if err != nil || next.Held != "" || next.Token != "backlog-0" {
		t.Fatalf("poll after the miss: %+v, %v; want backlog-0 from the head", next, err)
	}
	n := 1
	for {
		task, err := storetest.Take(ctx, b, "A")
		if errors.Is(err, store.ErrNotFound) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		n++
		if task.Token == late+"-0" && n != 81 {
			t.Fatalf("%s came out as task %d, want last (81)", task.Token, n)
		}
	}
	if n != 81 {
		t.Fatalf("%d tasks in all, want 81: the missed claim lost or duplicated one", n)
	}
}
