package interpreter

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// idsDef waits for an activity, then shows the context object's ids.
const idsDef = `{"StartAt":"Work","States":{
	"Work":{"Type":"Task","Resource":"activity:ids-work","ResultPath":"$.work","Next":"Ids"},
	"Ids":{"Type":"Pass","Parameters":{"execution.$":"$$.Execution.Id","stateMachine.$":"$$.StateMachine.Id"},"End":true}}}`

// startIdsEngine starts an engine on st in space (zero: the default).
func startIdsEngine(t *testing.T, ctx context.Context, st store.Store, space arn.Space) *Engine {
	t.Helper()
	eng := New(Config{Store: st, Space: space, CheckCachedThreads: true})
	if err := eng.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	return eng
}

// pollIds takes the activity task of the execution waiting in Work.
func pollIds(t *testing.T, ctx context.Context, eng *Engine) string {
	t.Helper()
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	token, _, err := eng.PollActivity(pctx, "ids-work", "w")
	if err != nil {
		t.Fatalf("poll: %v", err)
	}
	return token
}

// finishIds answers the Work task with token and returns the ids the
// execution ended with.
func finishIds(t *testing.T, ctx context.Context, eng *Engine, id, token string) map[string]string {
	t.Helper()
	if err := eng.TaskSuccess(ctx, token, json.RawMessage(`{}`)); err != nil {
		t.Fatalf("task success: %v", err)
	}
	wctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	ex, err := eng.Wait(wctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Status != store.StatusSucceeded {
		t.Fatalf("%s ended %s %s %s", id, ex.Status, ex.Error, ex.Cause)
	}
	var ids map[string]string
	if err := json.Unmarshal(ex.Output, &ids); err != nil {
		t.Fatal(err)
	}
	return ids
}

func storedHeader(t *testing.T, ctx context.Context, st store.Store, id string) (*store.Execution, header) {
	t.Helper()
	rec, err := st.GetExecution(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	var h header
	if err := decodeHeader(rec.Engine, &h); err != nil {
		t.Fatal(err)
	}
	return rec, h
}

// TestContextIdsAcrossUpgrade: an execution that the previous release
// started (its record without the ARN flag) keeps its old ids after the
// upgrade, and its task token and its name's idempotency still work; an
// execution started now gets ARNs of the node's space, while its token
// and stored id stay the same form.
func TestContextIdsAcrossUpgrade(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := memory.New()

	// Release N: the execution starts and its task is handed out.
	before := startIdsEngine(t, ctx, st, arn.Space{})
	if _, err := before.PutStateMachine(ctx, "ids", []byte(idsDef), dsl.JSON); err != nil {
		t.Fatal(err)
	}
	old, _, err := before.StartExecution(ctx, StartParams{StateMachine: "ids", Name: "old", Input: json.RawMessage(`{"a":1}`)})
	if err != nil {
		t.Fatal(err)
	}
	oldToken := pollIds(t, ctx, before)
	before.Stop()
	// What release N stored: the same record without the flag, in encoding 1.
	rec, h := storedHeader(t, ctx, st, old.ID)
	if !h.ARNIDs || h.Enc != encodingARNIDs {
		t.Fatalf("a new execution reading $$: header %+v, want the ARN flag in encoding %d", h, encodingARNIDs)
	}
	h.ARNIDs, h.Enc = false, encodingBase
	prev := *rec
	if prev.Engine, err = appendHeader(nil, &h); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(prev.Engine), "arnIds") {
		t.Fatalf("engine state %s still has the flag", prev.Engine)
	}
	if err := st.Commit(ctx, store.CommitParams{ID: old.ID, ExpectedVersion: rec.RecordVersion, Record: &prev, Base: rec, InFlight: true}); err != nil {
		t.Fatal(err)
	}

	// Release N+1, in another space.
	space := arn.Space{Region: "eu-west-1", Account: "111122223333"}
	after := startIdsEngine(t, ctx, st, space)
	again, existing, err := after.StartExecution(ctx, StartParams{StateMachine: "ids", Name: "old", Input: json.RawMessage(`{"a":1}`)})
	if err != nil || !existing || again.ID != old.ID {
		t.Fatalf("the same start again: %+v existing %v err %v, want the old execution", again, existing, err)
	}
	ids := finishIds(t, ctx, after, old.ID, oldToken)
	if ids["execution"] != "ids:old" || ids["stateMachine"] != "ids:1" {
		t.Errorf("old execution's ids %v, want the old forms ids:old and ids:1", ids)
	}
	if _, h := storedHeader(t, ctx, st, old.ID); h.ARNIDs || h.Enc != encodingBase {
		t.Errorf("old execution's header after the upgrade %+v: the flag must not appear, the encoding stays 1", h)
	}

	// A new execution: ARNs of this node's space; the token and the id as before.
	fresh, _, err := after.StartExecution(ctx, StartParams{StateMachine: "ids", Name: "new"})
	if err != nil {
		t.Fatal(err)
	}
	if fresh.ID != "ids:new" {
		t.Fatalf("stored id %q, want ids:new", fresh.ID)
	}
	token := pollIds(t, ctx, after)
	if tok, ok := ParseToken(token); !ok || tok.ExecutionID != "ids:new" {
		t.Fatalf("token %q names execution %q, want the stored id ids:new", token, tok.ExecutionID)
	}
	ids = finishIds(t, ctx, after, fresh.ID, token)
	if want := "arn:aws:states:eu-west-1:111122223333:execution:ids:new"; ids["execution"] != want {
		t.Errorf("$$.Execution.Id %q, want %q", ids["execution"], want)
	}
	if want := "arn:aws:states:eu-west-1:111122223333:stateMachine:ids"; ids["stateMachine"] != want {
		t.Errorf("$$.StateMachine.Id %q, want %q", ids["stateMachine"], want)
	}
	// A node of the previous release reads up to encoding 2: it refuses
	// the record rather than run it with the old ids and drop the flag.
	newRec, h := storedHeader(t, ctx, st, fresh.ID)
	if err := refuseNewer(newRec.ID, h.Enc, encodingVariables); err == nil {
		t.Errorf("header %+v: a node of the previous release would run it", h)
	}
}

// TestARNIDsOnlyWhereSeen: an execution whose definition never reads the
// context object has no flag and stays in encoding 1, which a node of the
// previous release still runs; one that reads it in a Map's processor or a
// Parallel branch has the flag.
func TestARNIDsOnlyWhereSeen(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st := memory.New()
	eng := startIdsEngine(t, ctx, st, arn.Space{})
	for _, c := range []struct {
		name, def string
		flag      bool
	}{
		{"plain", `{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"End":true}}}`, false},
		{"in-map", `{"StartAt":"M","States":{"M":{"Type":"Map","End":true,"ItemProcessor":{"StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","Parameters":{"id.$":"$$.Execution.Id"},"End":true}}}}}}`, true},
		{"in-branch", `{"StartAt":"B","States":{"B":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"W","States":{
			"W":{"Type":"Wait","Seconds":60,"Next":"P"},"P":{"Type":"Pass","OutputPath":"$$.StateMachine.Name","End":true}}}]}}}`, true},
		{"jsonata", `{"QueryLanguage":"JSONata","StartAt":"W","States":{"W":{"Type":"Wait","Seconds":60,"Next":"P"},
			"P":{"Type":"Pass","Output":"{% $states.context.Execution.Id %}","End":true}}}`, true},
	} {
		if _, err := eng.PutStateMachine(ctx, c.name, []byte(c.def), dsl.JSON); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		input := json.RawMessage(`{}`)
		if c.name == "in-map" {
			input = json.RawMessage(`[1]`)
		}
		ex, _, err := eng.StartExecution(ctx, StartParams{StateMachine: c.name, Name: "x", Input: input})
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		_, h := storedHeader(t, ctx, st, ex.ID)
		wantEnc := encodingBase
		if c.flag {
			wantEnc = encodingARNIDs
		}
		if h.ARNIDs != c.flag || h.Enc != wantEnc {
			t.Errorf("%s: header %+v, want flag %v in encoding %d", c.name, h, c.flag, wantEnc)
		}
	}
}
