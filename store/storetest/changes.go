package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/store"
)

var changeTests = []test{
	{"CreateAndCommitLogTheirChange", testChangesLogged},
	{"RefusedCommitLogsNothing", testChangesRefused},
	{"ReadsEveryEntryOnceInOrderPerExecution", testChangesPaging},
	{"CursorAtStartsThen", testChangesCursorAt},
	{"InvalidCursor", testChangesInvalidCursor},
	{"Watch", testChangesWatch},
	{"Copies", testChangesCopies},
	{"TrimmedCursorRefused", testChangesTrimmed},
	{"CursorNow", testChangesCursorNow},
	{"HugeCursorRefused", testChangesHugeCursor},
	{"NothingLoggedUntilKept", testChangesOffUntilKept},
}

// changeLog turns the log of s on and returns it; stores without one skip.
func changeLog(t *testing.T, s store.Store) store.ChangeLog {
	t.Helper()
	if !store.KeepChanges(s, 0) {
		t.Skip("the store keeps no change log")
	}
	return store.AsChangeLog(s)
}

// readAll reads the log from cursor to its end, limit entries at a time.
func readAll(t *testing.T, cl store.ChangeLog, cursor string, limit int) ([]store.Change, string) {
	t.Helper()
	var all []store.Change
	for range 10_000 {
		page, next, err := cl.ReadChanges(ctxFor(t), cursor, limit)
		if err != nil {
			t.Fatalf("ReadChanges(%q, %d): %v", cursor, limit, err)
		}
		if limit > 0 && len(page) > limit {
			t.Fatalf("ReadChanges(%q, %d) returned %d entries", cursor, limit, len(page))
		}
		if len(page) > 0 && next != page[len(page)-1].Cursor {
			t.Fatalf("ReadChanges: next cursor %q is not the last entry's %q", next, page[len(page)-1].Cursor)
		}
		all = append(all, page...)
		if len(page) == 0 {
			return all, next
		}
		cursor = next
	}
	t.Fatal("ReadChanges never reached the end of the log")
	return nil, ""
}

func datas(cs []store.Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = string(c.Data)
	}
	return out
}

// endWithChange commits the end of id (SUCCEEDED) with change as its log entry.
func endWithChange(t testing.TB, s store.Store, id string, change string) error {
	t.Helper()
	cur := get(t, s, id)
	next := *cur
	next.Threads = nil
	next.Status, next.StoppedAt, next.Output = store.StatusSucceeded, base.Add(time.Minute), []byte(`{"ok":true}`)
	p := store.CommitParams{ID: id, ExpectedVersion: cur.RecordVersion, Record: &next, Base: cur,
		Events: events(cur.LastEventID+1, 1)}
	if change != "" {
		p.Change = []byte(change)
	}
	return s.Commit(ctxFor(t), p)
}

func createWithChange(t testing.TB, s store.Store, rec *store.Execution, change string) {
	t.Helper()
	if _, err := s.CreateExecution(ctxFor(t), store.CreateParams{Execution: rec, Events: events(1, 1), Change: []byte(change)}); err != nil {
		t.Fatalf("CreateExecution(%s): %v", rec.ID, err)
	}
}

func testChangesLogged(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	before := time.Now().Add(-time.Second)
	rec := newExec("sm", "a", base)
	createWithChange(t, s, rec, `{"n":"a started"}`)
	step(t, s, rec.ID, 2, nil) // a step that changes no status, and logs nothing
	if err := endWithChange(t, s, rec.ID, `{"n":"a ended"}`); err != nil {
		t.Fatal(err)
	}
	// A create and a commit without a change log nothing either.
	create(t, s, newExec("sm", "b", base), 1)
	if err := endWithChange(t, s, "sm:b", ""); err != nil {
		t.Fatal(err)
	}
	got, _ := readAll(t, cl, "", 0)
	diff(t, "the log", []string{`{"n":"a started"}`, `{"n":"a ended"}`}, datas(got))
	after := time.Now().Add(time.Second)
	for _, c := range got {
		if c.At.Before(before) || c.At.After(after) {
			t.Errorf("entry %s logged at %v, not between %v and %v", c.Cursor, c.At, before, after)
		}
		if c.Cursor == "" || strings.ContainsAny(c.Cursor, " \r\n\t") {
			t.Errorf("cursor %q cannot go in a header", c.Cursor)
		}
	}
	if len(got) == 2 && got[0].Cursor == got[1].Cursor {
		t.Errorf("two entries share the cursor %q", got[0].Cursor)
	}
}

func testChangesRefused(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	rec := newExec("sm", "a", base)
	createWithChange(t, s, rec, `"start"`)
	cur := get(t, s, rec.ID)
	next := *cur
	next.Threads = nil
	next.Status = store.StatusFailed
	err := s.Commit(ctxFor(t), store.CommitParams{ID: rec.ID, ExpectedVersion: cur.RecordVersion + 5, Record: &next,
		Events: events(cur.LastEventID+1, 1), Change: []byte(`"refused"`)})
	wantErr(t, "stale commit", err, store.ErrConflict)
	// The name is taken: the second create is refused and logs nothing.
	_, err = s.CreateExecution(ctxFor(t), store.CreateParams{Execution: newExec("sm", "a", base), Events: events(1, 1),
		Change: []byte(`"second start"`)})
	wantErr(t, "create under a taken name", err, store.ErrAlreadyExists)
	got, _ := readAll(t, cl, "", 0)
	diff(t, "the log", []string{`"start"`}, datas(got))
}

func testChangesPaging(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	const n = 40
	for i := range n {
		createWithChange(t, s, newExec("sm", fmt.Sprint("e", i), base), fmt.Sprintf(`"e%d 1"`, i))
	}
	for i := range n {
		if err := endWithChange(t, s, fmt.Sprintf("sm:e%d", i), fmt.Sprintf(`"e%d 2"`, i)); err != nil {
			t.Fatal(err)
		}
	}
	late := 0 // entries logged after the first 2n
	for _, limit := range []int{0, 1, 7, 1000} {
		got, last := readAll(t, cl, "", limit)
		if len(got) != 2*n+late {
			t.Fatalf("limit %d: read %d entries, want %d", limit, len(got), 2*n+late)
		}
		seen := map[string]int{} // entry -> its index
		cursors := map[string]bool{}
		for i, c := range got {
			d := string(c.Data)
			if _, dup := seen[d]; dup {
				t.Fatalf("limit %d: %s read twice", limit, d)
			}
			seen[d] = i
			if cursors[c.Cursor] {
				t.Fatalf("limit %d: cursor %q twice", limit, c.Cursor)
			}
			cursors[c.Cursor] = true
		}
		for i := range n {
			first, second := seen[fmt.Sprintf(`"e%d 1"`, i)], seen[fmt.Sprintf(`"e%d 2"`, i)]
			if first > second {
				t.Errorf("limit %d: e%d's end comes before its start", limit, i)
			}
		}
		// From the last cursor, nothing more; then the next change only.
		if more, _ := readAll(t, cl, last, limit); len(more) != 0 {
			t.Fatalf("limit %d: %d entries after the end", limit, len(more))
		}
		name := fmt.Sprint("late", limit)
		createWithChange(t, s, newExec("sm", name, base), `"`+name+`"`)
		late++
		more, _ := readAll(t, cl, last, limit)
		diff(t, "after the end", []string{`"` + name + `"`}, datas(more))
	}
}

func testChangesCursorAt(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	createWithChange(t, s, newExec("sm", "old", base), `"old"`)
	// The next millisecond on every clock involved (the store's may be
	// Redis's, on this machine): entries logged from here on are at or
	// after from.
	from := time.Now().Add(2 * time.Millisecond)
	for time.Now().Before(from.Add(time.Millisecond)) {
	}
	cur, err := cl.ChangeCursorAt(ctxFor(t), from)
	if err != nil {
		t.Fatal(err)
	}
	createWithChange(t, s, newExec("sm", "new", base), `"new"`)
	got, _ := readAll(t, cl, cur, 0)
	diff(t, "from the cursor", []string{`"new"`}, datas(got))
	// A cursor at a time before everything reads everything.
	early, err := cl.ChangeCursorAt(ctxFor(t), base)
	if err != nil {
		t.Fatal(err)
	}
	got, _ = readAll(t, cl, early, 0)
	diff(t, "from long ago", []string{`"old"`, `"new"`}, datas(got))
}

func testChangesInvalidCursor(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	for _, c := range []string{"nonsense", "1-2", "-1-0-0", "x1-0-0", "m-3"} {
		_, _, err := cl.ReadChanges(ctxFor(t), c, 10)
		wantErr(t, fmt.Sprintf("ReadChanges(%q)", c), err, store.ErrInvalidCursor)
	}
}

func testChangesWatch(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	notices, stop := cl.WatchChanges(ctx)
	defer stop()
	rec := newExec("sm", "w", base)
	createWithChange(t, s, rec, `"start"`)
	select {
	case <-notices:
	case <-ctx.Done():
		t.Fatal("no notice after a start with a change")
	}
	// Drain a merged notice, then the end.
	select {
	case <-notices:
	default:
	}
	if err := endWithChange(t, s, rec.ID, `"end"`); err != nil {
		t.Fatal(err)
	}
	select {
	case <-notices:
	case <-ctx.Done():
		t.Fatal("no notice after an end with a change")
	}
}

func testChangesCopies(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	change := []byte(`"original"`)
	if _, err := s.CreateExecution(ctxFor(t), store.CreateParams{Execution: newExec("sm", "c", base), Events: events(1, 1), Change: change}); err != nil {
		t.Fatal(err)
	}
	copy(change, `"mutated!"`)
	got, _ := readAll(t, cl, "", 0)
	diff(t, "after mutating the given bytes", []string{`"original"`}, datas(got))
	got[0].Data[1] = 'X'
	again, _ := readAll(t, cl, "", 0)
	diff(t, "after mutating the read bytes", []string{`"original"`}, datas(again))
}

// sameNames returns n execution names of state machine sm whose ids fall
// in one partition (the store's, when it has partitions): a partition's
// log is trimmed by its own appends.
func sameNames(s store.Store, sm string, n int) []string {
	if l, ok := s.(store.Leaser); ok {
		return namesIn(sm, store.PartitionOf(sm+":x0", l.Partitions()), l.Partitions(), n)
	}
	return namesIn(sm, 0, 1, n)
}

func testChangesTrimmed(t *testing.T, s store.Store) {
	const retention = 40 * time.Millisecond
	if !store.KeepChanges(s, retention) {
		t.Skip("the store keeps no change log")
	}
	cl := store.AsChangeLog(s)
	names := sameNames(s, "sm", 3)
	before, err := cl.ChangeCursorAt(ctxFor(t), base)
	if err != nil {
		t.Fatal(err)
	}
	createWithChange(t, s, newExec("sm", names[0], base), `"old"`)
	_, afterOld := readAll(t, cl, before, 0)
	// The retention passes (the clock, not another goroutine, is awaited).
	for start := time.Now(); time.Since(start) < 3*retention; {
		time.Sleep(retention)
	}
	createWithChange(t, s, newExec("sm", names[1], base), `"new"`) // trims "old"
	_, _, err = cl.ReadChanges(ctxFor(t), before, 10)
	var te *store.TrimmedError
	if !errors.Is(err, store.ErrCursorTrimmed) || !errors.As(err, &te) {
		t.Fatalf("ReadChanges from before a trimmed entry: %v, want store.ErrCursorTrimmed", err)
	}
	if te.Cursor != before {
		t.Errorf("TrimmedError.Cursor %q, want %q", te.Cursor, before)
	}
	got, _ := readAll(t, cl, te.Resume, 0)
	diff(t, "from the resume cursor", []string{`"new"`}, datas(got))
	// A cursor after the trimmed entry, and the empty cursor, read on.
	got, _ = readAll(t, cl, afterOld, 0)
	diff(t, "from after the trimmed entry", []string{`"new"`}, datas(got))
	got, _ = readAll(t, cl, "", 0)
	diff(t, "from the oldest kept", []string{`"new"`}, datas(got))
}

func testChangesCursorNow(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	createWithChange(t, s, newExec("sm", "before", base), `"before"`)
	// The store's clock says what "now" is: everything logged before may
	// be read from the cursor (within a millisecond), nothing after missed.
	now, err := cl.ChangeCursorNow(ctxFor(t))
	if err != nil {
		t.Fatal(err)
	}
	createWithChange(t, s, newExec("sm", "after", base), `"after"`)
	got, _ := readAll(t, cl, now, 0)
	if d := datas(got); len(d) == 0 || d[len(d)-1] != `"after"` {
		t.Fatalf("from ChangeCursorNow: %v, want the entry logged after it", d)
	}
}

func testChangesHugeCursor(t *testing.T, s store.Store) {
	cl := changeLog(t, s)
	for _, c := range []string{"18446744073709551615-18446744073709551615-0", "18446744073709551615-0-0", "m9223372036854775807"} {
		_, _, err := cl.ReadChanges(ctxFor(t), c, 10)
		wantErr(t, fmt.Sprintf("ReadChanges(%q)", c), err, store.ErrInvalidCursor)
	}
}

func testChangesOffUntilKept(t *testing.T, s store.Store) {
	cl := store.AsChangeLog(s)
	if cl == nil {
		t.Skip("the store keeps no change log")
	}
	if store.ChangesKept(s) {
		t.Fatal("ChangesKept before KeepChanges: a store keeps no log until asked")
	}
	createWithChange(t, s, newExec("sm", "unlogged", base), `"unlogged"`)
	if !store.KeepChanges(s, 0) || !store.ChangesKept(s) {
		t.Fatal("KeepChanges did not turn the log on")
	}
	createWithChange(t, s, newExec("sm", "logged", base), `"logged"`)
	got, _ := readAll(t, cl, "", 0)
	diff(t, "the log", []string{`"logged"`}, datas(got))
}
