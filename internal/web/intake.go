package web

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
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
)

// The intake form: every field of POST /api/v1/reports, with a fixed number
// of child and suspect slots (more on request, without JavaScript) and an
// idempotency key generated with each fresh form, so that a double click or
// a retry after a dropped connection files one case.

const (
	defaultChildSlots   = 3
	defaultSuspectSlots = 3
	maxSlots            = 50
)

// field is one input of a form as the templates draw it.
type field struct {
	ID, Name, Label, Type, Value, Hint, Err, Placeholder, Auto string
	Min, Max                                                   string
	// Filters names a select whose options (their For) follow this
	// select's value.
	Filters  string
	Required bool
	Rows     int
	Options  []option
}

type option struct {
	Value, Text string
	// For lists, space-separated, the values of the filtering select
	// that the option fits; empty fits all.
	For      string
	Selected bool
}

// errItem is one line of a form's error summary.
type errItem struct{ ID, Label, Text string }

// personSpec is a field of a person in the form.
type personSpec struct {
	name, typ string
	required  bool
}

var (
	childSpec = []personSpec{{"full_name", "text", true}, {"sex", "select", true}, {"date_of_birth", "date", false},
		{"age", "number", false}, {"address", "text", false}}
	suspectSpec = []personSpec{{"full_name", "text", false}, {"sex", "select", false}, {"date_of_birth", "date", false},
		{"age", "number", false}, {"relationship", "text", false}, {"address", "text", false}, {"phone", "tel", false}}
	// A reporter is asked how to reach them, not their age or sex.
	reporterSpec = []personSpec{{"relationship", "text", false}, {"full_name", "text", false}, {"address", "text", false},
		{"phone", "tel", false}}
)

// personSlot is a child, suspect or the reporter in the form.
type personSlot struct {
	ID        string
	Legend    string
	Open      bool // shown unfolded: the first slot, or one with values or errors
	Fields    []field
	Anonymous *field
}

// intakeDraft names the intake form's draft on the device.
const intakeDraft = "intake"

type intakeView struct {
	Key string
	// Fresh: the form is shown empty, so a kept draft may fill it.
	Fresh       bool
	CommuneCode string
	CommuneName string
	// Commune is a choice when former communes became part of the
	// officer's: a report received before the change names one of them.
	Commune   *field
	Errors    []errItem
	Received  []field
	Channel   field
	Setting   field
	Abuse     field
	Danger    field
	Children  []personSlot
	Suspects  []personSlot
	Reporter  personSlot
	Narrative field
	NChildren int
	NSuspects int
	// NewChild and NewSuspect are empty slots that the page script copies,
	// with {n} the slot's index and {n1} its number, to add one without a
	// round trip; MaxSlots is as many as the server reads.
	NewChild, NewSuspect personSlot
	MaxSlots             int
}

// intakeInput is the posted form, kept as typed so it can be shown again.
type intakeInput struct {
	fresh     bool
	form      url.Values
	nChildren int
	nSuspects int
}

func newIdempotencyKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (w *UI) intakeForm(c echo.Context) error {
	now := caseflow.Local(w.cases.Now())
	// A draft kept on the device may need more slots than the default.
	in := intakeInput{form: url.Values{}, nChildren: slotCount(c.QueryParam("children_n"), defaultChildSlots),
		nSuspects: slotCount(c.QueryParam("suspects_n"), defaultSuspectSlots), fresh: true}
	in.form.Set("idempotency_key", newIdempotencyKey())
	in.form.Set("received_date", now.Format("2006-01-02"))
	in.form.Set("received_time", now.Format("15:04"))
	return w.renderIntake(c, http.StatusOK, in, nil, "")
}

func (w *UI) renderIntake(c echo.Context, code int, in intakeInput, errs map[string]string, top string) error {
	lang := langOf(c)
	v := request.Viewer(c)
	view := w.intakeView(lang, v, in, errs)
	view.Commune = w.communeChoice(c.Request().Context(), lang, v, in.form.Get("commune_code"), errs)
	var opts []pageOption
	if top != "" {
		opts = append(opts, withNotice(top, toneBad))
	}
	opts = append(opts, withHere("/reports/new"))
	return w.render(c, code, "intake", tr(lang, "title.intake"), view, opts...)
}

// sel offers values, labelled as kind in the catalogue.
func sel(values []string, lang, kind, current string) []option {
	out := make([]option, 0, len(values))
	for _, v := range values {
		out = append(out, option{Value: v, Text: catalog.Label(lang, kind, v), Selected: v == current})
	}
	return out
}

// communeChoice offers the officer's commune and the former communes that
// became part of it, each with its last day, or nil when there are none.
func (w *UI) communeChoice(ctx context.Context, lang string, v caseflow.Viewer, current string, errs map[string]string) *field {
	us, err := w.cases.IntakeCommunes(ctx, v)
	if err != nil {
		w.log.Error("reading the communes of the intake form", "err", err.Error())
		return nil
	}
	if len(us) < 2 {
		return nil
	}
	if current == "" {
		current = us[0].Code
	}
	fd := &field{ID: "commune_code", Name: "commune_code", Type: "select", Label: tr(lang, "intake.commune"), Required: true,
		Err: errs["commune_code"], Hint: tr(lang, "hint.former_commune")}
	picked := false
	for _, u := range us {
		text := u.Name + " (" + u.Code + ")"
		if u.ValidTo != nil {
			text += " — " + fmt.Sprintf(tr(lang, "intake.until"), caseflow.Local(*u.ValidTo).Format("02/01/2006"))
		}
		sel := !picked && u.Code == current
		picked = picked || sel
		fd.Options = append(fd.Options, option{Value: u.Code, Text: text, Selected: sel})
	}
	return fd
}

func (w *UI) intakeView(lang string, v caseflow.Viewer, in intakeInput, errs map[string]string) intakeView {
	f := in.form
	labels := map[string]string{}
	var order []string // input ids as the form shows them
	mk := func(id, typ, labelKey string, required bool) field {
		fd := field{ID: id, Name: id, Type: typ, Label: tr(lang, labelKey), Value: f.Get(id), Required: required, Err: errs[id]}
		labels[id] = fd.Label
		order = append(order, id)
		return fd
	}
	view := intakeView{Key: f.Get("idempotency_key"), Fresh: in.fresh, CommuneCode: v.Agency.Unit.Code, CommuneName: v.Agency.Unit.Name,
		NChildren: in.nChildren, NSuspects: in.nSuspects}
	date := mk("received_date", "date", "intake.received_date", true)
	date.Hint = tr(lang, "hint.date")
	tm := mk("received_time", "time", "intake.received_time", true)
	tm.Hint = tr(lang, "hint.time")
	view.Received = []field{date, tm}
	view.Channel = mk("channel", "select", "intake.channel", true)
	view.Channel.Options = sel(caseflow.Channels, lang, catalog.Channel, f.Get("channel"))
	view.Setting = mk("setting", "select", "intake.setting", true)
	view.Setting.Options = sel(caseflow.Settings, lang, catalog.Setting, f.Get("setting"))
	view.Abuse = mk("abuse_types", "checkbox", "intake.abuse_types", true)
	for _, t := range caseflow.AbuseTypes {
		view.Abuse.Options = append(view.Abuse.Options, option{Value: t, Text: catalog.Label(lang, catalog.AbuseType, t), Selected: slices.Contains(f["abuse_types"], t)})
	}
	view.Danger = mk("immediate_danger", "radio", "intake.immediate_danger", true)
	view.Danger.Options = []option{{Value: "yes", Text: tr(lang, "form.yes"), Selected: f.Get("immediate_danger") == "yes"},
		{Value: "no", Text: tr(lang, "form.no"), Selected: f.Get("immediate_danger") == "no"}}
	slot := func(prefix, legend string, spec []personSpec, first bool) personSlot {
		ps := personSlot{ID: strings.TrimSuffix(prefix, "_"), Legend: legend, Open: first}
		for _, sp := range spec {
			fd := mk(prefix+sp.name, sp.typ, "person."+sp.name, sp.required && first)
			switch sp.name {
			case "sex":
				fd.Options = sel(caseflow.Sexes, lang, catalog.Sex, fd.Value)
			case "age":
				fd.Min, fd.Max = "0", "120"
				if prefix[0] == 'c' {
					fd.Max = "17"
				}
			case "date_of_birth":
				fd.Hint = tr(lang, "hint.dob")
			}
			ps.Open = ps.Open || fd.Value != "" || fd.Err != ""
			labels[fd.ID] = legend + " – " + fd.Label
			ps.Fields = append(ps.Fields, fd)
		}
		return ps
	}
	for i := 0; i < in.nChildren; i++ {
		view.Children = append(view.Children, slot("c"+strconv.Itoa(i)+"_", tr(lang, "intake.child_n", i+1), childSpec, i == 0))
	}
	for i := 0; i < in.nSuspects; i++ {
		// Suspects are often unknown at first: their slots open on request.
		view.Suspects = append(view.Suspects, slot("s"+strconv.Itoa(i)+"_", tr(lang, "intake.suspect_n", i+1), suspectSpec, false))
	}
	numbered := func(key string) string { return strings.Replace(tr(lang, key, 999999), "999999", "{n1}", 1) }
	view.NewChild = slot("c{n}_", numbered("intake.child_n"), childSpec, false)
	view.NewSuspect = slot("s{n}_", numbered("intake.suspect_n"), suspectSpec, false)
	view.MaxSlots = maxSlots
	view.Reporter = slot("r_", tr(lang, "intake.reporter"), reporterSpec, false)
	view.Reporter.Open = true
	anon := mk("r_anonymous", "checkbox", "person.anonymous", false)
	view.Reporter.Anonymous = &anon
	view.Narrative = mk("narrative", "textarea", "intake.narrative", false)
	view.Narrative.Rows = 6
	view.Narrative.Hint = tr(lang, "hint.narrative")
	// The summary lists the errors in the order of the form's steps: the
	// child, what happened (with the suspects and the narrative), who
	// reported.
	step := func(id string) int {
		switch {
		case strings.HasPrefix(id, "c") && strings.Contains(id, "_") && id[1] >= '0' && id[1] <= '9':
			return 1
		case strings.HasPrefix(id, "r_"):
			return 3
		}
		return 2
	}
	slices.SortStableFunc(order, func(a, b string) int { return step(a) - step(b) })
	for _, id := range order {
		if msg, ok := errs[id]; ok {
			view.Errors = append(view.Errors, errItem{ID: id, Label: labels[id], Text: msg})
		}
	}
	for id, msg := range errs {
		if _, shown := labels[id]; !shown {
			view.Errors = append(view.Errors, errItem{ID: "errors", Label: tr(lang, "form.general"), Text: msg})
		}
	}
	return view
}

func slotCount(v string, def int) int {
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return def
	}
	return min(n, maxSlots)
}

var slotField = regexp.MustCompile(`^(children|suspects)\[(\d+)\]\.(\w+)$`)

func (w *UI) intakeSubmit(c echo.Context) error {
	lang := langOf(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	in := intakeInput{form: form, nChildren: slotCount(form.Get("children_n"), defaultChildSlots),
		nSuspects: slotCount(form.Get("suspects_n"), defaultSuspectSlots)}
	if k := form.Get("idempotency_key"); k == "" || len(k) > 200 {
		form.Set("idempotency_key", newIdempotencyKey())
	}
	switch form.Get("op") {
	case "add_child":
		in.nChildren = min(in.nChildren+1, maxSlots)
		return w.renderIntake(c, http.StatusOK, in, nil, "")
	case "add_suspect":
		in.nSuspects = min(in.nSuspects+1, maxSlots)
		return w.renderIntake(c, http.StatusOK, in, nil, "")
	}

	rep, errs, childSlots, suspectSlots := parseIntake(lang, request.Viewer(c), in)
	// Name every problem at once: the domain's rules as well as the form's.
	if len(errs) > 0 {
		// The service checks the rest when it files the report.
		if err := w.cases.CheckReport(rep); err != nil {
			w.addDomainErrors(lang, errs, err, childSlots, suspectSlots)
		}
	}
	if len(errs) > 0 {
		return w.renderIntake(c, http.StatusUnprocessableEntity, in, errs, "")
	}
	body, err := json.Marshal(rep)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(body)
	res, err := w.cases.Intake(c.Request().Context(), request.Viewer(c), rep, form.Get("idempotency_key"), sum[:])
	switch caseflow.ErrorCode(err) {
	case "":
	case caseflow.EInvalid:
		errs = map[string]string{}
		w.addDomainErrors(lang, errs, err, childSlots, suspectSlots)
		return w.renderIntake(c, http.StatusUnprocessableEntity, in, errs, "")
	case caseflow.EConflict:
		// The form's first sending was filed with other content; nothing is
		// overwritten. Sent again, this form is a report of its own.
		form.Set("idempotency_key", newIdempotencyKey())
		return w.renderIntake(c, http.StatusConflict, in, nil, tr(lang, "intake.key_reused"))
	default:
		return err
	}
	q := url.Values{}
	if res.Created {
		q.Set("filed", "1")
	} else {
		q.Set("filed", "again")
	}
	if len(res.PossibleDuplicates) > 0 {
		q.Set("dup", strings.Join(res.PossibleDuplicates, ","))
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(res.Case.Code)+"?"+q.Encode())
}

// addDomainErrors puts the domain's field errors on the form's inputs,
// translated; children[1] is the second child slot that was filled in.
func (w *UI) addDomainErrors(lang string, errs map[string]string, err error, childSlots, suspectSlots []int) {
	de, ok := err.(*caseflow.Error)
	if !ok {
		return
	}
	for k, fe := range de.Fields {
		id := k
		switch {
		case k == "received_at":
			id = "received_date"
		case strings.HasPrefix(k, "reporter."):
			id = "r_" + strings.TrimPrefix(k, "reporter.")
		case slotField.MatchString(k):
			m := slotField.FindStringSubmatch(k)
			i, _ := strconv.Atoi(m[2])
			slots, prefix := childSlots, "c"
			if m[1] == "suspects" {
				slots, prefix = suspectSlots, "s"
			}
			if i < len(slots) {
				id = prefix + strconv.Itoa(slots[i]) + "_" + m[3]
			}
		case k == "children":
			id = "c0_full_name"
		}
		if _, taken := errs[id]; !taken {
			errs[id] = fieldMessage(lang, k, fe)
		}
	}
}

// parseIntake turns the form into a report. It returns the form's own
// errors (dates and numbers that do not parse, a missing answer) by input
// id, and which slots the children and suspects came from.
func parseIntake(lang string, v caseflow.Viewer, in intakeInput) (*caseflow.Report, map[string]string, []int, []int) {
	f := in.form
	errs := map[string]string{}
	rep := &caseflow.Report{Channel: f.Get("channel"), CommuneCode: f.Get("commune_code"), AbuseTypes: f["abuse_types"],
		Setting: f.Get("setting"), Narrative: strings.ReplaceAll(f.Get("narrative"), "\r\n", "\n")}
	if rep.CommuneCode == "" {
		rep.CommuneCode = v.Agency.Unit.Code
	}
	d, okDate := parseFormDate(f.Get("received_date"))
	t, okTime := parseFormClock(f.Get("received_time"))
	switch {
	case strings.TrimSpace(f.Get("received_date")) == "":
		errs["received_date"] = tr(lang, "msg.required")
	case !okDate:
		errs["received_date"] = tr(lang, "msg.bad_date")
	case !okTime:
		errs["received_time"] = tr(lang, "msg.bad_time")
	default:
		rep.ReceivedAt = time.Date(d.Year(), d.Month(), d.Day(), t.Hour(), t.Minute(), 0, 0, caseflow.Zone)
	}
	switch f.Get("immediate_danger") {
	case "yes":
		rep.ImmediateDanger = true
	case "no":
	default:
		errs["immediate_danger"] = tr(lang, "msg.choose_yes_no")
	}
	person := func(prefix, kind string, spec []personSpec) (caseflow.Person, bool) {
		p := caseflow.Person{Kind: kind}
		filled := false
		for _, sp := range spec {
			val := strings.TrimSpace(f.Get(prefix + sp.name))
			if val == "" {
				continue
			}
			filled = true
			switch sp.name {
			case "full_name":
				p.FullName = val
			case "sex":
				p.Sex = val
			case "address":
				p.Address = val
			case "phone":
				p.Phone = val
			case "relationship":
				p.Relationship = val
			case "date_of_birth":
				if dob, ok := parseFormDate(val); ok {
					p.DateOfBirth = dob.Format("2006-01-02")
				} else {
					errs[prefix+sp.name] = tr(lang, "msg.bad_date")
				}
			case "age":
				n, err := strconv.Atoi(val)
				if err != nil {
					errs[prefix+sp.name] = tr(lang, "msg.whole_number")
				} else {
					p.Age = &n
				}
			}
		}
		return p, filled
	}
	var childSlots, suspectSlots []int
	for i := 0; i < in.nChildren; i++ {
		if p, ok := person("c"+strconv.Itoa(i)+"_", caseflow.PersonChild, childSpec); ok {
			rep.Children = append(rep.Children, p)
			childSlots = append(childSlots, i)
		}
	}
	for i := 0; i < in.nSuspects; i++ {
		if p, ok := person("s"+strconv.Itoa(i)+"_", caseflow.PersonSuspect, suspectSpec); ok {
			rep.Suspects = append(rep.Suspects, p)
			suspectSlots = append(suspectSlots, i)
		}
	}
	r, filled := person("r_", caseflow.PersonReporter, reporterSpec)
	if f.Get("r_anonymous") != "" {
		// The form hides who the reporter is once they ask to stay
		// anonymous; what was typed before is not kept.
		r.Anonymous, filled = true, true
		r.FullName, r.Address, r.Phone = "", "", ""
	}
	if filled {
		rep.Reporter = &r
	}
	return rep, errs, childSlots, suspectSlots
}

// parseFormDate reads a date input: YYYY-MM-DD, or DD/MM/YYYY from browsers
// without a date picker.
func parseFormDate(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02", "02/01/2006", "2/1/2006"} {
		if t, err := time.ParseInLocation(layout, s, caseflow.Zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// parseFormClock reads a time input, HH:MM.
func parseFormClock(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"15:04", "15:04:05", "15h04"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
