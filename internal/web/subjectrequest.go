package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// Requests of a child's representative about the child's data, on the case
// page: listed with their deadlines, and a form to record one, for the
// agencies that act on the whole case.

// requestView is a request about the child's data as the case page lists it.
type requestView struct {
	Kind, Requester, Requested, Acknowledge, Respond, Status, Tone string
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
