package jsonpath

import (
	"github.com/sfn-project/sfn/dsl/value"
)

// selectDefinite walks a definite path: one value in, one value out, no
// allocation unless it fails or merges names.
func (p *Path) selectDefinite(doc value.Value) (value.Value, error) {
	if p.countMatches {
		// length() after an indefinite path counts its matches.
		ev := evaluator{root: doc}
		out := make([]any, 0, 4)
		ev.walk(p.steps[:len(p.steps)-1], doc, &out)
		if ev.exhausted() {
			return nil, p.tooComplex()
		}
		return value.Int(int64(len(out))), nil
	}
	cur := doc
	last := len(p.steps) - 1
	for i := range p.steps {
		st := &p.steps[i]
		switch st.kind {
		case kName:
			o, ok := cur.(*value.Object)
			if !ok {
				return nil, p.notAnObject(i, cur)
			}
			v, ok := o.Get(st.name)
			if !ok {
				if i == last {
					return nil, p.noResults()
				}
				return nil, p.missingProperty(i)
			}
			cur = v
		case kIndex:
			a, ok := cur.([]any)
			if !ok {
				return nil, p.notAnArray(i, cur)
			}
			j := st.index
			if j < 0 {
				j += len(a)
			}
			if j < 0 || j >= len(a) {
				return nil, p.noResults()
			}
			cur = a[j]
		case kNames:
			o, ok := cur.(*value.Object)
			if !ok {
				return nil, p.notAnObject(i, cur)
			}
			cur = merge(o, st.names)
		case kLength:
			return length(cur), nil
		default:
			// Parse only marks paths of the kinds above as definite.
			return nil, p.noResults()
		}
	}
	return cur, nil
}

// merge is Jayway's multi-property leaf: one object holding the named
// members that exist, in the order the path names them.
func merge(o *value.Object, names []string) *value.Object {
	m := value.NewObject(len(names))
	for _, n := range names {
		if v, ok := o.Get(n); ok {
			m.Set(n, v)
		}
	}
	return m
}

// length is Jayway's length(): the size of an array or object, else null.
func length(v value.Value) value.Value {
	switch t := v.(type) {
	case []any:
		return value.Int(int64(len(t)))
	case *value.Object:
		return value.Int(int64(t.Len()))
	}
	return nil
}

// evaluator walks indefinite paths. As AWS does, it never fails: a step
// that does not apply (a missing name, an index out of range, a name on an
// array) contributes no match.
type evaluator struct {
	root value.Value
	goDoc
	// visits counts the steps applied; paths such as $..*..*..* grow
	// exponentially with the document, so evaluation stops at maxVisits.
	visits int
}

// maxVisits bounds the work of one Select (a million steps, tens of
// milliseconds), so that a hostile path cannot stall an engine.
const maxVisits = 1 << 20

func (ev *evaluator) exhausted() bool { return ev.visits > maxVisits }

func (ev *evaluator) walk(steps []step, cur value.Value, out *[]any) {
	ev.visits++
	if ev.exhausted() {
		return
	}
	if len(steps) == 0 {
		*out = append(*out, cur)
		return
	}
	st := &steps[0]
	if st.scan {
		ev.descend(st, steps[1:], cur, out)
		return
	}
	ev.apply(st, steps[1:], cur, out)
}

// descend applies st at cur and at every value below it, in document order
// (the node before its children, members in object order).
func (ev *evaluator) descend(st *step, rest []step, cur value.Value, out *[]any) {
	ev.visits++
	if ev.exhausted() {
		return
	}
	ev.apply(st, rest, cur, out)
	switch t := cur.(type) {
	case *value.Object:
		for _, m := range t.Members() {
			ev.descend(st, rest, m.Value, out)
		}
	case []any:
		for _, e := range t {
			ev.descend(st, rest, e, out)
		}
	}
}

func (ev *evaluator) apply(st *step, rest []step, cur value.Value, out *[]any) {
	switch st.kind {
	case kName:
		if o, ok := cur.(*value.Object); ok {
			if v, ok := o.Get(st.name); ok {
				ev.walk(rest, v, out)
			}
		}
	case kNames:
		o, ok := cur.(*value.Object)
		if !ok {
			return
		}
		if len(rest) == 0 {
			*out = append(*out, merge(o, st.names))
			return
		}
		for _, n := range st.names {
			if v, ok := o.Get(n); ok {
				ev.walk(rest, v, out)
			}
		}
	case kIndex:
		if a, ok := cur.([]any); ok {
			if j := normIndex(st.index, len(a)); j >= 0 {
				ev.walk(rest, a[j], out)
			}
		}
	case kIndexes:
		if a, ok := cur.([]any); ok {
			for _, i := range st.indexes {
				if j := normIndex(i, len(a)); j >= 0 {
					ev.walk(rest, a[j], out)
				}
			}
		}
	case kSlice:
		if a, ok := cur.([]any); ok {
			from, to := sliceBounds(st, len(a))
			for j := from; j < to; j++ {
				ev.walk(rest, a[j], out)
			}
		}
	case kWildcard:
		switch t := cur.(type) {
		case *value.Object:
			for _, m := range t.Members() {
				ev.walk(rest, m.Value, out)
			}
		case []any:
			for _, e := range t {
				ev.walk(rest, e, out)
			}
		}
	case kFilter:
		// Jayway applies a filter to each element of an array, and to an
		// object as a whole.
		switch t := cur.(type) {
		case []any:
			for _, e := range t {
				if st.filter.match(ev, e) {
					ev.walk(rest, e, out)
				}
			}
		case *value.Object:
			if st.filter.match(ev, t) {
				ev.walk(rest, t, out)
			}
		}
	case kLength:
		// Parse makes length() the last step of a definite path.
	}
}

func normIndex(i, n int) int {
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return -1
	}
	return i
}

// sliceBounds resolves [from:to] over n elements; negative bounds count from
// the end, and bounds outside the array are clamped.
func sliceBounds(st *step, n int) (int, int) {
	from, to := 0, n
	if st.hasFrom {
		from = st.from
		if from < 0 {
			from += n
		}
	}
	if st.hasTo {
		to = st.to
		if to < 0 {
			to += n
		}
	}
	from = max(0, min(from, n))
	to = max(0, min(to, n))
	if from > to {
		from = to
	}
	return from, to
}
