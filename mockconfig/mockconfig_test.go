package mockconfig

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
)

// The example of AWS's "mock configuration file" page, as it stands there.
const awsExample = `{
  "StateMachines": {
    "LambdaSQSIntegration": {
      "TestCases": {
        "HappyPath": {"LambdaState": "MockedLambdaSuccess", "SQSState": "MockedSQSSuccess"},
        "RetryPath": {"LambdaState": "MockedLambdaRetry", "SQSState": "MockedSQSSuccess"},
        "HybridPath": {"LambdaState": "MockedLambdaSuccess"}
      }
    }
  },
  "MockedResponses": {
    "MockedLambdaSuccess": {"0": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}},
    "LambdaMockedResourceNotReady": {"0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}}},
    "MockedSQSSuccess": {"0": {"Return": {"MD5OfMessageBody": "3bcb6e8e-7h85-4375-b0bc-1a59812c6e51", "MessageId": "3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}}},
    "MockedLambdaRetry": {
      "0": {"Throw": {"Error": "Lambda.ResourceNotReadyException", "Cause": "Lambda resource is not ready."}},
      "1-2": {"Throw": {"Error": "Lambda.TimeoutException", "Cause": "Lambda timed out."}},
      "3": {"Return": {"StatusCode": 200, "Payload": {"StatusCode": 200, "body": "Hello from Lambda!"}}}
    }
  }
}`

func TestAnswer(t *testing.T) {
	c, err := Parse([]byte(awsExample), "MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	const ok = `{"StatusCode":200,"Payload":{"StatusCode":200,"body":"Hello from Lambda!"}}`
	tests := []struct {
		testCase, state string
		call            int
		wantMocked      bool
		wantResult      string
		wantErr         *failure.Error
	}{
		{"HappyPath", "LambdaState", 0, true, ok, nil},
		{"HappyPath", "SQSState", 0, true, `{"MD5OfMessageBody":"3bcb6e8e-7h85-4375-b0bc-1a59812c6e51","MessageId":"3bcb6e8e-8b51-4375-b0bc-1a59812c6e51"}`, nil},
		{"HappyPath", "LambdaState", 1, true, "", &failure.Error{Name: failure.Runtime,
			Cause: `mocked response "MockedLambdaSuccess" of test case "HappyPath" has no answer for call 1 of state "LambdaState" (calls count from 0, retries included)`}},
		{"RetryPath", "LambdaState", 0, true, "", &failure.Error{Name: "Lambda.ResourceNotReadyException", Cause: "Lambda resource is not ready."}},
		{"RetryPath", "LambdaState", 1, true, "", &failure.Error{Name: "Lambda.TimeoutException", Cause: "Lambda timed out."}},
		{"RetryPath", "LambdaState", 2, true, "", &failure.Error{Name: "Lambda.TimeoutException", Cause: "Lambda timed out."}},
		{"RetryPath", "LambdaState", 3, true, ok, nil},
		{"HybridPath", "LambdaState", 0, true, ok, nil},
		{"HybridPath", "SQSState", 0, false, "", nil}, // runs for real
	}
	for _, tt := range tests {
		tc, err := c.TestCase("LambdaSQSIntegration", tt.testCase)
		if err != nil {
			t.Fatal(err)
		}
		res, err, mocked := tc.Answer(tt.state, tt.call)
		if mocked != tt.wantMocked || string(res) != tt.wantResult {
			t.Errorf("%s %s call %d: result %s mocked %v; want %s %v", tt.testCase, tt.state, tt.call, res, mocked, tt.wantResult, tt.wantMocked)
		}
		var fe *failure.Error
		if tt.wantErr == nil && err != nil || tt.wantErr != nil && (!errors.As(err, &fe) || *fe != *tt.wantErr) {
			t.Errorf("%s %s call %d: error %#v, want %#v", tt.testCase, tt.state, tt.call, err, tt.wantErr)
		}
	}
}

// TestAnswerGaps: a gap is allowed in the file, but a call that no range
// covers (in the gap, before the first range or after the last) has no
// answer and fails with States.Runtime, as AWS asks for an answer to every
// call.
func TestAnswerGaps(t *testing.T) {
	c, err := Parse([]byte(`{"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
		"MockedResponses": {"R": {"4": {"Return": "four"}, "1-2": {"Return": "one"}}}}`), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	tc, _ := c.TestCase("M", "T")
	for call, want := range map[int]string{1: `"one"`, 2: `"one"`, 4: `"four"`} {
		if res, err, _ := tc.Answer("S", call); string(res) != want || err != nil {
			t.Errorf("call %d: %s %v, want %s", call, res, err, want)
		}
	}
	for _, call := range []int{0, 3, 5} {
		_, err, mocked := tc.Answer("S", call)
		var fe *failure.Error
		want := fmt.Sprintf(`mocked response "R" of test case "T" has no answer for call %d of state "S" (calls count from 0, retries included)`, call)
		if !mocked || !errors.As(err, &fe) || fe.Name != failure.Runtime || fe.Cause != want {
			t.Errorf("call %d: %v (mocked %v), want States.Runtime: %s", call, err, mocked, want)
		}
	}
}

func TestTestCaseUnknown(t *testing.T) {
	c, err := Parse([]byte(awsExample), "MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct{ machine, testCase, want string }{
		{"Other", "HappyPath", `the mock configuration has no state machine "Other" (it has "LambdaSQSIntegration")`},
		{"LambdaSQSIntegration", "SadPath", `state machine "LambdaSQSIntegration" has no test case "SadPath" (it has "HappyPath", "HybridPath", "RetryPath")`},
	}
	for _, tt := range tests {
		if _, err := c.TestCase(tt.machine, tt.testCase); err == nil || err.Error() != tt.want {
			t.Errorf("TestCase(%q, %q) = %v, want %s", tt.machine, tt.testCase, err, tt.want)
		}
	}
}

func TestParseProblems(t *testing.T) {
	// Each input is small; a test case T of machine M mocks state S with
	// response R unless the case is about that.
	const head = `{"StateMachines": {"M": {"TestCases": {"T": {"S": "R"}}}},
"MockedResponses": {"R": `
	tests := []struct {
		name, in, want string
	}{
		{"both Return and Throw", head + `{"0": {"Return": 1, "Throw": {"Error": "E"}}}}}`,
			`m.json:2:32: /MockedResponses/R/0: an answer has Return or Throw, not both`},
		{"neither", head + `{"0": {}}}}`,
			`m.json:2:32: /MockedResponses/R/0: an answer needs Return or Throw`},
		{"unknown answer field", head + `{"0": {"Returns": 1}}}}`,
			`m.json:2:33: /MockedResponses/R/0/Returns: unknown field "Returns": an answer has Return or Throw (and, an sfn extension, Delay)`},
		{"Delay not a number", head + `{"0": {"Return": 1, "Delay": "5s"}}}}`,
			`m.json:2:55: /MockedResponses/R/0/Delay: Delay must be a number of seconds`},
		{"Delay negative", head + `{"0": {"Return": 1, "Delay": -1}}}}`,
			`m.json:2:55: /MockedResponses/R/0/Delay: Delay must be from 0 to 86400 seconds`},
		{"Delay too long", head + `{"0": {"Throw": {"Error": "E"}, "Delay": 86401}}}}`,
			`m.json:2:67: /MockedResponses/R/0/Delay: Delay must be from 0 to 86400 seconds`},
		{"overlapping ranges", head + `{"0-2": {"Return": 1}, "2": {"Return": 2}}}}`,
			`m.json:2:49: /MockedResponses/R/2: calls "2" overlap calls "0-2" of the same mocked response`},
		{"malformed range", head + `{"1..2": {"Return": 1}}}}`,
			`m.json:2:27: /MockedResponses/R/1..2: "1..2" is not a call number or range: use "0", "1" or "1-3" (calls count from 0)`},
		{"negative call", head + `{"-1": {"Return": 1}}}}`,
			`m.json:2:27: /MockedResponses/R/-1: "-1" is not a call number or range: use "0", "1" or "1-3" (calls count from 0)`},
		{"backwards range", head + `{"3-1": {"Return": 1}}}}`,
			`m.json:2:27: /MockedResponses/R/3-1: range "3-1" ends before it starts`},
		{"no answers", head + `{}}}`,
			`m.json:2:26: /MockedResponses/R: mocked response "R" answers no call`},
		{"Throw without Error", head + `{"0": {"Throw": {"Cause": "c"}}}}}`,
			`m.json:2:42: /MockedResponses/R/0/Throw: Throw needs an Error name`},
		{"Error not a string", head + `{"0": {"Throw": {"Error": 7}}}}}`,
			`m.json:2:52: /MockedResponses/R/0/Throw/Error: Error must be a string`},
		{"unknown mocked response", `{"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}},
"MockedResponses": {"R": {"0": {"Return": 1}}}}`,
			`m.json:1:51: /StateMachines/M/TestCases/T/S: unknown mocked response "Nope" (MockedResponses has "R")`},
		{"empty test case", `{"StateMachines": {"M": {"TestCases": {"T": {}}}}, "MockedResponses": {}}`,
			`m.json:1:45: /StateMachines/M/TestCases/T: test case "T" mocks no state`},
		{"no TestCases", `{"StateMachines": {"M": {}}}`,
			`m.json:1:25: /StateMachines/M: state machine "M" has no TestCases`},
		{"unknown top-level field", `{"StateMachine": {}}`,
			`m.json:1:2: /StateMachine: unknown field "StateMachine": a mock configuration has StateMachines and MockedResponses`},
		{"not an object", `[1]`,
			`m.json:1:1: (root): a mock configuration must be an object`},
		{"syntax error", `{"StateMachines": {`,
			`m.json:1:20: (root): JSON syntax error: expected a key in double quotes, found end of text`},
		{"StateMachines null", `{"StateMachines": null}`,
			`m.json:1:19: /StateMachines: StateMachines must be an object`},
		{"several problems, in file order", `{"StateMachines": {"M": {"TestCases": {"T": {"S": "Nope"}}}},
"MockedResponses": {"R": {"0": {}}}}`,
			"m.json:1:51: /StateMachines/M/TestCases/T/S: unknown mocked response \"Nope\" (MockedResponses has \"R\")\n" +
				"m.json:2:32: /MockedResponses/R/0: an answer needs Return or Throw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := Parse([]byte(tt.in), "m.json")
			if err == nil {
				t.Fatalf("parsed %+v, want an error", c)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Errorf("error %T, want Problems", err)
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n%s\nwant:\n%s", err, tt.want)
			}
		})
	}
}

// TestExampleFile checks that the example file of the docs and the CLI
// tests parses and mocks what it says.
func TestExampleFile(t *testing.T) {
	data, err := os.ReadFile("../cmd/sfn/testdata/mockconfig/MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	c, err := Parse(data, "MockConfigFile.json")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(c.StateMachines(), ","); got != "LambdaSQSIntegration,order-retry" {
		t.Errorf("state machines %s", got)
	}
	tc, err := c.TestCase("LambdaSQSIntegration", "HybridPath")
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(tc.States(), ","); got != "LambdaState" {
		t.Errorf("HybridPath mocks %s, want LambdaState", got)
	}
	res, _, _ := tc.Answer("LambdaState", 0)
	if !json.Valid(res) {
		t.Errorf("result %s is not JSON", res)
	}
}

func TestMockNamesResponseAndDelay(t *testing.T) {
	c, err := Parse([]byte(`{"StateMachines": {"M": {"TestCases": {"T": {"S": "Slow"}}}},
		"MockedResponses": {"Slow": {"0": {"Return": {"ok": true}, "Delay": 2.5}, "1": {"Throw": {"Error": "E", "Cause": "c"}, "Delay": 0.001}, "2": {"Return": 3}}}}`), "m.json")
	if err != nil {
		t.Fatal(err)
	}
	tc, err := c.TestCase("M", "T")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		call   int
		result string
		errN   string
		delay  time.Duration
	}{
		{0, `{"ok":true}`, "", 2500 * time.Millisecond},
		{1, "", "E", time.Millisecond},
		{2, "3", "", 0},
		{3, "", failure.Runtime, 0}, // no answer: the call fails, at once
	}
	for _, tt := range tests {
		m, ok := tc.Mock("S", tt.call)
		if !ok || m.Response != "Slow" {
			t.Fatalf("call %d: Mock = %+v, %v; want the response Slow", tt.call, m, ok)
		}
		if string(m.Result) != tt.result || m.Delay != tt.delay {
			t.Errorf("call %d: result %s after %v, want %s after %v", tt.call, m.Result, m.Delay, tt.result, tt.delay)
		}
		if got := ""; m.Err != nil {
			got = m.Err.Name
			if got != tt.errN {
				t.Errorf("call %d: error %q, want %q", tt.call, got, tt.errN)
			}
		} else if tt.errN != "" {
			t.Errorf("call %d: no error, want %q", tt.call, tt.errN)
		}
	}
	if _, ok := tc.Mock("Other", 0); ok {
		t.Errorf("a state the test case does not name is mocked")
	}
}
