package server

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"caseflow/internal/api"
	"caseflow/internal/caseflow"
	"caseflow/internal/request"
	"caseflow/internal/web"
)

// routes is the server's route table: operations, the API, the queue
// monitor, and the web interface for every other path.
func (s *Server) routes(cfg Config) {
	e := s.echo
	e.GET("/healthz", s.healthz)
	e.GET("/readyz", s.readyz)
	e.GET("/metrics", echo.WrapHandler(promhttp.HandlerFor(cfg.Metrics, promhttp.HandlerOpts{})))
	e.GET("/api/openapi.yaml", s.openapi)

	s.api.Routes(e.Group("/api/v1"))

	if cfg.QueueMonitor != nil {
		h := echo.WrapHandler(cfg.QueueMonitor)
		admin := api.RequireRole(caseflow.RoleAdmin)
		e.Any(s.monitor, h, s.authAny, admin)
		e.Any(s.monitor+"/*", h, s.authAny, admin)
	}

	e.RouteNotFound("/*", s.fallback)
}

// fallback hands a request no route takes to the web interface. Paths of
// the API and of operations keep their JSON answers.
func (s *Server) fallback(c echo.Context) error {
	p := c.Request().URL.Path
	if p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics" ||
		(s.monitor != "" && (p == s.monitor || strings.HasPrefix(p, s.monitor+"/"))) {
		return s.unrouted(c)
	}
	s.web.ServeHTTP(c.Response(), c.Request())
	return nil
}

// unrouted answers an API path no route takes as the API always has: 405
// when the path exists for another method, 404 otherwise.
func (s *Server) unrouted(c echo.Context) error {
	p := c.Request().URL.Path
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == c.Request().Method {
			continue
		}
		probe := s.echo.NewContext(nil, nil)
		s.echo.Router().Find(m, p, probe)
		if r := probe.Path(); r != "" && r != "/*" {
			return echo.ErrMethodNotAllowed
		}
	}
	return echo.ErrNotFound
}

// authAny accepts the API's bearer token or, for reading, the web session
// cookie; the queue monitor, which administrators open in the browser, takes
// either.
func (s *Server) authAny(next echo.HandlerFunc) echo.HandlerFunc {
	bearerAuth := s.api.Authenticate(next)
	return func(c echo.Context) error {
		if api.Bearer(c) != "" {
			return bearerAuth(c)
		}
		k, err := c.Cookie(web.SessionCookie)
		m := c.Request().Method
		if err != nil || k.Value == "" || (m != http.MethodGet && m != http.MethodHead) {
			if m == http.MethodGet && strings.Contains(c.Request().Header.Get(echo.HeaderAccept), "text/html") {
				return c.Redirect(http.StatusSeeOther, "/login?next="+url.QueryEscape(c.Request().URL.Path))
			}
			return bearerAuth(c)
		}
		u, err := s.accounts.Authenticate(c.Request().Context(), k.Value)
		if err != nil {
			return err
		}
		request.SetViewer(c, caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency,
			IP: c.RealIP(), RequestID: request.ID(c)})
		return next(c)
	}
}
