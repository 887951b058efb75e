package arn_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/arn"
)

func TestFormatAndParse(t *testing.T) {
	s := arn.Space{Region: "eu-west-3", Account: "210987654321"}
	tests := []struct {
		arn  string
		want arn.ARN
	}{
		{s.StateMachine("orders"), arn.ARN{Kind: arn.StateMachine, Name: "orders"}},
		{s.Version("orders", 12), arn.ARN{Kind: arn.Version, Name: "orders", Version: 12}},
		{s.Alias("orders", "prod"), arn.ARN{Kind: arn.Alias, Name: "orders", Alias: "prod"}},
		// A qualifier that is not a plain positive number names an alias.
		{s.Alias("orders", "01"), arn.ARN{Kind: arn.Alias, Name: "orders", Alias: "01"}},
		{s.Execution("orders", "o-1"), arn.ARN{Kind: arn.Execution, Name: "orders", Execution: "o-1"}},
		{s.ExecutionOfID("orders:o-1"), arn.ARN{Kind: arn.Execution, Name: "orders", Execution: "o-1"}},
		{s.Express("orders", "o-1", "5b1c"), arn.ARN{Kind: arn.Express, Name: "orders", Execution: "o-1", ID: "5b1c"}},
		{s.Activity("pack"), arn.ARN{Kind: arn.Activity, Name: "pack"}},
		{s.MapRun("orders", "Each", "9f"), arn.ARN{Kind: arn.MapRun, Name: "orders", Label: "Each", ID: "9f"}},
	}
	for _, tt := range tests {
		t.Run(tt.arn, func(t *testing.T) {
			if !strings.HasPrefix(tt.arn, "arn:aws:states:eu-west-3:210987654321:") {
				t.Fatalf("made %q", tt.arn)
			}
			got, err := arn.Parse(tt.arn)
			if err != nil {
				t.Fatal(err)
			}
			tt.want.Partition, tt.want.Region, tt.want.Account = "aws", s.Region, s.Account
			if got != tt.want {
				t.Errorf("Parse = %+v, want %+v", got, tt.want)
			}
			if !s.Owns(got) || arn.DefaultSpace.Owns(got) {
				t.Errorf("Owns: its own space %v, the default space %v", s.Owns(got), arn.DefaultSpace.Owns(got))
			}
		})
	}
	if got, _ := arn.Parse(s.ExecutionOfID("orders:o-1")); got.ExecutionID() != "orders:o-1" {
		t.Errorf("ExecutionID = %q", got.ExecutionID())
	}
}

func TestParseRefuses(t *testing.T) {
	for _, in := range []string{
		"", "not_a_valid_arn", "arn:aws:lambda:us-east-1:123456789012:function:f",
		"arn:aws:states:us-east-1:123456789012", "arn:aws:states::123456789012:stateMachine:x",
		"arn:aws:states:us-east-1:123456789012:bucket:x", "arn:aws:states:us-east-1:123456789012:stateMachine:a:b:c",
		"arn:aws:states:us-east-1:123456789012:execution:only", "arn:aws:states:us-east-1:123456789012:stateMachine:",
		"arn:aws:states:us-east-1:123456789012:mapRun:noslash:1",
	} {
		_, err := arn.Parse(in)
		var e *arn.Error
		if !errors.Is(err, arn.ErrInvalid) || !errors.As(err, &e) || !strings.HasPrefix(err.Error(), "Invalid Arn: '") {
			t.Errorf("Parse(%q) = %v, want an *arn.Error", in, err)
		}
	}
}

func TestPartitionAndValidate(t *testing.T) {
	for region, want := range map[string]string{"us-east-1": "aws", "cn-north-1": "aws-cn", "us-gov-west-1": "aws-us-gov"} {
		if got := arn.Partition(region); got != want {
			t.Errorf("Partition(%s) = %s, want %s", region, got, want)
		}
	}
	if s := (arn.Space{Region: "cn-north-1", Account: "123456789012"}); !strings.HasPrefix(s.Activity("a"), "arn:aws-cn:states:") {
		t.Errorf("China ARN %s", s.Activity("a"))
	}
	for _, bad := range []arn.Space{{Region: "", Account: "123456789012"}, {Region: "US_EAST", Account: "123456789012"},
		{Region: "us-east-1", Account: "1234"}, {Region: "us-east-1", Account: "12345678901x"}} {
		if bad.Validate() == nil {
			t.Errorf("Validate(%+v) accepted it", bad)
		}
	}
	if err := arn.DefaultSpace.Validate(); err != nil {
		t.Errorf("DefaultSpace: %v", err)
	}
}
