package teststate

import (
	"bytes"
	"fmt"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/states"
)

// TestState does not run a Map's iterations or a Parallel's branches: the
// mock is their outcome (checkRunnable refuses them without one). What it
// shows is what the state does around them: its input processing, the
// items and their selected inputs, the limits it evaluates, and its output
// from the mocked result.

// exceededCause is AWS's cause of States.ExceedToleratedFailureThreshold.
const exceededCause = "The specified tolerated failure threshold was exceeded"

func (t *tester) parallel() {
	s := t.s
	if !s.JSONata {
		if _, ok := t.effectiveInput(); !ok {
			return
		}
	}
	in, err := states.ParallelInput(s, t.raw, t.env())
	if err != nil {
		t.fail(t.evalErr(err))
		return
	}
	switch {
	case !s.JSONata:
		record(&t.ins.AfterParameters, in)
	case s.Arguments != nil:
		record(&t.ins.AfterArguments, in)
	}
	if t.mock.err != nil {
		t.fail(t.mock.err)
		return
	}
	record(&t.ins.Result, t.mock.result)
	t.finish(t.mock.result)
}

func (t *tester) mapState() {
	s := t.s
	env := t.env()
	var plan states.MapPlan
	var dist *states.DistributedPlan
	itemsKnown := true
	if d := s.Distributed; d != nil {
		dp, err := states.DistributedStart(s, t.raw, env)
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		if d.Reader != nil {
			dp.Items, itemsKnown = t.readerItems, t.readerItems != nil
			if dp.Reader != nil && dp.Reader.MaxItems < 0 {
				t.fail(failure.New(failure.ItemReaderFailed, states.ReaderMaxItemsCause))
				return
			}
			if dp.Reader != nil && dp.Reader.MaxItems > 0 && int64(len(dp.Items)) > dp.Reader.MaxItems {
				dp.Items = dp.Items[:dp.Reader.MaxItems]
			}
		}
		if err := states.DistributedTolerance(s, &dp, env); err != nil {
			t.fail(t.evalErr(err))
			return
		}
		plan, dist = dp.MapPlan, &dp
	} else {
		var err error
		if plan, err = states.MapStart(s, t.raw, env); err != nil {
			t.fail(t.evalErr(err))
			return
		}
	}
	if !s.JSONata {
		record(&t.ins.AfterInputPath, plan.Effective)
		if itemsKnown {
			record(&t.ins.AfterItemsPath, plan.Items)
		}
	}
	if itemsKnown && (s.Parameters != nil || s.ItemSelector != nil) {
		selected := make([]any, len(plan.Items))
		for i, item := range plan.Items {
			in, err := states.MapItemInput(s, &plan, item, t.itemEnv(i, item))
			if err != nil {
				t.fail(t.evalErr(err))
				return
			}
			selected[i] = in
		}
		record(&t.ins.AfterItemSelector, selected)
	}
	if itemsKnown && dist != nil && s.Distributed.Batcher != nil {
		batches, err := states.ChildInputs(s, dist, t.itemEnv)
		if err != nil {
			t.fail(t.evalErr(err))
			return
		}
		record(&t.ins.AfterItemBatcher, batches)
	}
	t.ins.MaxConcurrency = intPtr(int(plan.MaxConcurrency))
	if plan.HasCount {
		t.ins.ToleratedFailureCount = intPtr(int(plan.ToleranceCount))
	}
	if plan.HasPercent {
		p := plan.TolerancePercent
		t.ins.ToleratedFailurePercentage = &p
	}
	if t.mock.err != nil {
		t.fail(t.mock.err)
		return
	}
	// AWS applies mapIterationFailureCount to a Map with a tolerance
	// (without one it answers the mocked result).
	if c := t.req.StateConfiguration; c != nil && c.MapIterationFailureCount > 0 && (plan.HasCount || plan.HasPercent) {
		total := len(plan.Items)
		if arr, ok := t.mock.result.([]any); !itemsKnown && ok {
			total = len(arr)
		}
		if !plan.Tolerated(c.MapIterationFailureCount, total) {
			t.fail(failure.New(failure.ExceedToleratedFailure, exceededCause))
			return
		}
	}
	if !s.JSONata {
		record(&t.ins.Result, t.mock.result)
	}
	t.finish(t.mock.result)
}

// itemEnv is the Env an item's ItemSelector reads: $$.Map.Item set.
func (t *tester) itemEnv(index int, item value.Value) states.Env {
	env := t.env()
	env.Context = t.ctxObj.With("Map", states.MapItemContext(index, item))
	return env
}

// parseReaderData reads stateConfiguration.mapItemReaderData, the data a
// distributed Map's ItemReader reads "as found in its source", into items:
// a JSON array (InputType JSON, or an S3 listing's objects), or JSON Lines.
// sfn does not parse CSV, manifests or Parquet here.
func parseReaderData(r *dsl.ItemReader, text string) ([]any, error) {
	bad := func(format string, args ...any) error {
		return &ValidationError{Field: "stateConfiguration.mapItemReaderData", Message: fmt.Sprintf(format, args...)}
	}
	if len(text) > maxPayload {
		return nil, bad("is %d bytes, more than the maximum of %d", len(text), maxPayload)
	}
	switch r.InputType {
	case "", "JSON":
		v, err := value.Decode([]byte(text))
		if err != nil {
			return nil, bad("is not valid JSON: %v", err)
		}
		arr, ok := v.([]any)
		if !ok {
			return nil, bad("must be a JSON array of items, got %s", value.TypeName(v))
		}
		return arr, nil
	case "JSONL":
		var items []any
		for i, line := range bytes.Split([]byte(text), []byte("\n")) {
			if len(bytes.TrimSpace(line)) == 0 {
				continue
			}
			v, err := value.Decode(line)
			if err != nil {
				return nil, bad("line %d is not valid JSON: %v", i+1, err)
			}
			items = append(items, v)
		}
		if items == nil {
			items = []any{}
		}
		return items, nil
	default:
		return nil, bad("is read as JSON or JSON Lines; TestState does not parse the ItemReader's InputType %s (give the items with InputType JSON to test the Map)", r.InputType)
	}
}
