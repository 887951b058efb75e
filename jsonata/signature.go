package jsonata

import (
	"strconv"
	"strings"
)

// signature is a parsed JSONata function signature such as "<s-nn?:s>".
// Arguments are checked by matching the string of their type symbols
// (s n b l o a f m) against the parameters, as jsonata-js matches a
// regular expression built from the signature: greedy, with backtracking.
type signature struct {
	def    string
	params []sigParam
}

type sigParam struct {
	accept     string // the type symbols this parameter accepts ('m': missing)
	typ        string // s n b l o a f j x, or "(..)" for a choice
	quant      byte   // 0: exactly one, '?': optional, '+': one or more
	context    bool   // '-': the context item stands in for a missing argument
	contextAcc string
	subtype    string // a<n>, f<s:n>
}

var arrayTypeNames = map[string]string{"a": "arrays", "b": "booleans", "f": "functions", "n": "numbers", "o": "objects", "s": "strings"}

// parseSignature parses a signature; errors (S0401, S0402) carry the offset
// in the signature as their Position.
func parseSignature(sig string) (*signature, error) {
	s := &signature{def: sig}
	var prev *sigParam
	add := func(p sigParam) {
		s.params = append(s.params, p)
		prev = &s.params[len(s.params)-1]
	}
	for pos := 1; pos < len(sig); pos++ {
		c := sig[pos]
		if c == ':' {
			break
		}
		switch c {
		case 's', 'n', 'b', 'l', 'o':
			add(sigParam{accept: string(c) + "m", typ: string(c)})
		case 'a':
			add(sigParam{accept: "asnblfom", typ: "a"})
		case 'f':
			add(sigParam{accept: "f", typ: "f"})
		case 'j':
			add(sigParam{accept: "asnblom", typ: "j"})
		case 'x':
			add(sigParam{accept: "asnblfom", typ: "x"})
		case '-':
			if prev != nil {
				prev.context = true
				prev.contextAcc = prev.accept
				prev.quant = '?'
			}
		case '?', '+':
			if prev != nil {
				prev.quant = c
			}
		case '(':
			end := closing(sig, pos, '(', ')')
			choice := sig[pos+1 : end]
			if strings.IndexByte(choice, '<') >= 0 {
				e := coreErr("S0402", pos, "", choice)
				return nil, e
			}
			add(sigParam{accept: choice + "m", typ: "(" + choice + ")"})
			pos = end
		case '<':
			if prev == nil || (prev.typ != "a" && prev.typ != "f") {
				t := ""
				if prev != nil {
					t = prev.typ
				}
				return nil, coreErr("S0401", pos, "", t)
			}
			end := closing(sig, pos, '<', '>')
			prev.subtype = sig[pos+1 : end]
			pos = end
		}
	}
	return s, nil
}

func closing(s string, start int, open, close byte) int {
	depth := 1
	pos := start
	for pos < len(s) {
		pos++
		if pos >= len(s) {
			break
		}
		switch s[pos] {
		case close:
			depth--
			if depth == 0 {
				return pos
			}
		case open:
			depth++
		}
	}
	return pos
}

// typeSymbol is the signature symbol of a value's type.
func typeSymbol(v any) byte {
	switch v.(type) {
	case undefinedType:
		return 'm'
	case string:
		return 's'
	case float64:
		return 'n'
	case bool:
		return 'b'
	case nil:
		return 'l'
	case []any, Seq:
		return 'a'
	case *Object:
		return 'o'
	}
	if isFunction(v) {
		return 'f'
	}
	return 'm'
}

// match finds how many argument symbols each parameter takes (counts)
// so that all of syms is consumed or, with prefix, some prefix of it, as
// a regular expression would (greedy, backtracking); it returns the length
// matched.
func match(params []sigParam, syms []byte, counts []int, pi, ai int, prefix bool) (int, bool) {
	if pi == len(params) {
		if prefix || ai == len(syms) {
			return ai, true
		}
		return 0, false
	}
	p := &params[pi]
	run := 0
	for ai+run < len(syms) && strings.IndexByte(p.accept, syms[ai+run]) >= 0 {
		run++
		if p.quant != '+' {
			break
		}
	}
	min := 1
	if p.quant == '?' {
		min = 0
	}
	for n := run; n >= min; n-- {
		counts[pi] = n
		if end, ok := match(params, syms, counts, pi+1, ai+n, prefix); ok {
			return end, true
		}
	}
	return 0, false
}

// validate checks args against the signature and returns the arguments
// the function receives: the context item for a missing '-' argument,
// single values wrapped in an array for an 'a' parameter. Its errors name
// the argument; the caller adds the function's name (token).
func (s *signature) validate(args []any, context any) ([]any, error) {
	var buf [8]byte
	syms := buf[:0]
	for _, a := range args {
		syms = append(syms, typeSymbol(a))
	}
	var cbuf [8]int
	counts := cbuf[:0]
	if len(s.params) <= len(cbuf) {
		counts = cbuf[:len(s.params)]
	} else {
		counts = make([]int, len(s.params))
	}
	if _, ok := match(s.params, syms, counts, 0, 0, false); !ok {
		return nil, s.mismatch(args, syms)
	}
	out := make([]any, 0, len(s.params))
	ai := 0
	for pi := range s.params {
		p := &s.params[pi]
		n := counts[pi]
		if n == 0 {
			if p.context {
				if strings.IndexByte(p.contextAcc, typeSymbol(context)) < 0 {
					return nil, argError("T0411", ai+1, context, "")
				}
				out = append(out, context)
				continue
			}
			if ai < len(args) {
				out = append(out, args[ai])
			} else {
				out = append(out, Undefined)
			}
			ai++
			continue
		}
		for k := 0; k < n; k++ {
			arg := args[ai]
			if p.typ == "a" {
				sym := syms[ai]
				if sym == 'm' {
					arg = Undefined
				} else {
					if p.subtype != "" {
						okArr := true
						if sym != 'a' {
							okArr = n == 1 && string(sym) == p.subtype
						} else if items, _ := libArray(arg); len(items) > 0 {
							first := typeSymbol(items[0])
							if first != p.subtype[0] {
								okArr = false
							} else {
								for _, it := range items {
									if typeSymbol(it) != first {
										okArr = false
										break
									}
								}
							}
						}
						if !okArr {
							return nil, argError("T0412", ai+1, arg, arrayTypeNames[p.subtype])
						}
					}
					if sym != 'a' {
						arg = []any{arg}
					}
				}
			}
			out = append(out, arg)
			ai++
		}
	}
	return out, nil
}

// mismatch builds the T0410 error for the first argument that does not fit.
func (s *signature) mismatch(args []any, syms []byte) error {
	good := 0
	for k := 1; k <= len(s.params); k++ {
		end, ok := match(s.params[:k], syms, make([]int, k), 0, 0, true)
		if !ok {
			break
		}
		good = end
	}
	var v any = Undefined
	if good < len(args) {
		v = args[good]
	}
	return argError("T0410", good+1, v, "")
}

// argError builds an argument error; its message keeps {{token}} for the
// caller to fill with the function's name.
func argError(code string, index int, value any, typ string) *Error {
	e := &Error{Code: code, Value: value}
	idx := strconv.Itoa(index)
	switch code {
	case "T0410":
		e.Message = "Argument " + idx + " of function {{token}} does not match function signature"
	case "T0411":
		e.Message = "Context value is not a compatible type with argument " + idx + " of function {{token}}"
	case "T0412":
		e.Message = "Argument " + idx + " of function {{token}} must be an array of " + typ
	}
	return e
}

// nameFunction fills an argument error's function name.
func nameFunction(e *Error, name string) {
	if e.Token == "" {
		e.Token = name
	}
	e.Message = strings.ReplaceAll(e.Message, "{{token}}", strconv.Quote(e.Token))
}
