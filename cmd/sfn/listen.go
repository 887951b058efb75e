package main

import (
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sfn-project/sfn/httpapi/connlimit"
)

// The server's connection deadlines. A request's body has its own
// deadline (httpapi.Config.BodyTimeout), and each route sets how long its
// answer may take to write (long for ?wait=, polls and event streams), so
// the server sets neither ReadTimeout nor WriteTimeout.
const (
	// readHeaderTimeout bounds a request's headers: a client that sends
	// them a byte at a time is cut off, and until then its connection is
	// the first to go when the cap is reached (connlimit).
	readHeaderTimeout = 5 * time.Second
	// idleTimeout bounds a kept-alive connection between requests.
	idleTimeout = 60 * time.Second
	// maxHeaderBytes bounds the memory one request's headers may take.
	maxHeaderBytes = 64 << 10
	// reservedFiles are file descriptors kept from the connection cap for
	// everything else the process opens: the store's connections, HTTP
	// task calls, definition files, logs.
	reservedFiles = 1024
	// maxAutoConnections bounds the cap derived from a large file limit:
	// each connection costs a goroutine and buffers.
	maxAutoConnections = 16384
)

// newHTTPServer is sfn serve's http.Server over a capped listener.
func newHTTPServer(capped *connlimit.Listener, h http.Handler, log *slog.Logger) *http.Server {
	return &http.Server{
		Handler:           capped.Handler(h),
		ConnContext:       capped.ConnContext,
		ReadHeaderTimeout: readHeaderTimeout,
		IdleTimeout:       idleTimeout,
		MaxHeaderBytes:    maxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
}

// raiseFileLimit lifts the soft limit on open files to the hard limit, as
// far as the process may, and returns the soft limit in force. (Go's
// runtime does the same at start on Linux; doing it here says so in the
// log and works wherever the runtime does not.)
func raiseFileLimit() uint64 {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0
	}
	if lim.Cur < lim.Max {
		raised := lim
		raised.Cur = lim.Max
		if syscall.Setrlimit(syscall.RLIMIT_NOFILE, &raised) == nil {
			lim = raised
		}
	}
	return lim.Cur
}

// connectionCap is the cap of --max-connections 0: the file limit less
// the files the rest of the process needs, within [64, maxAutoConnections].
func connectionCap(fileLimit uint64) int {
	if fileLimit == 0 || fileLimit > uint64(maxAutoConnections+reservedFiles) {
		return maxAutoConnections
	}
	return max(64, int(fileLimit)-reservedFiles)
}

// capConnections wraps ln with the connection cap and registers its series.
func capConnections(ln net.Listener, o *serveOptions, reg *prometheus.Registry, log *slog.Logger) (*connlimit.Listener, error) {
	files := raiseFileLimit()
	limit := o.maxConnections
	if limit == 0 {
		limit = connectionCap(files)
	} else if files > 0 && uint64(limit)+64 > files {
		log.Warn("--max-connections is at or above the open-file limit: connections may fail with 'too many open files' before the cap answers 503",
			slog.Int("max_connections", limit), slog.Uint64("file_limit", files))
	}
	capped := connlimit.New(ln, limit, o.tlsCert == "")
	log.Info("connection cap", slog.Int("max_connections", limit), slog.Uint64("file_limit", files))
	for _, c := range []prometheus.Collector{
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sfn_http_connections", Help: "HTTP connections open now."},
			func() float64 { return float64(capped.Stats().Open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "sfn_http_connections_max", Help: "The cap on open HTTP connections (--max-connections)."},
			func() float64 { return float64(capped.Stats().Max) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sfn_http_connections_refused_total",
			Help: "Connections answered 503 because the cap was reached with every connection busy."},
			func() float64 { return float64(capped.Stats().Refused) }),
		prometheus.NewCounterFunc(prometheus.CounterOpts{Name: "sfn_http_connections_evicted_total",
			Help: "Connections closed at the cap because they held no request in progress."},
			func() float64 { return float64(capped.Stats().Evicted) }),
	} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("metrics: %w", err)
		}
	}
	return capped, nil
}

// serverNames are the Host names the API answers to: the configured ones,
// the listen address's name when it is one, and this machine's name (IP
// addresses and localhost are always answered, see httpapi.Config).
func serverNames(addr string, configured []string) []string {
	names := append([]string(nil), configured...)
	if host, _, err := net.SplitHostPort(addr); err == nil && host != "" && net.ParseIP(host) == nil {
		names = append(names, host)
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		names = append(names, h)
	}
	return names
}
