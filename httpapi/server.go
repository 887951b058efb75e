package httpapi

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"regexp"
	"runtime/debug"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/httpapi/awsmeta"
	"github.com/sfn-project/sfn/httpapi/ui"
	"github.com/sfn-project/sfn/interpreter"
)

// Config configures the API handler.
type Config struct {
	Engine *interpreter.Engine
	Logger *slog.Logger
	// AuthTokens maps bearer tokens to roles; nil leaves the API open.
	AuthTokens map[string]Role
	// StoreTimeout bounds ordinary calls, so that an unreachable store
	// answers 503 quickly (default 2s).
	StoreTimeout time.Duration
	// WriteTimeout bounds writing an ordinary answer (default 30s).
	WriteTimeout time.Duration
	// MaxPollWait is the longest activity long poll (default 60s).
	MaxPollWait time.Duration
	// MaxWait is the longest ?wait= on start (default 5m).
	MaxWait time.Duration
	// KeepAlive is how often an idle event stream sends a comment (default 15s).
	KeepAlive time.Duration
	// Registry receives the API's metrics; nil makes a private one.
	Registry *prometheus.Registry
	// BodyTimeout bounds reading a request's body (default 30s): a client
	// that trickles its body is cut off, and its connection freed.
	BodyTimeout time.Duration
	// AllowedHosts are the names the server answers to in the Host header,
	// besides IP addresses and localhost: names, "*.domain" patterns, or
	// "*" for any (see hostPolicy, against DNS rebinding). When it is
	// empty and the API has bearer tokens, every Host is answered: a page
	// that rebinds a name to sfn has no token to send.
	AllowedHosts []string
	// TrustedOrigins are origins ("https://console.example.com") whose
	// pages may write through a browser; same-origin pages always may.
	TrustedOrigins []string
	// AWS serves the AWS Step Functions API (POST / with X-Amz-Target,
	// package awsjson) on the same listener; nil leaves it out.
	AWS http.Handler
	// Express runs the executions of EXPRESS state machines (httpapi/express.go); nil refuses them.
	Express Express
	// Draining, when closed, ends open event streams with a retry: hint, so
	// that their clients reconnect (with Last-Event-ID) to another node
	// while this one shuts down.
	Draining <-chan struct{}
	// Schedules serves /v1/schedules (schedules.go); nil answers 404 on them.
	Schedules Schedules
	// Notifications serves the notification endpoints and the stream of
	// all executions' status changes (notifications.go); nil leaves them out.
	Notifications Notifications
}

func (c Config) withDefaults() Config {
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.StoreTimeout == 0 {
		c.StoreTimeout = 2 * time.Second
	}
	if c.WriteTimeout == 0 {
		c.WriteTimeout = 30 * time.Second
	}
	if c.MaxPollWait == 0 {
		c.MaxPollWait = 60 * time.Second
	}
	if c.MaxWait == 0 {
		c.MaxWait = 5 * time.Minute
	}
	if c.BodyTimeout == 0 {
		c.BodyTimeout = 30 * time.Second
	}
	if c.KeepAlive == 0 {
		c.KeepAlive = 15 * time.Second
	}
	if c.Registry == nil {
		c.Registry = prometheus.NewRegistry()
	}
	return c
}

// Limits of request bodies.
const (
	maxDefinitionBody = 1 << 20
	maxPayload        = 256 * 1024
	envelopeAllowance = 64 * 1024
)

type server struct {
	cfg     Config
	engine  *interpreter.Engine
	log     *slog.Logger
	metrics *metrics
	hosts   *hostPolicy // nil: every Host is answered
	cop     *http.CrossOriginProtection
	// machines caches state machine documents for plain starts, which
	// need only the type (awsmeta.MachineCache).
	machines *awsmeta.MachineCache
}

// New returns the API as an http.Handler. It panics when cfg has no engine
// or holds a pattern CheckConfig refuses.
func New(cfg Config) http.Handler {
	cfg = cfg.withDefaults()
	if cfg.Engine == nil {
		panic("httpapi: Config.Engine is nil")
	}
	hosts, cop, err := protection(cfg)
	if err != nil {
		panic("httpapi: " + err.Error())
	}
	s := &server{cfg: cfg, engine: cfg.Engine, log: cfg.Logger, metrics: newMetrics(cfg.Registry), cop: cop,
		machines: awsmeta.NewMachineCache(awsmeta.New(cfg.Engine.Store()), 250*time.Millisecond, 10_000, nil)}
	if cfg.AuthTokens == nil || len(cfg.AllowedHosts) > 0 {
		s.hosts = hosts
	}
	return s.routes()
}

// CheckConfig reports what is wrong with cfg's allowed hosts and trusted
// origins, naming the bad entry.
func CheckConfig(cfg Config) error {
	_, _, err := protection(cfg)
	return err
}

// protection reads cfg's allowed hosts and trusted origins, naming the bad
// entry when one is wrong.
func protection(cfg Config) (*hostPolicy, *http.CrossOriginProtection, error) {
	hosts, err := newHostPolicy(cfg.AllowedHosts)
	if err != nil {
		return nil, nil, err
	}
	cop := http.NewCrossOriginProtection()
	for _, o := range cfg.TrustedOrigins {
		if err := cop.AddTrustedOrigin(o); err != nil {
			return nil, nil, fmt.Errorf("trusted origin %q: want scheme://host[:port], as https://console.example.com", o)
		}
	}
	return hosts, cop, nil
}

// routeKind decides a route's deadlines.
type routeKind int

const (
	short routeKind = iota // ordinary calls: a store deadline and a write deadline
	long                   // ?wait=, polls, streams: the handler sets its own
)

func (s *server) routes() http.Handler {
	r := chi.NewRouter()
	r.Use(s.requestID, s.logRequests, s.recoverPanics, s.bodyDeadline, s.checkHost, s.browserWrites)
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errf(codeNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeError(w, r, errf(codeMethodNotAllowed, fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)))
	})

	// Open operational routes.
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.metricsHandler())
	r.Get("/openapi.json", s.openAPI)
	r.Post("/", s.awsAPI)

	// The console's files hold no data and are served without a token; the
	// console sends the token with each /v1 call it makes (httpapi/ui).
	r.Method(http.MethodGet, "/ui*", s.console())

	h := func(p perm, k routeKind, f http.HandlerFunc) http.Handler { return s.guard(p, k, f) }
	r.Route("/v1", func(r chi.Router) {
		r.Method(http.MethodGet, "/openapi.json", h(permRead, short, s.openAPI))
		r.Method(http.MethodGet, "/schema", h(permRead, short, s.schema))
		r.Method(http.MethodPost, "/validate", h(permRead, short, s.validate))
		r.Method(http.MethodPost, "/test-state", h(permDefine, long, s.testState)) // admin: it runs any definition with the server's connections

		r.Method(http.MethodGet, "/state-machines", h(permRead, short, s.listStateMachines))
		r.Method(http.MethodPut, "/state-machines/{name}", h(permDefine, short, s.putStateMachine))
		r.Method(http.MethodGet, "/state-machines/{name}", h(permRead, short, s.getStateMachine))
		r.Method(http.MethodDelete, "/state-machines/{name}", h(permDefine, short, s.deleteStateMachine))
		r.Method(http.MethodGet, "/state-machines/{name}/versions/{version}", h(permRead, short, s.getStateMachineVersion))
		r.Method(http.MethodGet, "/state-machines/{name}/graph", h(permRead, short, s.graph))
		r.Method(http.MethodPost, "/state-machines/{name}/publish", h(permDefine, short, s.publishStateMachine))
		r.Method(http.MethodGet, "/state-machines/{name}/aliases", h(permRead, short, s.listAliases))
		r.Method(http.MethodPut, "/state-machines/{name}/aliases/{alias}", h(permDefine, short, s.putAlias))
		r.Method(http.MethodGet, "/state-machines/{name}/aliases/{alias}", h(permRead, short, s.getAlias))
		r.Method(http.MethodDelete, "/state-machines/{name}/aliases/{alias}", h(permDefine, short, s.deleteAlias))
		r.Method(http.MethodPost, "/state-machines/{name}/executions", h(permExecute, long, s.startExecution))
		r.Method(http.MethodGet, "/state-machines/{name}/executions", h(permRead, short, s.listStateMachineExecutions))

		r.Method(http.MethodGet, "/executions", h(permRead, short, s.listExecutions))
		r.Method(http.MethodGet, "/executions/{id}", h(permRead, short, s.getExecution))
		r.Method(http.MethodGet, "/executions/{id}/history", h(permRead, short, s.history))
		r.Method(http.MethodGet, "/executions/{id}/events", h(permRead, long, s.events))
		r.Method(http.MethodPost, "/executions/{id}/stop", h(permExecute, short, s.stopExecution))
		r.Method(http.MethodPost, "/executions/{id}/redrive", h(permExecute, short, s.redriveExecution))
		r.Method(http.MethodGet, "/executions/{id}/map-runs", h(permRead, short, s.listMapRuns))

		r.Method(http.MethodGet, "/map-runs/{id}", h(permRead, short, s.getMapRun))
		r.Method(http.MethodPatch, "/map-runs/{id}", h(permExecute, short, s.updateMapRun))
		r.Method(http.MethodGet, "/map-runs/{id}/executions", h(permRead, short, s.listMapRunExecutions))

		r.Method(http.MethodPost, "/activities/{activity}/poll", h(permWork, long, s.pollActivity))
		r.Method(http.MethodPost, "/tasks/success", h(permWork, short, s.taskSuccess))
		r.Method(http.MethodPost, "/tasks/failure", h(permWork, short, s.taskFailure))
		r.Method(http.MethodPost, "/tasks/heartbeat", h(permWork, short, s.taskHeartbeat))

		s.scheduleRoutes(r, h)
		s.notificationRoutes(r, h)
		s.limitRoutes(r, h)
	})
	return r
}

// awsAPI hands AWS API calls (awsJson1_0, X-Amz-Target) to cfg.AWS. The
// operation sets its own deadlines: GetActivityTask long-polls and
// StartSyncExecution waits for its execution.
func (s *server) awsAPI(w http.ResponseWriter, r *http.Request) {
	if s.cfg.AWS == nil || r.Header.Get("X-Amz-Target") == "" {
		s.writeError(w, r, errf(codeNotFound, "no route for POST /: the AWS Step Functions API needs an X-Amz-Target header"))
		return
	}
	extendDeadline(w, 0)
	s.cfg.AWS.ServeHTTP(w, r)
}

// console serves the web console under /ui/ and sends /ui there.
func (s *server) console() http.Handler {
	files := http.StripPrefix("/ui", ui.Handler())
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == "/ui":
			http.Redirect(w, r, "/ui/", http.StatusMovedPermanently)
		case strings.HasPrefix(r.URL.Path, "/ui/") && consoleFile(r.URL.Path):
			files.ServeHTTP(w, r)
		default:
			s.writeError(w, r, errf(codeNotFound, fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)))
		}
	})
}

// consoleFile reports whether path names one of the console's files (or
// its folder): any other /ui/ path answers the API's JSON 404 like every
// other unknown path, not the file server's plain text.
func consoleFile(path string) bool {
	name := strings.Trim(strings.TrimPrefix(path, "/ui/"), "/")
	if name == "" {
		return true
	}
	_, err := fs.Stat(ui.Assets(), name)
	return err == nil
}

// guard checks access and sets the route's deadlines.
func (s *server) guard(p perm, k routeKind, next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := s.authorize(r, p); err != nil {
			s.writeError(w, r, err)
			return
		}
		if k == long {
			// The route sets its own write deadline (extendDeadline).
			extendDeadline(w, 0)
		}
		if k == short {
			ctx, cancel := context.WithTimeout(r.Context(), s.cfg.StoreTimeout)
			defer cancel()
			r = r.WithContext(ctx)
		}
		next(w, r)
	})
}

// extendDeadline lets a long route write for d more (zero: no deadline).
func extendDeadline(w http.ResponseWriter, d time.Duration) {
	rc := http.NewResponseController(w)
	if d == 0 {
		_ = rc.SetWriteDeadline(time.Time{})
		return
	}
	_ = rc.SetWriteDeadline(time.Now().Add(d))
}

type ctxKey int

const requestIDKey ctxKey = iota

var requestIDRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID takes the client's X-Request-Id when it is sane, else makes one.
func (s *server) requestID(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		id := r.Header.Get("X-Request-Id")
		if !requestIDRE.MatchString(id) {
			var b [8]byte
			_, _ = rand.Read(b[:])
			id = hex.EncodeToString(b[:])
		}
		w.Header().Set("X-Request-Id", id)
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), requestIDKey, id)))
	})
}

func requestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// statusWriter remembers the status code for logs and metrics.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection (deadlines, flush).
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		// Every answer must be written in time, whichever route (or none)
		// takes the request; long routes clear this and set their own.
		_ = http.NewResponseController(w).SetWriteDeadline(start.Add(s.cfg.WriteTimeout))
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		if sw.status == 0 {
			sw.status = http.StatusOK
		}
		elapsed := time.Since(start)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		s.metrics.observe(r.Method, route, sw.status, elapsed)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		}
		s.log.LogAttrs(r.Context(), level, "request", slog.String("request_id", requestID(r.Context())),
			slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Int("status", sw.status),
			slog.Duration("duration", elapsed))
	})
}

func (s *server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			p := recover()
			if p == nil {
				return
			}
			if p == http.ErrAbortHandler {
				panic(p)
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "handler panicked", slog.String("request_id", requestID(r.Context())),
				slog.String("method", r.Method), slog.String("path", r.URL.Path), slog.Any("panic", p),
				slog.String("stack", string(debug.Stack())))
			writeJSON(w, http.StatusInternalServerError, errf(codeInternal, "internal error"))
		}()
		next.ServeHTTP(w, r)
	})
}
