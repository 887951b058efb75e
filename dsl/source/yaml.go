package source

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/sfn-project/sfn/dsl/value"
)

// parseYAML reads one YAML document through yaml.v3's node tree, which keeps
// the line and column of every scalar, mapping, sequence and key.
func parseYAML(data []byte) (doc *Document, problems []*Problem) {
	// yaml.v3 turns its own errors into values but can still panic on some
	// malformed streams ("internal error"); no input may crash the caller.
	defer func() {
		if r := recover(); r != nil {
			doc = nil
			problems = []*Problem{{Pos: Pos{1, 1}, Message: fmt.Sprintf("YAML syntax error: the reader failed: %v", r)}}
		}
	}()
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var root yaml.Node
	if err := dec.Decode(&root); err != nil {
		if errors.Is(err, io.EOF) { // empty, or only comments
			doc = newDocument(YAML, data)
			doc.values[""] = Pos{1, 1}
			return doc, nil
		}
		return nil, []*Problem{yamlError(err)}
	}
	for {
		var extra yaml.Node
		err := dec.Decode(&extra)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, []*Problem{yamlError(err)}
		}
		if isEmptyDocument(&extra) {
			continue // a stray "---" at the end
		}
		return nil, []*Problem{{Pos: nodePos(&extra),
			Message: "the text holds more than one YAML document; a definition is a single document"}}
	}
	c := &yamlConverter{doc: &Document{Format: YAML}, open: map[*yaml.Node]bool{}}
	var v value.Value
	if len(root.Content) == 0 {
		c.doc.values = map[string]Pos{"": nodePos(&root)}
	} else {
		v = c.convert(root.Content[0], "", 0)
	}
	if len(c.problems) > 0 {
		return nil, c.problems
	}
	c.doc.Root = v
	if len(root.Content) > 0 {
		top := root.Content[0]
		c.doc.record = func(d *Document) {
			fresh := newDocument(YAML, data)
			d.values, d.keys = fresh.values, fresh.keys
			recordYAML(d, top, "")
		}
	}
	return c.doc, nil
}

// recordYAML records the positions of n and everything in it, walking the
// node tree as the converter did. It runs only on trees the converter
// accepted, so every key is a text, no key repeats and aliases are bounded.
func recordYAML(d *Document, n *yaml.Node, ptr string) {
	d.values[ptr] = nodePos(n)
	recordContent(d, n, ptr)
}

func recordContent(d *Document, n *yaml.Node, ptr string) {
	switch n.Kind {
	case yaml.AliasNode:
		if n.Alias != nil {
			recordContent(d, n.Alias, ptr)
		}
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			kn, vn := n.Content[i], n.Content[i+1]
			child := Child(ptr, kn.Value)
			if _, dup := d.keys[child]; dup {
				continue
			}
			d.keys[child] = nodePos(kn)
			recordYAML(d, vn, child)
		}
	case yaml.SequenceNode:
		for i, e := range n.Content {
			recordYAML(d, e, Index(ptr, i))
		}
	}
}

func isEmptyDocument(n *yaml.Node) bool {
	if len(n.Content) == 0 {
		return true
	}
	s := n.Content[0]
	return s.Kind == yaml.ScalarNode && s.Tag == "!!null" && s.Value == "" && s.Style == 0 && s.Anchor == ""
}

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): `)

// yamlError turns a yaml.v3 syntax error into a Problem. yaml.v3 reports the
// line only, so the column is 1.
func yamlError(err error) *Problem {
	msg := err.Error()
	pos := Pos{1, 1}
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		if n, err := strconv.Atoi(m[1]); err == nil && n > 0 {
			pos.Line = n
		}
		msg = msg[len(m[0]):]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	return &Problem{Pos: pos, Message: "YAML syntax error: " + msg}
}

func nodePos(n *yaml.Node) Pos {
	if n.Line <= 0 || n.Column <= 0 {
		return Pos{1, 1}
	}
	return Pos{n.Line, n.Column}
}

// yamlConverter turns a node tree into a value.Value, recording positions
// and collecting every refusal.
type yamlConverter struct {
	doc      *Document
	problems []*Problem

	// Alias expansion: aliasDepth > 0 while converting an alias's target;
	// aliasNodes counts the values produced that way.
	aliasDepth   int
	aliasNodes   int
	aliasTooMany bool
	// open holds the anchored containers being converted, to catch cyclic
	// aliases; an alias can only name an anchored node, so others need no
	// entry.
	open map[*yaml.Node]bool
}

func (c *yamlConverter) problem(pos Pos, ptr, format string, args ...any) {
	c.problems = append(c.problems, &Problem{Pos: pos, Path: ptr, Message: fmt.Sprintf(format, args...)})
}

// convert converts n. Positions are recorded later, when asked for (see
// recordYAML).
func (c *yamlConverter) convert(n *yaml.Node, ptr string, depth int) value.Value {
	return c.content(n, n, ptr, depth)
}

// content converts n; at is the node written at ptr (an alias's own node
// when n is its target), for positions of problems.
func (c *yamlConverter) content(n, at *yaml.Node, ptr string, depth int) value.Value {
	if c.aliasTooMany {
		return nil
	}
	if c.aliasDepth > 0 {
		c.aliasNodes++
		if c.aliasNodes > MaxAliasNodes {
			c.aliasTooMany = true
			c.problem(nodePos(at), ptr, "aliases expand to more than %d values; write the document out or use fewer aliases", MaxAliasNodes)
			return nil
		}
	}
	switch n.Kind {
	case yaml.AliasNode:
		return c.alias(n, ptr, depth)
	case yaml.ScalarNode:
		return c.scalar(n, at, ptr)
	case yaml.MappingNode:
		if !c.container(n, at, ptr, depth, "!!map") {
			return nil
		}
		if n.Anchor != "" {
			c.open[n] = true
			defer delete(c.open, n)
		}
		return c.mapping(n, ptr, depth+1)
	case yaml.SequenceNode:
		if !c.container(n, at, ptr, depth, "!!seq") {
			return nil
		}
		if n.Anchor != "" {
			c.open[n] = true
			defer delete(c.open, n)
		}
		a := make([]any, 0, len(n.Content))
		for i, e := range n.Content {
			if c.aliasTooMany {
				return nil
			}
			a = append(a, c.convert(e, Index(ptr, i), depth+1))
		}
		return a
	default:
		c.problem(nodePos(at), ptr, "unexpected YAML node")
		return nil
	}
}

// container checks the tag and depth of a mapping or sequence.
func (c *yamlConverter) container(n, at *yaml.Node, ptr string, depth int, tag string) bool {
	if n.Tag != "" && n.Tag != tag {
		c.problem(nodePos(at), ptr, "the YAML tag %s is not supported; only the core tags are", n.Tag)
		return false
	}
	if depth+1 > MaxDepth {
		c.problem(nodePos(at), ptr, "the document is nested more than %d levels deep", MaxDepth)
		return false
	}
	return true
}

func (c *yamlConverter) alias(n *yaml.Node, ptr string, depth int) value.Value {
	t := n.Alias
	if t == nil {
		c.problem(nodePos(n), ptr, "unknown alias *%s", n.Value)
		return nil
	}
	if c.open[t] {
		c.problem(nodePos(n), ptr, "alias *%s refers to a value that contains it", n.Value)
		return nil
	}
	c.aliasDepth++
	v := c.content(t, n, ptr, depth)
	c.aliasDepth--
	return v
}

func (c *yamlConverter) mapping(n *yaml.Node, ptr string, depth int) value.Value {
	o := value.NewObject(len(n.Content) / 2)
	for i := 0; i+1 < len(n.Content); i += 2 {
		if c.aliasTooMany {
			return nil
		}
		kn, vn := n.Content[i], n.Content[i+1]
		k, ok := c.key(kn, ptr)
		if !ok {
			continue
		}
		if o.Has(k) {
			child := Child(ptr, k)
			c.problem(nodePos(kn), child, "duplicate key %q (first at %s)", k, firstKeyPos(n, i, k))
			continue
		}
		o.Set(k, c.convert(vn, Child(ptr, k), depth))
	}
	return o
}

// firstKeyPos is where the first key k of mapping n, before pair i, is.
func firstKeyPos(n *yaml.Node, i int, k string) Pos {
	for j := 0; j < i; j += 2 {
		if kn := n.Content[j]; kn.Kind == yaml.ScalarNode && (kn.Tag == "!!str" || kn.Tag == "!!timestamp") && kn.Value == k {
			return nodePos(kn)
		}
	}
	return Pos{}
}

// key returns the text of a mapping key, refusing keys JSON cannot have.
func (c *yamlConverter) key(kn *yaml.Node, ptr string) (string, bool) {
	pos := nodePos(kn)
	switch kn.Kind {
	case yaml.ScalarNode:
	case yaml.AliasNode:
		c.problem(pos, ptr, "an alias (*%s) cannot be a key; write the key out", kn.Value)
		return "", false
	default:
		c.problem(pos, ptr, "a key must be a text, not a %s", kindName(kn.Kind))
		return "", false
	}
	switch kn.Tag {
	case "!!str", "!!timestamp":
		return kn.Value, true
	case "!!merge":
		c.problem(pos, Child(ptr, kn.Value), "merge keys (<<) are not supported; write the members out")
	case "!!int", "!!float", "!!bool", "!!null":
		what := map[string]string{"!!int": "a number", "!!float": "a number", "!!bool": "a boolean", "!!null": "null"}[kn.Tag]
		shown := kn.Value
		if shown == "" {
			shown = "an empty key"
		}
		c.problem(pos, ptr, "the key %s is read as %s; quote it to use it as a text", shown, what)
	default:
		c.problem(pos, ptr, "the YAML tag %s is not supported on a key", kn.Tag)
	}
	return "", false
}

func kindName(k yaml.Kind) string {
	switch k {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "sequence"
	case yaml.DocumentNode:
		return "document"
	}
	return "node"
}

// scalar converts a scalar by its tag: the one written, or the one yaml.v3
// resolved by the YAML 1.2 core schema.
func (c *yamlConverter) scalar(n, at *yaml.Node, ptr string) value.Value {
	switch n.Tag {
	case "!!str", "!!timestamp", "":
		// Timestamps stay text: JSON has no dates, and ASL compares
		// timestamps as strings.
		return n.Value
	case "!!null":
		switch n.Value {
		case "", "~", "null", "Null", "NULL":
			return nil
		}
		c.problem(nodePos(at), ptr, "%q is not null", n.Value)
	case "!!bool":
		switch n.Value {
		case "true", "True", "TRUE":
			return true
		case "false", "False", "FALSE":
			return false
		}
		c.problem(nodePos(at), ptr, "%q is not a boolean (write true or false)", n.Value)
	case "!!int":
		if s, msg := yamlInt(n.Value); msg == "" {
			return value.Number(s)
		} else {
			c.problem(nodePos(at), ptr, "%s", msg)
		}
	case "!!float":
		if s, msg := yamlFloat(n.Value); msg == "" {
			return value.Number(s)
		} else {
			c.problem(nodePos(at), ptr, "%s", msg)
		}
	case "!!binary":
		c.problem(nodePos(at), ptr, "binary values (!!binary) are not supported; JSON has no bytes, use a base64 string")
	default:
		c.problem(nodePos(at), ptr, "the YAML tag %s is not supported; only the core tags are", n.Tag)
	}
	return nil
}
