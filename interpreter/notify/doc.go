// Package notify tells others when executions change status. The store's
// change log (store.ChangeLog), written by the same commit that changes a
// status, is the outbox; this package reads it and
//
//   - delivers webhooks: HTTP endpoints (documents of kind "webhook") that
//     receive AWS EventBridge's "Step Functions Execution Status Change"
//     event, signed with HMAC-SHA256, at least once and in order per
//     execution, retried with exponential back-off and then kept as dead
//     letters that can be delivered again. One node delivers each
//     endpoint: the holder of the partition its name hashes to.
//   - serves the same events to readers of the stream of all executions
//     (Read, Watch), resumable from any entry's cursor.
//
// docs/notifications.md describes the behaviour for users.
package notify
