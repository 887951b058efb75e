package main

import "github.com/sfn-project/sfn/dsl/arn"

// serveSpace is the region and account of `sfn serve` (--aws-region,
// --aws-account; an empty one takes arn.DefaultSpace's). The engine names
// executions and state machines by ARN in it ($$.Execution.Id), and the
// AWS API answers with the same ARNs, so both take it from here.
func serveSpace(o *serveOptions) (arn.Space, error) {
	space := arn.DefaultSpace
	if o.awsRegion != "" {
		space.Region = o.awsRegion
	}
	if o.awsAccount != "" {
		space.Account = o.awsAccount
	}
	if err := space.Validate(); err != nil {
		return arn.Space{}, usageErrorf("--aws-region/--aws-account: %v", err)
	}
	return space, nil
}
