package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/jsonata"
)

func newJSONataCmd(a *app) *cobra.Command {
	var input string
	var binds []string
	cmd := &cobra.Command{
		Use:   "jsonata [--input JSON|@FILE] [--bind NAME=JSON]... -- EXPR",
		Short: "Evaluate a JSONata expression",
		Long: `jsonata evaluates a JSONata 2.0.6 expression, as the workflow engine does,
against an input document and prints the result as JSON.

--input gives the input inline (JSON) or from a file (@FILE); without it the
input is undefined. --bind NAME=JSON binds $NAME (repeatable). Put -- before
an expression that begins with '-'.

An undefined result prints nothing. Exit status: 0 a result (or none),
1 a JSONata error (stderr begins with its code, e.g. T2001), 2 usage or an
unreadable input.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) != 1 {
				return usageErrorf("jsonata: give exactly one expression (after --), got %d arguments", len(args))
			}
			return nil
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			return a.jsonata(args[0], input, cmd.Flags().Changed("input"), binds)
		},
	}
	cmd.Flags().StringVar(&input, "input", "", "the input document: JSON text, or @FILE to read it from FILE")
	cmd.Flags().StringArrayVar(&binds, "bind", nil, "bind a variable: NAME=JSON ($NAME in the expression); repeatable")
	return cmd
}

func (a *app) jsonata(expr, input string, haveInput bool, binds []string) error {
	var in any = jsonata.Undefined
	if haveInput {
		text := []byte(input)
		if strings.HasPrefix(input, "@") {
			data, err := os.ReadFile(input[1:])
			if err != nil {
				return usageErrorf("jsonata: --input: %v", err)
			}
			text = data
		}
		v, err := jsonata.DecodeJSON(text)
		if err != nil {
			return usageErrorf("jsonata: --input: %v", err)
		}
		in = v
	}
	bindings := make(map[string]any, len(binds))
	for _, b := range binds {
		name, text, ok := strings.Cut(b, "=")
		name = strings.TrimPrefix(name, "$")
		if !ok || name == "" {
			return usageErrorf("jsonata: --bind %q: write NAME=JSON", b)
		}
		v, err := jsonata.DecodeJSON([]byte(text))
		if err != nil {
			return usageErrorf("jsonata: --bind %s: %v", name, err)
		}
		bindings[name] = v
	}
	e, err := jsonata.Compile(expr)
	if err != nil {
		return a.jsonataError(err)
	}
	res, err := e.Evaluate(in, bindings)
	if err != nil {
		return a.jsonataError(err)
	}
	if jsonata.IsUndefined(res) {
		return nil
	}
	out, err := jsonata.EncodeJSON(res)
	if err != nil {
		return a.jsonataError(err)
	}
	fmt.Fprintf(a.out, "%s\n", out)
	return nil
}

// jsonataError prints a JSONata error as "CODE message (at position N)"
// (scripts read the code as the first word) and exits 1.
func (a *app) jsonataError(err error) error {
	var je *jsonata.Error
	if errors.As(err, &je) {
		if je.Position > 0 {
			fmt.Fprintf(a.err, "%s %s (at position %d)\n", je.Code, je.Message, je.Position)
		} else {
			fmt.Fprintf(a.err, "%s %s\n", je.Code, je.Message)
		}
		return quietExit(exitFailed)
	}
	return failedf("jsonata: %v", err)
}
