package web

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"path"
	"strings"

	"github.com/labstack/echo/v4"
	"github.com/labstack/echo/v4/middleware"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/request"
	"caseflow/internal/workflow"
)

// The browser interface: server-rendered pages in Vietnamese (English on
// request) over the same services as the API. It runs as an echo instance of
// its own, mounted as the main server's fallback for every path the API does
// not route: its errors are HTML pages rather than JSON, its middleware
// (sessions in cookies, CSRF, a strict Content-Security-Policy) stays off the
// API, and its routes stay out of the API's route table and OpenAPI document.
// The main server's request id, logging, metrics, panic recovery and body
// limit still wrap every page.

//go:embed templates/*.html static/app.css static/app.js static/sw.js
var webFS embed.FS

// Cookie, form field and context names of the web interface.
const (
	sessionCookie = "cf_session"
	tokenKey      = "web_token"
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

// UI is the browser interface: its own echo instance, templates and assets,
// over the same services as the API.
type UI struct {
	accounts   *account.Service
	cases      *casework.Service
	flows      *workflow.Registry
	log        *slog.Logger
	echo       *echo.Echo
	trustProxy bool
	monitor    string // path of the queue monitor, when one is served
	pages      map[string]map[string]*template.Template
	assets     map[string]*asset
	css, js    string // hashed paths of the stylesheet and script
	csrf       echo.MiddlewareFunc
	csrfTLS    echo.MiddlewareFunc
}

// Config is what the web interface is built from.
type Config struct {
	Accounts  *account.Service
	Cases     *casework.Service
	Workflows *workflow.Registry
	// Log receives internal errors; default: discarded.
	Log *slog.Logger
	// TrustProxy takes the client address and scheme from the proxy's
	// headers; set it only behind a reverse proxy that sets them.
	TrustProxy bool
	// MonitorPath, when set, is where administrators find the queue monitor.
	MonitorPath string
}

// asset is an embedded static file with its gzipped form.
type asset struct {
	typ  string
	body []byte
	gz   []byte
}

// SessionCookie is the cookie that carries a browser's session token.
const SessionCookie = sessionCookie

// New builds the browser interface.
func New(cfg Config) *UI {
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	w := &UI{accounts: cfg.Accounts, cases: cfg.Cases, flows: cfg.Workflows, log: cfg.Log, echo: echo.New(),
		trustProxy: cfg.TrustProxy, monitor: cfg.MonitorPath}
	w.loadAssets()
	w.loadTemplates()
	w.echo.HideBanner, w.echo.HidePort = true, true
	if cfg.TrustProxy {
		w.echo.IPExtractor = echo.ExtractIPFromXFFHeader()
	} else {
		w.echo.IPExtractor = echo.ExtractIPDirect()
	}
	w.echo.HTTPErrorHandler = w.handleError
	csrf := middleware.CSRFConfig{TokenLookup: "form:" + csrfField, CookieName: csrfCookie, CookiePath: "/",
		CookieHTTPOnly: true, CookieSameSite: http.SameSiteStrictMode, ContextKey: csrfKey,
		Skipper:      func(c echo.Context) bool { return strings.HasPrefix(c.Request().URL.Path, "/static/") },
		ErrorHandler: func(error, echo.Context) error { return errCSRF }}
	w.csrf = middleware.CSRFWithConfig(csrf)
	csrf.CookieSecure = true
	w.csrfTLS = middleware.CSRFWithConfig(csrf)
	w.echo.Use(w.trace, w.headers, w.language, requireText, w.checkCSRF, w.session)
	w.routes()
	return w
}

// ServeHTTP serves a page; the server hands it every path the API and the
// operations endpoints do not route.
func (w *UI) ServeHTTP(rw http.ResponseWriter, r *http.Request) { w.echo.ServeHTTP(rw, r) }

// trace records the route matched, for the main server's log and metrics.
func (w *UI) trace(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		request.SetRoute(c, c.Path())
		return next(c)
	}
}

// requireText refuses a request whose query, path or form values are not
// text (valid UTF-8 without NUL, which PostgreSQL refuses), before any
// handler reads them.
func requireText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		values := c.QueryParams()
		if m := c.Request().Method; m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch {
			if form, err := c.FormParams(); err == nil {
				values = form // the query's values are part of it
			}
		}
		for name, vs := range values {
			for _, v := range vs {
				if !caseflow.IsText(name) || !caseflow.IsText(v) {
					return caseflow.InvalidField(strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "?"), caseflow.NotText())
				}
			}
		}
		for i, v := range c.ParamValues() {
			if !caseflow.IsText(v) {
				return caseflow.InvalidField(c.ParamNames()[i], caseflow.NotText())
			}
		}
		return next(c)
	}
}

// headers sets the security headers of every page. Pages are personal:
// nothing is cached except the fingerprinted assets.
func (w *UI) headers(next echo.HandlerFunc) echo.HandlerFunc {
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
func (w *UI) secure(c echo.Context) bool {
	r := c.Request()
	return r.TLS != nil || (w.trustProxy && strings.EqualFold(r.Header.Get(echo.HeaderXForwardedProto), "https"))
}

// language picks vi or en: ?lang= on a GET sets the cookie (and drops the
// parameter from the address), else the cookie decides; vi by default.
func (w *UI) language(next echo.HandlerFunc) echo.HandlerFunc {
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
func (w *UI) loadAssets() {
	w.assets = map[string]*asset{}
	for _, f := range []struct{ file, typ string }{
		{"app.css", "text/css; charset=utf-8"}, {"app.js", "text/javascript; charset=utf-8"},
	} {
		body, err := fs.ReadFile(webFS, "static/"+f.file)
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

// serviceWorker serves the service worker from the root, so that it may
// answer for every page; browsers check it for changes on each visit.
func (w *UI) serviceWorker(c echo.Context) error {
	body, err := fs.ReadFile(webFS, "static/sw.js")
	if err != nil {
		return err
	}
	c.Response().Header().Set("Cache-Control", "no-cache")
	return c.Blob(http.StatusOK, "text/javascript; charset=utf-8", body)
}

func (w *UI) static(c echo.Context) error {
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
