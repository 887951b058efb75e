package main

import (
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/sfn-project/sfn/sfntest"
)

// TestFoodDeliveryMockConfigAgrees runs every test case of the
// food-delivery workflow's mock configuration file twice: with `sfn run
// --mock-config`, as a CI job would, and with package sfntest, as
// definitions/food_delivery_test.go does. Both must see the same
// execution: status, error, cause, path, failed attempts and output (the
// order's id and start time aside, which differ from run to run).
func TestFoodDeliveryMockConfigAgrees(t *testing.T) {
	t.Parallel()
	const (
		mocks = defs + "testdata/food-delivery.mocks.json"
		input = defs + "testdata/food-delivery.input.json"
	)
	var file struct {
		StateMachines map[string]struct{ TestCases map[string]json.RawMessage }
	}
	data, err := os.ReadFile(mocks)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(data, &file); err != nil {
		t.Fatal(err)
	}
	in, err := os.ReadFile(input)
	if err != nil {
		t.Fatal(err)
	}
	for _, machine := range []string{"food-delivery", "food-delivery-jsonata"} {
		cases := sortedKeys(file.StateMachines[machine].TestCases)
		if len(cases) < 10 {
			t.Fatalf("%s: %d test cases in %s, want every path", machine, len(cases), mocks)
		}
		for _, tc := range cases {
			t.Run(machine+"/"+tc, func(t *testing.T) {
				t.Parallel()
				def := defs + machine + ".yaml"
				cli, got := runJSON(t, def, "--input", "@"+input, "--mock-config", mocks, "--test-case", tc, "--fast-time", "--history")
				if wantCode := map[bool]int{true: 0, false: 1}[got.Status == "SUCCEEDED"]; cli.code != wantCode {
					t.Errorf("sfn run exited %d for a %s execution, want %d\nstderr:\n%s", cli.code, got.Status, wantCode, cli.errOut)
				}
				r := sfntest.Run(t, def, in, sfntest.MockConfig(mocks, tc))

				type outcome struct {
					Status, Error, Cause string
					Path, Failures       []string
					Output               any
				}
				fromCLI := outcome{Status: got.Status, Error: got.Error, Cause: got.Cause, Output: comparable(t, got.Output)}
				for _, raw := range got.Events {
					var e struct{ Type, Name, Error string }
					if err := json.Unmarshal(raw, &e); err != nil {
						t.Fatal(err)
					}
					if strings.HasSuffix(e.Type, "StateEntered") {
						fromCLI.Path = append(fromCLI.Path, e.Name)
					}
					if slices.Contains([]string{"TaskFailed", "TaskTimedOut", "ActivityFailed", "ActivityTimedOut"}, e.Type) {
						fromCLI.Failures = append(fromCLI.Failures, e.Error)
					}
				}
				fromTest := outcome{Status: r.Status(), Error: r.ErrorName(), Cause: r.Cause(), Path: r.Path(), Output: comparable(t, r.Output())}
				for _, e := range r.Events("TaskFailed", "TaskTimedOut", "ActivityFailed", "ActivityTimedOut") {
					fromTest.Failures = append(fromTest.Failures, e.Error)
				}
				if diff := cmp.Diff(fromCLI, fromTest); diff != "" {
					t.Errorf("sfn run (-) and sfntest (+) differ:\n%s\nsfn run's stderr:\n%s", diff, cli.errOut)
				}
				if len(fromTest.Path) < 4 {
					t.Errorf("path %v: the test case ended early", fromTest.Path)
				}
			})
		}
	}
}

// comparable is an output as a value, with the order's id (a random UUID
// in sfn run, the first of a sequence in sfntest) replaced by ORDER and
// placedAt (the start time) removed.
func comparable(t *testing.T, output json.RawMessage) any {
	t.Helper()
	if output == nil {
		return nil
	}
	var o struct{ OrderID string }
	if err := json.Unmarshal(output, &o); err != nil {
		t.Fatalf("output %s: %v", output, err)
	}
	text := string(output)
	if o.OrderID != "" {
		text = strings.ReplaceAll(text, o.OrderID, "ORDER")
	}
	var v map[string]any
	if err := json.Unmarshal([]byte(text), &v); err != nil {
		t.Fatal(err)
	}
	delete(v, "placedAt")
	return v
}
