package httpapi

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
)

// graphEdge is one transition of a rendered graph.
type graphEdge struct{ from, to, label string }

// graphWriter renders a compiled definition: states as nodes, Next,
// Default, Choices and Catch as edges, Parallel branches and Map
// processors as subgraphs. Node ids are made from the scope pointer, so
// states of the same name in two branches stay apart.
type graphWriter struct {
	b       strings.Builder
	mermaid bool
	ids     map[string]string
	edges   []graphEdge
}

func (g *graphWriter) id(scope *dsl.Machine, state string) string {
	key := scope.Pointer + "/" + state
	if id, ok := g.ids[key]; ok {
		return id
	}
	id := "n" + strconv.Itoa(len(g.ids))
	g.ids[key] = id
	return id
}

func quote(s string) string {
	s = strings.ReplaceAll(s, `\`, `\\`)
	return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"`
}

func mermaidText(s string) string {
	return `"` + strings.ReplaceAll(s, `"`, "#quot;") + `"`
}

func (g *graphWriter) machine(m *dsl.Machine, indent string, start string) {
	if start != "" && m.StartAt != "" {
		g.edges = append(g.edges, graphEdge{start, g.id(m, m.StartAt), ""})
	}
	for _, name := range m.Names {
		st := m.States[name]
		if st == nil {
			continue
		}
		id := g.id(m, name)
		label := name + " (" + string(st.Kind) + ")"
		switch {
		case len(st.Branches) > 0 || st.Processor != nil:
			g.node(indent, id, label)
			subs := st.Branches
			if st.Processor != nil {
				subs = []*dsl.Machine{st.Processor}
			}
			for i, b := range subs {
				sub := fmt.Sprintf("%s_%d", id, i)
				title := fmt.Sprintf("%s branch %d", name, i+1)
				if st.Processor != nil {
					title = name + " iteration"
				}
				if g.mermaid {
					fmt.Fprintf(&g.b, "%ssubgraph %s[%s]\n", indent, sub, mermaidText(title))
				} else {
					fmt.Fprintf(&g.b, "%ssubgraph cluster_%s {\n%s  label=%s;\n", indent, sub, indent, quote(title))
				}
				g.machine(b, indent+"  ", id)
				if g.mermaid {
					fmt.Fprintf(&g.b, "%send\n", indent)
				} else {
					fmt.Fprintf(&g.b, "%s}\n", indent)
				}
			}
		default:
			g.node(indent, id, label)
		}
		if st.Next != "" {
			g.edges = append(g.edges, graphEdge{id, g.id(m, st.Next), ""})
		}
		for i, c := range st.Choices {
			g.edges = append(g.edges, graphEdge{id, g.id(m, c.Next), "rule " + strconv.Itoa(i+1)})
		}
		if st.Default != "" {
			g.edges = append(g.edges, graphEdge{id, g.id(m, st.Default), "default"})
		}
		for _, c := range st.Catch {
			g.edges = append(g.edges, graphEdge{id, g.id(m, c.Next), "catch " + strings.Join(c.ErrorEquals, ",")})
		}
	}
}

func (g *graphWriter) node(indent, id, label string) {
	if g.mermaid {
		fmt.Fprintf(&g.b, "%s%s[%s]\n", indent, id, mermaidText(label))
	} else {
		fmt.Fprintf(&g.b, "%s%s [label=%s];\n", indent, id, quote(label))
	}
}

// renderGraph renders def as Graphviz dot or Mermaid.
func renderGraph(def *dsl.Definition, mermaid bool) string {
	g := &graphWriter{mermaid: mermaid, ids: map[string]string{}}
	if mermaid {
		g.b.WriteString("flowchart TD\n  start((start))\n")
	} else {
		g.b.WriteString("digraph stateMachine {\n  rankdir=TB;\n  node [shape=box];\n  start [shape=circle, label=\"\"];\n")
	}
	g.machine(&def.Machine, "  ", "start")
	for _, e := range g.edges {
		switch {
		case mermaid && e.label != "":
			fmt.Fprintf(&g.b, "  %s -->|%s| %s\n", e.from, mermaidText(e.label), e.to)
		case mermaid:
			fmt.Fprintf(&g.b, "  %s --> %s\n", e.from, e.to)
		case e.label != "":
			fmt.Fprintf(&g.b, "  %s -> %s [label=%s];\n", e.from, e.to, quote(e.label))
		default:
			fmt.Fprintf(&g.b, "  %s -> %s;\n", e.from, e.to)
		}
	}
	if !mermaid {
		g.b.WriteString("}\n")
	}
	return g.b.String()
}

func (s *server) graph(w http.ResponseWriter, r *http.Request) {
	name, err := s.machineName(r)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "dot"
	}
	if format != "dot" && format != "mermaid" {
		s.writeError(w, r, errf(codeInvalidInput, fmt.Sprintf("format %q must be dot or mermaid", format)))
		return
	}
	version := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if version, err = versionParam(v); err != nil {
			s.writeError(w, r, err)
			return
		}
	}
	sm, err := s.engine.Store().GetStateMachine(r.Context(), name, version)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	def, err := interpreter.CompileVersion(sm)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	ct := "text/vnd.graphviz; charset=utf-8"
	if format == "mermaid" {
		ct = "text/vnd.mermaid; charset=utf-8"
	}
	w.Header().Set("Content-Type", ct)
	_, _ = w.Write([]byte(renderGraph(def, format == "mermaid")))
}
