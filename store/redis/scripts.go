package redis

import (
	"context"
	"embed"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed scripts/*.lua
var scriptFiles embed.FS

func script(name string) *goredis.Script {
	src, err := scriptFiles.ReadFile("scripts/" + name + ".lua")
	if err != nil {
		panic("redis store: missing embedded script " + name) // a build defect, caught by every test
	}
	return goredis.NewScript(string(src))
}

// The scripts; each file's header names its KEYS, ARGV and result.
var (
	createScript        = script("create")
	commitScript        = script("commit")
	historyScript       = script("history")
	putMachineScript    = script("put_state_machine")
	getMachineScript    = script("get_state_machine")
	deleteMachineScript = script("delete_state_machine")
	acquireScript       = script("lease_acquire")
	renewScript         = script("lease_renew")
	releaseScript       = script("lease_release")
	expireScript        = script("expire")
	dropScript          = script("drop")
	recountOpenScript   = script("recount_open")
	readChangesScript   = script("read_changes")
)

// runPipelined runs one script many times in one pipeline, by hash, and
// loads it (on every shard) when Redis does not know it yet. Only for
// scripts that are safe to run twice.
func runPipelined(ctx context.Context, c goredis.UniversalClient, sc *goredis.Script, calls [][]string, args [][]any) ([]*goredis.Cmd, error) {
	run := func(eval bool) ([]*goredis.Cmd, error) {
		pipe := c.Pipeline()
		cmds := make([]*goredis.Cmd, len(calls))
		for i := range calls {
			if eval {
				cmds[i] = sc.Eval(ctx, pipe, calls[i], args[i]...)
			} else {
				cmds[i] = sc.EvalSha(ctx, pipe, calls[i], args[i]...)
			}
		}
		_, err := pipe.Exec(ctx)
		return cmds, err
	}
	cmds, err := run(false)
	if err != nil && isNoScript(err) {
		cmds, err = run(true)
	}
	if err != nil && !errors.Is(err, goredis.Nil) {
		return nil, err
	}
	return cmds, nil
}

func isNoScript(err error) bool {
	return err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT")
}
