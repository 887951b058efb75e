package main

import (
	"context"
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
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"

	"github.com/sfn-project/sfn/dsl"
	"github.com/sfn-project/sfn/dsl/arn"
	"github.com/sfn-project/sfn/httpapi"
	"github.com/sfn-project/sfn/httpapi/awsmeta"
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
	objectStores                     string
	mockConfig                       string
	limits                           string
	schedules                        scheduleOptions // serve_schedules.go
	notify                           notifyOptions   // serve_notify.go
	node                             string
	retention                        time.Duration
	maxTaskCalls                     int
	mapRunChildren                   int
	pprofAddr                        string
	maxConnections                   int
	allowedHosts, trustedOrigins     []string
	awsRegion, awsAccount            string
	awsCredentials                   string
	// getenv is serve's environment: os.Getenv in main, a map in tests, so
	// that a test never picks up a developer's SFN_* variables.
	getenv func(string) string
}

func newServeCmd(a *app) *cobra.Command {
	o := &serveOptions{getenv: a.getenv}
	env := &serveEnv{getenv: a.getenv}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the sfn server (REST API and engine)",
		Long: `Run the sfn server: the REST API (its OpenAPI document is served at
/openapi.json) and the engine that runs executions.

Without --redis-url the in-memory store is used: nothing survives a restart.
Without --auth-tokens the API is open; it binds to loopback unless --addr says otherwise.

Most flags have an environment variable (SFN_…); a flag given on the command
line wins over it. A variable whose value does not parse is a usage error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := env.err(); err != nil {
				return err
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return runServe(ctx, o, cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.addr, "addr", env.str("SFN_ADDR", "127.0.0.1:8080"), "listen address (env SFN_ADDR)")
	f.StringVar(&o.redisURL, "redis-url", env.str("SFN_REDIS_URL", ""), "Redis URL, e.g. redis://127.0.0.1:6379/0 (env SFN_REDIS_URL); empty: in-memory store")
	f.StringVar(&o.load, "load", "", "upload every *.yaml, *.yml and *.json definition in this folder at start, named by file name")
	f.StringVar(&o.authTokens, "auth-tokens", env.str("SFN_AUTH_TOKENS", ""), "file of bearer tokens and roles (env SFN_AUTH_TOKENS); empty: open API")
	f.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (with --tls-key: serve HTTPS)")
	f.StringVar(&o.tlsKey, "tls-key", "", "TLS key file")
	f.StringVar(&o.logLevel, "log-level", env.str("SFN_LOG_LEVEL", "info"), "log level: debug, info, warn, error (env SFN_LOG_LEVEL)")
	f.StringVar(&o.logFormat, "log-format", env.str("SFN_LOG_FORMAT", "text"), "log format: text or json (env SFN_LOG_FORMAT)")
	f.BoolVar(&o.logData, "log-data", env.boolean("SFN_LOG_DATA"), "include execution inputs, outputs and causes in log lines (env SFN_LOG_DATA: true, false, 1 or 0); off by default: state data may be private")
	f.DurationVar(&o.shutdownGrace, "shutdown-grace", 10*time.Second, "how long in-flight requests may finish on SIGTERM")
	f.StringVar(&o.redisPrefix, "redis-prefix", env.str("SFN_REDIS_PREFIX", "sfn"), "prefix of every Redis key (env SFN_REDIS_PREFIX)")
	f.BoolVar(&o.redisCluster, "redis-cluster", env.boolean("SFN_REDIS_CLUSTER"), "use Redis Cluster, also chosen when --redis-url lists several nodes (env SFN_REDIS_CLUSTER: true, false, 1 or 0)")
	f.StringSliceVar(&o.httpAllow, "http-allow", env.list("SFN_HTTP_ALLOW"), "hosts (name, *.domain) or CIDRs HTTP tasks may call (env SFN_HTTP_ALLOW, comma-separated); empty: all destinations. Always refused: link-local (169.254.0.0/16, fe80::/10) and cloud metadata endpoints (100.100.100.200, 168.63.129.16, 192.0.0.192, fd00:ec2::254, fd20:ce::254, metadata.google.internal…; see docs/tasks.md)")
	f.StringVar(&o.limits, "limits", env.str("SFN_LIMITS", ""), "JSON file of call limits applied at startup, key -> {\"maxInFlight\": N, \"ratePerSecond\": R, \"burst\": B}; keys \"http:<host>\", \"http:*.<domain>\", \"handler:<name>\", \"startExecution:<state machine>\" (env SFN_LIMITS; PUT /v1/limits/{key} changes them at run time; docs/tasks.md)")
	f.StringVar(&o.mockConfig, "mock-config", env.str("SFN_MOCK_CONFIG", ""), "AWS mock configuration file (Step Functions Local's MockConfigFile.json): an execution started with one of its test cases ({\"testCase\": NAME} in the start body, or stateMachineArn#NAME on the AWS API) gets the test case's mocked answers instead of making those calls (env SFN_MOCK_CONFIG; docs/testing.md)")
	f.StringVar(&o.objectStores, "object-stores", env.str("SFN_OBJECT_STORES", ""), "JSON file of the S3-compatible object stores distributed Maps read items from (ItemReader) and write results to (ResultWriter), each with the bucket prefixes it may read and write (env SFN_OBJECT_STORES; format in docs/language.md)")
	f.StringVar(&o.connections, "connections", env.str("SFN_CONNECTIONS", ""), "JSON file of named HTTP task connections, credentials for Authentication.ConnectionArn, each with \"endpoints\": [...] it may be used for (required; \"*\" for any destination) (env SFN_CONNECTIONS)")
	f.DurationVar(&o.retention, "retention", env.duration("SFN_RETENTION", interpreter.DefaultRetention), "how long finished executions and their history are kept (env SFN_RETENTION); a negative value keeps them forever")
	f.IntVar(&o.maxTaskCalls, "max-task-calls", env.count("SFN_MAX_TASK_CALLS"), fmt.Sprintf("task calls (handlers, HTTP) this node makes at once; more wait their turn, in order (env SFN_MAX_TASK_CALLS); 0: the default, %d", interpreter.DefaultMaxTaskCalls))
	f.StringVar(&o.node, "node", env.str("SFN_NODE", ""), "this node's name among the nodes sharing a Redis (env SFN_NODE; default: host, pid and a random suffix)")
	f.IntVar(&o.mapRunChildren, "map-run-children", env.count("SFN_MAP_RUN_CHILDREN"), fmt.Sprintf("child executions one Map Run of a distributed Map has running at once at most, whatever its MaxConcurrency (0 or more) says (env SFN_MAP_RUN_CHILDREN); 0: the default, %d", interpreter.DefaultMapRunChildren))
	f.IntVar(&o.maxConnections, "max-connections", env.count("SFN_MAX_CONNECTIONS"), "connections the server holds at once (env SFN_MAX_CONNECTIONS); past it, the oldest connection without a request in progress is closed, or the newcomer answered 503; 0: from the process's file limit")
	f.StringSliceVar(&o.allowedHosts, "allowed-hosts", env.list("SFN_ALLOWED_HOSTS"), "names clients use to reach this server (Host header), besides IP addresses, localhost and this machine's name: name, *.domain, or * for any (env SFN_ALLOWED_HOSTS, comma-separated); checked when the API is open or when set, against DNS rebinding")
	f.StringSliceVar(&o.trustedOrigins, "trusted-origins", env.list("SFN_TRUSTED_ORIGINS"), "origins whose web pages may write through a browser, e.g. https://console.example.com (env SFN_TRUSTED_ORIGINS, comma-separated); same-origin pages always may")
	f.StringVar(&o.pprofAddr, "pprof", env.str("SFN_PPROF", ""), "serve Go's /debug/pprof/ profiles on this separate address, e.g. 127.0.0.1:6060 (env SFN_PPROF); empty: off. Never expose it: it has no authentication")
	f.StringVar(&o.awsCredentials, "aws-credentials", env.str("SFN_AWS_CREDENTIALS", ""), "file of AWS access keys for the AWS Step Functions API, a line each: access key id, secret access key, role (admin, operator, worker or reader) (env SFN_AWS_CREDENTIALS); given, every AWS API request's SigV4 signature is verified; empty: any signature is accepted when --auth-tokens is empty too, else every AWS API request is refused")
	f.StringVar(&o.awsRegion, "aws-region", env.str("SFN_AWS_REGION", arn.DefaultRegion), "region in the AWS API's ARNs (env SFN_AWS_REGION); recorded in the store at the first start, a node started with another is refused")
	f.StringVar(&o.awsAccount, "aws-account", env.str("SFN_AWS_ACCOUNT", arn.DefaultAccount), "12-digit account id in the AWS API's ARNs (env SFN_AWS_ACCOUNT); recorded in the store at the first start, a node started with another is refused")
	addScheduleFlags(f, &o.schedules, env)
	addNotifyFlags(f, &o.notify, env)
	return cmd
}

// serveEnv reads the defaults of serve's flags from the environment through
// getenv. An empty or unset variable leaves the default; a value that does
// not parse is kept, and err reports every one as a usage error naming the
// variable and its value (a typo must not become a silent default).
type serveEnv struct {
	getenv func(string) string
	bad    []string
}

func (e *serveEnv) str(key, def string) string {
	if v := e.getenv(key); v != "" {
		return v
	}
	return def
}

// list splits a comma-separated variable.
func (e *serveEnv) list(key string) []string {
	if v := e.getenv(key); v != "" {
		return strings.Split(v, ",")
	}
	return nil
}

// boolean accepts true, false, 1 and 0; unset is false.
func (e *serveEnv) boolean(key string) bool {
	switch v := e.getenv(key); v {
	case "", "false", "0":
		return false
	case "true", "1":
		return true
	default:
		e.bad = append(e.bad, fmt.Sprintf("%s=%q: want true, false, 1 or 0", key, v))
		return false
	}
}

func (e *serveEnv) duration(key string, def time.Duration) time.Duration {
	v := e.getenv(key)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		e.bad = append(e.bad, fmt.Sprintf("%s=%q: want a duration with its unit, such as 168h or 30m", key, v))
		return def
	}
	return d
}

// count reads a whole number, 0 or more; unset is 0.
func (e *serveEnv) count(key string) int {
	v := e.getenv(key)
	if v == "" {
		return 0
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		e.bad = append(e.bad, fmt.Sprintf("%s=%q: want a whole number, 0 or more", key, v))
		return 0
	}
	return n
}

// err is the usage error for every variable that did not parse, or nil.
func (e *serveEnv) err() error {
	if len(e.bad) == 0 {
		return nil
	}
	return usageErrorf("environment: %s", strings.Join(e.bad, "; "))
}

func newLogger(o *serveOptions, w interface{ Write([]byte) (int, error) }) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(o.logLevel)); err != nil {
		return nil, usageErrorf("--log-level (or SFN_LOG_LEVEL) %q: want debug, info, warn or error", o.logLevel)
	}
	opts := &slog.HandlerOptions{Level: level}
	switch o.logFormat {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, usageErrorf("--log-format (or SFN_LOG_FORMAT) %q: want text or json", o.logFormat)
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

// httpTaskClient builds the client of HTTP tasks with the operator's
// policy: the hosts they may call and the named connections' credentials.
func httpTaskClient(o *serveOptions, log *slog.Logger) (*httptask.Client, error) {
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
			return nil, usageErrorf("--connections: %v", err)
		}
		conns, err := httptask.ParseConnections(data, o.getenv)
		if err != nil {
			return nil, usageErrorf("--connections %s: %v", o.connections, err)
		}
		cfg.Connections = conns
		for _, n := range httptask.UnrestrictedConnections(conns) {
			log.Warn("HTTP task connection may send its credentials to any destination (\"endpoints\": [\"*\"])", slog.String("connection", n))
		}
	}
	return httptask.New(cfg)
}

// servedEngine is what sfn serve runs besides the HTTP server: the engine,
// the registry of the API's and the engine's metrics, and the watcher of
// the open-executions gauge.
type servedEngine struct {
	engine *interpreter.Engine
	reg    *prometheus.Registry
	open   *metrics.Open
}

// newServedEngine builds the engine of sfn serve on st. Every store call
// goes through the metrics wrapper, leases and the node registry included:
// the engine is given the wrapper's Leaser and NodeRegistry (the wrapper
// has them when st has), never st's own, so their series move too.
func newServedEngine(o *serveOptions, st store.Store, space arn.Space, log *slog.Logger) (*servedEngine, error) {
	httpClient, err := httpTaskClient(o, log)
	if err != nil {
		return nil, err
	}
	// One registry for the API's series and the engine's (httpapi/metrics).
	reg := prometheus.NewRegistry()
	m, err := metrics.New(reg)
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	timed := m.WrapStore(st)
	leaser, _ := timed.(store.Leaser)
	nodes, _ := timed.(store.NodeRegistry)
	items, err := objectStores(o, httpClient)
	if err != nil {
		return nil, err
	}
	mocks, err := serveMocks(o.mockConfig, log)
	if err != nil {
		return nil, err
	}
	cfg := interpreter.Config{Store: timed, Logger: log, Observer: m, LogData: o.logData, Mocks: mocks,
		HTTP: httpClient, Leaser: leaser, Nodes: nodes, Node: o.node, Retention: o.retention, MaxTaskCalls: o.maxTaskCalls,
		Space: space, ItemIO: items, Limits: interpreter.Limits{MapRunChildren: o.mapRunChildren}, ResolveMachine: machineResolver(awsmeta.New(timed), space)}
	if err := configureNotifications(&o.notify, &cfg); err != nil {
		return nil, err
	}
	engine := interpreter.New(cfg)
	// The open-executions gauge is read from the store; only the maintainer
	// (the holder of partition 0) exports it, so a sum over nodes stays right.
	open, err := m.WatchOpen(metrics.OpenConfig{Store: timed, Logger: log, Export: engine.Maintainer})
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfn_leases_held", Help: "Partition leases this node holds (0 on a store that is not shared).",
	}, func() float64 { return float64(engine.HeldPartitions()) })); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(metrics.LimitCollector(engine.CallLimits)); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfn_task_calls_waiting", Help: "Task calls waiting for one of this node's --max-task-calls slots.",
	}, func() float64 { return float64(engine.TaskCallsWaiting()) })); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfn_recovery_pending", Help: "Acquired partitions whose in-flight task calls are not recovered yet.",
	}, func() float64 { return float64(engine.RecoveryPending()) })); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	if err := reg.Register(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "sfn_commit_rechecks_pending", Help: "Executions to look at again once the store answers: a commit of theirs had an unknown outcome.",
	}, func() float64 { return float64(engine.RechecksPending()) })); err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	return &servedEngine{engine: engine, reg: reg, open: open}, nil
}

func runServe(ctx context.Context, o *serveOptions, logOut interface{ Write([]byte) (int, error) }) error {
	log, err := newLogger(o, logOut)
	if err != nil {
		return err
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return usageErrorf("--tls-cert and --tls-key go together")
	}
	if o.mapRunChildren < 0 {
		return usageErrorf("--map-run-children %d: want 0 (the default, %d) or more", o.mapRunChildren, interpreter.DefaultMapRunChildren)
	}
	if o.maxTaskCalls < 0 {
		return usageErrorf("--max-task-calls %d: want 0 (the default, %d) or more", o.maxTaskCalls, interpreter.DefaultMaxTaskCalls)
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
	space, err := serveSpace(o)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, o, log)
	if err != nil {
		return err
	}
	defer st.Close()
	// The region and account are checked before anything runs: the engine
	// names executions by ARN in them ($$.Execution.Id), so a node started
	// with others must be refused before it steps one.
	if err := awsmeta.New(st).EnsureSpace(ctx, space); errors.Is(err, awsmeta.ErrSpaceChanged) {
		return usageErrorf("--aws-region/--aws-account: %w", err)
	} else if err != nil {
		return fmt.Errorf("reading the store's region and account: %w", err)
	}
	tuneGC(o.redisURL != "", o.getenv("GOGC") != "")
	served, err := newServedEngine(o, st, space, log)
	if err != nil {
		return err
	}
	engine, reg, open := served.engine, served.reg, served.open
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
	if o.limits != "" {
		if err := loadLimits(ctx, engine, o.limits, log); err != nil {
			return err
		}
	}
	// Schedules and notifications run beside the engine, and stop before it.
	schedules, stopSchedules, err := startSchedules(ctx, o, engine, reg, log)
	if err != nil {
		return err
	}
	defer stopSchedules()
	notifications, stopNotifications, err := startNotifications(ctx, o, engine, reg, log)
	if err != nil {
		return err
	}
	defer stopNotifications()

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
	// The Express runner is stopped below, after the HTTP server has
	// drained and before the engine and the store close: stopping itself
	// when ctx ends would race the deferred closes (its heartbeat's leave
	// writes to the store).
	aws, runner, err := newAWSAPI(context.WithoutCancel(ctx), o, engine, space, tokens, log)
	if err != nil {
		return err
	}
	defer runner.Stop() // on the returns before the shutdown below, which stops it itself
	apiCfg := httpapi.Config{Engine: engine, Logger: log, AuthTokens: tokens, Registry: reg, Draining: draining,
		TrustedOrigins: o.trustedOrigins, AWS: aws, Express: runner, Schedules: schedules, Notifications: notifications}
	if tokens == nil || len(o.allowedHosts) > 0 {
		// The Host check: an open API must not answer a rebound name; with
		// tokens a rebound page has none to send, and the check is opt-in.
		apiCfg.AllowedHosts = serverNames(o.addr, o.allowedHosts)
	}
	if err := httpapi.CheckConfig(apiCfg); err != nil {
		return usageErrorf("--allowed-hosts or --trusted-origins: %v", err)
	}
	capped, err := capConnections(ln, o, reg, log)
	if err != nil {
		return err
	}
	srv := newHTTPServer(capped, httpapi.New(apiCfg), log)
	srv.BaseContext = func(net.Listener) context.Context { return context.WithoutCancel(ctx) }
	scheme := "http"
	if o.tlsCert != "" {
		scheme = "https"
	}
	if tokens == nil {
		log.Warn("no --auth-tokens: the API is open to anyone who can reach " + o.addr + "; browsers are held off by the Host and Origin checks (docs/security.md)")
	} else {
		log.Info("bearer tokens required", slog.Int("tokens", len(tokens)))
	}
	log.Info("sfn serving", slog.String("url", scheme+"://"+ln.Addr().String()))

	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(capped, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(capped)
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
	runner.Stop()
	// engine.Stop (deferred) ends background work; leases go back with the store.
	log.Info("stopped")
	return nil
}

// loadDefinitions uploads every definition file of dir, named by file name,
// as the REST API's PUT does (awsmeta.PutDefinition): an existing EXPRESS
// machine's definition is checked as EXPRESS, a new state machine gets a
// fresh document, and the activities a definition uses get theirs.
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
	meta := awsmeta.New(engine.Store())
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
		res, err := meta.PutDefinition(ctx, engine, awsmeta.Definition{Name: name, Source: data, Format: format})
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
