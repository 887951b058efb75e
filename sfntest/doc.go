// Package sfntest runs a workflow in a Go test: one execution of a
// definition, on sfn's engine and its in-memory store (no Redis), with
// mocked task answers and a fast clock, and assertions on how it went.
//
//	func TestCheckoutHappyPath(t *testing.T) {
//		r := sfntest.Run(t, "checkout.yaml", `{"orderId": "o-1"}`,
//			sfntest.MockConfig("testdata/mocks.json", "HappyPath"),
//			sfntest.Return("SendReceipt", map[string]any{"sent": true}))
//		r.AssertSucceeded()
//		r.AssertPath("Validate", "Charge", "SendReceipt", "Done")
//		if n := len(r.Calls("Charge")); n != 1 {
//			t.Errorf("Charge called %d times, want 1", n)
//		}
//	}
//
// Task answers come from, in this order:
//   - Go mocks: Return, Throw, Sequence (one answer per call) and Func (a
//     function of the call);
//   - a test case of an AWS Step Functions Local mock configuration file
//     (MockConfig), the same file `sfn run --mock-config` reads;
//   - for a state mocked by neither: the in-process handler registered with
//     Handler for "handler:NAME" resources; the real HTTP call of an
//     http:invoke task (an httptest server works). Anything else (an
//     activity, a callback with a task token, a child execution, a handler
//     nobody registered) cannot run in a test: its call fails the execution
//     with States.TaskFailed and a message naming the state, and fails the
//     test.
//
// Every attempt of a state is a call and has a number, from 0: a retried
// attempt is the next call, as on AWS, so a retry consumes an answer of a
// Sequence or of a mocked response's call ranges. A mocked callback
// (.waitForTaskToken) answers at once; an answer given After a delay
// answers that much later on the engine's clock.
//
// Time is fast: Wait states, retry back-off, task timeouts and delayed
// answers take no real time; the clock jumps to the execution's next due
// time whenever no task call is under way. Run gives up after a minute of
// real time (Timeout changes it).
//
// Runs are deterministic where the engine allows: States.UUID() and
// $uuid() give 00000000-0000-4000-8000-000000000001, …002, and so on in
// the order they are evaluated, and random numbers (States.MathRandom,
// retry jitter) come from a fixed seed. Times ($$.Execution.StartTime,
// history timestamps) are not fixed.
package sfntest
