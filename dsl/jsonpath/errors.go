package jsonpath

import (
	"strconv"

	"github.com/sfn-project/sfn/dsl/value"
)

// NoResultError is a reference path that matched nothing. Msg is the text AWS
// shows after "Invalid path '<path>' : ", e.g. "No results for path: $['a']".
//
// AWS evaluates paths with Jayway JsonPath and reports its messages; Msg
// reproduces them:
//
//	No results for path: $['a']['b']          the last step found nothing
//	Missing property in path $['no']          a property before the last is missing
//	Expected to find an object with property ['b'] in path $['a'] but found
//	'java.lang.Integer'. This is not a json object according to the
//	JsonProvider: 'com.jayway.jsonpath.spi.json.JsonSmartJsonProvider'.
//	                                          a name applied to a non-object
//	The path $['a'] is null                   an index applied to null
//	Filter: [0]['b'] can only be applied to arrays. Current context is: x
//	                                          an index applied to a non-array
//
// An index out of range is "No results for path" with the whole path. A path
// whose evaluation exceeds the work limit fails with "Evaluation exceeded
// 1048576 steps" (sfn's own text; AWS has no such limit that we know of).
type NoResultError struct {
	Path string
	Msg  string
}

func (e *NoResultError) Error() string { return "Invalid path '" + e.Path + "' : " + e.Msg }

// SetError is a ResultPath that cannot be applied to the document. Msg is the
// cause AWS gives for States.ResultPathMatchFailure:
// "Unable to apply ReferencePath $.a.b to input <the input as JSON>".
type SetError struct {
	Path string
	Msg  string
}

func (e *SetError) Error() string { return e.Msg }

// jsonProvider is the Jayway JSON provider named in its messages (the
// default one; which provider AWS configures is not documented).
const jsonProvider = "com.jayway.jsonpath.spi.json.JsonSmartJsonProvider"

func (p *Path) noResults() error {
	return &NoResultError{Path: p.text, Msg: "No results for path: " + p.prefix[len(p.steps)]}
}

func (p *Path) missingProperty(i int) error {
	return &NoResultError{Path: p.text, Msg: "Missing property in path " + p.prefix[i+1]}
}

func (p *Path) notAnObject(i int, got value.Value) error {
	return &NoResultError{Path: p.text, Msg: "Expected to find an object with property " + p.steps[i].fragment +
		" in path " + p.prefix[i] + " but found '" + javaClass(got) +
		"'. This is not a json object according to the JsonProvider: '" + jsonProvider + "'."}
}

func (p *Path) notAnArray(i int, got value.Value) error {
	if got == nil {
		return &NoResultError{Path: p.text, Msg: "The path " + p.prefix[i] + " is null"}
	}
	rest := ""
	for j := i; j < len(p.steps); j++ {
		rest += p.steps[j].fragment
	}
	return &NoResultError{Path: p.text, Msg: "Filter: " + rest +
		" can only be applied to arrays. Current context is: " + javaString(got)}
}

func (p *Path) tooComplex() error {
	return &NoResultError{Path: p.text, Msg: "Evaluation exceeded " + strconv.Itoa(maxVisits) + " steps"}
}

// javaClass names the Java class json-smart decodes v into.
func javaClass(v value.Value) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "java.lang.Boolean"
	case string:
		return "java.lang.String"
	case []any:
		return "net.minidev.json.JSONArray"
	case *value.Object:
		return "net.minidev.json.JSONObject"
	case value.Number:
		if containsAny(string(t), ".eE") {
			return "java.lang.Double"
		}
		n, err := strconv.ParseInt(string(t), 10, 64)
		switch {
		case err != nil:
			return "java.math.BigInteger"
		case n >= -1<<31 && n < 1<<31:
			return "java.lang.Integer"
		default:
			return "java.lang.Long"
		}
	}
	return "java.lang.Object"
}

// javaString renders v as Java's toString would: scalars as their text,
// json-smart containers as JSON.
func javaString(v value.Value) string {
	switch t := v.(type) {
	case string:
		return t
	case value.Number:
		return string(t)
	default:
		return value.MarshalString(v)
	}
}

func containsAny(s, chars string) bool {
	for i := 0; i < len(s); i++ {
		for j := 0; j < len(chars); j++ {
			if s[i] == chars[j] {
				return true
			}
		}
	}
	return false
}
