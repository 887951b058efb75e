package jsonata

// registerFormatFunctions adds this file's functions to a library (a stub until written).
func registerFormatFunctions(add func(*Builtin)) {}
