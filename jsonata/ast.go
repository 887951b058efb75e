package jsonata

// nodeKind is the kind of an AST node. The parser first builds a raw tree
// (binary '.', '[', '{', '^', '@', '#' nodes); post-processing (process)
// turns it into the evaluated form: paths of steps with their predicates
// (stages), group-by, sort steps and tuple-stream annotations.
type nodeKind uint8

const (
	nPath nodeKind = iota
	nBinary
	nNegate     // unary minus
	nArray      // array constructor [..]
	nObject     // object constructor {..} (no lhs), or group-by after process
	nName       // a field name
	nString     // string literal
	nNumber     // number literal
	nValue      // true, false, null
	nWildcard   // *
	nDescendant // **
	nParent     // %
	nCondition  // c ? a : b
	nBlock      // ( ; )
	nBind       // $x := v
	nRegex      // /re/
	nFunction   // f(args)
	nPartial    // f(?, args)
	nVariable   // $name
	nLambda     // function($x){...}
	nApply      // a ~> f
	nTransform  // |loc|update,delete|
	nSort       // a sort step ^(...)
	nPlaceholder
	nEnd // (end) used as an operand: a syntax error found in process

	// raw forms, removed by process
	rawOperatorName // 'and', 'or', 'in' read as a name
	rawGroup        // lhs{...}
	rawSort         // lhs^(...)
)

// slot identifies the input a parent operator (%) refers to: the label
// under which the ancestor step stores it in the tuple, and how many
// steps up it still has to go.
type slot struct {
	label string
	level int
	index int
}

// stage is a predicate filter or a positional binding on a step.
type stage struct {
	filter *node  // a filter predicate; nil for an index stage
	index  string // the variable bound to the position (#$i)
	pos    int
}

type sortTerm struct {
	descending bool
	expr       *node
}

type groupExpr struct {
	pairs [][2]*node
	pos   int
}

// node is an AST node. One struct serves every kind; each kind uses the
// fields its comment names.
type node struct {
	kind  nodeKind
	op    string  // nBinary operator; nName, nVariable, nString: the name or text
	num   float64 // nNumber
	value any     // nValue, nString (as a value)
	re    *Regex  // nRegex
	pos   int

	lhs, rhs *node   // nBinary, nApply, nBind
	expr     *node   // nNegate
	items    []*node // nArray items, nBlock expressions, nFunction/nPartial arguments
	pairs    [][2]*node
	steps    []*node // nPath

	procedure *node // nFunction, nPartial; nLambda thunk: the tail call
	params    []string
	sig       *signature
	body      *node

	cond, then, els      *node // nCondition
	pattern, update, del *node // nTransform
	terms                []sortTerm

	// raw group-by terms (rawGroup) and raw sort terms (rawSort)
	rawPairs [][2]*node

	// step annotations
	predicate          []stage // filters on an expression that is not a path step
	stages             []stage // filters and index bindings on a path step
	group              *groupExpr
	focus              string // @$v
	index              string // #$i
	tuple              bool
	ancestor           *slot
	slot               *slot // nParent
	seekingParent      []*slot
	keepArray          bool
	keepSingletonArray bool
	consarray          bool
	thunk              bool
}
