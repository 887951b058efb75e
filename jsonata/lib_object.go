package jsonata

// registerObjectFunctions adds this file's functions to a library (a stub until written).
func registerObjectFunctions(add func(*Builtin)) {}
