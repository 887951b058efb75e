package interpreter

// Limits that protect the services workflows call (issue 19): a key — an
// HTTP host or host pattern, an in-process handler, a state machine's
// nested starts — may have a maximum of calls in flight and a rate. A
// call over its key's limit waits in the key's queue (the store's
// Limiter: first come first served across executions and nodes) before it
// is made; while it waits its TimeoutSeconds and HeartbeatSeconds do not
// run, and its TaskStarted event says how long it waited.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/url"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/dsl/value"
	"github.com/sfn-project/sfn/store"
)

// CallLimit is one key's limit, as the API and `sfn serve --limits` give
// it. A zero MaxInFlight or Rate does not limit; at least one is set.
type CallLimit struct {
	// Key names what is limited: "http:<host>" or "http:*.<domain>" (an
	// HTTP task's ApiEndpoint host; the exact host wins, then the longest
	// pattern), "handler:<name>", or "startExecution:<state machine>" (the
	// nested starts of that state machine).
	Key         string    `json:"key"`
	MaxInFlight int       `json:"maxInFlight,omitempty"`
	Rate        float64   `json:"ratePerSecond,omitempty"`
	Burst       int       `json:"burst,omitempty"`
	UpdatedAt   time.Time `json:"updatedAt"`
}

// CallLimitState is a limit with its key's calls in flight and waiting.
type CallLimitState struct {
	CallLimit
	InFlight int `json:"inFlight"`
	Waiting  int `json:"waiting"`
}

// The limits are documents of kind "limit", named by key, in their own
// format (limitFormat): a node refuses a newer one rather than guess.
const (
	limitDocKind = "limit"
	limitFormat  = 1
	// MaxLimitValue bounds MaxInFlight, Rate and Burst.
	MaxLimitValue = 1_000_000
	// MinRate is the smallest rate: one call an hour.
	MinRate = 1.0 / 3600
	// limitRefresh is how often a node reads the limits again (others'
	// changes reach it within this).
	limitRefresh = 2 * time.Second
	// limitPoll is the longest a waiting call goes without asking again
	// (a slot freed on another node is seen within it).
	limitPoll = time.Second
)

type limitDoc struct {
	V int `json:"v"`
	CallLimit
}

// ErrInvalidLimit: a limit or key that cannot be.
var ErrInvalidLimit = errors.New("invalid limit")

// ValidateCallLimit checks a limit and fills Burst's default (the rate
// rounded up, at least 1).
func ValidateCallLimit(l *CallLimit) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%s: %w", fmt.Sprintf(format, a...), ErrInvalidLimit)
	}
	if err := validLimitKey(l.Key); err != nil {
		return err
	}
	switch {
	case l.MaxInFlight < 0 || l.MaxInFlight > MaxLimitValue:
		return bad("maxInFlight %d: want 0 (none) to %d", l.MaxInFlight, MaxLimitValue)
	case l.Rate < 0 || l.Rate > MaxLimitValue || math.IsNaN(l.Rate) || l.Rate > 0 && l.Rate < MinRate:
		return bad("ratePerSecond %v: want 0 (none), or from %v (one call an hour) to %d", l.Rate, MinRate, MaxLimitValue)
	case l.Burst < 0 || l.Burst > MaxLimitValue:
		return bad("burst %d: want 0 (the rate, rounded up) to %d", l.Burst, MaxLimitValue)
	case l.MaxInFlight == 0 && l.Rate == 0:
		return bad("limit %q limits nothing: give maxInFlight, ratePerSecond or both", l.Key)
	case l.Burst > 0 && l.Rate == 0:
		return bad("burst goes with ratePerSecond")
	}
	if l.Rate > 0 && l.Burst == 0 {
		l.Burst = max(1, int(math.Ceil(l.Rate)))
	}
	return nil
}

func validLimitKey(key string) error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("limit key %q: %s: %w", key, fmt.Sprintf(format, a...), ErrInvalidLimit)
	}
	kind, name, ok := strings.Cut(key, ":")
	if !ok || name == "" || len(key) > 300 {
		return bad(`want "http:<host>", "http:*.<domain>", "handler:<name>" or "startExecution:<state machine>"`)
	}
	switch kind {
	case "http":
		if ip, ok := strings.CutPrefix(name, "["); ok && strings.HasSuffix(ip, "]") {
			// An IPv6 literal in brackets, lower case, as URLs write it.
			if ip = strings.TrimSuffix(ip, "]"); ip == "" || ip != strings.ToLower(ip) || strings.Trim(ip, "0123456789abcdef:.") != "" {
				return bad("an IPv6 host is [address] in lower case")
			}
			break
		}
		host := strings.TrimPrefix(name, "*.")
		if host != strings.ToLower(host) || strings.ContainsAny(host, "*/:@ ?#[]") || strings.Trim(host, ".") != host || host == "" {
			return bad("the host is a lower-case name (or *.domain) without port, path or scheme")
		}
	case "handler":
		if !validName(name) {
			return bad("a handler name is 1-80 letters, digits, '-', '_' and '.'")
		}
	case "startExecution":
		if !ValidName(name) {
			return bad("a state machine name is 1-80 letters, digits, '-' and '_'")
		}
	default:
		return bad(`the kind is http, handler or startExecution`)
	}
	return nil
}

// validName is dsl's rule for handler and activity names.
func validName(s string) bool {
	_, err := dsl.ParseResource("handler:" + s)
	return err == nil
}

// PutCallLimit creates or replaces a key's limit; created says which.
func (e *Engine) PutCallLimit(ctx context.Context, l CallLimit) (saved CallLimit, created bool, err error) {
	if err := ValidateCallLimit(&l); err != nil {
		return CallLimit{}, false, err
	}
	if store.AsLimiter(e.store) == nil {
		return CallLimit{}, false, fmt.Errorf("limit %q: %w", l.Key, store.ErrNoLimiter)
	}
	l.UpdatedAt = e.cfg.Clock.Now().UTC()
	data, err := json.Marshal(limitDoc{V: limitFormat, CallLimit: l})
	if err != nil {
		return CallLimit{}, false, err
	}
	for {
		cur, err := e.store.GetDoc(ctx, limitDocKind, l.Key)
		rev := cur.Rev
		if errors.Is(err, store.ErrNotFound) {
			rev = 0
		} else if err != nil {
			return CallLimit{}, false, err
		}
		if _, err := e.store.PutDoc(ctx, store.Doc{Kind: limitDocKind, Name: l.Key, Data: data, Rev: rev}); errors.Is(err, store.ErrConflict) {
			continue // someone else wrote it meanwhile: this write is the later one
		} else if err != nil {
			return CallLimit{}, false, err
		}
		e.refreshLimits(ctx)
		return l, rev == 0, nil
	}
}

// DeleteCallLimit removes a key's limit: its calls are made at once from
// then on (the ones waiting are granted at their next ask).
func (e *Engine) DeleteCallLimit(ctx context.Context, key string) error {
	if _, err := e.store.GetDoc(ctx, limitDocKind, key); err != nil {
		return err
	}
	if err := e.store.DeleteDoc(ctx, limitDocKind, key); err != nil {
		return err
	}
	e.refreshLimits(ctx)
	return nil
}

// CallLimit returns a key's limit with its calls in flight and waiting.
func (e *Engine) CallLimit(ctx context.Context, key string) (CallLimitState, error) {
	d, err := e.store.GetDoc(ctx, limitDocKind, key)
	if err != nil {
		return CallLimitState{}, err
	}
	l, err := decodeLimit(d)
	if err != nil {
		return CallLimitState{}, err
	}
	return e.limitState(ctx, l)
}

// CallLimits returns every limit, by key, with its calls in flight and
// waiting.
func (e *Engine) CallLimits(ctx context.Context) ([]CallLimitState, error) {
	docs, _, err := e.store.ListDocs(ctx, limitDocKind, "", 0)
	if err != nil {
		return nil, err
	}
	out := make([]CallLimitState, 0, len(docs))
	for _, d := range docs {
		l, err := decodeLimit(d)
		if err != nil {
			return nil, err
		}
		st, err := e.limitState(ctx, l)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}

func (e *Engine) limitState(ctx context.Context, l CallLimit) (CallLimitState, error) {
	st := CallLimitState{CallLimit: l}
	if lim := store.AsLimiter(e.store); lim != nil {
		s, err := lim.LimitStats(ctx, l.Key)
		if err != nil {
			return CallLimitState{}, err
		}
		st.InFlight, st.Waiting = s.InFlight, s.Waiting
	}
	return st, nil
}

func decodeLimit(d store.Doc) (CallLimit, error) {
	var ld limitDoc
	if err := json.Unmarshal(d.Data, &ld); err != nil {
		return CallLimit{}, fmt.Errorf("limit %q: %w", d.Name, err)
	}
	if ld.V > limitFormat {
		return CallLimit{}, fmt.Errorf("limit %q is in format %d, newer than this node understands (%d)", d.Name, ld.V, limitFormat)
	}
	return ld.CallLimit, nil
}

// limitCache is this node's copy of the limits, read again every
// limitRefresh in the background (and at once after a change made here),
// so that a task call finds its limit without a round trip.
type limitCache struct {
	mu       sync.Mutex
	exact    map[string]store.Limit
	patterns []limitPattern // http:*.domain, longest domain first
	none     bool           // no limit at all: calls skip the lookup
}

type limitPattern struct {
	suffix string // ".domain"
	key    string
	lim    store.Limit
}

// refreshLimits reads the limits into the node's copy (the store is asked
// without the copy's lock held).
func (e *Engine) refreshLimits(ctx context.Context) {
	if store.AsLimiter(e.store) == nil {
		e.limits.mu.Lock()
		e.limits.none = true
		e.limits.mu.Unlock()
		return
	}
	docs, _, err := e.store.ListDocs(ctx, limitDocKind, "", 0)
	if err != nil {
		// Keep what was read before; read again at the next refresh.
		e.log.Warn("limits not read; the last ones read apply", slog.Any("error", err))
		return
	}
	exact := map[string]store.Limit{}
	var patterns []limitPattern
	for _, d := range docs {
		l, err := decodeLimit(d)
		if err != nil {
			e.log.Warn("limit ignored", slog.Any("error", err))
			continue
		}
		sl := store.Limit{MaxInFlight: l.MaxInFlight, Rate: l.Rate, Burst: l.Burst}
		if s, ok := strings.CutPrefix(l.Key, "http:*"); ok {
			patterns = append(patterns, limitPattern{suffix: s, key: l.Key, lim: sl})
			continue
		}
		exact[l.Key] = sl
	}
	sort.Slice(patterns, func(i, j int) bool { return len(patterns[i].suffix) > len(patterns[j].suffix) })
	c := &e.limits
	c.mu.Lock()
	c.exact, c.patterns, c.none = exact, patterns, len(exact) == 0 && len(patterns) == 0
	c.mu.Unlock()
}

// runLimitRefresh keeps the node's copy of the limits current.
func (e *Engine) runLimitRefresh(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(limitRefresh):
			e.refreshLimits(ctx)
		}
	}
}

// limitOf returns the limit a task call is under, if any.
func (e *Engine) limitOf(c taskCall) (key string, lim store.Limit, ok bool) {
	lc := &e.limits
	lc.mu.Lock()
	defer lc.mu.Unlock()
	if lc.none {
		return "", store.Limit{}, false
	}
	switch c.Spec.Kind {
	case dsl.HandlerTask:
		key = "handler:" + c.Spec.Name
	case dsl.ExecutionTask:
		name := paramString(c.Params, "StateMachineArn")
		if a, err := arn.Parse(name); err == nil {
			name = a.Name
		}
		key = "startExecution:" + name
	case dsl.HTTPTask:
		u, err := url.Parse(paramString(c.Params, "ApiEndpoint"))
		if err != nil || u.Hostname() == "" {
			return "", store.Limit{}, false
		}
		host := strings.TrimSuffix(strings.ToLower(u.Hostname()), ".") // api.example.com. is api.example.com
		if strings.Contains(host, ":") {
			host = "[" + host + "]" // an IPv6 literal, as a key writes it
		}
		key = "http:" + host
		if _, ok := lc.exact[key]; !ok {
			for _, p := range lc.patterns {
				if strings.HasSuffix(host, p.suffix) {
					return p.key, p.lim, true
				}
			}
		}
	default:
		return "", store.Limit{}, false
	}
	lim, ok = lc.exact[key]
	return key, lim, ok
}

func paramString(params value.Value, k string) string {
	o, _ := params.(*value.Object)
	if o == nil {
		return ""
	}
	v, _ := o.Get(k)
	s, _ := v.(string)
	return s
}

// slotNotices wakes the calls of this node that wait for a key when one of
// its calls gives a slot back (calls of other nodes ask again within
// limitPoll).
type slotNotices struct {
	mu sync.Mutex
	ch map[string]chan struct{}
}

func (n *slotNotices) wait(key string) <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.ch == nil {
		n.ch = map[string]chan struct{}{}
	}
	c, ok := n.ch[key]
	if !ok {
		c = make(chan struct{})
		n.ch[key] = c
	}
	return c
}

func (n *slotNotices) notify(key string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.ch[key]; ok {
		close(c)
		delete(n.ch, key)
	}
}

// dispatchLimited makes a call under its key's limit: it takes a slot
// (waiting for one in the key's queue, its timeouts suspended meanwhile)
// and then performs the call, giving the slot back when it returns. The
// limit is looked up again at every ask, so that a limit raised or
// deleted meanwhile applies to the calls already waiting.
// limited is false for a recovered call that waited for a limit deleted
// since: its wait ends (its timeouts run again) before it is made.
func (e *Engine) dispatchLimited(id string, c taskCall, key string, lim store.Limit, limited bool, perform func(c taskCall, release func())) {
	limiter := store.AsLimiter(e.store)
	ctx, cancel := context.WithCancel(e.ctx)
	e.trackCall(c.Token, cancel) // a withdrawal (timeout, stop) ends the wait
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer cancel()
		// A call recovered from another node may have waited there: its
		// wait (and its suspended timeouts) ends here too.
		waitedSince := c.limitWait
		recorded := !c.limitWait.IsZero() // the wait is in the record
		granted := false
		for !granted {
			now := e.cfg.Clock.Now()
			var res store.SlotResult
			var err error
			if limited {
				res, err = limiter.Acquire(ctx, store.Slot{Key: key, Holder: c.Token, Node: e.cfg.Node}, lim, now)
				granted = err == nil && res.Granted
			}
			if ctx.Err() != nil {
				// Withdrawn while waiting (or while a grant was on its way):
				// out of the queue, and any slot given back, on a context of
				// its own (this one is done).
				e.forgetCall(c.Token)
				cctx, ccancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
				_ = limiter.Cancel(cctx, key, c.Token)
				ccancel()
				if limited {
					e.releaseSlot(key, c.Token)
				}
				return
			}
			if granted || !limited {
				break
			}
			if err != nil {
				e.log.Warn("limit not asked; asking again", slog.String("key", key), slog.Any("error", err))
			} else if waitedSince.IsZero() {
				waitedSince = now
			}
			// A wait is recorded (and the timeouts suspended) once it has
			// lasted a second: a rate's short waits cost no commit.
			if !recorded && !waitedSince.IsZero() && now.Sub(waitedSince) >= limitPoll {
				recorded = e.limitWaitBegins(id, c, key, waitedSince)
			}
			wake := limitPoll
			if !res.RetryAt.IsZero() {
				wake = min(wake, max(res.RetryAt.Sub(now), time.Millisecond))
			}
			select {
			case <-ctx.Done():
			case <-e.slotNotices.wait(key):
			case <-e.cfg.Clock.After(wake):
			}
			// The limit as it is now: raised, lowered or gone.
			if k, l, ok := e.limitOf(c); ok && k == key {
				lim = l
			} else if !ok {
				limited = false
				cctx, ccancel := context.WithTimeout(ctx, 5*time.Second)
				_ = limiter.Cancel(cctx, key, c.Token)
				ccancel()
			}
		}
		release := func() {}
		if limited {
			// The slot goes back beside the result's commit, not before it:
			// the task path pays the Acquire's round trip only.
			release = func() {
				e.wg.Add(1)
				go func() {
					defer e.wg.Done()
					e.releaseSlot(key, c.Token)
				}()
			}
		}
		if !waitedSince.IsZero() {
			// The call's TaskStarted says it waited, and how long: written
			// with its result, no commit of its own.
			c.limitKey, c.limitWaited = key, e.cfg.Clock.Now().Sub(waitedSince)
		}
		if recorded {
			// The timeouts run again, from now; never perform with them
			// suspended.
			waited := c.limitWaited
			if !e.endLimitWait(id, c, key, waited) {
				e.forgetCall(c.Token)
				release()
				return
			}
			if o, ok := e.cfg.Observer.(LimitObserver); ok {
				o.LimitWaited(key, waited)
			}
		}
		// perform registers the call under its token in place of the wait.
		perform(c, release)
	}()
}

// endLimitWait ends a recorded wait until it sticks; false when the
// attempt ended meanwhile, or the node stops.
func (e *Engine) endLimitWait(id string, c taskCall, key string, waited time.Duration) bool {
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		still, err := e.limitWaitEnds(id, c, key, waited)
		if err == nil {
			return still
		}
		if errors.Is(err, store.ErrNotFound) || e.ctx.Err() != nil {
			return false
		}
		e.log.Warn("the end of a limit wait not recorded yet; retrying", slog.String("execution_id", id), slog.Any("error", err))
		select {
		case <-e.ctx.Done():
			return false
		case <-e.cfg.Clock.After(backoff):
		}
	}
}

// LimitObserver is an Observer that is told how long calls waited for
// their key's limit (metrics).
type LimitObserver interface {
	LimitWaited(key string, d time.Duration)
}

func (e *Engine) releaseSlot(key, holder string) {
	limiter := store.AsLimiter(e.store)
	for backoff := 50 * time.Millisecond; ; backoff = min(2*backoff, 2*time.Second) {
		ctx, cancel := context.WithTimeout(context.WithoutCancel(e.ctx), 5*time.Second)
		err := limiter.Release(ctx, key, holder)
		cancel()
		if err == nil {
			e.slotNotices.notify(key)
			return
		}
		if e.ctx.Err() != nil {
			return // the node stops: its slots go back when the others see it gone
		}
		e.log.Warn("limit slot not given back yet; retrying", slog.String("key", key), slog.Any("error", err))
		select {
		case <-e.ctx.Done():
			return
		case <-e.cfg.Clock.After(backoff):
		}
	}
}

// limitWaitBegins records that the attempt waits for its key since since:
// its timeouts stop running until it gets a slot. It reports whether the
// wait is recorded.
func (e *Engine) limitWaitBegins(id string, c taskCall, key string, since time.Time) bool {
	recorded := false
	_, _, err := e.modify(e.ctx, id, func(r *run) bool {
		t := r.threads[c.Thread]
		if r.status != store.StatusRunning || t == nil || t.Task == nil || t.Task.ScheduledID != c.ScheduledID || !t.Task.LimitWait.IsZero() {
			return false
		}
		t.Task.LimitWait, t.Task.LimitKey = since.UTC(), key
		t.Task.TimeoutAt, t.Task.HeartbeatAt = time.Time{}, time.Time{}
		if r.hdr.Enc < encodingLimits {
			r.hdr.Enc = encodingLimits
		}
		r.touch(t)
		recorded = true
		return true
	})
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		e.log.Warn("limit wait not recorded; asking again", slog.String("execution_id", id), slog.Any("error", err))
	}
	return recorded && err == nil
}

// limitWaitEnds gives the attempt its timeouts again, counted from now,
// and keeps how long it waited for its TaskStarted event. still is false
// when the attempt no longer waits (it ended meanwhile).
func (e *Engine) limitWaitEnds(id string, c taskCall, key string, waited time.Duration) (still bool, err error) {
	_, _, err = e.modify(e.ctx, id, func(r *run) bool {
		t := r.threads[c.Thread]
		if r.status != store.StatusRunning || t == nil || t.Task == nil || t.Task.ScheduledID != c.ScheduledID {
			return false
		}
		still = true
		if t.Task.LimitWait.IsZero() {
			return false // the wait's beginning was never recorded
		}
		t.Task.LimitWait, t.Task.LimitKey, t.Task.LimitWaited = time.Time{}, key, waited.Milliseconds()
		if t.Task.Timeout > 0 {
			t.Task.TimeoutAt = r.now.Add(time.Duration(t.Task.Timeout) * time.Second)
		}
		if t.Task.Heartbeat > 0 && c.Spec.Kind != dsl.ActivityTask {
			t.Task.HeartbeatAt = r.now.Add(time.Duration(t.Task.Heartbeat) * time.Second)
		}
		r.touch(t)
		return true
	})
	return still, err
}
