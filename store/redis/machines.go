package redis

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// PutStateMachine implements store.Store.
func (s *Store) PutStateMachine(ctx context.Context, sm store.StateMachine) (store.StateMachine, store.PutResult, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := putMachineScript.Run(ctx, s.client, []string{s.keys.machine(sm.Name), s.keys.machines()},
		sm.Name, sm.DefinitionSHA256, sm.Definition, nanos(sm.UpdatedAt), sm.Source, sm.SourceFormat).Slice()
	if err != nil {
		return store.StateMachine{}, 0, fmt.Errorf("redis store: put state machine %q: %w", sm.Name, err)
	}
	if len(res) != 7 {
		return store.StateMachine{}, 0, fmt.Errorf("redis store: put state machine %q: unexpected reply %v", sm.Name, res)
	}
	outcome, _ := res[0].(int64)
	version, _ := res[1].(int64)
	out, err := machineOf(sm.Name, version, res[2], sm.DefinitionSHA256, res[4], res[3], res[5], res[6])
	if err != nil {
		return store.StateMachine{}, 0, fmt.Errorf("redis store: put state machine %q: %w", sm.Name, err)
	}
	if outcome == 2 {
		return out, store.Unchanged, nil
	}
	if outcome == 0 {
		return out, store.Created, nil
	}
	return out, store.NewVersion, nil
}

func machineOf(name string, version int64, created any, sha string, def, updated, src, format any) (store.StateMachine, error) {
	str := func(v any) string { s, _ := v.(string); return s }
	c, err := parseNanos(str(created))
	if err != nil {
		return store.StateMachine{}, err
	}
	u, err := parseNanos(str(updated))
	if err != nil {
		return store.StateMachine{}, err
	}
	return store.StateMachine{Name: name, Version: int(version), DefinitionSHA256: sha,
		Definition: bytesOf(str(def)), Source: bytesOf(str(src)), SourceFormat: str(format), CreatedAt: c, UpdatedAt: u}, nil
}

// GetStateMachine implements store.Store.
func (s *Store) GetStateMachine(ctx context.Context, name string, version int) (store.StateMachine, error) {
	return s.getMachine(ctx, name, version, false)
}

// GetStateMachineVersion implements store.Store.
func (s *Store) GetStateMachineVersion(ctx context.Context, name string, version int) (store.StateMachine, error) {
	return s.getMachine(ctx, name, version, true)
}

func (s *Store) getMachine(ctx context.Context, name string, version int, deletedToo bool) (store.StateMachine, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	all := "0"
	if deletedToo {
		all = "1"
	}
	res, err := s.batch.run(ctx, getMachineScript, []string{s.keys.machine(name)}, []any{strconv.Itoa(version), all}).Slice()
	if errors.Is(err, goredis.Nil) {
		return store.StateMachine{}, fmt.Errorf("redis store: state machine %q version %d: %w", name, version, store.ErrNotFound)
	}
	if err != nil {
		return store.StateMachine{}, fmt.Errorf("redis store: state machine %q: %w", name, err)
	}
	return decodeMachine(name, res)
}

// decodeMachine reads get_state_machine.lua's reply.
func decodeMachine(name string, res []any) (store.StateMachine, error) {
	if len(res) != 7 {
		return store.StateMachine{}, fmt.Errorf("redis store: state machine %q: unexpected reply %v", name, res)
	}
	v, _ := res[0].(int64)
	sha, _ := res[2].(string)
	sm, err := machineOf(name, v, res[1], sha, res[3], res[4], res[5], res[6])
	if err != nil {
		return store.StateMachine{}, fmt.Errorf("redis store: state machine %q: %w", name, err)
	}
	return sm, nil
}

// ListStateMachines implements store.Store: names in byte order; the
// cursor is the last name returned.
func (s *Store) ListStateMachines(ctx context.Context, cursor string, limit int) ([]store.StateMachine, string, error) {
	min := "-"
	if cursor != "" {
		b, err := base64.RawURLEncoding.DecodeString(cursor)
		if err != nil || len(b) == 0 {
			return nil, "", fmt.Errorf("redis store: malformed cursor: %w", store.ErrInvalidCursor)
		}
		min = "(" + string(b)
	}
	ctx, cancel := s.bound(ctx)
	defer cancel()
	by := &goredis.ZRangeBy{Min: min, Max: "+"}
	if limit > 0 {
		by.Count = int64(limit) + 1
	}
	names, err := s.client.ZRangeByLex(ctx, s.keys.machines(), by).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis store: list state machines: %w", err)
	}
	next := ""
	if limit > 0 && len(names) > limit {
		names = names[:limit]
		next = base64.RawURLEncoding.EncodeToString([]byte(names[limit-1]))
	}
	if len(names) == 0 {
		return nil, next, nil
	}
	calls, args := make([][]string, len(names)), make([][]any, len(names))
	for i, n := range names {
		calls[i], args[i] = []string{s.keys.machine(n)}, []any{"0", "0"}
	}
	cmds, err := runPipelined(ctx, s.client, getMachineScript, calls, args)
	if err != nil {
		return nil, "", fmt.Errorf("redis store: list state machines: %w", err)
	}
	out := make([]store.StateMachine, 0, len(names))
	for i, c := range cmds {
		res, err := c.Slice()
		if errors.Is(err, goredis.Nil) {
			continue // deleted since the names were read
		}
		if err != nil {
			return nil, "", fmt.Errorf("redis store: list state machines: %w", err)
		}
		sm, err := decodeMachine(names[i], res)
		if err != nil {
			return nil, "", err
		}
		out = append(out, sm)
	}
	return out, next, nil
}

// DeleteStateMachine implements store.Store.
func (s *Store) DeleteStateMachine(ctx context.Context, name string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	n, err := deleteMachineScript.Run(ctx, s.client, []string{s.keys.machine(name), s.keys.machines()}, name).Int()
	if err != nil {
		return fmt.Errorf("redis store: delete state machine %q: %w", name, err)
	}
	if n == 0 {
		return fmt.Errorf("redis store: state machine %q: %w", name, store.ErrNotFound)
	}
	return nil
}
