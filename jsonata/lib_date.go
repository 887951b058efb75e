package jsonata

// registerDateFunctions adds this file's functions to a library (a stub until written).
func registerDateFunctions(add func(*Builtin)) {}
