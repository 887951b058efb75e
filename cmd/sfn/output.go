package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"unicode/utf8"

	"github.com/sfn-project/sfn/dsl/value"
)

// writeJSON prints a JSON document indented, keeping its key order.
func writeJSON(w io.Writer, raw []byte) error {
	var b bytes.Buffer
	if err := json.Indent(&b, raw, "", "  "); err != nil {
		_, err = fmt.Fprintf(w, "%s\n", raw)
		return err
	}
	b.WriteByte('\n')
	_, err := w.Write(b.Bytes())
	return err
}

// writeValue prints a Go value as indented JSON.
func writeValue(w io.Writer, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return writeJSON(w, data)
}

// compact prints JSON on one line.
func compact(raw []byte) string {
	var b bytes.Buffer
	if err := json.Compact(&b, raw); err != nil {
		return string(raw)
	}
	return b.String()
}

func newTable(w io.Writer) *tabwriter.Writer {
	return tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)
	return string(r[:n-1]) + "…"
}

// eventDetails is an event's fields other than its head, in their order,
// as `key=value` pairs (strings bare, other values as compact JSON).
func eventDetails(raw json.RawMessage) string {
	v, err := value.Decode(raw)
	if err != nil {
		return ""
	}
	obj, ok := v.(*value.Object)
	if !ok {
		return ""
	}
	var parts []string
	for _, m := range obj.Members() {
		switch m.Key {
		case "id", "previousEventId", "timestamp", "type", "name":
			continue
		}
		if s, ok := m.Value.(string); ok {
			parts = append(parts, m.Key+"="+s)
		} else {
			parts = append(parts, m.Key+"="+value.MarshalString(m.Value))
		}
	}
	return strings.Join(parts, " ")
}

// writeEvents prints history events as a table (or a JSON array).
func writeEvents(w io.Writer, events []json.RawMessage, asJSON bool) error {
	if asJSON {
		return writeValue(w, map[string]any{"events": nonNil(events)})
	}
	tw := newTable(w)
	fmt.Fprintln(tw, "ID\tTIMESTAMP\tTYPE\tSTATE\tDETAILS")
	for _, raw := range events {
		writeEventRow(tw, raw)
	}
	return tw.Flush()
}

func writeEventRow(w io.Writer, raw json.RawMessage) {
	var h eventHead
	_ = json.Unmarshal(raw, &h)
	fmt.Fprintf(w, "%d\t%s\t%s\t%s\t%s\n", h.ID, h.Timestamp, h.Type, orDash(h.Name), truncate(eventDetails(raw), 100))
}

func nonNil(events []json.RawMessage) []json.RawMessage {
	if events == nil {
		return []json.RawMessage{}
	}
	return events
}

// writeExecution prints an execution: as the server's JSON, or as fields.
func writeExecution(w io.Writer, ex *execution, raw []byte, asJSON bool) error {
	if asJSON {
		if raw == nil {
			return writeValue(w, ex)
		}
		return writeJSON(w, raw)
	}
	tw := newTable(w)
	fmt.Fprintf(tw, "Execution:\t%s\n", ex.ExecutionID)
	fmt.Fprintf(tw, "State machine:\t%s (version %d)\n", ex.StateMachine, ex.Version)
	fmt.Fprintf(tw, "Name:\t%s\n", ex.Name)
	fmt.Fprintf(tw, "Status:\t%s\n", ex.Status)
	fmt.Fprintf(tw, "Started:\t%s\n", orDash(ex.StartedAt))
	if ex.StoppedAt != "" {
		fmt.Fprintf(tw, "Stopped:\t%s\n", ex.StoppedAt)
	}
	if ex.RedriveCount > 0 {
		fmt.Fprintf(tw, "Redrives:\t%d\n", ex.RedriveCount)
	}
	if ex.ParentExecutionID != "" {
		fmt.Fprintf(tw, "Parent:\t%s\n", ex.ParentExecutionID)
	}
	if ex.MapRunARN != "" {
		fmt.Fprintf(tw, "Map Run:\t%s\n", ex.MapRunARN)
	}
	if ex.TestCase != "" {
		fmt.Fprintf(tw, "Test case:\t%s (mocked calls were not made)\n", ex.TestCase)
	}
	if len(ex.Input) > 0 {
		fmt.Fprintf(tw, "Input:\t%s\n", truncate(compact(ex.Input), 200))
	}
	if len(ex.Output) > 0 {
		fmt.Fprintf(tw, "Output:\t%s\n", truncate(compact(ex.Output), 200))
	}
	if ex.Error != "" {
		fmt.Fprintf(tw, "Error:\t%s\n", ex.Error)
	}
	if ex.Cause != "" {
		fmt.Fprintf(tw, "Cause:\t%s\n", ex.Cause)
	}
	return tw.Flush()
}

// outcome is the exit code an ended execution means.
func outcome(status string) error {
	if status == "SUCCEEDED" {
		return nil
	}
	return quietExit(exitFailed)
}
