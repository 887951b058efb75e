package jsonpath

import (
	"unicode"
	"unicode/utf8"
)

// MaxVariableName is the longest workflow variable name AWS accepts, in
// characters (the Developer Guide, "Passing data between states with
// variables": variable name syntax).
const MaxVariableName = 80

// VariableNameLen returns the length in bytes of the variable name that s
// starts with: an identifier as Unicode Standard Annex #31 defines it (a
// letter or '_' first, then letters, digits, marks, connector punctuation),
// which is AWS's rule for variable names. 0 when s does not start with one.
// The name ends at the first character that cannot continue it ('.', '[',
// a blank, ','...), where the path's steps begin.
func VariableNameLen(s string) int {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if i == 0 && !idStart(r) || i > 0 && !idContinue(r) {
			break
		}
		i += size
	}
	return i
}

// ValidVariableName reports whether name is a whole valid variable name:
// an identifier of at most MaxVariableName characters.
func ValidVariableName(name string) bool {
	return name != "" && VariableNameLen(name) == len(name) && utf8.RuneCountInString(name) <= MaxVariableName
}

func idStart(r rune) bool {
	return r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r) || unicode.Is(unicode.Other_ID_Start, r)
}

func idContinue(r rune) bool {
	return idStart(r) || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) ||
		unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Pc, r) || unicode.Is(unicode.Other_ID_Continue, r)
}

// UndefinedVariableError is a path that reads a workflow variable no state
// has assigned in the scope it runs in.
type UndefinedVariableError struct {
	Path string
	Name string
}

func (e *UndefinedVariableError) Error() string {
	return "Invalid path '" + e.Path + "': the variable '$" + e.Name + "' is not defined (no state assigned it before, in this scope or an outer one)"
}

// Undefined is the error for this path's variable being undefined.
func (p *Path) Undefined() error { return &UndefinedVariableError{Path: p.text, Name: p.variable} }
