package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/sfn-project/sfn/httpapi/worker"
)

// The kitchen and the courier are activity workers on httpapi/worker.

// startWorkers runs the kitchen and courier workers until ctx ends; wait
// returns when both stopped.
func startWorkers(ctx context.Context, sfn *sfnClient, l *ledger, log *slog.Logger) (wait func(), err error) {
	mk := func(activity string) (*worker.Worker, error) {
		return worker.New(worker.Config{Server: sfn.base, Token: sfn.token, Activity: activity,
			WorkerName: activity + "-1", Concurrency: 16, HeartbeatEvery: 2 * time.Second,
			PollWait: 10 * time.Second, MaxBackoff: time.Second, Logger: log})
	}
	kitchen, err := mk("kitchen")
	if err != nil {
		return nil, err
	}
	courier, err := mk("courier")
	if err != nil {
		return nil, err
	}
	var wg sync.WaitGroup
	for _, w := range []struct {
		w *worker.Worker
		h worker.Handler
	}{{kitchen, cook(l)}, {courier, deliver(l)}} {
		wg.Go(func() {
			if err := w.w.Run(ctx, w.h); err != nil {
				log.Error("worker stopped", slog.Any("error", err))
			}
		})
	}
	return wg.Wait, nil
}

// busy stands for work that takes a while; it gives up when ctx ends.
func busy(ctx context.Context, min, spread time.Duration) error {
	select {
	case <-time.After(min + rand.N(spread)):
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// cook prepares an order; an item with SKU "sold-out" fails the task with
// Kitchen.OutOfStock (the Parallel's Catch then refunds).
func cook(l *ledger) worker.Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var t struct {
			OrderID string `json:"orderId"`
			Items   []struct {
				SKU      string `json:"sku"`
				Quantity int    `json:"quantity"`
			} `json:"items"`
		}
		if err := json.Unmarshal(input, &t); err != nil {
			return nil, err
		}
		l.update(func(l *ledger) { l.kitchenTaken++ })
		if err := busy(ctx, 300*time.Millisecond, 700*time.Millisecond); err != nil {
			return nil, err
		}
		dishes := 0
		for _, it := range t.Items {
			if it.SKU == "sold-out" {
				return nil, worker.Errorf("Kitchen.OutOfStock", "order %s: item %s is sold out", t.OrderID, it.SKU)
			}
			dishes += it.Quantity
		}
		l.update(func(l *ledger) { l.cooked[t.OrderID]++ })
		return json.Marshal(map[string]any{"orderId": t.OrderID, "dishes": dishes, "station": "grill-2"})
	}
}

// deliver takes the packages to the customer; the address "nowhere" fails
// with Courier.AddressNotFound.
func deliver(l *ledger) worker.Handler {
	return func(ctx context.Context, input json.RawMessage) (json.RawMessage, error) {
		var t struct {
			OrderID string `json:"orderId"`
			Address string `json:"address"`
		}
		if err := json.Unmarshal(input, &t); err != nil {
			return nil, err
		}
		if err := busy(ctx, 100*time.Millisecond, 400*time.Millisecond); err != nil {
			return nil, err
		}
		if t.Address == "nowhere" {
			return nil, worker.Errorf("Courier.AddressNotFound", "order %s: no such address %q", t.OrderID, t.Address)
		}
		l.update(func(l *ledger) { l.delivered[t.OrderID]++ })
		return json.Marshal(map[string]any{"orderId": t.OrderID, "courier": "bike-7", "handedTo": "customer"})
	}
}
