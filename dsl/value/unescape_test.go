package value_test

import (
	"testing"

	"github.com/sfn-project/sfn/dsl/value"
)

func TestUnescape(t *testing.T) {
	t.Parallel()
	want := map[byte]byte{'"': '"', '\\': '\\', '/': '/', 'b': '\b', 'f': '\f', 'n': '\n', 'r': '\r', 't': '\t'}
	for c := 0; c < 256; c++ {
		got, ok := value.Unescape(byte(c))
		w, wok := want[byte(c)]
		if got != w || ok != wok {
			t.Errorf("Unescape(%q) = %q, %v; want %q, %v", rune(c), got, ok, w, wok)
		}
	}
}
