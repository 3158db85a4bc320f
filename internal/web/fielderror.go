package web

import (
	"errors"
	"regexp"
	"strings"

	"caseflow/internal/caseflow"
)

// The domain's field errors are put into the user's language by their code
// and parameters, never by their English message.

// fieldText is the message that says a field error code, and the
// parameters of the error that the message takes.
type fieldText struct {
	key  string
	args func(caseflow.FieldError) []any
}

func minArg(fe caseflow.FieldError) []any     { return []any{fe.Min} }
func maxArg(fe caseflow.FieldError) []any     { return []any{fe.Max} }
func minMaxArgs(fe caseflow.FieldError) []any { return []any{fe.Min, fe.Max} }

// fieldTexts has an entry for every code of caseflow.FieldCodes.
var fieldTexts = map[caseflow.FieldCode]fieldText{
	caseflow.FieldRequired:            {key: "msg.required"},
	caseflow.FieldTooLong:             {key: "msg.too_long"},
	caseflow.FieldTooShort:            {key: "msg.too_short", args: minArg},
	caseflow.FieldTooMany:             {key: "msg.too_many", args: maxArg},
	caseflow.FieldTooOld:              {key: "msg.too_old", args: maxArg},
	caseflow.FieldInFuture:            {key: "msg.future"},
	caseflow.FieldOutOfRange:          {key: "msg.out_of_range", args: minMaxArgs},
	caseflow.FieldNotOneOf:            {key: "msg.choose"},
	caseflow.FieldDuplicate:           {key: "msg.twice"},
	caseflow.FieldNotADate:            {key: "msg.bad_date"},
	caseflow.FieldNotADatetime:        {key: "msg.bad_datetime"},
	caseflow.FieldNotAPhone:           {key: "msg.phone"},
	caseflow.FieldNotAnEmail:          {key: "msg.email"},
	caseflow.FieldNotADuration:        {key: "msg.duration"},
	caseflow.FieldNotACursor:          {key: "msg.invalid"},
	caseflow.FieldNotAUsername:        {key: "msg.username"},
	caseflow.FieldNotSingleLine:       {key: "msg.one_line"},
	caseflow.FieldWrongType:           {key: "msg.invalid"},
	caseflow.FieldUnknownField:        {key: "msg.unknown"},
	caseflow.FieldAfterReceived:       {key: "msg.dob_after"},
	caseflow.FieldNotAChild:           {key: "msg.adult"},
	caseflow.FieldAgeMismatch:         {key: "msg.age_mismatch"},
	caseflow.FieldNotFound:            {key: "msg.not_found"},
	caseflow.FieldNotInCommune:        {key: "msg.commune_other"},
	caseflow.FieldNoJurisdiction:      {key: "msg.agency_area"},
	caseflow.FieldDoesNotProvide:      {key: "msg.agency_service"},
	caseflow.FieldWrongState:          {key: "msg.not_now"},
	caseflow.FieldWrongEndpoint:       {key: "msg.not_now"},
	caseflow.FieldStale:               {key: "msg.stale"},
	caseflow.FieldTaken:               {key: "msg.taken"},
	caseflow.FieldReused:              {key: "intake.key_reused"},
	caseflow.FieldApplied:             {key: "err.applied"},
	caseflow.FieldInFlight:            {key: "err.in_flight"},
	caseflow.FieldBeyondLegalMaximum:  {key: "msg.beyond_max"},
	caseflow.FieldTooSimple:           {key: "msg.password_mix"},
	caseflow.FieldOwnAccount:          {key: "msg.disable_self"},
	caseflow.FieldBeforeStart:         {key: "msg.before_start"},
	caseflow.FieldPeriodTooLong:       {key: "msg.period_too_long", args: maxArg},
	caseflow.FieldUnitEnded:           {key: "msg.unit_ended", args: allowedArg},
	caseflow.FieldUnitNotYet:          {key: "msg.unit_not_yet", args: allowedArg},
	caseflow.FieldMissingJurisdiction: {key: "msg.missing_jurisdiction"},
	caseflow.FieldAgencyEnded:         {key: "msg.agency_ended"},
	caseflow.FieldOutsideStructure:    {key: "msg.outside_structure"},
	caseflow.FieldNotText:             {key: "msg.not_text"},
	caseflow.FieldNotYet:              {key: "msg.not_yet"},
	caseflow.FieldAlreadyDone:         {key: "msg.already_done"},
	caseflow.FieldBeforePrevious:      {key: "msg.before_previous"},
	caseflow.FieldLateWithoutReason:   {key: "msg.late_reason", args: maxArg},
	caseflow.FieldLimitReached:        {key: "msg.limit_reached"},
}

// allowedArg names the units an error points to, or a dash when the data
// names none.
func allowedArg(fe caseflow.FieldError) []any {
	if len(fe.Allowed) == 0 {
		return []any{"—"}
	}
	return []any{strings.Join(fe.Allowed, ", ")}
}

// fieldWordings says a code better for one field, by "code field": the
// field named without its indices ("children[].age") or by its last part
// ("age"); for wrong_state, "code field/state" first, the one state in which
// the action could be done. A wording takes the parameters of its code's
// text.
var fieldWordings = map[string]string{
	"not_one_of working":                "msg.working_weekend",
	"not_one_of date":                   "msg.holiday_weekend",
	"required immediate_danger":         "msg.choose_yes_no",
	"required version":                  "msg.version",
	"required abuse_types":              "msg.at_least_one",
	"required children":                 "msg.one_child",
	"required children[].date_of_birth": "msg.dob_or_age",
	"required note":                     "msg.reason_needed", // a note is required only to decline a referral
	"too_short password":                "msg.password_short",
	"out_of_range children[].age":       "msg.child_age",
	"out_of_range age":                  "msg.adult_age",
	"out_of_range from":                 "msg.year_range",
	"out_of_range to":                   "msg.year_range",
	"not_found agency_code":             "msg.no_agency",
	"not_found agency":                  "msg.no_agency",
	"not_found commune_code":            "msg.commune",
	"not_found unit":                    "msg.unit",
	"wrong_state clock":                 "msg.clock_state",
	"wrong_state status":                "msg.answered",     // answering a referral that is not pending
	"wrong_state status/accepted":       "msg.not_accepted", // finishing one that is not accepted
}

var fieldIndices = regexp.MustCompile(`\[\d+\]`)

// fieldMessage puts a field error of the domain into the user's language.
// A code it does not know keeps its English words after a Vietnamese lead,
// so nothing is hidden.
func fieldMessage(lang, field string, fe caseflow.FieldError) string {
	t, ok := fieldTexts[fe.Code]
	if !ok {
		if lang == "en" {
			return fe.Message
		}
		return tr(lang, "msg.invalid") + " (" + fe.Message + ")"
	}
	key := t.key
	if fe.Code == caseflow.FieldWrongType {
		switch fe.Type {
		case "boolean":
			key = "msg.choose_yes_no"
		case "integer", "number":
			key = "msg.whole_number"
		}
	}
	if k, ok := fieldWording(fe, field); ok {
		key = k
	}
	if t.args == nil {
		return tr(lang, key)
	}
	return tr(lang, key, t.args(fe)...)
}

func fieldWording(fe caseflow.FieldError, field string) (string, bool) {
	name := fieldIndices.ReplaceAllString(field, "[]")
	last := name[strings.LastIndex(name, ".")+1:]
	var keys []string
	if fe.Code == caseflow.FieldWrongState && len(fe.Allowed) == 1 {
		keys = append(keys, string(fe.Code)+" "+name+"/"+fe.Allowed[0])
	}
	keys = append(keys, string(fe.Code)+" "+name, string(fe.Code)+" "+last)
	for _, k := range keys {
		if key, ok := fieldWordings[k]; ok {
			return key, true
		}
	}
	return "", false
}

// errorText says why a request was refused, for the top of a page: the
// message of its field when it names one, the generic message when it
// names several, and when it names none the generic message followed by
// the service's own (English) words, so nothing is hidden.
func errorText(lang string, err error) string {
	var de *caseflow.Error
	if errors.As(err, &de) && len(de.Fields) > 0 {
		if len(de.Fields) > 1 {
			return tr(lang, "msg.invalid")
		}
		for k, fe := range de.Fields {
			return fieldMessage(lang, k, fe)
		}
	}
	msg := caseflow.ErrorMessage(err)
	if lang == "en" {
		return msg
	}
	return tr(lang, "msg.invalid") + " (" + msg + ")"
}
