package jsonata

import (
	"strconv"
	"time"
)

// Expression is a compiled JSONata expression. It is immutable and safe
// for concurrent use: each Evaluate has its own state.
type Expression struct {
	src string
	ast *node
}

// Compile parses expr. A syntax error is an *Error with an S0xxx code and
// the position (offset) where it was found.
func Compile(expr string) (*Expression, error) {
	ast, err := parse(expr)
	if err != nil {
		return nil, positionInUTF16(err, expr)
	}
	return &Expression{src: expr, ast: ast}, nil
}

// String returns the expression's source text.
func (e *Expression) String() string { return e.src }

// Option configures one evaluation.
type Option func(*evalConfig)

type evalConfig struct {
	maxDepth int
	timeout  time.Duration
	lib      *Library
	now      time.Time
}

// WithMaxDepth limits how deeply evaluation may nest (recursion included):
// beyond it evaluation stops with U1001. Without it a default limit of
// 10,000 applies, so runaway recursion is an error, never a crash.
func WithMaxDepth(n int) Option { return func(c *evalConfig) { c.maxDepth = n } }

// WithTimeout limits the evaluation's duration: past it evaluation stops
// with U1001.
func WithTimeout(d time.Duration) Option { return func(c *evalConfig) { c.timeout = d } }

// WithLibrary evaluates with lib instead of the default library (for
// example DefaultLibrary().Without("eval").With(extra...)).
func WithLibrary(lib *Library) Option { return func(c *evalConfig) { c.lib = lib } }

// WithNow fixes the evaluation's timestamp ($now(), $millis()).
func WithNow(t time.Time) Option { return func(c *evalConfig) { c.now = t } }

// Evaluate evaluates the expression against input (a value of the
// package's value model; Undefined for none) with the variables in
// bindings (names without the $). The result is Undefined when the
// expression has no result; an error is an *Error.
func (e *Expression) Evaluate(input any, bindings map[string]any, opts ...Option) (any, error) {
	var cfg evalConfig
	if len(opts) > 0 {
		cfg = applyOptions(opts)
	}
	lib := cfg.lib
	if lib == nil {
		lib = defaultLibrary
	}
	now := cfg.now
	if now.IsZero() {
		now = time.Now()
	}
	ev := &evaluator{lib: lib.funcs, sigCache: lib.sigs, maxDepth: cfg.maxDepth, now: now.UnixMilli()}
	if cfg.timeout > 0 {
		ev.timed = true
		ev.deadline = time.Now().Add(cfg.timeout)
	}
	ev.envStack = ev.envBuf[:0]
	root := &ev.rootFrame
	root.names, root.vals = ev.rootNames[:0], ev.rootVals[:0]
	for k, v := range bindings {
		root.bind(k, v)
	}
	root.bind("$", input)
	ev.root = root
	if a, ok := input.([]any); ok {
		// an array input is one item, as jsonata-js wraps it
		ev.outerItem[0] = a
		input = Seq(ev.outerItem[:])
	}
	res, err := ev.eval(e.ast, input, root)
	if err != nil {
		return nil, positionInUTF16(err, e.src)
	}
	if ts, ok := res.(tupleSeq); ok {
		out := make(Seq, len(ts))
		for i, t := range ts {
			out[i] = t.(*tuple).at
		}
		res = out
	}
	return res, nil
}

// positionInUTF16 turns an error's position, a byte offset in src, into
// the offset in UTF-16 code units that jsonata-js reports.
func positionInUTF16(err error, src string) error {
	e, ok := err.(*Error)
	if !ok || e.Position <= 0 || e.Position > len(src) {
		return err
	}
	e.Position = rxUTF16Len(src[:e.Position])
	return err
}

func applyOptions(opts []Option) evalConfig {
	var c evalConfig // on the stack: an option is a call, not a capture of c
	for _, o := range opts {
		o(&c)
	}
	return c
}

// jsonText is a value as JSON text, for error messages.
func jsonText(v any) string {
	switch x := v.(type) {
	case string:
		return strconv.Quote(x)
	case float64:
		if b, err := EncodeJSON(x); err == nil {
			return string(b)
		}
		return strconv.FormatFloat(x, 'g', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	case nil:
		return "null"
	case undefinedType:
		return "undefined"
	}
	if b, err := EncodeJSON(v); err == nil {
		return string(b)
	}
	return "?"
}
