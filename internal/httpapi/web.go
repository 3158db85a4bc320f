package httpapi

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"sync"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"caseflow/internal/caseflow"
)

// The browser interface: server-rendered pages in Vietnamese (English on
// request) over the same services as the API. It runs as an echo instance of
// its own, mounted as the main server's fallback for every path the API does
// not route: its errors are HTML pages rather than JSON, its middleware
// (sessions in cookies, CSRF, a strict Content-Security-Policy) stays off the
// API, and its routes stay out of the API's route table and OpenAPI document.
// The main server's request id, logging, metrics, panic recovery and body
// limit still wrap every page.

//go:embed web/templates/*.html web/static/app.css web/static/app.js
var webFS embed.FS

// Cookie, form field and context names of the web interface.
const (
	sessionCookie = "cf_session"
	langCookie    = "cf_lang"
	csrfCookie    = "cf_csrf"
	csrfField     = "_csrf"
	userKey       = "web_user"
	langKey       = "web_lang"
	csrfKey       = "csrf"
	expiredKey    = "web_expired"
)

// contentSecurityPolicy allows scripts, styles and images from the server
// itself only: no inline script, no third party, no framing.
const contentSecurityPolicy = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// webUI is the browser interface: its own echo instance, templates and assets.
type webUI struct {
	s          *Server
	api        *echo.Echo // the main server, to tell an unknown API path from a wrong method
	echo       *echo.Echo
	trustProxy bool
	monitor    string // path of the queue monitor, when one is served
	pages      map[string]map[string]*template.Template
	assets     map[string]*asset
	css, js    string // hashed paths of the stylesheet and script
	csrf       echo.MiddlewareFunc
	csrfTLS    echo.MiddlewareFunc
	dir        *agencyDirectory
	dirMu      sync.Mutex
}

// asset is an embedded static file with its gzipped form.
type asset struct {
	typ  string
	body []byte
	gz   []byte
}

// webTrace carries what the web instance learnt about a request back to the
// main server, so that its log line and metrics name the route and the user.
type webTrace struct {
	route  string
	viewer *caseflow.Viewer
}

type webTraceKey struct{}

// routesWeb mounts the browser interface at / on e.
func (s *Server) routesWeb(e *echo.Echo, cfg Config) {
	w := &webUI{s: s, api: e, echo: echo.New(), trustProxy: cfg.TrustProxy}
	if cfg.QueueMonitor != nil {
		w.monitor = cfg.MonitorPath
		if w.monitor == "" {
			w.monitor = "/admin/queues"
		}
	}
	w.loadAssets()
	w.loadTemplates()
	w.echo.HideBanner, w.echo.HidePort = true, true
	w.echo.IPExtractor = e.IPExtractor
	w.echo.HTTPErrorHandler = w.handleError
	csrf := middleware.CSRFConfig{TokenLookup: "form:" + csrfField, CookieName: csrfCookie, CookiePath: "/",
		CookieHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode, ContextKey: csrfKey,
		Skipper:      func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/static/") },
		ErrorHandler: func(error, echo.Context) error { return errCSRF }}
	w.csrf = middleware.CSRFWithConfig(csrf)
	csrf.CookieSecure = true
	w.csrfTLS = middleware.CSRFWithConfig(csrf)
	w.echo.Use(w.trace, w.headers, w.language, w.checkCSRF, w.session)
	w.routes()
	e.RouteNotFound("/*", w.serve)
}

// routes is the route table of the browser interface.
func (w *webUI) routes() {
	e := w.echo
	e.GET("/static/:name", w.static)
	e.GET("/", w.home)
	e.GET("/login", w.loginPage)
	e.POST("/login", w.loginSubmit)
	e.POST("/logout", w.logoutSubmit, w.need())

	reads := w.need(caseflow.RoleCommuneOfficer, caseflow.RolePolice, caseflow.RoleHealth, caseflow.RoleProsecutor,
		caseflow.RoleCourt, caseflow.RoleSocialWorker, caseflow.RoleLegalAid, caseflow.RoleSupervisor)
	acts := w.need(caseflow.RoleCommuneOfficer, caseflow.RolePolice, caseflow.RoleHealth, caseflow.RoleProsecutor,
		caseflow.RoleCourt, caseflow.RoleSocialWorker, caseflow.RoleLegalAid)
	officer := w.need(caseflow.RoleCommuneOfficer)
	e.GET("/cases", w.caseList, reads)
	e.GET("/reports/new", w.intakeForm, officer)
	e.POST("/reports", w.intakeSubmit, officer)
	e.GET("/cases/:code", w.casePage, reads)
	e.POST("/cases/:code/events", w.fireSubmit, acts)
	e.POST("/cases/:code/referrals", w.referSubmit, acts)
	e.POST("/cases/:code/clocks/:clock/extend", w.extendSubmit, acts)
	e.POST("/referrals/:id/:action", w.referralAnswer, acts)
	e.GET("/worklist", w.worklistPage, acts)
	e.GET("/notifications", w.notificationsPage, reads)
	e.POST("/notifications/:id/read", w.notificationRead, reads)

	supervisor := w.need(caseflow.RoleSupervisor)
	e.GET("/dashboard", w.dashboard, supervisor)
	e.GET("/dashboard/indicators/:id", w.dashboardCases, supervisor)
	e.GET("/dashboard/export.:format", w.dashboardExport, supervisor)

	admin := w.need(caseflow.RoleAdmin)
	e.GET("/admin/users", w.usersPage, admin)
	e.POST("/admin/users", w.userCreate, admin)
	e.GET("/admin/users/:username", w.userPage, admin)
	e.POST("/admin/users/:username", w.userUpdate, admin)
	e.GET("/admin/holidays", w.holidaysPage, admin)
	e.POST("/admin/holidays", w.holidayPut, admin)
	e.POST("/admin/holidays/:date/delete", w.holidayDelete, admin)
}

// serve hands a request the API does not route to the web instance. Paths
// of the API and of operations keep their JSON answers.
func (w *webUI) serve(c echo.Context) error {
	p := c.Request().URL.Path
	if p == "/api" || strings.HasPrefix(p, "/api/") || p == "/healthz" || p == "/readyz" || p == "/metrics" ||
		(w.monitor != "" && (p == w.monitor || strings.HasPrefix(p, w.monitor+"/"))) {
		return w.unrouted(c)
	}
	wt := &webTrace{}
	r := c.Request()
	w.echo.ServeHTTP(c.Response(), r.WithContext(context.WithValue(r.Context(), webTraceKey{}, wt)))
	if wt.route != "" {
		c.SetPath(wt.route)
	}
	if wt.viewer != nil {
		c.Set(viewerKey, *wt.viewer)
	}
	return nil
}

// unrouted answers an API path no route takes as the API always has: 405
// when the path exists for another method, 404 otherwise.
func (w *webUI) unrouted(c echo.Context) error {
	p := c.Request().URL.Path
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if m == c.Request().Method {
			continue
		}
		probe := w.api.NewContext(nil, nil)
		w.api.Router().Find(m, p, probe)
		if r := probe.Path(); r != "" && r != "/*" {
			return echo.ErrMethodNotAllowed
		}
	}
	return echo.ErrNotFound
}

// trace records the route matched, for the main server's log and metrics.
func (w *webUI) trace(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if wt, ok := c.Request().Context().Value(webTraceKey{}).(*webTrace); ok {
			wt.route = c.Path()
			defer func() {
				if v, ok := c.Get(viewerKey).(caseflow.Viewer); ok {
					wt.viewer = &v
				}
			}()
		}
		return next(c)
	}
}

// headers sets the security headers of every page. Pages are personal:
// nothing is cached except the fingerprinted assets.
func (w *webUI) headers(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		h := c.Response().Header()
		h.Set("Content-Security-Policy", contentSecurityPolicy)
		h.Set("X-Frame-Options", "DENY")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		if w.secure(c) {
			h.Set("Strict-Transport-Security", "max-age=31536000")
		}
		return next(c)
	}
}

// secure reports whether the browser reached us over TLS, directly or
// through a trusted proxy.
func (w *webUI) secure(c echo.Context) bool {
	r := c.Request()
	return r.TLS != nil || (w.trustProxy && strings.EqualFold(r.Header.Get(echo.HeaderXForwardedProto), "https"))
}

// language picks vi or en: ?lang= on a GET sets the cookie (and drops the
// parameter from the address), else the cookie decides; vi by default.
func (w *webUI) language(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		r := c.Request()
		if q := r.URL.Query().Get("lang"); q != "" && r.Method == http.MethodGet {
			lang := pickLang(q)
			c.SetCookie(&http.Cookie{Name: langCookie, Value: lang, Path: "/", MaxAge: 365 * 24 * 3600,
				HttpOnly: true, Secure: w.secure(c), SameSite: http.SameSiteLaxMode})
			u := *r.URL
			q := u.Query()
			q.Del("lang")
			u.RawQuery = q.Encode()
			return c.Redirect(http.StatusSeeOther, u.RequestURI())
		}
		lang := "vi"
		if k, err := c.Cookie(langCookie); err == nil {
			lang = pickLang(k.Value)
		}
		c.Set(langKey, lang)
		return next(c)
	}
}

func pickLang(s string) string {
	if s == "en" {
		return "en"
	}
	return "vi"
}

// loadAssets fingerprints the stylesheet and script, so browsers keep them
// for a year and fetch them again only when they change.
func (w *webUI) loadAssets() {
	w.assets = map[string]*asset{}
	for _, f := range []struct{ file, typ string }{
		{"app.css", "text/css; charset=utf-8"}, {"app.js", "text/javascript; charset=utf-8"},
	} {
		body, err := fs.ReadFile(webFS, "web/static/"+f.file)
		if err != nil {
			panic(err) // embedded at build time; cannot be missing
		}
		sum := sha256.Sum256(body)
		ext := path.Ext(f.file)
		name := strings.TrimSuffix(f.file, ext) + "." + hex.EncodeToString(sum[:5]) + ext
		var gz bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&gz, gzip.BestCompression)
		_, _ = zw.Write(body)
		_ = zw.Close()
		w.assets[name] = &asset{typ: f.typ, body: body, gz: gz.Bytes()}
		if ext == ".css" {
			w.css = "/static/" + name
		} else {
			w.js = "/static/" + name
		}
	}
}

func (w *webUI) static(c echo.Context) error {
	a, ok := w.assets[c.Param("name")]
	if !ok {
		return echo.ErrNotFound
	}
	h := c.Response().Header()
	h.Set("Cache-Control", "public, max-age=31536000, immutable")
	h.Add("Vary", "Accept-Encoding")
	if strings.Contains(c.Request().Header.Get("Accept-Encoding"), "gzip") {
		h.Set("Content-Encoding", "gzip")
		return c.Blob(http.StatusOK, a.typ, a.gz)
	}
	return c.Blob(http.StatusOK, a.typ, a.body)
}
