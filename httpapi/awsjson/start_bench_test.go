package awsjson_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsjson"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/store/memory"
)

// BenchmarkStartAPIs: what the AWS API costs next to the REST API, side by
// side in one run on the memory store (so that the API is what differs):
// starts of a three-Pass STANDARD machine (which ends in the commit that
// starts it) through REST POST /v1/state-machines/{name}/executions,
// through the AWS API's StartExecution on an open server, and through
// StartExecution signed with SigV4 and verified by the server (the client
// signs each request, as the SDKs do; both sides share the machine).
func BenchmarkStartAPIs(b *testing.B) {
	const key, secret = "AKIDBENCH", "bench-secret"
	ctx := context.Background()
	st := memory.New()
	eng := interpreter.New(interpreter.Config{Store: st})
	if err := eng.Start(ctx); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(eng.Stop)
	if _, err := eng.PutStateMachine(ctx, "standard3", []byte(benchThreePasses), dsl.JSON); err != nil {
		b.Fatal(err)
	}
	serve := func(cfg awsjson.Config) *benchServer {
		cfg.Engine, cfg.Space = eng, arn.DefaultSpace
		ts := httptest.NewServer(httpapi.New(httpapi.Config{Engine: eng, AWS: awsjson.New(cfg)}))
		b.Cleanup(ts.Close)
		tr := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256}
		b.Cleanup(tr.CloseIdleConnections)
		return &benchServer{url: ts.URL, client: &http.Client{Transport: tr}}
	}
	open := serve(awsjson.Config{Open: true})
	signed := serve(awsjson.Config{Credentials: map[string]awsjson.Credential{key: {Secret: secret, Role: awsjson.RoleOperator}}})
	body := fmt.Sprintf(`{"stateMachineArn":%q,"input":"{\"n\":1}"}`, arn.DefaultSpace.StateMachine("standard3"))
	awsRequest := func(s *benchServer, sign bool) func() (*http.Request, error) {
		signer := v4.NewSigner()
		sum := sha256.Sum256([]byte(body))
		hash := hex.EncodeToString(sum[:])
		return func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, s.url+"/", strings.NewReader(body))
			if err != nil {
				return nil, err
			}
			req.Header.Set("Content-Type", awsjson.ContentType)
			req.Header.Set("X-Amz-Target", "AWSStepFunctions.StartExecution")
			if sign {
				err = signer.SignHTTP(ctx, aws.Credentials{AccessKeyID: key, SecretAccessKey: secret}, req, hash, "states", "us-east-1", time.Now())
			}
			return req, err
		}
	}
	rates := map[string]float64{}
	b.Run("api=rest", func(b *testing.B) {
		rates["rest"] = open.run(b, func() (*http.Request, error) {
			req, err := http.NewRequest(http.MethodPost, open.url+"/v1/state-machines/standard3/executions", strings.NewReader(`{"input":{"n":1}}`))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}, `"executionId"`, http.StatusOK, http.StatusAccepted)
	})
	b.Run("api=aws-open", func(b *testing.B) {
		rates["aws-open"] = open.run(b, awsRequest(open, false), `"executionArn"`, http.StatusOK)
	})
	b.Run("api=aws-sigv4", func(b *testing.B) {
		rates["aws-sigv4"] = signed.run(b, awsRequest(signed, true), `"executionArn"`, http.StatusOK)
	})
	if rates["rest"] > 0 {
		b.Logf("starts/s: REST %.0f, AWS open %.0f (%.2fx REST), AWS SigV4 %.0f (%.2fx REST)", rates["rest"],
			rates["aws-open"], rates["aws-open"]/rates["rest"], rates["aws-sigv4"], rates["aws-sigv4"]/rates["rest"])
	}
}
