package jsonata

// registerStringFunctions adds this file's functions to a library (a stub until written).
func registerStringFunctions(add func(*Builtin)) {}

// stringify is $string's conversion of a value to a string (used by the
// & operator too): strings as they are, numbers as jsonata-js formats
// them, other values as JSON.
func stringify(v any) (string, error) { return "", errorf("D3001", "not implemented") }
