package jsonpath

import (
	"errors"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/dsl/value"
)

func loadDoc(t testing.TB) value.Value {
	t.Helper()
	data, err := os.ReadFile("testdata/store.json")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := value.Decode(data)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

func TestSelect(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	tests := []struct {
		path string
		want string // JSON
	}{
		// Reference paths.
		{"$", value.MarshalString(doc)},
		{"$.z", `1`},
		{"$['z']", `1`},
		{`$["z"]`, `1`},
		{"$.a.b", `[10,20,30]`},
		{"$.a.b[0]", `10`},
		{"$.a.b[2]", `30`},
		{"$['a']['b'][1]", `20`},
		{"$.a['c'].d", `"e"`},
		{"$.n", `null`},
		{"$.foo-bar", `"dash"`},
		{"$.'q'", `"quoted"`},
		{"$['a b']", `"blank"`},
		{"$.[ 'z' ]", `1`},
		{"$.a.b[ 1 ]", `20`},
		{"$.store.book[0].author", `"Nigel Rees"`},
		// Definite but not reference.
		{"$.a.b[-1]", `30`},
		{"$.a.b[-3]", `10`},
		{"$['z','s','nope']", `{"z":1,"s":"str"}`},
		{"$.a.b.length()", `3`},
		{"$.a.length()", `2`},
		{"$.s.length()", `null`},
		{"$.store.book[*].length()", `4`},
		// Wildcards keep member order.
		{"$.a.*", `[[10,20,30],{"d":"e"}]`},
		{"$.a[*]", `[[10,20,30],{"d":"e"}]`},
		{"$.a.b[*]", `[10,20,30]`},
		{"$.store.bicycle.*", `["red",19.95]`},
		{"$.z.*", `[]`},
		{"$.store.book[*].isbn", `["0-553-21311-3","0-395-19395-8"]`},
		{"$.missing[*]", `[]`},
		{"$.item.items[1:5].itemValue", `[]`},
		// Slices and unions.
		{"$.a.b[0:2]", `[10,20]`},
		{"$.a.b[:2]", `[10,20]`},
		{"$.a.b[-2:]", `[20,30]`},
		{"$.a.b[1:]", `[20,30]`},
		{"$.a.b[:-1]", `[10,20]`},
		{"$.a.b[5:9]", `[]`},
		{"$.a.b[2:1]", `[]`},
		{"$.a.b[0,2]", `[10,30]`},
		{"$.a.b[2,0,9,-1]", `[30,10,30]`},
		{"$.store.book[0,1]['title','price']", `[{"title":"Sayings of the Century","price":8.95},{"title":"Sword of Honour","price":12.99}]`},
		{"$['z','a'].d", `[]`},
		{"$['a','z'].c", `[{"d":"e"}]`},
		{"$['a','s']['c']", `[{"d":"e"}]`},
		// Recursive descent, in document order.
		{"$..price", `[8.95,12.99,8.99,22.99,19.95]`},
		{"$.a..d", `["e"]`},
		{"$.a..*", `[[10,20,30],{"d":"e"},10,20,30,"e"]`},
		{"$..b[1]", `[20]`},
		{"$..['color']", `["red"]`},
		{"$..nothing", `[]`},
		// Filters.
		{"$.store.book[?(@.price < 10)].title", `["Sayings of the Century","Moby Dick"]`},
		{"$.store.book[?(@.isbn)].title", `["Moby Dick","The Lord of the Rings"]`},
		{"$.store.book[?(!@.isbn)].title", `["Sayings of the Century","Sword of Honour"]`},
		{"$.store.book[?(@.tag)].title", `["Sword of Honour"]`},
		{"$.store.book[?(@.category == 'fiction' && @.price > 20)].author", `["J. R. R. Tolkien"]`},
		{`$.store.book[?(@.author =~ /.*rees/i)].price`, `[8.95]`},
		{`$.store.book[?(@.author =~ /Rees/)].price`, `[]`},
		{"$.store.book[?(@.price > $.max)].title", `["Sword of Honour","The Lord of the Rings"]`},
		{"$..book[?(@.price == 8.99)].isbn", `["0-553-21311-3"]`},
		{"$.store.bicycle[?(@.color == 'red')].price", `[19.95]`},
		{"$.a.b[?(@ > 15)]", `[20,30]`},
		{"$.s[?(@.x)]", `[]`},
		{"$.store.book[?(@.title == 'a)b')]", `[]`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tt.path)
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got, err := p.Select(doc)
			if err != nil {
				t.Fatalf("Select: %v", err)
			}
			if diff := cmp.Diff(tt.want, value.MarshalString(got)); diff != "" {
				t.Errorf("Select(%s) (-want +got):\n%s", tt.path, diff)
			}
		})
	}
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	doc := loadDoc(t)
	const provider = "This is not a json object according to the JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'."
	tests := []struct {
		path, msg string
	}{
		{"$.nope", "No results for path: $['nope']"},
		{"$.a.nope", "No results for path: $['a']['nope']"},
		{"$.no.such.path", "Missing property in path $['no']"},
		{"$.a.no.such", "Missing property in path $['a']['no']"},
		{"$.nope[0]", "Missing property in path $['nope']"},
		{"$.nope.length()", "Missing property in path $['nope']"},
		{"$.a.b[3]", "No results for path: $['a']['b'][3]"},
		{"$.a.b[-4]", "No results for path: $['a']['b'][-4]"},
		{"$.a.b[7].c", "No results for path: $['a']['b'][7]['c']"},
		{"$.z.y", "Expected to find an object with property ['y'] in path $['z'] but found 'java.lang.Integer'. " + provider},
		{"$.big.y", "Expected to find an object with property ['y'] in path $['big'] but found 'java.lang.Long'. " + provider},
		{"$.f.y", "Expected to find an object with property ['y'] in path $['f'] but found 'java.lang.Double'. " + provider},
		{"$.s.y", "Expected to find an object with property ['y'] in path $['s'] but found 'java.lang.String'. " + provider},
		{"$.n.y", "Expected to find an object with property ['y'] in path $['n'] but found 'null'. " + provider},
		{"$.a.b.y", "Expected to find an object with property ['y'] in path $['a']['b'] but found 'net.minidev.json.JSONArray'. " + provider},
		{"$.a.b[0]['x','y']", "Expected to find an object with property ['x','y'] in path $['a']['b'][0] but found 'java.lang.Integer'. " + provider},
		{"$.n[0]", "The path $['n'] is null"},
		{"$.s[0].x", "Filter: [0]['x'] can only be applied to arrays. Current context is: str"},
		{"$.a[1]", `Filter: [1] can only be applied to arrays. Current context is: {"b":[10,20,30],"c":{"d":"e"}}`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			p := MustParse(tt.path)
			got, err := p.Select(doc)
			var nr *NoResultError
			if !errors.As(err, &nr) {
				t.Fatalf("Select(%s) = %v, %v; want a *NoResultError", tt.path, value.MarshalString(got), err)
			}
			if diff := cmp.Diff(tt.msg, nr.Msg); diff != "" {
				t.Errorf("Msg (-want +got):\n%s", diff)
			}
			if nr.Path != tt.path {
				t.Errorf("Path = %q, want %q", nr.Path, tt.path)
			}
			if want := "Invalid path '" + tt.path + "' : " + tt.msg; err.Error() != want {
				t.Errorf("Error() = %q, want %q", err.Error(), want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path, err string
	}{
		{"", `invalid JSONPath "": a path must start with '$' at offset 0`},
		{"a.b", `invalid JSONPath "a.b": a path must start with '$' at offset 0`},
		{"$.a[", `invalid JSONPath "$.a[": unterminated bracket at offset 3`},
		{"$.a[0", `invalid JSONPath "$.a[0": unterminated bracket at offset 3`},
		{"$.a['b'", `invalid JSONPath "$.a['b'": unterminated bracket at offset 3`},
		{"$.a['b]", `invalid JSONPath "$.a['b]": unterminated quoted property name at offset 4`},
		{"$.", `invalid JSONPath "$.": path must not end with '.' at offset 1`},
		{"$.a.", `invalid JSONPath "$.a.": path must not end with '.' at offset 3`},
		{"$..", `invalid JSONPath "$..": path must not end with '..' at offset 1`},
		{"$...a", `invalid JSONPath "$...a": unexpected '.' at offset 3`},
		{"$-a", `invalid JSONPath "$-a": unexpected character '-', expected '.' or '[' at offset 1`},
		{"$a b", `invalid JSONPath "$a b": unexpected character ' ', expected '.' or '[' at offset 2`},
		{"$.a b", `invalid JSONPath "$.a b": blank in property name, use bracket notation ['my prop'] at offset 3`},
		{"$[]", `invalid JSONPath "$[]": empty brackets at offset 2`},
		{"$[x]", `invalid JSONPath "$[x]": unexpected character 'x' in brackets at offset 2`},
		{"$[1a]", `invalid JSONPath "$[1a]": invalid array index "1a" at offset 2`},
		{"$[0,]", `invalid JSONPath "$[0,]": invalid array index "" at offset 4`},
		{"$[1:2:3]", `invalid JSONPath "$[1:2:3]": slice steps are not supported at offset 5`},
		{"$['a'x]", `invalid JSONPath "$['a'x]": unexpected character 'x', expected ']' at offset 5`},
		{"$[*", `invalid JSONPath "$[*": unterminated bracket at offset 1`},
		{"$[?(@.a]", `invalid JSONPath "$[?(@.a]": unterminated filter at offset 1`},
		{"$[?@.a]", `invalid JSONPath "$[?@.a]": expected '(' after '?' at offset 3`},
		{"$[?()]", `invalid JSONPath "$[?()]": empty filter at offset 4`},
		{"$[?(@.a == 'x)]", `invalid JSONPath "$[?(@.a == 'x)]": unterminated string in filter at offset 11`},
		{"$.a.max()", `invalid JSONPath "$.a.max()": unsupported function max() at offset 4`},
		{"$.a.length(1)", `invalid JSONPath "$.a.length(1)": functions take no arguments at offset 10`},
		{"$.length()", `invalid JSONPath "$.length()": function applied to the root at offset 2`},
		{"$.a.length().b", `invalid JSONPath "$.a.length().b": length() must be the last step at offset 12`},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			t.Parallel()
			p, err := Parse(tt.path)
			if err == nil {
				t.Fatalf("Parse(%q) = %v, want an error", tt.path, p.steps)
			}
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("error %T is not a *ParseError", err)
			}
			if diff := cmp.Diff(tt.err, err.Error()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestProperties(t *testing.T) {
	t.Parallel()
	tests := []struct {
		path                         string
		context, reference, definite bool
	}{
		{"$", false, true, true},
		{"$$", true, true, true},
		{"$.a.b[0]", false, true, true},
		{"$['a'][\"b\"]", false, true, true},
		{"$$.Execution.Input", true, true, true},
		{"$$.Map.Item.Value", true, true, true},
		{"$.a[-1]", false, false, true},
		{"$['a','b']", false, false, true},
		{"$['a','b'].c", false, false, false},
		{"$.a.length()", false, false, true},
		{"$.a[*].length()", false, false, true},
		{"$.a[*]", false, false, false},
		{"$.*", false, false, false},
		{"$..a", false, false, false},
		{"$.a[0,1]", false, false, false},
		{"$.a[0:1]", false, false, false},
		{"$.a[?(@.b)]", false, false, false},
	}
	for _, tt := range tests {
		p := MustParse(tt.path)
		if p.String() != tt.path {
			t.Errorf("%s: String() = %q", tt.path, p.String())
		}
		if got := p.IsContext(); got != tt.context {
			t.Errorf("%s: IsContext() = %v", tt.path, got)
		}
		if got := p.IsReference(); got != tt.reference {
			t.Errorf("%s: IsReference() = %v", tt.path, got)
		}
		if got := p.IsDefinite(); got != tt.definite {
			t.Errorf("%s: IsDefinite() = %v", tt.path, got)
		}
	}
}

func TestContextPath(t *testing.T) {
	t.Parallel()
	ctx := value.MustDecode(`{"Execution":{"Id":"arn:x","Input":{"k":1}},"Map":{"Item":{"Index":2,"Value":"v"}}}`)
	for path, want := range map[string]string{
		"$$":                   value.MarshalString(ctx),
		"$$.Execution.Id":      `"arn:x"`,
		"$$.Execution.Input.k": `1`,
		"$$.Map.Item['Value']": `"v"`,
		"$$.Execution.Input.*": `[1]`,
	} {
		got, err := MustParse(path).Select(ctx)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if diff := cmp.Diff(want, value.MarshalString(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
	_, err := MustParse("$$.Execution.Nope").Select(ctx)
	if want := "Invalid path '$$.Execution.Nope' : No results for path: $['Execution']['Nope']"; err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

// The bracket-notation quirk AWS shows: inside quotes a backslash only keeps
// the next character from closing the name and stays part of it.
func TestBracketQuirk(t *testing.T) {
	t.Parallel()
	doc := value.MustDecode(`{"Test\\\"\"Name\"": "Value\"\\", "a\\'b": 1, "x,y": 2, "p]q": 3}`)
	for path, want := range map[string]string{
		`$['Test\""Name"']`: `"Value\"\\"`,
		`$['a\'b']`:         `1`,
		`$['x,y']`:          `2`,
		`$["p]q"]`:          `3`,
		`$['x,y', "p]q"]`:   `{"x,y":2,"p]q":3}`,
	} {
		got, err := MustParse(path).Select(doc)
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		if diff := cmp.Diff(want, value.MarshalString(got)); diff != "" {
			t.Errorf("%s (-want +got):\n%s", path, diff)
		}
	}
}

func TestSelectWorkLimit(t *testing.T) {
	t.Parallel()
	// A full binary tree of arrays, 15 levels deep: 65,535 nodes.
	var tree func(depth int) value.Value
	tree = func(depth int) value.Value {
		if depth == 0 {
			return value.Number("1")
		}
		return []any{tree(depth - 1), tree(depth - 1)}
	}
	doc := tree(15)
	if got, err := MustParse("$..*").Select(doc); err != nil || len(got.([]any)) != 1<<16-2 {
		t.Fatalf("$..* = %d values, %v", len(got.([]any)), err)
	}
	p := MustParse("$..*..*..*")
	_, err := p.Select(doc)
	var nr *NoResultError
	if !errors.As(err, &nr) || nr.Msg != "Evaluation exceeded 1048576 steps" {
		t.Fatalf("error = %v, want the work limit", err)
	}
}
