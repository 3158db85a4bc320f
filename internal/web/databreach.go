package web

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// The register of suspected personal-data breaches, for administrators:
// the breaches recorded with their 72-hour notice, a form to record one and,
// for each breach whose notice is not yet recorded, a form to record it.
// The rules (who, which fields, when the notice is due) are the account
// service's, as for the API.

// breachView is one recorded breach as the register shows it.
type breachView struct {
	ID                 string
	Detected, Recorded string
	Description        string
	Facts              []fact
	Due, Status, Tone  string
	Remaining          string
	Notify             *formView
}

type breachesView struct {
	Breaches []breachView
	Record   formView
}

// breachForm is a form of the register posted back with its values and
// errors: the new breach ("record") or the notice of one ("notify:<id>").
type breachForm struct {
	key    string
	values url.Values
	errs   map[string]string
}

func (w *UI) breachesPage(c echo.Context) error {
	var opts []pageOption
	if m := c.QueryParam("msg"); m != "" {
		if s, ok := lookup(langOf(c), "admin.msg."+m); ok {
			opts = append(opts, withNotice(s, toneOK))
		}
	}
	return w.renderBreaches(c, http.StatusOK, nil, opts...)
}

func (w *UI) renderBreaches(c echo.Context, code int, form *breachForm, opts ...pageOption) error {
	lang := langOf(c)
	bs, err := w.accounts.Breaches(c.Request().Context(), request.Viewer(c))
	if err != nil {
		return err
	}
	token, _ := c.Get(csrfKey).(string)
	now := w.cases.Now()
	view := breachesView{}
	for _, b := range bs {
		view.Breaches = append(view.Breaches, breachViewOf(lang, b, now, token, form))
	}
	var values url.Values
	var errs map[string]string
	if form != nil && form.key == "record" {
		values, errs = form.values, form.errs
	}
	f := formView{Key: "record", ID: "record", Title: tr(lang, "breach.record"), Action: "/admin/breaches", Submit: tr(lang, "breach.save"),
		Open: true, CSRF: token}
	cats := field{ID: "b-data_categories", Name: "data_categories", Type: "checkbox", Label: tr(lang, "breach.data_categories"),
		Err: errs["data_categories"]}
	for _, k := range caseflow.DataCategories {
		cats.Options = append(cats.Options, option{Value: k, Text: tr(lang, "breach.cat."+k), Selected: slices.Contains(values["data_categories"], k)})
	}
	f.Fields = []field{
		{ID: "b-detected_at", Name: "detected_at", Type: "datetime-local", Label: tr(lang, "breach.detected_at"), Required: true,
			Value: values.Get("detected_at"), Err: errs["detected_at"], Hint: tr(lang, "hint.datetime")},
		{ID: "b-description", Name: "description", Type: "textarea", Rows: 3, Label: tr(lang, "breach.description"), Required: true,
			Value: values.Get("description"), Err: errs["description"], Hint: tr(lang, "breach.description_hint")},
		cats,
		{ID: "b-subjects_estimate", Name: "subjects_estimate", Type: "number", Min: "0", Label: tr(lang, "breach.subjects_estimate"),
			Value: values.Get("subjects_estimate"), Err: errs["subjects_estimate"]},
		{ID: "b-records_estimate", Name: "records_estimate", Type: "number", Min: "0", Label: tr(lang, "breach.records_estimate"),
			Value: values.Get("records_estimate"), Err: errs["records_estimate"]},
		{ID: "b-consequences", Name: "consequences", Type: "textarea", Rows: 2, Label: tr(lang, "breach.consequences"),
			Value: values.Get("consequences"), Err: errs["consequences"]},
		{ID: "b-measures", Name: "measures", Type: "textarea", Rows: 2, Label: tr(lang, "breach.measures"),
			Value: values.Get("measures"), Err: errs["measures"]},
		{ID: "b-contact", Name: "contact", Type: "text", Label: tr(lang, "breach.contact"), Value: values.Get("contact"),
			Err: errs["contact"], Hint: tr(lang, "breach.contact_hint")},
	}
	f.Errors = formErrorItems(f.Fields, errs, f.Title)
	view.Record = f
	return w.render(c, code, "breaches", tr(lang, "title.breaches"), view, append(opts, withHere("/admin/breaches"))...)
}

// breachViewOf shows a breach, with the form that records its notice while
// none is recorded.
func breachViewOf(lang string, b caseflow.DataBreach, now time.Time, token string, form *breachForm) breachView {
	id := strconv.FormatInt(b.ID, 10)
	bv := breachView{ID: id, Detected: formTime(b.DetectedAt), Recorded: tr(lang, "breach.recorded_by", formTime(b.RecordedAt), b.RecordedBy),
		Description: b.Description, Due: formTime(b.NotifyDueAt)}
	put := func(key, value string) {
		if value != "" {
			bv.Facts = append(bv.Facts, fact{tr(lang, key), value})
		}
	}
	cats := make([]string, 0, len(b.DataCategories))
	for _, k := range b.DataCategories {
		cats = append(cats, tr(lang, "breach.cat."+k))
	}
	put("breach.data_categories", strings.Join(cats, ", "))
	if b.SubjectsEstimate != nil {
		put("breach.subjects_estimate", strconv.Itoa(*b.SubjectsEstimate))
	}
	if b.RecordsEstimate != nil {
		put("breach.records_estimate", strconv.Itoa(*b.RecordsEstimate))
	}
	put("breach.consequences", b.Consequences)
	put("breach.measures", b.Measures)
	put("breach.contact", b.Contact)
	switch {
	case b.NotifiedAt != nil:
		bv.Status, bv.Tone = tr(lang, "breach.notified", formTime(*b.NotifiedAt), b.AuthorityReference), toneOK
		if b.NotifiedBy != "" {
			bv.Status += " · " + b.NotifiedBy
		}
		if b.NotifiedAt.After(b.NotifyDueAt) {
			bv.Tone = toneWarn
		}
	case !now.Before(b.NotifyDueAt):
		bv.Status, bv.Tone, bv.Remaining = tr(lang, "breach.overdue"), toneBad, dueText(lang, b.NotifyDueAt, now)
	default:
		bv.Status, bv.Tone, bv.Remaining = tr(lang, "breach.not_notified"), toneWarn, dueText(lang, b.NotifyDueAt, now)
	}
	if b.NotifiedAt != nil {
		return bv
	}
	key := "notify:" + id
	f := &formView{Key: key, ID: "f-notify-" + id, Title: tr(lang, "breach.notify"), Action: "/admin/breaches/" + id + "/notified",
		Submit: tr(lang, "breach.notify_save"), CSRF: token}
	var values url.Values
	var errs map[string]string
	if form != nil && form.key == key {
		values, errs, f.Open = form.values, form.errs, true
	}
	f.Fields = []field{
		{ID: "n" + id + "-authority_reference", Name: "authority_reference", Type: "text", Label: tr(lang, "breach.authority_reference"),
			Required: true, Value: values.Get("authority_reference"), Err: errs["authority_reference"], Hint: tr(lang, "breach.authority_reference_hint")},
		{ID: "n" + id + "-notified_at", Name: "notified_at", Type: "datetime-local", Label: tr(lang, "breach.notified_at"),
			Value: values.Get("notified_at"), Err: errs["notified_at"], Hint: tr(lang, "breach.notified_at_hint")},
	}
	f.Errors = formErrorItems(f.Fields, errs, f.Title)
	bv.Notify = f
	return bv
}

// formErrorItems lists a form's errors for its summary: those of its
// fields, then any other the service named, under the form's title.
func formErrorItems(fields []field, errs map[string]string, title string) []errItem {
	out := collectErrors(fields)
	shown := map[string]bool{}
	for _, f := range fields {
		shown[f.Name] = true
	}
	var other []string
	for k := range errs {
		if !shown[k] {
			other = append(other, k)
		}
	}
	slices.Sort(other)
	for _, k := range other {
		id := ""
		if len(fields) > 0 {
			id = fields[0].ID
		}
		out = append(out, errItem{ID: id, Label: title, Text: errs[k]})
	}
	return out
}

// formDateTime reads a date-and-time input in the province's zone: the
// browser's 2006-01-02T15:04, or 29/11/2026 08:30 typed where the browser
// has no picker.
func formDateTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "02/01/2006 15:04", "2/1/2006 15:04"} {
		if t, err := time.ParseInLocation(layout, s, caseflow.Zone); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// formCount reads an optional count: nil when empty.
func formCount(s string) (*int, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, true
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		return nil, false
	}
	return &n, true
}

// breachRecord records a suspected breach from the register's form.
func (w *UI) breachRecord(c echo.Context) error {
	lang := langOf(c)
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	nl := func(s string) string { return strings.ReplaceAll(s, "\r\n", "\n") }
	b := &caseflow.DataBreach{Description: nl(form.Get("description")), DataCategories: form["data_categories"],
		Consequences: nl(form.Get("consequences")), Measures: nl(form.Get("measures")), Contact: form.Get("contact")}
	// Values that do not read as a time or a number are named before the
	// service sees the breach, as the API refuses a body that does not decode.
	errs := map[string]string{}
	if raw := form.Get("detected_at"); strings.TrimSpace(raw) != "" {
		if t, ok := formDateTime(raw); ok {
			b.DetectedAt = t
		} else {
			errs["detected_at"] = tr(lang, "msg.bad_datetime")
		}
	}
	var ok bool
	if b.SubjectsEstimate, ok = formCount(form.Get("subjects_estimate")); !ok {
		errs["subjects_estimate"] = tr(lang, "msg.whole_number")
	}
	if b.RecordsEstimate, ok = formCount(form.Get("records_estimate")); !ok {
		errs["records_estimate"] = tr(lang, "msg.whole_number")
	}
	if len(errs) > 0 {
		return w.renderBreaches(c, http.StatusUnprocessableEntity, &breachForm{key: "record", values: form, errs: errs})
	}
	out, err := w.accounts.RecordBreach(c.Request().Context(), request.Viewer(c), b)
	if errs, code, ok := formErrors(lang, err); ok {
		return w.renderBreaches(c, code, &breachForm{key: "record", values: form, errs: errs})
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/breaches?msg=breach_recorded#breach-"+strconv.FormatInt(out.ID, 10))
}

// breachNotified records that the notice of a breach was sent.
func (w *UI) breachNotified(c echo.Context) error {
	lang := langOf(c)
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such breach")
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	back := &breachForm{key: "notify:" + strconv.FormatInt(id, 10), values: form}
	var at time.Time
	if raw := form.Get("notified_at"); strings.TrimSpace(raw) != "" {
		var ok bool
		if at, ok = formDateTime(raw); !ok {
			back.errs = map[string]string{"notified_at": tr(lang, "msg.bad_datetime")}
			return w.renderBreaches(c, http.StatusUnprocessableEntity, back)
		}
	}
	_, err = w.accounts.BreachNotified(c.Request().Context(), request.Viewer(c), id, at, form.Get("authority_reference"))
	if errs, code, ok := formErrors(lang, err); ok {
		back.errs = errs
		return w.renderBreaches(c, code, back)
	}
	if caseflow.ErrorCode(err) == caseflow.EConflict {
		// Recorded meanwhile, by another administrator or a second click:
		// the register shows by whom.
		return w.renderBreaches(c, http.StatusConflict, nil, withNotice(tr(lang, "breach.notified_meanwhile"), toneWarn))
	}
	if err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, "/admin/breaches?msg=breach_notified#breach-"+strconv.FormatInt(id, 10))
}
