package redis

// SetChangeCap sets how many entries each partition's change log keeps
// (tests trim with a few).
func (s *Store) SetChangeCap(n int64) { s.changeCap.Store(n) }
