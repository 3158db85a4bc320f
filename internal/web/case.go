package web

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
	"caseflow/internal/workflow"
)

// The case page, for every role: the case as the viewer may see it, its
// clocks, its history and referrals, and the actions the viewer may take now
// as forms generated from the workflow's available events.

type fact struct{ Label, Value string }

type personView struct {
	Title string
	Facts []fact
}

type clockView struct {
	Label, Status, Tone, Due, Remaining, Started, Limit, Basis, Responsible string
	Policy                                                                  string
	Extensions                                                              []string
	Extend                                                                  *formView
}

type historyView struct {
	At, Event, Move, Actor, Note string
	Data                         []fact
}

type referralView struct {
	Service, Agency, Status, Tone, Created, Note string
	Answer                                       []formView
}

// formView is one action form of the case page.
type formView struct {
	Key    string // what the form does, to reopen it after an error
	ID     string // the key as an element id
	CSRF   string
	Title  string
	Action string
	Hidden []fact // name, value
	Fields []field
	Submit string
	Open   bool
	Errors []errItem
	// Draft names the form's draft on the device; Fresh, that the form is
	// shown empty, so a draft may fill it.
	Draft   string
	Fresh   bool
	Warning string
	// Next marks a step that meets a deadline the viewer's agency answers
	// for: shown first, and said so.
	Next bool
}

// readView is one read of the child's data.
type readView struct{ At, Who, Agency, Access string }

type caseView struct {
	Code  string
	State string
	// Children names the case's children with their ages, for a viewer
	// who may see them; Urgent is the most urgent running deadline.
	Children []string
	Urgent   *clockView
	Version  int
	Summary  bool
	// Erased: when the case's personal data was erased, in words.
	Erased string
	// Reads are who read the child's data, for the filing agency and
	// supervisors.
	Reads []readView
	// Processing is the legal basis of processing and the consents.
	Processing *processingView
	// Requests are the representative's requests about the child's data.
	Requests   []requestView
	NewRequest *formView
	Access     string
	Facts      []fact
	People     []personView
	Narrative  string
	Clocks     []clockView // running or overdue, most urgent first
	Done       []clockView // stopped
	History    []historyView
	Referrals  []referralView
	Actions    []formView
	Refer      *formView
	Conflict   string
	Dups       []string
	// Alerts are the viewer's breaches and escalations of this case still
	// to acknowledge; Told, the other notifications of the case the viewer
	// received, with how their copies went.
	Alerts, Told []notificationView
}

// caseDraft names the draft of a case page's form.
func caseDraft(code, key string) string { return "case/" + code + "/" + key }

// caseCodeRE matches a case code, such as HY-2026-000123.
var caseCodeRE = regexp.MustCompile(`^[A-Za-z0-9]{1,10}-\d{4}-\d{1,9}$`)

// caseForm is a form posted back to the case page, to show again with its
// values and errors when it did not go through.
type caseForm struct {
	key    string
	values url.Values
	errs   map[string]string
}

func (w *UI) casePage(c echo.Context) error {
	lang := langOf(c)
	q := c.QueryParams()
	var opts []pageOption
	code := c.Param("code")
	switch q.Get("filed") {
	case "1":
		opts = append(opts, withNotice(tr(lang, "case.filed", code), toneOK), withSaved(intakeDraft))
	case "again":
		opts = append(opts, withNotice(tr(lang, "case.filed_again", code), toneOK), withSaved(intakeDraft))
	}
	if ev := q.Get("done"); ev != "" {
		wv, _ := strconv.Atoi(q.Get("wv"))
		opts = append(opts, withNotice(tr(lang, "case.done", w.eventLabelIn(lang, w.versionDef(wv), ev)), toneOK),
			withSaved(caseDraft(code, "event:"+ev)))
	}
	if m := q.Get("msg"); m != "" {
		if s, ok := lookup(lang, "case.msg."+m); ok {
			opts = append(opts, withNotice(s, toneOK))
		}
		switch {
		case m == "referred":
			opts = append(opts, withSaved(caseDraft(code, "refer")))
		case m == "extended":
			opts = append(opts, withSaved(caseDraft(code, "extend:*")))
		case strings.HasPrefix(m, "referral_"):
			opts = append(opts, withSaved(caseDraft(code, "referral:*")))
		case m == "req_refused" || m == "corrected":
			if id, err := strconv.ParseInt(q.Get("req"), 10, 64); err == nil {
				opts = append(opts, withSaved(caseDraft(code, requestKey(id, "*"))))
			}
		}
	}
	var dups []string
	for _, d := range strings.Split(q.Get("dup"), ",") {
		if d = strings.TrimSpace(d); caseCodeRE.MatchString(d) && len(dups) < 20 {
			dups = append(dups, d)
		}
	}
	return w.renderCase(c, http.StatusOK, c.Param("code"), nil, "", dups, opts...)
}

// renderCase draws the case page; form, when set, is reopened with its
// values and errors, and conflict explains a stale version.
func (w *UI) renderCase(c echo.Context, code int, caseCode string, form *caseForm, conflict string, dups []string, opts ...pageOption) error {
	lang := langOf(c)
	v := request.Viewer(c)
	ctx := c.Request().Context()
	cs, err := w.cases.Case(ctx, v, caseCode)
	if err != nil {
		return err
	}
	hist, err := w.cases.History(ctx, v, cs.Code)
	if err != nil {
		return err
	}
	_, clocks, err := w.cases.Clocks(ctx, v, cs.Code)
	if err != nil {
		return err
	}
	refs, err := w.cases.Referrals(ctx, v, cs.Code)
	if err != nil {
		return err
	}
	now := w.cases.Now()
	view := caseView{Code: cs.Code, State: w.stateLabel(lang, cs, cs.State), Version: cs.Version,
		Summary: cs.Access == caseflow.AccessSummary, Access: catalog.Label(lang, catalog.Access, string(cs.Access)),
		Narrative: cs.Narrative, Conflict: conflict, Dups: dups}
	if cs.ErasedAt != nil {
		view.Erased = tr(lang, "case.erased", formTime(*cs.ErasedAt))
	}
	if cs.Access.SeesPersonalData() {
		view.Processing = w.processingOf(ctx, lang, v, cs, form)
		view.Requests, view.NewRequest = w.requestsOf(ctx, lang, v, cs, form)
	}
	if reads, err := w.cases.Reads(ctx, v, cs.Code); err == nil {
		for _, r := range reads {
			view.Reads = append(view.Reads, readView{At: formTime(r.At), Who: r.Username, Agency: r.AgencyCode,
				Access: catalog.Label(lang, catalog.Access, string(r.Access))})
		}
	}
	if ns, err := w.cases.CaseNotifications(ctx, v, cs.Code); err == nil {
		for _, n := range ns {
			nv := w.notificationViewOf(lang, n)
			if nv.Ackable {
				view.Alerts = append(view.Alerts, nv)
			} else {
				view.Told = append(view.Told, nv)
			}
		}
	}
	view.Facts = w.caseFacts(lang, cs)
	view.People = personViews(lang, cs)
	def, _ := w.flows.Get(cs.WorkflowID, cs.WorkflowVersion)
	rank := map[string]int{toneBad: 0, toneWarn: 1, toneOK: 2, toneMuted: 3}
	slices.SortStableFunc(clocks, func(a, b caseflow.Clock) int {
		if d := rank[clockTone(a, now)] - rank[clockTone(b, now)]; d != 0 {
			return d
		}
		return a.DueAt.Compare(b.DueAt)
	})
	for _, k := range clocks {
		kv := w.clockView(lang, v, cs, def, k, now, form)
		if k.StoppedAt != nil {
			view.Done = append(view.Done, kv)
		} else {
			view.Clocks = append(view.Clocks, kv)
		}
	}
	for _, p := range cs.Children {
		s := p.FullName
		if s == "" {
			continue
		}
		if age := caseflow.AgeWhen(p.Age, p.DateOfBirth, cs.ReceivedAt); age != nil {
			s += " (" + tr(lang, "list.age", *age) + ")"
		}
		view.Children = append(view.Children, s)
	}
	if len(view.Clocks) > 0 {
		view.Urgent = &view.Clocks[0]
	}
	for i := len(hist) - 1; i >= 0; i-- {
		view.History = append(view.History, w.historyView(lang, cs, def, hist[i]))
	}
	for _, r := range refs {
		view.Referrals = append(view.Referrals, w.referralView(lang, v, cs, r, form))
	}
	// The steps that meet a running deadline of the viewer's agency come
	// first, marked as what to do next; the others keep the file's order.
	meets := map[string]bool{}
	if def != nil {
		for _, k := range clocks {
			if k.StoppedAt != nil || k.AgencyCode != v.Agency.Code {
				continue
			}
			if kd, ok := def.Clock(k.Clock); ok {
				for _, e := range kd.Stop {
					meets[e] = true
				}
			}
		}
	}
	var later []formView
	for _, ev := range w.cases.AvailableEvents(cs, v) {
		f := w.eventForm(lang, cs, def, ev.ID, form)
		if meets[ev.ID] {
			f.Next = true
			view.Actions = append(view.Actions, f)
		} else {
			later = append(later, f)
		}
	}
	view.Actions = append(view.Actions, later...)
	if w.cases.CanRefer(cs, v) {
		view.Refer = w.referForm(ctx, lang, cs, form)
	}
	token, _ := c.Get(csrfKey).(string)
	finish := func(f *formView) {
		f.CSRF = token
		f.ID = "f-" + strings.NewReplacer(":", "-", "/", "-").Replace(f.Key)
		// The page script keeps what is typed in the form as a draft until
		// the save is confirmed; a form shown again after an error already
		// holds the newest values.
		f.Draft = caseDraft(cs.Code, f.Key)
		f.Fresh = form == nil || form.key != f.Key
	}
	for i := range view.Actions {
		finish(&view.Actions[i])
	}
	if view.Refer != nil {
		finish(view.Refer)
	}
	if view.Processing != nil && view.Processing.Form != nil {
		finish(view.Processing.Form)
	}
	if view.NewRequest != nil {
		finish(view.NewRequest)
	}
	for i := range view.Requests {
		for _, f := range []*formView{view.Requests[i].Approve, view.Requests[i].Refuse, view.Requests[i].Correct} {
			if f != nil {
				finish(f)
			}
		}
	}
	for i := range view.Referrals {
		for j := range view.Referrals[i].Answer {
			finish(&view.Referrals[i].Answer[j])
		}
	}
	for i := range view.Clocks {
		if view.Clocks[i].Extend != nil {
			finish(view.Clocks[i].Extend)
		}
	}
	return w.render(c, code, "case", tr(lang, "title.case", cs.Code), view, append(opts, withHere("/cases/"+cs.Code))...)
}

func (w *UI) caseFacts(lang string, cs *caseflow.Case) []fact {
	abuse := make([]string, 0, len(cs.AbuseTypes))
	for _, a := range cs.AbuseTypes {
		abuse = append(abuse, catalog.Label(lang, catalog.AbuseType, a))
	}
	danger := tr(lang, "form.no")
	if cs.ImmediateDanger {
		danger = tr(lang, "form.yes")
	}
	out := []fact{
		{tr(lang, "list.state"), w.stateLabel(lang, cs, cs.State)},
		{tr(lang, "intake.received_at"), formTime(cs.ReceivedAt)},
		{tr(lang, "intake.channel"), catalog.Label(lang, catalog.Channel, cs.Channel)},
		{tr(lang, "intake.commune"), cs.Commune.Name},
		{tr(lang, "intake.abuse_types"), strings.Join(abuse, ", ")},
		{tr(lang, "intake.setting"), catalog.Label(lang, catalog.Setting, cs.Setting)},
		{tr(lang, "intake.immediate_danger"), danger},
	}
	if cs.CrimeCategory != "" {
		out = append(out, fact{tr(lang, "case.crime_category"), tr(lang, "value."+cs.CrimeCategory)})
	}
	if cs.Outcome != "" {
		out = append(out, fact{tr(lang, "case.outcome"), tr(lang, "value.outcome."+cs.Outcome)})
	}
	return out
}

func personViews(lang string, cs *caseflow.Case) []personView {
	var out []personView
	add := func(title string, p caseflow.Person) {
		pv := personView{Title: title}
		put := func(key, val string) {
			if val != "" {
				pv.Facts = append(pv.Facts, fact{tr(lang, key), val})
			}
		}
		if p.Anonymous {
			put("person.anonymous", tr(lang, "form.yes"))
		}
		put("person.full_name", p.FullName)
		if p.Sex != "" {
			put("person.sex", catalog.Label(lang, catalog.Sex, p.Sex))
		}
		if d, ok := parseFormDate(p.DateOfBirth); ok {
			put("person.date_of_birth", d.Format("02/01/2006"))
		}
		if p.Age != nil {
			put("person.age", strconv.Itoa(*p.Age))
		}
		put("person.relationship", p.Relationship)
		put("person.address", p.Address)
		put("person.phone", p.Phone)
		out = append(out, pv)
	}
	for i, p := range cs.Children {
		add(tr(lang, "intake.child_n", i+1), p)
	}
	for i, p := range cs.Suspects {
		add(tr(lang, "intake.suspect_n", i+1), p)
	}
	if cs.Reporter != nil {
		add(tr(lang, "intake.reporter"), *cs.Reporter)
	}
	return out
}

func (w *UI) clockView(lang string, v caseflow.Viewer, cs *caseflow.Case, def *workflow.Definition, k caseflow.Clock, now time.Time, form *caseForm) clockView {
	kv := clockView{Label: w.clockLabelIn(lang, def, k.Clock), Tone: clockTone(k, now), Due: dueTime(lang, k.DueAt),
		Started: formTime(k.StartedAt), Limit: limitText(lang, k.Amount, k.Rule), Basis: k.Basis, Policy: policyText(lang, k.Policy),
		Responsible: catalog.Label(lang, catalog.AgencyType, string(k.Responsible))}
	if def != nil {
		if wc, ok := def.Clock(k.Clock); ok {
			kv.Label = pickLabel(lang, wc.Label)
		}
	}
	if k.Instance != "" {
		kv.Label += " #" + k.Instance
	}
	switch {
	case k.StoppedAt != nil && k.BreachedAt != nil:
		kv.Status = tr(lang, "clock.stopped_late", formTime(*k.StoppedAt))
	case k.StoppedAt != nil:
		kv.Status = catalog.Label(lang, catalog.ClockStatus, caseflow.ClockStopped) + " " + formTime(*k.StoppedAt)
	case kv.Tone == toneBad:
		kv.Status, kv.Remaining = catalog.Label(lang, catalog.ClockStatus, caseflow.ClockBreached), dueText(lang, k.DueAt, now)
	case kv.Tone == toneWarn:
		// Past its warning point: as its warning notification calls it.
		kv.Status = catalog.Label(lang, catalog.NotificationKind, caseflow.NotificationWarning)
		kv.Remaining = dueText(lang, k.DueAt, now)
	default:
		kv.Status, kv.Remaining = catalog.Label(lang, catalog.ClockStatus, caseflow.ClockRunning), dueText(lang, k.DueAt, now)
	}
	for _, e := range k.Extensions {
		how := limitText(lang, e.Amount, e.Rule)
		if e.TotalRule != "" {
			how = tr(lang, "clock.to_total", limitText(lang, e.TotalAmount, e.TotalRule))
		}
		if e.GrantedBy != "" {
			how += " (" + e.GrantedBy + ")"
		}
		kv.Extensions = append(kv.Extensions, tr(lang, "clock.extension", how, e.By,
			formTime(e.At), formTime(e.DueAfter), e.Reason, e.LegalBasis))
	}
	if def != nil && k.Status == caseflow.ClockRunning && k.StoppedAt == nil && cs.Access != caseflow.AccessSummary {
		if wc, ok := def.Clock(k.Clock); ok && wc.Extendable(v.Role) {
			kv.Extend = extendForm(lang, cs, k, form)
		}
	}
	return kv
}

func (w *UI) historyView(lang string, cs *caseflow.Case, def *workflow.Definition, h caseflow.HistoryEntry) historyView {
	hv := historyView{At: formTime(h.At), Event: w.eventLabelIn(lang, def, h.Event), Note: h.Note}
	if h.From != "" && h.From != h.To {
		hv.Move = w.stateLabel(lang, cs, h.From) + " → " + w.stateLabel(lang, cs, h.To)
	} else if h.From == "" {
		hv.Move = "→ " + w.stateLabel(lang, cs, h.To)
	}
	if h.Username != "" {
		hv.Actor = h.Username + " (" + h.AgencyCode + ")"
	}
	var ev *workflow.Event
	if def != nil {
		ev, _ = def.Event(h.Event)
	}
	keys := make([]string, 0, len(h.Data))
	for k := range h.Data {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	if ev != nil { // the event's own order first
		slices.SortStableFunc(keys, func(a, b string) int { return fieldIndex(ev, a) - fieldIndex(ev, b) })
	}
	for _, k := range keys {
		label := k
		var f *workflow.Field
		if ev != nil {
			f, _ = ev.Field(k)
		}
		if f != nil {
			label = pickLabel(lang, f.Label)
		} else if s, ok := lookup(lang, "data."+k); ok {
			label = s
		}
		hv.Data = append(hv.Data, fact{label, dataValue(lang, f, k, h.Data[k])})
	}
	return hv
}

func fieldIndex(ev *workflow.Event, name string) int {
	for i, f := range ev.Fields {
		if f.Name == name {
			return i
		}
	}
	return len(ev.Fields)
}

// dataValue shows a recorded event value: yes/no, enum labels, local times.
func dataValue(lang string, f *workflow.Field, name string, v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return tr(lang, "form.yes")
		}
		return tr(lang, "form.no")
	case string:
		if f != nil {
			switch f.Type {
			case workflow.FieldEnum:
				return enumLabel(lang, f, x)
			case workflow.FieldDate:
				if d, ok := parseFormDate(x); ok {
					return d.Format("02/01/2006")
				}
			case workflow.FieldDatetime:
				if t, err := time.Parse(time.RFC3339, x); err == nil {
					return formTime(t)
				}
			}
		} else if s, ok := valueLabel(lang, name, x); ok {
			return s
		}
		return x
	}
	return fmt.Sprint(v)
}

// eventForm builds the form of one available event from its fields.
func (w *UI) eventForm(lang string, cs *caseflow.Case, def *workflow.Definition, name string, form *caseForm) formView {
	fv := formView{Key: "event:" + name, Action: "/cases/" + cs.Code + "/events", Submit: tr(lang, "case.do")}
	fv.Hidden = []fact{{"event", name}, {"version", strconv.Itoa(cs.Version)}}
	var values url.Values
	var errs map[string]string
	if form != nil && form.key == fv.Key {
		values, errs, fv.Open = form.values, form.errs, true
	}
	var ev *workflow.Event
	if def != nil {
		ev, _ = def.Event(name)
	}
	if ev == nil {
		return fv
	}
	fv.Title = pickLabel(lang, ev.Label)
	if to := ev.Destination(cs.State); to != cs.State {
		fv.Warning = tr(lang, "case.moves_to", w.stateLabel(lang, cs, to))
	}
	for _, f := range ev.Fields {
		fd := eventField(lang, name, f, values)
		fd.Err = errs["data."+f.Name]
		if fd.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: fd.ID, Label: fd.Label, Text: fd.Err})
		}
		fv.Fields = append(fv.Fields, fd)
	}
	// The history note keeps a name of its own where the step has a field
	// called a note too, so that no form shows two "Ghi chú".
	noteLabel := tr(lang, "case.note")
	for _, fd := range fv.Fields {
		if strings.EqualFold(fd.Label, noteLabel) {
			noteLabel = tr(lang, "case.note_history")
		}
	}
	note := field{ID: "ev-" + name + "-note", Name: "note", Type: "textarea", Rows: 2, Label: noteLabel,
		Hint: tr(lang, "case.note_hint"), Value: values.Get("note"), Err: errs["note"]}
	// When the act happened, for a step entered after the fact: clocks count
	// from it, and the history keeps both times.
	when := field{ID: "ev-" + name + "-occurred_at", Name: "occurred_at", Type: "datetime-local", Label: tr(lang, "case.occurred_at"),
		Hint: tr(lang, "case.occurred_at_hint"), Value: values.Get("occurred_at"), Err: errs["occurred_at"]}
	late := field{ID: "ev-" + name + "-late_reason", Name: "late_reason", Type: "text", Label: tr(lang, "case.late_reason"),
		Value: values.Get("late_reason"), Err: errs["late_reason"]}
	fv.Fields = append(fv.Fields, note, when, late)
	for _, fd := range []field{when, late} {
		if fd.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: fd.ID, Label: fd.Label, Text: fd.Err})
		}
	}
	for k, m := range errs {
		if !strings.HasPrefix(k, "data.") && k != "note" && k != "occurred_at" && k != "late_reason" {
			fv.Errors = append(fv.Errors, errItem{ID: "ev-" + name, Label: fv.Title, Text: m})
		}
	}
	return fv
}

// eventField draws one workflow field as an input of its type.
func eventField(lang, event string, f *workflow.Field, values url.Values) field {
	fd := field{ID: "ev-" + event + "-" + f.Name, Name: "d_" + f.Name, Label: pickLabel(lang, f.Label),
		Required: f.Required, Value: values.Get("d_" + f.Name)}
	switch f.Type {
	case workflow.FieldText:
		fd.Type, fd.Rows = "textarea", 3
	case workflow.FieldBool:
		fd.Type = "radio"
		fd.Options = []option{{Value: "yes", Text: tr(lang, "form.yes"), Selected: fd.Value == "yes"},
			{Value: "no", Text: tr(lang, "form.no"), Selected: fd.Value == "no"}}
	case workflow.FieldEnum:
		fd.Type = "select"
		for _, v := range f.Values {
			fd.Options = append(fd.Options, option{Value: v, Text: enumLabel(lang, f, v), Selected: fd.Value == v})
		}
	case workflow.FieldDate:
		fd.Type, fd.Hint = "date", tr(lang, "hint.date")
	case workflow.FieldDatetime:
		fd.Type, fd.Hint = "datetime-local", tr(lang, "hint.datetime")
	case workflow.FieldInt:
		fd.Type = "number"
	case workflow.FieldCharges:
		fd.Type, fd.Rows, fd.Hint = "textarea", 3, tr(lang, "hint.charges")
	default:
		fd.Type = "text"
	}
	return fd
}

// parseCharges reads a charges field written one charge a line, "1: 142"
// or, in a verdict, "1: 142: có" (upheld) / "2: 146: không".
func parseCharges(raw string) ([]any, bool) {
	var out []any
	for _, line := range strings.Split(raw, "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		parts := strings.Split(line, ":")
		if len(parts) < 2 || len(parts) > 3 {
			return nil, false
		}
		n, err := strconv.Atoi(strings.TrimSpace(parts[0]))
		if err != nil {
			return nil, false
		}
		c := map[string]any{"suspect": int64(n), "article": strings.TrimSpace(parts[1])}
		if len(parts) == 3 {
			switch strings.ToLower(strings.TrimSpace(parts[2])) {
			case "có", "co", "yes", "true":
				c["upheld"] = true
			case "không", "khong", "no", "false":
				c["upheld"] = false
			default:
				return nil, false
			}
		}
		out = append(out, c)
	}
	return out, true
}

// eventData reads an event form into the data the workflow checks, naming
// values that do not parse.
func eventData(lang string, ev *workflow.Event, form url.Values) (map[string]any, map[string]string) {
	data := map[string]any{}
	errs := map[string]string{}
	for _, f := range ev.Fields {
		raw := strings.TrimSpace(form.Get("d_" + f.Name))
		if raw == "" {
			continue
		}
		switch f.Type {
		case workflow.FieldBool:
			data[f.Name] = raw == "yes"
		case workflow.FieldInt:
			n, err := strconv.ParseInt(raw, 10, 64)
			if err != nil {
				errs["data."+f.Name] = tr(lang, "msg.whole_number")
				continue
			}
			data[f.Name] = n
		case workflow.FieldDate:
			d, ok := parseFormDate(raw)
			if !ok {
				errs["data."+f.Name] = tr(lang, "msg.bad_date")
				continue
			}
			data[f.Name] = d.Format("2006-01-02")
		case workflow.FieldDatetime:
			t, err := time.ParseInLocation("2006-01-02T15:04", raw, caseflow.Zone)
			if err != nil {
				if t, err = time.ParseInLocation("02/01/2006 15:04", raw, caseflow.Zone); err != nil {
					errs["data."+f.Name] = tr(lang, "msg.bad_datetime")
					continue
				}
			}
			data[f.Name] = t.Format(time.RFC3339)
		case workflow.FieldText:
			data[f.Name] = strings.ReplaceAll(form.Get("d_"+f.Name), "\r\n", "\n")
		case workflow.FieldCharges:
			cs, ok := parseCharges(strings.ReplaceAll(raw, "\r\n", "\n"))
			if !ok {
				errs["data."+f.Name] = tr(lang, "msg.charges")
				continue
			}
			data[f.Name] = cs
		default:
			data[f.Name] = raw
		}
	}
	return data, errs
}

func (w *UI) fireSubmit(c echo.Context) error {
	lang := langOf(c)
	v := request.Viewer(c)
	code := c.Param("code")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	event := form.Get("event")
	back := &caseForm{key: "event:" + event, values: form}
	cs, err := w.cases.Summary(c.Request().Context(), v, code)
	if err != nil {
		return err
	}
	def, ok := w.flows.Get(cs.WorkflowID, cs.WorkflowVersion)
	if !ok {
		return fmt.Errorf("case %s: workflow not loaded", cs.Code)
	}
	ev, ok := def.Event(event)
	if !ok {
		return caseflow.Errorf(caseflow.ENotFound, "no such event")
	}
	data, errs := eventData(lang, ev, form)
	if len(errs) > 0 {
		back.errs = errs
		return w.renderCase(c, http.StatusUnprocessableEntity, code, back, "", nil)
	}
	var occurred *time.Time
	if raw := strings.TrimSpace(form.Get("occurred_at")); raw != "" {
		t, err := time.ParseInLocation("2006-01-02T15:04", raw, caseflow.Zone)
		if err != nil {
			if t, err = time.ParseInLocation("02/01/2006 15:04", raw, caseflow.Zone); err != nil {
				back.errs = map[string]string{"occurred_at": tr(lang, "msg.bad_datetime")}
				return w.renderCase(c, http.StatusUnprocessableEntity, code, back, "", nil)
			}
		}
		occurred = &t
	}
	version, _ := strconv.Atoi(form.Get("version"))
	_, err = w.cases.Fire(c.Request().Context(), v, code, caseflow.EventRequest{Event: event, Version: version,
		Note: strings.ReplaceAll(form.Get("note"), "\r\n", "\n"), Data: data, OccurredAt: occurred,
		LateReason: strings.TrimSpace(form.Get("late_reason"))})
	if caseflow.ErrorCode(err) == caseflow.ENotFound && slices.Contains(ev.Release, v.Agency.Type) {
		// The event handed the case on and ended this agency's access, so
		// the case could not be read back after it was stored.
		return c.Redirect(http.StatusSeeOther, "/worklist?done="+url.QueryEscape(event)+"&code="+url.QueryEscape(code)+
			"&wv="+strconv.Itoa(cs.WorkflowVersion))
	}
	if err != nil {
		return w.caseFormError(c, code, back, err, version)
	}
	// A step that hands the case on may end this agency's access: the save
	// is then confirmed on the worklist, never by a "not found" page.
	if _, err := w.cases.Summary(c.Request().Context(), v, code); caseflow.ErrorCode(err) == caseflow.ENotFound {
		return c.Redirect(http.StatusSeeOther, "/worklist?done="+url.QueryEscape(event)+"&code="+url.QueryEscape(code)+
			"&wv="+strconv.Itoa(cs.WorkflowVersion))
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?done="+url.QueryEscape(event)+"&wv="+strconv.Itoa(cs.WorkflowVersion))
}

// caseFormError shows a refused case action: a stale version is explained
// with a reload link; field errors go next to their inputs; other refusals
// at the top.
func (w *UI) caseFormError(c echo.Context, code string, back *caseForm, err error, version int) error {
	lang := langOf(c)
	switch caseflow.ErrorCode(err) {
	case caseflow.EConflict:
		back.errs = nil
		return w.renderCase(c, http.StatusConflict, code, back, tr(lang, "case.conflict", version), nil)
	case caseflow.EInvalid, caseflow.EForbidden:
		back.errs = map[string]string{}
		var de *caseflow.Error
		if e, ok := err.(*caseflow.Error); ok {
			de = e
		}
		if de != nil && len(de.Fields) > 0 {
			for k, m := range de.Fields {
				back.errs[k] = fieldMessage(lang, k, m)
			}
		} else if caseflow.ErrorCode(err) == caseflow.EForbidden {
			back.errs["action"] = tr(lang, "err.forbidden")
		} else {
			back.errs["action"] = errorText(lang, err)
		}
		return w.renderCase(c, request.Status(caseflow.ErrorCode(err)), code, back, "", nil)
	}
	return err
}

// policyText names the reading of Điều 134 a due time was computed under.
func policyText(lang, p string) string {
	switch p {
	case "":
		return ""
	case "strict", "lenient":
		return tr(lang, "clock.policy."+p)
	}
	return tr(lang, "clock.policy.custom") + " (" + p + ")"
}
