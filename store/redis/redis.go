package redis

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/sfn-project/sfn/store"
)

// Options configures a Store.
type Options struct {
	// URL is redis://[user:pass@]host:port/db or rediss:// for TLS. Several
	// comma-separated nodes (redis://a:7000,b:7001) select Cluster mode.
	URL string
	// Prefix starts every key; default "sfn". It may not contain braces
	// (they would move the hash tag).
	Prefix string
	// Partitions is the fixed number of partitions; default 256. It is
	// recorded in Redis at the first start and may never change: a store
	// opened with another number is refused.
	Partitions int
	// Cluster selects Redis Cluster even with one node in the URL.
	Cluster bool
	// Timeout bounds every call to Redis (dial, read, write, the whole
	// operation); default 2s, so an unreachable Redis answers fast.
	Timeout time.Duration
	// Senders is the number of pipelines of commits in flight at once
	// (group commit, see batch.go); default 4.
	Senders int
	// MaxBatch caps the commits sent in one pipeline; default 128.
	MaxBatch int
	// SkipPolicyCheck skips the maxmemory-policy check, for managed Redis
	// services that refuse CONFIG GET. The policy must still not evict.
	SkipPolicyCheck bool
	// LocalPolls is the share of activity polls that first hold a task
	// this process queued (activities.go): 1 for all, negative for none, a
	// fraction for that share; 0 (the default) adapts it to how many of
	// the tasks found in the shared queues this process did not queue.
	// Tests use 1 and -1 to take one path only.
	LocalPolls float64
	// ChangeRetention, when set, keeps the change log (store.ChangeLog)
	// from the start, its entries kept that long; 0 keeps none until
	// KeepChanges turns it on (nobody reads it).
	ChangeRetention time.Duration
}

// WithDefaults returns the options with defaults filled in.
func (o Options) WithDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = "sfn"
	}
	if o.Partitions <= 0 {
		o.Partitions = 256
	}
	if o.Timeout <= 0 {
		o.Timeout = 2 * time.Second
	}
	if o.Senders <= 0 {
		o.Senders = 4
	}
	if o.MaxBatch <= 0 {
		o.MaxBatch = 128
	}
	return o
}

func (o Options) validate() error {
	if o.URL == "" {
		return errors.New("no URL")
	}
	if strings.ContainsAny(o.Prefix, "{}") {
		return fmt.Errorf("prefix %q contains a brace", o.Prefix)
	}
	if o.Partitions > 1<<16 {
		return fmt.Errorf("%d partitions is more than %d", o.Partitions, 1<<16)
	}
	return nil
}

// Store is the Redis store. It is safe for concurrent use.
type Store struct {
	client     goredis.UniversalClient
	cluster    bool
	keys       keys
	partitions int
	timeout    time.Duration
	watch      *watcher
	batch      *batcher
	scans      sync.Map     // activity → *atomic.Int64: Unix ns of this process's last full scan (activities.go)
	local      localQueue   // activity tasks this process queued (activities.go)
	localPolls float64      // Options.LocalPolls
	foreign    atomic.Int64 // adaptive LocalPolls: share of shared pops not queued here, in 1/65536
	// changeRetention is the change log's retention in ms, 0 while it is
	// not kept; changeCap the most entries a partition's log keeps
	// (changes.go).
	changeRetention, changeCap atomic.Int64
}

var (
	_ store.Store  = (*Store)(nil)
	_ store.Leaser = (*Store)(nil)
)

// New connects to Redis, checks that its maxmemory-policy never evicts
// keys and that the partition count matches the one recorded, and returns
// the store.
func New(ctx context.Context, o Options) (*Store, error) {
	o = o.WithDefaults()
	if err := o.validate(); err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	client, cluster, err := newClient(o)
	if err != nil {
		return nil, fmt.Errorf("redis store: %w", err)
	}
	s := &Store{client: client, cluster: cluster, keys: keys{prefix: o.Prefix}, partitions: o.Partitions, timeout: o.Timeout,
		localPolls: o.LocalPolls}
	s.foreign.Store(foreignOne / 4) // three polls in four local, to begin with
	s.changeRetention.Store(max(o.ChangeRetention.Milliseconds(), 0))
	s.changeCap.Store(defaultChangeCap(o.Partitions))
	s.watch = newWatcher(s)
	if err := s.start(ctx, o); err != nil {
		_ = client.Close()
		return nil, err
	}
	s.batch = newBatcher(ctx, client, cluster, o.Timeout, o.Senders, o.MaxBatch)
	return s, nil
}

func (s *Store) start(ctx context.Context, o Options) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: ping: %w", err)
	}
	if !o.SkipPolicyCheck {
		if err := s.checkPolicy(ctx); err != nil {
			return err
		}
	}
	want := strconv.Itoa(s.partitions)
	if err := s.client.SetNX(ctx, s.keys.config(), want, 0).Err(); err != nil {
		return fmt.Errorf("redis store: record partitions: %w", err)
	}
	got, err := s.client.Get(ctx, s.keys.config()).Result()
	if err != nil {
		return fmt.Errorf("redis store: read partitions: %w", err)
	}
	if got != want {
		return fmt.Errorf("redis store: prefix %q was created with %s partitions, not %s; the partition count never changes", o.Prefix, got, want)
	}
	return nil
}

// newClient makes a standalone or a Cluster client. Retries are off: a
// write that timed out may have been applied, and only the caller can
// resolve that (by re-reading), not a blind second send.
func newClient(o Options) (goredis.UniversalClient, bool, error) {
	urls := strings.Split(o.URL, ",")
	if len(urls) == 1 && !o.Cluster {
		opt, err := goredis.ParseURL(o.URL)
		if err != nil {
			return nil, false, fmt.Errorf("parse URL: %w", err)
		}
		opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
		opt.ContextTimeoutEnabled = true
		opt.MaxRetries = -1
		return goredis.NewClient(opt), false, nil
	}
	opt, err := goredis.ParseClusterURL(strings.TrimSpace(urls[0]))
	if err != nil {
		return nil, false, fmt.Errorf("parse URL: %w", err)
	}
	for _, u := range urls[1:] {
		u = strings.TrimSpace(u)
		if strings.Contains(u, "://") {
			pu, err := url.Parse(u)
			if err != nil {
				return nil, false, errors.New("parse URL: a malformed node address")
			}
			u = pu.Host
		}
		if u != "" {
			opt.Addrs = append(opt.Addrs, u)
		}
	}
	opt.DialTimeout, opt.ReadTimeout, opt.WriteTimeout = o.Timeout, o.Timeout, o.Timeout
	opt.ContextTimeoutEnabled = true
	opt.MaxRetries = -1
	return goredis.NewClusterClient(opt), true, nil
}

// checkPolicy refuses a maxmemory-policy that evicts keys: an evicted
// record or history would silently lose an accepted execution.
func (s *Store) checkPolicy(ctx context.Context) error {
	check := func(ctx context.Context, c *goredis.Client) error {
		res, err := c.ConfigGet(ctx, "maxmemory-policy").Result()
		if err != nil {
			return fmt.Errorf("redis store: read maxmemory-policy (set SkipPolicyCheck if your Redis refuses CONFIG and never evicts): %w", err)
		}
		policy, ok := res["maxmemory-policy"]
		if !ok {
			return errors.New("redis store: read maxmemory-policy: no such setting")
		}
		if policy != "noeviction" {
			return fmt.Errorf("redis store: maxmemory-policy is %q, which evicts keys and would lose executions; set it to noeviction", policy)
		}
		return nil
	}
	switch c := s.client.(type) {
	case *goredis.Client:
		return check(ctx, c)
	case *goredis.ClusterClient:
		return c.ForEachMaster(ctx, check)
	}
	return nil
}

// bound limits an operation to the store's timeout.
func (s *Store) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, s.timeout)
}

// partitionOf is the partition of an execution.
func (s *Store) partitionOf(id string) int { return store.PartitionOf(id, s.partitions) }

// Partitions implements store.Leaser.
func (s *Store) Partitions() int { return s.partitions }

// Ping implements store.Store.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.bound(ctx)
	defer cancel()
	if err := s.client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("redis store: ping: %w", err)
	}
	return nil
}

// Close implements store.Store: it ends every watch and the connections.
func (s *Store) Close() error {
	s.watch.close()
	s.batch.close()
	return s.client.Close()
}

// publish is the command of commit notices: sharded pub/sub on Cluster
// (the notice stays on the partition's shard), plain elsewhere.
func (s *Store) publish() string {
	if s.cluster {
		return "SPUBLISH"
	}
	return "PUBLISH"
}
