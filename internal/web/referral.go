package web

import (
	"context"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/catalog"
	"caseflow/internal/request"
)

// Service referrals and clock extensions on the case page.

// agencyDirectory is the list of agencies and units, for the choices forms
// offer; the services check every choice against the stored data again.
type agencyDirectory struct {
	agencies []caseflow.Agency
	units    []caseflow.Unit
	parent   map[string]string // unit code → parent unit code
}

// directory returns the agencies and units the forms offer.
func (w *UI) directory(ctx context.Context) *agencyDirectory {
	agencies, units, err := w.cases.Directory(ctx)
	d := &agencyDirectory{agencies: agencies, units: units, parent: map[string]string{}}
	if err != nil {
		w.log.Error("reading the agency directory", "err", err.Error())
		return d
	}
	for _, u := range units {
		if u.Parent != "" {
			d.parent[u.Code] = u.Parent
		}
	}
	return d
}

type unitChoice struct{ code, label string }

// unitsUnder lists a unit and every unit below it, each indented under its
// parent, for the dashboard's unit picker.
func (d *agencyDirectory) unitsUnder(code string) []unitChoice {
	var out []unitChoice
	var walk func(code string, depth int)
	walk = func(code string, depth int) {
		for _, u := range d.units {
			if u.Code == code {
				out = append(out, unitChoice{code: u.Code, label: strings.Repeat("\u00a0\u00a0", depth) + u.Name})
			}
		}
		if depth > 4 {
			return
		}
		for _, u := range d.units {
			if u.Parent == code {
				walk(u.Code, depth+1)
			}
		}
	}
	walk(code, 0)
	return out
}

// serving lists the agencies of the given types on the commune or a unit
// above it.
func (d *agencyDirectory) serving(commune string, types []caseflow.AgencyType) []caseflow.Agency {
	units := map[string]bool{}
	for u := commune; u != ""; u = d.parent[u] {
		units[u] = true
		if len(units) > 10 {
			break
		}
	}
	var out []caseflow.Agency
	for _, a := range d.agencies {
		if units[a.Unit.Code] && slices.Contains(types, a.Type) {
			out = append(out, a)
		}
	}
	return out
}

func serviceNames() []string {
	names := make([]string, 0, len(caseflow.Services))
	for k := range caseflow.Services {
		names = append(names, k)
	}
	slices.Sort(names)
	return names
}

func (w *UI) referForm(ctx context.Context, lang string, cs *caseflow.Case, form *caseForm) *formView {
	fv := &formView{Key: "refer", Title: tr(lang, "ref.new"), Action: "/cases/" + cs.Code + "/referrals", Submit: tr(lang, "ref.send")}
	var values url.Values
	var errs map[string]string
	if form != nil && form.key == fv.Key {
		values, errs, fv.Open = form.values, form.errs, true
	}
	service := field{ID: "ref-service", Name: "service", Type: "select", Label: tr(lang, "ref.service"), Required: true,
		Value: values.Get("service"), Err: errs["service"], Filters: "ref-agency"}
	names := serviceNames()
	var types []caseflow.AgencyType
	for _, s := range names {
		service.Options = append(service.Options, option{Value: s, Text: catalog.Label(lang, catalog.Service, s), Selected: s == service.Value})
		for _, t := range caseflow.Services[s] {
			if !slices.Contains(types, t) {
				types = append(types, t)
			}
		}
	}
	// Only the providers of the commune's jurisdiction are offered; each
	// says which services it gives, so that the page script lists those
	// of the service chosen, and a form shown again lists only them.
	if chosen, ok := caseflow.Services[service.Value]; ok {
		types = chosen
	}
	agency := field{ID: "ref-agency", Name: "agency_code", Type: "select", Label: tr(lang, "ref.agency"), Required: true,
		Value: values.Get("agency_code"), Err: errs["agency_code"], Hint: tr(lang, "ref.agency_hint")}
	for _, a := range w.directory(ctx).serving(cs.Commune.Code, types) {
		var gives []string
		for _, s := range names {
			if slices.Contains(caseflow.Services[s], a.Type) {
				gives = append(gives, s)
			}
		}
		agency.Options = append(agency.Options, option{Value: a.Code, Text: a.Name + " – " + catalog.Label(lang, catalog.AgencyType, string(a.Type)),
			For: strings.Join(gives, " "), Selected: a.Code == agency.Value})
	}
	note := field{ID: "ref-note", Name: "note", Type: "textarea", Rows: 2, Label: tr(lang, "case.note"), Value: values.Get("note"), Err: errs["note"]}
	fv.Fields = []field{service, agency, note}
	for _, f := range fv.Fields {
		if f.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: f.ID, Label: f.Label, Text: f.Err})
		}
	}
	for k, m := range errs {
		if k != "service" && k != "agency_code" && k != "note" {
			fv.Errors = append(fv.Errors, errItem{ID: "ref-service", Label: fv.Title, Text: m})
		}
	}
	return fv
}

func (w *UI) referralView(lang string, v caseflow.Viewer, cs *caseflow.Case, r *caseflow.Referral, form *caseForm) referralView {
	rv := referralView{Service: catalog.Label(lang, catalog.Service, r.Service), Agency: r.Agency.Name, Status: catalog.Label(lang, catalog.ReferralStatus, r.Status),
		Created: formTime(r.CreatedAt), Note: r.Note}
	switch r.Status {
	case caseflow.ReferralPending:
		rv.Tone = toneWarn
	case caseflow.ReferralDeclined:
		rv.Tone = toneBad
	case caseflow.ReferralAccepted, caseflow.ReferralDone:
		rv.Tone = toneOK
	}
	if r.Agency.Code != v.Agency.Code {
		return rv
	}
	answer := func(action string, noteRequired bool) formView {
		id := strconv.FormatInt(r.ID, 10)
		fv := formView{Key: "referral:" + id + ":" + action, Title: tr(lang, "ref.do."+action),
			Action: "/referrals/" + id + "/" + action, Submit: tr(lang, "ref.do."+action), Hidden: []fact{{"code", cs.Code}}}
		var values url.Values
		var errs map[string]string
		if form != nil && form.key == fv.Key {
			values, errs, fv.Open = form.values, form.errs, true
		}
		labelKey := "case.note"
		if noteRequired {
			labelKey = "ref.reason"
		}
		note := field{ID: "ref-" + id + "-" + action + "-note", Name: "note", Type: "textarea", Rows: 2, Label: tr(lang, labelKey),
			Required: noteRequired, Value: values.Get("note"), Err: errs["note"]}
		fv.Fields = []field{note}
		for _, m := range errs {
			fv.Errors = append(fv.Errors, errItem{ID: note.ID, Label: fv.Title, Text: m})
		}
		return fv
	}
	switch r.Status {
	case caseflow.ReferralPending:
		rv.Answer = []formView{answer("accept", false), answer("decline", true)}
	case caseflow.ReferralAccepted:
		rv.Answer = []formView{answer("done", false)}
	}
	return rv
}

func (w *UI) referSubmit(c echo.Context) error {
	code := c.Param("code")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	_, err = w.cases.Refer(c.Request().Context(), request.Viewer(c), code, form.Get("service"), form.Get("agency_code"),
		strings.ReplaceAll(form.Get("note"), "\r\n", "\n"))
	if err != nil {
		return w.caseFormError(c, code, &caseForm{key: "refer", values: form}, err, 0)
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=referred")
}

func (w *UI) referralAnswer(c echo.Context) error {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return caseflow.Errorf(caseflow.ENotFound, "no such referral")
	}
	action := c.Param("action")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	code := form.Get("code")
	_, err = w.cases.RespondReferral(c.Request().Context(), request.Viewer(c), id, action, strings.ReplaceAll(form.Get("note"), "\r\n", "\n"))
	if err != nil {
		if code == "" || caseflow.ErrorCode(err) == caseflow.ENotFound {
			return err
		}
		return w.caseFormError(c, code, &caseForm{key: "referral:" + c.Param("id") + ":" + action, values: form}, err, 0)
	}
	if action == "decline" {
		// Declining ends the agency's access to the case.
		return c.Redirect(http.StatusSeeOther, "/worklist?done="+url.QueryEscape(w.eventWith(caseflow.EventServiceReferralDeclined))+"&code="+url.QueryEscape(code))
	}
	if action == "done" {
		// Finishing ends the access the referral gave, unless another one
		// still gives it.
		if _, err := w.cases.Case(c.Request().Context(), request.Viewer(c), code); caseflow.ErrorCode(err) == caseflow.ENotFound {
			return c.Redirect(http.StatusSeeOther, "/worklist?msg=referral_done&code="+url.QueryEscape(code))
		}
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=referral_"+action)
}

// extensionUnits are the units an extension may be given in, as ParseLimit
// spells them.
var extensionUnits = []string{"calendar_days", "months", "working_days", "hours"}

func extendForm(lang string, cs *caseflow.Case, k caseflow.Clock, form *caseForm) *formView {
	fv := &formView{Key: "extend:" + k.Clock + ":" + k.Instance, Title: tr(lang, "clock.extend"),
		Action: "/cases/" + cs.Code + "/clocks/" + url.PathEscape(k.Clock) + "/extend", Submit: tr(lang, "clock.extend"),
		Hidden: []fact{{"instance", k.Instance}}}
	// A fresh form starts from the clock's own unit and legal basis.
	values := url.Values{"unit": {k.Rule}, "legal_basis": {k.Basis}, "mode": {"total"}}
	var errs map[string]string
	if form != nil && form.key == fv.Key {
		values, errs, fv.Open = form.values, form.errs, true
	}
	id := "ext-" + k.Clock + "-"
	// The law states most extensions as the new whole limit ("prolonged to
	// not more than 2 months"); the form offers both ways.
	mode := field{ID: id + "mode", Name: "mode", Type: "select", Label: tr(lang, "clock.mode"), Required: true, Value: values.Get("mode")}
	for _, m := range []string{"total", "add"} {
		mode.Options = append(mode.Options, option{Value: m, Text: tr(lang, "clock.mode_"+m), Selected: m == mode.Value})
	}
	amountErr := errs["duration"]
	if amountErr == "" {
		amountErr = errs["total"]
	}
	if amountErr == "" {
		amountErr = errs["step"]
	}
	amount := field{ID: id + "amount", Name: "amount", Type: "number", Min: "1", Label: tr(lang, "clock.amount"), Required: true,
		Value: values.Get("amount"), Err: amountErr}
	unit := field{ID: id + "unit", Name: "unit", Type: "select", Label: tr(lang, "clock.unit"), Required: true, Value: values.Get("unit")}
	for _, u := range extensionUnits {
		unit.Options = append(unit.Options, option{Value: u, Text: tr(lang, "unit."+u), Selected: u == unit.Value})
	}
	reason := field{ID: id + "reason", Name: "reason", Type: "textarea", Rows: 2, Label: tr(lang, "clock.reason"), Required: true,
		Value: values.Get("reason"), Err: errs["reason"]}
	basis := field{ID: id + "basis", Name: "legal_basis", Type: "text", Label: tr(lang, "clock.basis"), Required: true,
		Value: values.Get("legal_basis"), Err: errs["legal_basis"]}
	decision := field{ID: id + "decision", Name: "decision", Type: "text", Label: tr(lang, "clock.decision"),
		Value: values.Get("decision"), Err: errs["decision"]}
	fv.Fields = []field{mode, amount, unit, reason, basis, decision}
	for _, f := range fv.Fields {
		if f.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: f.ID, Label: f.Label, Text: f.Err})
		}
	}
	if m, ok := errs["clock"]; ok {
		fv.Errors = append(fv.Errors, errItem{ID: id + "amount", Label: fv.Title, Text: m})
	}
	if m, ok := errs["action"]; ok {
		fv.Errors = append(fv.Errors, errItem{ID: id + "amount", Label: fv.Title, Text: m})
	}
	return fv
}

func (w *UI) extendSubmit(c echo.Context) error {
	code, clock := c.Param("code"), c.Param("clock")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	back := &caseForm{key: "extend:" + clock + ":" + form.Get("instance"), values: form}
	limit := strings.TrimSpace(form.Get("amount")) + " " + form.Get("unit")
	req := casework.ExtensionRequest{Clock: clock, Instance: form.Get("instance"), Reason: form.Get("reason"),
		LegalBasis: form.Get("legal_basis"), Decision: strings.TrimSpace(form.Get("decision"))}
	if form.Get("mode") == "total" {
		req.Total = limit
	} else {
		req.Duration = limit
	}
	_, _, err = w.cases.Extend(c.Request().Context(), request.Viewer(c), code, req)
	if err != nil {
		return w.caseFormError(c, code, back, err, 0)
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=extended")
}
