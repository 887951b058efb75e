package awsmeta_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// The first start records the region and account; a later start with the
// same ones is accepted, one with others refused (ARNs must not change
// under running executions), on both stores.
func TestEnsureSpace(t *testing.T) {
	stores := map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return memory.New() },
		"redis": func(t *testing.T) store.Store {
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.Server(t), Prefix: "space"})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = st.Close() })
			return st
		},
	}
	for name, open := range stores {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := open(t)
			first := arn.Space{Region: "eu-west-3", Account: "210987654321"}
			if err := awsmeta.New(st).EnsureSpace(ctx, first); err != nil {
				t.Fatalf("first start: %v", err)
			}
			// Another node (a new Meta over the same store) with the same space.
			if err := awsmeta.New(st).EnsureSpace(ctx, first); err != nil {
				t.Fatalf("same space again: %v", err)
			}
			for _, other := range []arn.Space{{Region: "us-east-1", Account: first.Account}, {Region: first.Region, Account: "123456789012"}} {
				err := awsmeta.New(st).EnsureSpace(ctx, other)
				if !errors.Is(err, awsmeta.ErrSpaceChanged) {
					t.Fatalf("start with %+v: %v, want ErrSpaceChanged", other, err)
				}
				// The message says how to start the node instead.
				if !strings.Contains(err.Error(), "--aws-region eu-west-3 --aws-account 210987654321") {
					t.Errorf("message %q does not give the stored region and account", err)
				}
			}
		})
	}
}
