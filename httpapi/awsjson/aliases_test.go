package awsjson_test

import (
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	"github.com/aws/aws-sdk-go-v2/service/sfn/types"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

// route is a routingConfiguration element.
func route(versionArn string, weight int32) types.RoutingConfigurationListItem {
	return types.RoutingConfigurationListItem{StateMachineVersionArn: aws.String(versionArn), Weight: weight}
}

// versioned returns a fixture with state machine name published twice:
// version 1 of passDefinition("one"), version 2 of passDefinition("two").
func versioned(t *testing.T, cfg awsjson.Config, name string) *smFixture {
	t.Helper()
	f := newSMFixture(t, cfg)
	f.put(name, passDefinition("one"))
	f.publish(name, "")
	f.put(name, passDefinition("two"))
	f.publish(name, "")
	return f
}

func (f *smFixture) createAlias(name, description string, routes ...types.RoutingConfigurationListItem) (*sfn.CreateStateMachineAliasOutput, error) {
	return f.c.CreateStateMachineAlias(f.ctx, &sfn.CreateStateMachineAliasInput{
		Name: aws.String(name), Description: aws.String(description), RoutingConfiguration: routes})
}

// aliases lists the aliases of arn page by page and returns their ARNs.
func (f *smFixture) aliases(arn string, maxResults int32) []string {
	f.t.Helper()
	var got []string
	var token *string
	for page := 1; ; page++ {
		out, err := f.c.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{
			StateMachineArn: aws.String(arn), MaxResults: maxResults, NextToken: token})
		if err != nil {
			f.t.Fatalf("ListStateMachineAliases(%s) page %d: %v", arn, page, err)
		}
		if maxResults > 0 && len(out.StateMachineAliases) > int(maxResults) {
			f.t.Fatalf("page %d has %d aliases, maxResults is %d", page, len(out.StateMachineAliases), maxResults)
		}
		for _, a := range out.StateMachineAliases {
			if a.CreationDate == nil || time.Since(*a.CreationDate) > time.Minute {
				f.t.Errorf("alias %s creationDate = %v, want about now", aws.ToString(a.StateMachineAliasArn), a.CreationDate)
			}
			got = append(got, aws.ToString(a.StateMachineAliasArn))
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

// testClock is a clock that moves only when told.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestAliasLifecycle(t *testing.T) {
	clock := &testClock{now: time.Now().Truncate(time.Millisecond)}
	f := versioned(t, awsjson.Config{Now: clock.Now}, "shop")
	v1, v2 := smARN("shop")+":1", smARN("shop")+":2"
	prod := smARN("shop") + ":prod"

	created, err := f.createAlias("prod", "production", route(v1, 100))
	if err != nil {
		t.Fatalf("CreateStateMachineAlias: %v", err)
	}
	if aws.ToString(created.StateMachineAliasArn) != prod || created.CreationDate == nil || !created.CreationDate.Equal(clock.Now()) {
		t.Fatalf("CreateStateMachineAlias = %s at %v, want %s at %v", aws.ToString(created.StateMachineAliasArn), created.CreationDate, prod, clock.Now())
	}
	clock.advance(time.Second)
	// AWS: the same name, description and routing again is the same alias.
	again, err := f.createAlias("prod", "production", route(v1, 100))
	if err != nil || aws.ToString(again.StateMachineAliasArn) != prod || !again.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("creating the same alias again = %v, %v; want the first one", again, err)
	}
	_, err = f.createAlias("prod", "another description", route(v1, 100))
	wantRefused(t, err, "ConflictException", "Failed to create alias because an alias with the same name and a different routing configuration already exists.")
	_, err = f.createAlias("prod", "production", route(v2, 100))
	wantRefused(t, err, "ConflictException", "Failed to create alias because an alias with the same name and a different routing configuration already exists.")

	describe := func() *sfn.DescribeStateMachineAliasOutput {
		t.Helper()
		d, err := f.c.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(prod)})
		if err != nil {
			t.Fatalf("DescribeStateMachineAlias: %v", err)
		}
		return d
	}
	routing := func(d *sfn.DescribeStateMachineAliasOutput) string {
		var parts []string
		for _, r := range d.RoutingConfiguration {
			parts = append(parts, fmt.Sprintf("%s=%d", aws.ToString(r.StateMachineVersionArn), r.Weight))
		}
		return strings.Join(parts, " ")
	}
	d := describe()
	if aws.ToString(d.StateMachineAliasArn) != prod || aws.ToString(d.Name) != "prod" || aws.ToString(d.Description) != "production" ||
		routing(d) != v1+"=100" || !d.CreationDate.Equal(*created.CreationDate) || !d.UpdateDate.Equal(*created.CreationDate) {
		t.Fatalf("DescribeStateMachineAlias = {%s %s %q [%s] created %v updated %v}", aws.ToString(d.StateMachineAliasArn), aws.ToString(d.Name),
			aws.ToString(d.Description), routing(d), d.CreationDate, d.UpdateDate)
	}

	clock.advance(time.Second)
	u, err := f.c.UpdateStateMachineAlias(f.ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(prod),
		RoutingConfiguration: []types.RoutingConfigurationListItem{route(v1, 90), route(v2, 10)}})
	if err != nil {
		t.Fatalf("UpdateStateMachineAlias(routing): %v", err)
	}
	d = describe()
	if routing(d) != v1+"=90 "+v2+"=10" || aws.ToString(d.Description) != "production" || !d.UpdateDate.Equal(*u.UpdateDate) ||
		!d.UpdateDate.Equal(clock.Now()) || !d.CreationDate.Equal(*created.CreationDate) {
		t.Fatalf("after updating the routing: [%s] %q created %v updated %v (update said %v)", routing(d), aws.ToString(d.Description), d.CreationDate, d.UpdateDate, u.UpdateDate)
	}
	if _, err := f.c.UpdateStateMachineAlias(f.ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(prod),
		Description: aws.String("")}); err != nil {
		t.Fatalf("UpdateStateMachineAlias(description): %v", err)
	}
	if d = describe(); d.Description != nil || routing(d) != v1+"=90 "+v2+"=10" {
		t.Fatalf("after clearing the description: %q [%s]", aws.ToString(d.Description), routing(d))
	}
	// An update that changes nothing keeps the update date.
	clock.advance(time.Second)
	same, err := f.c.UpdateStateMachineAlias(f.ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(prod), Description: aws.String("")})
	if err != nil || !same.UpdateDate.Equal(*d.UpdateDate) {
		t.Fatalf("an update that changes nothing = %v, %v; want updateDate %v", same, err, d.UpdateDate)
	}

	// A version an alias routes to cannot be deleted.
	_, err = f.c.DeleteStateMachineVersion(f.ctx, &sfn.DeleteStateMachineVersionInput{StateMachineVersionArn: aws.String(v2)})
	wantRefused(t, err, "ConflictException", "Version to be deleted must not be referenced by an alias. Current list of aliases referencing this version: [prod]")

	if _, err := f.createAlias("beta", "", route(v2, 100)); err != nil {
		t.Fatalf("CreateStateMachineAlias(beta): %v", err)
	}
	if _, err := f.createAlias("gamma", "", route(v1, 100)); err != nil {
		t.Fatalf("CreateStateMachineAlias(gamma): %v", err)
	}
	beta, gamma := smARN("shop")+":beta", smARN("shop")+":gamma"
	for _, max := range []int32{0, 1, 2} {
		if got := f.aliases(smARN("shop"), max); !slices.Equal(got, []string{prod, beta, gamma}) {
			t.Errorf("ListStateMachineAliases(maxResults=%d) = %v, want %v (oldest first, as AWS)", max, got, []string{prod, beta, gamma})
		}
	}
	if got := f.aliases(v2, 1); !slices.Equal(got, []string{prod, beta}) {
		t.Errorf("ListStateMachineAliases(version 2) = %v, want the aliases routing to it: %v", got, []string{prod, beta})
	}

	for _, gone := range []string{beta, beta, smARN("shop") + ":never", otherAccountARN("shop") + ":prod"} {
		if _, err := f.c.DeleteStateMachineAlias(f.ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(gone)}); err != nil {
			t.Errorf("DeleteStateMachineAlias(%s): %v, want 200", gone, err)
		}
	}
	if got := f.aliases(smARN("shop"), 0); !slices.Equal(got, []string{prod, gamma}) {
		t.Errorf("aliases after deleting beta = %v, want %v", got, []string{prod, gamma})
	}
	_, err = f.c.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(beta)})
	wantRefused(t, err, "ResourceNotFound", "Request references a resource that does not exist.")
}

// TestAliasStarts: a start through a version runs that version; through an
// alias, a version its routes pick, and the execution says which.
func TestAliasStarts(t *testing.T) {
	f := versioned(t, awsjson.Config{}, "flow")
	f.put("flow", passDefinition("three")) // the latest revision is no version
	v1, v2 := smARN("flow")+":1", smARN("flow")+":2"
	if _, err := f.createAlias("live", "", route(v1, 0), route(v2, 100)); err != nil {
		t.Fatalf("CreateStateMachineAlias: %v", err)
	}

	for i, c := range []struct {
		start, version, alias, definition string
	}{
		{smARN("flow"), "", "", passDefinition("three")},
		{v1, v1, "", passDefinition("one")},
		{v2, v2, "", passDefinition("two")},
		// Weight 0 is never picked.
		{smARN("flow") + ":live", v2, smARN("flow") + ":live", passDefinition("two")},
		{smARN("flow") + ":live", v2, smARN("flow") + ":live", passDefinition("two")},
		{smARN("flow") + ":live", v2, smARN("flow") + ":live", passDefinition("two")},
	} {
		name := fmt.Sprintf("run-%d", i)
		started, err := f.c.StartExecution(f.ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(c.start), Name: aws.String(name)})
		if err != nil {
			t.Fatalf("StartExecution(%s): %v", c.start, err)
		}
		d, err := f.c.DescribeExecution(f.ctx, &sfn.DescribeExecutionInput{ExecutionArn: started.ExecutionArn})
		if err != nil {
			t.Fatalf("DescribeExecution(%s): %v", name, err)
		}
		if aws.ToString(d.StateMachineArn) != smARN("flow") || aws.ToString(d.StateMachineVersionArn) != c.version || aws.ToString(d.StateMachineAliasArn) != c.alias {
			t.Errorf("started through %s: stateMachineArn %s, version %q, alias %q; want version %q, alias %q", c.start,
				aws.ToString(d.StateMachineArn), aws.ToString(d.StateMachineVersionArn), aws.ToString(d.StateMachineAliasArn), c.version, c.alias)
		}
		sm, err := f.c.DescribeStateMachineForExecution(f.ctx, &sfn.DescribeStateMachineForExecutionInput{ExecutionArn: started.ExecutionArn})
		if err != nil {
			t.Fatalf("DescribeStateMachineForExecution(%s): %v", name, err)
		}
		if aws.ToString(sm.Definition) != c.definition {
			t.Errorf("started through %s, the execution runs %s, want %s", c.start, aws.ToString(sm.Definition), c.definition)
		}
	}

	for _, missing := range []string{smARN("flow") + ":9", smARN("flow") + ":dev", smARN("none"), smARN("none") + ":live", otherAccountARN("flow") + ":live"} {
		_, err := f.c.StartExecution(f.ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(missing)})
		wantRefused(t, err, "StateMachineDoesNotExist", "State Machine Does Not Exist: '"+missing+"'")
	}
}

// A named start retried through a 50/50 alias while it runs is the same
// start every time (AWS: StartExecution is idempotent by name): the retry
// picks the version the first try picked, where a new draw would pick the
// other half the time and answer ExecutionAlreadyExists.
func TestAliasRetriedStart(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{})
	waits := func(tag string) string {
		return fmt.Sprintf(`{"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":600,"Comment":%q,"End":true}}}`, tag)
	}
	f.put("slow", waits("one"))
	v1 := f.publish("slow", "")
	f.put("slow", waits("two"))
	v2 := f.publish("slow", "")
	if _, err := f.createAlias("half", "", route(v1, 50), route(v2, 50)); err != nil {
		t.Fatalf("CreateStateMachineAlias: %v", err)
	}
	in := &sfn.StartExecutionInput{StateMachineArn: aws.String(smARN("slow") + ":half"), Name: aws.String("retried"), Input: aws.String(`{"n":1}`)}
	first, err := f.c.StartExecution(f.ctx, in)
	if err != nil {
		t.Fatalf("StartExecution: %v", err)
	}
	for i := range 20 {
		again, err := f.c.StartExecution(f.ctx, in)
		if err != nil {
			t.Fatalf("retry %d: %v", i+1, err)
		}
		if aws.ToString(again.ExecutionArn) != aws.ToString(first.ExecutionArn) || !again.StartDate.Equal(*first.StartDate) {
			t.Fatalf("retry %d: %s at %v, want %s at %v", i+1, aws.ToString(again.ExecutionArn), again.StartDate, aws.ToString(first.ExecutionArn), first.StartDate)
		}
	}
}

func TestAliasErrors(t *testing.T) {
	f := versioned(t, awsjson.Config{}, "calc")
	f.put("other", passDefinition("x"))
	f.publish("other", "")
	v1, v2 := smARN("calc")+":1", smARN("calc")+":2"
	if _, err := f.createAlias("main", "", route(v1, 100)); err != nil {
		t.Fatalf("CreateStateMachineAlias: %v", err)
	}
	const pattern = `^(?=.*[a-zA-Z_\-\.])[a-zA-Z0-9_\-\.]+$`
	for _, c := range []struct {
		name      string
		alias     string
		routes    []types.RoutingConfigurationListItem
		code, msg string
	}{
		{"an all-digit name", "123", nil, "ValidationException",
			"1 validation error detected: Value '123' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"a name with a space", "INVALID ALIAS", nil, "ValidationException",
			"1 validation error detected: Value 'INVALID ALIAS' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: " + pattern},
		{"a name with @", "ALIAS@", nil, "ValidationException", "1 validation error detected: Value 'ALIAS@' at 'name'"},
		{"a name of 81 characters", strings.Repeat("A", 81), nil, "ValidationException",
			"1 validation error detected: Value '" + strings.Repeat("A", 81) + "' at 'name' failed to satisfy constraint: Member must have length less than or equal to 80"},
		{"three routes", "x", []types.RoutingConfigurationListItem{route(v1, 50), route(v2, 30), route(smARN("calc")+":3", 20)}, "ValidationException",
			"1 validation error detected: Value '[" + v1 + ", " + v2 + ", " + smARN("calc") + ":3]' at 'routingConfiguration' failed to satisfy constraint: Member must have length less than or equal to 2"},
		{"a weight over 100", "x", []types.RoutingConfigurationListItem{route(v1, 101)}, "ValidationException",
			"1 validation error detected: Value '101' at 'routingConfiguration.1.member.weight' failed to satisfy constraint: Member must have value less than or equal to 100"},
		{"a negative weight", "x", []types.RoutingConfigurationListItem{route(v1, 100), route(v2, -1)}, "ValidationException",
			"1 validation error detected: Value '-1' at 'routingConfiguration.2.member.weight' failed to satisfy constraint: Member must have value greater than or equal to 0"},
		{"weights under 100", "x", []types.RoutingConfigurationListItem{route(v1, 70), route(v2, 29)}, "ValidationException",
			"Sum of routing configuration weights must equal 100. Received: [70, 29]"},
		{"weights over 100", "x", []types.RoutingConfigurationListItem{route(v1, 70), route(v2, 31)}, "ValidationException",
			"Sum of routing configuration weights must equal 100. Received: [70, 31]"},
		{"the same version twice", "x", []types.RoutingConfigurationListItem{route(v1, 50), route(v1, 50)}, "ValidationException",
			"Routing configuration must contain distinct state machine version ARNs. Received: [" + v1 + ", " + v1 + "]"},
		{"a state machine ARN", "x", []types.RoutingConfigurationListItem{route(smARN("calc"), 50), route(v2, 50)}, "ValidationException",
			"Routing configuration must contain state machine version ARNs. Received: [" + smARN("calc") + ", " + v2 + "]"},
		{"versions of two state machines", "x", []types.RoutingConfigurationListItem{route(v1, 50), route(smARN("other")+":1", 50)}, "ValidationException",
			"Routing configuration must contain state machine version ARNs of the same state machine."},
		{"a malformed ARN", "x", []types.RoutingConfigurationListItem{route("calc:1", 100)}, "InvalidArn", "Invalid Arn: 'Invalid ARN prefix: calc:1'"},
		{"a version that does not exist", "x", []types.RoutingConfigurationListItem{route(smARN("calc")+":3", 100)}, "ResourceNotFound",
			"Request references a resource that does not exist."},
		{"a state machine that does not exist", "x", []types.RoutingConfigurationListItem{route(smARN("none")+":1", 100)}, "ResourceNotFound",
			"Request references a resource that does not exist."},
		{"another account", "x", []types.RoutingConfigurationListItem{route(otherAccountARN("calc")+":1", 100)}, "ResourceNotFound",
			"Request references a resource that does not exist."},
	} {
		t.Run("create with "+c.name, func(t *testing.T) {
			routes := c.routes
			if routes == nil {
				routes = []types.RoutingConfigurationListItem{route(v1, 100)}
			}
			_, err := f.createAlias(c.alias, "", routes...)
			wantRefused(t, err, c.code, c.msg)
		})
	}

	main := smARN("calc") + ":main"
	for _, c := range []struct {
		name      string
		in        sfn.UpdateStateMachineAliasInput
		code, msg string
	}{
		{"nothing to update", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(main)}, "ValidationException",
			"Either the description or the routingConfiguration must be specified"},
		{"no such alias", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(smARN("calc") + ":nope"), Description: aws.String("d")},
			"ResourceNotFound", "Request references a resource that does not exist."},
		{"another state machine's version", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(main),
			RoutingConfiguration: []types.RoutingConfigurationListItem{route(smARN("other")+":1", 100)}}, "ValidationException",
			"Routing configuration must contain state machine version ARNs of the alias's state machine"},
		{"a version that does not exist", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(main),
			RoutingConfiguration: []types.RoutingConfigurationListItem{route(smARN("calc")+":5", 100)}}, "ResourceNotFound",
			"Request references a resource that does not exist."},
		{"weights under 100", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(main),
			RoutingConfiguration: []types.RoutingConfigurationListItem{route(v1, 10)}}, "ValidationException",
			"Sum of routing configuration weights must equal 100. Received: [10]"},
		{"a version ARN", sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(v1), Description: aws.String("d")},
			"InvalidArn", "Invalid Arn: 'Resource type not valid in this context"},
	} {
		t.Run("update with "+c.name, func(t *testing.T) {
			_, err := f.c.UpdateStateMachineAlias(f.ctx, &c.in)
			wantRefused(t, err, c.code, c.msg)
		})
	}

	for _, c := range []struct {
		name      string
		call      func() error
		code, msg string
	}{
		{"describe a missing alias", func() error {
			_, err := f.c.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(smARN("calc") + ":nope")})
			return err
		}, "ResourceNotFound", "Request references a resource that does not exist."},
		{"describe a state machine ARN", func() error {
			_, err := f.c.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(smARN("calc"))})
			return err
		}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context"},
		{"list a missing state machine", func() error {
			_, err := f.c.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(smARN("none"))})
			return err
		}, "StateMachineDoesNotExist", "State Machine Does Not Exist: '" + smARN("none") + "'"},
		{"list a missing version", func() error {
			_, err := f.c.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(smARN("calc") + ":7")})
			return err
		}, "ResourceNotFound", "Request references a resource that does not exist."},
		{"list an alias", func() error {
			_, err := f.c.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(main)})
			return err
		}, "InvalidArn", "Invalid Arn: 'Resource type not valid in this context"},
		{"list with a made-up token", func() error {
			_, err := f.c.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(smARN("calc")), NextToken: aws.String("x.y")})
			return err
		}, "InvalidToken", "Invalid Token: 'x.y'"},
	} {
		t.Run(c.name, func(t *testing.T) { wantRefused(t, c.call(), c.code, c.msg) })
	}

	// Nothing refused changed the alias.
	d, err := f.c.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(main)})
	if err != nil || len(d.RoutingConfiguration) != 1 || aws.ToString(d.RoutingConfiguration[0].StateMachineVersionArn) != v1 || d.Description != nil {
		t.Fatalf("alias after the refused updates: %v, %v", d, err)
	}
}

// TestAliasRoles: describing and listing aliases is a reader's; creating,
// updating and deleting them an admin's.
func TestAliasRoles(t *testing.T) {
	f := versioned(t, awsjson.Config{Credentials: testCredentials}, "roles")
	alias := smARN("roles") + ":main"
	if _, err := f.createAlias("main", "", route(smARN("roles")+":1", 100)); err != nil {
		t.Fatalf("an admin's CreateStateMachineAlias: %v", err)
	}
	reader := client(f.url, readerKey, readerSec, nil)
	if _, err := reader.DescribeStateMachineAlias(f.ctx, &sfn.DescribeStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)}); err != nil {
		t.Errorf("a reader's DescribeStateMachineAlias: %v", err)
	}
	if _, err := reader.ListStateMachineAliases(f.ctx, &sfn.ListStateMachineAliasesInput{StateMachineArn: aws.String(smARN("roles"))}); err != nil {
		t.Errorf("a reader's ListStateMachineAliases: %v", err)
	}
	_, err := reader.CreateStateMachineAlias(f.ctx, &sfn.CreateStateMachineAliasInput{Name: aws.String("other"),
		RoutingConfiguration: []types.RoutingConfigurationListItem{route(smARN("roles")+":1", 100)}})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:CreateStateMachineAlias")
	_, err = reader.UpdateStateMachineAlias(f.ctx, &sfn.UpdateStateMachineAliasInput{StateMachineAliasArn: aws.String(alias), Description: aws.String("d")})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:UpdateStateMachineAlias")
	_, err = reader.DeleteStateMachineAlias(f.ctx, &sfn.DeleteStateMachineAliasInput{StateMachineAliasArn: aws.String(alias)})
	wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:DeleteStateMachineAlias")
	if got := f.aliases(smARN("roles"), 0); !slices.Equal(got, []string{alias}) {
		t.Fatalf("aliases after the reader's refused calls = %v, want %v", got, []string{alias})
	}
}
