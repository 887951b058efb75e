package awsjson_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/sfn"

	"github.com/sfn-project/sfn/httpapi/awsjson"
)

// TestUnsupportedOperations: the operations whose features sfn lacks answer
// 400 UnsupportedOperation naming what is missing, after the role check.
func TestUnsupportedOperations(t *testing.T) {
	f := newSMFixture(t, awsjson.Config{Credentials: testCredentials})
	// The SDK sends TestState to sync-<host>, as StartSyncExecution: the
	// clients dial the listener whatever the host.
	addr := strings.TrimPrefix(f.url, "http://")
	dialer := &net.Dialer{}
	hc := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
		return dialer.DialContext(ctx, network, addr)
	}}}
	admin := client(f.url, adminKey, adminSecret, hc)
	reader := client(f.url, readerKey, readerSec, hc)
	for _, c := range []struct {
		op   string
		call func(*sfn.Client) error
		why  string
	}{
		{"TestState", func(c *sfn.Client) error {
			_, err := c.TestState(f.ctx, &sfn.TestStateInput{Definition: aws.String(`{"Type":"Pass","End":true}`), RoleArn: aws.String("arn:aws:iam::123456789012:role/r")})
			return err
		}, "testing one state outside an execution"},
	} {
		t.Run(c.op, func(t *testing.T) {
			err := c.call(admin)
			wantRefused(t, err, "UnsupportedOperation", "sfn does not support "+c.op+": "+c.why)
			var re *awshttp.ResponseError
			if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
				t.Errorf("HTTP status of %v, want 400", err)
			}
			// A reader may describe and list, not test states or update.
			err = c.call(reader)
			if strings.HasPrefix(c.op, "Describe") || strings.HasPrefix(c.op, "List") {
				wantRefused(t, err, "UnsupportedOperation", "sfn does not support "+c.op)
			} else {
				wantRefused(t, err, "AccessDeniedException", "User is not authorized to perform: states:"+c.op)
			}
		})
	}
}
