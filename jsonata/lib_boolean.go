package jsonata

// registerBooleanFunctions adds this file's functions to a library (a stub until written).
func registerBooleanFunctions(add func(*Builtin)) {}
