package server_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/casework"
	"caseflow/internal/limiter"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
)

// pageBudget is the most a page may weigh with its stylesheet and script.
const pageBudget = 200 << 10

// webSession is a browser-like client of the web interface: it keeps
// cookies and does not follow redirects, so tests see where they lead.
type webSession struct {
	t      *testing.T
	client *http.Client
	base   *url.URL
	url    string // the server's address
}

// webPage is one answer of the web interface.
type webPage struct {
	Status   int
	Header   http.Header
	Body     string
	Location string
}

func newWebSession(t *testing.T) *webSession {
	t.Helper()
	return newWebSessionOn(t, env.srv.URL)
}

// newWebSessionOn is a session with another server.
func newWebSessionOn(t *testing.T, server string) *webSession {
	t.Helper()
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	base, err := url.Parse(server)
	require.NoError(t, err)
	return &webSession{t: t, base: base, url: server, client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// webAs returns a session of a demo user. It reuses the user's API token as
// the session cookie: the web interface takes the same sessions, and logins
// through the test server count against the per-address limit.
func webAs(t *testing.T, user string) *webSession {
	t.Helper()
	w := newWebSession(t)
	w.client.Jar.SetCookies(w.base, []*http.Cookie{{Name: "cf_session", Value: login(t, user), Path: "/"}})
	return w
}

func (w *webSession) do(req *http.Request) webPage {
	w.t.Helper()
	res, err := w.client.Do(req)
	require.NoError(w.t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(w.t, err)
	return webPage{Status: res.StatusCode, Header: res.Header, Body: string(raw), Location: res.Header.Get("Location")}
}

func (w *webSession) get(path string) webPage {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.url+path, nil)
	require.NoError(w.t, err)
	return w.do(req)
}

// getIn fetches a page in a language, leaving the session's own as it was.
func (w *webSession) getIn(lang, path string) webPage {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodGet, w.url+path, nil)
	require.NoError(w.t, err)
	req.AddCookie(&http.Cookie{Name: "cf_lang", Value: lang})
	return w.do(req)
}

// missingWord finds a dictionary key shown instead of its text.
var missingWord = regexp.MustCompile(`\b(nav|title|login|err|form|hint|msg|intake|person|channel|setting|abuse|sex|cases|list|work|notify|case|access|clock|unit|rule|due|span|ref|event|data|value|agency|role|admin|weekday|dash|short|month)\.[a-z0-9_]+(\.[a-z0-9_]+)*\b`)

func requireNoMissingWords(t *testing.T, body string) {
	t.Helper()
	m := missingWord.FindString(body)
	require.Empty(t, m, "a text is missing from the dictionary")
}

// csrf returns the session's CSRF token, fetching a page first if needed.
func (w *webSession) csrf() string {
	w.t.Helper()
	for range 2 {
		for _, k := range w.client.Jar.Cookies(w.base) {
			if k.Name == "cf_csrf" {
				return k.Value
			}
		}
		w.get("/login")
	}
	w.t.Fatal("no CSRF cookie")
	return ""
}

// post sends a form with the session's CSRF token.
func (w *webSession) post(path string, form url.Values, headers ...string) webPage {
	w.t.Helper()
	form = cloneValues(form)
	if form.Get("_csrf") == "" {
		form.Set("_csrf", w.csrf())
	}
	return w.postRaw(path, form, headers...)
}

// postRaw sends a form as it is.
func (w *webSession) postRaw(path string, form url.Values, headers ...string) webPage {
	w.t.Helper()
	req, err := http.NewRequest(http.MethodPost, w.url+path, strings.NewReader(form.Encode()))
	require.NoError(w.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return w.do(req)
}

func cloneValues(v url.Values) url.Values {
	out := url.Values{}
	for k, vs := range v {
		out[k] = append([]string(nil), vs...)
	}
	return out
}

var (
	titleRE   = regexp.MustCompile(`(?s)<title>(.*?)</title>`)
	assetRE   = regexp.MustCompile(`(?:href|src)="(/static/[^"]+)"`)
	hiddenRE  = regexp.MustCompile(`name="idempotency_key" value="([^"]+)"`)
	caseURLRE = regexp.MustCompile(`^/cases/(HY-\d{4}-\d{6})(\?.*)?$`)
)

func titleOf(body string) string {
	m := titleRE.FindStringSubmatch(body)
	if m == nil {
		return ""
	}
	return m[1]
}

// requireSecurityHeaders checks the headers every page must carry.
func requireSecurityHeaders(t *testing.T, path string, p webPage) {
	t.Helper()
	csp := p.Header.Get("Content-Security-Policy")
	require.Contains(t, csp, "script-src 'self'", "%s: CSP", path)
	require.NotContains(t, csp, "unsafe-inline", "%s: CSP allows inline code", path)
	require.NotContains(t, csp, "unsafe-eval", "%s: CSP allows eval", path)
	require.Contains(t, csp, "frame-ancestors 'none'", "%s: CSP", path)
	require.Equal(t, "DENY", p.Header.Get("X-Frame-Options"), path)
	require.Equal(t, "nosniff", p.Header.Get("X-Content-Type-Options"), path)
	require.Equal(t, "no-referrer", p.Header.Get("Referrer-Policy"), path)
	require.Equal(t, "no-store", p.Header.Get("Cache-Control"), "%s: personal pages must not be cached", path)
}

// pageWeight is the bytes of a page with its stylesheet and script.
func pageWeight(t *testing.T, w *webSession, body string) int {
	t.Helper()
	n := len(body)
	for _, m := range assetRE.FindAllStringSubmatch(body, -1) {
		a := w.get(m[1])
		require.Equal(t, http.StatusOK, a.Status, m[1])
		require.Contains(t, a.Header.Get("Cache-Control"), "immutable", m[1])
		n += len(a.Body)
	}
	return n
}

// intakeForm returns a filled intake form for officer1's commune, with the
// idempotency key of a freshly loaded form, and the names it contains.
func intakeForm(t *testing.T, w *webSession) (url.Values, []string) {
	t.Helper()
	p := w.get("/reports/new")
	require.Equal(t, http.StatusOK, p.Status, p.Body)
	m := hiddenRE.FindStringSubmatch(p.Body)
	require.NotNil(t, m, "the form carries an idempotency key")
	n := nextSeq()
	child := fmt.Sprintf("Bé Web Hư Cấu %d", n)
	suspect := fmt.Sprintf("Nghi Phạm Web Hư Cấu %d", n)
	reporter := fmt.Sprintf("Người Báo Web Hư Cấu %d", n)
	remember(child, suspect, reporter)
	at := time.Now().Add(-2 * time.Hour).In(time.FixedZone("ICT", 7*3600))
	return url.Values{
		"idempotency_key": {m[1]}, "children_n": {"3"}, "suspects_n": {"3"}, "commune_code": {communeOfficer1},
		"received_date": {at.Format("2006-01-02")}, "received_time": {at.Format("15:04")},
		"channel": {"hotline_111"}, "setting": {"family"}, "abuse_types": {"sexual", "emotional"}, "immediate_danger": {"yes"},
		"c0_full_name": {child}, "c0_sex": {"female"}, "c0_date_of_birth": {"2015-03-02"}, "c0_address": {"Thôn Giả Định Web"},
		"s0_full_name": {suspect}, "s0_relationship": {"hàng xóm"},
		"r_full_name": {reporter}, "r_phone": {"0900 000 222"},
		"narrative": {"Câu chuyện hư cấu dùng cho kiểm thử giao diện " + child}, "op": {"file"},
	}, []string{child, suspect, reporter}
}

// fileByForm files the form and returns the new case's code.
func fileByForm(t *testing.T, w *webSession, form url.Values) string {
	t.Helper()
	p := w.post("/reports", form)
	require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
	m := caseURLRE.FindStringSubmatch(p.Location)
	require.NotNil(t, m, "redirected to the case: %s", p.Location)
	return m[1]
}

func TestWebPagesCarrySecurityHeadersWithinBudget(t *testing.T) {
	officer, police, supervisor, admin := webAs(t, "officer1"), webAs(t, "police1"), webAs(t, "supervisor1"), webAs(t, "admin1")
	form, names := intakeForm(t, officer)
	code := fileByForm(t, officer, form)
	referToPolice(t, officer, code)

	pages := []struct {
		who  string
		w    *webSession
		path string
		code int
	}{
		{"anonymous", newWebSession(t), "/login", http.StatusOK},
		{"anonymous", newWebSession(t), "/no-such-page", http.StatusNotFound},
		{"officer1", officer, "/cases", http.StatusOK},
		{"officer1", officer, "/cases?overdue=1", http.StatusOK},
		{"officer1", officer, "/reports/new", http.StatusOK},
		{"officer1", officer, "/cases/" + code, http.StatusOK},
		{"officer1", officer, "/worklist", http.StatusOK},
		{"officer1", officer, "/notifications", http.StatusOK},
		{"officer1", officer, "/cases/HY-1999-999999", http.StatusNotFound},
		// The domain lets a commune officer see her own commune's figures.
		{"officer1", officer, "/dashboard", http.StatusOK},
		{"officer1", officer, "/dashboard/indicators/intake", http.StatusOK},
		{"police1", police, "/dashboard", http.StatusForbidden},
		{"police1", police, "/worklist", http.StatusOK},
		{"police1", police, "/cases/" + code, http.StatusOK},
		{"supervisor1", supervisor, "/cases", http.StatusOK},
		{"supervisor1", supervisor, "/cases/" + code, http.StatusOK},
		{"supervisor1", supervisor, "/dashboard", http.StatusOK},
		{"supervisor1", supervisor, "/dashboard/indicators/intake", http.StatusOK},
		{"admin1", admin, "/admin/users", http.StatusOK},
		{"admin1", admin, "/admin/users/officer1", http.StatusOK},
		{"admin1", admin, "/admin/holidays", http.StatusOK},
	}
	for _, pg := range pages {
		t.Run(pg.who+pg.path, func(t *testing.T) {
			p := pg.w.get(pg.path)
			require.Equal(t, pg.code, p.Status, p.Body)
			require.True(t, strings.HasPrefix(p.Header.Get("Content-Type"), "text/html"), p.Header.Get("Content-Type"))
			requireSecurityHeaders(t, pg.path, p)
			weight := pageWeight(t, pg.w, p.Body)
			t.Logf("page weight %s %s: %d bytes (HTML %d)", pg.who, pg.path, weight, len(p.Body))
			require.Less(t, weight, pageBudget, "over the page budget")
			title := titleOf(p.Body)
			require.NotEmpty(t, title)
			for _, n := range names {
				require.NotContains(t, title, n, "a personal name in the page title")
			}
			requireNoMissingWords(t, p.Body)
			if pg.who != "anonymous" {
				en := pg.w.getIn("en", pg.path)
				require.Equal(t, pg.code, en.Status)
				require.Contains(t, en.Body, `<html lang="en">`)
				requireNoMissingWords(t, en.Body)
			}
			if pg.who == "supervisor1" {
				for _, n := range names {
					require.NotContains(t, p.Body, n, "a supervisor sees codes, not names")
				}
			}
		})
	}
}

// referToPolice fires refer_police from the case page's form.
func referToPolice(t *testing.T, w *webSession, code string) {
	t.Helper()
	p := w.get("/cases/" + code)
	require.Equal(t, http.StatusOK, p.Status)
	version := regexp.MustCompile(`name="event" value="refer_police">\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(p.Body)
	require.NotNil(t, version, "the case page offers refer_police")
	r := w.post("/cases/"+code+"/events", url.Values{"event": {"refer_police"}, "version": {version[1]}, "d_remote_commune": {"no"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
}

func TestWebStaticAssetsAreCachedAndCompressed(t *testing.T) {
	w := newWebSession(t)
	p := w.get("/login")
	assets := assetRE.FindAllStringSubmatch(p.Body, -1)
	require.Len(t, assets, 2, "one stylesheet and one script")
	for _, a := range assets {
		req, err := http.NewRequest(http.MethodGet, env.srv.URL+a[1], nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode)
		require.Equal(t, "gzip", res.Header.Get("Content-Encoding"))
		require.Equal(t, "public, max-age=31536000, immutable", res.Header.Get("Cache-Control"))
	}
	require.Equal(t, http.StatusNotFound, w.get("/static/app.0000000000.css").Status)
}

func TestWebFormsNeedTheCSRFToken(t *testing.T) {
	w := webAs(t, "officer1")
	form, _ := intakeForm(t, w)
	before := countRows(t, "cases")

	t.Run("WithoutToken", func(t *testing.T) {
		p := w.postRaw("/reports", form)
		require.Equal(t, http.StatusForbidden, p.Status, p.Body)
		require.Contains(t, p.Body, "Biểu mẫu đã hết hạn")
		require.Contains(t, p.Body, `href="/reports/new"`, "a link back to the form")
		requireSecurityHeaders(t, "/reports", p)
	})
	t.Run("WithWrongToken", func(t *testing.T) {
		f := cloneValues(form)
		f.Set("_csrf", "not-the-token")
		require.Equal(t, http.StatusForbidden, w.postRaw("/reports", f).Status)
	})
	t.Run("CrossSiteBrowserRequest", func(t *testing.T) {
		p := w.post("/reports", form, "Sec-Fetch-Site", "cross-site")
		require.Equal(t, http.StatusForbidden, p.Status)
	})
	t.Run("LogoutWithoutToken", func(t *testing.T) {
		require.Equal(t, http.StatusForbidden, w.postRaw("/logout", url.Values{}).Status)
	})
	require.Equal(t, before, countRows(t, "cases"), "a refused form wrote a case")

	t.Run("WithToken", func(t *testing.T) {
		fileByForm(t, w, form)
		require.Equal(t, before+1, countRows(t, "cases"))
	})
}

func TestWebSessionExpiryIsExplained(t *testing.T) {
	t.Parallel()
	rc, err := testenv.Redis()
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	// The test server's account service (main_test.go) keys tokens with this
	// secret; a session opened nine hours ago has expired.
	old := &account.Service{Store: env.db.DB, Secret: []byte(strings.Repeat("s", 32)), Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: rc, Prefix: "test:" + testenv.Suffix() + ":"},
		TTL:     8 * time.Hour, Now: func() time.Time { return time.Now().Add(-9 * time.Hour) }}
	sess, _, err := old.Login(context.Background(), "court1", testenv.Password, "198.51.100.60", "req-web-expired")
	require.NoError(t, err)

	w := newWebSession(t)
	w.client.Jar.SetCookies(w.base, []*http.Cookie{{Name: "cf_session", Value: sess.Token, Path: "/"}})
	p := w.get("/worklist")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login?expired=1&next=%2Fworklist", p.Location)
	for _, k := range w.client.Jar.Cookies(w.base) {
		require.NotEqual(t, "cf_session", k.Name, "the dead session cookie is cleared")
	}
	login := w.get(p.Location)
	require.Equal(t, http.StatusOK, login.Status)
	require.Contains(t, login.Body, "Phiên làm việc đã hết hạn")
	require.Contains(t, login.Body, `name="next" value="/worklist"`)

	t.Run("PostAfterExpiry", func(t *testing.T) {
		w := newWebSession(t)
		token := w.csrf()
		w.client.Jar.SetCookies(w.base, []*http.Cookie{{Name: "cf_session", Value: sess.Token, Path: "/"}})
		p := w.post("/reports", url.Values{"op": {"file"}, "_csrf": {token}})
		require.Equal(t, http.StatusSeeOther, p.Status)
		// After logging in again the officer is back on the form, whose
		// draft the page script kept.
		require.Equal(t, "/login?expired=1&next=%2Freports%2Fnew", p.Location)
	})
}

func TestWebLoginAndLogout(t *testing.T) {
	// A server of its own, whose logins do not count against the shared
	// server's per-address limit.
	w := newWebSessionOn(t, serverWith(t, func(*server.Config) {}).URL)
	require.Equal(t, "/login", w.get("/").Location)
	p := w.get("/login")
	require.Contains(t, p.Body, `<html lang="vi">`)
	require.Contains(t, p.Body, "Đăng nhập")

	wrong := w.post("/login", url.Values{"username": {"health1"}, "password": {"wrong password"}})
	require.Equal(t, http.StatusUnauthorized, wrong.Status)
	require.Contains(t, wrong.Body, "Sai tên đăng nhập hoặc mật khẩu.")

	ok := w.post("/login", url.Values{"username": {"health1"}, "password": {testenv.Password}, "next": {"//evil.example/"}})
	require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	require.Equal(t, "/worklist", ok.Location, "a foreign next is ignored")
	var cookie string
	for _, line := range ok.Header.Values("Set-Cookie") {
		if strings.HasPrefix(line, "cf_session=") {
			cookie = line
		}
	}
	require.Contains(t, cookie, "HttpOnly")
	require.Contains(t, cookie, "SameSite=Lax")
	require.NotContains(t, cookie, "Secure", "plain HTTP without a trusted proxy")

	home := w.get("/worklist")
	require.Equal(t, http.StatusOK, home.Status)
	require.Contains(t, home.Body, "Giám định viên Pháp y (demo)", "the user's name is shown")
	require.Contains(t, home.Body, "Y tế, giám định", "the role is shown")
	require.Contains(t, home.Body, "Trung tâm Pháp y tỉnh Hưng Yên", "the agency is shown")

	bye := w.post("/logout", url.Values{})
	require.Equal(t, http.StatusSeeOther, bye.Status)
	require.Equal(t, "/login?bye=1", bye.Location)
	require.Equal(t, http.StatusSeeOther, w.get("/worklist").Status, "logged out")
}

func TestWebLanguageSwitch(t *testing.T) {
	w := newWebSession(t)
	p := w.get("/login?lang=en")
	require.Equal(t, http.StatusSeeOther, p.Status)
	require.Equal(t, "/login", p.Location)
	en := w.get("/login")
	require.Contains(t, en.Body, `<html lang="en">`)
	require.Contains(t, en.Body, "Log in")
	w.get("/login?lang=vi")
	require.Contains(t, w.get("/login").Body, `<html lang="vi">`)
}

func TestWebOfficerCannotOpenAnotherCommunesCase(t *testing.T) {
	officer1 := webAs(t, "officer1")
	form, names := intakeForm(t, officer1)
	code := fileByForm(t, officer1, form)

	p := webAs(t, "officer2").get("/cases/" + code)
	require.Equal(t, http.StatusNotFound, p.Status)
	require.Contains(t, p.Body, "Không tìm thấy")
	for _, n := range names {
		require.NotContains(t, p.Body, n)
	}
	missing := webAs(t, "officer2").get("/cases/HY-1999-999999")
	require.Equal(t, http.StatusNotFound, missing.Status)
	require.Equal(t, titleOf(missing.Body), titleOf(p.Body), "a hidden case looks like a missing one")
	require.NotContains(t, webAs(t, "officer2").get("/cases").Body, code)
}

func TestWebAdminPagesAreForAdministrators(t *testing.T) {
	for _, user := range []string{"officer1", "supervisor1", "police1"} {
		w := webAs(t, user)
		for _, path := range []string{"/admin/users", "/admin/users/officer1", "/admin/holidays"} {
			p := w.get(path)
			require.Equal(t, http.StatusForbidden, p.Status, "%s %s", user, path)
			requireSecurityHeaders(t, path, p)
		}
		p := w.post("/admin/users", url.Values{"username": {"intruder"}, "role": {"admin"}, "agency_code": {"UBND-33"}, "password": {"long enough 123"}})
		require.Equal(t, http.StatusForbidden, p.Status, user)
	}
	anon := newWebSession(t).get("/admin/users")
	require.Equal(t, http.StatusSeeOther, anon.Status)
	require.Equal(t, "/login?next=%2Fadmin%2Fusers", anon.Location)
	require.Equal(t, http.StatusForbidden, webAs(t, "admin1").get("/cases").Status, "administrators do not read cases")
}

func serverWith(t *testing.T, change func(*server.Config)) *httptest.Server {
	t.Helper()
	rc, err := testenv.Redis()
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	acc := &account.Service{Store: env.db.DB, Secret: []byte(strings.Repeat("s", 32)), Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: rc, Prefix: "test:" + testenv.Suffix() + ":"}}
	cfg := server.Config{Accounts: acc, Cases: casework.New(casework.Config{Store: env.db.DB, Workflows: env.flows, WorkflowID: "child-abuse", WorkflowVersion: 1}),
		Workflows: env.flows}
	change(&cfg)
	srv := httptest.NewServer(server.New(cfg))
	t.Cleanup(srv.Close)
	return srv
}

func TestWebQueueMonitorTakesTheAdministratorsSession(t *testing.T) {
	monitor := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "queues") })
	srv := serverWith(t, func(c *server.Config) { c.QueueMonitor = monitor })
	get := func(path string, headers ...string) *http.Response {
		req, err := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		require.NoError(t, err)
		for i := 0; i+1 < len(headers); i += 2 {
			req.Header.Set(headers[i], headers[i+1])
		}
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		res.Body.Close()
		return res
	}
	require.Equal(t, http.StatusOK, get("/admin/queues", "Cookie", "cf_session="+login(t, "admin1")).StatusCode)
	require.Equal(t, http.StatusOK, get("/admin/queues/api/queues", "Cookie", "cf_session="+login(t, "admin1")).StatusCode)
	require.Equal(t, http.StatusOK, get("/admin/queues", "Authorization", "Bearer "+login(t, "admin1")).StatusCode)
	require.Equal(t, http.StatusForbidden, get("/admin/queues", "Cookie", "cf_session="+login(t, "officer1")).StatusCode)
	require.Equal(t, http.StatusUnauthorized, get("/admin/queues").StatusCode)
	browser := get("/admin/queues", "Accept", "text/html")
	require.Equal(t, http.StatusSeeOther, browser.StatusCode)
	require.Equal(t, "/login?next=%2Fadmin%2Fqueues", browser.Header.Get("Location"))

	t.Run("TheWebInterfaceLinksToIt", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodGet, srv.URL+"/admin/users", nil)
		require.NoError(t, err)
		req.Header.Set("Cookie", "cf_session="+login(t, "admin1"))
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		raw, _ := io.ReadAll(res.Body)
		res.Body.Close()
		require.Contains(t, string(raw), `href="/admin/queues"`)
	})
}

func TestWebCookiesAreSecureBehindATrustedTLSProxy(t *testing.T) {
	for _, trust := range []bool{true, false} {
		srv := serverWith(t, func(c *server.Config) { c.TrustProxy = trust })
		w := newWebSessionOn(t, srv.URL)
		u := w.base
		page := func(method, path string, form url.Values) *http.Response {
			req, err := http.NewRequest(method, srv.URL+path, strings.NewReader(form.Encode()))
			require.NoError(t, err)
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Forwarded-Proto", "https")
			res, err := w.client.Do(req)
			require.NoError(t, err)
			res.Body.Close()
			return res
		}
		page(http.MethodGet, "/login", nil)
		var token string
		for _, k := range w.client.Jar.Cookies(u) {
			if k.Name == "cf_csrf" {
				token = k.Value
			}
		}
		res := page(http.MethodPost, "/login", url.Values{"username": {"prosecutor1"}, "password": {testenv.Password}, "_csrf": {token}})
		require.Equal(t, http.StatusSeeOther, res.StatusCode)
		var cookie string
		for _, line := range res.Header.Values("Set-Cookie") {
			if strings.HasPrefix(line, "cf_session=") {
				cookie = line
			}
		}
		if trust {
			require.Contains(t, cookie, "; Secure", "behind a trusted TLS proxy")
			require.NotEmpty(t, res.Header.Get("Strict-Transport-Security"))
		} else {
			require.NotContains(t, cookie, "Secure", "an untrusted X-Forwarded-Proto is ignored")
		}
	}
}

// Pages, read by people on slow links, are compressed harder than API
// answers, which are small and many and go at the fastest level.
func TestPagesAreCompressedHarderThanAPIAnswers(t *testing.T) {
	token := login(t, "supervisor1")
	raw := func(path string) (compressed, plain []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, env.srv.URL+path, nil)
		require.NoError(t, err)
		req.Header.Set("Accept-Encoding", "gzip")
		req.Header.Set("Authorization", "Bearer "+token)
		req.AddCookie(&http.Cookie{Name: "cf_session", Value: token})
		res, err := http.DefaultTransport.RoundTrip(req)
		require.NoError(t, err)
		defer res.Body.Close()
		require.Equal(t, http.StatusOK, res.StatusCode, path)
		require.Equal(t, "gzip", res.Header.Get("Content-Encoding"), path)
		compressed, err = io.ReadAll(res.Body)
		require.NoError(t, err)
		zr, err := gzip.NewReader(bytes.NewReader(compressed))
		require.NoError(t, err)
		plain, err = io.ReadAll(zr)
		require.NoError(t, err)
		return compressed, plain
	}
	size := func(plain []byte, level int) int {
		var b bytes.Buffer
		zw, err := gzip.NewWriterLevel(&b, level)
		require.NoError(t, err)
		_, err = zw.Write(plain)
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		return b.Len()
	}
	page, plain := raw("/cases")
	require.Greater(t, len(plain), 4096, "a page long enough to tell the levels apart")
	require.Less(t, len(page), size(plain, gzip.BestSpeed), "a page is compressed harder than the fastest level")
	answer, plain := raw("/api/openapi.yaml")
	require.Greater(t, len(plain), 4096, "a document long enough to tell the levels apart")
	require.Greater(t, len(answer), size(plain, 5), "an API answer goes at the fastest level")
}
