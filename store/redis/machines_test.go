package redis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/redis"
)

// TestReadsMachineOfEarlierRelease: a state machine hash as releases
// before the uploaded text wrote it (no v:<n>:src, v:<n>:fmt) reads back
// with its canonical definition and no source, and the next version,
// written now, carries its text beside it.
func TestReadsMachineOfEarlierRelease(t *testing.T) {
	t.Parallel()
	url, prefix := sharedURL(t), newPrefix()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	raw := goredis.NewClient(opt)
	defer raw.Close()
	created := time.Date(2025, 3, 1, 12, 0, 0, 0, time.UTC)
	at := strconv.FormatInt(created.UnixNano(), 10)
	canon := `{"StartAt":"P","States":{"P":{"End":true,"Type":"Pass"}}}`
	if err := raw.HSet(ctx, prefix+":{sm}:m:old", "last", "1", "latest", "1", "deleted", "0", "created", at,
		"v:1:sha", "sha1", "v:1:def", canon, "v:1:upd", at, "v:1:crt", at).Err(); err != nil {
		t.Fatal(err)
	}
	if err := raw.ZAdd(ctx, prefix+":{sm}:names", goredis.Z{Member: "old"}).Err(); err != nil {
		t.Fatal(err)
	}

	s := open(t, redis.Options{URL: url, Prefix: prefix, Partitions: 8})
	defer s.Close()
	want := store.StateMachine{Name: "old", Version: 1, DefinitionSHA256: "sha1", Definition: []byte(canon), CreatedAt: created, UpdatedAt: created}
	for _, read := range []func() (store.StateMachine, error){
		func() (store.StateMachine, error) { return s.GetStateMachine(ctx, "old", 0) },
		func() (store.StateMachine, error) { return s.GetStateMachineVersion(ctx, "old", 1) },
		func() (store.StateMachine, error) {
			sm, res, err := s.PutStateMachine(ctx, store.StateMachine{Name: "old", DefinitionSHA256: "sha1", Definition: []byte(canon),
				Source: []byte("StartAt: P\nStates: {P: {Type: Pass, End: true}}\n"), SourceFormat: "yaml", UpdatedAt: created.Add(time.Hour)})
			if err == nil && res != store.Unchanged {
				t.Errorf("re-put of the same definition: %v, want Unchanged", res)
			}
			return sm, err
		},
	} {
		got, err := read()
		if err != nil {
			t.Fatal(err)
		}
		if string(got.Definition) != canon || len(got.Source) != 0 || got.SourceFormat != "" || got.Version != 1 ||
			!got.CreatedAt.Equal(want.CreatedAt) || !got.UpdatedAt.Equal(want.UpdatedAt) || got.DefinitionSHA256 != "sha1" {
			t.Errorf("earlier release's version reads as %+v, want %+v", got, want)
		}
	}
	src := `{"StartAt": "P", "States": {"P": {"Type": "Pass", "Result": 1.0, "End": true}}}`
	if _, res, err := s.PutStateMachine(ctx, store.StateMachine{Name: "old", DefinitionSHA256: "sha2", Definition: []byte(`{}`),
		Source: []byte(src), SourceFormat: "json", UpdatedAt: created.Add(time.Hour)}); err != nil || res != store.NewVersion {
		t.Fatalf("new version: %v %v", res, err)
	}
	got, err := s.GetStateMachine(ctx, "old", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got.Version != 2 || string(got.Source) != src || got.SourceFormat != "json" {
		t.Errorf("version 2: %d %q %q, want 2 with its text", got.Version, got.Source, got.SourceFormat)
	}
}
