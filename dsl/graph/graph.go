package graph

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl"
)

// Format is an output syntax.
type Format string

// Formats.
const (
	DOT     Format = "dot"
	Mermaid Format = "mermaid"
)

// ParseFormat accepts "dot" (also "graphviz") and "mermaid", in any case.
func ParseFormat(s string) (Format, error) {
	switch strings.ToLower(s) {
	case "dot", "graphviz":
		return DOT, nil
	case "mermaid":
		return Mermaid, nil
	}
	return "", fmt.Errorf("unknown graph format %q: use dot or mermaid", s)
}

// Render draws def in format f; title names the graph (a file or state
// machine name; it may be empty).
func Render(def *dsl.Definition, f Format, title string) (string, error) {
	if def == nil {
		return "", fmt.Errorf("graph: no definition")
	}
	g := build(def)
	switch f {
	case DOT:
		return g.dot(title), nil
	case Mermaid:
		return g.mermaid(title), nil
	}
	return "", fmt.Errorf("unknown graph format %q: use dot or mermaid", f)
}

// The graph model both writers share: nodes grouped in nested scopes, and
// edges between node ids.

type edgeKind int

const (
	edgeNext    edgeKind = iota // Next, Default, a Choice rule
	edgeCatch                   // a Catch: dashed
	edgeProcess                 // into a branch or processor: dotted
)

type node struct {
	id, name string
	kind     dsl.Kind
}

type edge struct {
	from, to, label string
	kind            edgeKind
}

type scope struct {
	id, label string
	nodes     []node
	children  []*scope
}

type model struct {
	root  *scope
	edges []edge
	ids   map[string]string // state pointer -> node id
	n     int
	sub   int
}

const (
	startID = "start"
	endID   = "end"
)

func build(def *dsl.Definition) *model {
	m := &model{root: &scope{}, ids: map[string]string{}}
	m.scope(&def.Machine, m.root)
	if first := m.target(&def.Machine, def.StartAt); first != "" {
		m.edges = append([]edge{{from: startID, to: first}}, m.edges...)
	}
	return m
}

// scope adds the states of machine mc to sc and returns the id of its first state.
func (m *model) scope(mc *dsl.Machine, sc *scope) {
	// Ids first, so edges can point forward.
	for _, name := range mc.Names {
		s := mc.States[name]
		if s == nil {
			continue
		}
		m.n++
		id := fmt.Sprintf("s%d", m.n)
		m.ids[s.Pointer] = id
		sc.nodes = append(sc.nodes, node{id: id, name: s.Name, kind: s.Kind})
	}
	for _, name := range mc.Names {
		s := mc.States[name]
		if s == nil {
			continue
		}
		m.state(mc, sc, s)
	}
}

func (m *model) target(mc *dsl.Machine, name string) string {
	if s := mc.States[name]; s != nil {
		return m.ids[s.Pointer]
	}
	return ""
}

func (m *model) link(from string, mc *dsl.Machine, to, label string, k edgeKind) {
	if id := m.target(mc, to); id != "" {
		m.edges = append(m.edges, edge{from: from, to: id, label: label, kind: k})
	}
}

func (m *model) state(mc *dsl.Machine, sc *scope, s *dsl.State) {
	id := m.ids[s.Pointer]
	for i, r := range s.Choices {
		m.link(id, mc, r.Next, fmt.Sprintf("rule %d", i+1), edgeNext)
	}
	if s.Kind == dsl.Choice && s.Default != "" {
		m.link(id, mc, s.Default, "Default", edgeNext)
	}
	if s.Next != "" {
		m.link(id, mc, s.Next, "", edgeNext)
	}
	for _, c := range s.Catch {
		m.link(id, mc, c.Next, "Catch "+strings.Join(c.ErrorEquals, ", "), edgeCatch)
	}
	if s.End || s.Kind == dsl.Succeed {
		// Only the top level ends the execution; a branch's end returns to its Parallel or Map.
		if sc == m.root {
			m.edges = append(m.edges, edge{from: id, to: endID})
		}
	}
	for i, b := range s.Branches {
		m.child(sc, id, b, fmt.Sprintf("%s: branch %d", s.Name, i+1))
	}
	if s.Processor != nil {
		m.child(sc, id, s.Processor, s.Name+": each item")
	}
}

func (m *model) child(parent *scope, from string, mc *dsl.Machine, label string) {
	m.sub++
	sc := &scope{id: fmt.Sprintf("cluster_%d", m.sub), label: label}
	parent.children = append(parent.children, sc)
	m.scope(mc, sc)
	m.link(from, mc, mc.StartAt, "", edgeProcess)
}

// usesEnd reports whether any edge reaches the end node.
func (m *model) usesEnd() bool {
	for _, e := range m.edges {
		if e.to == endID {
			return true
		}
	}
	return false
}
