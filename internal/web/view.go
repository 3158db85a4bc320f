package web

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
	"caseflow/internal/outage"
	"caseflow/internal/request"
	"caseflow/internal/workflow"
)

// webPages are the page templates; each is parsed with the layout and the
// shared partials, once per language.
var webPages = []string{"login", "error", "cases", "intake", "case", "worklist", "notifications",
	"dashboard", "indicator", "users", "user", "holidays", "contacts", "breaches", "stuck"}

func (w *UI) loadTemplates() {
	w.pages = map[string]map[string]*template.Template{}
	for _, lang := range []string{"vi", "en"} {
		w.pages[lang] = map[string]*template.Template{}
		for _, name := range webPages {
			// A template that does not parse is a build mistake: fail at start.
			t := template.New(name).Funcs(templateFuncs(lang))
			t = template.Must(t.ParseFS(webFS, "templates/layout.html", "templates/parts.html",
				"templates/"+name+".html"))
			w.pages[lang][name] = t
		}
	}
}

func templateFuncs(lang string) template.FuncMap {
	return template.FuncMap{
		"t": func(key string, args ...any) string { return tr(lang, key, args...) },
		// formkey is the key a rendered form is sent with, so that sending it
		// again (a double click, a retry after a lost answer) does its change
		// once.
		"formkey": newIdempotencyKey,
		// label names a value of the domain from the catalogue: {{label "verdict" "met"}}.
		"label": func(kind, value string) string { return catalog.Label(lang, kind, value) },
		// svg marks a chart of web_svg.go as safe: its text is escaped there.
		"svg": func(s string) template.HTML { return template.HTML(s) },
		// inc counts from one: {{inc .Index}}.
		"inc": func(i int) int { return i + 1 },
	}
}

// pickLabel returns a workflow label in the language, falling back to the other.
func pickLabel(lang string, l workflow.Label) string {
	if lang == "en" && l.EN != "" {
		return l.EN
	}
	if l.VI != "" {
		return l.VI
	}
	return l.EN
}

// stateLabel names a state of a case's workflow in the language.
func (w *UI) stateLabel(lang string, c *caseflow.Case, state string) string {
	if def, ok := w.flows.Get(c.WorkflowID, c.WorkflowVersion); ok {
		if st, ok := def.State(state); ok {
			return pickLabel(lang, st.Label)
		}
	}
	return w.anyStateLabel(lang, state)
}

// anyStateLabel names a state by the newest workflow that has it.
func (w *UI) anyStateLabel(lang, state string) string {
	defs := w.flows.All()
	for i := len(defs) - 1; i >= 0; i-- {
		if st, ok := defs[i].State(state); ok {
			return pickLabel(lang, st.Label)
		}
	}
	return state
}

// versionDef returns the loaded definition of a workflow version named in a
// page's address (after a save), or nil.
func (w *UI) versionDef(version int) *workflow.Definition {
	for _, d := range w.flows.All() {
		if d.Version == version {
			return d
		}
	}
	return nil
}

// eventLabelIn names an event by the case's own workflow definition when it
// is known, else by the newest workflow that has it.
func (w *UI) eventLabelIn(lang string, def *workflow.Definition, event string) string {
	if def != nil {
		if ev, ok := def.Event(event); ok {
			return pickLabel(lang, ev.Label)
		}
		if l, ok := def.IntakeLabelOf(event); ok {
			return pickLabel(lang, l)
		}
	}
	defs := w.flows.All()
	for i := len(defs) - 1; i >= 0; i-- {
		if ev, ok := defs[i].Event(event); ok {
			return pickLabel(lang, ev.Label)
		}
		if l, ok := defs[i].IntakeLabelOf(event); ok {
			return pickLabel(lang, l)
		}
	}
	if s, ok := lookup(lang, "event."+event); ok {
		return s
	}
	return event
}

// eventWith returns the id of the newest workflow's event with a role.
func (w *UI) eventWith(role caseflow.EventRole) string {
	defs := w.flows.All()
	for i := len(defs) - 1; i >= 0; i-- {
		if ev, ok := defs[i].EventWith(role); ok {
			return ev.ID
		}
	}
	return ""
}

// clockLabel names a clock by the newest workflow that has it.
func (w *UI) clockLabel(lang, clock string) string { return w.clockLabelIn(lang, nil, clock) }

// clockLabelIn names a clock by the case's own workflow version when it is
// known, else by the newest workflow that has it.
func (w *UI) clockLabelIn(lang string, def *workflow.Definition, clock string) string {
	if def != nil {
		if k, ok := def.Clock(clock); ok {
			return pickLabel(lang, k.Label)
		}
	}
	defs := w.flows.All()
	for i := len(defs) - 1; i >= 0; i-- {
		if k, ok := defs[i].Clock(clock); ok {
			return pickLabel(lang, k.Label)
		}
	}
	return clock
}

// enumLabel names an allowed value of an event field: the workflow's label,
// else the catalogue's or the dictionary's, else the value itself.
func enumLabel(lang string, f *workflow.Field, v string) string {
	if l, ok := f.ValueLabels[v]; ok {
		return pickLabel(lang, l)
	}
	if s, ok := valueLabel(lang, f.Name, v); ok {
		return s
	}
	return strings.ReplaceAll(v, "_", " ")
}

// valueLabel names a value of workflow data that its workflow does not
// label: services and agency types, which are the domain's, from the
// catalogue; the workflow's own values (decisions, outcomes, crime
// categories, …) from the dictionary of this package.
func valueLabel(lang, name, v string) (string, bool) {
	kind := map[string]string{"service": catalog.Service, "agency": catalog.AgencyType}[name]
	if t, ok := catalog.Default().Lookup(kind, v); ok {
		return t.In(lang), true
	}
	if s, ok := lookup(lang, "value."+name+"."+v); ok {
		return s, true
	}
	return lookup(lang, "value."+v)
}

// span says how long a duration is, in days, hours and minutes.
func span(lang string, d time.Duration) string {
	if d < 0 {
		d = -d
	}
	days := int(d / (24 * time.Hour))
	hours := int(d % (24 * time.Hour) / time.Hour)
	mins := int(d % time.Hour / time.Minute)
	var parts []string
	if days > 0 {
		parts = append(parts, tr(lang, "span.days", days))
	}
	if hours > 0 && days < 10 {
		parts = append(parts, tr(lang, "span.hours", hours))
	}
	if days == 0 && (mins > 0 || hours == 0) {
		parts = append(parts, tr(lang, "span.minutes", mins))
	}
	return strings.Join(parts, " ")
}

// dueText says how long is left before a due time, or how long it is overdue.
func dueText(lang string, due, now time.Time) string {
	if due.Before(now) {
		return tr(lang, "due.over", span(lang, now.Sub(due)))
	}
	return tr(lang, "due.left", span(lang, due.Sub(now)))
}

// tone classes of badges and rows: bad (red), warn (amber), ok, muted.
const (
	toneBad   = "bad"
	toneWarn  = "warn"
	toneOK    = "ok"
	toneMuted = "muted"
)

// clockTone colours a clock: red once breached, amber after its warning point.
func clockTone(k caseflow.Clock, now time.Time) string {
	switch {
	case k.BreachedAt != nil || k.Status == caseflow.ClockBreached:
		if k.StoppedAt != nil {
			return toneWarn
		}
		return toneBad
	case k.StoppedAt != nil || k.Status != caseflow.ClockRunning:
		return toneMuted
	case !now.Before(k.DueAt):
		return toneBad
	case !k.WarnAt.IsZero() && !now.Before(k.WarnAt):
		return toneWarn
	}
	return toneOK
}

// limitText writes a clock limit such as "24 giờ" or "5 ngày làm việc".
func limitText(lang string, amount int, rule string) string {
	if s, ok := lookup(lang, "rule."+rule); ok {
		return fmt.Sprintf(s, amount)
	}
	return strconv.Itoa(amount) + " " + rule
}

// errCSRF is a form posted without the token of this site's pages.
var errCSRF = errors.New("csrf token missing or invalid")

type errorView struct {
	Status int
	// Title, when set, replaces the title the status gives.
	Title     string
	Message   string
	RequestID string
	Back      string
}

// handleError answers every error of the web instance with an HTML page in
// the user's language. Internal errors are logged with the request id and
// shown only as such.
func (w *UI) handleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	lang := langOf(c)
	v := errorView{Status: http.StatusInternalServerError, RequestID: request.ID(c)}
	if cause := err; outage.Is(cause) && caseflow.ErrorCode(cause) == caseflow.EInternal && !errors.Is(cause, context.Canceled) {
		err = outage.Classify(cause)
		w.log.Warn("a dependency is unavailable", "request_id", request.ID(c), "route", c.Path(), "err", cause.Error())
	}
	var he *echo.HTTPError
	switch {
	case errors.Is(err, errCSRF):
		v.Status, v.Message, v.Back = http.StatusForbidden, tr(lang, "err.csrf"), formPage(c.Request().URL.Path)
	case errors.As(err, &he):
		v.Status = he.Code
		switch he.Code {
		case http.StatusNotFound, http.StatusMethodNotAllowed:
			v.Status, v.Message = http.StatusNotFound, tr(lang, "err.not_found")
		case http.StatusRequestEntityTooLarge:
			v.Message = tr(lang, "err.too_large")
		default:
			v.Message = tr(lang, "err.bad_request")
		}
	default:
		code := caseflow.ErrorCode(err)
		v.Status = request.Status(code)
		switch code {
		case caseflow.ENotFound:
			v.Message = tr(lang, "err.not_found")
		case caseflow.EForbidden:
			v.Message = tr(lang, "err.forbidden")
		case caseflow.EConflict:
			// A form sent again under its key: its first sending was saved
			// but its answer was lost, or it is still being saved.
			switch keyConflict(err) {
			case caseflow.FieldApplied:
				v.Title, v.Message = tr(lang, "err.saved_title"), tr(lang, "err.applied")
			case caseflow.FieldInFlight:
				v.Message = tr(lang, "err.in_flight")
				c.Response().Header().Set("Retry-After", caseflow.RetryAfterSeconds(caseflow.RetryAfterOf(err)))
			default:
				v.Message = tr(lang, "err.conflict")
			}
		case caseflow.ERateLimited:
			v.Message = tr(lang, "err.rate_limited")
		case caseflow.EUnavailable:
			v.Message = tr(lang, "err.unavailable")
			c.Response().Header().Set("Retry-After", caseflow.RetryAfterSeconds(caseflow.RetryAfterOf(err)))
		case caseflow.EInvalid, caseflow.EMalformed:
			v.Message = errorText(lang, err)
		default:
			if errors.Is(err, context.Canceled) {
				return
			}
			v.Message = tr(lang, "err.internal")
			w.log.Error("internal error", "request_id", request.ID(c), "route", c.Path(), "err", err.Error())
		}
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(v.Status)
		return
	}
	title := tr(lang, "title.error")
	if v.Status == http.StatusNotFound {
		title = tr(lang, "title.not_found")
	}
	if v.Title != "" {
		title = v.Title
	}
	if rerr := w.render(c, v.Status, "error", title, v); rerr != nil {
		w.log.Error("error page", "request_id", request.ID(c), "err", rerr.Error())
		_ = c.String(v.Status, v.Message)
	}
}

// keyConflict is the code of a conflict about a request's idempotency key,
// or "".
func keyConflict(err error) caseflow.FieldCode {
	var de *caseflow.Error
	if errors.As(err, &de) {
		return de.Fields["Idempotency-Key"].Code
	}
	return ""
}

// formPage is the page that shows the form posted to path.
func formPage(path string) string {
	switch {
	case path == "/reports":
		return "/reports/new"
	case path == "/login", path == "/logout":
		return "/login"
	case strings.HasPrefix(path, "/cases/"):
		if code, _, ok := strings.Cut(strings.TrimPrefix(path, "/cases/"), "/"); ok || code != "" {
			return "/cases/" + code
		}
	case strings.HasPrefix(path, "/admin/users"), strings.HasPrefix(path, "/admin/holidays"), strings.HasPrefix(path, "/admin/breaches"):
		return strings.Join(strings.SplitN(path, "/", 4)[:3], "/")
	case strings.HasPrefix(path, "/notifications"):
		return "/notifications"
	}
	return "/"
}

// pageOption adjusts a page before it is rendered.
type pageOption func(*page)

// withHere names the page the language switch returns to, for pages
// answering a form post.
func withHere(path string) pageOption { return func(p *page) { p.Here = path } }

// withSaved tells the page script which drafts the save just stored.
func withSaved(ids ...string) pageOption {
	return func(p *page) { p.Saved = strings.TrimSpace(p.Saved + " " + strings.Join(ids, " ")) }
}

func withNotice(msg, kind string) pageOption {
	return func(p *page) {
		if msg != "" {
			p.Notices = append(p.Notices, notice{Text: msg, Kind: kind})
		}
	}
}

// page is what the layout needs besides the page's own data.
type page struct {
	Lang    string
	Title   string
	User    *caseflow.User
	Role    string
	Agency  string
	CSRF    string
	Unread  int64
	Nav     []navLink
	Here    string
	Other   string // the other language's code
	Notices []notice
	CSS, JS string
	Data    any
	// Saved names the drafts a save just stored, for the page script to
	// drop: draft ids, a trailing * matching any id with that prefix.
	Saved string
	// Intake is where the user files reports, when they do: the page
	// script keeps that form available offline.
	Intake string
	// Wipe asks the page script to erase what it keeps on the device.
	Wipe bool
	// Client is the page script's words in the page's language.
	Client map[string]string
}

type navLink struct {
	Href, Text string
	Current    bool
	Count      int64
}

type notice struct{ Text, Kind string }

func langOf(c echo.Context) string {
	if l, ok := c.Get(langKey).(string); ok {
		return l
	}
	return "vi"
}

// render writes a page in the user's language. It renders into a buffer
// first, so that a template error never leaves half a page.
func (w *UI) render(c echo.Context, code int, name, title string, data any, opts ...pageOption) error {
	lang := langOf(c)
	t, ok := w.pages[lang][name]
	if !ok {
		return errors.New("no template " + name)
	}
	p := page{Lang: lang, Title: title, CSS: w.css, JS: w.js, Data: data, Here: "/", Other: "en"}
	if c.Request().Method == http.MethodGet {
		p.Here = c.Request().URL.Path
	}
	if lang == "en" {
		p.Other = "vi"
	}
	if tok, ok := c.Get(csrfKey).(string); ok {
		p.CSRF = tok
	}
	if u, _ := c.Get(userKey).(*caseflow.User); u != nil {
		p.User = u
		p.Role = catalog.Label(lang, catalog.Role, string(u.Role))
		p.Agency = u.Agency.Name
		p.Nav = w.nav(c, lang, u)
		p.Client = clientText(lang)
		if w.cases.FilesReports(u.Role) {
			p.Intake = "/reports/new"
		}
	}
	for _, o := range opts {
		o(&p)
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", p); err != nil {
		return err
	}
	return c.HTMLBlob(code, buf.Bytes())
}

// nav lists the pages of the user's role, with the unread notification count.
func (w *UI) nav(c echo.Context, lang string, u *caseflow.User) []navLink {
	var links []navLink
	add := func(href, key string) { links = append(links, navLink{Href: href, Text: tr(lang, key)}) }
	// What each role may open is the domain's rule; the order puts first
	// where the role's work starts.
	r := u.Role
	if r.SeesCompliance() && !r.ActsOnCases() {
		add("/dashboard", "nav.dashboard") // supervisors start at the figures
	}
	switch {
	case r == caseflow.RoleCommuneOfficer && w.cases.FilesReports(r):
		add("/cases", "nav.cases")
		add("/reports/new", "nav.intake")
		add("/worklist", "nav.worklist")
	case r.ActsOnCases():
		add("/worklist", "nav.worklist")
		add("/cases", "nav.cases")
		if w.cases.FilesReports(r) {
			add("/reports/new", "nav.intake")
		}
	case r.ReadsCases():
		add("/cases", "nav.cases")
	}
	if r.SeesCompliance() && r.ActsOnCases() {
		add("/dashboard", "nav.dashboard")
	}
	if r.Administers() {
		add("/admin/users", "nav.users")
		add("/admin/breaches", "nav.breaches")
		add("/admin/holidays", "nav.holidays")
		if w.monitor != "" {
			add(w.monitor, "nav.queues")
		}
		add("/admin/stuck", "nav.stuck")
	}
	if r.ReadsCases() {
		add("/notifications", "nav.notifications")
		if unread, err := w.cases.UnreadNotifications(c.Request().Context(), request.Viewer(c)); err == nil {
			links[len(links)-1].Count = unread
		}
	}
	here := c.Request().URL.Path
	for i := range links {
		links[i].Current = here == links[i].Href || (links[i].Href != "/" && strings.HasPrefix(here, links[i].Href+"/"))
	}
	return links
}

// formTime formats a time for a page, in the province's zone.
func formTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return caseflow.Local(t).Format("02/01/2006 15:04")
}

// dueTime writes a due time. A limit counted in days ends at 24:00 of its
// last day (Điều 134): it reads "hết ngày 04/12/2026", never as 00:00 of
// the day after.
func dueTime(lang string, t time.Time) string {
	if t.IsZero() {
		return ""
	}
	l := caseflow.Local(t)
	if l.Hour() == 0 && l.Minute() == 0 && l.Second() == 0 {
		return fmt.Sprintf(tr(lang, "clock.end_of_day"), l.AddDate(0, 0, -1).Format("02/01/2006"))
	}
	return l.Format("02/01/2006 15:04")
}

func formDate(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return caseflow.Local(t).Format("02/01/2006")
}
