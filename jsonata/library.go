package jsonata

// Library is a set of functions an expression can call ($name). It is
// immutable: With and Without return new libraries, so one library can
// serve any number of concurrent evaluations.
type Library struct {
	funcs map[string]any
	sigs  map[*Builtin]*signature
}

// defaultLibrary is the JSONata 2.0.6 function library, built once.
var defaultLibrary = buildDefaultLibrary()

// DefaultLibrary returns the JSONata 2.0.6 function library.
func DefaultLibrary() *Library { return defaultLibrary }

func buildDefaultLibrary() *Library {
	var fns []*Builtin
	add := func(b *Builtin) { fns = append(fns, b) }
	registerStringFunctions(add)
	registerNumericFunctions(add)
	registerArrayFunctions(add)
	registerObjectFunctions(add)
	registerBooleanFunctions(add)
	registerHigherOrderFunctions(add)
	registerDateFunctions(add)
	registerFormatFunctions(add)
	registerRegexFunctions(add)
	lib, err := NewLibrary(fns...)
	if err != nil {
		panic("jsonata: the built-in library has a bad signature: " + err.Error())
	}
	return lib
}

// NewLibrary returns a library of exactly fns (a later function of the
// same name replaces an earlier one). A signature that does not parse is
// an error.
func NewLibrary(fns ...*Builtin) (*Library, error) {
	l := &Library{funcs: make(map[string]any, len(fns)), sigs: make(map[*Builtin]*signature, len(fns))}
	return l, l.add(fns)
}

func (l *Library) add(fns []*Builtin) error {
	for _, b := range fns {
		if b.Signature != "" {
			s, err := parseSignature(b.Signature)
			if err != nil {
				return errorf("S0401", "function %s: signature %s: %v", b.Name, b.Signature, err)
			}
			l.sigs[b] = s
		}
		l.funcs[b.Name] = b
	}
	return nil
}

func (l *Library) copy() *Library {
	c := &Library{funcs: make(map[string]any, len(l.funcs)), sigs: make(map[*Builtin]*signature, len(l.sigs))}
	for k, v := range l.funcs {
		c.funcs[k] = v
	}
	for k, v := range l.sigs {
		c.sigs[k] = v
	}
	return c
}

// With returns a copy of the library with fns added (replacing functions
// of the same names).
func (l *Library) With(fns ...*Builtin) (*Library, error) {
	c := l.copy()
	return c, c.add(fns)
}

// Without returns a copy of the library without the named functions
// (names without the $).
func (l *Library) Without(names ...string) *Library {
	c := l.copy()
	for _, n := range names {
		if b, ok := c.funcs[n].(*Builtin); ok {
			delete(c.sigs, b)
		}
		delete(c.funcs, n)
	}
	return c
}

// Lookup returns the library's function name.
func (l *Library) Lookup(name string) (*Builtin, bool) {
	b, ok := l.funcs[name].(*Builtin)
	return b, ok
}
