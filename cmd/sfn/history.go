package main

import (
	"encoding/json"
	"fmt"

	"github.com/spf13/cobra"
)

func newHistoryCmd(a *app) *cobra.Command {
	var follow bool
	cmd := &cobra.Command{
		Use:   "history ID",
		Short: "Print an execution's history events",
		Long: `history prints every event of an execution: a table for people, or with
--format json the events as the API returns them. --follow keeps printing
new events as they happen until the execution ends (in JSON, one event per line).`,
		Args: exactArgs(1, "ID [--follow] [--format table|json]"),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := a.client()
			if err != nil {
				return err
			}
			if !follow {
				events, err := c.history(cmd.Context(), args[0])
				if err != nil {
					return err
				}
				return writeEvents(a.out, events, a.json())
			}
			tw := newTable(a.out)
			if !a.json() {
				fmt.Fprintln(tw, "ID\tTIMESTAMP\tTYPE\tSTATE\tDETAILS")
			}
			return c.follow(cmd.Context(), args[0], func(raw json.RawMessage) error {
				if a.json() {
					_, err := fmt.Fprintln(a.out, compact(raw))
					return err
				}
				// Flush each row: a live view cannot wait for the column widths.
				writeEventRow(tw, raw)
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVarP(&follow, "follow", "f", false, "keep printing events until the execution ends")
	return cmd
}
