package redis

import (
	"context"
	"embed"
	"errors"
	"strings"

	goredis "github.com/redis/go-redis/v9"
)

//go:embed scripts/*.lua scripts/lib/*.lua
var scriptFiles embed.FS

// script is scripts/<name>.lua after the pieces it uses,
// scripts/lib/<lib>.lua (local functions that more than one script calls):
// prepended, so that each script is still one source, run by one EVAL,
// atomically.
func script(name string, libs ...string) *goredis.Script {
	var src strings.Builder
	for _, lib := range libs {
		src.Write(scriptFile("lib/" + lib))
	}
	src.Write(scriptFile(name))
	return goredis.NewScript(src.String())
}

func scriptFile(name string) []byte {
	src, err := scriptFiles.ReadFile("scripts/" + name + ".lua")
	if err != nil {
		panic("redis store: missing embedded script " + name) // a build defect, caught by every test
	}
	return src
}

// The scripts; each file's header names its KEYS, ARGV and result.
var (
	createScript        = script("create", "changelog")
	commitScript        = script("commit", "changelog")
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
