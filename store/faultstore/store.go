package faultstore

import (
	"context"
	"time"

	"github.com/sfn-project/sfn/store"
)

// Store is the wrapper of a store without leases.
type Store struct {
	inner store.Store
	f     *Faults
}

var (
	_ store.Store     = (*Store)(nil)
	_ store.Unwrapper = (*Store)(nil)
)

// Unwrap implements store.Unwrapper (optional capabilities such as
// store.Expirer are found beneath the wrapper, without faults).
func (s *Store) Unwrap() store.Store { return s.inner }

// PutStateMachine implements store.Store.
func (s *Store) PutStateMachine(ctx context.Context, sm store.StateMachine) (out store.StateMachine, res store.PutResult, err error) {
	err = do(ctx, s.f, PutStateMachine, "", func() (err error) {
		out, res, err = s.inner.PutStateMachine(ctx, sm)
		return err
	})
	return out, res, err
}

// GetStateMachine implements store.Store.
func (s *Store) GetStateMachine(ctx context.Context, name string, version int) (out store.StateMachine, err error) {
	err = do(ctx, s.f, GetStateMachine, "", func() (err error) {
		out, err = s.inner.GetStateMachine(ctx, name, version)
		return err
	})
	return out, err
}

// GetStateMachineVersion implements store.Store.
func (s *Store) GetStateMachineVersion(ctx context.Context, name string, version int) (out store.StateMachine, err error) {
	err = do(ctx, s.f, GetStateMachineVersion, "", func() (err error) {
		out, err = s.inner.GetStateMachineVersion(ctx, name, version)
		return err
	})
	return out, err
}

// ListStateMachines implements store.Store.
func (s *Store) ListStateMachines(ctx context.Context, cursor string, limit int) (out []store.StateMachine, next string, err error) {
	err = do(ctx, s.f, ListStateMachines, "", func() (err error) {
		out, next, err = s.inner.ListStateMachines(ctx, cursor, limit)
		return err
	})
	return out, next, err
}

// DeleteStateMachine implements store.Store.
func (s *Store) DeleteStateMachine(ctx context.Context, name string) error {
	return do(ctx, s.f, DeleteStateMachine, "", func() error { return s.inner.DeleteStateMachine(ctx, name) })
}

// CreateExecution implements store.Store.
func (s *Store) CreateExecution(ctx context.Context, p store.CreateParams) (existing string, err error) {
	id := ""
	if p.Execution != nil {
		id = p.Execution.ID
	}
	err = do(ctx, s.f, CreateExecution, id, func() (err error) {
		existing, err = s.inner.CreateExecution(ctx, p)
		return err
	})
	return existing, err
}

// GetExecution implements store.Store.
func (s *Store) GetExecution(ctx context.Context, id string) (out *store.Execution, err error) {
	err = do(ctx, s.f, GetExecution, id, func() (err error) {
		out, err = s.inner.GetExecution(ctx, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Commit implements store.Store.
func (s *Store) Commit(ctx context.Context, p store.CommitParams) error {
	return do(ctx, s.f, Commit, p.ID, func() error { return s.inner.Commit(ctx, p) })
}

// History implements store.Store.
func (s *Store) History(ctx context.Context, q store.HistoryQuery) (out []store.Event, err error) {
	err = do(ctx, s.f, History, q.ID, func() (err error) {
		out, err = s.inner.History(ctx, q)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// ListExecutions implements store.Store.
func (s *Store) ListExecutions(ctx context.Context, q store.ListQuery) (out []store.Summary, next string, err error) {
	err = do(ctx, s.f, ListExecutions, "", func() (err error) {
		out, next, err = s.inner.ListExecutions(ctx, q)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	return out, next, nil
}

// Due implements store.Store.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) (out []string, err error) {
	err = do(ctx, s.f, Due, "", func() (err error) {
		out, err = s.inner.Due(ctx, now, limit)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Watch implements store.Store; it takes no faults (it reports none).
func (s *Store) Watch(ctx context.Context, id string) (<-chan struct{}, func()) {
	return s.inner.Watch(ctx, id)
}

// WatchStatus implements store.Store; like Watch, it takes no faults.
func (s *Store) WatchStatus(ctx context.Context, id string) (<-chan struct{}, func()) {
	return s.inner.WatchStatus(ctx, id)
}

// PopActivity implements store.Store.
func (s *Store) PopActivity(ctx context.Context, activity string) (out *store.ActivityTask, err error) {
	err = do(ctx, s.f, PopActivity, "", func() (err error) {
		out, err = s.inner.PopActivity(ctx, activity)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// DropActivity implements store.Store.
func (s *Store) DropActivity(ctx context.Context, task *store.ActivityTask) (removed bool, err error) {
	err = do(ctx, s.f, DropActivity, task.ExecutionID, func() (err error) {
		removed, err = s.inner.DropActivity(ctx, task)
		return err
	})
	return removed && err == nil, err
}

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	return do(ctx, s.f, Ping, "", func() error { return s.inner.Ping(ctx) })
}

// Close implements store.Store.
func (s *Store) Close() error { return s.inner.Close() }

// GetDoc implements store.Docs.
func (s *Store) GetDoc(ctx context.Context, kind, name string) (d store.Doc, err error) {
	err = do(ctx, s.f, GetDoc, kind+"/"+name, func() (err error) {
		d, err = s.inner.GetDoc(ctx, kind, name)
		return err
	})
	return d, err
}

// PutDoc implements store.Docs.
func (s *Store) PutDoc(ctx context.Context, d store.Doc) (rev int64, err error) {
	err = do(ctx, s.f, PutDoc, d.Kind+"/"+d.Name, func() (err error) {
		rev, err = s.inner.PutDoc(ctx, d)
		return err
	})
	return rev, err
}

// DeleteDoc implements store.Docs.
func (s *Store) DeleteDoc(ctx context.Context, kind, name string) error {
	return do(ctx, s.f, DeleteDoc, kind+"/"+name, func() error { return s.inner.DeleteDoc(ctx, kind, name) })
}

// ListDocs implements store.Docs.
func (s *Store) ListDocs(ctx context.Context, kind, cursor string, limit int) (docs []store.Doc, next string, err error) {
	err = do(ctx, s.f, ListDocs, kind, func() (err error) {
		docs, next, err = s.inner.ListDocs(ctx, kind, cursor, limit)
		return err
	})
	return docs, next, err
}
