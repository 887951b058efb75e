package interpreter_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/faultstore"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// parentOf is a parent that starts state machine "child" with pattern
// resource and the input it was given under "childInput".
func parentOf(resource string, extra string) string {
	return `{"StartAt":"Start","States":{"Start":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution` + resource + `",` + extra +
		`"Parameters":{"StateMachineArn":"child","Name":"kid","Input.$":"$.childInput"},"End":true}}}`
}

const (
	passChild  = `{"StartAt":"P","States":{"P":{"Type":"Pass","Parameters":{"got.$":"$","me.$":"$$.Execution.Name"},"End":true}}}`
	failChild  = `{"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Kid.Broke","Cause":"it broke"}}}`
	blockChild = `{"StartAt":"B","States":{"B":{"Type":"Task","Resource":"handler:block","End":true}}}`
)

// The answers of the three patterns, as AWS shapes them: request-response
// returns at once; .sync describes the ended child with its input and
// output as JSON text, .sync:2 as JSON values. The child names its parent.
func TestChildExecutionAnswers(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		resource string
		want     string // the parent's output, dates and ARNs left out
		events   []string
	}{
		{"", `{"keys":["ExecutionArn","StartDate"]}`,
			[]string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}},
		{".sync", `{"Input":"{\"a\":[1,2]}","InputDetails":{"Included":true},"Name":"kid","Output":"{\"got\":{\"a\":[1,2]},\"me\":\"kid\"}","OutputDetails":{"Included":true},"Status":"SUCCEEDED","StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:child"}`,
			[]string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}},
		{".sync:2", `{"Input":{"a":[1,2]},"InputDetails":{"Included":true},"Name":"kid","Output":{"got":{"a":[1,2]},"me":"kid"},"OutputDetails":{"Included":true},"Status":"SUCCEEDED","StateMachineArn":"arn:aws:states:us-east-1:123456789012:stateMachine:child"}`,
			[]string{"ExecutionStarted", "TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded", "TaskStateExited", "ExecutionSucceeded"}},
	} {
		t.Run("startExecution"+tc.resource, func(t *testing.T) {
			t.Parallel()
			f := setup(t)
			f.put("child", passChild)
			f.put("parent", parentOf(tc.resource, `"ResultSelector":{"keys.$":"States.JsonToString($)","v.$":"$"},`))
			ex := f.wait(f.start("parent", `{"childInput":{"a":[1,2]}}`).ID)
			if ex.Status != store.StatusSucceeded {
				t.Fatalf("parent %s %s %s", ex.Status, ex.Error, ex.Cause)
			}
			var out struct{ V map[string]any }
			if err := json.Unmarshal(ex.Output, &out); err != nil {
				t.Fatal(err)
			}
			got := map[string]any{}
			if tc.resource == "" {
				got["keys"] = sortedKeys(out.V)
			} else {
				for k, v := range out.V {
					switch k {
					case "ExecutionArn", "StartDate", "StopDate":
						if v == nil {
							t.Errorf("%s is missing", k)
						}
					default:
						got[k] = v
					}
				}
			}
			jsonEqual(t, got, tc.want)
			if arn, _ := out.V["ExecutionArn"].(string); arn != "arn:aws:states:us-east-1:123456789012:execution:child:kid" {
				t.Errorf("ExecutionArn %q", arn)
			}
			if diff := cmp.Diff(tc.events, types(f.history(ex.ID))); diff != "" {
				t.Errorf("parent's history (-want +got):\n%s", diff)
			}
			kid, err := f.eng.GetExecution(f.ctx, "child:kid")
			if err != nil {
				t.Fatal(err)
			}
			if kid.ParentID != ex.ID {
				t.Errorf("the child names parent %q, want %q", kid.ParentID, ex.ID)
			}
		})
	}
}

// A failed child fails a .sync task with States.TaskFailed, whose cause is
// the child's description as JSON text: its Error and Cause, no Output.
func TestChildExecutionFails(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("child", failChild)
	f.put("parent", strings.Replace(parentOf(".sync", `"Catch":[{"ErrorEquals":["Kid.Broke"],"Next":"Wrong"}],`),
		`}}}`, `},"Wrong":{"Type":"Pass","End":true}}}`, 1))
	ex := f.wait(f.start("parent", `{"childInput":null}`).ID)
	if ex.Status != store.StatusFailed || ex.Error != "States.TaskFailed" {
		t.Fatalf("parent %s %s, want FAILED States.TaskFailed (the child's own error is not catchable)", ex.Status, ex.Error)
	}
	var cause map[string]any
	if err := json.Unmarshal([]byte(ex.Cause), &cause); err != nil {
		t.Fatalf("cause %q is not JSON: %v", ex.Cause, err)
	}
	for k, want := range map[string]any{"Error": "Kid.Broke", "Cause": "it broke", "Status": "FAILED", "Input": "{}", "Name": "kid"} {
		if cause[k] != want {
			t.Errorf("cause %s = %v, want %v", k, cause[k], want)
		}
	}
	if _, has := cause["Output"]; has {
		t.Error("the cause of a failed child has an Output")
	}
	if keys := sortedKeys(cause); !strings.HasPrefix(strings.Join(keys, ","), "Cause,Error,ExecutionArn,Input,InputDetails,Name,StartDate,StateMachineArn,Status,StopDate") {
		t.Errorf("cause keys %v", keys)
	}
}

// An unknown state machine fails the task as the SDK's exception does.
func TestChildExecutionOfUnknownMachine(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("parent", parentOf("", ""))
	ex := f.wait(f.start("parent", `{"childInput":{}}`).ID)
	if ex.Error != "StepFunctions.StateMachineDoesNotExistException" || !strings.HasPrefix(ex.Cause, "State Machine Does Not Exist: 'child' (Service: AWSStepFunctions; Status Code: 400; Error Code: StateMachineDoesNotExist;") {
		t.Fatalf("parent %s %q %q", ex.Status, ex.Error, ex.Cause)
	}
}

// Stopping a parent stops the .sync child it waits for.
func TestChildStoppedWithParent(t *testing.T) {
	t.Parallel()
	f := setup(t)
	b := newBlocker()
	f.eng.RegisterHandler("block", b.handle)
	f.put("child", blockChild)
	f.put("parent", parentOf(".sync", ""))
	ex := f.start("parent", `{"childInput":{}}`)
	call := b.next(t)
	f.waitEvent(ex.ID, "TaskSubmitted", 1)
	if _, err := f.eng.StopExecution(f.ctx, ex.ID, "Operator.Stop", ""); err != nil {
		t.Fatal(err)
	}
	call.cancelled(t)
	kid := f.wait("child:kid")
	if kid.Status != store.StatusAborted {
		t.Fatalf("the child is %s, want ABORTED with its parent", kid.Status)
	}
}

// .waitForTaskToken: the child's end does not answer the task; the token
// the child got does.
func TestChildWaitForToken(t *testing.T) {
	t.Parallel()
	f := setup(t)
	f.put("child", `{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}`)
	f.put("parent", `{"StartAt":"Start","States":{"Start":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.waitForTaskToken",
		"Parameters":{"StateMachineArn":"child","Name":"kid","Input":{"token.$":"$$.Task.Token"}},"End":true}}}`)
	ex := f.start("parent", `{}`)
	f.waitEvent(ex.ID, "TaskSubmitted", 1) // the child exists from then on
	kid := f.wait("child:kid")
	if got := f.history(ex.ID); count(got, "TaskSucceeded") != 0 {
		t.Fatalf("the child's end answered the task: %s", typesOf(got))
	}
	var in struct{ Token string }
	if err := json.Unmarshal(kid.Output, &in); err != nil || in.Token == "" {
		t.Fatalf("child output %s: %v", kid.Output, err)
	}
	if err := f.eng.TaskSuccess(f.ctx, in.Token, json.RawMessage(`{"called":"back"}`)); err != nil {
		t.Fatal(err)
	}
	if got := f.wait(ex.ID); got.Status != store.StatusSucceeded || string(got.Output) != `{"called":"back"}` {
		t.Fatalf("parent %s %s", got.Status, got.Output)
	}
}

// childNode is an engine on st whose "block" handler waits for release.
func childNode(t *testing.T, st store.Store, name string, release <-chan struct{}) (*interpreter.Engine, func()) {
	t.Helper()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: st, Node: name, LeaseTTL: 600 * time.Millisecond, TimerPoll: 100 * time.Millisecond})
	eng.RegisterHandler("block", func(ctx context.Context, in json.RawMessage) (json.RawMessage, error) {
		select {
		case <-release:
			return json.RawMessage(`{"done":true}`), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	})
	ctx, cancel := context.WithCancel(context.Background())
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); eng.Stop() })
	return eng, cancel
}

// The outbox: a child whose node stopped before it told its parent of its
// end stays in its partition's in-flight set, and the node that takes the
// partition over delivers it. The parent's task ends once.
func TestChildEndDeliveredByRecovery(t *testing.T) {
	t.Parallel()
	t.Run("memory", func(t *testing.T) {
		t.Parallel()
		outbox(t, memory.WithLeases(memory.New(), 8))
	})
	t.Run("redis", func(t *testing.T) {
		t.Parallel()
		st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 8, Prefix: "outbox"})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		outbox(t, st)
	})
}

func outbox(t *testing.T, inner store.Store) {
	ctx := context.Background()
	st, faults := faultstore.Wrap(inner, 1)
	release := make(chan struct{})
	a, crashA := childNode(t, st, "A", release)
	for name, def := range map[string]string{"child": blockChild, "parent": parentOf(".sync", "")} {
		if _, err := a.PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	ex, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "parent", Name: "p", Input: json.RawMessage(`{"childInput":{}}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the parent's TaskSubmitted", func() bool { return eventCounts(t, a, ex.ID)["TaskSubmitted"] == 1 })
	// From now on A cannot write to the parent: it cannot deliver.
	var refused atomic.Int64
	faults.Add(faultstore.Rule{Op: faultstore.Commit, Match: func(id string) bool {
		if id == ex.ID {
			refused.Add(1)
			return true
		}
		return false
	}})
	close(release)
	waitFor(t, "A's delivery to be refused", func() bool { return refused.Load() > 0 })
	kid, err := st.GetExecution(ctx, "child:kid")
	if err != nil || kid.Status != store.StatusSucceeded {
		t.Fatalf("child: %v %v", kid, err)
	}
	q := inner.(store.PartitionQueries)
	if !inFlightAnywhere(t, q, inner.(store.Leaser).Partitions(), "child:kid") {
		t.Fatal("the ended child is not in its partition's in-flight set (its outbox entry)")
	}
	crashA()
	faults.Clear()

	b, _ := childNode(t, st, "B", release)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := b.Wait(wctx, ex.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.StatusSucceeded {
		t.Fatalf("parent %s %s %s", got.Status, got.Error, got.Cause)
	}
	if n := eventCounts(t, b, ex.ID)["TaskSucceeded"]; n != 1 {
		t.Errorf("%d TaskSucceeded", n)
	}
	waitFor(t, "the outbox entry to be cleared", func() bool {
		return !inFlightAnywhere(t, q, inner.(store.Leaser).Partitions(), "child:kid")
	})
}

func inFlightAnywhere(t *testing.T, q store.PartitionQueries, partitions int, id string) bool {
	t.Helper()
	for p := range partitions {
		for cursor := ""; ; {
			ids, next, err := q.InFlight(context.Background(), p, cursor, 100)
			if err != nil {
				t.Fatal(err)
			}
			for _, x := range ids {
				if x == id {
					return true
				}
			}
			if next == "" {
				break
			}
			cursor = next
		}
	}
	return false
}

// A startExecution call made again (a node took the parent's partition
// over before the start was recorded) finds the child the first call
// started, also without a Name: one child in all.
func TestChildStartMadeAgainFindsTheChild(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	inner := memory.WithLeases(memory.New(), 8)
	st, faults := faultstore.Wrap(inner, 1)
	release := make(chan struct{})
	a, crashA := childNode(t, st, "A", release)
	parent := `{"StartAt":"Start","States":{"Start":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync:2",
		"Parameters":{"StateMachineArn":"child","Input":{}},"End":true}}}`
	for name, def := range map[string]string{"child": blockChild, "parent": parent} {
		if _, err := a.PutStateMachine(ctx, name, []byte(def), dsl.JSON); err != nil {
			t.Fatal(err)
		}
	}
	var refused atomic.Int64
	faults.Add(faultstore.Rule{Op: faultstore.Commit, Match: func(id string) bool {
		if strings.HasPrefix(id, "parent:") {
			refused.Add(1)
			return true
		}
		return false
	}})
	ex, _, err := a.StartExecution(ctx, interpreter.StartParams{StateMachine: "parent", Name: "p", Input: json.RawMessage(`{}`)})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, "A's TaskSubmitted to be refused", func() bool { return refused.Load() > 0 })
	crashA()
	faults.Clear()
	b, _ := childNode(t, st, "B", release)
	waitFor(t, "B to have made the call again", func() bool { return eventCounts(t, b, ex.ID)["TaskSubmitted"] == 1 })
	close(release)
	wctx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	got, err := b.Wait(wctx, ex.ID)
	if err != nil || got.Status != store.StatusSucceeded {
		t.Fatalf("parent %v %v", got, err)
	}
	kids, _, err := st.ListExecutions(ctx, store.ListQuery{StateMachine: "child", Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(kids) != 1 {
		t.Fatalf("%d children, want 1: %v", len(kids), kids)
	}
	if errors.Is(err, store.ErrNotFound) {
		t.Fatal(err)
	}
}
