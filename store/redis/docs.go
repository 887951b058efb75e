package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// Documents (store.Docs) share the state machines' hash tag, <prefix>:{sm}:,
// as the attributes they keep belong with those machines: a document's
// hash and its kind's name index are in one Cluster slot, so put_doc.lua
// and delete_doc.lua change both at once, and a later script could change
// a machine and its documents together. They are few and small, so one
// shard holds them all.
//
// The kind is escaped because the name follows it; the name is the key's
// last part and is kept as it is.
func (k keys) doc(kind, name string) string { return k.prefix + ":{sm}:d:" + escape(kind) + ":" + name }
func (k keys) docNames(kind string) string  { return k.prefix + ":{sm}:dn:" + escape(kind) }

// The documents' scripts; each file's header names its KEYS, ARGV and result.
var (
	putDocScript    = script("put_doc")
	deleteDocScript = script("delete_doc")
)

// GetDoc implements store.Docs.
func (s *Store) GetDoc(ctx context.Context, kind, name string) (store.Doc, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := s.client.HMGet(ctx, s.keys.doc(kind, name), "rev", "data").Result()
	if err != nil {
		return store.Doc{}, fmt.Errorf("redis store: document %s/%s: %w", kind, name, err)
	}
	return decodeDoc(kind, name, res)
}

// decodeDoc reads the reply of HMGET rev data.
func decodeDoc(kind, name string, res []any) (store.Doc, error) {
	if len(res) != 2 {
		return store.Doc{}, fmt.Errorf("redis store: document %s/%s: unexpected reply %v", kind, name, res)
	}
	if res[0] == nil {
		return store.Doc{}, fmt.Errorf("redis store: document %s/%s: %w", kind, name, store.ErrNotFound)
	}
	revText, _ := res[0].(string)
	rev, err := strconv.ParseInt(revText, 10, 64)
	if err != nil || rev < 1 {
		return store.Doc{}, fmt.Errorf("redis store: document %s/%s: malformed revision %q", kind, name, revText)
	}
	data, _ := res[1].(string)
	return store.Doc{Kind: kind, Name: name, Data: bytesOf(data), Rev: rev}, nil
}

// PutDoc implements store.Docs.
func (s *Store) PutDoc(ctx context.Context, d store.Doc) (int64, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	res, err := putDocScript.Run(ctx, s.client, []string{s.keys.doc(d.Kind, d.Name), s.keys.docNames(d.Kind)},
		d.Name, d.Rev, d.Data).Int64Slice()
	if err != nil {
		return 0, fmt.Errorf("redis store: put document %s/%s: %w", d.Kind, d.Name, err)
	}
	if len(res) != 2 {
		return 0, fmt.Errorf("redis store: put document %s/%s: unexpected reply %v", d.Kind, d.Name, res)
	}
	if res[0] != 1 {
		return 0, fmt.Errorf("redis store: document %s/%s is at revision %d, not %d: %w", d.Kind, d.Name, res[1], d.Rev, store.ErrConflict)
	}
	return res[1], nil
}

// DeleteDoc implements store.Docs.
func (s *Store) DeleteDoc(ctx context.Context, kind, name string) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := deleteDocScript.Run(ctx, s.client, []string{s.keys.doc(kind, name), s.keys.docNames(kind)}, name).Err(); err != nil {
		return fmt.Errorf("redis store: delete document %s/%s: %w", kind, name, err)
	}
	return nil
}

// ListDocs implements store.Docs: names in byte order (ZRANGEBYLEX of the
// kind's index), then the page's documents in one pipeline. A document
// deleted between the two reads is left out; the next cursor is still the
// last name read, so no later document is skipped.
func (s *Store) ListDocs(ctx context.Context, kind, cursor string, limit int) ([]store.Doc, string, error) {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	by := &goredis.ZRangeBy{Min: "-", Max: "+"}
	if cursor != "" {
		by.Min = "(" + cursor
	}
	if limit > 0 {
		by.Count = int64(limit) + 1
	}
	names, err := s.client.ZRangeByLex(ctx, s.keys.docNames(kind), by).Result()
	if err != nil {
		return nil, "", fmt.Errorf("redis store: list documents %s: %w", kind, err)
	}
	next := ""
	if limit > 0 && len(names) > limit {
		names = names[:limit]
		next = names[limit-1]
	}
	if len(names) == 0 {
		return nil, next, nil
	}
	pipe := s.client.Pipeline()
	cmds := make([]*goredis.SliceCmd, len(names))
	for i, n := range names {
		cmds[i] = pipe.HMGet(ctx, s.keys.doc(kind, n), "rev", "data")
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, "", fmt.Errorf("redis store: list documents %s: %w", kind, err)
	}
	out := make([]store.Doc, 0, len(names))
	for i, c := range cmds {
		d, err := decodeDoc(kind, names[i], c.Val())
		if errors.Is(err, store.ErrNotFound) {
			continue // deleted since the names were read
		}
		if err != nil {
			return nil, "", err
		}
		out = append(out, d)
	}
	return out, next, nil
}
