package awsjson_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"
)

// RedriveExecution's clientToken: a retry with the token of a redrive that
// was applied answers as the first did and redrives nothing more; another
// token redrives again (API Reference, RedriveExecution: "idempotent
// responses for the last 10 client tokens ... up to 15 minutes").
func TestRedriveClientToken(t *testing.T) {
	e := startSDK(t, memoryStore(t))
	ctx := context.Background()
	smArn := e.createMachine(t, "fails", `{"StartAt":"Boom","States":{"Boom":{"Type":"Fail","Error":"E","Cause":"c"}}}`)
	exArn := e.start(t, smArn, "f-1", `{}`)
	if d := e.finish(t, exArn); d.Status != types.ExecutionStatusFailed {
		t.Fatalf("status %s", d.Status)
	}
	redrive := func(token string) *sfn.RedriveExecutionOutput {
		t.Helper()
		out, err := e.client.RedriveExecution(ctx, &sfn.RedriveExecutionInput{ExecutionArn: aws.String(exArn), ClientToken: aws.String(token)})
		if err != nil {
			t.Fatalf("redrive with token %s: %v", token, err)
		}
		return out
	}
	first := redrive("token-one")
	e.finish(t, exArn) // it fails again at once: redrivable again
	again := redrive("token-one")
	if !again.RedriveDate.Equal(*first.RedriveDate) {
		t.Errorf("the retried redrive answered %s, the first %s", again.RedriveDate, first.RedriveDate)
	}
	if n := aws.ToInt32(e.finish(t, exArn).RedriveCount); n != 1 {
		t.Fatalf("redriveCount %d after a retried redrive, want 1 (the retry redrove again)", n)
	}
	redrive("token-two")
	if n := aws.ToInt32(e.finish(t, exArn).RedriveCount); n != 2 {
		t.Fatalf("redriveCount %d after a redrive with a new token, want 2", n)
	}
}
