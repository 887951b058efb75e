package jsonata

// registerArrayFunctions adds this file's functions to a library (a stub until written).
func registerArrayFunctions(add func(*Builtin)) {}
