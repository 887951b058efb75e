package redis_test

import (
	"context"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
)

// A node whose clients only wait for ends (?wait=) subscribes to the
// status channel alone and hears status changes, not every step; the
// every-commit channel still carries the status notices that earlier
// releases' waiters listen for, and is subscribed for full watches.
func TestStatusChannel(t *testing.T) {
	t.Parallel()
	url := sharedURL(t)
	prefix := newPrefix()
	s := open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 1})
	defer s.Close()
	opts, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opts)
	defer raw.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	every, status := prefix+":{p0}:notify", prefix+":{p0}:status"
	subscribers := func() (int64, int64) {
		t.Helper()
		n, err := raw.PubSubNumSub(ctx, every, status).Result()
		if err != nil {
			t.Fatal(err)
		}
		return n[every], n[status]
	}

	rec := newRunning("st")
	if _, err := s.CreateExecution(ctx, store.CreateParams{Execution: rec}); err != nil {
		t.Fatal(err)
	}
	ends, stopEnds := s.WatchStatus(ctx, rec.ID)
	defer stopEnds()
	if e, st := subscribers(); e != 0 || st != 1 {
		t.Fatalf("with a status watch: %d subscriber(s) of the every-commit channel, %d of the status channel; want 0 and 1", e, st)
	}

	// What an earlier release's waiter and this one's hear.
	old := raw.Subscribe(ctx, every)
	defer old.Close()
	statusSub := raw.Subscribe(ctx, status)
	defer statusSub.Close()
	for _, ps := range []*goredis.PubSub{old, statusSub} {
		if _, err := ps.Receive(ctx); err != nil { // the confirmation
			t.Fatal(err)
		}
	}
	commit := func(change func(r *store.Execution)) {
		t.Helper()
		cur, err := s.GetExecution(ctx, rec.ID)
		if err != nil {
			t.Fatal(err)
		}
		next := *cur
		next.Threads = nil
		change(&next)
		if err := s.Commit(ctx, store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion, Record: &next, Base: cur,
			Events: []store.Event{{ID: cur.LastEventID + 1, Data: []byte(`{}`)}}}); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 {
		commit(func(r *store.Execution) { r.Engine = []byte(time.Now().String()) })
	}
	commit(func(r *store.Execution) { r.Status, r.StoppedAt = store.StatusFailed, time.Now() })

	select {
	case <-ends:
	case <-ctx.Done():
		t.Fatal("the status watch did not hear the end")
	}
	// The status channel carried the one status change, nothing else.
	msg, err := statusSub.ReceiveMessage(ctx)
	if err != nil || msg.Payload != rec.ID+" "+store.StatusFailed {
		t.Fatalf("status channel: %v %v, want %q", msg, err, rec.ID+" "+store.StatusFailed)
	}
	// The every-commit channel: four ids, then the status notice.
	for i := range 5 {
		msg, err := old.ReceiveMessage(ctx)
		want := rec.ID
		if i == 4 {
			want = rec.ID + " " + store.StatusFailed
		}
		if err != nil || msg.Payload != want {
			t.Fatalf("every-commit channel, message %d: %v %v, want %q", i, msg, err, want)
		}
	}
	commit(func(r *store.Execution) { r.Engine = []byte("after") })
	if msg, err := old.ReceiveMessage(ctx); err != nil || msg.Payload != rec.ID {
		t.Fatalf("every-commit channel after the end: %v %v", msg, err)
	}
	// A redrive changes the status again: its notice is the next one on
	// the status channel, so the commit before it published none there.
	commit(func(r *store.Execution) { r.Status, r.StoppedAt = store.StatusRunning, time.Time{} })
	if msg, err := statusSub.ReceiveMessage(ctx); err != nil || msg.Payload != rec.ID+" "+store.StatusRunning {
		t.Fatalf("status channel after a commit that kept the status and a redrive: %v %v", msg, err)
	}

	full, stopFull := s.Watch(ctx, rec.ID)
	defer stopFull()
	_ = full
	if e, _ := subscribers(); e != 2 { // the store's and this test's
		t.Errorf("with a full watch: %d subscriber(s) of the every-commit channel, want 2", e)
	}
}
