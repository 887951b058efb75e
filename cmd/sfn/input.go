package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/sfn-project/sfn/dsl"
)

// readInput resolves --input: JSON text, @FILE, or @- for standard input.
// Empty means no input was given.
func (a *app) readInput(arg string) (json.RawMessage, error) {
	if arg == "" {
		return nil, nil
	}
	data, err := a.readArg("--input", arg)
	if err != nil {
		return nil, err
	}
	if !json.Valid(data) {
		return nil, usageErrorf("--input is not valid JSON (give JSON text, @FILE or @-)")
	}
	return json.RawMessage(data), nil
}

// readArg reads a flag's argument: the text itself, @FILE for a file's
// contents, or @- for standard input; an unreadable file is a usage error
// naming the flag.
func (a *app) readArg(flag, arg string) ([]byte, error) {
	if !strings.HasPrefix(arg, "@") {
		return []byte(arg), nil
	}
	var data []byte
	var err error
	if arg == "@-" {
		data, err = io.ReadAll(a.in)
	} else {
		data, err = os.ReadFile(arg[1:])
	}
	if err != nil {
		return nil, usageErrorf("%s: %v", flag, err)
	}
	return data, nil
}

// loadDefinition reads and compiles a definition file; problems are printed
// and make it fail (1), an unreadable file is a usage error (2).
func (a *app) loadDefinition(path string) (*dsl.Definition, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("%v", err)
	}
	def, problems := dsl.Load(data, dsl.Options{Filename: path, Format: dsl.FormatOfFile(path)})
	if def == nil {
		for _, p := range problems.Errors() {
			fmt.Fprintln(a.err, p.String())
		}
		return nil, failedf("%s is not a valid definition", path)
	}
	return def, nil
}
