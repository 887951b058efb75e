package jsonpath

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"github.com/PaesslerAG/gval"
	pjsonpath "github.com/PaesslerAG/jsonpath"

	"github.com/sfn-project/sfn/dsl/value"
)

// predicate decides whether a filter [?(...)] keeps a candidate value.
type predicate interface {
	match(ev *evaluator, candidate value.Value) bool
}

// compileFilter compiles the expression inside [?( )]. An existence test
// (@.a, !@.a) is answered by the walker; anything else (comparisons, logic,
// regular expressions) is handed to PaesslerAG/jsonpath, behind predicate, so
// the rest of the package never sees its plain-Go documents.
func compileFilter(expr string) (predicate, error) {
	t := strings.TrimSpace(expr)
	negate := false
	if strings.HasPrefix(t, "!") {
		negate, t = true, strings.TrimSpace(t[1:])
	}
	if strings.HasPrefix(t, "@") && !strings.HasPrefix(t, "@@") && !strings.ContainsAny(t, "=<>~&|!()") {
		if p, err := Parse("$" + t[1:]); err == nil && p.definite && !p.countMatches {
			return existence{path: p, negate: negate}, nil
		}
	}
	return compileGval(expr)
}

// existence keeps candidates on which a relative definite path selects
// something (Jayway's [?(@.tag)]), whatever the value, even null or false.
type existence struct {
	path   *Path
	negate bool
}

func (e existence) match(_ *evaluator, v value.Value) bool {
	_, err := e.path.selectDefinite(v)
	return (err == nil) != e.negate
}

// candidateKey is the member under which a candidate is handed to
// PaesslerAG, next to the root's own members (for $ inside a filter).
const candidateKey = "\x00sfn-candidate"

var filterLanguage = gval.Full(pjsonpath.Language(), gval.Constant("null", nil))

type gvalFilter struct {
	eval     gval.Evaluable
	usesRoot bool
}

func compileGval(expr string) (predicate, error) {
	rewritten, err := toGvalSyntax(expr)
	if err != nil {
		return nil, err
	}
	eval, err := compileSafely("$[" + strconv.Quote(candidateKey) + "][?(" + rewritten + ")]")
	if err != nil {
		return nil, err
	}
	return gvalFilter{eval: eval, usesRoot: strings.Contains(rewritten, "$")}, nil
}

// compileSafely guards Parse's promise never to panic against surprises in
// the third-party parser.
func compileSafely(src string) (eval gval.Evaluable, err error) {
	defer func() {
		if r := recover(); r != nil {
			eval, err = nil, fmt.Errorf("%v", r)
		}
	}()
	return filterLanguage.NewEvaluable(src)
}

func (f gvalFilter) match(ev *evaluator, v value.Value) (ok bool) {
	defer func() {
		if recover() != nil {
			ok = false
		}
	}()
	params := ev.params(f.usesRoot)
	params[candidateKey] = []any{toGo(v)}
	res, err := f.eval(context.Background(), params)
	if err != nil {
		return false
	}
	matches, _ := res.([]any)
	return len(matches) == 1
}

// goDoc is the evaluator's plain-Go view of the root for PaesslerAG, built
// once per Select and only when a filter needs it.
type goDoc struct {
	built    bool
	withRoot bool
	m        map[string]any
}

func (ev *evaluator) params(withRoot bool) map[string]any {
	if !ev.built || (withRoot && !ev.withRoot) {
		ev.m = map[string]any{}
		if withRoot {
			if o, ok := ev.root.(*value.Object); ok {
				for _, mem := range o.Members() {
					ev.m[mem.Key] = toGo(mem.Value)
				}
			}
		}
		ev.built, ev.withRoot = true, withRoot
	}
	return ev.m
}

// toGo converts a Value into the plain Go values PaesslerAG works on, whose
// comparisons want float64 numbers.
func toGo(v value.Value) any { return value.ToGo(v, floatNumber) }

func floatNumber(n value.Number) any { return n.Float64() }

// toGvalSyntax rewrites Jayway filter syntax that gval spells differently:
// 'single-quoted' strings become "double-quoted" ones, and a regular
// expression literal after =~ (/re/i) becomes a string anchored at both ends,
// because Jayway requires the whole value to match.
func toGvalSyntax(expr string) (string, error) {
	var b strings.Builder
	afterMatchOp := false
	for i := 0; i < len(expr); i++ {
		c := expr[i]
		switch {
		case c == '\'' || c == '"':
			j := i + 1
			var s strings.Builder
			for ; j < len(expr) && expr[j] != c; j++ {
				if expr[j] == '\\' && j+1 < len(expr) {
					j++
				}
				s.WriteByte(expr[j])
			}
			if j >= len(expr) {
				return "", fmt.Errorf("unterminated string")
			}
			b.WriteString(strconv.Quote(s.String()))
			i = j
			afterMatchOp = false
		case c == '/' && afterMatchOp:
			j := i + 1
			var re strings.Builder
			for ; j < len(expr) && expr[j] != '/'; j++ {
				if expr[j] == '\\' && j+1 < len(expr) && expr[j+1] == '/' {
					j++
				}
				re.WriteByte(expr[j])
			}
			if j >= len(expr) {
				return "", fmt.Errorf("unterminated regular expression")
			}
			flags := ""
			for j+1 < len(expr) && strings.IndexByte("imsU", expr[j+1]) >= 0 {
				j++
				flags += string(expr[j])
			}
			pattern := "^(?:" + re.String() + ")$"
			if flags != "" {
				pattern = "(?" + flags + ")" + pattern
			}
			b.WriteString(strconv.Quote(pattern))
			i = j
			afterMatchOp = false
		case c == '=' && i+1 < len(expr) && expr[i+1] == '~':
			b.WriteString("=~")
			i++
			afterMatchOp = true
		default:
			b.WriteByte(c)
			if c != ' ' {
				afterMatchOp = false
			}
		}
	}
	return b.String(), nil
}
