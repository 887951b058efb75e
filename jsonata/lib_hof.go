package jsonata

// registerHigherOrderFunctions adds this file's functions to a library (a stub until written).
func registerHigherOrderFunctions(add func(*Builtin)) {}
