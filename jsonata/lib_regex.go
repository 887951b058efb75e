package jsonata

// registerRegexFunctions adds this file's functions to a library (a stub until written).
func registerRegexFunctions(add func(*Builtin)) {}
