package main

import (
	"fmt"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/dsl/graph"
)

func newGraphCmd(a *app) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "graph FILE",
		Short: "Draw a definition as a Graphviz (dot) or Mermaid graph",
		Example: `  sfn graph definitions/food-delivery.yaml | dot -Tsvg > food-delivery.svg
  sfn graph --format mermaid definitions/parallel.yaml`,
		Args: exactArgs(1, "FILE [--format dot|mermaid]"),
		RunE: func(_ *cobra.Command, args []string) error {
			f, err := graph.ParseFormat(format)
			if err != nil {
				return usageErrorf("%v", err)
			}
			def, err := a.loadDefinition(args[0])
			if err != nil {
				return err
			}
			title := strings.TrimSuffix(filepath.Base(args[0]), filepath.Ext(args[0]))
			out, err := graph.Render(def, f, title)
			if err != nil {
				return err
			}
			_, err = fmt.Fprint(a.out, out)
			return err
		},
	}
	cmd.Flags().StringVar(&format, "format", "dot", "graph syntax: dot or mermaid")
	_ = cmd.RegisterFlagCompletionFunc("format", cobra.FixedCompletions([]string{"dot", "mermaid"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}
