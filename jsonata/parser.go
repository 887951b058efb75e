package jsonata

import "strconv"

// maxParseDepth bounds the nesting of the expression being parsed, so that
// a hostile expression cannot make the recursive parser exhaust the stack.
const maxParseDepth = 2000

// maxTreeDepth bounds the depth of the syntax tree, which operator chains
// make deeper than the parser's nesting.
const maxTreeDepth = 20000

// parser is a top-down operator precedence (Pratt) parser with the binding
// powers and error codes of jsonata-js 2.0.6.
type parser struct {
	lex   lexer
	cur   token
	id    string // the current token's symbol: an operator, or (name), (literal), (regex), (end)
	depth int

	ancestorLabel int
}

func bindingPower(id string) int {
	switch id {
	case ".":
		return 75
	case "[", "(", "@", "#":
		return 80
	case "{":
		return 70
	case "*", "/", "%":
		return 60
	case "+", "-", "&":
		return 50
	case "=", "<", ">", "^", "!=", "<=", ">=", "~>", "in":
		return 40
	case "and":
		return 30
	case "or":
		return 25
	case "?":
		return 20
	case ":=":
		return 10
	}
	return 0
}

// knownOperator reports whether an operator token is in the symbol table
// (a lone '!' or '~' is not).
func knownOperator(op string) bool {
	switch op {
	case "!", "~":
		return false
	}
	return true
}

func symbolOf(t token) string {
	switch t.kind {
	case tokEnd:
		return "(end)"
	case tokName, tokVariable:
		return "(name)"
	case tokOperator:
		return t.text
	case tokRegex:
		return "(regex)"
	}
	return "(literal)"
}

// tokenValue is what an error names as the token.
func tokenValue(t token) string {
	switch t.kind {
	case tokEnd:
		return "(end)"
	case tokNumber:
		return t.text
	}
	return t.text
}

func (p *parser) advance(expect string, afterOperand bool) error {
	if expect != "" && p.id != expect {
		code := "S0202"
		if p.id == "(end)" {
			code = "S0203"
		}
		return tokenErr(code, p.cur, expect)
	}
	t, err := p.lex.next(afterOperand)
	if err != nil {
		return err
	}
	if t.kind == tokOperator && !knownOperator(t.text) {
		return coreErr("S0204", t.pos, t.text, nil)
	}
	p.cur = t
	p.id = symbolOf(t)
	return nil
}

// expression parses an expression whose operators bind tighter than rbp.
func (p *parser) expression(rbp int) (*node, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxParseDepth {
		return nil, errorf("S0201", "the expression is nested more than %d levels deep", maxParseDepth)
	}
	t := p.cur
	if err := p.advance("", true); err != nil {
		return nil, err
	}
	left, err := p.nud(t)
	if err != nil {
		return nil, err
	}
	for rbp < bindingPower(p.id) {
		t = p.cur
		if err := p.advance("", false); err != nil {
			return nil, err
		}
		if left, err = p.led(t, left); err != nil {
			return nil, err
		}
	}
	return left, nil
}

func (p *parser) nud(t token) (*node, error) {
	switch t.kind {
	case tokEnd:
		return &node{kind: nEnd, pos: t.pos}, nil
	case tokName:
		return &node{kind: nName, op: t.text, pos: t.pos}, nil
	case tokVariable:
		return &node{kind: nVariable, op: t.text, pos: t.pos}, nil
	case tokString:
		return &node{kind: nString, op: t.text, value: t.text, pos: t.pos}, nil
	case tokNumber:
		return &node{kind: nNumber, num: t.num, value: t.num, pos: t.pos}, nil
	case tokValue:
		return &node{kind: nValue, value: t.val, op: t.text, pos: t.pos}, nil
	case tokRegex:
		return &node{kind: nRegex, re: t.re, op: t.text, pos: t.pos}, nil
	}
	switch t.text {
	case "and", "or", "in":
		return &node{kind: rawOperatorName, op: t.text, pos: t.pos}, nil
	case "-":
		e, err := p.expression(70)
		if err != nil {
			return nil, err
		}
		return &node{kind: nNegate, op: "-", expr: e, pos: t.pos}, nil
	case "*":
		return &node{kind: nWildcard, op: "*", pos: t.pos}, nil
	case "**":
		return &node{kind: nDescendant, op: "**", pos: t.pos}, nil
	case "%":
		return &node{kind: nParent, op: "%", pos: t.pos}, nil
	case "(":
		n := &node{kind: nBlock, pos: t.pos}
		for p.id != ")" {
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			n.items = append(n.items, e)
			if p.id != ";" {
				break
			}
			if err := p.advance(";", false); err != nil {
				return nil, err
			}
		}
		return n, p.advance(")", true)
	case "[":
		n := &node{kind: nArray, op: "[", pos: t.pos}
		if p.id != "]" {
			for {
				item, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				if p.id == ".." {
					r := &node{kind: nBinary, op: "..", pos: p.cur.pos, lhs: item}
					if err := p.advance("..", false); err != nil {
						return nil, err
					}
					if r.rhs, err = p.expression(0); err != nil {
						return nil, err
					}
					item = r
				}
				n.items = append(n.items, item)
				if p.id != "," {
					break
				}
				if err := p.advance(",", false); err != nil {
					return nil, err
				}
			}
		}
		return n, p.advance("]", true)
	case "{":
		pairs, err := p.objectPairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: nObject, op: "{", pairs: pairs, pos: t.pos}, nil
	case "|":
		n := &node{kind: nTransform, pos: t.pos}
		var err error
		if n.pattern, err = p.expression(0); err != nil {
			return nil, err
		}
		if err := p.advance("|", false); err != nil {
			return nil, err
		}
		if n.update, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.id == "," {
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
			if n.del, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, p.advance("|", false)
	}
	return nil, coreErr("S0211", t.pos, t.text, nil)
}

func (p *parser) objectPairs() ([][2]*node, error) {
	var pairs [][2]*node
	if p.id != "}" {
		for {
			k, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			if err := p.advance(":", false); err != nil {
				return nil, err
			}
			v, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			pairs = append(pairs, [2]*node{k, v})
			if p.id != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
	}
	return pairs, p.advance("}", true)
}

func (p *parser) led(t token, left *node) (*node, error) {
	op := t.text
	switch op {
	case "(":
		return p.call(t, left)
	case "[":
		if p.id == "]" {
			// an empty predicate keeps singleton arrays in the result
			step := left
			for step != nil && step.kind == nBinary && step.op == "[" {
				step = step.lhs
			}
			step.keepArray = true
			return left, p.advance("]", false)
		}
		rhs, err := p.expression(0)
		if err != nil {
			return nil, err
		}
		n := &node{kind: nBinary, op: "[", lhs: left, rhs: rhs, pos: t.pos}
		return n, p.advance("]", true)
	case "^":
		if err := p.advance("(", false); err != nil {
			return nil, err
		}
		n := &node{kind: rawSort, lhs: left, pos: t.pos}
		for {
			term := sortTerm{}
			if p.id == "<" {
				if err := p.advance("<", false); err != nil {
					return nil, err
				}
			} else if p.id == ">" {
				term.descending = true
				if err := p.advance(">", false); err != nil {
					return nil, err
				}
			}
			e, err := p.expression(0)
			if err != nil {
				return nil, err
			}
			term.expr = e
			n.terms = append(n.terms, term)
			if p.id != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
		return n, p.advance(")", false)
	case "{":
		pairs, err := p.objectPairs()
		if err != nil {
			return nil, err
		}
		return &node{kind: rawGroup, lhs: left, rawPairs: pairs, pos: t.pos}, nil
	case ":=":
		if left.kind != nVariable {
			return nil, coreErr("S0212", left.pos, left.op, nil)
		}
		rhs, err := p.expression(bindingPower(":=") - 1) // right associative
		if err != nil {
			return nil, err
		}
		return &node{kind: nBinary, op: ":=", lhs: left, rhs: rhs, pos: t.pos}, nil
	case "@", "#":
		rhs, err := p.expression(80)
		if err != nil {
			return nil, err
		}
		if rhs.kind != nVariable {
			return nil, coreErr("S0214", rhs.pos, op, nil)
		}
		return &node{kind: nBinary, op: op, lhs: left, rhs: rhs, pos: t.pos}, nil
	case "?":
		n := &node{kind: nCondition, cond: left, pos: t.pos}
		var err error
		if n.then, err = p.expression(0); err != nil {
			return nil, err
		}
		if p.id == ":" {
			if err := p.advance(":", false); err != nil {
				return nil, err
			}
			if n.els, err = p.expression(0); err != nil {
				return nil, err
			}
		}
		return n, nil
	}
	rhs, err := p.expression(bindingPower(op))
	if err != nil {
		return nil, err
	}
	return &node{kind: nBinary, op: op, lhs: left, rhs: rhs, pos: t.pos}, nil
}

// call parses a function call, a partial application or a lambda
// definition after its '('.
func (p *parser) call(t token, left *node) (*node, error) {
	n := &node{kind: nFunction, procedure: left, pos: t.pos}
	if p.id != ")" {
		for {
			if p.cur.kind == tokOperator && p.id == "?" {
				n.kind = nPartial
				n.items = append(n.items, &node{kind: nPlaceholder, op: "?", pos: p.cur.pos})
				if err := p.advance("?", false); err != nil {
					return nil, err
				}
			} else {
				arg, err := p.expression(0)
				if err != nil {
					return nil, err
				}
				n.items = append(n.items, arg)
			}
			if p.id != "," {
				break
			}
			if err := p.advance(",", false); err != nil {
				return nil, err
			}
		}
	}
	if err := p.advance(")", true); err != nil {
		return nil, err
	}
	if left.kind != nName || (left.op != "function" && left.op != "λ") {
		return n, nil
	}
	// a lambda definition: every parameter must be a variable
	for i, arg := range n.items {
		if arg.kind != nVariable {
			e := coreErr("S0208", arg.pos, arg.op, float64(i+1))
			e.Message = "Parameter " + strconv.Itoa(i+1) + " of function definition must be a variable name (start with $)"
			return nil, e
		}
		n.params = append(n.params, arg.op)
	}
	n.kind = nLambda
	n.items = nil
	if p.id == "<" {
		sigPos := p.cur.pos
		depth := 1
		sig := "<"
		for depth > 0 && p.id != "{" && p.id != "(end)" {
			if err := p.advance("", false); err != nil {
				return nil, err
			}
			switch p.id {
			case ">":
				depth--
			case "<":
				depth++
			}
			sig += tokenText(p.cur)
		}
		if err := p.advance(">", false); err != nil {
			return nil, err
		}
		s, err := parseSignature(sig)
		if err != nil {
			if e, ok := err.(*Error); ok {
				e.Position += sigPos
			}
			return nil, err
		}
		n.sig = s
	}
	if err := p.advance("{", false); err != nil {
		return nil, err
	}
	body, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	n.body = body
	return n, p.advance("}", false)
}

// tokenText is a token as written, for rebuilding a lambda's signature.
func tokenText(t token) string {
	switch t.kind {
	case tokVariable:
		return "$" + t.text
	case tokValue:
		return t.text
	case tokEnd:
		return ""
	}
	return t.text
}

// parse parses and post-processes an expression.
func parse(src string) (*node, error) {
	p := &parser{lex: lexer{src: src}}
	if err := p.advance("", false); err != nil {
		return nil, err
	}
	expr, err := p.expression(0)
	if err != nil {
		return nil, err
	}
	if p.id != "(end)" {
		return nil, tokenErr("S0201", p.cur, nil)
	}
	expr, err = p.process(expr)
	if err != nil {
		return nil, err
	}
	if expr.kind == nParent || expr.seekingParent != nil {
		return nil, coreErr("S0217", expr.pos, kindName(expr.kind), nil)
	}
	return expr, nil
}

func kindName(k nodeKind) string {
	switch k {
	case nPath:
		return "path"
	case nParent:
		return "parent"
	case nBinary:
		return "binary"
	case nFunction:
		return "function"
	case nVariable:
		return "variable"
	case nNumber:
		return "number"
	case nString:
		return "string"
	case nValue:
		return "value"
	case nBlock:
		return "block"
	}
	return "expression"
}
