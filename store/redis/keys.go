package redis

import (
	"strconv"
	"strings"

	"github.com/sfn-project/sfn/store"
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

// ended lists a partition's finished executions by stop time, for retention.
func (k keys) ended(p int) string { return k.partition(p) + "ended" }

// index is the listing index of a partition for one status, of one state
// machine or (sm "") of all. An execution is in two: by state machine and
// status, and by status. Listings without a status read every status's
// index (statuses); no index of all or by state machine alone is kept,
// which saves two sorted-set writes on every start (earlier development
// builds wrote "ix" and "ix:<sm>" too; expire.lua still clears them).
func (k keys) index(p int, sm, status string) string {
	if sm == "" {
		return k.partition(p) + "ixs:" + status
	}
	return k.partition(p) + "ix:" + escape(sm) + ":" + status
}

// statuses are the statuses an execution can have, one listing index each.
var statuses = []string{store.StatusRunning, store.StatusSucceeded, store.StatusFailed, store.StatusTimedOut, store.StatusAborted}

// indexes are the listing indexes a filter reads in partition p: its
// status's, or every status's when it has none.
func (k keys) indexes(p int, sm, status string) []string {
	if status != "" {
		return []string{k.index(p, sm, status)}
	}
	out := make([]string, len(statuses))
	for i, st := range statuses {
		out[i] = k.index(p, sm, st)
	}
	return out
}

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

func (k keys) machine(name string) string { return k.prefix + ":{sm}:m:" + name }
func (k keys) machines() string           { return k.prefix + ":{sm}:names" }

// config holds the store's fixed settings (the partition count), checked
// by every node at start.
func (k keys) config() string { return k.prefix + ":{sm}:config" }
