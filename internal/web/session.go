package web

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// Sessions of the web interface: the API's session tokens, kept in an
// HttpOnly cookie; CSRF protection of every form; logging in and out.

// checkCSRF refuses a form posted from another site: browsers that send
// Sec-Fetch-Site are judged by it, others by the double-submit token every
// form carries. The token's cookie is Secure when the page came over TLS.
func (w *UI) checkCSRF(next echo.HandlerFunc) echo.HandlerFunc {
	plain, tls := w.csrf(next), w.csrfTLS(next)
	return func(c echo.Context) error {
		if w.secure(c) {
			return tls(c)
		}
		return plain(c)
	}
}

// session resolves the session cookie, when there is one, to the same viewer
// the API's bearer authentication sets. A cookie that no longer opens a
// session is cleared and remembered, so the login page can say why.
func (w *UI) session(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if strings.HasPrefix(c.Request().URL.Path, "/static/") {
			return next(c)
		}
		k, err := c.Cookie(sessionCookie)
		if err != nil || k.Value == "" {
			return next(c)
		}
		u, err := w.accounts.Authenticate(c.Request().Context(), k.Value)
		if caseflow.ErrorCode(err) == caseflow.EUnauthorized {
			w.clearSession(c)
			c.Set(expiredKey, true)
			return next(c)
		}
		if err != nil {
			return err
		}
		c.Set(tokenKey, k.Value)
		c.Set(userKey, u)
		request.SetViewer(c, caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency,
			IP: c.RealIP(), RequestID: request.ID(c)})
		return next(c)
	}
}

func (w *UI) clearSession(c echo.Context) {
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true,
		Secure: w.secure(c), SameSite: http.SameSiteLaxMode})
}

// need lets a logged-in user whose role passes allowed through; others are
// sent to the login page or refused.
func (w *UI) need(allowed func(caseflow.Role) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			u, _ := c.Get(userKey).(*caseflow.User)
			if u == nil {
				q := url.Values{}
				// After logging in the user is back where they were: on the
				// page they asked for, or on the form they were posting, whose
				// draft the page script keeps.
				if c.Request().Method == http.MethodGet {
					q.Set("next", c.Request().URL.RequestURI())
				} else if back := localNext(formPage(c.Request().URL.Path)); back != "" && back != "/" {
					q.Set("next", back)
				}
				if c.Get(expiredKey) != nil {
					q.Set("expired", "1")
				}
				to := "/login"
				if len(q) > 0 {
					to += "?" + q.Encode()
				}
				return c.Redirect(http.StatusSeeOther, to)
			}
			if !allowed(u.Role) {
				return caseflow.Errorf(caseflow.EForbidden, "role")
			}
			return next(c)
		}
	}
}

// home sends each user to where their work starts.
func (w *UI) home(c echo.Context) error {
	u, _ := c.Get(userKey).(*caseflow.User)
	if u == nil {
		if c.Get(expiredKey) != nil {
			return c.Redirect(http.StatusSeeOther, "/login?expired=1")
		}
		return c.Redirect(http.StatusSeeOther, "/login")
	}
	return c.Redirect(http.StatusSeeOther, homeOf(u.Role))
}

func homeOf(r caseflow.Role) string {
	switch r {
	case caseflow.RoleCommuneOfficer:
		return "/cases"
	case caseflow.RoleSupervisor:
		return "/dashboard"
	case caseflow.RoleAdmin:
		return "/admin/users"
	}
	return "/worklist"
}

// localNext returns next when it is a path of this site, else "".
func localNext(next string) string {
	if !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/login") || strings.HasPrefix(next, "/logout") || len(next) > 500 {
		return ""
	}
	return next
}

type loginView struct {
	Username string
	Next     string
	Error    string
}

func (w *UI) loginPage(c echo.Context) error {
	if u, _ := c.Get(userKey).(*caseflow.User); u != nil {
		return c.Redirect(http.StatusSeeOther, homeOf(u.Role))
	}
	lang := langOf(c)
	q := c.QueryParams()
	notice, kind := "", ""
	var opts []pageOption
	switch {
	case q.Get("expired") != "" || c.Get(expiredKey) != nil:
		notice, kind = tr(lang, "login.expired"), "warn"
	case q.Get("bye") != "":
		notice, kind = tr(lang, "login.bye"), "ok"
		// What the page script kept on the device goes with the session.
		opts = append(opts, func(p *page) { p.Wipe = true })
	}
	opts = append(opts, withNotice(notice, kind))
	return w.render(c, http.StatusOK, "login", tr(lang, "title.login"), loginView{Next: localNext(q.Get("next"))}, opts...)
}

func (w *UI) loginSubmit(c echo.Context) error {
	lang := langOf(c)
	username := strings.TrimSpace(c.FormValue("username"))
	password := c.FormValue("password")
	v := loginView{Username: username, Next: localNext(c.FormValue("next"))}
	if username == "" || password == "" || len(username) > 100 || len(password) > 200 {
		v.Error = tr(lang, "login.missing")
		return w.render(c, http.StatusUnprocessableEntity, "login", tr(lang, "title.login"), v)
	}
	sess, u, err := w.accounts.Login(c.Request().Context(), username, password, c.RealIP(), request.ID(c))
	switch caseflow.ErrorCode(err) {
	case "":
	case caseflow.EUnauthorized:
		v.Error = tr(lang, "login.wrong")
		return w.render(c, http.StatusUnauthorized, "login", tr(lang, "title.login"), v)
	case caseflow.ERateLimited:
		v.Error = tr(lang, "login.limited")
		c.Response().Header().Set("Retry-After", caseflow.RetryAfterSeconds(caseflow.RetryAfterOf(err)))
		return w.render(c, http.StatusTooManyRequests, "login", tr(lang, "title.login"), v)
	default:
		return err
	}
	c.SetCookie(&http.Cookie{Name: sessionCookie, Value: sess.Token, Path: "/", Expires: sess.ExpiresAt,
		HttpOnly: true, Secure: w.secure(c), SameSite: http.SameSiteLaxMode})
	to := v.Next
	if to == "" {
		to = homeOf(u.Role)
	}
	return c.Redirect(http.StatusSeeOther, to)
}

func (w *UI) logoutSubmit(c echo.Context) error {
	tok, _ := c.Get(tokenKey).(string)
	if err := w.accounts.Logout(c.Request().Context(), request.Viewer(c), tok); err != nil {
		return err
	}
	w.clearSession(c)
	return c.Redirect(http.StatusSeeOther, "/login?bye=1")
}
