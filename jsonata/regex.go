package jsonata

// Regex is a compiled /pattern/flags literal (a stub until written).
type Regex struct {
	Pattern, Flags string
}

// compileRegex compiles a regular expression literal's pattern and flags.
func compileRegex(pattern, flags string) (*Regex, error) {
	return nil, errorf("S0302", "regular expressions are not implemented yet")
}
