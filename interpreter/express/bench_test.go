package express_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/express"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// BenchmarkEngineExpressVsStandard is BenchmarkExpressVsStandard
// (httpapi/awsjson) without HTTP: a three-Pass machine run to its end in
// process, as an EXPRESS run (Runner.StartSync) and as a STANDARD
// execution (Engine.StartExecution, whose first step already ends it),
// on the memory store and on Redis (appendfsync everysec). The EXPRESS
// start names its version, as StartSyncExecution does (it remembers the
// latest version briefly, as the engine does for STANDARD starts). The HTTP
// benchmark's ratio is this one diluted by the cost of HTTP, which both
// paths pay.
func BenchmarkEngineExpressVsStandard(b *testing.B) {
	stores := []struct {
		name string
		open func(b *testing.B) store.Store
	}{
		{"memory", func(*testing.B) store.Store { return memory.New() }},
		{"redis", func(b *testing.B) store.Store {
			url := redistest.Server(b, "--appendonly", "yes", "--appendfsync", "everysec")
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: url, Prefix: fmt.Sprintf("bench%d", time.Now().UnixNano())})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = st.Close() })
			return st
		}},
	}
	ctx := context.Background()
	input := json.RawMessage(`{"n":1}`)
	for _, s := range stores {
		b.Run("store="+s.name, func(b *testing.B) {
			st := s.open(b)
			eng := interpreter.New(interpreter.Config{Store: st})
			if err := eng.Start(ctx); err != nil {
				b.Fatal(err)
			}
			if _, err := eng.PutStateMachine(ctx, "passes", []byte(threePasses), dsl.JSON); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(eng.Stop)
			r := express.New(express.Config{Store: st})
			if err := r.Start(ctx); err != nil {
				b.Fatal(err)
			}
			b.Cleanup(r.Stop)
			b.Run("express=sync", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						res, err := r.StartSync(ctx, express.Start{StateMachine: "passes", Version: 1, Input: input})
						if err != nil || res.Status != store.StatusSucceeded {
							b.Errorf("%v %+v", err, res)
							return
						}
					}
				})
			})
			b.Run("standard=start", func(b *testing.B) {
				b.ReportAllocs()
				b.RunParallel(func(pb *testing.PB) {
					for pb.Next() {
						ex, _, err := eng.StartExecution(ctx, interpreter.StartParams{StateMachine: "passes", Input: input})
						if err != nil || ex.Status != store.StatusSucceeded {
							b.Errorf("%v %+v", err, ex)
							return
						}
					}
				})
			})
		})
	}
}
