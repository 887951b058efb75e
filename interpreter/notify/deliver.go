package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl/failure"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
)

// deliver runs one endpoint's delivery until ctx ends or the endpoint is
// gone or disabled: it reads the change log after the endpoint's cursor, a
// batch at a time, delivers the batch's events (each execution's in
// order, several executions at once), and then moves the cursor past the
// batch by compare-and-set. A node that stops midway leaves the cursor
// where it was, and the batch is delivered again by the next holder.
func (s *Service) deliver(ctx context.Context, name string) {
	notices, stop := s.log.WatchChanges(ctx)
	defer stop()
	logger := s.logger.With(slog.String("endpoint", name))
	idle := time.NewTicker(s.cfg.Poll) // real time: a notice lost is a network matter
	defer idle.Stop()
	wait := func() bool {
		select {
		case <-ctx.Done():
			return false
		case <-notices:
		case <-idle.C:
		}
		return true
	}
	for ctx.Err() == nil {
		ep, del, err := s.Endpoint(ctx, name)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !ep.Enabled) {
			return
		}
		if err == nil && del.Cursor == "" {
			// No cursor yet (an endpoint stored without one): from now on.
			if del.Cursor, err = s.log.ChangeCursorNow(ctx); err == nil {
				_, err = updateDelivery(ctx, s.docs, name, func(d *Delivery, _ bool) bool { d.Cursor = del.Cursor; return true })
			}
		}
		var changes []store.Change
		var next string
		if err == nil {
			changes, next, err = s.log.ReadChanges(ctx, del.Cursor, s.cfg.Batch)
		}
		if errors.Is(err, store.ErrInvalidCursor) {
			// A cursor this log does not know (the store was replaced): go
			// on from now, and say so.
			logger.LogAttrs(ctx, slog.LevelWarn, "webhook cursor unknown to the change log; delivering from now on", slog.String("cursor", del.Cursor))
			from, cerr := s.log.ChangeCursorNow(ctx)
			if cerr == nil {
				_, cerr = updateDelivery(ctx, s.docs, name, func(d *Delivery, exists bool) bool {
					d.Cursor, d.LastError, d.LastErrorAt = from, "the change log did not know the cursor "+del.Cursor, s.clock.Now()
					return exists
				})
			}
			err = cerr
		}
		var trimmed *store.TrimmedError
		if errors.As(err, &trimmed) {
			// The delivery fell further behind than the log keeps (down for
			// longer than the retention, or the log's cap reached): what
			// was trimmed is lost to this endpoint. Say so, count it, and
			// go on with what is kept.
			logger.LogAttrs(ctx, slog.LevelError, "webhook delivery fell behind the change log's retention; trimmed status changes are not delivered",
				slog.String("cursor", del.Cursor), slog.String("resume", trimmed.Resume))
			s.metrics.deliveries.WithLabelValues(name, outcomeTrimmed).Inc()
			_, err = updateDelivery(ctx, s.docs, name, func(d *Delivery, exists bool) bool {
				if !exists || d.Cursor != del.Cursor {
					return false
				}
				d.Cursor, d.Gaps = trimmed.Resume, d.Gaps+1
				d.LastError, d.LastErrorAt = "status changes after "+del.Cursor+" were trimmed from the change log before delivery", s.clock.Now()
				return true
			})
			if err == nil {
				continue
			}
		}
		if err != nil {
			if ctx.Err() == nil {
				logger.LogAttrs(ctx, slog.LevelWarn, "webhook delivery cannot read", slog.Any("error", err))
			}
			if !wait() {
				return
			}
			continue
		}
		if len(changes) == 0 {
			s.metrics.lag.WithLabelValues(name).Set(0)
			if !wait() {
				return
			}
			continue
		}
		s.metrics.lag.WithLabelValues(name).Set(max(0, s.clock.Now().Sub(changes[0].At).Seconds()))
		var items []item
		for _, c := range changes {
			its, err := expand(c)
			if err != nil {
				// An entry of a newer release: skipped, and said so (the
				// cursor cannot wait for this node to be upgraded).
				logger.LogAttrs(ctx, slog.LevelWarn, "webhook skips a change log entry", slog.String("cursor", c.Cursor), slog.Any("error", err))
				continue
			}
			for i := range its {
				if ep.filter().match(&its[i]) {
					items = append(items, its[i])
				}
			}
		}
		res := s.deliverAll(ctx, &ep, del.DeadLetters, items)
		if ctx.Err() != nil {
			return // the cursor stays: the batch is delivered again
		}
		if _, err := updateDelivery(ctx, s.docs, name, func(d *Delivery, exists bool) bool {
			if !exists || d.Cursor != del.Cursor {
				return false // gone with its endpoint, or another node moved it meanwhile (it holds the endpoint now)
			}
			d.Cursor = next
			d.Delivered += res.delivered
			d.DeadLetters += res.dead
			d.Dropped += res.dropped
			if !res.lastDelivered.IsZero() {
				d.LastDeliveredAt = res.lastDelivered
			}
			if res.lastError != "" {
				d.LastError, d.LastErrorAt = res.lastError, res.lastErrorAt
			}
			return true
		}); err != nil && ctx.Err() == nil {
			logger.LogAttrs(ctx, slog.LevelWarn, "webhook cursor not moved; the batch will be delivered again", slog.Any("error", err))
		}
	}
}

// batchResult is what a batch's delivery did.
type batchResult struct {
	mu                       sync.Mutex
	delivered, dead, dropped int64
	lastDelivered            time.Time
	lastError                string
	lastErrorAt              time.Time
}

func (r *batchResult) note(f func(r *batchResult)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r)
}

// deliverAll delivers items: each execution's in order, up to Parallel
// executions at once. It returns when all are delivered or given up, or ctx ended.
func (s *Service) deliverAll(ctx context.Context, ep *Endpoint, deadKept int64, items []item) *batchResult {
	res := &batchResult{}
	var order []string
	groups := map[string][]item{}
	for _, it := range items {
		if groups[it.change.ID] == nil {
			order = append(order, it.change.ID)
		}
		groups[it.change.ID] = append(groups[it.change.ID], it)
	}
	sem := make(chan struct{}, s.cfg.Parallel)
	var wg sync.WaitGroup
	var deadMu sync.Mutex
	for _, id := range order {
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			wg.Wait()
			return res
		}
		wg.Add(1)
		go func(group []item) {
			defer wg.Done()
			defer func() { <-sem }()
			for i := range group {
				if ctx.Err() != nil {
					return
				}
				s.deliverOne(ctx, ep, &group[i], res, func() bool {
					deadMu.Lock()
					defer deadMu.Unlock()
					if deadKept >= int64(s.cfg.MaxDeadLetters) {
						return false
					}
					deadKept++
					return true
				})
			}
		}(groups[id])
	}
	wg.Wait()
	return res
}

// deliverOne delivers one event, trying again with a back-off that doubles
// until the endpoint takes it, answers that it never will, or RetryFor
// has passed since the status change; then the event becomes a dead letter
// (when roomForDead says there is room) or is dropped.
func (s *Service) deliverOne(ctx context.Context, ep *Endpoint, it *item, res *batchResult, roomForDead func() bool) {
	first := s.clock.Now()
	backoff := s.cfg.MinBackoff
	for attempt := 1; ; attempt++ {
		err := s.send(ctx, ep, it)
		if ctx.Err() != nil {
			return
		}
		now := s.clock.Now()
		if err == nil {
			s.metrics.deliveries.WithLabelValues(ep.Name, outcomeDelivered).Inc()
			res.note(func(r *batchResult) { r.delivered++; r.lastDelivered = now.UTC() })
			return
		}
		res.note(func(r *batchResult) { r.lastError, r.lastErrorAt = err.Error(), now.UTC() })
		if !permanent(err) && now.Sub(it.at) < s.cfg.RetryFor {
			s.metrics.deliveries.WithLabelValues(ep.Name, outcomeFailed).Inc()
			s.metrics.retries.WithLabelValues(ep.Name).Inc()
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(backoff):
			}
			backoff = min(2*backoff, s.cfg.MaxBackoff)
			// The endpoint as it is now: a PUT that fixed its URL or rotated
			// its secret applies from the next attempt, not once this
			// batch is over; a deleted one gets nothing more.
			switch cur, _, err := s.Endpoint(ctx, ep.Name); {
			case errors.Is(err, store.ErrNotFound):
				return
			case err == nil:
				ep = &cur
			}
			continue
		}
		if !roomForDead() {
			s.metrics.deliveries.WithLabelValues(ep.Name, outcomeDropped).Inc()
			res.note(func(r *batchResult) { r.dropped++ })
			s.logger.LogAttrs(ctx, slog.LevelError, "webhook event dropped: the dead letters are full",
				slog.String("endpoint", ep.Name), slog.String("execution_id", it.change.ID), slog.String("event_id", it.id))
			return
		}
		derr := s.putDeadLetter(ctx, ep.Name, it, attempt, first, now, err)
		if errors.Is(derr, store.ErrNotFound) {
			return // the endpoint was deleted: nothing more to deliver to it
		}
		if derr != nil {
			// Not kept: the cursor must not pass it. Try again later.
			s.logger.LogAttrs(ctx, slog.LevelWarn, "webhook dead letter not written", slog.String("endpoint", ep.Name), slog.Any("error", derr))
			select {
			case <-ctx.Done():
				return
			case <-s.clock.After(backoff):
			}
			continue
		}
		s.metrics.deliveries.WithLabelValues(ep.Name, outcomeDead).Inc()
		s.metrics.dead.WithLabelValues(ep.Name).Inc()
		res.note(func(r *batchResult) { r.dead++ })
		s.logger.LogAttrs(ctx, slog.LevelWarn, "webhook event given up, kept as a dead letter", slog.String("endpoint", ep.Name),
			slog.String("execution_id", it.change.ID), slog.String("event_id", it.id), slog.Int("attempts", attempt), slog.Any("error", err))
		return
	}
}

// deliveryError is a failed attempt; final ones are not tried again.
type deliveryError struct {
	msg   string
	final bool
}

func (e *deliveryError) Error() string { return e.msg }

func permanent(err error) bool {
	var de *deliveryError
	return errors.As(err, &de) && de.final
}

// send makes one attempt through the engine's HTTP task client: its
// allow-list and denied addresses apply. Redirects are not followed (a
// 302 would turn the POST into a GET without the event, a 307 send the
// signed event elsewhere): a 3xx is a failed attempt, tried again.
func (s *Service) send(ctx context.Context, ep *Endpoint, it *item) error {
	body, err := s.build.body(ctx, it)
	if err != nil {
		return fmt.Errorf("building the event: %w", err)
	}
	ts := s.clock.Now().Unix()
	headers := value.NewObject(5)
	headers.Set("Content-Type", "application/json")
	headers.Set("User-Agent", "sfn-webhook")
	headers.Set(HeaderEventID, it.id)
	headers.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
	if ep.Secret != "" {
		headers.Set(HeaderSignature, Sign(ep.Secret, ts, body))
	}
	params := value.NewObject(4)
	params.Set("ApiEndpoint", ep.URL)
	params.Set("Method", "POST")
	params.Set("Headers", headers)
	params.Set("RequestBody", string(body))
	actx, cancel := context.WithTimeout(ctx, s.cfg.Timeout)
	defer cancel()
	_, ferr := s.engine.HTTPClient().Invoke(actx, httptask.Request{Parameters: params, IdempotencyKey: it.id, NoRedirects: true})
	if ferr == nil {
		return nil
	}
	return classify(ferr)
}

// classify says whether a failed attempt is worth another: as EventBridge
// does for API destinations, 401, 407, 408, 409, 425, 429 and 5xx answers
// and failures to connect are tried again; other 4xx answers, a
// destination the allow-list refuses and a malformed URL are final.
func classify(f *failure.Error) error {
	msg := f.Name
	if f.Cause != "" {
		msg += ": " + f.Cause
	}
	if code, ok := strings.CutPrefix(f.Name, "States.Http.StatusCode."); ok {
		n, _ := strconv.Atoi(code)
		retry := n >= 500 || n == 401 || n == 407 || n == 408 || n == 409 || n == 425 || n == 429 || n < 400
		return &deliveryError{msg: "the endpoint answered " + code + " " + f.Cause, final: !retry}
	}
	refused := strings.Contains(f.Cause, "is not allowed") || strings.Contains(f.Cause, "not in --http-allow")
	return &deliveryError{msg: msg, final: refused || f.Name == "States.Runtime"}
}
