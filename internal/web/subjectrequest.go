package web

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// Requests of a child's representative about the child's data, on the case
// page: listed with their deadlines, a form to record one, and for each the
// decision, the file that answers an approved access request and the
// correction an approved correction request allows, for the agencies that
// act on the whole case. Who may decide, export or correct, and when, is
// the case service's rule: the page offers the forms that fit a request's
// state, and what the service refuses is shown as such.

// requestView is a request about the child's data as the case page lists it.
type requestView struct {
	ID                                                             string
	Kind, Requester, Requested, Acknowledge, Respond, Status, Tone string
	Details                                                        string
	// Decided says who decided and when; Reason, why a refusal was made.
	Decided, Reason string
	// Export is where the file answering an approved access request is
	// downloaded; Exported, when it last was.
	Export, Exported string
	// Approve and Refuse decide an open request; Correct changes the
	// child's record under an approved correction request.
	Approve, Refuse, Correct *formView
}

// requestKey names a form of one request: its refusal or its correction.
func requestKey(id int64, what string) string {
	return "request:" + strconv.FormatInt(id, 10) + ":" + what
}

// requestsOf lists a case's requests about its child's data, with a form to
// record one, for agencies with the whole case that act on it.
func (w *UI) requestsOf(ctx context.Context, lang string, v caseflow.Viewer, cs *caseflow.Case, form *caseForm) ([]requestView, *formView) {
	if cs.Access != caseflow.AccessFull || !v.Role.ActsOnCases() || cs.ErasedAt != nil {
		return nil, nil
	}
	rs, err := w.cases.SubjectRequests(ctx, v, cs.Code)
	if err != nil {
		return nil, nil
	}
	now := w.cases.Now()
	var out []requestView
	for _, r := range rs {
		rv := requestView{Kind: tr(lang, "req.kind."+r.Kind), Requester: r.Requester, Requested: formTime(r.RequestedAt),
			Acknowledge: formTime(r.AcknowledgeDueAt), Respond: formTime(r.RespondDueAt), Tone: toneWarn, Status: tr(lang, "req.open")}
		switch {
		case r.Decision != "":
			rv.Status, rv.Tone = tr(lang, "req."+r.Decision), toneOK
		case !now.Before(r.RespondDueAt):
			rv.Status, rv.Tone = tr(lang, "req.overdue"), toneBad
		}
		requestActions(lang, cs, r, &rv, form)
		out = append(out, rv)
	}
	fv := &formView{Key: "subject-request", Title: tr(lang, "req.new"), Action: "/cases/" + cs.Code + "/subject-requests", Submit: tr(lang, "req.save")}
	values := url.Values{}
	var errs map[string]string
	if form != nil && form.key == fv.Key {
		values, errs, fv.Open = form.values, form.errs, true
	}
	kind := field{ID: "req-kind", Name: "kind", Type: "select", Label: tr(lang, "req.kind"), Required: true, Value: values.Get("kind"), Err: errs["kind"]}
	for _, k := range caseflow.SubjectRequestKinds {
		kind.Options = append(kind.Options, option{Value: k, Text: tr(lang, "req.kind."+k), Selected: k == kind.Value})
	}
	fv.Fields = []field{kind,
		{ID: "req-date", Name: "requested_date", Type: "date", Label: tr(lang, "req.requested_date"), Required: true, Value: values.Get("requested_date"),
			Err: errs["requested_at"], Hint: tr(lang, "hint.date")},
		{ID: "req-requester", Name: "requester", Type: "text", Label: tr(lang, "req.requester"), Required: true, Value: values.Get("requester"),
			Err: errs["requester"]},
		{ID: "req-details", Name: "details", Type: "textarea", Rows: 2, Label: tr(lang, "req.details"), Value: values.Get("details"), Err: errs["details"]}}
	for _, f := range fv.Fields {
		if f.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: f.ID, Label: f.Label, Text: f.Err})
		}
	}
	return out, fv
}

func (w *UI) requestSubmit(c echo.Context) error {
	code := c.Param("code")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	r := &caseflow.SubjectRequest{Kind: form.Get("kind"), Requester: form.Get("requester"), Details: strings.ReplaceAll(form.Get("details"), "\r\n", "\n")}
	if d, err := time.ParseInLocation("2006-01-02", form.Get("requested_date"), caseflow.Zone); err == nil {
		// A request dated today is taken as made now, an earlier one at the
		// start of its day.
		r.RequestedAt = d
		if now := w.cases.Now(); caseflow.Local(now).Format("2006-01-02") == form.Get("requested_date") {
			r.RequestedAt = now
		}
	}
	if _, err := w.cases.AddSubjectRequest(c.Request().Context(), request.Viewer(c), code, r); err != nil {
		return w.caseFormError(c, code, &caseForm{key: "subject-request", values: form}, err, 0)
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=subject_request")
}

// requestActions fills in a request's decision and the forms that fit its
// state: a decision for an open request, the file of an approved access
// request, the correction of an approved correction request.
func requestActions(lang string, cs *caseflow.Case, r caseflow.SubjectRequest, rv *requestView, form *caseForm) {
	rv.ID, rv.Details, rv.Reason = strconv.FormatInt(r.ID, 10), r.Details, r.RefusalReason
	base := "/cases/" + cs.Code + "/subject-requests/" + rv.ID
	if r.DecidedAt != nil {
		rv.Decided = tr(lang, "req.decided", formTime(*r.DecidedAt), r.DecidedBy)
	}
	reopen := func(f *formView, defaults url.Values) (url.Values, map[string]string) {
		if form != nil && form.key == f.Key {
			f.Open = true
			return form.values, form.errs
		}
		return defaults, nil
	}
	switch {
	case r.Decision == "":
		rv.Approve = &formView{Key: requestKey(r.ID, "approve"), Action: base + "/approve", Submit: tr(lang, "req.approve")}
		f := &formView{Key: requestKey(r.ID, "refuse"), Title: tr(lang, "req.refuse"), Action: base + "/refuse", Submit: tr(lang, "req.refuse_save")}
		values, errs := reopen(f, nil)
		f.Fields = []field{{ID: "req-" + rv.ID + "-reason", Name: "reason", Type: "textarea", Rows: 2, Label: tr(lang, "req.reason"), Required: true,
			Value: values.Get("reason"), Err: errs["reason"], Hint: tr(lang, "req.reason_hint")}}
		f.Errors = formErrorItems(f.Fields, errs, f.Title)
		rv.Refuse = f
	case r.Decision == caseflow.GrantApproved && r.Kind == "access":
		rv.Export = base + "/export"
		if r.ExportedAt != nil {
			rv.Exported = tr(lang, "req.exported", formTime(*r.ExportedAt))
		}
	case r.Decision == caseflow.GrantApproved && r.Kind == "correction":
		f := &formView{Key: requestKey(r.ID, "correct"), Title: tr(lang, "req.correct"), Action: base + "/correction", Submit: tr(lang, "req.correct_save")}
		values, errs := reopen(f, url.Values{"child": {"0"}, "field": {"full_name"}})
		child := field{ID: "req-" + rv.ID + "-child", Name: "child", Type: "select", Label: tr(lang, "req.correct_child"), Required: true, Err: errs["child"]}
		for i, p := range cs.Children {
			text := tr(lang, "intake.child_n", i+1)
			if p.FullName != "" {
				text += ": " + p.FullName
			}
			child.Options = append(child.Options, option{Value: strconv.Itoa(i), Text: text, Selected: values.Get("child") == strconv.Itoa(i)})
		}
		which := field{ID: "req-" + rv.ID + "-field", Name: "field", Type: "select", Label: tr(lang, "req.correct_field"), Required: true, Err: errs["field"]}
		for _, k := range []string{"full_name", "date_of_birth", "address"} {
			which.Options = append(which.Options, option{Value: k, Text: tr(lang, "person."+k), Selected: values.Get("field") == k})
		}
		f.Fields = []field{child, which, {ID: "req-" + rv.ID + "-value", Name: "value", Type: "text", Label: tr(lang, "req.correct_value"),
			Required: true, Value: values.Get("value"), Err: errs["value"], Hint: tr(lang, "req.correct_value_hint")}}
		f.Errors = formErrorItems(f.Fields, errs, f.Title)
		rv.Correct = f
	}
}

func requestID(c echo.Context) (int64, error) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil {
		return 0, caseflow.Errorf(caseflow.ENotFound, "no such request")
	}
	return id, nil
}

// requestRefused shows what the service refused of a request's decision,
// file or correction: a decision made meanwhile is explained with a reload
// link; field errors go next to their inputs when the form has them; other
// refusals at the top of the case page.
func (w *UI) requestRefused(c echo.Context, code string, back *caseForm, err error) error {
	lang := langOf(c)
	ec := caseflow.ErrorCode(err)
	switch ec {
	case caseflow.EConflict:
		return w.renderCase(c, http.StatusConflict, code, nil, tr(lang, "req.conflict"), nil)
	case caseflow.EInvalid, caseflow.EForbidden:
	default:
		return err
	}
	if errs, status, ok := formErrors(lang, err); ok && back != nil {
		back.errs = errs
		return w.renderCase(c, status, code, back, "", nil)
	}
	msg := errorText(lang, err)
	if ec == caseflow.EForbidden {
		msg = tr(lang, "err.forbidden")
	}
	return w.renderCase(c, request.Status(ec), code, nil, "", nil, withNotice(msg, toneBad))
}

// requestDecide approves or refuses a request (the route's :decision); a
// refusal says why.
func (w *UI) requestDecide(c echo.Context) error {
	code := c.Param("code")
	id, err := requestID(c)
	if err != nil {
		return err
	}
	approve := c.Param("decision") == "approve"
	if !approve && c.Param("decision") != "refuse" {
		return caseflow.Errorf(caseflow.ENotFound, "no such decision")
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	_, err = w.cases.DecideSubjectRequest(c.Request().Context(), request.Viewer(c), code, id, approve,
		strings.ReplaceAll(form.Get("reason"), "\r\n", "\n"))
	if err != nil {
		var back *caseForm // an approval has no field to show an error next to
		if !approve {
			back = &caseForm{key: requestKey(id, "refuse"), values: form}
		}
		return w.requestRefused(c, code, back, err)
	}
	msg := "req_refused"
	if approve {
		msg = "req_approved"
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg="+msg+"&req="+strconv.FormatInt(id, 10))
}

// requestCorrect corrects a field of a child's record under an approved
// correction request.
func (w *UI) requestCorrect(c echo.Context) error {
	lang := langOf(c)
	code := c.Param("code")
	id, err := requestID(c)
	if err != nil {
		return err
	}
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	back := &caseForm{key: requestKey(id, "correct"), values: form}
	child, err := strconv.Atoi(form.Get("child"))
	if err != nil {
		back.errs = map[string]string{"child": tr(lang, "msg.choose")}
		return w.renderCase(c, http.StatusUnprocessableEntity, code, back, "", nil)
	}
	value := form.Get("value")
	if d, ok := parseFormDate(value); ok && form.Get("field") == "date_of_birth" {
		value = d.Format("2006-01-02") // the service reads a date as the API sends it
	}
	if err := w.cases.CorrectChild(c.Request().Context(), request.Viewer(c), code, id, child, form.Get("field"), value); err != nil {
		return w.requestRefused(c, code, back, err)
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=corrected&req="+strconv.FormatInt(id, 10))
}

// requestExport downloads the file that answers an approved access
// request; the service records and audits the export.
func (w *UI) requestExport(c echo.Context) error {
	id, err := requestID(c)
	if err != nil {
		return err
	}
	x, err := w.cases.ExportSubjectRequest(c.Request().Context(), request.Viewer(c), c.Param("code"), id)
	if err != nil {
		return err
	}
	name, file := x.File(id)
	c.Response().Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s"`, name))
	return c.JSON(http.StatusOK, file)
}
