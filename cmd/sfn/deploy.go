package main

import (
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/sfn-project/sfn/dsl"
	"github.com/spf13/cobra"
)

func newDeployCmd(a *app) *cobra.Command {
	var name string
	cmd := &cobra.Command{
		Use:   "deploy FILE",
		Short: "Upload a definition to the server (a new version when it changed)",
		Long: `deploy uploads a definition (YAML or JSON) as the state machine NAME (by
default the file name without its extension). The server validates it
first; an invalid definition prints every problem and exits with 1.`,
		Args: exactArgs(1, "FILE [--name NAME]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			path := args[0]
			data, err := os.ReadFile(path)
			if err != nil {
				return usageErrorf("%v", err)
			}
			if name == "" {
				name = dsl.NameFromFile(path)
			}
			c, err := a.client()
			if err != nil {
				return err
			}
			ct := "application/yaml"
			if strings.EqualFold(filepath.Ext(path), ".json") {
				ct = "application/json"
			}
			// The version before, to tell a new version from an unchanged one.
			var before stateMachineMeta
			if _, err := c.do(cmd.Context(), request{method: http.MethodGet, path: "/v1/state-machines/" + pathEscape(name)}, &before); err != nil && !isCode(err, "NotFound") {
				return err
			}
			var meta stateMachineMeta
			status, err := c.do(cmd.Context(), request{method: http.MethodPut, path: "/v1/state-machines/" + pathEscape(name), body: data, contentType: ct}, &meta)
			if err != nil {
				var ae *apiError
				if errors.As(err, &ae) && ae.Code == "ValidationError" {
					for _, d := range ae.Details {
						fmt.Fprintf(a.err, "%s:%d:%d: %s (at %s)\n", path, d.Line, d.Column, d.Message, orSlash(d.Path))
					}
					return failedf("%s is not a valid definition", path)
				}
				return err
			}
			if a.json() {
				return writeValue(a.out, meta)
			}
			what := "unchanged"
			switch {
			case status == http.StatusCreated:
				what = "created"
			case meta.Version != before.Version:
				what = "new version"
			}
			fmt.Fprintf(a.out, "%s: version %d (%s)\n", meta.Name, meta.Version, what)
			return nil
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "state machine name (default: the file name without extension)")
	return cmd
}

func orSlash(p string) string {
	if p == "" {
		return "/"
	}
	return p
}
