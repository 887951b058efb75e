package schema

import (
	"encoding/json"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"unicode/utf8"
)

// The library validator builds an error tree for every state as it goes, and
// the allOf of eight if/then per state costs tens of microseconds each. Most
// documents conform, so Validate first asks a small checker of its own whether
// the document conforms at all; only when it says no (or cannot tell) does the
// library run, and every message still comes from the library.
//
// The checker is compiled from the same asl.schema.json, so it has the same
// rules by construction. It understands only the keywords the schema uses; a
// schema with any other keyword disables it, and any value it does not know
// how to judge counts as "cannot tell". So it can only err on the safe side:
// "conforms" is a promise, "does not" is a request for the library's verdict.
// TestFastAgreesWithLibrary compares the two verdicts on every document the
// test suites have.

// fastNode is one compiled schema object.
type fastNode struct {
	never bool // the schema false

	types     []string // "type"; nil for any
	enum      []any    // "enum" or "const" values (strings only)
	hasEnum   bool
	required  []string
	props     map[string]*fastNode
	propList  []namedNode // props in a slice, for objects without additionalProperties
	addl      *fastNode   // additionalProperties as a schema
	addlFalse bool        // additionalProperties: false
	items     *fastNode
	minItems  int // -1 for none
	minProps  int
	minLength int
	pattern   *regexp.Regexp
	minimum   *big.Rat
	maximum   *big.Rat
	exclMin   *big.Rat
	// The bounds as int64, when all of them are small integers, so that
	// the usual small integer instance is compared without big.Rat.
	intBounds                  bool
	minInt, maxInt, exclMinInt int64

	ref   *fastNode
	allOf []*fastNode
	ifS   *fastNode
	thenS *fastNode
}

type namedNode struct {
	name string
	node *fastNode
}

// annotations are keywords that never affect validity.
var annotations = map[string]bool{"$schema": true, "$id": true, "$defs": true, "title": true, "description": true}

type fastCompiler struct {
	raw  any
	refs map[string]*fastNode
}

// compileFast builds the checker from the raw schema document, or returns an
// error naming what it does not understand.
func compileFast(raw any) (*fastNode, error) {
	c := &fastCompiler{raw: raw, refs: map[string]*fastNode{}}
	return c.node(raw)
}

func (c *fastCompiler) node(s any) (*fastNode, error) {
	switch s := s.(type) {
	case bool:
		return &fastNode{never: !s, minItems: -1, minProps: -1, minLength: -1}, nil
	case map[string]any:
		n := &fastNode{minItems: -1, minProps: -1, minLength: -1}
		return n, c.fill(n, s)
	}
	return nil, fmt.Errorf("schema node of type %T", s)
}

func (c *fastCompiler) fill(n *fastNode, s map[string]any) error {
	for k, v := range s {
		var err error
		switch k {
		case "type":
			switch t := v.(type) {
			case string:
				n.types = []string{t}
			case []any:
				for _, e := range t {
					s, ok := e.(string)
					if !ok {
						return fmt.Errorf("type %v", v)
					}
					n.types = append(n.types, s)
				}
			default:
				return fmt.Errorf("type %v", v)
			}
		case "enum", "const":
			list, ok := v.([]any)
			if k == "const" {
				list, ok = []any{v}, true
			}
			if !ok || n.hasEnum {
				return fmt.Errorf("%s %v", k, v)
			}
			for _, e := range list {
				if _, ok := e.(string); !ok {
					return fmt.Errorf("%s with a non-string value", k)
				}
			}
			n.enum, n.hasEnum = list, true
		case "required":
			list, _ := v.([]any)
			for _, e := range list {
				s, ok := e.(string)
				if !ok {
					return fmt.Errorf("required %v", v)
				}
				n.required = append(n.required, s)
			}
		case "properties":
			m, ok := v.(map[string]any)
			if !ok {
				return fmt.Errorf("properties %v", v)
			}
			n.props = make(map[string]*fastNode, len(m))
			for name, sub := range m {
				if n.props[name], err = c.node(sub); err != nil {
					return err
				}
				n.propList = append(n.propList, namedNode{name, n.props[name]})
			}
		case "additionalProperties":
			if b, ok := v.(bool); ok && !b {
				n.addlFalse = true
			} else {
				n.addl, err = c.node(v)
			}
		case "items":
			n.items, err = c.node(v)
		case "minItems":
			n.minItems, err = count(v)
		case "minProperties":
			n.minProps, err = count(v)
		case "minLength":
			n.minLength, err = count(v)
		case "pattern":
			p, ok := v.(string)
			if !ok {
				return fmt.Errorf("pattern %v", v)
			}
			n.pattern, err = regexp.Compile(p)
		case "minimum":
			n.minimum, err = rat(v)
		case "maximum":
			n.maximum, err = rat(v)
		case "exclusiveMinimum":
			n.exclMin, err = rat(v)
		case "$ref":
			n.ref, err = c.ref(v)
		case "allOf":
			list, ok := v.([]any)
			if !ok {
				return fmt.Errorf("allOf %v", v)
			}
			for _, sub := range list {
				sn, err := c.node(sub)
				if err != nil {
					return err
				}
				n.allOf = append(n.allOf, sn)
			}
		case "if":
			n.ifS, err = c.node(v)
		case "then":
			n.thenS, err = c.node(v)
		default:
			if !annotations[k] {
				return fmt.Errorf("keyword %q", k)
			}
		}
		if err != nil {
			return err
		}
	}
	n.intBounds = true
	for b, dst := range map[*big.Rat]*int64{n.minimum: &n.minInt, n.maximum: &n.maxInt, n.exclMin: &n.exclMinInt} {
		if b == nil {
			continue
		}
		if !b.IsInt() || !b.Num().IsInt64() {
			n.intBounds = false
			continue
		}
		*dst = b.Num().Int64()
	}
	if (n.ifS == nil) != (n.thenS == nil) {
		return fmt.Errorf("if without then, or then without if")
	}
	return nil
}

// ref compiles a local reference once, so that recursive definitions
// (Parallel branches hold States) become a cyclic graph.
func (c *fastCompiler) ref(v any) (*fastNode, error) {
	ref, ok := v.(string)
	if !ok || !strings.HasPrefix(ref, "#/") {
		return nil, fmt.Errorf("$ref %v", v)
	}
	if n, ok := c.refs[ref]; ok {
		return n, nil
	}
	target, ok := lookup(c.raw, splitPointer(ref[1:]))
	if !ok {
		return nil, fmt.Errorf("$ref %s names nothing", ref)
	}
	m, ok := target.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("$ref %s is not an object", ref)
	}
	n := &fastNode{minItems: -1, minProps: -1, minLength: -1}
	c.refs[ref] = n
	return n, c.fill(n, m)
}

func count(v any) (int, error) {
	r, err := rat(v)
	if err != nil || !r.IsInt() || r.Sign() < 0 || !r.Num().IsInt64() {
		return 0, fmt.Errorf("count %v", v)
	}
	return int(r.Num().Int64()), nil
}

func rat(v any) (*big.Rat, error) {
	r, ok := numberRat(v)
	if !ok {
		return nil, fmt.Errorf("number %v", v)
	}
	return r, nil
}

// numberRat reads a number instance exactly, as the library does.
func numberRat(v any) (*big.Rat, bool) {
	switch v.(type) {
	case json.Number, float64:
		return new(big.Rat).SetString(fmt.Sprint(v))
	}
	return nil, false
}

// smallInt reads a json.Number written as plain decimal digits (an optional
// minus sign, at most 18 digits), the form nearly every number takes; big.Rat
// would read it as the same integer.
func smallInt(v any) (int64, bool) {
	s, ok := v.(json.Number)
	if !ok {
		return 0, false
	}
	digits := string(s)
	neg := strings.HasPrefix(digits, "-")
	if neg {
		digits = digits[1:]
	}
	if len(digits) == 0 || len(digits) > 18 {
		return 0, false
	}
	var i int64
	for j := 0; j < len(digits); j++ {
		c := digits[j]
		if c < '0' || c > '9' {
			return 0, false
		}
		i = i*10 + int64(c-'0')
	}
	if neg {
		i = -i
	}
	return i, true
}

// conforms reports whether v surely conforms to n. False means "does not, or
// cannot tell".
func (n *fastNode) conforms(v any) bool {
	if n.never {
		return false
	}
	if n.types != nil && !hasType(n.types, v) {
		return false
	}
	if n.hasEnum {
		s, ok := v.(string)
		if !ok || !containsString(n.enum, s) {
			return false
		}
	}
	switch t := v.(type) {
	case map[string]any:
		if !n.object(t) {
			return false
		}
	case []any:
		if n.minItems >= 0 && len(t) < n.minItems {
			return false
		}
		if n.items != nil {
			for _, e := range t {
				if !n.items.conforms(e) {
					return false
				}
			}
		}
	case string:
		if n.minLength > 0 && (len(t) < n.minLength || utf8.RuneCountInString(t) < n.minLength) {
			return false
		}
		if n.pattern != nil && !n.pattern.MatchString(t) {
			return false
		}
	case json.Number, float64:
		if n.minimum != nil || n.maximum != nil || n.exclMin != nil {
			if i, ok := smallInt(t); ok && n.intBounds {
				if n.minimum != nil && i < n.minInt || n.maximum != nil && i > n.maxInt || n.exclMin != nil && i <= n.exclMinInt {
					return false
				}
				break
			}
			r, ok := numberRat(t)
			if !ok {
				return false
			}
			if n.minimum != nil && r.Cmp(n.minimum) < 0 ||
				n.maximum != nil && r.Cmp(n.maximum) > 0 ||
				n.exclMin != nil && r.Cmp(n.exclMin) <= 0 {
				return false
			}
		}
	case bool, nil:
	default:
		return false // a Go type the checker does not judge
	}
	if n.ref != nil && !n.ref.conforms(v) {
		return false
	}
	for _, sub := range n.allOf {
		if !sub.conforms(v) {
			return false
		}
	}
	if n.ifS != nil && n.ifS.conforms(v) && !n.thenS.conforms(v) {
		return false
	}
	return true
}

// object checks the object keywords.
func (n *fastNode) object(m map[string]any) bool {
	if n.minProps >= 0 && len(m) < n.minProps {
		return false
	}
	for _, r := range n.required {
		if _, ok := m[r]; !ok {
			return false
		}
	}
	if n.addl == nil && !n.addlFalse {
		// Only the named properties are judged: look them up rather than
		// walk the object (a state has one, Type, and many members).
		for _, p := range n.propList {
			if v, ok := m[p.name]; ok && !p.node.conforms(v) {
				return false
			}
		}
		return true
	}
	for k, v := range m {
		if p, ok := n.props[k]; ok {
			if !p.conforms(v) {
				return false
			}
			continue
		}
		if n.addlFalse || n.addl != nil && !n.addl.conforms(v) {
			return false
		}
	}
	return true
}

func hasType(types []string, v any) bool {
	for _, t := range types {
		if isType(t, v) {
			return true
		}
	}
	return false
}

func isType(t string, v any) bool {
	switch t {
	case "object":
		_, ok := v.(map[string]any)
		return ok
	case "array":
		_, ok := v.([]any)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "boolean":
		_, ok := v.(bool)
		return ok
	case "null":
		return v == nil
	case "number":
		if _, ok := smallInt(v); ok {
			return true
		}
		_, ok := numberRat(v)
		return ok
	case "integer":
		if _, ok := smallInt(v); ok {
			return true
		}
		r, ok := numberRat(v)
		return ok && r.IsInt()
	}
	return false
}

func containsString(list []any, s string) bool {
	for _, e := range list {
		if e.(string) == s {
			return true
		}
	}
	return false
}
