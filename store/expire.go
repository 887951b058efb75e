package store

import (
	"context"
	"time"
)

// Expirer is implemented by stores that can forget finished executions
// (retention). It is a separate interface, not part of Store, so that
// wrappers written before it keep compiling; the engine's janitor finds it
// on the store or on what the store unwraps to (see Unwrapper).
type Expirer interface {
	// Expire removes up to limit executions that ended (StoppedAt) before
	// before: the record with its threads, the history, the listing index
	// entries and the name reservation, so the name can be used again.
	// Running executions and state machines are never removed. Which of the
	// expired executions go first is the store's choice (Redis goes
	// partition by partition). It returns how many it removed; fewer than
	// limit means none is left.
	Expire(ctx context.Context, before time.Time, limit int) (removed int, err error)
}

// Unwrapper is implemented by store wrappers (metrics, fault injection) so
// that optional capabilities such as Expirer can be found beneath them.
type Unwrapper interface {
	Unwrap() Store
}

// AsExpirer returns the Expirer of s or of a store it wraps, or nil.
func AsExpirer(s Store) Expirer {
	for s != nil {
		if x, ok := s.(Expirer); ok {
			return x
		}
		u, ok := s.(Unwrapper)
		if !ok {
			return nil
		}
		s = u.Unwrap()
	}
	return nil
}
