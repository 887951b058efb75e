package awsjson

// Tests of the conversion of stored events on its own; history_test.go
// tests GetExecutionHistory through the SDK client.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/arn"
)

// TestConvertEventPreviousEventID: previousEventId as AWS gives it.
func TestConvertEventPreviousEventID(t *testing.T) {
	t.Parallel()
	hc := &historyContext{Space: arn.DefaultSpace}
	cases := []struct {
		event string
		want  int64
	}{
		{`{"id":1,"previousEventId":0,"type":"ExecutionStarted","input":{}}`, 0},
		{`{"id":2,"previousEventId":1,"type":"PassStateEntered","name":"A","input":{}}`, 0},
		{`{"id":3,"previousEventId":2,"type":"PassStateExited","name":"A","output":{}}`, 2},
		{`{"id":4,"previousEventId":3,"type":"WaitStateEntered","name":"B","input":{}}`, 3},
		{`{"id":5,"previousEventId":4,"type":"ExecutionAborted","error":"E"}`, 0},
		{`{"id":5,"previousEventId":4,"type":"ExecutionFailed","error":"E"}`, 4},
		{`{"id":6,"previousEventId":5,"type":"ExecutionRedriven","redriveCount":1}`, 5},
		{`{"id":7,"previousEventId":6,"type":"WaitStateEntered","name":"B","input":{}}`, 6},
		// A branch's first state follows its ParallelStateStarted.
		{`{"id":4,"previousEventId":3,"type":"PassStateEntered","name":"Branch","input":{}}`, 3},
	}
	for _, c := range cases {
		raw := strings.Replace(c.event, `"type"`, `"timestamp":"2026-01-02T03:04:05.678Z","type"`, 1)
		ev, err := decodeEvent([]byte(raw))
		if err != nil {
			t.Fatalf("%s: %v", c.event, err)
		}
		got, err := convertEvent(ev, true, hc)
		if err != nil {
			t.Fatalf("%s: %v", c.event, err)
		}
		if got.PreviousEventID != c.want {
			t.Errorf("%s: previousEventId %d, want %d", c.event, got.PreviousEventID, c.want)
		}
	}
}

// TestConvertEventShapes: each stored event type in AWS's shape, with and
// without the execution data.
func TestConvertEventShapes(t *testing.T) {
	t.Parallel()
	hc := &historyContext{Space: arn.Space{Region: "eu-west-3", Account: "111122223333"}, RoleArn: "arn:aws:iam::111122223333:role/r",
		MapNames: map[int64]string{9: "Each"}, Resources: map[int64]string{8: "handler:work"}}
	const ts = `"timestamp":"2026-01-02T03:04:05.678Z"`
	// withoutData is the answer with includeData false; "" when it is want.
	cases := []struct {
		name, event, want, withoutData string
	}{
		{"unknown type", `{"id":5,"previousEventId":4,` + ts + `,"type":"SomethingNew","x":1}`,
			`{"timestamp":1767323045.678,"type":"SomethingNew","id":5,"previousEventId":4}`, ""},
		{"execution started", `{"id":1,"previousEventId":0,` + ts + `,"type":"ExecutionStarted","input":{"b":1,"a":[1.50,"\u00e9"]},"version":3}`,
			`{"timestamp":1767323045.678,"type":"ExecutionStarted","id":1,"previousEventId":0,"executionStartedEventDetails":{"input":"{\"b\":1,\"a\":[1.50,\"\\u00e9\"]}","inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::111122223333:role/r"}}`,
			`{"timestamp":1767323045.678,"type":"ExecutionStarted","id":1,"previousEventId":0,"executionStartedEventDetails":{"roleArn":"arn:aws:iam::111122223333:role/r"}}`},
		{"state exited with variables", `{"id":3,"previousEventId":2,` + ts + `,"type":"PassStateExited","name":"A","output":null,"assignedVariables":{"x":"1"},"assignedVariablesDetails":{"truncated":false}}`,
			`{"timestamp":1767323045.678,"type":"PassStateExited","id":3,"previousEventId":2,"stateExitedEventDetails":{"name":"A","output":"null","outputDetails":{"truncated":false},"assignedVariables":{"x":"1"},"assignedVariablesDetails":{"truncated":false}}}`,
			`{"timestamp":1767323045.678,"type":"PassStateExited","id":3,"previousEventId":2,"stateExitedEventDetails":{"name":"A"}}`},
		{"task scheduled", `{"id":4,"previousEventId":3,` + ts + `,"type":"TaskScheduled","resource":"arn:aws:states:::http:invoke","parameters":{"ApiEndpoint":"https://x"},"timeoutSeconds":30,"heartbeatSeconds":5}`,
			`{"timestamp":1767323045.678,"type":"TaskScheduled","id":4,"previousEventId":3,"taskScheduledEventDetails":{"resourceType":"http","resource":"invoke","region":"eu-west-3","parameters":"{\"ApiEndpoint\":\"https://x\"}","timeoutInSeconds":30,"heartbeatInSeconds":5}}`,
			`{"timestamp":1767323045.678,"type":"TaskScheduled","id":4,"previousEventId":3,"taskScheduledEventDetails":{"resourceType":"http","resource":"invoke","region":"eu-west-3","timeoutInSeconds":30,"heartbeatInSeconds":5}}`},
		{"task failed, resource from before", `{"id":8,"previousEventId":7,` + ts + `,"type":"TaskFailed","error":"E","cause":"C"}`,
			`{"timestamp":1767323045.678,"type":"TaskFailed","id":8,"previousEventId":7,"taskFailedEventDetails":{"resourceType":"handler","resource":"work","error":"E","cause":"C"}}`, ""},
		{"activity scheduled", `{"id":4,"previousEventId":3,` + ts + `,"type":"ActivityScheduled","resource":"activity:crunch","parameters":{"n":1},"heartbeatSeconds":5}`,
			`{"timestamp":1767323045.678,"type":"ActivityScheduled","id":4,"previousEventId":3,"activityScheduledEventDetails":{"resource":"arn:aws:states:eu-west-3:111122223333:activity:crunch","input":"{\"n\":1}","inputDetails":{"truncated":false},"heartbeatInSeconds":5}}`,
			`{"timestamp":1767323045.678,"type":"ActivityScheduled","id":4,"previousEventId":3,"activityScheduledEventDetails":{"resource":"arn:aws:states:eu-west-3:111122223333:activity:crunch","heartbeatInSeconds":5}}`},
		{"activity started without a worker name", `{"id":5,"previousEventId":4,` + ts + `,"type":"ActivityStarted","resource":"activity:crunch"}`,
			`{"timestamp":1767323045.678,"type":"ActivityStarted","id":5,"previousEventId":4,"activityStartedEventDetails":{}}`, ""},
		{"map iteration with its Map's name", `{"id":10,"previousEventId":6,` + ts + `,"type":"MapIterationStarted","name":"Inner","index":2}`,
			`{"timestamp":1767323045.678,"type":"MapIterationStarted","id":10,"previousEventId":6,"mapIterationStartedEventDetails":{"name":"Inner","index":2}}`, ""},
		{"map iteration with its name: the name wins over a scan's", `{"id":9,"previousEventId":6,` + ts + `,"type":"MapIterationFailed","name":"Inner","index":2}`,
			`{"timestamp":1767323045.678,"type":"MapIterationFailed","id":9,"previousEventId":6,"mapIterationFailedEventDetails":{"name":"Inner","index":2}}`, ""},
		{"map iteration of an earlier release, named by the scan", `{"id":9,"previousEventId":6,` + ts + `,"type":"MapIterationFailed","index":2}`,
			`{"timestamp":1767323045.678,"type":"MapIterationFailed","id":9,"previousEventId":6,"mapIterationFailedEventDetails":{"name":"Each","index":2}}`, ""},
		{"aborted without error", `{"id":9,"previousEventId":8,` + ts + `,"type":"ExecutionAborted"}`,
			`{"timestamp":1767323045.678,"type":"ExecutionAborted","id":9,"previousEventId":0,"executionAbortedEventDetails":{}}`, ""},
		{"state aborted", `{"id":9,"previousEventId":8,` + ts + `,"type":"TaskStateAborted","name":"T"}`,
			`{"timestamp":1767323045.678,"type":"TaskStateAborted","id":9,"previousEventId":8}`, ""},
		// A distributed Map's run: AWS's MapRun… details.
		{"map run started", `{"id":4,"previousEventId":3,` + ts + `,"type":"MapRunStarted","mapRunArn":"arn:aws:states:eu-west-3:111122223333:mapRun:sm/L:9f"}`,
			`{"timestamp":1767323045.678,"type":"MapRunStarted","id":4,"previousEventId":3,"mapRunStartedEventDetails":{"mapRunArn":"arn:aws:states:eu-west-3:111122223333:mapRun:sm/L:9f"}}`, ""},
		{"map run failed", `{"id":5,"previousEventId":4,` + ts + `,"type":"MapRunFailed","error":"States.ExceedToleratedFailureThreshold","cause":"c"}`,
			`{"timestamp":1767323045.678,"type":"MapRunFailed","id":5,"previousEventId":4,"mapRunFailedEventDetails":{"error":"States.ExceedToleratedFailureThreshold","cause":"c"}}`, ""},
		{"map run failed without a cause", `{"id":5,"previousEventId":4,` + ts + `,"type":"MapRunFailed","error":"States.ItemReaderFailed"}`,
			`{"timestamp":1767323045.678,"type":"MapRunFailed","id":5,"previousEventId":4,"mapRunFailedEventDetails":{"error":"States.ItemReaderFailed"}}`, ""},
		{"map run succeeded", `{"id":5,"previousEventId":4,` + ts + `,"type":"MapRunSucceeded"}`,
			`{"timestamp":1767323045.678,"type":"MapRunSucceeded","id":5,"previousEventId":4}`, ""},
		{"map run aborted", `{"id":5,"previousEventId":4,` + ts + `,"type":"MapRunAborted"}`,
			`{"timestamp":1767323045.678,"type":"MapRunAborted","id":5,"previousEventId":4}`, ""},
		// A child execution's start, as AWS splits its resource.
		{"startExecution.sync submitted", `{"id":5,"previousEventId":4,` + ts + `,"type":"TaskSubmitted","resource":"arn:aws:states:::states:startExecution.sync","output":{"ExecutionArn":"arn:x","StartDate":"2026-01-02T03:04:05.678Z"}}`,
			`{"timestamp":1767323045.678,"type":"TaskSubmitted","id":5,"previousEventId":4,"taskSubmittedEventDetails":{"resourceType":"states","resource":"startExecution.sync","output":"{\"ExecutionArn\":\"arn:x\",\"StartDate\":\"2026-01-02T03:04:05.678Z\"}","outputDetails":{"truncated":false}}}`,
			`{"timestamp":1767323045.678,"type":"TaskSubmitted","id":5,"previousEventId":4,"taskSubmittedEventDetails":{"resourceType":"states","resource":"startExecution.sync"}}`},
		{"evaluation failed", `{"id":3,"previousEventId":2,` + ts + `,"type":"EvaluationFailed","error":"States.QueryEvaluationError","cause":"c","state":"S"}`,
			`{"timestamp":1767323045.678,"type":"EvaluationFailed","id":3,"previousEventId":2,"evaluationFailedEventDetails":{"error":"States.QueryEvaluationError","cause":"c","state":"S"}}`, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			withoutData := c.withoutData
			if withoutData == "" {
				withoutData = c.want // no execution data in it
			}
			for _, include := range []bool{true, false} {
				stored, err := decodeEvent([]byte(c.event))
				if err != nil {
					t.Fatal(err)
				}
				ev, err := convertEvent(stored, include, hc)
				if err != nil {
					t.Fatal(err)
				}
				got, err := json.Marshal(ev)
				if err != nil {
					t.Fatal(err)
				}
				want := c.want
				if !include {
					want = withoutData
				}
				if string(got) != want {
					t.Errorf("includeData %v:\n got %s\nwant %s", include, got, want)
				}
			}
		})
	}
	if _, err := decodeEvent([]byte(`{"id":1,`)); err == nil {
		t.Error("a truncated event decoded without error")
	}
	if _, err := convertEvent(&storedEvent{ID: 1, Type: "ExecutionStarted", Timestamp: "yesterday"}, true, hc); err == nil {
		t.Error("an event with a bad timestamp converted without error")
	}
}

func TestSplitResource(t *testing.T) {
	t.Parallel()
	cases := []struct{ in, typ, res string }{
		{"http:invoke", "http", "invoke"},
		{"arn:aws:states:::http:invoke", "http", "invoke"},
		{"http:invoke.waitForTaskToken", "http", "invoke.waitForTaskToken"},
		{"arn:aws:states:::http:invoke.waitForTaskToken", "http", "invoke.waitForTaskToken"},
		{"arn:aws:states:::lambda:invoke", "lambda", "invoke"},
		{"arn:aws-cn:states:::sqs:sendMessage.waitForTaskToken", "sqs", "sendMessage.waitForTaskToken"},
		{"handler:greet", "handler", "greet"},
		{"arn:aws:states:::states:startExecution", "states", "startExecution"},
		{"arn:aws:states:::states:startExecution.sync", "states", "startExecution.sync"},
		{"arn:aws:states:::states:startExecution.sync:2", "states", "startExecution.sync:2"},
		{"arn:aws:states:::states:startExecution.waitForTaskToken", "states", "startExecution.waitForTaskToken"},
		{"plain", "", "plain"},
	}
	for _, c := range cases {
		if typ, res := splitResource(c.in); typ != c.typ || res != c.res {
			t.Errorf("splitResource(%q) = %q, %q; want %q, %q", c.in, typ, res, c.typ, c.res)
		}
	}
}
