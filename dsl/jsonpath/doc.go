// Package jsonpath compiles and evaluates the JSONPath expressions of the
// States Language: InputPath, OutputPath, ResultPath, ItemsPath, the "k.$"
// members of payload templates, Choice variables and the *Path fields.
//
// Paths are compiled once, at load time, by Parse. A reference path ($,
// $.a.b, $['k'], $.a[2].b) is evaluated by a hand-written walker that
// allocates nothing on success; it is the only kind ResultPath accepts (Set).
// Other paths — wildcards, recursive descent, slices, unions, filters,
// length() — return an array of matches, [] when nothing matches, as AWS
// does. The walker handles all of them itself, so results keep object member
// order; only the expression inside a filter [?( )] is evaluated by
// github.com/PaesslerAG/jsonpath, on plain-Go copies of the candidates.
//
// AWS evaluates paths with Jayway JsonPath, and its error causes quote
// Jayway's messages ("No results for path: $['a']", "Missing property in
// path $['no']"); NoResultError carries the same texts, and the syntax
// follows Jayway where AWS shows it (names after '.' run to the next '.',
// '[' or '('; inside quotes a backslash is kept as written).
//
// $$ paths address the context object; Select evaluates them over whatever
// document it is given, so the caller passes the context object.
package jsonpath
