// Package worker is the Go client for sfn activity workers: it long-polls an
// activity (POST /v1/activities/{name}/poll), runs a handler for each task,
// sends heartbeats while the handler runs, and reports the result with
// POST /v1/tasks/success or /v1/tasks/failure.
//
// It speaks only the HTTP API (docs/api.md, "Tasks: activities and
// callbacks") and imports no sfn package, so a service can embed it without
// pulling in the engine.
//
// Delivery is at least once from the engine's side and at most once from
// the worker's: a task taken by a poll whose answer is lost (the worker or
// the server died in between) is not seen again by this worker. Give such
// states HeartbeatSeconds or TimeoutSeconds and a Retry on States.Timeout
// so that another poll gets the task again; an activity without either can
// wait forever, as on AWS.
package worker
