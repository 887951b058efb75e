package jsonata

// lambda is a function defined in an expression (function($x){...}),
// closed over its input and scope; also a partial application of one. A
// thunk is the tail call of a lambda body, run by apply's loop.
type lambda struct {
	input  any
	env    *frame
	params []string
	sig    *signature
	body   *node
	thunk  bool
}

// Arity implements Function.
func (l *lambda) Arity() int { return len(l.params) }

// partialBuiltin is a library function with some arguments supplied
// ($substring(?, 0, 2)); holes marks the arguments still to come.
type partialBuiltin struct {
	fn    Function
	args  []any
	holes []bool
}

// Arity implements Function.
func (p *partialBuiltin) Arity() int {
	n := 0
	for _, h := range p.holes {
		if h {
			n++
		}
	}
	return n
}

// composed is f ~> g for two functions: x -> g(f(x)).
type composed struct{ f, g any }

// Arity implements Function.
func (c *composed) Arity() int { return 1 }

// transformer is the function a transform expression |pattern|update,delete|
// evaluates to.
type transformer struct {
	node *node
	env  *frame
}

// Arity implements Function.
func (t *transformer) Arity() int { return 1 }

var transformSignature, _ = parseSignature("<(oa):o>")

func isFunction(v any) bool {
	switch v.(type) {
	case *Builtin, *lambda, *partialBuiltin, *composed, *transformer, *Regex:
		return true
	}
	_, ok := v.(Function)
	return ok
}

// function evaluates a function call; applyTo, when not nil, is the
// value of the left side of ~>, passed as the first argument.
func (ev *evaluator) function(n *node, input any, env *frame, applyTo *any) (any, error) {
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	name := procName(n.procedure)
	if IsUndefined(proc) && n.procedure.kind == nPath {
		if v, ok := ev.lookup(env, name); ok && !IsUndefined(v) {
			return nil, &Error{Code: "T1005", Position: n.pos, Token: name, Message: "Attempted to invoke a non-function. Did you mean $" + name + "?"}
		}
	}
	args := make([]any, 0, len(n.items)+1)
	if applyTo != nil {
		args = append(args, *applyTo)
	}
	for _, a := range n.items {
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args = append(args, v)
	}
	if s, ok := input.(Seq); ok && ev.isOuter(s) {
		input = s[0] // the outermost array input is the context as it is
	}
	res, err := ev.apply(proc, args, input, env)
	if err != nil {
		if e, ok := err.(*Error); ok {
			if e.Position == 0 {
				e.Position = n.pos
			}
			if e.Token == "" {
				e.Token = name
			}
			nameFunction(e, e.Token)
		}
		return nil, err
	}
	return res, nil
}

func procName(p *node) string {
	if p.kind == nPath && len(p.steps) > 0 {
		return p.steps[0].op
	}
	return p.op
}

// apply calls a function value; tail calls returned as thunks are run
// here in a loop, so tail recursion does not grow the Go stack.
func (ev *evaluator) apply(proc any, args []any, input any, env *frame) (any, error) {
	res, err := ev.applyInner(proc, args, input, env)
	for err == nil {
		th, ok := res.(*lambda)
		if !ok || !th.thunk {
			break
		}
		call := th.body
		var next any
		if next, err = ev.eval(call.procedure, th.input, th.env); err != nil {
			return nil, err
		}
		nargs := make([]any, len(call.items))
		for i, a := range call.items {
			if nargs[i], err = ev.eval(a, th.input, th.env); err != nil {
				return nil, err
			}
		}
		res, err = ev.applyInner(next, nargs, input, env)
		if err != nil {
			if e, ok := err.(*Error); ok && e.Token == "" {
				e.Token = procName(call.procedure)
				nameFunction(e, e.Token)
			}
		}
	}
	return res, err
}

func (ev *evaluator) applyInner(proc any, args []any, input any, env *frame) (any, error) {
	switch p := proc.(type) {
	case *lambda:
		if p.sig != nil {
			v, err := p.sig.validate(args, input)
			if err != nil {
				return nil, err
			}
			args = v
		}
		f := &frame{parent: p.env, names: p.params, vals: make([]any, len(p.params))}
		f.names = f.names[:len(p.params):len(p.params)]
		for i := range p.params {
			if i < len(args) {
				f.vals[i] = args[i]
			} else {
				f.vals[i] = Undefined
			}
		}
		return ev.eval(p.body, p.input, f)
	case *Builtin:
		return ev.callBuiltin(p, args, input, env)
	case *partialBuiltin:
		full := make([]any, 0, len(p.args))
		k := 0
		for i, a := range p.args {
			if p.holes[i] {
				if k < len(args) {
					a = args[k]
				} else {
					a = Undefined
				}
				k++
			}
			full = append(full, a)
		}
		// a partial application passes exactly the arguments written;
		// trailing undefined ones are left out, as if not given
		for len(full) > 0 && IsUndefined(full[len(full)-1]) {
			full = full[:len(full)-1]
		}
		return ev.applyInner(p.fn, full, Undefined, env)
	case *composed:
		r, err := ev.apply(p.f, args, nil, env)
		if err != nil {
			return nil, err
		}
		return ev.apply(p.g, []any{r}, nil, env)
	case *transformer:
		v, err := transformSignature.validate(args, input)
		if err != nil {
			return nil, err
		}
		return ev.transform(p, v[0])
	}
	if r, ok := proc.(interface {
		Apply(args []any) (any, error)
	}); ok {
		// a regex literal is a function of (string, fromIndex)
		return r.Apply(args)
	}
	return nil, &Error{Code: "T1006", Message: "Attempted to invoke a non-function"}
}

func (ev *evaluator) callBuiltin(b *Builtin, args []any, input any, env *frame) (any, error) {
	if b.Signature != "" {
		sig, ok := ev.sigs(b)
		if !ok {
			var err error
			if sig, err = parseSignature(b.Signature); err != nil {
				return nil, err
			}
		}
		v, err := sig.validate(args, input)
		if err != nil {
			if e, ok := err.(*Error); ok {
				nameFunction(e, b.Name)
			}
			return nil, err
		}
		args = v
	}
	if ev.applyFn == nil {
		ev.applyFn = func(fn any, args []any) (any, error) { return ev.apply(fn, args, nil, ev.root) }
		// $eval sees the scope of the call it is in: the top of envStack
		ev.evalFn = func(expr string, in any) (any, error) {
			return ev.evalString(expr, in, ev.envStack[len(ev.envStack)-1])
		}
	}
	ev.envStack = append(ev.envStack, env)
	res, err := b.Fn(&Call{Input: input, Apply: ev.applyFn, Eval: ev.evalFn, Now: ev.now}, args)
	ev.envStack = ev.envStack[:len(ev.envStack)-1]
	return res, err
}

// sigs is the parsed signature of a library function.
func (ev *evaluator) sigs(b *Builtin) (*signature, bool) {
	if ev.sigCache == nil {
		return nil, false
	}
	s, ok := ev.sigCache[b]
	return s, ok
}

// evalString is $eval: expr compiled and evaluated against input in env.
func (ev *evaluator) evalString(expr string, input any, env *frame) (any, error) {
	ast, err := parse(expr)
	if err != nil {
		return nil, err
	}
	if a, ok := input.([]any); ok {
		w := Seq{a}
		ev.outer = append(ev.outer, w)
		input = w
	}
	return ev.eval(ast, input, env)
}

func (ev *evaluator) partial(n *node, input any, env *frame) (any, error) {
	args := make([]any, len(n.items))
	holes := make([]bool, len(n.items))
	for i, a := range n.items {
		if a.kind == nPlaceholder {
			holes[i] = true
			continue
		}
		v, err := ev.eval(a, input, env)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	proc, err := ev.eval(n.procedure, input, env)
	if err != nil {
		return nil, err
	}
	name := procName(n.procedure)
	if IsUndefined(proc) && n.procedure.kind == nPath {
		if v, ok := ev.lookup(env, name); ok && !IsUndefined(v) {
			return nil, &Error{Code: "T1007", Position: n.pos, Token: name, Message: "Attempted to partially apply a non-function. Did you mean $" + name + "?"}
		}
	}
	switch p := proc.(type) {
	case *lambda:
		f := newFrame(p.env)
		var unbound []string
		for i, param := range p.params {
			if i < len(args) && holes[i] {
				unbound = append(unbound, param)
				continue
			}
			var v any = Undefined
			if i < len(args) {
				v = args[i]
			}
			f.bind(param, v)
		}
		return &lambda{input: p.input, env: f, params: unbound, body: p.body}, nil
	case *partialBuiltin:
		// fill the remaining holes in order
		nargs := append([]any(nil), p.args...)
		nholes := append([]bool(nil), p.holes...)
		k := 0
		for i := range nholes {
			if !nholes[i] {
				continue
			}
			if k < len(args) && !holes[k] {
				nargs[i] = args[k]
				nholes[i] = false
			} else if k >= len(args) {
				nargs[i] = Undefined
				nholes[i] = false
			}
			k++
		}
		return &partialBuiltin{fn: p.fn, args: nargs, holes: nholes}, nil
	case *Builtin, *transformer, *composed:
		arity := proc.(Function).Arity()
		if arity < len(args) {
			arity = len(args)
		}
		pargs := make([]any, arity)
		pholes := make([]bool, arity)
		for i := range pargs {
			if i < len(args) {
				pargs[i] = args[i]
				pholes[i] = holes[i]
			} else {
				pargs[i] = Undefined
			}
		}
		return &partialBuiltin{fn: proc.(Function), args: pargs, holes: pholes}, nil
	}
	return nil, &Error{Code: "T1008", Position: n.pos, Token: name, Message: "Attempted to partially apply a non-function"}
}

func (ev *evaluator) applyExpr(n *node, input any, env *frame) (any, error) {
	lhs, err := ev.eval(n.lhs, input, env)
	if err != nil {
		return nil, err
	}
	if n.rhs.kind == nFunction {
		return ev.function(n.rhs, input, env, &lhs)
	}
	fn, err := ev.eval(n.rhs, input, env)
	if err != nil {
		return nil, err
	}
	if !isFunction(fn) {
		return nil, coreErr("T2006", n.pos, "", fn)
	}
	if isFunction(lhs) {
		return &composed{f: lhs, g: fn}, nil
	}
	return ev.apply(fn, []any{lhs}, nil, env)
}

// transform applies a transform expression to a copy of obj.
func (ev *evaluator) transform(t *transformer, obj any) (any, error) {
	if IsUndefined(obj) {
		return Undefined, nil
	}
	n := t.node
	var result any
	if cl, ok := ev.lookup(t.env, "clone"); ok && !IsUndefined(cl) {
		if !isFunction(cl) {
			return nil, coreErr("T2013", n.pos, "", nil)
		}
		var err error
		if result, err = ev.apply(cl, []any{obj}, nil, t.env); err != nil {
			return nil, err
		}
	} else {
		result = deepCopy(obj)
	}
	matches, err := ev.eval(n.pattern, result, t.env)
	if err != nil {
		return nil, err
	}
	if IsUndefined(matches) {
		return result, nil
	}
	list := []any{matches}
	if isArray(matches) {
		list = asSeq(matches)
	}
	for _, m := range list {
		upd, err := ev.eval(n.update, m, t.env)
		if err != nil {
			return nil, err
		}
		if !IsUndefined(upd) {
			u, ok := upd.(*Object)
			if !ok {
				return nil, coreErr("T2011", n.update.pos, "", upd)
			}
			if mo, ok := m.(*Object); ok {
				for _, k := range u.Keys() {
					v, _ := u.Get(k)
					mo.Set(k, v)
				}
			}
		}
		if n.del == nil {
			continue
		}
		del, err := ev.eval(n.del, m, t.env)
		if err != nil {
			return nil, err
		}
		if IsUndefined(del) {
			continue
		}
		names := []any{del}
		if isArray(del) {
			names = asSeq(del)
		}
		for _, d := range names {
			if _, ok := d.(string); !ok {
				return nil, coreErr("T2012", n.del.pos, "", del)
			}
		}
		if mo, ok := m.(*Object); ok {
			for _, d := range names {
				mo.Delete(d.(string))
			}
		}
	}
	return result, nil
}

// deepCopy copies arrays and objects (as $clone does, through JSON).
func deepCopy(v any) any {
	switch x := v.(type) {
	case []any:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = deepCopy(it)
		}
		return out
	case Seq:
		out := make([]any, len(x))
		for i, it := range x {
			out[i] = deepCopy(it)
		}
		return out
	case *Object:
		out := NewObject(x.Len())
		for _, k := range x.Keys() {
			it, _ := x.Get(k)
			if IsUndefined(it) || isFunction(it) {
				continue
			}
			out.Set(k, deepCopy(it))
		}
		return out
	}
	return v
}
