package graph

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl"
)

func (m *model) dot(title string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "digraph %s {\n", dotQuote(orDefault(title, "state machine")))
	b.WriteString("  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n")
	b.WriteString("  edge [fontname=\"Helvetica\", fontsize=10];\n")
	b.WriteString("  start [shape=circle, label=\"Start\", style=filled, fillcolor=\"#dddddd\"];\n")
	if m.usesEnd() {
		b.WriteString("  end [shape=doublecircle, label=\"End\", style=filled, fillcolor=\"#dddddd\"];\n")
	}
	dotScope(&b, m.root, "  ")
	for _, e := range m.edges {
		fmt.Fprintf(&b, "  %s -> %s", e.from, e.to)
		var attrs []string
		if e.label != "" {
			attrs = append(attrs, "label="+dotQuote(e.label))
		}
		switch e.kind {
		case edgeCatch:
			attrs = append(attrs, "style=dashed", "color=\"#c0392b\"")
		case edgeProcess:
			attrs = append(attrs, "style=dotted")
		}
		if len(attrs) > 0 {
			fmt.Fprintf(&b, " [%s]", strings.Join(attrs, ", "))
		}
		b.WriteString(";\n")
	}
	b.WriteString("}\n")
	return b.String()
}

func dotScope(b *strings.Builder, sc *scope, indent string) {
	for _, n := range sc.nodes {
		fmt.Fprintf(b, "%s%s [label=%s%s];\n", indent, n.id, dotQuote(n.name+"\n"+string(n.kind)), dotShape(n.kind))
	}
	for _, c := range sc.children {
		fmt.Fprintf(b, "%ssubgraph %s {\n", indent, c.id)
		fmt.Fprintf(b, "%s  label=%s;\n%s  style=dashed;\n", indent, dotQuote(c.label), indent)
		dotScope(b, c, indent+"  ")
		fmt.Fprintf(b, "%s}\n", indent)
	}
}

func dotShape(k dsl.Kind) string {
	switch k {
	case dsl.Choice:
		return ", shape=diamond, style=\"\""
	case dsl.Succeed:
		return ", style=\"rounded,filled\", fillcolor=\"#d5f5e3\""
	case dsl.Fail:
		return ", style=\"rounded,filled\", fillcolor=\"#fadbd8\""
	}
	return ""
}

// dotQuote makes a DOT string literal; a newline becomes DOT's \n.
func dotQuote(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`, "\r", "")
	return `"` + r.Replace(s) + `"`
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}
