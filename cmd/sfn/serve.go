package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/metrics"
	"github.com/sfn-project/sfn/interpreter"
	"github.com/sfn-project/sfn/interpreter/httptask"
	"github.com/sfn-project/sfn/store"
	"github.com/sfn-project/sfn/store/memory"
	redisstore "github.com/sfn-project/sfn/store/redis"
)

// serveOptions are the flags of sfn serve.
type serveOptions struct {
	addr, redisURL, load, authTokens string
	tlsCert, tlsKey                  string
	logLevel, logFormat              string
	logData                          bool
	shutdownGrace                    time.Duration
	redisPrefix                      string
	redisCluster                     bool
	httpAllow                        []string
	connections                      string
	node                             string
	retention                        time.Duration
	pprofAddr                        string
}

func envOr(key, def string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return def
}

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the sfn server (REST API and engine)",
		Long: `Run the sfn server: the REST API of shared/API.md and the engine that runs executions.

Without --redis-url the in-memory store is used: nothing survives a restart.
Without --auth-tokens the API is open; it binds to loopback unless --addr says otherwise.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, o, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", envOr("SFN_ADDR", "127.0.0.1:8080"), "listen address (env SFN_ADDR)")
	f.StringVar(&o.redisURL, "redis-url", os.Getenv("SFN_REDIS_URL"), "Redis URL, e.g. redis://127.0.0.1:6379/0 (env SFN_REDIS_URL); empty: in-memory store")
	f.StringVar(&o.load, "load", "", "upload every *.yaml, *.yml and *.json definition in this folder at start, named by file name")
	f.StringVar(&o.authTokens, "auth-tokens", os.Getenv("SFN_AUTH_TOKENS"), "file of bearer tokens and roles (env SFN_AUTH_TOKENS); empty: open API")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (with --tls-key: serve HTTPS)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS key file")
	f.StringVar(&o.logLevel, "log-level", envOr("SFN_LOG_LEVEL", "info"), "log level: debug, info, warn, error")
	f.StringVar(&o.logFormat, "log-format", envOr("SFN_LOG_FORMAT", "text"), "log format: text or json")
	f.BoolVar(&o.logData, "log-data", os.Getenv("SFN_LOG_DATA") == "true", "include execution inputs, outputs and causes in log lines (env SFN_LOG_DATA=true); off by default: state data may be private")
	f.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish on SIGTERM")
	f.StringVar(&o.redisPrefix, "redis-prefix", envOr("SFN_REDIS_PREFIX", "sfn"), "prefix of every Redis key (env SFN_REDIS_PREFIX)")
	f.BoolVar(&o.redisCluster, "redis-cluster", os.Getenv("SFN_REDIS_CLUSTER") == "true", "use Redis Cluster (also chosen when --redis-url lists several nodes)")
	f.StringSliceVar(&o.httpAllow, "http-allow", splitEnv("SFN_HTTP_ALLOW"), "hosts (name, *.domain) or CIDRs HTTP tasks may call (env SFN_HTTP_ALLOW, comma-separated); empty: all but link-local and cloud metadata addresses")
	f.StringVar(&o.connections, "connections", os.Getenv("SFN_CONNECTIONS"), "JSON file of named HTTP task connections (credentials for Authentication.ConnectionArn)")
	f.DurationVar(&o.retention, "retention", envDuration("SFN_RETENTION", interpreter.DefaultRetention), "how long finished executions and their history are kept (env SFN_RETENTION); a negative value keeps them forever")
	f.StringVar(&o.node, "node", os.Getenv("SFN_NODE"), "this node's name among the nodes sharing a Redis (default: host, pid and a random suffix)")
	f.StringVar(&o.pprofAddr, "pprof", os.Getenv("SFN_PPROF"), "serve Go's /debug/pprof/ profiles on this separate address, e.g. 127.0.0.1:6060 (env SFN_PPROF); empty: off. Never expose it: it has no authentication")
	return cmd
}

// envDuration reads a duration from the environment; a malformed one is
// ignored here and reported by the flag parser when passed as a flag.
func envDuration(key string, def time.Duration) time.Duration {
	if d, err := time.ParseDuration(os.Getenv(key)); err == nil {
		return d
	}
	return def
}

func newLogger(o *serveOptions, w interface{ Write([]byte) (int, error) }) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usageErrorf("--log-level %q: want debug, info, warn or error", o.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format %q: want text or json", o.logFormat)
}

func openStore(ctx context.Context, o *serveOptions, log *slog.Logger) (store.Store, error) {
	if o.redisURL == "" {
		log.Warn("no --redis-url: using the in-memory store, which keeps nothing across restarts")
		return memory.New(), nil
	}
	st, err := redisstore.New(ctx, redisstore.Options{URL: o.redisURL, Prefix: o.redisPrefix, Cluster: o.redisCluster})
	if err != nil {
		return nil, err
	}
	log.Info("using the Redis store", slog.String("prefix", o.redisPrefix), slog.Bool("cluster", o.redisCluster))
	return st, nil
}

func splitEnv(key string) []string {
	v := os.Getenv(key)
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// engineExtras builds what the engine needs besides the store: the HTTP task
// client with the operator's policy, and the store's lease and node
// capabilities (which a metrics wrapper around the store would hide).
func engineExtras(o *serveOptions, raw store.Store) (*httptask.Client, store.Leaser, store.NodeRegistry, error) {
	cfg := httptask.Config{Allow: o.httpAllow}
	if o.redisURL != "" {
		// Definitions must not be able to talk to the store itself.
		if u, err := url.Parse(strings.Split(o.redisURL, ",")[0]); err == nil {
			if h := u.Hostname(); h != "" && h != "127.0.0.1" && h != "localhost" && h != "::1" {
				cfg.Deny = append(cfg.Deny, h)
			}
		}
	}
	if o.connections != "" {
		data, err := os.ReadFile(o.connections)
		if err != nil {
			return nil, nil, nil, usageErrorf("--connections: %v", err)
		}
		if err := json.Unmarshal(data, &cfg.Connections); err != nil {
			return nil, nil, nil, usageErrorf("--connections %s: want a JSON object of name -> {apiKeyName, apiKeyValue | username, password | bearerToken | oauth: {tokenUrl, clientId, clientSecret, scope}}: %v", o.connections, err)
		}
		for name, c := range cfg.Connections {
			// Secrets may come from the environment: "$NAME" or "env:NAME".
			c.APIKeyValue, c.Password, c.BearerToken = fromEnv(c.APIKeyValue), fromEnv(c.Password), fromEnv(c.BearerToken)
			if c.OAuth != nil {
				c.OAuth.ClientSecret = fromEnv(c.OAuth.ClientSecret)
			}
			cfg.Connections[name] = c
		}
	}
	hc, err := httptask.New(cfg)
	if err != nil {
		return nil, nil, nil, err
	}
	leaser, _ := raw.(store.Leaser)
	nodes, _ := raw.(store.NodeRegistry)
	return hc, leaser, nodes, nil
}

func fromEnv(v string) string {
	if name, ok := strings.CutPrefix(v, "env:"); ok {
		return os.Getenv(name)
	}
	if name, ok := strings.CutPrefix(v, "$"); ok {
		return os.Getenv(name)
	}
	return v
}

func runServe(ctx context.Context, o *serveOptions, logOut interface{ Write([]byte) (int, error) }) error {
	log, err := newLogger(o, logOut)
	if err != nil {
		return err
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	var tokens map[string]httpapi.Role
	if o.authTokens != "" {
		data, err := os.ReadFile(o.authTokens)
		if err != nil {
			return usageErrorf("--auth-tokens: %v", err)
		}
		if tokens, err = httpapi.ParseTokens(data); err != nil {
			return usageErrorf("--auth-tokens %s: %v", o.authTokens, err)
		}
	}
	st, err := openStore(ctx, o, log)
	if err != nil {
		return err
	}
	defer st.Close()
	tuneGC(o.redisURL != "", os.Getenv("GOGC") != "")
	httpClient, leaser, nodes, err := engineExtras(o, st)
	if err != nil {
		return err
	}
	// One registry for the API's series and the engine's (httpapi/metrics).
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	st = m.WrapStore(st)
	engine := interpreter.New(interpreter.Config{Store: st, Logger: log, Observer: m, LogData: o.logData,
		HTTP: httpClient, Leaser: leaser, Nodes: nodes, Node: o.node, Retention: o.retention})
	// The open-executions gauge is read from the store; only the maintainer
	// (the holder of partition 0) exports it, so a sum over nodes stays right.
	open, err := m.WatchOpen(metrics.OpenConfig{Store: st, Logger: log, Export: engine.Maintainer})
	if err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfn_leases_held", Help: "Partition leases this node holds (0 on a store that is not shared).",
	}, func() float64 { return float64(engine.HeldPartitions()) })); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	if err := engine.Start(ctx); err != nil {
		return fmt.Errorf("engine: %w", err)
	}
	defer engine.Stop()
	if err := open.Start(ctx); err != nil {
		return fmt.Errorf("metrics: %w", err)
	}
	defer open.Stop()
	if o.load != "" {
		if err := loadDefinitions(ctx, engine, o.load, log); err != nil {
			return err
		}
	}

	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return usageErrorf("listen on %s: %v", o.addr, err)
	}
	if o.pprofAddr != "" {
		stopProfiles, err := serveProfiles(o.pprofAddr, log)
		if err != nil {
			return err
		}
		defer stopProfiles()
	}
	draining := make(chan struct{})
	srv := &http.Server{
		Handler:           httpapi.New(httpapi.Config{Engine: engine, Logger: log, AuthTokens: tokens, Registry: reg, Draining: draining}),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	if tokens == nil {
		log.Warn("no --auth-tokens: the API is open to anyone who can reach " + o.addr)
	} else {
		log.Info("bearer tokens required", slog.Int("tokens", len(tokens)))
	}
	log.Info("sfn serving", slog.String("url", scheme+"://"+ln.Addr().String()))

	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("serve: %w", err)
		}
		return nil
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing requests in flight", slog.Duration("grace", o.shutdownGrace))
	close(draining) // event streams end with a retry: hint
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), o.shutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		log.Warn("requests still in flight at the end of the grace period were cut", slog.Any("error", err))
		_ = srv.Close()
	}
	// engine.Stop (deferred) ends background work; leases go back with the store.
	log.Info("stopped")
	return nil
}

// loadDefinitions PUTs every definition file of dir, named by file name.
func loadDefinitions(ctx context.Context, engine *interpreter.Engine, dir string, log *slog.Logger) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return usageErrorf("--load: %v", err)
	}
	names := make([]string, 0, len(entries))
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && (ext == ".yaml" || ext == ".yml" || ext == ".json") {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	var failed []string
	for _, file := range names {
		data, err := os.ReadFile(filepath.Join(dir, file))
		if err != nil {
			return usageErrorf("--load: %v", err)
		}
		format := dsl.YAML
		if strings.EqualFold(filepath.Ext(file), ".json") {
			format = dsl.JSON
		}
		name := strings.TrimSuffix(file, filepath.Ext(file))
		res, err := engine.PutStateMachine(ctx, name, data, format)
		if err != nil {
			log.Error("definition not loaded", slog.String("file", file), slog.Any("error", err))
			failed = append(failed, file)
			continue
		}
		log.Info("definition loaded", slog.String("state_machine", name), slog.Int("version", res.StateMachine.Version))
	}
	if len(failed) > 0 {
		return failedf("--load: %d definition(s) could not be loaded: %s", len(failed), strings.Join(failed, ", "))
	}
	return nil
}

// serveGCPercent is the garbage collector's target on a Redis store. The
// state lives in Redis, so sfn's live heap is small (a few MB of caches
// and requests in flight) and, at Go's default of 100, the collector runs
// very often: on the task paths 10–20% of the CPU went to marking.
// Letting the heap grow to four times the live data before a collection
// measured 6–13% more task completions per second on Redis
// (BENCHMARKS.md). The in-memory store keeps the default: its heap is the
// data. GOGC in the environment always wins.
const serveGCPercent = 300

// tuneGC applies serveGCPercent on a Redis store unless GOGC is set.
func tuneGC(redis, gogcSet bool) (applied bool) {
	if !redis || gogcSet {
		return false
	}
	debug.SetGCPercent(serveGCPercent)
	return true
}
