// Package monitor gives a process what an on-call engineer expects of it:
// Prometheus metrics (the Temporal SDK's and the product's, through one
// tally scope) and health endpoints, served on an address of their own.
package monitor

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	prom "github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/uber-go/tally/v4"
	tallyprom "github.com/uber-go/tally/v4/prometheus"
	"go.temporal.io/sdk/client"
	sdktally "go.temporal.io/sdk/contrib/tally"
)

// Metrics is a process's metrics registry.
type Metrics struct {
	registry *prom.Registry
	scope    tally.Scope
	closer   interface{ Close() error }
	handler  client.MetricsHandler
}

// NewMetrics makes the registry and the tally scope that reports to it, as
// Temporal's metrics sample does, with timers as Prometheus histograms.
func NewMetrics() (*Metrics, error) {
	registry := prom.NewRegistry()
	registry.MustRegister(prom.NewGoCollector(), prom.NewProcessCollector(prom.ProcessCollectorOpts{}))
	reporter, err := tallyprom.Configuration{TimerType: "histogram"}.NewReporter(tallyprom.ConfigurationOptions{
		Registry: registry,
		OnError:  func(err error) { slog.Warn("Metric not reported", "error", err) },
	})
	if err != nil {
		return nil, err
	}
	scope, closer := tally.NewRootScope(tally.ScopeOptions{
		CachedReporter:  reporter,
		Separator:       tallyprom.DefaultSeparator,
		SanitizeOptions: &sdktally.PrometheusSanitizeOptions,
	}, time.Second)
	scope = sdktally.NewPrometheusNamingScope(scope)
	return &Metrics{registry: registry, scope: scope, closer: closer, handler: sdktally.NewMetricsHandler(scope)}, nil
}

// Handler is the Temporal SDK's metrics handler: give it to client.Options,
// and record the product's metrics through it.
func (m *Metrics) Handler() client.MetricsHandler { return m.handler }

// Close flushes and stops the scope.
func (m *Metrics) Close() error { return m.closer.Close() }

// Check is one thing a process needs to do its work, such as Temporal or
// its database; it answers within ctx.
type Check func(ctx context.Context) error

// Server serves /metrics, /healthz (the process is alive) and /readyz (every
// check passes: the process can do its work).
type Server struct {
	Addr    string
	Metrics *Metrics
	Checks  map[string]Check
	Logger  *slog.Logger

	mu  sync.Mutex
	srv *http.Server
}

// Routes adds the endpoints to mux.
func (s *Server) Routes(mux *http.ServeMux) {
	mux.Handle("GET /metrics", promhttp.HandlerFor(s.Metrics.registry, promhttp.HandlerOpts{}))
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "alive"})
	})
	mux.HandleFunc("GET /readyz", s.ready)
}

func (s *Server) ready(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), 3*time.Second)
	defer cancel()
	names := make([]string, 0, len(s.Checks))
	for name := range s.Checks {
		names = append(names, name)
	}
	sort.Strings(names)
	results := map[string]string{}
	status := http.StatusOK
	for _, name := range names {
		results[name] = "ok"
		if err := s.Checks[name](ctx); err != nil {
			results[name] = err.Error()
			status = http.StatusServiceUnavailable
		}
	}
	writeJSON(w, status, results)
}

// Start listens on Addr and serves until Shutdown.
func (s *Server) Start() error {
	mux := http.NewServeMux()
	s.Routes(mux)
	l, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(l); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.Logger.Error("Metrics and health endpoints stopped", "error", err)
		}
	}()
	s.Logger.Info("Metrics and health endpoints listening", "addr", l.Addr().String())
	return nil
}

// Shutdown stops serving.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Shutdown(ctx)
}

// TemporalCheck is ready when the Temporal service answers.
func TemporalCheck(c client.Client) Check {
	return func(ctx context.Context) error {
		_, err := c.CheckHealth(ctx, &client.CheckHealthRequest{})
		return err
	}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
