package awsjson_test

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfn-project/sfn/dsl/arn"
)

// Terraform cannot be installed here, so these tests replay, with the same
// SDK (aws-sdk-go-v2, which the provider uses), the calls that
// hashicorp/terraform-provider-aws makes for an aws_sfn_state_machine and an
// aws_sfn_activity through their life: plan, create, refresh, update,
// destroy. Each step names the provider source it comes from:
//
//   - internal/service/sfn/state_machine.go: resourceStateMachineCreate,
//     resourceStateMachineRead, resourceStateMachineUpdate,
//     resourceStateMachineDelete, waitStateMachineDeleted and
//     stateMachineDefinitionValidate (the plan-time CustomizeDiff);
//   - internal/service/sfn/activity.go: resourceActivityCreate, Read,
//     Update (tags only) and Delete, findActivityByARN;
//   - internal/service/sfn/tags_gen.go: listTags (ListTagsForResource) and
//     updateTags (UntagResource of the removed keys, then TagResource of
//     the added or changed ones);
//   - internal/provider/sdkv2/tags_interceptor.go: transparent tagging, which
//     calls updateTags before an Update whose tags changed and listTags
//     after every Create, Read and Update (both resources are
//     @Tags(identifierAttribute="id"), and their Read sets no tags itself);
//   - internal/service/sfn/activity_test.go: testAccCheckActivityDestroy,
//     which reads the activity after destroy until ActivityDoesNotExist.
//
// The resource id Terraform keeps is the ARN CreateStateMachine or
// CreateActivity answered.

// tfDefinition1 and tfDefinition2 are what jsonencode() makes of a
// definition in HCL: compact JSON with its keys sorted.
const (
	tfDefinition1 = `{"Comment":"managed by terraform","StartAt":"Hello","States":{"Hello":{"End":true,"Result":"hi","Type":"Pass"}}}`
	tfDefinition2 = `{"Comment":"managed by terraform, v2","StartAt":"Hello","States":{"Hello":{"End":true,"Result":"hello","Type":"Pass"}}}`
)

// tfStateMachine is what the provider keeps in state after a Read.
type tfStateMachine struct {
	arn, name, definition, roleArn, status, revisionID, versionArn string
	typ                                                            types.StateMachineType
	creationDate                                                   string
	tags                                                           map[string]string
}

// TestTerraformStateMachine replays aws_sfn_state_machine with publish =
// true and tags: plan, create, refresh, update of the definition and the
// tags, destroy.
func TestTerraformStateMachine(t *testing.T) {
	ctx := context.Background()
	e := startSDK(t, memoryStore(t))
	c := e.client

	// plan — state_machine.go stateMachineDefinitionValidate: when the
	// definition changes, ValidateStateMachineDefinition with the
	// resource's type; any result but OK stops the plan with the
	// diagnostics.
	tfPlanValidate(t, c, tfDefinition1)

	// apply, create — state_machine.go resourceStateMachineCreate:
	// CreateStateMachine with definition, name, publish, roleArn, tags and
	// type (logging, tracing and encryption only when configured), retried
	// while it answers StateMachineDeleting or AccessDeniedException; the
	// id is the ARN answered. Then the Read below.
	created, err := c.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Definition: aws.String(tfDefinition1),
		Name:       aws.String("tf-machine"),
		Publish:    true,
		RoleArn:    aws.String(testRole),
		Tags:       []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}, {Key: aws.String("team"), Value: aws.String("core")}},
		Type:       types.StateMachineTypeStandard,
	})
	if err != nil {
		t.Fatalf("CreateStateMachine: %v", err)
	}
	id := aws.ToString(created.StateMachineArn)
	if id != arn.DefaultSpace.StateMachine("tf-machine") {
		t.Fatalf("id %q", id)
	}
	state := tfReadStateMachine(t, c, id)
	want := tfStateMachine{arn: id, name: "tf-machine", definition: tfDefinition1, roleArn: testRole, status: "ACTIVE",
		revisionID: state.revisionID, versionArn: arn.DefaultSpace.Version("tf-machine", 1), typ: types.StateMachineTypeStandard,
		creationDate: state.creationDate, tags: map[string]string{"env": "dev", "team": "core"}}
	if !reflect.DeepEqual(state, want) {
		t.Fatalf("state after create:\n%+v\nwant\n%+v", state, want)
	}
	if state.revisionID == "" || state.creationDate == "" {
		t.Fatalf("revision_id %q creation_date %q: Read sets both", state.revisionID, state.creationDate)
	}

	// plan again, nothing changed — the refresh is the same Read; an
	// unchanged answer is what makes the plan empty.
	if again := tfReadStateMachine(t, c, id); !reflect.DeepEqual(again, state) {
		t.Fatalf("refresh changed the state (a perpetual diff):\n%+v\nwas\n%+v", again, state)
	}

	// apply, update of the definition and the tags.
	tfPlanValidate(t, c, tfDefinition2)
	// tags_interceptor.go (Before Update) → tags_gen.go updateTags: the
	// removed keys, then the added or changed ones.
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(id), TagKeys: []string{"team"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(id), Tags: []types.Tag{
		{Key: aws.String("env"), Value: aws.String("prod")}, {Key: aws.String("owner"), Value: aws.String("ada")},
	}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	// state_machine.go resourceStateMachineUpdate: UpdateStateMachine with
	// definition, publish, roleArn (always both: "You must include at least
	// one of definition or roleArn") and versionDescription when publish is
	// set; then DescribeStateMachine until the definition is JSON-equal to
	// the new one (the provider's "eventual consistency" retry, a minute at
	// most), then the Read.
	updated, err := c.UpdateStateMachine(ctx, &sfn.UpdateStateMachineInput{
		Definition:         aws.String(tfDefinition2),
		Publish:            true,
		RoleArn:            aws.String(testRole),
		StateMachineArn:    aws.String(id),
		VersionDescription: aws.String(""),
	})
	if err != nil {
		t.Fatalf("UpdateStateMachine: %v", err)
	}
	if got := aws.ToString(updated.StateMachineVersionArn); got != arn.DefaultSpace.Version("tf-machine", 2) {
		t.Fatalf("UpdateStateMachine with publish answered version %q, want :2", got)
	}
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	if !jsonEqual(t, aws.ToString(d.Definition), tfDefinition2) {
		t.Fatalf("the provider would wait for ever: Describe still shows %s after the update", aws.ToString(d.Definition))
	}
	state = tfReadStateMachine(t, c, id)
	if state.definition != tfDefinition2 || state.versionArn != arn.DefaultSpace.Version("tf-machine", 2) ||
		state.revisionID == want.revisionID || state.revisionID != aws.ToString(updated.RevisionId) ||
		!reflect.DeepEqual(state.tags, map[string]string{"env": "prod", "owner": "ada"}) {
		t.Fatalf("state after update: %+v (revision before %q, update answered %q)", state, want.revisionID, aws.ToString(updated.RevisionId))
	}

	// destroy — state_machine.go resourceStateMachineDelete, then
	// waitStateMachineDeleted: DescribeStateMachine while its status is
	// ACTIVE or DELETING, until it answers StateMachineDoesNotExist (the
	// "not found" that ends the wait); any other error fails the destroy.
	if _, err := c.DeleteStateMachine(ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(id)}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	tfWaitGone(t, func() (string, error) {
		out, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(id)})
		if err != nil {
			return "", err
		}
		return string(out.Status), nil
	}, "StateMachineDoesNotExist", "ACTIVE", "DELETING")

	// A refresh of a state machine deleted outside Terraform:
	// resourceStateMachineRead drops it from state on
	// StateMachineDoesNotExist, and the next apply creates it again.
	_, err = c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(id)})
	wantCode(t, err, "StateMachineDoesNotExist")
}

// TestTerraformActivity replays aws_sfn_activity with tags: create, refresh,
// an update of its tags, destroy.
func TestTerraformActivity(t *testing.T) {
	ctx := context.Background()
	e := startSDK(t, memoryStore(t))
	c := e.client

	// activity.go resourceActivityCreate: CreateActivity with name and tags
	// (encryption only when configured); the id is the ARN answered.
	created, err := c.CreateActivity(ctx, &sfn.CreateActivityInput{
		Name: aws.String("tf-activity"),
		Tags: []types.Tag{{Key: aws.String("env"), Value: aws.String("dev")}},
	})
	if err != nil {
		t.Fatalf("CreateActivity: %v", err)
	}
	id := aws.ToString(created.ActivityArn)
	name, creationDate, tags := tfReadActivity(t, c, id)
	if name != "tf-activity" || creationDate == "" || !reflect.DeepEqual(tags, map[string]string{"env": "dev"}) {
		t.Fatalf("state after create: name %q creation_date %q tags %v", name, creationDate, tags)
	}

	// activity.go resourceActivityUpdate is "tags only": the interceptor's
	// updateTags, then the Read.
	if _, err := c.UntagResource(ctx, &sfn.UntagResourceInput{ResourceArn: aws.String(id), TagKeys: []string{"env"}}); err != nil {
		t.Fatalf("UntagResource: %v", err)
	}
	if _, err := c.TagResource(ctx, &sfn.TagResourceInput{ResourceArn: aws.String(id), Tags: []types.Tag{{Key: aws.String("stage"), Value: aws.String("beta")}}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	name2, creationDate2, tags := tfReadActivity(t, c, id)
	if name2 != name || creationDate2 != creationDate || !reflect.DeepEqual(tags, map[string]string{"stage": "beta"}) {
		t.Fatalf("state after the tag update: name %q creation_date %q tags %v", name2, creationDate2, tags)
	}

	// activity.go resourceActivityDelete: DeleteActivity; then
	// activity_test.go testAccCheckActivityDestroy reads it until
	// findActivityByARN reports ActivityDoesNotExist.
	if _, err := c.DeleteActivity(ctx, &sfn.DeleteActivityInput{ActivityArn: aws.String(id)}); err != nil {
		t.Fatalf("DeleteActivity: %v", err)
	}
	tfWaitGone(t, func() (string, error) {
		_, err := c.DescribeActivity(ctx, &sfn.DescribeActivityInput{ActivityArn: aws.String(id)})
		return "exists", err
	}, "ActivityDoesNotExist", "exists")
}

// tfPlanValidate is state_machine.go stateMachineDefinitionValidate.
func tfPlanValidate(t *testing.T, c *sfn.Client, definition string) {
	t.Helper()
	out, err := c.ValidateStateMachineDefinition(context.Background(), &sfn.ValidateStateMachineDefinitionInput{
		Definition: aws.String(definition), Type: types.StateMachineTypeStandard,
	})
	if err != nil {
		t.Fatalf("plan: ValidateStateMachineDefinition: %v", err)
	}
	if out.Result != types.ValidateStateMachineDefinitionResultCodeOk {
		t.Fatalf("plan: the definition is %s: %+v", out.Result, out.Diagnostics)
	}
}

// tfReadStateMachine is state_machine.go resourceStateMachineRead
// (DescribeStateMachine, then ListStateMachineVersions, whose first, newest,
// version is state_machine_version_arn) followed by the interceptor's
// ListTagsForResource.
func tfReadStateMachine(t *testing.T, c *sfn.Client, id string) tfStateMachine {
	t.Helper()
	ctx := context.Background()
	d, err := c.DescribeStateMachine(ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(id)})
	if err != nil {
		t.Fatalf("read: DescribeStateMachine: %v", err)
	}
	s := tfStateMachine{arn: aws.ToString(d.StateMachineArn), name: aws.ToString(d.Name), definition: aws.ToString(d.Definition),
		roleArn: aws.ToString(d.RoleArn), status: string(d.Status), revisionID: aws.ToString(d.RevisionId), typ: d.Type}
	if d.CreationDate != nil {
		s.creationDate = d.CreationDate.Format(time.RFC3339)
	}
	// The provider flattens these two when present; they must decode.
	if d.LoggingConfiguration == nil || d.TracingConfiguration == nil {
		t.Fatalf("read: loggingConfiguration %+v tracingConfiguration %+v: the provider keeps both (computed)", d.LoggingConfiguration, d.TracingConfiguration)
	}
	v, err := c.ListStateMachineVersions(ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(id)})
	if err != nil {
		t.Fatalf("read: ListStateMachineVersions: %v", err)
	}
	if len(v.StateMachineVersions) > 0 {
		s.versionArn = aws.ToString(v.StateMachineVersions[0].StateMachineVersionArn)
	}
	s.tags = tfListTags(t, c, id)
	return s
}

// tfReadActivity is activity.go resourceActivityRead (findActivityByARN: a
// DescribeActivity without creationDate is an "empty result" error) and
// the interceptor's ListTagsForResource.
func tfReadActivity(t *testing.T, c *sfn.Client, id string) (name, creationDate string, tags map[string]string) {
	t.Helper()
	d, err := c.DescribeActivity(context.Background(), &sfn.DescribeActivityInput{ActivityArn: aws.String(id)})
	if err != nil {
		t.Fatalf("read: DescribeActivity: %v", err)
	}
	if d.CreationDate == nil {
		t.Fatal("read: DescribeActivity answered no creationDate, which the provider takes for an empty result")
	}
	return aws.ToString(d.Name), d.CreationDate.Format(time.RFC3339), tfListTags(t, c, id)
}

// tfListTags is tags_gen.go listTags.
func tfListTags(t *testing.T, c *sfn.Client, id string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(context.Background(), &sfn.ListTagsForResourceInput{ResourceArn: aws.String(id)})
	if err != nil {
		t.Fatalf("read: ListTagsForResource: %v", err)
	}
	m := map[string]string{}
	for _, tag := range out.Tags {
		m[aws.ToString(tag.Key)] = aws.ToString(tag.Value)
	}
	return m
}

// tfWaitGone is the provider's wait for a deletion (retry.StateChangeConf):
// it reads while the status is one of pending, fails on any other status or
// error, and ends when the read answers goneCode. sfn deletes before it
// answers the delete, so the first read must already be gone.
func tfWaitGone(t *testing.T, read func() (string, error), goneCode string, pending ...string) {
	t.Helper()
	status, err := read()
	if err == nil {
		t.Fatalf("after delete: still there (status %q, which the provider waits on while it is one of %v); want %s", status, pending, goneCode)
	}
	wantCode(t, err, goneCode)
}

// jsonEqual is the provider's verify.JSONBytesEqual: equal as JSON values.
func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var va, vb any
	if err := json.Unmarshal([]byte(a), &va); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal([]byte(b), &vb); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	return reflect.DeepEqual(va, vb)
}
