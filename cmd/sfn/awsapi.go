package main

import (
	"context"
	"log/slog"
	"os"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
)

// newAWSAPI builds the AWS Step Functions API of `sfn serve`: the node's
// region and account (space, which runServe has checked against the store
// before the engine started) and who may call it. The AWS API is open (any
// signature) only when the REST API is open too and no AWS keys are given:
// keys given mean the operator wants signatures checked, and bearer tokens
// without AWS keys close the AWS API to everyone. It also returns the
// runner of EXPRESS executions, which the REST API shares, started on ctx
// (it stops when ctx ends; runServe passes one that does not and stops it
// itself); the caller stops it.
func newAWSAPI(ctx context.Context, o *serveOptions, engine *interpreter.Engine, space arn.Space, tokens map[string]httpapi.Role, log *slog.Logger) (*awsjson.Server, *express.Runner, error) {
	creds, err := readAWSCredentials(o.awsCredentials)
	if err != nil {
		return nil, nil, err
	}
	cfg := awsjson.Config{Engine: engine, Meta: awsmeta.New(engine.Store()), Space: space, Logger: log,
		Credentials: creds, Open: tokens == nil && creds == nil}
	where := []any{slog.String("region", space.Region), slog.String("account", space.Account)}
	switch {
	case cfg.Open:
		log.Warn("AWS API open: any signature is accepted, as the REST API has no --auth-tokens and no --aws-credentials are given", where...)
	case creds == nil:
		log.Warn("AWS API closed: --auth-tokens without --aws-credentials, every AWS API request is refused (UnrecognizedClientException)", where...)
	case tokens == nil:
		log.Info("AWS API signatures verified (--aws-credentials), although the REST API is open (no --auth-tokens)", append(where, slog.Int("keys", len(creds)))...)
	default:
		log.Info("AWS API signatures verified (--aws-credentials)", append(where, slog.Int("keys", len(creds)))...)
	}
	runner, err := newExpress(ctx, o, engine, space, log)
	if err != nil {
		return nil, nil, err
	}
	cfg.Express = awsjson.NewExpress(runner, space)
	return awsjson.New(cfg), runner, nil
}

// readAWSCredentials reads --aws-credentials (awsjson.ParseCredentials has
// the format); an empty path is no keys.
func readAWSCredentials(path string) (map[string]awsjson.Credential, error) {
	if path == "" {
		return nil, nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, usageErrorf("--aws-credentials: %v", err)
	}
	creds, err := awsjson.ParseCredentials(data)
	if err != nil {
		return nil, usageErrorf("--aws-credentials %s: %v", path, err)
	}
	return creds, nil
}
