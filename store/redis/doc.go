// Package redis is the production store: store.Store and store.Leaser on
// Redis (standalone or Cluster) through github.com/redis/go-redis/v9.
//
// Executions hash into a fixed number of partitions; every key of an
// execution carries its partition's hash tag, so each change is one Lua
// script on one Cluster slot. README.md describes the key layout, the
// scripts, the partition and lease scheme and the alternatives considered.
package redis
