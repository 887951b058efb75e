package states

import (
	"fmt"
	"math"
	"strconv"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
)

// A distributed Map runs each item, or batch of items, as a child
// execution. What it computes is split by when AWS computes it:
// DistributedStart before MapStateStarted (the items, the bounds, what the
// reader and writer are called with), DistributedTolerance after it (the
// tolerated failures: a bad value fails the state right after
// MapStateStarted, before any Map Run), and ChildInputs (or a Batcher, for
// items streamed from a reader) the children's inputs.

// DistributedPlan is a distributed Map's work, computed when the state starts.
type DistributedPlan struct {
	// MapPlan: Effective, Items (the raw items, from ItemsPath/Items; nil
	// with an ItemReader, which the engine runs), MaxConcurrency (0:
	// unbounded), and the tolerances once DistributedTolerance has run.
	MapPlan
	// Length is MapStateStarted's "length": the number of items (0 when an
	// ItemReader reads them, as AWS records).
	Length int
	// MaxItemsPerBatch and MaxBytesPerBatch bound a batch (0: no bound);
	// BatchInput is added to every batch (nil: none). All three are zero
	// without an ItemBatcher.
	MaxItemsPerBatch int64
	MaxBytesPerBatch int64
	BatchInput       value.Value
	// Reader is what the ItemReader is called with; nil without one.
	Reader *ReaderCall
	// WriterParameters are the ResultWriter's Parameters (JSONPath) or
	// Arguments (JSONata), evaluated: the Bucket and Prefix to write to;
	// nil when the writer only shapes the results, or without a writer.
	WriterParameters value.Value
}

// ReaderCall is what an ItemReader is called with, evaluated when the Map
// starts.
type ReaderCall struct {
	// Parameters are the reader's Parameters (JSONPath) or Arguments
	// (JSONata), evaluated: the Bucket and Key (or Prefix) to read, or
	// for http:invoke the request. nil without them.
	Parameters value.Value
	// MaxItems is the most items to read: 0 for no limit. A negative
	// value comes from MaxItemsPath or a MaxItems expression; AWS then
	// starts the Map Run and fails it with States.ItemReaderFailed and the
	// cause ReaderMaxItemsCause, which is the engine's to do.
	MaxItems int64
}

// ReaderMaxItemsCause is AWS's cause of the States.ItemReaderFailed with
// which a Map Run fails when its reader's MaxItems is negative (recorded).
const ReaderMaxItemsCause = "field MaxItems must be positive"

// MaxBatchBytes is the most MaxInputBytesPerBatch may be: 256 KiB, the
// most a child execution's input may hold.
const MaxBatchBytes = 262144

// DistributedStart computes the items and bounds of a distributed Map,
// before MapStateStarted (item errors as the inline Map's MapStart). With
// an ItemReader, the items are not read from the input: ItemsPath (or
// Items) is then ignored, as AWS does.
func DistributedStart(s *dsl.State, raw value.Value, env Env) (DistributedPlan, error) {
	d := s.Distributed
	if d == nil {
		return DistributedPlan{}, failure.Newf(failure.Runtime, "state %q is not a distributed Map", s.Name)
	}
	if s.JSONata {
		return queryDistributedStart(s, d, raw, env)
	}
	eff, err := EffectiveInput(s, raw, env)
	if err != nil {
		return DistributedPlan{}, err
	}
	plan := DistributedPlan{MapPlan: MapPlan{Effective: eff, MaxConcurrency: s.MaxConcurrency}}
	penv := withInput(env, eff)
	if d.Reader == nil {
		if plan.Items, err = pathItems(s, penv); err != nil {
			return DistributedPlan{}, err
		}
		plan.Length = len(plan.Items)
	}
	if s.MaxConcurrencyPath != nil {
		if plan.MaxConcurrency, err = maxConcurrencyFrom(s.MaxConcurrencyPath, penv); err != nil {
			return DistributedPlan{}, err
		}
	}
	if b := d.Batcher; b != nil {
		plan.MaxItemsPerBatch, plan.MaxBytesPerBatch = b.MaxItems, b.MaxBytes
		if b.MaxItemsPath != nil {
			if plan.MaxItemsPerBatch, err = pathBound(b.MaxItemsPath, "MaxItemsPerBatchPath", math.MaxInt64, penv); err != nil {
				return DistributedPlan{}, err
			}
		}
		if b.MaxBytesPath != nil {
			if plan.MaxBytesPerBatch, err = pathBound(b.MaxBytesPath, "MaxInputBytesPerBatchPath", MaxBatchBytes, penv); err != nil {
				return DistributedPlan{}, err
			}
		}
		if b.BatchInput != nil {
			if plan.BatchInput, err = b.BatchInput.Eval(penv); err != nil {
				return DistributedPlan{}, err
			}
		}
	}
	if r := d.Reader; r != nil {
		call := &ReaderCall{MaxItems: r.MaxItems}
		if r.Parameters != nil {
			if call.Parameters, err = r.Parameters.Eval(penv); err != nil {
				return DistributedPlan{}, err
			}
		}
		if r.MaxItemsPath != nil {
			// Recorded: 1.5 fails with States.Runtime before the Map
			// Run; -1 is the reader's failure, once it has started.
			if call.MaxItems, err = pathInteger(r.MaxItemsPath, "MaxItemsPath", penv); err != nil {
				return DistributedPlan{}, err
			}
		}
		plan.Reader = call
	}
	if w := d.Writer; w != nil && w.Parameters != nil {
		if plan.WriterParameters, err = w.Parameters.Eval(penv); err != nil {
			return DistributedPlan{}, err
		}
	}
	return plan, nil
}

// pathBound reads a batch bound from its path field: an integer (or a
// string holding one, as AWS accepts) from 1 to max. AWS's cause for a
// value out of range is not known; this one is sfn's, in the wording of
// the inline Map's path fields.
func pathBound(p *dsl.Path, field string, max int64, env Env) (int64, error) {
	n, err := pathInteger(p, field, env)
	if err != nil {
		return 0, err
	}
	if n < 1 || n > max {
		want := "a positive integer"
		if max != math.MaxInt64 {
			want = fmt.Sprintf("an integer from 1 to %d", max)
		}
		return 0, failure.Newf(failure.Runtime, "The %s field must reference %s: %s == %d", field, want, p.String(), n)
	}
	return n, nil
}

// queryDistributedStart is DistributedStart for a JSONata state: Items (by
// default the input), and the bounds, literal or expressions, over
// $states.input, the raw input.
func queryDistributedStart(s *dsl.State, d *dsl.DistributedMap, raw value.Value, env Env) (DistributedPlan, error) {
	q := dsl.NewQueryScope(env, raw)
	plan := DistributedPlan{MapPlan: MapPlan{Effective: raw, MaxConcurrency: s.MaxConcurrency}}
	var err error
	if d.Reader == nil {
		if plan.Items, err = queryItems(s, q, raw); err != nil {
			return DistributedPlan{}, err
		}
		plan.Length = len(plan.Items)
	}
	if s.MaxConcurrencyQuery != nil {
		if plan.MaxConcurrency, err = queryInteger(s.MaxConcurrencyQuery, q, "MaxConcurrency", 0, math.MaxInt64); err != nil {
			return DistributedPlan{}, err
		}
	}
	if b := d.Batcher; b != nil {
		plan.MaxItemsPerBatch, plan.MaxBytesPerBatch = b.MaxItems, b.MaxBytes
		if b.MaxItemsQuery != nil {
			if plan.MaxItemsPerBatch, err = queryWhole(b.MaxItemsQuery, q, "MaxItemsPerBatch", 1, math.MaxInt64); err != nil {
				return DistributedPlan{}, err
			}
		}
		if b.MaxBytesQuery != nil {
			if plan.MaxBytesPerBatch, err = queryWhole(b.MaxBytesQuery, q, "MaxInputBytesPerBatch", 1, MaxBatchBytes); err != nil {
				return DistributedPlan{}, err
			}
		}
		if b.BatchInputQuery != nil {
			if plan.BatchInput, err = b.BatchInputQuery.Eval(q); err != nil {
				return DistributedPlan{}, err
			}
		}
	}
	if r := d.Reader; r != nil {
		call := &ReaderCall{MaxItems: r.MaxItems}
		if r.Arguments != nil {
			if call.Parameters, err = r.Arguments.Eval(q); err != nil {
				return DistributedPlan{}, err
			}
		}
		if r.MaxItemsQuery != nil {
			if call.MaxItems, err = queryWhole(r.MaxItemsQuery, q, "MaxItems", math.MinInt64, math.MaxInt64); err != nil {
				return DistributedPlan{}, err
			}
		}
		plan.Reader = call
	}
	if w := d.Writer; w != nil && w.Arguments != nil {
		if plan.WriterParameters, err = w.Arguments.Eval(q); err != nil {
			return DistributedPlan{}, err
		}
	}
	return plan, nil
}

// queryItems is a JSONata Map's Items: the expression's array, or the
// input, which must then be one (the inline Map's causes).
func queryItems(s *dsl.State, q *dsl.QueryScope, raw value.Value) ([]any, error) {
	items := raw
	if s.Items != nil {
		v, err := s.Items.Eval(q)
		if err != nil {
			return nil, err
		}
		if _, ok := v.([]any); !ok {
			return nil, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '%s' for value: %s", s.Items.Text(), value.TypeName(v), value.MarshalString(v))
		}
		items = v
	}
	arr, ok := items.([]any)
	if !ok {
		return nil, failure.Newf(failure.QueryEvaluationError, "Map state input must be an array but was: %s", value.MarshalString(items))
	}
	return arr, nil
}

// queryWhole evaluates an integer field given as an expression, from min to
// max, with AWS's cause for an expression of the wrong type
// (States.QueryEvaluationError).
func queryWhole(t *dsl.QueryTemplate, q *dsl.QueryScope, field string, min, max int64) (int64, error) {
	v, err := t.Eval(q)
	if err != nil {
		return 0, err
	}
	n, ok := v.(value.Number)
	var i int64
	if ok {
		i, ok = n.Int64()
	}
	if !ok || i < min || i > max {
		want := "an integer"
		if min != math.MinInt64 {
			want = fmt.Sprintf("an integer from %d to %d", min, max)
		}
		return 0, failure.Newf(failure.QueryEvaluationError, "The JSONata expression '%s' specified for the field '%s' returned an unexpected result type. Expected %s, but was: %s", t.Text(), field, want, value.MarshalString(v))
	}
	return i, nil
}

// DistributedTolerance reads the tolerated-failure fields, after
// MapStateStarted as AWS does; the errors are States.Runtime with AWS's
// exact causes (recorded; the engine prefixes "An error occurred while
// executing the state …"). A JSONata state's expressions fail as the inline
// Map's do (States.QueryEvaluationError).
func DistributedTolerance(s *dsl.State, p *DistributedPlan, env Env) error {
	p.ToleranceCount, p.HasCount = s.ToleratedFailureCount, s.HasToleratedFailureCount
	p.TolerancePercent, p.HasPercent = s.ToleratedFailurePercentage, s.HasToleratedFailurePercentage
	if s.JSONata {
		q := dsl.NewQueryScope(env, p.Effective)
		var err error
		if s.ToleratedFailureCountQuery != nil {
			if p.ToleranceCount, err = queryInteger(s.ToleratedFailureCountQuery, q, "ToleratedFailureCount", 0, math.MaxInt64); err != nil {
				return err
			}
			p.HasCount = true
		}
		if s.ToleratedFailurePercentageQuery != nil {
			if p.TolerancePercent, err = queryNumber(s.ToleratedFailurePercentageQuery, q, "ToleratedFailurePercentage"); err != nil {
				return err
			}
			p.HasPercent = true
		}
		return nil
	}
	penv := withInput(env, p.Effective)
	if path := s.ToleratedFailureCountPath; path != nil {
		n, err := pathInteger(path, "ToleratedFailureCountPath", penv)
		if err != nil {
			return err
		}
		if n < 0 {
			return failure.New(failure.Runtime, "ToleratedFailureCount cannot be negative.")
		}
		p.ToleranceCount, p.HasCount = n, true
	}
	if path := s.ToleratedFailurePercentagePath; path != nil {
		f, err := pathNumber(path, "ToleratedFailurePercentagePath", penv)
		if err != nil {
			return err
		}
		if f < 0 || f > 100 {
			return failure.New(failure.Runtime, "ToleratedFailurePercentage must be between 0 and 100.")
		}
		p.TolerancePercent, p.HasPercent = f, true
	}
	return nil
}

// pathNumber reads the number that the path field refers to: a number, or
// a string holding one; anything else fails in the words AWS uses for an
// integer field ("The … field refers to value "…" which is not a valid
// number: <path>").
func pathNumber(p *dsl.Path, field string, env Env) (float64, error) {
	v, err := p.Select(env)
	if err != nil {
		return 0, pathError(err)
	}
	f := math.NaN()
	switch t := v.(type) {
	case value.Number:
		f = t.Float64()
	case string:
		if g, err := strconv.ParseFloat(t, 64); err == nil {
			f = g
		}
	}
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, failure.Newf(failure.Runtime, "The %s field refers to value \"%s\" which is not a valid number: %s", field, displayScalar(v), p.String())
	}
	return f, nil
}

// ChildInputs turns the items into the child executions' inputs, in order:
// each item through ItemSelector (or legacy Parameters) with
// $$.Map.Item.Index and .Value set (env builds the Env of item index: its
// context's "Map" is MapItemContext's), then grouped into batches when the
// Map has an ItemBatcher: {"BatchInput"?: ..., "Items": [...]} with at
// most MaxItemsPerBatch items and at most MaxBytesPerBatch bytes (the JSON
// size of the batch; a single item larger than the bound is a batch of its
// own). With an ItemReader, p.Items are the items it read; for items
// streamed from a reader, MapItemInput and a Batcher do the same one item
// at a time.
func ChildInputs(s *dsl.State, p *DistributedPlan, env func(index int, item value.Value) Env) ([]value.Value, error) {
	var batcher *Batcher
	if s.Distributed != nil && s.Distributed.Batcher != nil {
		batcher = NewBatcher(p)
	}
	out := make([]value.Value, 0, len(p.Items))
	for i, item := range p.Items {
		in, err := MapItemInput(s, &p.MapPlan, item, env(i, item))
		if err != nil {
			return nil, err
		}
		if batcher == nil {
			out = append(out, in)
			continue
		}
		if batch := batcher.Add(in); batch != nil {
			out = append(out, batch)
		}
	}
	if batcher != nil {
		if batch := batcher.Flush(); batch != nil {
			out = append(out, batch)
		}
	}
	return out, nil
}

// Batcher groups a distributed Map's child inputs into batches, one input
// at a time, so that items streamed from a reader never need to be held
// all at once. A batch's size is the length of its JSON text, BatchInput
// and the "Items" array included: what the child execution receives.
type Batcher struct {
	maxItems, maxBytes int64
	input              value.Value
	// base is the size of the batch without items; size that of the
	// batch being filled.
	base, size int64
	items      []any
}

// NewBatcher returns a Batcher with the plan's bounds and BatchInput.
func NewBatcher(p *DistributedPlan) *Batcher {
	b := &Batcher{maxItems: p.MaxItemsPerBatch, maxBytes: p.MaxBytesPerBatch, input: p.BatchInput}
	b.base = jsonSize(BatchOf(nil, p.BatchInput))
	return b
}

// Add adds a child input and returns the batch it finished, if any: the
// batch before it when the input does not fit in its bytes, or the batch
// it filled to MaxItemsPerBatch; nil while the batch is open.
func (b *Batcher) Add(item value.Value) *value.Object {
	var done *value.Object
	size := jsonSize(item)
	if len(b.items) > 0 && b.maxBytes > 0 && b.size+1+size > b.maxBytes {
		done = b.Flush()
	}
	if len(b.items) == 0 {
		b.size = b.base + size
	} else {
		b.size += 1 + size // and the comma before it
	}
	b.items = append(b.items, item)
	if b.maxItems > 0 && int64(len(b.items)) >= b.maxItems {
		// Never two batches at once: a batch is full on its first item
		// only with MaxItemsPerBatch 1, and then no batch was open.
		return b.Flush()
	}
	return done
}

// Flush returns the open batch and starts a new one; nil when it is empty.
func (b *Batcher) Flush() *value.Object {
	if len(b.items) == 0 {
		return nil
	}
	batch := BatchOf(b.items, b.input)
	b.items, b.size = nil, 0
	return batch
}

// BatchOf is a batch as a child execution receives it: {"BatchInput":
// input, "Items": items}, without BatchInput when input is nil.
func BatchOf(items []any, input value.Value) *value.Object {
	if items == nil {
		items = []any{}
	}
	if input == nil {
		return value.ObjectOf("Items", items)
	}
	return value.ObjectOf("BatchInput", input, "Items", items)
}

// jsonSize is the length of v's compact JSON text.
func jsonSize(v value.Value) int64 {
	n, _, _ := value.Measure(v, value.Unlimited, value.Unlimited)
	return int64(n)
}
