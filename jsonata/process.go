package jsonata

import "strconv"

// process turns the raw parse tree into the tree the evaluator runs, as
// jsonata-js's post-parse stage does: location paths become flat lists of
// steps, predicates attach to their step (stages) or expression
// (predicate), group-by and sort attach to paths, %, # and @ mark the
// steps that carry a tuple stream, and lambda bodies get their tail calls
// turned into thunks.
func (p *parser) process(e *node) (*node, error) {
	// a long chain of left-associative operators (a.b.c… or 1+1+…) is
	// parsed by a loop but nests in the tree: bound the recursion here
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxTreeDepth {
		return nil, coreErr("S0201", e.pos, e.op, nil)
	}
	var result *node
	var err error
	switch e.kind {
	case nBinary:
		switch e.op {
		case ".":
			result, err = p.processDot(e)
		case "[":
			result, err = p.processPredicate(e)
		case ":=":
			result = &node{kind: nBind, op: ":=", pos: e.pos}
			if result.lhs, err = p.process(e.lhs); err != nil {
				return nil, err
			}
			if result.rhs, err = p.process(e.rhs); err != nil {
				return nil, err
			}
			pushAncestry(result, result.rhs)
		case "@":
			if result, err = p.process(e.lhs); err != nil {
				return nil, err
			}
			step := result
			if result.kind == nPath {
				step = result.steps[len(result.steps)-1]
			}
			if step.stages != nil || step.predicate != nil {
				return nil, coreErr("S0215", e.pos, "", nil)
			}
			if step.kind == nSort {
				return nil, coreErr("S0216", e.pos, "", nil)
			}
			if e.keepArray {
				step.keepArray = true
			}
			step.focus = e.rhs.op
			step.tuple = true
		case "#":
			if result, err = p.process(e.lhs); err != nil {
				return nil, err
			}
			step := result
			if result.kind == nPath {
				step = result.steps[len(result.steps)-1]
			} else {
				result = &node{kind: nPath, steps: []*node{result}, pos: result.pos}
				if step.predicate != nil {
					step.stages = step.predicate
					step.predicate = nil
				}
			}
			if step.stages == nil {
				step.index = e.rhs.op
			} else {
				step.stages = append(step.stages, stage{index: e.rhs.op, pos: e.pos})
			}
			step.tuple = true
		case "~>":
			result = &node{kind: nApply, op: "~>", pos: e.pos}
			if result.lhs, err = p.process(e.lhs); err != nil {
				return nil, err
			}
			if result.rhs, err = p.process(e.rhs); err != nil {
				return nil, err
			}
			result.keepArray = result.lhs.keepArray || result.rhs.keepArray
		default:
			result = &node{kind: nBinary, op: e.op, pos: e.pos}
			if result.lhs, err = p.process(e.lhs); err != nil {
				return nil, err
			}
			if result.rhs, err = p.process(e.rhs); err != nil {
				return nil, err
			}
			pushAncestry(result, result.lhs)
			pushAncestry(result, result.rhs)
		}
		if err != nil {
			return nil, err
		}
	case rawGroup:
		if result, err = p.process(e.lhs); err != nil {
			return nil, err
		}
		if result.group != nil {
			return nil, coreErr("S0210", e.pos, "", nil)
		}
		g := &groupExpr{pos: e.pos}
		for _, pair := range e.rawPairs {
			k, err := p.process(pair[0])
			if err != nil {
				return nil, err
			}
			v, err := p.process(pair[1])
			if err != nil {
				return nil, err
			}
			g.pairs = append(g.pairs, [2]*node{k, v})
		}
		result.group = g
	case rawSort:
		if result, err = p.process(e.lhs); err != nil {
			return nil, err
		}
		if result.kind != nPath {
			result = &node{kind: nPath, steps: []*node{result}, pos: result.pos}
		}
		sortStep := &node{kind: nSort, pos: e.pos}
		for _, t := range e.terms {
			x, err := p.process(t.expr)
			if err != nil {
				return nil, err
			}
			pushAncestry(sortStep, x)
			sortStep.terms = append(sortStep.terms, sortTerm{descending: t.descending, expr: x})
		}
		result.steps = append(result.steps, sortStep)
		if err := resolveAncestry(result); err != nil {
			return nil, err
		}
	case nNegate:
		x, err := p.process(e.expr)
		if err != nil {
			return nil, err
		}
		if x.kind == nNumber {
			x.num = -x.num
			x.value = x.num
			result = x
		} else {
			result = &node{kind: nNegate, op: "-", expr: x, pos: e.pos}
			pushAncestry(result, x)
		}
	case nArray:
		result = &node{kind: nArray, op: "[", pos: e.pos}
		for _, item := range e.items {
			x, err := p.process(item)
			if err != nil {
				return nil, err
			}
			pushAncestry(result, x)
			result.items = append(result.items, x)
		}
	case nObject:
		result = &node{kind: nObject, op: "{", pos: e.pos}
		for _, pair := range e.pairs {
			k, err := p.process(pair[0])
			if err != nil {
				return nil, err
			}
			pushAncestry(result, k)
			v, err := p.process(pair[1])
			if err != nil {
				return nil, err
			}
			pushAncestry(result, v)
			result.pairs = append(result.pairs, [2]*node{k, v})
		}
	case nFunction, nPartial:
		result = &node{kind: e.kind, pos: e.pos}
		for _, arg := range e.items {
			x, err := p.process(arg)
			if err != nil {
				return nil, err
			}
			pushAncestry(result, x)
			result.items = append(result.items, x)
		}
		if result.procedure, err = p.process(e.procedure); err != nil {
			return nil, err
		}
	case nLambda:
		result = &node{kind: nLambda, params: e.params, sig: e.sig, pos: e.pos}
		body, err := p.process(e.body)
		if err != nil {
			return nil, err
		}
		result.body = tailCallOptimize(body)
	case nCondition:
		result = &node{kind: nCondition, pos: e.pos}
		if result.cond, err = p.process(e.cond); err != nil {
			return nil, err
		}
		pushAncestry(result, result.cond)
		if result.then, err = p.process(e.then); err != nil {
			return nil, err
		}
		pushAncestry(result, result.then)
		if e.els != nil {
			if result.els, err = p.process(e.els); err != nil {
				return nil, err
			}
			pushAncestry(result, result.els)
		}
	case nTransform:
		result = &node{kind: nTransform, pos: e.pos}
		if result.pattern, err = p.process(e.pattern); err != nil {
			return nil, err
		}
		if result.update, err = p.process(e.update); err != nil {
			return nil, err
		}
		if e.del != nil {
			if result.del, err = p.process(e.del); err != nil {
				return nil, err
			}
		}
	case nBlock:
		result = &node{kind: nBlock, pos: e.pos}
		for _, item := range e.items {
			x, err := p.process(item)
			if err != nil {
				return nil, err
			}
			pushAncestry(result, x)
			if x.consarray || (x.kind == nPath && x.steps[0].consarray) {
				result.consarray = true
			}
			result.items = append(result.items, x)
		}
	case nName:
		result = &node{kind: nPath, steps: []*node{e}, pos: e.pos}
		if e.keepArray {
			result.keepSingletonArray = true
		}
	case rawOperatorName:
		e.kind = nName
		return p.process(e)
	case nParent:
		result = &node{kind: nParent, pos: e.pos, slot: &slot{label: "!" + strconv.Itoa(p.ancestorLabel), level: 1, index: p.ancestorLabel}}
		p.ancestorLabel++
	case nString, nNumber, nValue, nWildcard, nDescendant, nVariable, nRegex, nPlaceholder:
		result = e
	case nEnd:
		return nil, coreErr("S0207", e.pos, "(end)", nil)
	default:
		return nil, coreErr("S0206", e.pos, e.op, nil)
	}
	if e.keepArray {
		result.keepArray = true
	}
	return result, nil
}

func (p *parser) processDot(e *node) (*node, error) {
	lstep, err := p.process(e.lhs)
	if err != nil {
		return nil, err
	}
	result := lstep
	if lstep.kind != nPath {
		result = &node{kind: nPath, steps: []*node{lstep}, pos: lstep.pos}
	}
	if lstep.kind == nParent {
		result.seekingParent = []*slot{lstep.slot}
	}
	rest, err := p.process(e.rhs)
	if err != nil {
		return nil, err
	}
	if rest.kind == nPath {
		result.steps = append(result.steps, rest.steps...)
	} else {
		if rest.predicate != nil {
			rest.stages = rest.predicate
			rest.predicate = nil
		}
		result.steps = append(result.steps, rest)
	}
	for _, step := range result.steps {
		switch step.kind {
		case nNumber, nValue:
			e := coreErr("S0213", step.pos, "", step.value)
			e.Message = "The literal value " + literalText(step) + " cannot be used as a step within a path expression"
			return nil, e
		case nString:
			step.kind = nName
		}
		if step.keepArray {
			result.keepSingletonArray = true
		}
	}
	if first := result.steps[0]; first.kind == nArray {
		first.consarray = true
	}
	if last := result.steps[len(result.steps)-1]; last.kind == nArray {
		last.consarray = true
	}
	if err := resolveAncestry(result); err != nil {
		return nil, err
	}
	return result, nil
}

func literalText(n *node) string {
	if n.kind == nNumber {
		return strconv.FormatFloat(n.num, 'g', -1, 64)
	}
	return n.op
}

func (p *parser) processPredicate(e *node) (*node, error) {
	result, err := p.process(e.lhs)
	if err != nil {
		return nil, err
	}
	step := result
	onStages := false
	if result.kind == nPath {
		step = result.steps[len(result.steps)-1]
		onStages = true
	}
	if step.group != nil {
		return nil, coreErr("S0209", e.pos, "", nil)
	}
	pred, err := p.process(e.rhs)
	if err != nil {
		return nil, err
	}
	if pred.seekingParent != nil {
		for _, s := range pred.seekingParent {
			if s.level == 1 {
				if _, err := seekParent(step, s); err != nil {
					return nil, err
				}
			} else {
				s.level--
			}
		}
		pushAncestry(step, pred)
	}
	st := stage{filter: pred, pos: e.pos}
	if onStages {
		step.stages = append(step.stages, st)
	} else {
		step.predicate = append(step.predicate, st)
	}
	return result, nil
}

// tailCallOptimize replaces a function call in tail position by a thunk
// (a parameterless lambda whose body is the call): applying a lambda then
// loops over thunks instead of recursing.
func tailCallOptimize(e *node) *node {
	switch e.kind {
	case nFunction:
		if e.predicate == nil {
			return &node{kind: nLambda, thunk: true, body: e, pos: e.pos}
		}
	case nCondition:
		e.then = tailCallOptimize(e.then)
		if e.els != nil {
			e.els = tailCallOptimize(e.els)
		}
	case nBlock:
		if n := len(e.items); n > 0 {
			e.items[n-1] = tailCallOptimize(e.items[n-1])
		}
	}
	return e
}

// seekParent walks back from n looking for the step whose input a parent
// operator refers to, and marks that step to keep it in the tuple.
func seekParent(n *node, s *slot) (*slot, error) {
	var err error
	switch n.kind {
	case nName, nWildcard:
		s.level--
		if s.level == 0 {
			if n.ancestor != nil {
				// the step already keeps its input for another %: share the label
				s.label = n.ancestor.label
			}
			n.ancestor = s
			n.tuple = true
		}
	case nParent:
		s.level++
	case nBlock:
		if len(n.items) > 0 {
			n.tuple = true
			s, err = seekParent(n.items[len(n.items)-1], s)
		}
	case nPath:
		n.tuple = true
		i := len(n.steps) - 1
		s, err = seekParent(n.steps[i], s)
		i--
		for err == nil && s.level > 0 && i >= 0 {
			s, err = seekParent(n.steps[i], s)
			i--
		}
	default:
		return nil, coreErr("S0217", n.pos, kindName(n.kind), nil)
	}
	return s, err
}

// pushAncestry passes up the unresolved parent references of value.
func pushAncestry(result, value *node) {
	if value.seekingParent == nil && value.kind != nParent {
		return
	}
	slots := append([]*slot(nil), value.seekingParent...)
	if value.kind == nParent {
		slots = append(slots, value.slot)
	}
	result.seekingParent = append(result.seekingParent, slots...)
}

// resolveAncestry resolves the parent references of a path's last step
// against its earlier steps; those it cannot resolve go up to the path.
func resolveAncestry(path *node) error {
	last := path.steps[len(path.steps)-1]
	slots := append([]*slot(nil), last.seekingParent...)
	if last.kind == nParent {
		slots = append(slots, last.slot)
	}
	for _, s := range slots {
		i := len(path.steps) - 2
		for s.level > 0 {
			if i < 0 {
				path.seekingParent = append(path.seekingParent, s)
				break
			}
			step := path.steps[i]
			i--
			// contiguous steps that bind the focus count as one
			for i >= 0 && step.focus != "" && path.steps[i].focus != "" {
				step = path.steps[i]
				i--
			}
			var err error
			if s, err = seekParent(step, s); err != nil {
				return err
			}
		}
	}
	return nil
}
