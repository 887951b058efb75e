package redis

import (
	"context"
	"errors"

	"github.com/sfn-project/sfn/store"
)

// TODO(redis helper): documents in Redis.
var errDocsTODO = errors.New("redis: documents not implemented yet")

// GetDoc implements store.Docs.
func (s *Store) GetDoc(ctx context.Context, kind, name string) (store.Doc, error) {
	return store.Doc{}, errDocsTODO
}

// PutDoc implements store.Docs.
func (s *Store) PutDoc(ctx context.Context, d store.Doc) (int64, error) { return 0, errDocsTODO }

// DeleteDoc implements store.Docs.
func (s *Store) DeleteDoc(ctx context.Context, kind, name string) error { return errDocsTODO }

// ListDocs implements store.Docs.
func (s *Store) ListDocs(ctx context.Context, kind, cursor string, limit int) ([]store.Doc, string, error) {
	return nil, "", errDocsTODO
}
