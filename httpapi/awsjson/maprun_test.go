package awsjson_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

const prefixARN = "arn:aws:states:us-east-1:123456789012:"

// mapRunWorkDef is a distributed Map whose children each wait for a
// worker of activity mrwork, one at a time at first.
const mapRunWorkDef = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"L","MaxConcurrency":1,
 "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P",
  "States":{"P":{"Type":"Task","Resource":"arn:aws:states:us-east-1:123456789012:activity:mrwork","End":true}}},"End":true}}}`

// twoMapsDef runs two distributed Maps, the second without a Label.
const twoMapsDef = `{"StartAt":"A","States":{
 "A":{"Type":"Map","Label":"First","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}},"Next":"B"},
 "B":{"Type":"Map","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},"StartAt":"Q","States":{"Q":{"Type":"Pass","End":true}}},"End":true}}}`

// failingMapDef is a distributed Map whose every child fails.
const failingMapDef = `{"StartAt":"M","States":{"M":{"Type":"Map","Label":"F","ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
 "StartAt":"X","States":{"X":{"Type":"Fail","Error":"Item.Bad","Cause":"no"}}},"End":true}}}`

// mapRunStores runs f on the memory store and on Redis.
func mapRunStores(t *testing.T, f func(t *testing.T, e *sdkEnv)) {
	t.Run("memory", func(t *testing.T) { f(t, startSDK(t, memoryStore(t))) })
	t.Run("redis", func(t *testing.T) {
		if testing.Short() {
			t.Skip("starts redis-server")
		}
		f(t, startSDK(t, redisStore(t)))
	})
}

// mapRunsOf is ListMapRuns until it lists want runs: a Map Run's record
// is written in the background after the step that starts it, so it may
// lag the run's first children.
func mapRunsOf(t *testing.T, e *sdkEnv, executionArn string, want int) []types.MapRunListItem {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := e.client.ListMapRuns(context.Background(), &sfn.ListMapRunsInput{ExecutionArn: aws.String(executionArn)})
		if err != nil {
			t.Fatalf("ListMapRuns: %v", err)
		}
		if len(out.MapRuns) >= want || time.Now().After(deadline) {
			if len(out.MapRuns) != want {
				t.Fatalf("ListMapRuns of %s: %d runs, want %d", executionArn, len(out.MapRuns), want)
			}
			return out.MapRuns
		}
		time.Sleep(10 * time.Millisecond) // the record's write has no notice to wait for
	}
}

// describeEnded is DescribeMapRun once the run's end is recorded: the
// record of a run's end is written in the background after the step that
// ends it, so it may lag the parent's end.
func describeEnded(t *testing.T, e *sdkEnv, runArn string) *sfn.DescribeMapRunOutput {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		out, err := e.client.DescribeMapRun(context.Background(), &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)})
		if err != nil {
			t.Fatalf("DescribeMapRun: %v", err)
		}
		if out.Status != types.MapRunStatusRunning || time.Now().After(deadline) {
			return out
		}
		time.Sleep(10 * time.Millisecond) // the record's write has no notice to wait for
	}
}

func TestSDKMapRuns(t *testing.T) { mapRunStores(t, sdkMapRuns) }

func sdkMapRuns(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client
	sm := e.createMachine(t, "dm", mapRunWorkDef)
	activity := prefixARN + "activity:mrwork"
	parent := e.start(t, sm, "p1", "[1,2,3]")
	tokens := []string{aws.ToString(pollTask(t, c, activity).TaskToken)}

	runs := mapRunsOf(t, e, parent, 1)
	runArn := aws.ToString(runs[0].MapRunArn)
	if !strings.HasPrefix(runArn, prefixARN+"mapRun:dm/L:") || aws.ToString(runs[0].ExecutionArn) != parent ||
		aws.ToString(runs[0].StateMachineArn) != prefixARN+"stateMachine:dm/L" || runs[0].StartDate == nil || runs[0].StopDate != nil {
		t.Fatalf("ListMapRuns item %+v", runs[0])
	}

	describe := func(t *testing.T) *sfn.DescribeMapRunOutput {
		t.Helper()
		out, err := c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(runArn)})
		if err != nil {
			t.Fatalf("DescribeMapRun: %v", err)
		}
		return out
	}
	zero := aws.Int64(0)
	ignore := cmp.Options{cmpopts.IgnoreUnexported(sfn.DescribeMapRunOutput{}, types.MapRunExecutionCounts{}, types.MapRunItemCounts{}),
		cmpopts.IgnoreFields(sfn.DescribeMapRunOutput{}, "ResultMetadata")}
	d := describe(t)
	want := &sfn.DescribeMapRunOutput{MapRunArn: aws.String(runArn), ExecutionArn: aws.String(parent), Status: types.MapRunStatusRunning,
		MaxConcurrency: 1, StartDate: d.StartDate, RedriveCount: aws.Int32(0),
		ExecutionCounts: &types.MapRunExecutionCounts{Running: 1, Pending: 2, Total: 3, FailuresNotRedrivable: zero, PendingRedrive: zero},
		ItemCounts:      &types.MapRunItemCounts{Running: 1, Pending: 2, Total: 3, FailuresNotRedrivable: zero, PendingRedrive: zero}}
	if diff := cmp.Diff(want, d, ignore); diff != "" || d.StartDate == nil {
		t.Fatalf("DescribeMapRun (-want +got):\n%s", diff)
	}

	// Its children: ListExecutions by mapRunArn, and each one's own ARN.
	kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn)})
	if err != nil {
		t.Fatal(err)
	}
	if len(kids.Executions) != 1 {
		t.Fatalf("ListExecutions by mapRunArn: %+v", kids.Executions)
	}
	kid := kids.Executions[0]
	if !strings.HasPrefix(aws.ToString(kid.ExecutionArn), prefixARN+"execution:dm/L:") || aws.ToString(kid.MapRunArn) != runArn ||
		aws.ToString(kid.StateMachineArn) != prefixARN+"stateMachine:dm/L" || kid.Status != types.ExecutionStatusRunning {
		t.Fatalf("child %+v", kid)
	}
	if dk := e.describe(t, aws.ToString(kid.ExecutionArn)); aws.ToString(dk.MapRunArn) != runArn || aws.ToString(dk.StateMachineArn) != prefixARN+"stateMachine:dm/L" {
		t.Errorf("DescribeExecution of the child: mapRunArn %q, stateMachineArn %q", aws.ToString(dk.MapRunArn), aws.ToString(dk.StateMachineArn))
	}
	kh, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: kid.ExecutionArn})
	if err != nil || len(kh.Events) == 0 || kh.Events[0].Type != types.HistoryEventTypeExecutionStarted ||
		aws.ToString(kh.Events[0].ExecutionStartedEventDetails.RoleArn) != testRole {
		t.Fatalf("GetExecutionHistory of the child: %v %+v", err, kh)
	}
	// Its state machine is the Map's item processor, named <sm>/<label>.
	dm, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: kid.ExecutionArn})
	if err != nil {
		t.Fatalf("DescribeStateMachineForExecution of the child: %v", err)
	}
	if aws.ToString(dm.StateMachineArn) != prefixARN+"stateMachine:dm/L" || aws.ToString(dm.Name) != "dm/L" || aws.ToString(dm.Label) != "L" ||
		aws.ToString(dm.MapRunArn) != runArn || !strings.HasPrefix(aws.ToString(dm.Definition), `{"ProcessorConfig":{"Mode":"DISTRIBUTED"`) ||
		!strings.Contains(aws.ToString(dm.Definition), `"StartAt":"P"`) || aws.ToString(dm.RoleArn) != testRole {
		t.Errorf("DescribeStateMachineForExecution of the child: %s %s %s %s %s %s", aws.ToString(dm.StateMachineArn), aws.ToString(dm.Name),
			aws.ToString(dm.Label), aws.ToString(dm.MapRunArn), aws.ToString(dm.Definition), aws.ToString(dm.RoleArn))
	}
	if dp := e.describe(t, parent); dp.MapRunArn != nil {
		t.Errorf("the parent has mapRunArn %q", aws.ToString(dp.MapRunArn))
	}
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StateMachineArn: aws.String(sm)})
	wantCode(t, err, "ValidationException")

	// UpdateMapRun: AWS's constraints first, then the run.
	otherLabel := strings.Replace(runArn, ":mapRun:dm/L:", ":mapRun:dm/Other:", 1)
	for _, tc := range []struct {
		name string
		in   sfn.UpdateMapRunInput
		code string
		msg  string
	}{
		{"negative concurrency", sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(-1)}, "ValidationException",
			"1 validation error detected: Value '-1' at 'maxConcurrency' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"percentage over 100", sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), ToleratedFailurePercentage: aws.Float32(100.5)}, "ValidationException",
			"1 validation error detected: Value '100.5' at 'toleratedFailurePercentage' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"two problems", sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), ToleratedFailureCount: aws.Int64(-1), MaxConcurrency: aws.Int32(-2)}, "ValidationException",
			"2 validation errors detected: Value '-2' at 'maxConcurrency'"},
		{"not a Map Run ARN", sfn.UpdateMapRunInput{MapRunArn: aws.String(parent), MaxConcurrency: aws.Int32(2)}, "InvalidArn", "Invalid Arn"},
		{"unknown run", sfn.UpdateMapRunInput{MapRunArn: aws.String(prefixARN + "mapRun:dm/L:00000000-0000-0000-0000-000000000000"), MaxConcurrency: aws.Int32(2)}, "ResourceNotFound", "Resource not found"},
		{"another label", sfn.UpdateMapRunInput{MapRunArn: aws.String(otherLabel), MaxConcurrency: aws.Int32(2)}, "ResourceNotFound", "Resource not found"},
		{"another region", sfn.UpdateMapRunInput{MapRunArn: aws.String(strings.Replace(runArn, "us-east-1", "eu-west-1", 1)), MaxConcurrency: aws.Int32(2)}, "ResourceNotFound", "Resource not found"},
	} {
		_, err := c.UpdateMapRun(ctx, &tc.in)
		if t.Run(tc.name, func(t *testing.T) { wantRefused(t, err, tc.code, tc.msg) }) {
			continue
		}
	}
	if _, err := c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(3),
		ToleratedFailureCount: aws.Int64(1), ToleratedFailurePercentage: aws.Float32(50)}); err != nil {
		t.Fatalf("UpdateMapRun: %v", err)
	}
	d = describe(t)
	if d.MaxConcurrency != 3 || d.ToleratedFailureCount != 1 || d.ToleratedFailurePercentage != 50 ||
		d.ExecutionCounts.Running != 3 || d.ExecutionCounts.Pending != 0 {
		t.Fatalf("after UpdateMapRun: concurrency %d, tolerated %d and %v%%, counts %+v", d.MaxConcurrency, d.ToleratedFailureCount,
			d.ToleratedFailurePercentage, d.ExecutionCounts)
	}
	tokens = append(tokens, aws.ToString(pollTask(t, c, activity).TaskToken), aws.ToString(pollTask(t, c, activity).TaskToken))

	// Pages of children, in item order.
	page, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), MaxResults: 2})
	if err != nil || len(page.Executions) != 2 || page.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, page)
	}
	rest, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), MaxResults: 2, NextToken: page.NextToken})
	if err != nil || len(rest.Executions) != 1 || rest.NextToken != nil {
		t.Fatalf("second page: %v %+v", err, rest)
	}
	if aws.ToString(page.Executions[0].ExecutionArn) != aws.ToString(kid.ExecutionArn) {
		t.Errorf("first child %s, want %s", aws.ToString(page.Executions[0].ExecutionArn), aws.ToString(kid.ExecutionArn))
	}
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{StateMachineArn: aws.String(sm), NextToken: page.NextToken})
	wantCode(t, err, "InvalidToken")

	// A stopped child is one failure, tolerated: the run succeeds.
	stopped := aws.ToString(page.Executions[1].ExecutionArn)
	if _, err := c.StopExecution(ctx, &sfn.StopExecutionInput{ExecutionArn: aws.String(stopped)}); err != nil {
		t.Fatalf("StopExecution of a child: %v", err)
	}
	for _, tok := range tokens {
		_, _ = c.SendTaskSuccess(ctx, &sfn.SendTaskSuccessInput{TaskToken: aws.String(tok), Output: aws.String(`"done"`)}) // the stopped child's fails
	}
	if out := e.finish(t, parent); out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("parent %s %s %s", out.Status, aws.ToString(out.Error), aws.ToString(out.Cause))
	}
	d = describeEnded(t, e, runArn)
	wantEnd := &types.MapRunExecutionCounts{Succeeded: 2, Aborted: 1, Total: 3, ResultsWritten: 2, FailuresNotRedrivable: zero, PendingRedrive: zero}
	if diff := cmp.Diff(wantEnd, d.ExecutionCounts, ignore); diff != "" || d.Status != types.MapRunStatusSucceeded || d.StopDate == nil {
		t.Fatalf("ended run: %s, stop %v, counts (-want +got):\n%s", d.Status, d.StopDate, diff)
	}
	_, err = c.UpdateMapRun(ctx, &sfn.UpdateMapRunInput{MapRunArn: aws.String(runArn), MaxConcurrency: aws.Int32(4)})
	wantRefused(t, err, "ValidationException", "Map Run '"+runArn+"' is not RUNNING")
	aborted, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(runArn), StatusFilter: types.ExecutionStatusAborted})
	if err != nil || len(aborted.Executions) != 1 || aws.ToString(aborted.Executions[0].ExecutionArn) != stopped {
		t.Fatalf("ABORTED children: %v %+v", err, aborted)
	}

	// The parent's history: the Map Run's events with AWS's details.
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(parent)})
	if err != nil {
		t.Fatal(err)
	}
	var kinds []types.HistoryEventType
	for _, ev := range h.Events {
		switch ev.Type {
		case types.HistoryEventTypeMapRunStarted:
			if ev.MapRunStartedEventDetails == nil || aws.ToString(ev.MapRunStartedEventDetails.MapRunArn) != runArn {
				t.Errorf("MapRunStarted details %+v", ev.MapRunStartedEventDetails)
			}
		case types.HistoryEventTypeMapRunSucceeded:
		default:
			continue
		}
		kinds = append(kinds, ev.Type)
	}
	if diff := cmp.Diff([]types.HistoryEventType{"MapRunStarted", "MapRunSucceeded"}, kinds); diff != "" {
		t.Errorf("Map Run events (-want +got):\n%s", diff)
	}

	// Refusals of DescribeMapRun and ListMapRuns.
	_, err = c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(otherLabel)})
	wantCode(t, err, "ResourceNotFound")
	_, err = c.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: aws.String(sm)})
	wantCode(t, err, "InvalidArn")
	_, err = c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(prefixARN + "execution:dm:nosuch")})
	wantCode(t, err, "ExecutionDoesNotExist")
	_, err = c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(otherLabel)})
	wantCode(t, err, "ResourceNotFound")
}

func TestSDKMapRunPagesAndFailures(t *testing.T) { mapRunStores(t, sdkMapRunPagesAndFailures) }

func sdkMapRunPagesAndFailures(t *testing.T, e *sdkEnv) {
	ctx := context.Background()
	c := e.client

	// Two runs, listed in the order they started, a page at a time; the
	// second, without a Label, is labelled with its own id.
	two := e.start(t, e.createMachine(t, "two", twoMapsDef), "t1", `[1,2]`)
	if out := e.finish(t, two); out.Status != types.ExecutionStatusSucceeded {
		t.Fatalf("two Maps: %s %s", out.Status, aws.ToString(out.Cause))
	}
	all := mapRunsOf(t, e, two, 2)
	first, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(two), MaxResults: 1})
	if err != nil || len(first.MapRuns) != 1 || first.NextToken == nil {
		t.Fatalf("first page: %v %+v", err, first)
	}
	second, err := c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(two), MaxResults: 1, NextToken: first.NextToken})
	if err != nil || len(second.MapRuns) != 1 || second.NextToken != nil {
		t.Fatalf("second page: %v %+v", err, second)
	}
	a, b := aws.ToString(first.MapRuns[0].MapRunArn), aws.ToString(second.MapRuns[0].MapRunArn)
	if a != aws.ToString(all[0].MapRunArn) || !strings.HasPrefix(a, prefixARN+"mapRun:two/First:") {
		t.Errorf("first run %s", a)
	}
	if id := b[strings.LastIndex(b, ":")+1:]; b != prefixARN+"mapRun:two/"+id+":"+id {
		t.Errorf("second run %s, want mapRun:two/<id>:<id>", b)
	}
	// A child of the run without a Label runs the unlabelled Map's processor.
	kids, err := c.ListExecutions(ctx, &sfn.ListExecutionsInput{MapRunArn: aws.String(b)})
	if err != nil || len(kids.Executions) != 2 {
		t.Fatalf("children of %s: %v %+v", b, err, kids)
	}
	dm, err := c.DescribeStateMachineForExecution(ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: kids.Executions[0].ExecutionArn})
	if err != nil || !strings.Contains(aws.ToString(dm.Definition), `"StartAt":"Q"`) {
		t.Fatalf("DescribeStateMachineForExecution of an unlabelled run's child: %v %+v", err, dm)
	}
	_, err = c.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(two), NextToken: aws.String("bogus")})
	wantCode(t, err, "InvalidToken")

	// A run whose children fail: MapRunFailed with AWS's details.
	bad := e.start(t, e.createMachine(t, "bad", failingMapDef), "b1", `[1]`)
	if out := e.finish(t, bad); out.Status != types.ExecutionStatusFailed || aws.ToString(out.Error) != "States.ExceedToleratedFailureThreshold" {
		t.Fatalf("failing Map: %s %s", out.Status, aws.ToString(out.Error))
	}
	h, err := c.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(bad)})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, ev := range h.Events {
		if ev.Type == types.HistoryEventTypeMapRunFailed {
			found = true
			if d := ev.MapRunFailedEventDetails; d == nil || aws.ToString(d.Error) != "States.ExceedToleratedFailureThreshold" || aws.ToString(d.Cause) == "" {
				t.Errorf("MapRunFailed details %+v", d)
			}
		}
	}
	if !found {
		t.Errorf("no MapRunFailed in %d events", len(h.Events))
	}
	run := mapRunsOf(t, e, bad, 1)[0]
	d := describeEnded(t, e, aws.ToString(run.MapRunArn))
	if d.Status != types.MapRunStatusFailed || d.ExecutionCounts.Failed != 1 || d.ItemCounts.Failed != 1 || d.ExecutionCounts.ResultsWritten != 0 {
		t.Fatalf("failed run: %+v", d)
	}
}

// A startExecution task's TaskSubmitted is AWS's taskSubmittedEventDetails:
// resource type "states", the resource its API and pattern, the start's
// answer as output.
func TestSDKStartExecutionTaskEvents(t *testing.T) {
	mapRunStores(t, func(t *testing.T, e *sdkEnv) {
		ctx := context.Background()
		child := e.createMachine(t, "kid", sdkDefPass)
		parent := e.createMachine(t, "mom", `{"StartAt":"S","States":{"S":{"Type":"Task","Resource":"arn:aws:states:::states:startExecution.sync",
		 "Parameters":{"StateMachineArn":"`+child+`","Input":{"x":1}},"End":true}}}`)
		run := e.start(t, parent, "m1", "{}")
		if out := e.finish(t, run); out.Status != types.ExecutionStatusSucceeded {
			t.Fatalf("parent %s %s", out.Status, aws.ToString(out.Cause))
		}
		h, err := e.client.GetExecutionHistory(ctx, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(run)})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[types.HistoryEventType]bool{}
		for _, ev := range h.Events {
			seen[ev.Type] = true
			switch ev.Type {
			case types.HistoryEventTypeTaskSubmitted:
				d := ev.TaskSubmittedEventDetails
				if d == nil || aws.ToString(d.ResourceType) != "states" || aws.ToString(d.Resource) != "startExecution.sync" ||
					!strings.Contains(aws.ToString(d.Output), `"ExecutionArn":"`+prefixARN+"execution:kid:") || d.OutputDetails == nil {
					t.Errorf("TaskSubmitted details %+v", d)
				}
			case types.HistoryEventTypeTaskScheduled:
				if d := ev.TaskScheduledEventDetails; d == nil || aws.ToString(d.ResourceType) != "states" || aws.ToString(d.Resource) != "startExecution.sync" {
					t.Errorf("TaskScheduled details %+v", d)
				}
			case types.HistoryEventTypeTaskSucceeded:
				if d := ev.TaskSucceededEventDetails; d == nil || aws.ToString(d.ResourceType) != "states" || aws.ToString(d.Resource) != "startExecution.sync" {
					t.Errorf("TaskSucceeded details %+v", d)
				}
			}
		}
		for _, typ := range []types.HistoryEventType{"TaskScheduled", "TaskStarted", "TaskSubmitted", "TaskSucceeded"} {
			if !seen[typ] {
				t.Errorf("no %s event", typ)
			}
		}
	})
}

// A reader may describe and list Map Runs; updating one takes an
// operator, as stopping an execution does.
func TestMapRunRoles(t *testing.T) {
	creds := map[string]awsjson.Credential{
		adminKey: {Secret: adminSecret, Role: awsjson.RoleAdmin}, readerKey: {Secret: readerSec, Role: awsjson.RoleReader},
		"AKIDOPERATOR": {Secret: "operator secret", Role: awsjson.RoleOperator},
		"AKIDWORKER":   {Secret: "worker secret", Role: awsjson.RoleWorker},
	}
	f := newSMFixture(t, awsjson.Config{Credentials: creds})
	unknown := aws.String(prefixARN + "mapRun:dm/L:00000000-0000-0000-0000-000000000000")
	ops := map[string]func(*sfn.Client) error{
		"DescribeMapRun": func(c *sfn.Client) error {
			_, err := c.DescribeMapRun(f.ctx, &sfn.DescribeMapRunInput{MapRunArn: unknown})
			return err
		},
		"ListMapRuns": func(c *sfn.Client) error {
			_, err := c.ListMapRuns(f.ctx, &sfn.ListMapRunsInput{ExecutionArn: aws.String(prefixARN + "execution:dm:x")})
			return err
		},
		"UpdateMapRun": func(c *sfn.Client) error {
			_, err := c.UpdateMapRun(f.ctx, &sfn.UpdateMapRunInput{MapRunArn: unknown, MaxConcurrency: aws.Int32(2)})
			return err
		},
	}
	// Allowed calls get as far as the missing resource.
	allowed := map[string]string{"DescribeMapRun": "ResourceNotFound", "ListMapRuns": "ExecutionDoesNotExist", "UpdateMapRun": "ResourceNotFound"}
	for _, tc := range []struct {
		key, secret string
		may         []string
	}{
		{readerKey, readerSec, []string{"DescribeMapRun", "ListMapRuns"}},
		{"AKIDWORKER", "worker secret", nil},
		{"AKIDOPERATOR", "operator secret", []string{"DescribeMapRun", "ListMapRuns", "UpdateMapRun"}},
		{adminKey, adminSecret, []string{"DescribeMapRun", "ListMapRuns", "UpdateMapRun"}},
	} {
		c := client(f.url, tc.key, tc.secret, nil)
		for op, call := range ops {
			want := "AccessDeniedException"
			if slices.Contains(tc.may, op) {
				want = allowed[op]
			}
			if got := errorCode(t, call(c)); got != want {
				t.Errorf("%s as %s: %s, want %s", op, tc.key, got, want)
			}
		}
	}
}
