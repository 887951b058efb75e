package main

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"

	"github.com/spf13/cobra"
)

func newLsCmd(a *app) *cobra.Command {
	return &cobra.Command{
		Use:     "ls",
		Aliases: []string{"list"},
		Short:   "List the state machines on the server",
		Args:    noArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			var all []stateMachineMeta
			cursor := ""
			for {
				q := url.Values{"limit": {"1000"}}
				if cursor != "" {
					q.Set("cursor", cursor)
				}
				var page struct {
					StateMachines []stateMachineMeta `json:"stateMachines"`
					NextCursor    string             `json:"nextCursor"`
				}
				if _, err := c.do(cmd.Context(), request{method: http.MethodGet, path: "/v1/state-machines", query: q}, &page); err != nil {
					return err
				}
				all = append(all, page.StateMachines...)
				if page.NextCursor == "" || len(page.StateMachines) == 0 {
					break
				}
				cursor = page.NextCursor
			}
			if a.json() {
				if all == nil {
					all = []stateMachineMeta{}
				}
				return writeValue(a.out, map[string]any{"stateMachines": all})
			}
			tw := newTable(a.out)
			fmt.Fprintln(tw, "NAME\tVERSION\tUPDATED")
			for _, sm := range all {
				fmt.Fprintf(tw, "%s\t%d\t%s\n", sm.Name, sm.Version, orDash(sm.UpdatedAt))
			}
			return tw.Flush()
		},
	}
}

func newShowCmd(a *app) *cobra.Command {
	var version int
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show a state machine: its versions' metadata and definition",
		Args:  exactArgs(1, "NAME [--version N]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			path := "/v1/state-machines/" + pathEscape(args[0])
			if version > 0 {
				path += fmt.Sprintf("/versions/%d", version)
			}
			var raw json.RawMessage
			if _, err := c.do(cmd.Context(), request{method: http.MethodGet, path: path}, &raw); err != nil {
				return err
			}
			if a.json() {
				return writeJSON(a.out, raw)
			}
			var sm stateMachineMeta
			if err := json.Unmarshal(raw, &sm); err != nil {
				return fmt.Errorf("unexpected answer: %w", err)
			}
			tw := newTable(a.out)
			fmt.Fprintf(tw, "Name:\t%s\n", sm.Name)
			fmt.Fprintf(tw, "Version:\t%d\n", sm.Version)
			fmt.Fprintf(tw, "SHA-256:\t%s\n", orDash(sm.DefinitionSHA256))
			fmt.Fprintf(tw, "Created:\t%s\n", orDash(sm.CreatedAt))
			fmt.Fprintf(tw, "Updated:\t%s\n", orDash(sm.UpdatedAt))
			if err := tw.Flush(); err != nil {
				return err
			}
			if len(sm.Definition) > 0 {
				fmt.Fprintln(a.out, "Definition:")
				return writeJSON(a.out, sm.Definition)
			}
			return nil
		},
	}
	cmd.Flags().IntVar(&version, "version", 0, "a version (default: the latest)")
	return cmd
}
