package schema

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/santhosh-tekuri/jsonschema/v6/kind"
)

// describe turns one leaf error into violations with fix-it messages. Titles,
// field lists and bounds are read from the schema node where the check
// failed, so the messages follow the schema when it changes.
func describe(raw, doc any, e *jsonschema.ValidationError) []finding {
	loc := e.InstanceLocation
	ptr := pointer(loc)
	node := schemaNode(raw, e.SchemaURL)
	got, _ := lookup(doc, loc)
	switch k := e.ErrorKind.(type) {
	case *kind.AdditionalProperties:
		fs := make([]finding, 0, len(k.Properties))
		for _, name := range k.Properties {
			msg, meant := unknownField(raw, node, name, len(loc) == 0)
			fs = append(fs, finding{Violation: Violation{
				Pointer: pointer(append(slices.Clip(loc), name)),
				Keyword: "additionalProperties",
				Message: msg,
				OnKey:   true,
			}, meant: meant})
		}
		return fs
	case *kind.Required:
		fs := make([]finding, 0, len(k.Missing))
		for _, name := range k.Missing {
			msg := fmt.Sprintf("missing required field %q", name)
			if len(loc) > 0 {
				msg += " in " + withArticle(title(node))
			}
			fs = append(fs, finding{Violation: Violation{Pointer: ptr, Keyword: "required", Message: msg}, missing: name})
		}
		return fs
	case *kind.FalseSchema:
		// A field forbidden in this place, e.g. Next in a nested choice rule.
		// The false schema sits at <owner>/properties/<name>.
		owner := ownerOf(raw, e.SchemaURL)
		return []finding{{Violation: Violation{
			Pointer: ptr,
			Keyword: "false",
			Message: fmt.Sprintf("field %q is not allowed in %s", last(loc), withArticle(title(owner))),
			OnKey:   true,
		}}}
	case *kind.Enum:
		msg := fmt.Sprintf("%s must be %s, got %s", subject(node, loc), expect(raw, node), show(got))
		if s, ok := got.(string); ok {
			var want []string
			for _, w := range k.Want {
				if ws, ok := w.(string); ok {
					want = append(want, ws)
				}
			}
			if hint := suggest(s, want); hint != "" {
				msg += fmt.Sprintf("; did you mean %q?", hint)
			}
		}
		return []finding{{Violation: Violation{Pointer: ptr, Keyword: "enum", Message: msg}}}
	case *kind.InvalidJsonValue:
		return []finding{{Violation: Violation{Pointer: ptr, Keyword: "type", Message: fmt.Sprintf("%s is a Go %T, not a JSON value", subject(node, loc), k.Value)}}}
	}
	keyword := "schema"
	if kp := e.ErrorKind.KeywordPath(); len(kp) > 0 {
		keyword = kp[0]
	}
	// Every other keyword constrains the value (type, bounds, pattern,
	// length, const): say what the value must be and what it is.
	return []finding{{Violation: Violation{
		Pointer: ptr,
		Keyword: keyword,
		Message: fmt.Sprintf("%s must be %s, got %s", subject(node, loc), expect(raw, node), show(got)),
	}}}
}

// unknownField words an unknown member, with a close name when there is one,
// or else the state kinds that do have the field.
// It also returns the suggested field, if any.
func unknownField(raw any, node map[string]any, name string, top bool) (msg, meant string) {
	where := "in " + withArticle(title(node))
	if top {
		where = "at the top level of the state machine"
	}
	msg = fmt.Sprintf("unknown field %q %s", name, where)
	if hint := suggest(name, allowedFields(raw, node)); hint != "" {
		return msg + fmt.Sprintf("; did you mean %q?", hint), hint
	}
	if owners := kindsWithField(raw, name); len(owners) > 0 && isStateKind(raw, node) {
		return msg + fmt.Sprintf("; only %s states have it", orList(owners)), ""
	}
	return msg, ""
}

// allowedFields lists the property names a schema node accepts, following
// $ref, skipping names the node forbids with a false schema.
func allowedFields(raw any, node map[string]any) []string {
	var names []string
	seen := map[string]bool{}
	for depth := 0; node != nil && depth < 8; depth++ {
		props, _ := node["properties"].(map[string]any)
		for name, p := range props {
			if seen[name] {
				continue
			}
			seen[name] = true
			if p != false {
				names = append(names, name)
			}
		}
		node = resolveRef(raw, node)
	}
	slices.Sort(names)
	return names
}

// stateKinds lists the values of a state's Type, from the schema.
func stateKinds(raw any) []string {
	v, _ := lookup(raw, []string{"$defs", "State", "properties", "Type", "enum"})
	list, _ := v.([]any)
	kinds := make([]string, 0, len(list))
	for _, k := range list {
		if s, ok := k.(string); ok {
			kinds = append(kinds, s)
		}
	}
	return kinds
}

func kindsWithField(raw any, name string) []string {
	var owners []string
	for _, k := range stateKinds(raw) {
		if _, ok := lookup(raw, []string{"$defs", k, "properties", name}); ok {
			owners = append(owners, k)
		}
	}
	return owners
}

// isStateKind reports whether node is one of the state kinds' definitions
// (their titles are "<Kind> state").
func isStateKind(raw any, node map[string]any) bool {
	kind, ok := strings.CutSuffix(title(node), " state")
	return ok && slices.Contains(stateKinds(raw), kind)
}

// ownerOf returns the schema node whose "properties" holds the schema at location.
func ownerOf(raw any, location string) map[string]any {
	base, frag, _ := strings.Cut(location, "#")
	tokens := splitPointer(frag)
	if len(tokens) >= 2 && tokens[len(tokens)-2] == "properties" {
		return schemaNode(raw, base+"#"+pointer(tokens[:len(tokens)-2]))
	}
	return nil
}

func title(node map[string]any) string {
	if t, ok := node["title"].(string); ok && t != "" {
		return t
	}
	return "object"
}

func withArticle(noun string) string {
	if noun != "" && strings.ContainsRune("AEIOUaeiou", rune(noun[0])) {
		return "an " + noun
	}
	return "a " + noun
}

func last(tokens []string) string {
	if len(tokens) == 0 {
		return ""
	}
	return tokens[len(tokens)-1]
}

// subject names the value a message is about: "Seconds", "ErrorEquals[1]",
// state "Charge", or the definition itself.
func subject(node map[string]any, loc []string) string {
	if len(loc) == 0 {
		return "the definition"
	}
	if title(node) == "state" {
		return fmt.Sprintf("state %q", last(loc))
	}
	i := len(loc) - 1
	suffix := ""
	for i > 0 && isIndex(loc[i]) {
		suffix = "[" + loc[i] + "]" + suffix
		i--
	}
	return fmt.Sprintf("%q", loc[i]+suffix)
}

func isIndex(t string) bool {
	if t == "" {
		return false
	}
	for _, r := range t {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}

// expect words what a schema node accepts: "an integer ≥ 0", "a path starting
// with "$" or null", "one of "FULL", "NONE"".
func expect(raw any, node map[string]any) string {
	if target := resolveRef(raw, node); target != nil && node["type"] == nil && node["enum"] == nil {
		node = target
	}
	if enum, ok := node["enum"].([]any); ok {
		parts := make([]string, len(enum))
		for i, v := range enum {
			parts[i] = show(v)
		}
		return "one of " + strings.Join(parts, ", ")
	}
	var types []string
	switch t := node["type"].(type) {
	case string:
		types = []string{t}
	case []any:
		for _, x := range t {
			if s, ok := x.(string); ok {
				types = append(types, s)
			}
		}
	}
	if len(types) == 0 {
		return "a JSON value"
	}
	nouns := make([]string, len(types))
	for i, t := range types {
		nouns[i] = typeNoun(node, t)
	}
	return strings.Join(nouns, " or ")
}

func typeNoun(node map[string]any, t string) string {
	switch t {
	case "integer", "number":
		noun := "a number"
		if t == "integer" {
			noun = "an integer"
		}
		lo, hasLo := node["minimum"].(json.Number)
		hi, hasHi := node["maximum"].(json.Number)
		xlo, hasXlo := node["exclusiveMinimum"].(json.Number)
		switch {
		case hasLo && hasHi:
			return fmt.Sprintf("%s from %s to %s", noun, lo, hi)
		case hasLo:
			return fmt.Sprintf("%s ≥ %s", noun, lo)
		case hasXlo:
			return fmt.Sprintf("%s > %s", noun, xlo)
		case hasHi:
			return fmt.Sprintf("%s ≤ %s", noun, hi)
		}
		return noun
	case "string":
		switch p, _ := node["pattern"].(string); {
		case strings.HasPrefix(p, `^\$`):
			return `a path starting with "$"`
		case strings.HasPrefix(p, `^(\$|States\.)`):
			return `a path starting with "$" or an intrinsic function`
		case strings.HasPrefix(p, `^\{%`):
			return `a JSONata expression "{% … %}" (JSONata states)`
		case p != "":
			return fmt.Sprintf("a string matching %s", p)
		}
		if n, ok := node["minLength"].(json.Number); ok && n.String() != "0" {
			return "a non-empty string"
		}
		return "a string"
	case "boolean":
		return "true or false"
	case "object":
		if n, ok := node["minProperties"].(json.Number); ok && n.String() != "0" {
			return "a non-empty object"
		}
		return "an object"
	case "array":
		if n, ok := node["minItems"].(json.Number); ok && n.String() != "0" {
			return "a non-empty array"
		}
		return "an array"
	case "null":
		return "null"
	}
	return "a " + t
}

// show renders a value for a message: compact JSON, shortened when long.
func show(v any) string {
	const limit = 40
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	s := string(b)
	if utf8.RuneCountInString(s) <= limit {
		return s
	}
	switch v.(type) {
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	}
	r := []rune(s)
	return string(r[:limit-1]) + "…"
}

func orList(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}
