package schema

import (
	"net/url"
	"strconv"
	"strings"
)

// pointer encodes reference tokens as a JSON Pointer (RFC 6901).
func pointer(tokens []string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// splitPointer decodes a JSON Pointer into its reference tokens.
func splitPointer(p string) []string {
	if p == "" {
		return nil
	}
	parts := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, t := range parts {
		t = strings.ReplaceAll(t, "~1", "/")
		parts[i] = strings.ReplaceAll(t, "~0", "~")
	}
	return parts
}

// comparePointers orders pointers token by token, numbers numerically, so that
// /Retry/2 comes before /Retry/10 and a member before its children.
func comparePointers(a, b string) int {
	ta, tb := splitPointer(a), splitPointer(b)
	for i := 0; i < len(ta) && i < len(tb); i++ {
		if ta[i] == tb[i] {
			continue
		}
		na, errA := strconv.Atoi(ta[i])
		nb, errB := strconv.Atoi(tb[i])
		if errA == nil && errB == nil {
			if na < nb {
				return -1
			}
			return 1
		}
		return strings.Compare(ta[i], tb[i])
	}
	return len(ta) - len(tb)
}

// lookup returns the value at tokens inside a plain-JSON document.
func lookup(doc any, tokens []string) (any, bool) {
	for _, t := range tokens {
		switch v := doc.(type) {
		case map[string]any:
			next, ok := v[t]
			if !ok {
				return nil, false
			}
			doc = next
		case []any:
			i, err := strconv.Atoi(t)
			if err != nil || i < 0 || i >= len(v) {
				return nil, false
			}
			doc = v[i]
		default:
			return nil, false
		}
	}
	return doc, true
}

// schemaNode returns the node of the raw schema that a schema location
// (absolute URL with a JSON Pointer fragment) names.
func schemaNode(raw any, location string) map[string]any {
	_, frag, _ := strings.Cut(location, "#")
	if f, err := url.PathUnescape(frag); err == nil {
		frag = f
	}
	v, ok := lookup(raw, splitPointer(frag))
	if !ok {
		return nil
	}
	m, _ := v.(map[string]any)
	return m
}

// resolveRef follows a node's local $ref, if any.
func resolveRef(raw any, node map[string]any) map[string]any {
	ref, _ := node["$ref"].(string)
	if !strings.HasPrefix(ref, "#") {
		return nil
	}
	return schemaNode(raw, ref)
}
