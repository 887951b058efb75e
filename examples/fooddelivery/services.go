package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"sync"
	"time"
)

// The small services the workflow calls. Each listens on its own port, as
// separate services would, and keeps what happened to each order so that
// the outcome can be checked against it.

// ledger is the services' shared memory of each order.
type ledger struct {
	mu            sync.Mutex
	charges       map[string]string // order -> APPROVED / DECLINED (at most one per order)
	chargeCalls   map[string]int    // order -> calls, including those answered 503
	outages       map[string]int    // order -> random 503s given (at most maxOutages)
	refunds       map[string]int    // order -> refunds taken (deduplicated: 1)
	confirmCalls  map[string]int    // order -> calls of the restaurant's /orders
	confirmations map[string]string // order -> "confirmed" / "rejected", once the callback was taken
	cancellations map[string]int
	cooked        map[string]int // order -> kitchen tasks finished
	delivered     map[string]int
	messages      map[string]int
	kitchenTaken  int // kitchen tasks handed to the worker
	// callbackMisses counts restaurant callbacks that found no sfn (refused
	// connection or 5xx) and were tried again.
	callbackMisses int
}

func newLedger() *ledger {
	return &ledger{charges: map[string]string{}, chargeCalls: map[string]int{}, refunds: map[string]int{},
		outages: map[string]int{}, confirmCalls: map[string]int{}, confirmations: map[string]string{}, cancellations: map[string]int{},
		cooked: map[string]int{}, delivered: map[string]int{}, messages: map[string]int{}}
}

func (l *ledger) update(f func(*ledger)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	f(l)
}

// progress is a snapshot of the counters the e2e test waits on.
type progress struct {
	ordersAtRestaurant, confirmed, kitchenTaken, callbackMisses int
}

func (l *ledger) progress() progress {
	l.mu.Lock()
	defer l.mu.Unlock()
	return progress{len(l.confirmCalls), len(l.confirmations), l.kitchenTaken, l.callbackMisses}
}

// services runs the payment, restaurant and notification services.
type services struct {
	ledger *ledger
	log    *slog.Logger
	sfn    *sfnClient // for the restaurant's callbacks
	flaky  float64    // share of payment calls answered 503

	Payment, Restaurant, Notify string // base URLs

	ctx     context.Context // ends the restaurant's pending callbacks
	cancel  context.CancelFunc
	servers []*http.Server
	pending sync.WaitGroup
}

func startServices(host string, sfn *sfnClient, flaky float64, log *slog.Logger) (*services, error) {
	ctx, cancel := context.WithCancel(context.Background())
	s := &services{ledger: newLedger(), log: log, sfn: sfn, flaky: flaky, ctx: ctx, cancel: cancel}
	routes := []struct {
		url *string
		mux map[string]http.HandlerFunc
	}{
		{&s.Payment, map[string]http.HandlerFunc{"POST /charges": s.charge, "POST /refunds": s.refund}},
		{&s.Restaurant, map[string]http.HandlerFunc{"POST /orders": s.order, "POST /cancellations": s.cancellation}},
		{&s.Notify, map[string]http.HandlerFunc{"POST /messages": s.message}},
	}
	for _, r := range routes {
		mux := http.NewServeMux()
		for pattern, h := range r.mux {
			mux.HandleFunc(pattern, h)
		}
		ln, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
		if err != nil {
			s.Close()
			return nil, err
		}
		srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		s.servers = append(s.servers, srv)
		go func() { _ = srv.Serve(ln) }()
		*r.url = "http://" + ln.Addr().String()
	}
	return s, nil
}

// Close stops the servers and waits for the restaurant's pending callbacks.
func (s *services) Close() {
	s.cancel()
	for _, srv := range s.servers {
		_ = srv.Close()
	}
	s.pending.Wait()
}

func readJSON(w http.ResponseWriter, r *http.Request, dst any) bool {
	if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(dst); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// charge takes the money, at most once per order whatever the retries: the
// request's idempotencyKey says which charge it is. Card methods decide the
// answer: card-down is a provider that is always unavailable, card-declined
// is refused; others are approved, after the random 503s of a provider
// that is sometimes down.
func (s *services) charge(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID        string  `json:"orderId"`
		Amount         float64 `json:"amount"`
		Method         string  `json:"method"`
		IdempotencyKey string  `json:"idempotencyKey"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	s.ledger.update(func(l *ledger) { l.chargeCalls[req.OrderID]++ })
	if req.Method == "card-down" || s.outage("charge-"+req.OrderID) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "payment provider unavailable"})
		return
	}
	status := "APPROVED"
	if req.Method == "card-declined" {
		status = "DECLINED"
	}
	s.ledger.update(func(l *ledger) {
		if prev, ok := l.charges[req.OrderID]; ok {
			status = prev // a retried or replayed call: the same answer, no second charge
			return
		}
		l.charges[req.OrderID] = status
	})
	var chargeID any // null when declined
	if status == "APPROVED" {
		chargeID = "ch-" + req.IdempotencyKey
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "chargeId": chargeID, "amount": req.Amount})
}

// maxOutages bounds the random 503s per call site and order below the
// definition's MaxAttempts, so that they test Retry without deciding the
// outcome (card-down is the order whose provider stays down).
const maxOutages = 2

// outage decides whether to answer a call with a random 503.
func (s *services) outage(key string) bool {
	down := false
	s.ledger.update(func(l *ledger) {
		if l.outages[key] < maxOutages && rand.Float64() < s.flaky {
			l.outages[key]++
			down = true
		}
	})
	return down
}

// refund gives the money back, once per order.
func (s *services) refund(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID  string `json:"orderId"`
		ChargeID any    `json:"chargeId"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if s.outage("refund-" + req.OrderID) {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"error": "payment provider unavailable"})
		return
	}
	s.ledger.update(func(l *ledger) { l.refunds[req.OrderID] = 1 })
	writeJSON(w, http.StatusOK, map[string]any{"refundId": "rf-" + req.OrderID, "chargeId": req.ChargeID})
}

// order is the restaurant receiving an order with a task token: it answers
// 202 at once and decides a moment later, by callback to sfn. Restaurant
// r-closed rejects every order.
func (s *services) order(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID      string `json:"orderId"`
		RestaurantID string `json:"restaurantId"`
		TaskToken    string `json:"taskToken"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	if req.TaskToken == "" {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "no taskToken"})
		return
	}
	s.ledger.update(func(l *ledger) { l.confirmCalls[req.OrderID]++ })
	writeJSON(w, http.StatusAccepted, map[string]any{"orderId": req.OrderID, "accepted": true})
	// Every call gets its callback: a replayed call carries the same token
	// (the second answer then gets 404) or a new one for a new attempt.
	s.pending.Go(func() {
		delay := 200*time.Millisecond + rand.N(time.Second)
		select {
		case <-time.After(delay): // the restaurant thinking it over
		case <-s.ctx.Done():
			return
		}
		verdict := "confirmed"
		var err error
		if req.RestaurantID == "r-closed" {
			verdict = "rejected"
			err = s.callback("/v1/tasks/failure", map[string]any{"taskToken": req.TaskToken,
				"error": "Restaurant.Rejected", "cause": "the restaurant is closed"})
		} else {
			err = s.callback("/v1/tasks/success", map[string]any{"taskToken": req.TaskToken,
				"output": map[string]any{"restaurantOrderId": "ro-" + req.OrderID, "etaMinutes": 25}})
		}
		switch {
		case err == nil:
			s.ledger.update(func(l *ledger) { l.confirmations[req.OrderID] = verdict })
		case errors.Is(err, errTokenGone):
			// Already answered under this token, or the task ended.
		default:
			s.log.Warn("restaurant callback not delivered", slog.String("order", req.OrderID), slog.Any("error", err))
		}
	})
}

func (s *services) cancellation(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID string `json:"orderId"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	s.ledger.update(func(l *ledger) { l.cancellations[req.OrderID]++ })
	writeJSON(w, http.StatusOK, map[string]any{"cancelled": true})
}

func (s *services) message(w http.ResponseWriter, r *http.Request) {
	var req struct {
		OrderID string `json:"orderId"`
		Text    string `json:"text"`
	}
	if !readJSON(w, r, &req) {
		return
	}
	s.ledger.update(func(l *ledger) { l.messages[req.OrderID]++ })
	writeJSON(w, http.StatusOK, map[string]any{"sent": true})
}

// errTokenGone is a callback answered 404: the token is unknown or its
// task is over.
var errTokenGone = errors.New("task token unknown or task over")

// callback posts a task result to sfn, retrying while sfn is unreachable
// or answers 5xx (it may be restarting) until the services stop or two
// minutes pass.
func (s *services) callback(path string, body any) error {
	data, err := json.Marshal(body)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(s.ctx, 2*time.Minute)
	defer cancel()
	wait := 50 * time.Millisecond
	for {
		status, _, err := s.sfn.do(ctx, http.MethodPost, path, "application/json", bytes.NewReader(data))
		switch {
		case err == nil && status == http.StatusOK:
			return nil
		case err == nil && status == http.StatusNotFound:
			return errTokenGone
		case err == nil && status < 500:
			return fmt.Errorf("sfn answered %d", status)
		}
		s.ledger.update(func(l *ledger) { l.callbackMisses++ })
		select {
		case <-ctx.Done():
			return fmt.Errorf("gave up: %w (last: %v, status %d)", ctx.Err(), err, status)
		case <-time.After(wait): // back-off between attempts
		}
		wait = min(2*wait, time.Second)
	}
}
