package jsonata

import (
	"encoding/json"
	"reflect"
	"testing"
)

// coreData is the input of most TestCore cases.
const coreData = `{"a":{"b":[{"c":1},{"c":2}],"d":"x"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`

// TestCore checks the language (paths, predicates, operators, functions,
// lambdas, tuple streams, transforms, errors) case by case; every
// expected value and error code is what jsonata-js 2.0.6 gives.
func TestCore(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		data string // JSON input; "" for undefined
		want string // JSON result; "" for undefined
		code string // the error code, when the expression fails
	}{
		{`a.b.c`, coreData, `[1,2]`, ""},
		{`a.b[0].c`, coreData, `1`, ""},
		{`a.b[-1].c`, coreData, `2`, ""},
		{`a.b[c>1]`, coreData, `{"c":2}`, ""},
		{`a.b.c[]`, coreData, `[1,2]`, ""},
		{`arr[1]`, coreData, `2`, ""},
		{`arr[[0,2]]`, coreData, `[1,3]`, ""},
		{`arr[$ > 1]`, coreData, `[2,3]`, ""},
		{`nested`, coreData, `[[1,2],[3,[4]]]`, ""},
		{`nested[0]`, coreData, `[1,2]`, ""},
		{`nested.$`, coreData, `[1,2,3,[4]]`, ""},
		{`*`, coreData, `[{"b":[{"c":1},{"c":2}],"d":"x"},1,2,3,null,{"k1":1,"k2":[2,3]},"hello",1,2,3,4]`, ""},
		{`**.c`, coreData, `[1,2]`, ""},
		{`a.*`, coreData, `[{"c":1},{"c":2},"x"]`, ""},
		{`o.*`, coreData, `[1,2,3]`, ""},
		{`$`, coreData, `{"a":{"b":[{"c":1},{"c":2}],"d":"x"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`$$.a.d`, coreData, `"x"`, ""},
		{`missing`, coreData, "", ""},
		{`e`, coreData, `[]`, ""},
		{`e[]`, coreData, `[]`, ""},
		{`n`, coreData, `null`, ""},
		{"`a`.d", coreData, `"x"`, ""},
		{"a.`d`", coreData, `"x"`, ""},
		{`a.'d'`, coreData, `"x"`, ""},
		{`1 + 2 * 3`, "", `7`, ""},
		{`(1 + 2) * 3`, "", `9`, ""},
		{`7 % 3`, "", `1`, ""},
		{`-7 % 3`, "", `-1`, ""},
		{`10 / 4`, "", `2.5`, ""},
		{`-arr`, coreData, "", "D1002"},
		{`- s`, coreData, "", "D1002"},
		{`s + 1`, coreData, "", "T2001"},
		{`1 + s`, coreData, "", "T2002"},
		{`missing + 1`, coreData, "", ""},
		{`1 = 1`, "", `true`, ""},
		{`[1,2] = [1,2]`, "", `true`, ""},
		{`{'a':1} = {'a':1}`, "", `true`, ""},
		{`1 < 2`, "", `true`, ""},
		{`'a' < 'b'`, "", `true`, ""},
		{`1 < 'b'`, "", "", "T2009"},
		{`true < 1`, "", "", "T2010"},
		{`missing < 1`, coreData, "", ""},
		{`null = null`, "", `true`, ""},
		{`1 != 2`, "", `true`, ""},
		{`'a' & 1 & true & null`, "", `"a1truenull"`, ""},
		{`'a' & [1,2]`, "", `"a[1,2]"`, ""},
		{`'a' & {'x':1}`, "", `"a{\"x\":1}"`, ""},
		{`true and false`, "", `false`, ""},
		{`false or 1`, "", `true`, ""},
		{`missing and true`, coreData, `false`, ""},
		{`1 in [1,2]`, "", `true`, ""},
		{`3 in arr`, coreData, `true`, ""},
		{`'x' in 'x'`, "", `true`, ""},
		{`[1..5]`, "", `[1,2,3,4,5]`, ""},
		{`[5..1]`, "", `[]`, ""},
		{`[1.5..3]`, "", "", "T2003"},
		{`[1..'a']`, "", "", "T2004"},
		{`[0..10000001]`, "", "", "D2014"},
		{`[1, [2,3], 4]`, "", `[1,[2,3],4]`, ""},
		{`[arr, arr]`, coreData, `[1,2,3,1,2,3]`, ""},
		{`[1,2,3][1]`, "", `2`, ""},
		{`[[1,2]][0]`, "", `[1,2]`, ""},
		{`arr.[$, $*2]`, coreData, `[[1,2],[2,4],[3,6]]`, ""},
		{`a.b.[c]`, coreData, `[[1],[2]]`, ""},
		{`{'x': 1, 'y': arr}`, coreData, `{"x":1,"y":[1,2,3]}`, ""},
		{`a.b{'k': c}`, coreData, `{"k":[1,2]}`, ""},
		{`a.b{'k' & c: c}`, coreData, `{"k1":1,"k2":2}`, ""},
		{`{1: 2}`, "", "", "T1003"},
		{`a.b{'k': c, 'k': c}`, coreData, "", "D1009"},
		{`true ? 1 : 2`, "", `1`, ""},
		{`false ? 1`, "", "", ""},
		{`missing ? 1 : 2`, coreData, `2`, ""},
		{`($x := 5; $x * 2)`, "", `10`, ""},
		{`($x := 1; ($x := 2); $x)`, "", `1`, ""},
		{`$x := 3`, "", `3`, ""},
		{`(1; 2; 3)`, "", `3`, ""},
		{`()`, "", "", ""},
		{`$f := function($a, $b){ $a + $b }; $f(1, 2)`, "", "", "S0201"},
		{`(function($a){ $a * 2 })(21)`, "", `42`, ""},
		{`λ($x){$x}(4)`, "", `4`, ""},
		{`$inc := $sum(?, 1); $inc(2)`, "", "", "S0201"},
		{`($f := function($a,$b){$a-$b}; $g := $f(?, 1); $g(5))`, "", `4`, ""},
		{`$substring(?, 0, 2)('hello')`, "", `"he"`, ""},
		{`arr ~> $sum()`, coreData, `6`, ""},
		{`arr ~> $count`, coreData, `3`, ""},
		{`(arr ~> $map(function($v){$v*2})) ~> $sum`, coreData, `12`, ""},
		{`($f := $uppercase ~> $substring(?, 0, 2); $f('hello'))`, "", `"HE"`, ""},
		{`1 ~> 2`, "", "", "T2006"},
		{`arr^(>$)`, coreData, `[3,2,1]`, ""},
		{`a.b^(>c).c`, coreData, `[2,1]`, ""},
		{`[3,1,2]^($)`, "", `[1,2,3]`, ""},
		{`[{'a':1},{'a':'x'}]^(a)`, "", "", "T2007"},
		{`[{'a':1},{'a':[1]}]^(a)`, "", "", "T2008"},
		{`a.b#$i.{'i': $i, 'c': c}`, coreData, `[{"i":0,"c":1},{"i":1,"c":2}]`, ""},
		{`a.b@$x.{'c': $x.c}`, coreData, `[{"c":1},{"c":2}]`, ""},
		{`a.b.c.%.c`, coreData, `[1,2]`, ""},
		{`a.b.{'p': %.d}`, coreData, `[{"p":"x"},{"p":"x"}]`, ""},
		{`%`, "", "", "S0217"},
		{`a.(%)`, coreData, `{"a":{"b":[{"c":1},{"c":2}],"d":"x"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`$ ~> |a|{'d':'y'}|`, coreData, `{"a":{"b":[{"c":1},{"c":2}],"d":"y"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`$ ~> |a|{},['d']|`, coreData, `{"a":{"b":[{"c":1},{"c":2}]},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`$ ~> |a|1|`, coreData, "", "T2011"},
		{`$ ~> |a|{},1|`, coreData, "", "T2012"},
		{`$foo()`, "", "", "T1006"},
		{`foo()`, "", "", "T1006"},
		{`sum(arr)`, coreData, "", "T1005"},
		{`$sum('a')`, "", "", "T0412"},
		{`$sum()`, "", "", "T0410"},
		{`$uppercase()`, coreData, "", "T0411"},
		{`s.$uppercase()`, coreData, `"HELLO"`, ""},
		{`$length(s)`, coreData, `5`, ""},
		{`$count(1,2)`, "", "", "T0410"},
		{`$string(n)`, coreData, `"null"`, ""},
		{`function(a){1}`, "", "", "S0208"},
		{`function($a)<n:n>{$a}('x')`, "", "", "T0410"},
		{`function($a)<s-:s>{$a}()`, coreData, "", "T0411"},
		{`$x + `, "", "", "S0207"},
		{`(1`, "", "", "S0203"},
		{`[1,2`, "", "", "S0203"},
		{`{'a' 1}`, "", "", "S0202"},
		{`1 2`, "", "", "S0201"},
		{`'abc`, "", "", "S0101"},
		{`'\u00e9\ud83d\ude00'`, "", `"é😀"`, ""},
		{`'\q'`, "", "", "S0103"},
		{`'\u12'`, "", "", "S0104"},
		{"`abc", "", "", "S0105"},
		{`/* c */ 1 /* d */`, "", `1`, ""},
		{`1 /* x`, "", "", "S0106"},
		{`!`, "", "", "S0204"},
		{`a ~ b`, "", "", "S0204"},
		{`1.2.3`, "", "", "S0213"},
		{`a.1`, "", "", "S0213"},
		{`a.true`, "", "", "S0213"},
		{`$x := 1 := 2`, "", "", "S0212"},
		{`1 := 2`, "", "", "S0212"},
		{`a@1`, "", "", "S0214"},
		{`a#1`, "", "", "S0214"},
		{`a[0]@$x`, "", "", "S0215"},
		{`a^(b)@$x`, "", "", "S0216"},
		{`a{'x':1}[0]`, "", `{"x":1}`, ""},
		{`a{'x':1}{'y':2}`, "", "", "S0210"},
		{`1e400`, "", "", "S0102"},
		{`1e3`, "", `1000`, ""},
		{`0.5`, "", `0.5`, ""},
		{`12.50e-1`, "", `1.25`, ""},
		{`[1,2,3][-1]`, "", `3`, ""},
		{`arr[1.7]`, coreData, `2`, ""},
		{`arr[-1.5]`, coreData, `2`, ""},
		{`arr[[]]`, coreData, "", ""},
		{`arr[true]`, coreData, `[1,2,3]`, ""},
		{`arr[false]`, coreData, "", ""},
		{`arr['x']`, coreData, `[1,2,3]`, ""},
		{`a.b[0][0]`, coreData, `{"c":1}`, ""},
		{`nested[1][1]`, coreData, `[4]`, ""},
		{`$boolean(function(){1})`, "", `false`, ""},
		{`{'a': function(){1}}.a()`, "", `1`, ""},
		{`$sum(arr[$>1])`, coreData, `5`, ""},
		{`[arr[0]]`, coreData, `[1]`, ""},
		{`arr[0][]`, coreData, `[1]`, ""},
		{`(arr)[0]`, coreData, `1`, ""},
		{`$reverse(arr)[0]`, coreData, `3`, ""},
		{`o.k2[0]`, coreData, `2`, ""},
		{`o.k2[]`, coreData, `[2,3]`, ""},
		{`$x := [1]; $x[]`, "", "", "S0201"},
		{`[[1]][]`, "", `[[1]]`, ""},
		{`nested[0][]`, coreData, `[1,2]`, ""},
		{`(a.b)[0].c`, coreData, `1`, ""},
		{`a.(b)`, coreData, `[{"c":1},{"c":2}]`, ""},
		{`a.(b[0])`, coreData, `{"c":1}`, ""},
		{`a.b.(c)`, coreData, `[1,2]`, ""},
		{`{'a': [1]}.a`, "", `[1]`, ""},
		{`{'a': [1]}.a[]`, "", `[1]`, ""},
		{`$.$`, coreData, `{"a":{"b":[{"c":1},{"c":2}],"d":"x"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`$[0]`, coreData, `{"a":{"b":[{"c":1},{"c":2}],"d":"x"},"arr":[1,2,3],"n":null,"o":{"k1":1,"k2":[2,3]},"e":[],"s":"hello","nested":[[1,2],[3,[4]]]}`, ""},
		{`arr.$string()`, coreData, `["1","2","3"]`, ""},
		{`arr.($ + 1)`, coreData, `[2,3,4]`, ""},
		{`arr ~> $map(function($x, $i){$i})`, coreData, `[0,1,2]`, ""},
		{`$each(o, function($v, $k){$k})`, coreData, `["k1","k2"]`, ""},
		{`$sort([3,1,2], function($a,$b){$a > $b})`, "", `[1,2,3]`, ""},
		{`$filter(arr, function($v){$v>1})`, coreData, `[2,3]`, ""},
		{`$reduce(arr, function($a, $b){$a + $b})`, coreData, `6`, ""},
		{`$lookup(o, 'k1')`, coreData, `1`, ""},
		{`$keys(o)`, coreData, `["k1","k2"]`, ""},
		{`$merge([{'a':1},{'b':2}])`, "", `{"a":1,"b":2}`, ""},
		{`a.b.c + 1`, coreData, "", "T2001"},
		{`a.b[1].c + a.b[0].c`, coreData, `3`, ""},
		{`$number('12') + 1`, "", `13`, ""},
		{`'x' & missing`, coreData, `"x"`, ""},
		{`[1,2][0] = 1`, "", `true`, ""},
		{`$f := function($n){$n <= 1 ? 1 : $n * $f($n - 1)}; $f(10)`, "", "", "S0201"},
		{`($loop := function($n, $acc){ $n = 0 ? $acc : $loop($n - 1, $acc + 1) }; $loop(50000, 0))`, "", `50000`, ""},
		{`$eval('1 + 2')`, "", `3`, ""},
		{`$eval('1 +')`, "", "", "D3120"},
		{`$eval('$x', {})`, "", "", ""},
		{`$eval('a', {'a': 5})`, "", `5`, ""},
		{`a.b#$i[c=2].$i`, coreData, `1`, ""},
		{`a.b[c=2]#$i.$i`, coreData, `0`, ""},
		{`arr#$i[$i>0]`, coreData, `[2,3]`, ""},
		{`a.b@$x[$x.c=1].$x.c`, coreData, `1`, ""},
		{`arr@$v.($v * 2)`, coreData, `[2,4,6]`, ""},
		{`a.b.c@$c.$c`, coreData, `[1,2]`, ""},
		{`a.b{c: %.d}`, coreData, "", "T1003"},
	}
	for _, tt := range tests {
		var input any = Undefined
		if tt.data != "" {
			v, err := DecodeJSON([]byte(tt.data))
			if err != nil {
				t.Fatalf("%s: bad data: %v", tt.expr, err)
			}
			input = v
		}
		got, err := suiteEval(tt.expr, input, nil, nil)
		if tt.code != "" {
			e, ok := err.(*Error)
			if !ok || e.Code != tt.code {
				t.Errorf("%s: got %v, %v; want error %s", tt.expr, suiteShort(got), err, tt.code)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if tt.want == "" {
			if !IsUndefined(got) {
				t.Errorf("%s = %s, want undefined", tt.expr, suiteShort(got))
			}
			continue
		}
		if !sameJSON(t, got, tt.want) {
			t.Errorf("%s = %s, want %s", tt.expr, suiteShort(got), tt.want)
		}
	}
}

// sameJSON reports whether v encodes to the same JSON value as want.
func sameJSON(t *testing.T, v any, want string) bool {
	t.Helper()
	if IsUndefined(v) {
		return false
	}
	b, err := EncodeJSON(v)
	if err != nil {
		t.Errorf("encode: %v", err)
		return false
	}
	var g, w any
	if err := json.Unmarshal(b, &g); err != nil {
		t.Errorf("bad JSON %s: %v", b, err)
		return false
	}
	if err := json.Unmarshal([]byte(want), &w); err != nil {
		t.Fatalf("bad expected JSON %s: %v", want, err)
	}
	return reflect.DeepEqual(g, w)
}

// TestErrorDetails checks that errors carry jsonata-js's position, token
// and message (values and tokens written as JSON).
func TestErrorDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr, data string
		code       string
		pos        int
		msg        string
	}{
		{"s + 1", `{"s": "x"}`, "T2001", 3, `The left side of the "+" operator must evaluate to a number`},
		{"1 < 'a'", "", "T2009", 3, `The values 1 and "a" either side of operator "<" must be of the same data type`},
		{"(1", "", "S0203", 2, `Expected ")" before end of expression`},
		{"{'a' 1}", "", "S0202", 6, `Expected ":", got 1`},
		{"1 2", "", "S0201", 3, "Syntax error: 2"},
		{"sum(1)", "", "T1005", 4, "Attempted to invoke a non-function. Did you mean $sum?"},
		{"$sum()", "", "T0410", 5, `Argument 1 of function "sum" does not match function signature`},
		{"[0..10000001]", "", "D2014", 4, "The size of the sequence allocated by the range operator (..) must not exceed 1e6.  Attempted to allocate 10000002."},
		{"a.b{'k': c, 'k': c}", `{"a": {"b": [{"c": 1}]}}`, "D1009", 4, `Multiple key definitions evaluate to same key: "k"`},
		{"a ~ b", "", "S0204", 3, `Unknown operator: "~"`},
		{"function(a){1}", "", "S0208", 10, "Parameter 1 of function definition must be a variable name (start with $)"},
	}
	for _, tt := range tests {
		var input any = Undefined
		if tt.data != "" {
			input, _ = DecodeJSON([]byte(tt.data))
		}
		_, err := suiteEval(tt.expr, input, nil, nil)
		e, ok := err.(*Error)
		if !ok {
			t.Errorf("%s: got %v, want error %s", tt.expr, err, tt.code)
			continue
		}
		if e.Code != tt.code || e.Position != tt.pos || e.Message != tt.msg {
			t.Errorf("%s: got %s@%d %q, want %s@%d %q", tt.expr, e.Code, e.Position, e.Message, tt.code, tt.pos, tt.msg)
		}
	}
}

// TestStringOrder: strings compare by UTF-16 code units, as in
// JavaScript (U+FF5E sorts after U+1F600, whose first unit is D83D).
func TestStringOrder(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		want string
	}{
		{`"～" < "😀"`, "false"},
		{`"～" > "😀"`, "true"},
		{`"a" < "ab"`, "true"},
		{`"ab" < "a"`, "false"},
		{`"é" < "z"`, "false"},
		{`["😀", "～", "a"]^($)`, `["a", "😀", "～"]`},
		// Two characters above U+FFFF that share their first UTF-16 unit
		// (U+10000 and U+10001) differ in the second.
		{`"\ud800\udc00" < "\ud800\udc01"`, "true"},
		{`"\ud800\udc01" <= "\ud800\udc00"`, "false"},
		{`["\ud800\udc01", "\ud800\udc00"]^($) = ["\ud800\udc00", "\ud800\udc01"]`, "true"},
		{`$sort(["\ud800\udc01", "\ud800\udc00"]) = ["\ud800\udc00", "\ud800\udc01"]`, "true"},
	}
	for _, tt := range tests {
		got, err := suiteEval(tt.expr, Undefined, nil, nil)
		if err != nil {
			t.Errorf("%s: %v", tt.expr, err)
			continue
		}
		if !sameJSON(t, got, tt.want) {
			t.Errorf("%s = %s, want %s", tt.expr, suiteShort(got), tt.want)
		}
	}
}

// TestPositionsInUTF16: positions count UTF-16 code units, as jsonata-js's.
func TestPositionsInUTF16(t *testing.T) {
	t.Parallel()
	tests := []struct {
		expr string
		code string
		pos  int
	}{
		{`"é😀" + 1`, "T2001", 7},
		{`"😀" 2`, "S0201", 6},
		{`"é" & (`, "S0203", 7},
	}
	for _, tt := range tests {
		_, err := suiteEval(tt.expr, Undefined, nil, nil)
		e, ok := err.(*Error)
		if !ok || e.Code != tt.code || e.Position != tt.pos {
			t.Errorf("%s: got %v (position %d), want %s at %d", tt.expr, err, positionOf(err), tt.code, tt.pos)
		}
	}
}

func positionOf(err error) int {
	if e, ok := err.(*Error); ok {
		return e.Position
	}
	return -1
}
