package worker_test

import (
	"context"
	"encoding/json"
	"log"
	"os"
	"os/signal"
	"time"

	"github.com/sfn-project/sfn/httpapi/worker"
)

// A kitchen tablet: it takes tasks of the activity "kitchen", cooks, and
// fails the task with a named error when an item is sold out, which the
// state's Catch can match.
func Example() {
	w, err := worker.New(worker.Config{
		Server:         "http://127.0.0.1:8080",
		Activity:       "kitchen",
		WorkerName:     "tablet-1",
		Token:          os.Getenv("SFN_TOKEN"),
		Concurrency:    4,
		HeartbeatEvery: 30 * time.Second, // the state has HeartbeatSeconds: 120
	})
	if err != nil {
		log.Fatal(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	err = w.Run(ctx, func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var order struct {
			OrderID string `json:"orderId"`
			Items   []struct {
				SKU string `json:"sku"`
			} `json:"items"`
		}
		if err := json.Unmarshal(input, &order); err != nil {
			return nil, err // fails the task as Worker.Error
		}
		for _, it := range order.Items {
			if it.SKU == "sold-out" {
				return nil, worker.Errorf("Kitchen.OutOfStock", "%s is sold out", it.SKU)
			}
		}
		return json.Marshal(map[string]any{"orderId": order.OrderID, "ready": true})
	})
	if err != nil {
		log.Fatal(err)
	}
}
