package awsjson_test

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
)

// smFixture is an engine over a memory store and the real SDK client on a
// real listener serving the AWS API over it. State machines are made
// through the engine, as the REST API makes them.
type smFixture struct {
	t   *testing.T
	ctx context.Context
	eng *interpreter.Engine
	// c is an admin's client (the API is open unless cfg gave credentials).
	c   *sfn.Client
	url string
}

// newSMFixture serves cfg (Engine and Space filled in; Open unless it has
// Credentials).
func newSMFixture(t *testing.T, cfg awsjson.Config) *smFixture {
	t.Helper()
	eng := interpreter.New(interpreter.Config{CheckCachedThreads: true, Store: memory.New()})
	if err := eng.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(eng.Stop)
	cfg.Engine, cfg.Space = eng, arn.DefaultSpace
	key, secret := "AKIDANYTHING", "any secret"
	if cfg.Credentials == nil {
		cfg.Open = true
	} else {
		key, secret = adminKey, adminSecret
	}
	ts := httptest.NewServer(awsjson.New(cfg))
	t.Cleanup(ts.Close)
	return &smFixture{t: t, ctx: context.Background(), eng: eng, c: client(ts.URL, key, secret, nil), url: ts.URL}
}

// passDefinition is a one-state definition whose Result is tag, so that
// each tag is another definition.
func passDefinition(tag string) string {
	return fmt.Sprintf(`{"StartAt":"A","States":{"A":{"Type":"Pass","Result":%q,"End":true}}}`, tag)
}

// put stores a definition through the engine and returns the revision.
func (f *smFixture) put(name, definition string) store.StateMachine {
	f.t.Helper()
	res, err := f.eng.PutStateMachine(f.ctx, name, []byte(definition), dsl.JSON)
	if err != nil {
		f.t.Fatalf("PutStateMachine(%s): %v", name, err)
	}
	return res.StateMachine
}

// publish publishes the latest revision of name and returns the version ARN.
func (f *smFixture) publish(name, description string) string {
	f.t.Helper()
	out, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{
		StateMachineArn: aws.String(smARN(name)), Description: aws.String(description)})
	if err != nil {
		f.t.Fatalf("PublishStateMachineVersion(%s): %v", name, err)
	}
	return aws.ToString(out.StateMachineVersionArn)
}

// versions lists every version of name page by page (maxResults per page,
// 0 for the default) and returns the ARNs in the order listed.
func (f *smFixture) versions(name string, maxResults int32) []string {
	f.t.Helper()
	var got []string
	var token *string
	for page := 1; ; page++ {
		out, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{
			StateMachineArn: aws.String(smARN(name)), MaxResults: maxResults, NextToken: token})
		if err != nil {
			f.t.Fatalf("ListStateMachineVersions(%s) page %d: %v", name, page, err)
		}
		if maxResults > 0 && len(out.StateMachineVersions) > int(maxResults) {
			f.t.Fatalf("page %d has %d versions, maxResults is %d", page, len(out.StateMachineVersions), maxResults)
		}
		for _, v := range out.StateMachineVersions {
			if v.CreationDate == nil || time.Since(*v.CreationDate) > time.Minute {
				f.t.Errorf("version %s creationDate = %v, want about now", aws.ToString(v.StateMachineVersionArn), v.CreationDate)
			}
			got = append(got, aws.ToString(v.StateMachineVersionArn))
		}
		if out.NextToken == nil {
			return got
		}
		if page > 20 {
			f.t.Fatalf("more than 20 pages")
		}
		token = out.NextToken
	}
}

func smARN(name string) string { return arn.DefaultSpace.StateMachine(name) }

// otherAccountARN is a well-formed state machine ARN of another account.
func otherAccountARN(name string) string {
	return arn.Space{Region: arn.DefaultRegion, Account: "210987654321"}.StateMachine(name)
}

func TestPublishStateMachineVersion(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	rev1 := f.put("orders", passDefinition("one"))

	before := time.Now().Add(-time.Second)
	out, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("orders"))})
	if err != nil {
		t.Fatalf("PublishStateMachineVersion: %v", err)
	}
	if got := aws.ToString(out.StateMachineVersionArn); got != smARN("orders")+":1" {
		t.Fatalf("stateMachineVersionArn = %q, want %q", got, smARN("orders")+":1")
	}
	if out.CreationDate == nil || out.CreationDate.Before(before) || out.CreationDate.After(time.Now().Add(time.Second)) {
		t.Fatalf("creationDate = %v, want about now", out.CreationDate)
	}

	// AWS: publishing a revision that is already published returns its version.
	again, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("orders"))})
	if err != nil {
		t.Fatalf("PublishStateMachineVersion again: %v", err)
	}
	if aws.ToString(again.StateMachineVersionArn) != smARN("orders")+":1" || !again.CreationDate.Equal(*out.CreationDate) {
		t.Fatalf("publishing the same revision again = %s at %v, want version 1 at %v", aws.ToString(again.StateMachineVersionArn), again.CreationDate, out.CreationDate)
	}

	// A changed definition is a new revision, and publishing it makes version 2.
	rev2 := f.put("orders", passDefinition("two"))
	if rev2.Version == rev1.Version {
		t.Fatalf("the changed definition kept revision %d", rev1.Version)
	}
	if got := f.publish("orders", "the second"); got != smARN("orders")+":2" {
		t.Fatalf("second publish = %q, want version 2", got)
	}
	want := []string{smARN("orders") + ":2", smARN("orders") + ":1"}
	for _, max := range []int32{0, 1, 2} {
		if got := f.versions("orders", max); strings.Join(got, " ") != strings.Join(want, " ") {
			t.Errorf("ListStateMachineVersions(maxResults=%d) = %v, want %v (newest first)", max, got, want)
		}
	}

	// Describing a version shows its own revision and description (the
	// state machine operations read what publish wrote).
	d, err := f.c.DescribeStateMachine(f.ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN("orders") + ":1")})
	if err != nil {
		t.Fatalf("DescribeStateMachine(version 1): %v", err)
	}
	if aws.ToString(d.Definition) != passDefinition("one") {
		t.Errorf("version 1's definition = %s, want the first revision's", aws.ToString(d.Definition))
	}
	d2, err := f.c.DescribeStateMachine(f.ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN("orders") + ":2")})
	if err != nil {
		t.Fatalf("DescribeStateMachine(version 2): %v", err)
	}
	if aws.ToString(d2.Description) != "the second" {
		t.Errorf("version 2's description = %q, want %q", aws.ToString(d2.Description), "the second")
	}

	// AWS counts a description's characters: 256 of two bytes each pass.
	f.put("orders", passDefinition("three"))
	if got := f.publish("orders", strings.Repeat("é", 256)); got != smARN("orders")+":3" {
		t.Fatalf("publish with 256 two-byte characters = %q, want version 3", got)
	}
}

// TestPublishRevisionID: revisionId publishes only the revision it names.
func TestPublishRevisionID(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	f.put("billing", passDefinition("one"))
	publishAt := func(rev string) (string, error) {
		out, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{
			StateMachineArn: aws.String(smARN("billing")), RevisionId: aws.String(rev)})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.StateMachineVersionArn), nil
	}
	// INITIAL names the revision a state machine was created with.
	if got, err := publishAt("INITIAL"); err != nil || got != smARN("billing")+":1" {
		t.Fatalf("publish INITIAL = %q, %v; want version 1", got, err)
	}
	describe := func() string {
		d, err := f.c.DescribeStateMachine(f.ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN("billing"))})
		if err != nil {
			t.Fatalf("DescribeStateMachine: %v", err)
		}
		return aws.ToString(d.RevisionId)
	}
	first := describe()
	f.put("billing", passDefinition("two"))
	second := describe()
	if first == "" || second == "" || first == second {
		t.Fatalf("revisionIds %q then %q: want two different ones", first, second)
	}
	if describe() != second {
		t.Fatalf("the revisionId of an unchanged state machine changed")
	}
	for _, stale := range []string{first, "INITIAL", "not-a-revision"} {
		_, err := publishAt(stale)
		wantRefused(t, err, "ConflictException", fmt.Sprintf("Failed to publish the State Machine version for revision %s. The current State Machine revision is %s.", stale, second))
	}
	if got, err := publishAt(second); err != nil || got != smARN("billing")+":2" {
		t.Fatalf("publish at the current revision = %q, %v; want version 2", got, err)
	}
}

// TestPublishInitialAfterRecreate: INITIAL names the revision a state
// machine was created with, also for a name deleted and made again, whose
// first revision is past 1 (revisions are never reused).
func TestPublishInitialAfterRecreate(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	meta := awsmeta.New(f.eng.Store())
	create := func(definition string) store.StateMachine {
		t.Helper()
		res, err := meta.PutDefinition(f.ctx, f.eng, awsmeta.Definition{Name: "again", Source: []byte(definition), Format: dsl.JSON})
		if err != nil {
			t.Fatalf("PutDefinition: %v", err)
		}
		return res.StateMachine
	}
	publishInitial := func() (string, error) {
		out, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{
			StateMachineArn: aws.String(smARN("again")), RevisionId: aws.String("INITIAL")})
		if err != nil {
			return "", err
		}
		return aws.ToString(out.StateMachineVersionArn), nil
	}
	create(passDefinition("one"))
	f.put("again", passDefinition("two"))
	if _, err := f.c.DeleteStateMachine(f.ctx, &sfn.DeleteStateMachineInput{StateMachineArn: aws.String(smARN("again"))}); err != nil {
		t.Fatalf("DeleteStateMachine: %v", err)
	}
	if first := create(passDefinition("three")); first.Version != 3 {
		t.Fatalf("made again at revision %d, want 3", first.Version)
	}
	if got, err := publishInitial(); err != nil || got != smARN("again")+":1" {
		t.Fatalf("publish INITIAL of the state machine made again = %q, %v; want version 1", got, err)
	}
	f.put("again", passDefinition("four"))
	_, err := publishInitial()
	wantRefused(t, err, "ConflictException", "Failed to publish the State Machine version for revision INITIAL.")
}

func TestDeleteStateMachineVersion(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	rev1 := f.put("reports", passDefinition("one"))
	f.publish("reports", "")
	f.put("reports", passDefinition("two"))
	f.publish("reports", "")

	del := func(versionArn string) error {
		_, err := f.c.DeleteStateMachineVersion(f.ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(versionArn)})
		return err
	}
	if err := del(smARN("reports") + ":1"); err != nil {
		t.Fatalf("DeleteStateMachineVersion(1): %v", err)
	}
	if got := f.versions("reports", 0); len(got) != 1 || got[0] != smARN("reports")+":2" {
		t.Fatalf("versions after deleting 1 = %v, want only 2", got)
	}
	// The revision stays: executions that run it keep running.
	if _, err := f.eng.Store().GetStateMachineVersion(f.ctx, "reports", rev1.Version); err != nil {
		t.Fatalf("revision %d after its version was deleted: %v", rev1.Version, err)
	}
	// AWS: deleting what does not exist answers 200.
	for _, gone := range []string{smARN("reports") + ":1", smARN("reports") + ":7", smARN("nothing") + ":1", otherAccountARN("reports") + ":2"} {
		if err := del(gone); err != nil {
			t.Errorf("DeleteStateMachineVersion(%s): %v, want 200", gone, err)
		}
	}
	// Numbers are never reused: publishing revision 1's definition again
	// (a new revision) makes version 3.
	f.put("reports", passDefinition("one"))
	if got := f.publish("reports", ""); got != smARN("reports")+":3" {
		t.Fatalf("publish after a deletion = %q, want version 3", got)
	}
	_, err := f.c.DescribeStateMachine(f.ctx, &sfn.DescribeStateMachineInput{StateMachineArn: aws.String(smARN("reports") + ":1")})
	wantRefused(t, err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+smARN("reports")+":1'")
}

func TestVersionErrors(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	f.put("present", passDefinition("one"))
	f.publish("present", "")
	f.put("present", passDefinition("two"))
	f.publish("present", "")
	page, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("present")), MaxResults: 1})
	if err != nil || page.NextToken == nil {
		t.Fatalf("first page: %v, nextToken %v", err, page)
	}
	f.put("other", passDefinition("one"))

	for _, c := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"publish a missing state machine", func() error {
			_, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("missing"))})
			return err
		}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + smARN("missing") + "'"},
		{"publish in another account", func() error {
			_, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(otherAccountARN("present"))})
			return err
		}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + otherAccountARN("present") + "'"},
		{"publish a malformed ARN", func() error {
			_, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String("present")})
			return err
		}, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: present'"},
		{"publish a version", func() error {
			_, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("present") + ":1")})
			return err
		}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context"},
		{"publish with a description too long", func() error {
			_, err := f.c.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("present")),
				Description: aws.String(strings.Repeat("d", 257))})
			return err
		}, "ValidationException", "1 validation error detected"},
		{"list a missing state machine", func() error {
			_, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("missing"))})
			return err
		}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + smARN("missing") + "'"},
		{"list with maxResults over 1000", func() error {
			_, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("present")), MaxResults: 1001})
			return err
		}, "ValidationException", "1 validation error detected: Value '1001' at 'maxResults'"},
		{"list with a made-up token", func() error {
			_, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("present")), NextToken: aws.String("MQ.abc")})
			return err
		}, "InvalidToken", "Invalid Token: 'MQ.abc'"},
		{"list with another state machine's token", func() error {
			_, err := f.c.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("other")), NextToken: page.NextToken})
			return err
		}, "InvalidToken", "Invalid Token: "},
		{"delete a state machine ARN", func() error {
			_, err := f.c.DeleteStateMachineVersion(f.ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(smARN("present"))})
			return err
		}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context"},
	} {
		t.Run(c.name, func(t *testing.T) { wantRefused(t, c.call(), c.code, c.msg) })
	}
}

// TestVersionRoles: listing versions is a reader's; publishing and deleting
// them an admin's.
func TestVersionRoles(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{Credentials: testCredentials})
	f.put("roles", passDefinition("one"))
	f.publish("roles", "")
	reader := client(f.url, readerKey, readerSec, nil)
	if _, err := reader.ListStateMachineVersions(f.ctx, &sfn.ListStateMachineVersionsInput{StateMachineArn: aws.String(smARN("roles"))}); err != nil {
		t.Fatalf("a reader's ListStateMachineVersions: %v", err)
	}
	_, err := reader.PublishStateMachineVersion(f.ctx, &sfn.PublishStateMachineVersionInput{StateMachineArn: aws.String(smARN("roles"))})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:PublishStateMachineVersion")
	_, err = reader.DeleteStateMachineVersion(f.ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(smARN("roles") + ":1")})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:DeleteStateMachineVersion")
	if got := f.versions("roles", 0); len(got) != 1 {
		t.Fatalf("versions after the reader's refused delete = %v, want version 1 still there", got)
	}
}
