package redis

import (
	"strconv"
	"strings"
)

// keys builds every Redis key and channel of a store; nothing else in the
// package writes a key name.
//
// Execution keys live under their partition's hash tag, <prefix>:{p<N>}:,
// so that a script touching an execution's record, history, name, timers,
// indexes, activity queues and lease stays in one Cluster slot. State
// machines share one tag, <prefix>:{sm}:, so that listing them is one
// sorted set.
type keys struct {
	prefix string
}

// escape keeps a name from forging another key's shape: ":" separates key
// parts, "%" escapes. Names the engine accepts ([A-Za-z0-9_-]) pass as they are.
var escaper = strings.NewReplacer("%", "%25", ":", "%3A")

func escape(s string) string { return escaper.Replace(s) }

// partition is the common start of a partition's keys; commit.lua builds
// the status index keys from it.
func (k keys) partition(p int) string {
	return k.prefix + ":{p" + strconv.Itoa(p) + "}:"
}

func (k keys) record(p int, id string) string  { return k.partition(p) + "x:" + id }
func (k keys) history(p int, id string) string { return k.partition(p) + "h:" + id }

func (k keys) name(p int, sm, name string) string {
	return k.partition(p) + "n:" + escape(sm) + ":" + escape(name)
}

func (k keys) due(p int) string { return k.partition(p) + "due" }

// inflight is the partition's set of executions with task calls in flight
// (store.PartitionQueries.InFlight).
func (k keys) inflight(p int) string { return k.partition(p) + "inflight" }

// open counts the partition's RUNNING executions per state machine.
func (k keys) open(p int) string { return k.partition(p) + "open" }

// rebuilt holds the release that last rebuilt the partition's in-flight set
// and open counts.
func (k keys) rebuilt(p int) string { return k.partition(p) + "rebuilt" }

// ended lists a partition's finished executions by stop time, for retention.
func (k keys) ended(p int) string { return k.partition(p) + "ended" }

// index is the listing index of a partition for a filter: all, by state
// machine, by state machine and status, or by status alone.
func (k keys) index(p int, sm, status string) string {
	switch {
	case sm == "" && status == "":
		return k.partition(p) + "ix"
	case status == "":
		return k.partition(p) + "ix:" + escape(sm)
	case sm == "":
		return k.partition(p) + "ixs:" + status
	default:
		return k.partition(p) + "ix:" + escape(sm) + ":" + status
	}
}

// changes is the partition's change log (store.ChangeLog): a stream of
// status changes, appended by create.lua and commit.lua.
func (k keys) changes(p int) string { return k.partition(p) + "changes" }

func (k keys) activity(p int, activity string) string {
	return k.partition(p) + "act:" + escape(activity)
}

// activityHint is the set of partitions that may have queued tasks of an
// activity (see PopActivity). It has its own hash tag per activity, so the
// hints of different activities spread over the shards; it cannot share a
// slot with the queues, which are in their executions' partitions.
func (k keys) activityHint(activity string) string {
	return k.prefix + ":{act:" + escape(activity) + "}"
}

func (k keys) lease(p int) string { return k.partition(p) + "lease" }

// channel is the partition's notice channel; its hash tag puts it on the
// partition's shard for SPUBLISH on Cluster.
func (k keys) channel(p int) string { return k.partition(p) + "notify" }

// statusChannel carries the partition's status changes only (commit.lua
// builds the same name from the partition prefix).
func (k keys) statusChannel(p int) string { return k.partition(p) + "status" }

func (k keys) machine(name string) string { return k.prefix + ":{sm}:m:" + name }
func (k keys) machines() string           { return k.prefix + ":{sm}:names" }

// config holds the store's fixed settings (the partition count), checked
// by every node at start.
func (k keys) config() string { return k.prefix + ":{sm}:config" }
