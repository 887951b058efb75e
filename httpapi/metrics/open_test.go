package metrics_test

import (
	"context"
	"net/http"
	"strconv"
	"testing"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
	"github.com/sfn-project/sfn/store/redis/redistest"
)

// TestOpenExecutionsKeptCounts: on a store that keeps the open counts
// (memory with leases, Redis), the gauge reads them, one small query per
// partition, and recounts them only on its first read and every Recount
// (an hour by default).
func TestOpenExecutionsKeptCounts(t *testing.T) {
	t.Parallel()
	for name, open := range map[string]func(t *testing.T) store.Store{
		"memory": func(*testing.T) store.Store { return memory.WithLeases(memory.New(), 16) },
		"redis": func(t *testing.T) store.Store {
			st, err := redisstore.New(context.Background(), redisstore.Options{URL: redistest.URL(t), Partitions: 16, Prefix: "open-" + t.Name()})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { st.Close() })
			return st
		},
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			n := setup(t, open(t), nil)
			n.do(t, http.MethodPut, "/v1/state-machines/waiter", waitDef)
			var ids []string
			for i := range 5 {
				m := n.do(t, http.MethodPost, "/v1/state-machines/waiter/executions", `{"name":"w`+strconv.Itoa(i)+`"}`)
				ids = append(ids, m["executionId"].(string))
			}
			n.do(t, http.MethodPost, "/v1/executions/"+ids[0]+"/stop", "")
			const series = `sfn_executions_open{state_machine="waiter"}`
			const recounts = `sfn_store_operation_duration_seconds_count{op="recount_open"}`
			const reads = `sfn_store_operation_duration_seconds_count{op="open_counts"}`
			// The gauge's first read (at its start) recounted; later ones
			// read the kept counts, one query per partition.
			before := n.scrape(t)
			n.open.Refresh(context.Background())
			got := n.scrape(t)
			if got[series] != 4 {
				t.Errorf("%s = %v, want 4", series, got[series])
			}
			if d, r := got[recounts]-before[recounts], got[reads]-before[reads]; d != 0 || r != 16 {
				t.Errorf("a read: %v recounts and %v reads of the 16 partitions' counts, want 0 and 16", d, r)
			}
			n.do(t, http.MethodPost, "/v1/executions/"+ids[1]+"/stop", "")
			n.open.Refresh(context.Background())
			if got := n.scrape(t)[series]; got != 3 {
				t.Errorf("after a stop: %s = %v, want 3 (kept by the commit)", series, got)
			}
		})
	}
}
