package schema

import (
	"fmt"
	"strings"
	"testing"
)

// sixtyStates builds a definition of about 60 states of every kind, chained
// with Next, the size of a large real workflow.
func sixtyStates(tb testing.TB) any {
	var states []string
	for i := range 10 {
		n := func(k string) string { return fmt.Sprintf("%s%d", k, i) }
		next := fmt.Sprintf("Pass%d", i+1)
		if i == 9 {
			next = "Done"
		}
		states = append(states,
			fmt.Sprintf(`%q: {"Type": "Pass", "Parameters": {"id.$": "$.id", "n": %d}, "ResultPath": "$.p", "Next": %q}`, n("Pass"), i, n("Task")),
			fmt.Sprintf(`%q: {"Type": "Task", "Resource": "handler:step", "TimeoutSeconds": 30, "HeartbeatSeconds": 10,
				"Retry": [{"ErrorEquals": ["Transient"], "IntervalSeconds": 1, "MaxAttempts": 3, "BackoffRate": 2, "JitterStrategy": "FULL"}],
				"Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}], "Next": %q}`, n("Task"), n("Choice")),
			fmt.Sprintf(`%q: {"Type": "Choice", "Choices": [
				{"And": [{"Variable": "$.a", "IsPresent": true}, {"Variable": "$.a", "NumericGreaterThan": 3}], "Next": %q},
				{"Variable": "$.b", "StringMatches": "x*", "Next": %q}], "Default": %q}`, n("Choice"), n("Wait"), n("Parallel"), n("Wait")),
			fmt.Sprintf(`%q: {"Type": "Wait", "Seconds": 0, "Next": %q}`, n("Wait"), n("Parallel")),
			fmt.Sprintf(`%q: {"Type": "Parallel", "Branches": [
				{"StartAt": %q, "States": {%[2]q: {"Type": "Pass", "End": true}}},
				{"StartAt": %q, "States": {%[3]q: {"Type": "Succeed"}}}], "ResultPath": "$.par", "Next": %q}`, n("Parallel"), n("B"), n("C"), n("Map")),
			fmt.Sprintf(`%q: {"Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 4, "ItemSelector": {"v.$": "$$.Map.Item.Value"},
				"ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": %q, "States": {%[2]q: {"Type": "Task", "Resource": "handler:item", "End": true}}},
				"ResultPath": "$.m", "Next": %q}`, n("Map"), n("I"), next),
		)
	}
	states = append(states,
		`"Pass10": {"Type": "Pass", "Next": "Done"}`,
		`"Done": {"Type": "Succeed"}`,
		`"Failed": {"Type": "Fail", "Error": "Failed", "Cause": "a step failed"}`)
	return decode(tb, `{"StartAt": "Pass0", "States": {`+strings.Join(states, ",\n")+`}}`)
}

func BenchmarkValidate(b *testing.B) {
	doc := sixtyStates(b)
	if v := Validate(doc); v != nil {
		b.Fatalf("benchmark definition is invalid: %v", v)
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(doc)
	}
}

// BenchmarkValidateInvalid measures the error path: one typo in every state.
func BenchmarkValidateInvalid(b *testing.B) {
	doc := sixtyStates(b)
	for _, s := range doc.(map[string]any)["States"].(map[string]any) {
		s.(map[string]any)["Nxt"] = "x"
	}
	b.ReportAllocs()
	for b.Loop() {
		Validate(doc)
	}
}
