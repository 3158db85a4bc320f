package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
)

// The lists: a user's cases with filters, an agency's worklist (nearest due
// first) and the notifications. Lists show case codes, states and dates, and
// the children by initials and age to viewers who may see them; everything
// else about the people is on the case page only.

// listPageSize is how many cases a list page shows.
const listPageSize = 25

type caseRowView struct {
	Code     string
	Children string // initials and ages, for viewers who may see them
	Received string
	State    string
	Abuse    string
	Danger   bool
	Commune  string
	Due      string
	Tone     string
}

type casesView struct {
	Code, State, From, To field
	// Name and DOB search by a child's name, for viewers who may see
	// names; the search form posts, so that no name is in an address.
	Name, DOB  *field
	NameSearch bool // the list shows the results of a name search
	Overdue    bool
	Rows       []caseRowView
	Next       string
	Filtered   bool
	CanFile    bool
	Errors     []errItem
}

// clockSummary is the most urgent deadline of a listed case: its tone and
// what to say, from the urgency the list query computed.
func (w *UI) clockSummary(lang string, cs *caseflow.Case, now time.Time) (string, string) {
	if cs.NextDue == nil {
		return toneMuted, ""
	}
	tone := toneOK
	switch {
	case cs.Overdue:
		tone = toneBad
	case cs.NextWarn != nil && !now.Before(*cs.NextWarn):
		tone = toneWarn
	}
	def, _ := w.flows.Get(cs.WorkflowID, cs.WorkflowVersion)
	return tone, w.clockLabelIn(lang, def, cs.NextClock) + ": " + dueText(lang, *cs.NextDue, now)
}

func (w *UI) caseList(c echo.Context) error {
	lang := langOf(c)
	v := request.Viewer(c)
	q := c.QueryParams()
	view := casesView{Overdue: q.Get("overdue") != "", CanFile: v.Role == caseflow.RoleCommuneOfficer}
	view.State = field{ID: "state", Name: "state", Type: "select", Label: tr(lang, "list.state"), Placeholder: tr(lang, "list.any_state")}
	for _, d := range w.flows.All() {
		for _, st := range d.States {
			if !hasOption(view.State.Options, st.ID) {
				view.State.Options = append(view.State.Options, option{Value: st.ID, Text: pickLabel(lang, st.Label), Selected: q.Get("state") == st.ID})
			}
		}
	}
	view.Code = field{ID: "code", Name: "code", Type: "search", Label: tr(lang, "list.code_search"), Value: q.Get("code"),
		Hint: tr(lang, "list.code_hint")}
	if !v.SeesCasesByUnit() {
		view.Name = &field{ID: "child_name", Name: "child_name", Type: "search", Label: tr(lang, "list.name_search"),
			Hint: tr(lang, "list.name_hint")}
		view.DOB = &field{ID: "child_dob", Name: "child_dob", Type: "date", Label: tr(lang, "list.name_dob")}
	}
	view.From = field{ID: "from", Name: "from", Type: "date", Label: tr(lang, "list.from"), Value: q.Get("from")}
	view.To = field{ID: "to", Name: "to", Type: "date", Label: tr(lang, "list.to"), Value: q.Get("to")}
	f := caseflow.CaseFilter{State: q.Get("state"), After: q.Get("cursor"), Limit: listPageSize, Overdue: view.Overdue}
	if code, err := caseflow.CheckCodeQuery(q.Get("code")); err != nil {
		view.Code.Err = tr(lang, "list.code_bad")
	} else {
		f.Code = code
	}
	if s := q.Get("from"); s != "" {
		if d, ok := parseFormDate(s); ok {
			f.ReceivedFrom = &d
		} else {
			view.From.Err = tr(lang, "msg.bad_date")
		}
	}
	if s := q.Get("to"); s != "" {
		if d, ok := parseFormDate(s); ok {
			end := d.AddDate(0, 0, 1)
			f.ReceivedTo = &end
		} else {
			view.To.Err = tr(lang, "msg.bad_date")
		}
	}
	if c.Request().Method == http.MethodPost && view.Name != nil {
		form, _ := c.FormParams()
		view.NameSearch = true
		f.Limit = 100 // one page: a name finds few cases
		view.Name.Value, view.DOB.Value = strings.TrimSpace(form.Get("child_name")), strings.TrimSpace(form.Get("child_dob"))
		f.ChildName = view.Name.Value
		switch d, ok := parseFormDate(view.DOB.Value); {
		case view.DOB.Value == "":
		case ok:
			f.ChildDOB = d.Format("2006-01-02")
		default:
			view.DOB.Err = tr(lang, "msg.bad_date")
		}
		if f.ChildName == "" {
			view.Name.Err = tr(lang, "msg.required")
		}
	}
	view.Filtered = f.Code != "" || f.State != "" || f.ReceivedFrom != nil || f.ReceivedTo != nil || view.Overdue || view.NameSearch
	checked := []field{view.Code, view.From, view.To}
	if view.Name != nil {
		checked = append(checked, *view.Name, *view.DOB)
	}
	for _, fd := range checked {
		if fd.Err != "" {
			view.Errors = append(view.Errors, errItem{ID: fd.ID, Label: fd.Label, Text: fd.Err})
		}
	}
	if len(view.Errors) > 0 {
		return w.render(c, http.StatusUnprocessableEntity, "cases", tr(lang, "title.cases"), view)
	}
	now := w.cases.Now()
	ctx := c.Request().Context()
	pg, err := w.cases.Cases(ctx, v, f)
	if err != nil {
		return err
	}
	for _, cs := range pg.Cases {
		tone, due := w.clockSummary(lang, cs, now)
		abuse := make([]string, 0, len(cs.AbuseTypes))
		for _, a := range cs.AbuseTypes {
			abuse = append(abuse, catalog.Label(lang, catalog.AbuseType, a))
		}
		view.Rows = append(view.Rows, caseRowView{Code: cs.Code, Children: briefText(lang, cs.Briefs), Received: formTime(cs.ReceivedAt),
			State: w.stateLabel(lang, cs, cs.State), Abuse: strings.Join(abuse, ", "), Danger: cs.ImmediateDanger,
			Commune: cs.Commune.Name, Due: due, Tone: tone})
	}
	if pg.NextCursor != "" && !view.NameSearch {
		nq := url.Values{}
		for _, k := range []string{"state", "from", "to", "overdue"} {
			if q.Get(k) != "" {
				nq.Set(k, q.Get(k))
			}
		}
		nq.Set("cursor", pg.NextCursor)
		view.Next = "/cases?" + nq.Encode()
	}
	return w.render(c, http.StatusOK, "cases", tr(lang, "title.cases"), view)
}

// briefText names a listed case's children: "N.T.M. (9 tuổi), L.V.A.".
func briefText(lang string, bs []caseflow.ChildBrief) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		s := b.Initials
		if s == "" {
			s = "?"
		}
		if b.Age != nil {
			s += " (" + tr(lang, "list.age", *b.Age) + ")"
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}

func hasOption(os []option, v string) bool {
	for _, o := range os {
		if o.Value == v {
			return true
		}
	}
	return false
}

type workRowView struct {
	Code     string
	Children string // initials and ages, for a viewer who may see them
	State    string
	Reason   string
	Next     string // the deadline to meet first, by its name
	Waiting  string
	Due      string
	DueAt    string
	Tone     string
}

func (w *UI) worklistPage(c echo.Context) error {
	lang := langOf(c)
	items, err := w.cases.Worklist(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	now := w.cases.Now()
	rows := make([]workRowView, 0, len(items))
	for _, it := range items {
		// The case's own workflow names its stage and its clocks.
		def, _ := w.flows.Get(it.WorkflowID, it.WorkflowVersion)
		r := workRowView{Code: it.Code, Children: briefText(lang, it.Briefs), State: w.anyStateLabel(lang, it.State), Reason: catalog.Label(lang, catalog.WorkReason, it.Reason),
			Waiting: formTime(it.WaitingSince), Tone: toneMuted}
		if def != nil {
			if st, ok := def.State(it.State); ok {
				r.State = pickLabel(lang, st.Label)
			}
		}
		if it.DueClock != "" {
			r.Next = w.clockLabelIn(lang, def, it.DueClock)
		}
		if it.DueAt != nil {
			r.Due, r.DueAt = dueText(lang, *it.DueAt, now), dueTime(lang, *it.DueAt)
			// Amber from three quarters of the way, as the default warning point.
			warn := it.WaitingSince.Add(it.DueAt.Sub(it.WaitingSince) * 3 / 4)
			switch {
			case !now.Before(*it.DueAt):
				r.Tone = toneBad
			case !now.Before(warn):
				r.Tone = toneWarn
			default:
				r.Tone = toneOK
			}
		}
		rows = append(rows, r)
	}
	var opts []pageOption
	if c.QueryParam("msg") == "referral_done" {
		opts = append(opts, withNotice(tr(lang, "work.referral_done", c.QueryParam("code")), toneOK),
			withSaved(caseDraft(c.QueryParam("code"), "referral:*")))
	}
	if ev := c.QueryParam("done"); ev != "" {
		wv, _ := strconv.Atoi(c.QueryParam("wv"))
		opts = append(opts, withNotice(tr(lang, "work.handed_on", w.eventLabelIn(lang, w.versionDef(wv), ev), c.QueryParam("code")), toneOK),
			withSaved(caseDraft(c.QueryParam("code"), "event:"+ev), caseDraft(c.QueryParam("code"), "referral:*")))
	}
	return w.render(c, http.StatusOK, "worklist", tr(lang, "title.worklist"), rows, opts...)
}

type notificationView struct {
	ID       int64
	Kind     string
	Tone     string
	Code     string
	Clock    string
	Due      string
	Created  string
	Unread   bool
	Sentence string
	// Ackable: a breach or escalation not yet acknowledged; Acked: one
	// that was.
	Ackable, Acked bool
	// Sent says how many of its copies (e-mail, SMS) went out, of how many.
	Sent, Copies int
	Failing      bool
}

type notificationsView struct {
	Unread int64
	Items  []notificationView
}

func (w *UI) notificationsPage(c echo.Context) error {
	lang := langOf(c)
	ns, unread, err := w.cases.Notifications(c.Request().Context(), request.Viewer(c), 100)
	if err != nil {
		return err
	}
	view := notificationsView{Unread: unread}
	for _, n := range ns {
		view.Items = append(view.Items, w.notificationViewOf(lang, n))
	}
	return w.render(c, http.StatusOK, "notifications", tr(lang, "title.notifications"), view)
}

// notificationViewOf is a notification as the pages show it.
func (w *UI) notificationViewOf(lang string, n caseflow.Notification) notificationView {
	nv := notificationView{ID: n.ID, Kind: catalog.Label(lang, catalog.NotificationKind, n.Kind), Tone: toneWarn, Code: n.CaseCode,
		Clock: w.clockLabel(lang, n.Clock), Due: dueTime(lang, n.DueAt), Created: formTime(n.CreatedAt), Unread: n.ReadAt == nil}
	switch n.Kind {
	case caseflow.NotificationBreach, caseflow.NotificationEscalation:
		nv.Tone = toneBad
		nv.Ackable, nv.Acked = n.AcknowledgedAt == nil, n.AcknowledgedAt != nil
	case caseflow.NotificationNewWork:
		nv.Tone = toneOK
	}
	if n.Kind == caseflow.NotificationDigest || n.Kind == caseflow.NotificationRoleGranted || n.Kind == caseflow.NotificationDataBreach ||
		n.Kind == caseflow.NotificationDataRequest {
		// The message says it all, in both languages.
		first, _, _ := strings.Cut(n.Message, "\n")
		vi, en, _ := strings.Cut(first, " / ")
		nv.Sentence = vi
		if lang == "en" {
			nv.Sentence = en
		}
	} else if n.Kind == caseflow.NotificationNewWork && n.Clock == "" {
		nv.Sentence = tr(lang, "notify.sentence.new_work_plain")
	} else {
		nv.Sentence = tr(lang, "notify.sentence."+n.Kind, nv.Clock, nv.Due)
	}
	for _, d := range n.Deliveries {
		nv.Copies++
		switch d.Status {
		case caseflow.DeliverySent:
			nv.Sent++
		case caseflow.DeliveryFailed, caseflow.DeliveryDead:
			nv.Failing = true
		}
	}
	return nv
}

// notificationAck acknowledges a breach or escalation from the list, with
// the note typed beside it; the page it came from is shown again.
func (w *UI) notificationAck(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such notification")
	}
	if err := w.cases.AcknowledgeNotification(c.Request().Context(), request.Viewer(c), id, c.FormValue("note")); err != nil {
		return err
	}
	if back := c.QueryParam("back"); caseCodeRE.MatchString(back) {
		return c.Redirect(http.StatusSeeOther, "/cases/"+back+"?msg=acknowledged")
	}
	return c.Redirect(http.StatusSeeOther, "/notifications#n"+strconv.FormatInt(id, 10))
}

func (w *UI) notificationRead(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such notification")
	}
	if err := w.cases.MarkNotificationRead(c.Request().Context(), request.Viewer(c), id); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/notifications")
}
