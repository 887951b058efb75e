package main

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/dsl"
)

func newValidateCmd(a *app) *cobra.Command {
	var strict, portable bool
	cmd := &cobra.Command{
		Use:   "validate FILE...",
		Short: "Check definitions against the schema and the language's rules",
		Long: `validate checks each definition (YAML or JSON) and prints every problem as
FILE:LINE:COLUMN: CODE message (at /JSON/Pointer), so editors can jump to it.

The sfn extensions a definition uses (handler: resources, the short
http:invoke and activity: forms, MaxElapsedSeconds, …: docs/language.md
lists them) are notes, NOT_PORTABLE: nothing wrong for sfn, but AWS Step
Functions would refuse them. With --portable they are errors, for
definitions that must also run on AWS.

Exit status: 0 valid, 1 invalid (or, with --strict, a warning; with
--portable, an extension), 2 usage or an unreadable file.`,
		Args: func(_ *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("validate: name at least one definition file")
			}
			return nil
		},
		RunE: func(_ *cobra.Command, args []string) error {
			return a.validate(args, strict, portable)
		},
	}
	cmd.Flags().BoolVar(&strict, "strict", false, "treat warnings as errors")
	cmd.Flags().BoolVar(&portable, "portable", false, "treat sfn extensions (NOT_PORTABLE) as errors: the definition must run on AWS Step Functions as it is")
	return cmd
}

// validateReport is `sfn validate --format json`.
type validateReport struct {
	Valid bool         `json:"valid"`
	Files []fileResult `json:"files"`
}

// fileResult is one file's outcome in --format json.
type fileResult struct {
	File     string       `json:"file"`
	Valid    bool         `json:"valid"`
	Error    string       `json:"error,omitempty"` // the file could not be read
	Problems dsl.Problems `json:"problems"`
}

func (a *app) validate(files []string, strict, portable bool) error {
	code := exitOK
	results := make([]fileResult, 0, len(files))
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			code = exitUsage
			results = append(results, fileResult{File: f, Error: err.Error(), Problems: dsl.Problems{}})
			if !a.json() {
				fmt.Fprintf(a.err, "%s: %v\n", f, err)
			}
			continue
		}
		_, problems := dsl.Load(data, dsl.Options{Filename: f, Format: dsl.FormatOfFile(f), Portability: true})
		if portable {
			for i := range problems {
				if problems[i].Code == dsl.CodeNotPortable {
					problems[i].Severity = dsl.SeverityError
				}
			}
		}
		valid := !problems.HasErrors() && !(strict && problems.HasWarnings())
		if !valid && code == exitOK {
			code = exitFailed
		}
		if problems == nil {
			problems = dsl.Problems{}
		}
		results = append(results, fileResult{File: f, Valid: valid, Problems: problems})
		if !a.json() {
			for _, p := range problems {
				fmt.Fprintln(a.out, p.String())
			}
		}
	}
	if a.json() {
		if err := writeValue(a.out, validateReport{Valid: code == exitOK, Files: results}); err != nil {
			return err
		}
	}
	if code != exitOK {
		return quietExit(code)
	}
	return nil
}
