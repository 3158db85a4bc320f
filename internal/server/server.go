package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"
	"github.com/prometheus/client_golang/prometheus"

	"caseflow/internal/account"
	"caseflow/internal/api"
	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/clock"
	"caseflow/internal/request"
	"caseflow/internal/web"
	"caseflow/internal/workflow"
)

// Pinger checks that a dependency answers, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server is the HTTP server of the service: the API under /api/v1, the
// operations endpoints, the queue monitor and, for every other path, the web
// interface, behind one set of middleware (request id, log line, metrics,
// panic recovery, body limit).
type Server struct {
	echo     *echo.Echo
	log      *slog.Logger
	api      *api.API
	web      *web.UI
	accounts *account.Service
	monitor  string
	ready    map[string]Pinger
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

// Config is what the server is built from.
type Config struct {
	Accounts  *account.Service
	Cases     *casework.Service
	Workflows *workflow.Registry
	Log       *slog.Logger
	// Ready lists the dependencies /readyz checks, by name.
	Ready map[string]Pinger
	// Metrics is the registry /metrics serves; the server adds its own
	// collectors to it. A new one is made when nil.
	Metrics *prometheus.Registry
	// TrustProxy takes the client address from X-Forwarded-For; set it only
	// behind a reverse proxy that sets that header.
	TrustProxy bool
	// QueueMonitor, when set, is served read-only to administrators at
	// MonitorPath.
	QueueMonitor http.Handler
	// MonitorPath is where QueueMonitor is mounted; default /admin/queues.
	MonitorPath string
}

// New builds the server.
func New(cfg Config) *Server {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Metrics == nil {
		cfg.Metrics = prometheus.NewRegistry()
	}
	if cfg.QueueMonitor != nil && cfg.MonitorPath == "" {
		cfg.MonitorPath = "/admin/queues"
	}
	if cfg.QueueMonitor == nil {
		cfg.MonitorPath = ""
	}
	s := &Server{echo: echo.New(), log: cfg.Log, accounts: cfg.Accounts, monitor: cfg.MonitorPath, ready: cfg.Ready,
		api: api.New(api.Config{Accounts: cfg.Accounts, Cases: cfg.Cases, Workflows: cfg.Workflows, Log: cfg.Log}),
		web: web.New(web.Config{Accounts: cfg.Accounts, Cases: cfg.Cases, Workflows: cfg.Workflows, Log: cfg.Log,
			TrustProxy: cfg.TrustProxy, MonitorPath: cfg.MonitorPath})}
	s.requests = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "caseflow_http_requests_total",
		Help: "HTTP requests by method, route and status."}, []string{"method", "route", "status"})
	s.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "caseflow_http_request_duration_seconds",
		Help: "HTTP request latency by method and route.", Buckets: prometheus.DefBuckets}, []string{"method", "route"})
	cfg.Metrics.MustRegister(s.requests, s.latency)

	e := s.echo
	e.HideBanner, e.HidePort = true, true
	e.HTTPErrorHandler = s.api.HandleError
	if cfg.TrustProxy {
		e.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		e.IPExtractor = echo.ExtractIPDirect()
	}
	e.Use(middleware.RequestIDWithConfig(middleware.RequestIDConfig{TargetHeader: echo.HeaderXRequestID}))
	e.Use(s.observe)
	e.Use(middleware.RecoverWithConfig(middleware.RecoverConfig{DisableStackAll: true, DisablePrintStack: true,
		LogErrorFunc: func(c echo.Context, err error, stack []byte) error {
			s.log.Error("panic", "request_id", request.ID(c), "route", c.Path(), "err", err.Error())
			return caseflow.Errorf(caseflow.EInternal, "panic")
		}}))
	e.Use(middleware.BodyLimit("1MiB"))
	e.Use(secureHeaders)
	// Pages and API answers go compressed to clients that accept it (a
	// commune office on a slow link). The stylesheet and script are stored
	// compressed already and /metrics compresses itself; the queue monitor
	// is left as its library serves it. Pages, read by people on slow
	// links, are compressed harder (the dashboard: 8.0 KB at level 5, 9.4 KB
	// at level 1); API answers, small and many, at the fastest level, which
	// costs half the work for a few percent more bytes.
	skip := func(c echo.Context) bool {
		p := c.Request().URL.Path
		return p == "/metrics" || strings.HasPrefix(p, "/static/") || (s.monitor != "" && strings.HasPrefix(p, s.monitor))
	}
	api := func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/api/") }
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 5, MinLength: 1024, Skipper: func(c echo.Context) bool { return skip(c) || api(c) }}))
	e.Use(middleware.GzipWithConfig(middleware.GzipConfig{Level: 1, MinLength: 1024, Skipper: func(c echo.Context) bool { return skip(c) || !api(c) }}))
	s.routes(cfg)
	return s
}

// observe logs each request (never its body or query, which may carry
// personal data) and records its metrics.
func (s *Server) observe(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		start := clock.Now()
		t := &request.Trace{}
		c.SetRequest(c.Request().WithContext(request.WithTrace(c.Request().Context(), t)))
		err := next(c)
		if err != nil {
			c.Error(err)
		}
		route := c.Path()
		if t.Route != "" {
			route = t.Route
		}
		if route == "" {
			route = "unmatched"
		}
		st := c.Response().Status
		elapsed := clock.Since(start)
		s.requests.WithLabelValues(c.Request().Method, route, strconv.Itoa(st)).Inc()
		s.latency.WithLabelValues(c.Request().Method, route).Observe(elapsed.Seconds())
		attrs := []any{"request_id", request.ID(c), "method", c.Request().Method, "route", route,
			"status", st, "duration_ms", float64(elapsed.Microseconds()) / 1000, "ip", c.RealIP()}
		if t.Viewer != nil {
			attrs = append(attrs, "user_id", t.Viewer.UserID)
		}
		s.log.Info("request", attrs...)
		return nil
	}
}

func secureHeaders(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		return next(c)
	}
}

func (s *Server) healthz(c echo.Context) error {
	return c.JSON(http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(c echo.Context) error {
	ctx, cancel := context.WithTimeout(c.Request().Context(), 2*time.Second)
	defer cancel()
	out := map[string]string{}
	ok := true
	for name, p := range s.ready {
		if err := p.Ping(ctx); err != nil {
			out[name] = "unavailable"
			ok = false
		} else {
			out[name] = "ok"
		}
	}
	code := http.StatusOK
	if !ok {
		code = http.StatusServiceUnavailable
	}
	return c.JSON(code, map[string]any{"status": map[bool]string{true: "ready", false: "not ready"}[ok], "checks": out})
}

func (s *Server) openapi(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/yaml", api.OpenAPI())
}

// ServeHTTP lets the server be used as an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.echo.ServeHTTP(w, r) }

// Routes lists the routes the server's own router takes (the API, the
// operations endpoints and the monitor; not the web interface's pages).
func (s *Server) Routes() []*echo.Route { return s.echo.Routes() }
