// Command fooddelivery runs the founding example of sfn end to end: the
// order workflow of food-delivery.yaml against small real services — a
// payment service that fails now and then (503, absorbed by Retry), a
// restaurant that confirms by callback with a task token, a kitchen and a
// courier that are activity workers, a notification endpoint — all in this
// one program, talking to a running `sfn serve`.
//
//	go run ./cmd/sfn serve &
//	go run ./examples/fooddelivery --server http://127.0.0.1:8080 --orders 20
//
// It deploys the definition, starts the orders, waits for each to end, and
// prints its outcome, checked against what the services saw and against
// its history. See README.md.
package main

import (
	"context"
	_ "embed"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"
)

//go:embed food-delivery.yaml
var definition []byte

type options struct {
	server, token, host, machine string
	orders                       int
	flaky                        float64
	timeout                      time.Duration
	verbose                      bool
}

func main() {
	var o options
	flag.StringVar(&o.server, "server", envOr("SFN_SERVER", "http://127.0.0.1:8080"), "sfn base URL (env SFN_SERVER)")
	flag.StringVar(&o.token, "token", os.Getenv("SFN_TOKEN"), "bearer token (admin or operator+worker) when sfn requires tokens (env SFN_TOKEN)")
	flag.StringVar(&o.host, "listen", "127.0.0.1", "host the services listen on (each on a free port); sfn must reach it")
	flag.StringVar(&o.machine, "machine", "food-delivery-example", "state machine name to deploy under")
	flag.IntVar(&o.orders, "orders", 10, "orders to place")
	flag.Float64Var(&o.flaky, "flaky", 0.3, "share of payment calls answered 503")
	flag.DurationVar(&o.timeout, "timeout", 3*time.Minute, "give up waiting for the orders after this long")
	flag.BoolVar(&o.verbose, "v", false, "log the workers' and services' retries")
	flag.Parse()

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	level := slog.LevelError
	if o.verbose {
		level = slog.LevelInfo
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: level}))
	if err := run(ctx, o, os.Stdout, log); err != nil {
		fmt.Fprintln(os.Stderr, "fooddelivery:", err)
		os.Exit(1)
	}
}

// demo is the services and workers around one sfn server.
type demo struct {
	sfn      *sfnClient
	svc      *services
	machine  string
	stopWork context.CancelFunc
	waitWork func()
}

func startDemo(o options, log *slog.Logger) (*demo, error) {
	sfn := &sfnClient{base: o.server, token: o.token, http: &http.Client{Timeout: 30 * time.Second}}
	svc, err := startServices(o.host, sfn, o.flaky, log)
	if err != nil {
		return nil, err
	}
	wctx, stopWork := context.WithCancel(context.Background())
	wait, err := startWorkers(wctx, sfn, svc.ledger, log)
	if err != nil {
		stopWork()
		svc.Close()
		return nil, err
	}
	return &demo{sfn: sfn, svc: svc, machine: o.machine, stopWork: stopWork, waitWork: wait}, nil
}

// Close stops the workers and the services and waits for them.
func (d *demo) Close() {
	d.stopWork()
	d.waitWork()
	d.svc.Close()
}

// placeOrders deploys the definition and starts n orders named order-001…
// under a run prefix (so that runs against the same server do not meet).
func (d *demo) placeOrders(ctx context.Context, prefix string, n int) ([]order, error) {
	if _, err := d.sfn.deploy(ctx, d.machine, definition); err != nil {
		return nil, err
	}
	orders := make([]order, n)
	for i := range orders {
		name := fmt.Sprintf("%s-%03d", prefix, i+1)
		e, err := d.sfn.start(ctx, d.machine, name, orderInput(i+1, d.svc))
		if err != nil {
			return nil, err
		}
		orders[i] = order{Name: name, ID: e.ExecutionID, Scenario: scenarioOf(i + 1)}
	}
	return orders, nil
}

// await polls each order until it ended; errors (sfn restarting) are
// retried until ctx ends.
func (d *demo) await(ctx context.Context, orders []order) ([]execution, error) {
	out := make([]execution, len(orders))
	for i, o := range orders {
		for {
			e, err := d.sfn.describe(ctx, o.ID)
			if err == nil && e.Status != "RUNNING" {
				out[i] = e
				break
			}
			select {
			case <-ctx.Done():
				return nil, fmt.Errorf("order %s not ended (last status %q, error %v): %w", o.Name, e.Status, err, ctx.Err())
			case <-time.After(100 * time.Millisecond): // polling sfn for the end
			}
		}
	}
	return out, nil
}

// verify reads each order's history and checks it; it returns a line per
// order and the problems found.
func (d *demo) verify(ctx context.Context, orders []order, ends []execution) (lines, problems []string, err error) {
	for i, o := range orders {
		h, err := d.sfn.history(ctx, o.ID)
		if err != nil {
			return nil, nil, err
		}
		lines = append(lines, fmt.Sprintf("%s %3d events", outcome(o, ends[i], d.svc.ledger), len(h)))
		for _, p := range check(o, ends[i], h, d.svc.ledger) {
			problems = append(problems, o.Name+": "+p)
		}
	}
	return lines, problems, nil
}

func run(ctx context.Context, o options, out io.Writer, log *slog.Logger) error {
	d, err := startDemo(o, log)
	if err != nil {
		return err
	}
	defer d.Close()
	fmt.Fprintf(out, "services: payment %s, restaurant %s, notify %s; workers: kitchen, courier\n", d.svc.Payment, d.svc.Restaurant, d.svc.Notify)
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	orders, err := d.placeOrders(ctx, "order-"+time.Now().UTC().Format("150405"), o.orders)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "placed %d orders on %s (state machine %s)\n", len(orders), o.server, o.machine)
	ends, err := d.await(ctx, orders)
	if err != nil {
		return err
	}
	lines, problems, err := d.verify(ctx, orders, ends)
	if err != nil {
		return err
	}
	fmt.Fprintln(out, strings.Join(lines, "\n"))
	ok := 0
	for _, e := range ends {
		if e.Status == "SUCCEEDED" {
			ok++
		}
	}
	fmt.Fprintf(out, "%d delivered, %d cancelled or compensated\n", ok, len(ends)-ok)
	if len(problems) > 0 {
		return fmt.Errorf("%d problems:\n  %s", len(problems), strings.Join(problems, "\n  "))
	}
	fmt.Fprintln(out, "every order ended as its scenario says, with a complete history")
	return nil
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}
