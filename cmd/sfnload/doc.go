// Command sfnload is a load generator for sfn serve: it measures how many
// executions a server starts per second over keep-alive connections, how many
// http:invoke tasks it completes per second against a fast local endpoint,
// and how many activity tasks it completes per second with a pool of
// workers. Each mode deploys what it needs (unless told a state machine),
// runs for a fixed duration and prints one report; it exits 1 when any
// request failed, so a benchmark script cannot mistake errors for speed.
//
// The activity workers and the HTTP tasks' endpoint speak HTTP/1.1 on raw
// keep-alive connections (raw.go), which costs a fraction of net/http's
// CPU per request: on a small machine the load generator shares the cores
// with sfn and Redis. --raw=false uses net/http for them.
//
//	sfnload starts     --server URL --conns 64 --duration 10s [--state-machine NAME] [--input JSON]
//	sfnload http-tasks --server URL --executions 256 [--tasks 50] --duration 10s [--raw=false]
//	sfnload activities --server URL --workers 16 --inflight 256 [--tasks 20] --duration 10s [--raw=false]
package main
