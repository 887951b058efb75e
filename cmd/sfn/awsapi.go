package main

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
)

// newAWSAPI builds the AWS Step Functions API of `sfn serve`: the node's
// region and account (recorded in the store at the first start and checked
// at every later one) and who may call it.
func newAWSAPI(ctx context.Context, o *serveOptions, engine *interpreter.Engine, tokens map[string]httpapi.Role, log *slog.Logger) (*awsjson.Server, error) {
	space := arn.DefaultSpace
	if o.awsRegion != "" {
		space.Region = o.awsRegion
	}
	if o.awsAccount != "" {
		space.Account = o.awsAccount
	}
	if err := space.Validate(); err != nil {
		return nil, usageErrorf("--aws-region/--aws-account: %v", err)
	}
	meta := awsmeta.New(engine.Store())
	if err := meta.EnsureSpace(ctx, space); err != nil {
		return nil, fmt.Errorf("AWS API: %w", err)
	}
	cfg := awsjson.Config{Engine: engine, Meta: meta, Space: space, Logger: log, Open: tokens == nil}
	if cfg.Open {
		log.Warn("AWS API open: any signature is accepted, as the REST API has no tokens", slog.String("region", space.Region), slog.String("account", space.Account))
	}
	return awsjson.New(cfg), nil
}
