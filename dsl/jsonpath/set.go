package jsonpath

import (
	"github.com/sfn-project/sfn/dsl/value"
)

// Set returns doc with the reference path's target replaced by v, creating
// missing intermediate objects; doc is not modified. It builds a new spine
// along the path and shares every other subtree with doc. It fails with a
// *SetError when an intermediate value is not an object, an index does not
// fall inside an existing array, or the path is not a reference path.
func (p *Path) Set(doc, v value.Value) (value.Value, error) {
	if !p.reference || p.context {
		return nil, p.setError(doc)
	}
	out, ok := setAt(p.steps, doc, v)
	if !ok {
		return nil, p.setError(doc)
	}
	return out, nil
}

func (p *Path) setError(doc value.Value) error {
	return &SetError{Path: p.text, Msg: "Unable to apply ReferencePath " + p.text + " to input " + value.MarshalString(doc)}
}

func setAt(steps []step, cur, v value.Value) (value.Value, bool) {
	if len(steps) == 0 {
		return v, true
	}
	st := &steps[0]
	switch st.kind {
	case kName:
		o, ok := cur.(*value.Object)
		if !ok {
			return nil, false
		}
		child, ok := o.Get(st.name)
		var nv value.Value
		if ok {
			nv, ok = setAt(steps[1:], child, v)
		} else {
			nv, ok = create(steps[1:], v)
		}
		if !ok {
			return nil, false
		}
		return o.With(st.name, nv), true
	case kIndex:
		a, ok := cur.([]any)
		if !ok || st.index < 0 || st.index >= len(a) {
			return nil, false
		}
		nv, ok := setAt(steps[1:], a[st.index], v)
		if !ok {
			return nil, false
		}
		c := make([]any, len(a))
		copy(c, a)
		c[st.index] = nv
		return c, true
	}
	return nil, false
}

// create builds the objects a ResultPath names below a missing member. An
// index there has no array to land in.
func create(steps []step, v value.Value) (value.Value, bool) {
	if len(steps) == 0 {
		return v, true
	}
	if steps[0].kind != kName {
		return nil, false
	}
	inner, ok := create(steps[1:], v)
	if !ok {
		return nil, false
	}
	o := value.NewObject(1)
	o.Set(steps[0].name, inner)
	return o, true
}
