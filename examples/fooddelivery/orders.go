package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// scenario is what happens to an order, decided by its input.
type scenario struct {
	name     string
	refunded bool // money taken and given back
	failed   bool // false: delivered
	apply    func(in map[string]any)
}

// scenarios by order number modulo 10: half are delivered, the rest fail
// before or after the charge. The payment service's random 503s come on top.
var scenarios = map[int]scenario{
	3: {name: "restaurant rejects", failed: true, apply: func(in map[string]any) {
		in["restaurant"].(map[string]any)["id"] = "r-closed"
	}},
	5: {name: "card declined", failed: true, apply: func(in map[string]any) {
		in["payment"].(map[string]any)["method"] = "card-declined"
	}},
	7: {name: "payment provider down", failed: true, apply: func(in map[string]any) {
		in["payment"].(map[string]any)["method"] = "card-down"
	}},
	8: {name: "item sold out", failed: true, refunded: true, apply: func(in map[string]any) {
		in["items"] = append(in["items"].([]any), map[string]any{"sku": "sold-out", "name": "Tiramisu", "quantity": 1})
	}},
	9: {name: "address unknown", failed: true, refunded: true, apply: func(in map[string]any) {
		in["customer"].(map[string]any)["address"] = "nowhere"
	}},
}

var delivered = scenario{name: "delivered", apply: func(map[string]any) {}}

func scenarioOf(i int) scenario {
	if s, ok := scenarios[i%10]; ok {
		return s
	}
	return delivered
}

// order is one started order.
type order struct {
	Name     string
	ID       string // execution id
	Scenario scenario
}

// orderInput builds order i's execution input.
func orderInput(i int, s *services) map[string]any {
	in := map[string]any{
		"customer":   map[string]any{"id": fmt.Sprintf("c-%d", i), "phone": "+4712345678", "address": "Storgata 1, Oslo"},
		"restaurant": map[string]any{"id": "r-3"},
		"items": []any{
			map[string]any{"sku": "pz-margherita", "name": "Pizza Margherita", "quantity": 2},
			map[string]any{"sku": "dr-cola", "name": "Cola", "quantity": 1},
		},
		"payment":             map[string]any{"method": "card-on-file", "amount": 31.5, "currency": "EUR"},
		"courierDelaySeconds": 1,
		"services":            map[string]any{"payment": s.Payment, "restaurant": s.Restaurant, "notify": s.Notify},
	}
	scenarioOf(i).apply(in)
	return in
}

// check compares an ended order with its scenario, the services' ledger and
// its history; it returns every problem found.
func check(o order, e execution, h []event, l *ledger) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	p = append(p, checkHistory(h)...)

	exited := map[string]int{}
	for _, ev := range h {
		if strings.HasSuffix(ev.Type, "StateExited") {
			exited[ev.Name]++
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	charge, refunds := l.charges[o.Name], l.refunds[o.Name]
	switch {
	case !o.Scenario.failed:
		if e.Status != "SUCCEEDED" {
			bad("status %s (%s: %s), want SUCCEEDED", e.Status, e.Error, e.Cause)
		}
		for _, s := range []string{"ConfirmWithRestaurant", "ChargePayment", "PrepareInKitchen", "DeliverOrder", "NotifyDelivered"} {
			if exited[s] != 1 {
				bad("state %s exited %d times, want once", s, exited[s])
			}
		}
		if charge != "APPROVED" || refunds != 0 || l.delivered[o.Name] == 0 {
			bad("ledger: charge %q, refunds %d, deliveries %d; want APPROVED, 0, at least 1", charge, refunds, l.delivered[o.Name])
		}
	default:
		if e.Status != "FAILED" || e.Error != "OrderFailed" {
			bad("status %s error %s (%s), want FAILED OrderFailed", e.Status, e.Error, e.Cause)
		}
		if exited["CancelOrder"] != 1 || l.cancellations[o.Name] == 0 {
			bad("not cancelled: CancelOrder exited %d times, restaurant saw %d cancellations", exited["CancelOrder"], l.cancellations[o.Name])
		}
		if o.Scenario.refunded {
			if charge != "APPROVED" || refunds != 1 || exited["RefundPayment"] != 1 {
				bad("not compensated: charge %q, refunds %d, RefundPayment exited %d times", charge, refunds, exited["RefundPayment"])
			}
		} else if charge == "APPROVED" || refunds != 0 || exited["RefundPayment"] != 0 {
			bad("money moved before a failure that should come first: charge %q, refunds %d", charge, refunds)
		}
	}
	return p
}

// checkHistory checks that a history is complete and gapless: ids 1..n,
// opened by ExecutionStarted and closed by one final Execution… event,
// each event after the one it follows, in time too, no state left more
// often than entered, every task attempt ended.
func checkHistory(h []event) []string {
	var p []string
	bad := func(format string, args ...any) { p = append(p, fmt.Sprintf(format, args...)) }
	if len(h) == 0 {
		return []string{"empty history"}
	}
	final := []string{"ExecutionSucceeded", "ExecutionFailed", "ExecutionTimedOut", "ExecutionAborted"}
	if h[0].Type != "ExecutionStarted" {
		bad("first event %s", h[0].Type)
	}
	if !slices.Contains(final, h[len(h)-1].Type) {
		bad("last event %s", h[len(h)-1].Type)
	}
	stamps := make([]time.Time, len(h)+1)
	open := map[string]int{} // state name -> entered minus left
	tasks := 0               // scheduled minus ended attempts
	for i, ev := range h {
		if ev.ID != i+1 {
			bad("event %d has id %d: a gap or a duplicate", i+1, ev.ID)
			return p
		}
		if i > 0 && slices.Contains(final, ev.Type) && i != len(h)-1 {
			bad("%s at %d is not the last event", ev.Type, ev.ID)
		}
		if (i == 0) != (ev.Previous == 0) || ev.Previous >= ev.ID || ev.Previous < 0 {
			bad("event %d follows %d", ev.ID, ev.Previous)
		}
		ts, err := time.Parse(time.RFC3339Nano, ev.Timestamp)
		if err != nil {
			bad("event %d: timestamp %q", ev.ID, ev.Timestamp)
		}
		stamps[ev.ID] = ts
		if ev.Previous > 0 && ts.Before(stamps[ev.Previous]) {
			bad("event %d (%s) is earlier than event %d it follows", ev.ID, ev.Timestamp, ev.Previous)
		}
		switch {
		case ev.Type == "FailStateEntered":
		case strings.HasSuffix(ev.Type, "StateEntered"):
			open[ev.Name]++
		case strings.HasSuffix(ev.Type, "StateExited"), strings.HasSuffix(ev.Type, "StateAborted"):
			open[ev.Name]--
		case ev.Type == "TaskScheduled", ev.Type == "ActivityScheduled":
			tasks++
		case slices.Contains([]string{"TaskSucceeded", "TaskFailed", "TaskTimedOut",
			"ActivitySucceeded", "ActivityFailed", "ActivityTimedOut"}, ev.Type):
			tasks--
		}
	}
	for name, n := range open {
		// A state whose error is caught further out (a branch's task, say)
		// ends without an Exited event; one left more often than entered
		// means an event was written twice.
		if n < 0 {
			bad("state %s left %d times more than entered", name, -n)
		}
	}
	if tasks != 0 {
		bad("%d task attempts scheduled but never ended", tasks)
	}
	return p
}

// outcome is a line about an ended order.
func outcome(o order, e execution, l *ledger) string {
	l.mu.Lock()
	defer l.mu.Unlock()
	what := "delivered"
	if e.Status != "SUCCEEDED" {
		what = "cancelled, nothing charged"
		if l.refunds[o.Name] > 0 {
			what = "compensated: charged, refunded, cancelled"
		}
	}
	took := ""
	if a, err1 := time.Parse(time.RFC3339Nano, e.StartedAt); err1 == nil {
		if b, err2 := time.Parse(time.RFC3339Nano, e.StoppedAt); err2 == nil {
			took = b.Sub(a).Round(10 * time.Millisecond).String()
		}
	}
	return fmt.Sprintf("%-10s %-22s %-10s %-12s %-42s charge calls %d, %s", o.Name, o.Scenario.name, e.Status, e.Error, what, l.chargeCalls[o.Name], took)
}
