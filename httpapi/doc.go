// Package httpapi serves the REST API of sfn (docs/api.md) over an
// interpreter.Engine: state machines and their versions, executions, history,
// activity polls and task tokens, Server-Sent Events, health, metrics and the
// OpenAPI document. Every error answer goes through errors.go, so the status
// codes and the JSON error body are decided in one place.
package httpapi
