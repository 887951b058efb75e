// Package schedule starts executions on a schedule (issue 19): expressions
// in EventBridge Scheduler's syntax (cron, rate, at) evaluated in an IANA
// time zone, with start and end dates, a flexible time window, Temporal's
// overlap policies and catch-up window, pause, trigger and backfill.
//
// expr.go and cron.go parse expressions; plan.go computes slots (the
// instants a schedule fires at) with EventBridge's daylight-saving rules;
// spec.go is what a user defines; record.go is the stored document (spec
// and state, compare-and-set, versioned); decide.go is the pure decision of
// what to do with due slots; runner.go fires the schedules this node owns;
// service.go is what the API calls.
//
// Each slot fires exactly once across nodes: only the node that holds the
// schedule's partition fires it (checked again right before the start), the
// execution is named by schedule and slot so that a repeated fire finds the
// execution the first one started, and the schedule's state moves by
// compare-and-set on its document, carrying the owner's fence.
package schedule
