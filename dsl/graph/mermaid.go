package graph

import (
	"fmt"
	"strings"

	"github.com/sfn-project/sfn/dsl"
)

func (m *model) mermaid(title string) string {
	var b strings.Builder
	if title != "" {
		fmt.Fprintf(&b, "---\ntitle: %s\n---\n", mermaidText(title))
	}
	b.WriteString("flowchart TD\n")
	b.WriteString("  start((Start))\n")
	if m.usesEnd() {
		b.WriteString("  end_(((End)))\n")
	}
	mermaidScope(&b, m.root, "  ")
	for _, e := range m.edges {
		to := e.to
		if to == endID {
			to = "end_" // "end" is a Mermaid keyword
		}
		arrow := "-->"
		switch e.kind {
		case edgeCatch:
			arrow = "-.->"
		case edgeProcess:
			arrow = "==>"
		}
		if e.label != "" {
			fmt.Fprintf(&b, "  %s %s|\"%s\"| %s\n", e.from, arrow, mermaidText(e.label), to)
		} else {
			fmt.Fprintf(&b, "  %s %s %s\n", e.from, arrow, to)
		}
	}
	return b.String()
}

func mermaidScope(b *strings.Builder, sc *scope, indent string) {
	for _, n := range sc.nodes {
		label := "\"" + mermaidText(n.name) + "<br/><small>" + string(n.kind) + "</small>\""
		switch n.kind {
		case dsl.Choice:
			fmt.Fprintf(b, "%s%s{%s}\n", indent, n.id, label)
		case dsl.Succeed, dsl.Fail:
			fmt.Fprintf(b, "%s%s([%s])\n", indent, n.id, label)
		default:
			fmt.Fprintf(b, "%s%s[%s]\n", indent, n.id, label)
		}
	}
	for _, c := range sc.children {
		fmt.Fprintf(b, "%ssubgraph %s [\"%s\"]\n", indent, c.id, mermaidText(c.label))
		mermaidScope(b, c, indent+"  ")
		fmt.Fprintf(b, "%send\n", indent)
	}
}

// mermaidText escapes text for a quoted Mermaid label: quotes and the
// characters Mermaid would read as markup become entity codes.
func mermaidText(s string) string {
	r := strings.NewReplacer(`"`, "#quot;", "<", "#lt;", ">", "#gt;", "\n", " ", "#", "#35;")
	return r.Replace(s)
}
