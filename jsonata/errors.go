package jsonata

import "fmt"

// Error is a JSONata error: a compile error (S0xxx), a type error (T0xxx,
// T1xxx, T2xxx), or an evaluation error (D1xxx, D2xxx, D3xxx), with the
// code jsonata-js 2.0.6 gives the same mistake.
type Error struct {
	Code     string
	Position int    // the character offset in the expression, when known (1-based as jsonata-js, 0: unknown)
	Token    string // the token or function name the error is about, when there is one
	Value    any    // the offending value, when there is one
	Message  string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

// newError builds an Error whose message is the code's text (messages) with
// {{token}} and {{value}} filled in.
func newError(code string, position int, token string, value any) *Error {
	e := &Error{Code: code, Position: position, Token: token, Value: value}
	e.Message = fillMessage(messages[code], token, value)
	return e
}

// errorf builds an Error with a message of its own.
func errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// fillMessage fills a message template.
func fillMessage(tmpl, token string, value any) string {
	if tmpl == "" {
		return "error"
	}
	out := []byte{}
	for i := 0; i < len(tmpl); {
		switch {
		case len(tmpl[i:]) >= 9 && tmpl[i:i+9] == "{{token}}":
			out = append(out, token...)
			i += 9
		case len(tmpl[i:]) >= 9 && tmpl[i:i+9] == "{{value}}":
			out = append(out, fmt.Sprint(value)...)
			i += 9
		default:
			out = append(out, tmpl[i])
			i++
		}
	}
	return string(out)
}
