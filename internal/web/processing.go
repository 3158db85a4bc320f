package web

import (
	"context"
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// The legal basis of processing a case's personal data and the consents,
// on the case page: what is recorded, and a form for the agencies that act
// on the whole case.

// processingView is the record as the case page shows it.
type processingView struct {
	Facts []fact
	Form  *formView
}

func (w *UI) processingOf(ctx context.Context, lang string, v caseflow.Viewer, cs *caseflow.Case, form *caseForm) *processingView {
	p, err := w.cases.Processing(ctx, v, cs.Code)
	if err != nil {
		return nil
	}
	pv := &processingView{}
	answer := func(a string) string {
		if a == "" {
			return tr(lang, "proc.none")
		}
		return tr(lang, "proc.answer."+a)
	}
	pv.Facts = append(pv.Facts, fact{tr(lang, "proc.legal_basis"), tr(lang, "proc.basis."+p.LegalBasis)})
	if p.Recorded {
		pv.Facts = append(pv.Facts, fact{tr(lang, "proc.guardian_consent"), answer(p.GuardianConsent)},
			fact{tr(lang, "proc.child_consent"), answer(p.ChildConsent)})
		if p.RepresentativeIsSuspect {
			pv.Facts = append(pv.Facts, fact{tr(lang, "proc.suspect_flag"), tr(lang, "form.yes")})
		}
		if p.ConsentNote != "" {
			pv.Facts = append(pv.Facts, fact{tr(lang, "proc.consent_note"), p.ConsentNote})
		}
		pv.Facts = append(pv.Facts, fact{tr(lang, "proc.updated"), formTime(p.UpdatedAt) + " · " + p.UpdatedBy})
	} else {
		pv.Facts = append(pv.Facts, fact{"", tr(lang, "proc.default")})
	}
	if cs.Access != caseflow.AccessFull || !v.Role.ActsOnCases() || cs.ErasedAt != nil {
		return pv
	}
	fv := &formView{Key: "processing", Title: tr(lang, "proc.edit"), Action: "/cases/" + cs.Code + "/processing", Submit: tr(lang, "proc.save")}
	values := url.Values{"legal_basis": {p.LegalBasis}, "guardian_consent": {p.GuardianConsent}, "child_consent": {p.ChildConsent},
		"consent_note": {p.ConsentNote}}
	if p.RepresentativeIsSuspect {
		values.Set("representative_is_suspect", "yes")
	}
	var errs map[string]string
	if form != nil && form.key == fv.Key {
		values, errs, fv.Open = form.values, form.errs, true
	}
	choice := func(name string, opts []string, key string) field {
		f := field{ID: "proc-" + name, Name: name, Type: "select", Label: tr(lang, "proc."+name), Value: values.Get(name), Err: errs[name]}
		for _, o := range opts {
			text := tr(lang, "proc.none")
			if o != "" {
				text = tr(lang, key+o)
			}
			f.Options = append(f.Options, option{Value: o, Text: text, Selected: o == f.Value})
		}
		return f
	}
	basis := choice("legal_basis", caseflow.LegalBases, "proc.basis.")
	basis.Required = true
	basis.Options = basis.Options[:len(caseflow.LegalBases)]
	suspect := field{ID: "proc-representative_is_suspect", Name: "representative_is_suspect", Type: "checkbox", Label: tr(lang, "proc.suspect_flag"),
		Options: []option{{Value: "yes", Text: tr(lang, "proc.suspect_flag_text"), Selected: values.Get("representative_is_suspect") == "yes"}},
		Err:     errs["representative_is_suspect"]}
	note := field{ID: "proc-consent_note", Name: "consent_note", Type: "textarea", Rows: 2, Label: tr(lang, "proc.consent_note"),
		Value: values.Get("consent_note"), Err: errs["consent_note"], Hint: tr(lang, "proc.consent_note_hint")}
	fv.Fields = []field{basis, choice("guardian_consent", caseflow.ConsentAnswers, "proc.answer."),
		choice("child_consent", caseflow.ConsentAnswers, "proc.answer."), suspect, note}
	for _, f := range fv.Fields {
		if f.Err != "" {
			fv.Errors = append(fv.Errors, errItem{ID: f.ID, Label: f.Label, Text: f.Err})
		}
	}
	pv.Form = fv
	return pv
}

func (w *UI) processingSubmit(c echo.Context) error {
	code := c.Param("code")
	form, err := c.FormParams()
	if err != nil {
		return err
	}
	p := caseflow.Processing{LegalBasis: form.Get("legal_basis"), GuardianConsent: form.Get("guardian_consent"),
		ChildConsent: form.Get("child_consent"), RepresentativeIsSuspect: form.Get("representative_is_suspect") == "yes",
		ConsentNote: strings.ReplaceAll(form.Get("consent_note"), "\r\n", "\n")}
	if err := w.cases.SetProcessing(c.Request().Context(), request.Viewer(c), code, p); err != nil {
		return w.caseFormError(c, code, &caseForm{key: "processing", values: form}, err, 0)
	}
	return c.Redirect(http.StatusSeeOther, "/cases/"+url.PathEscape(code)+"?msg=processing")
}
