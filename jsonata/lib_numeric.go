package jsonata

// registerNumericFunctions adds this file's functions to a library (a stub until written).
func registerNumericFunctions(add func(*Builtin)) {}
