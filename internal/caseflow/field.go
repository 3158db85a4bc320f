package caseflow

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// FieldCode says what is wrong with one input field. The codes are a closed
// set, stable across releases: API clients and the web interface translate
// them; the English message that goes with each is for people reading the
// API.
type FieldCode string

// Field error codes.
const (
	FieldRequired            FieldCode = "required"             // missing or blank; a list with nothing in it
	FieldTooLong             FieldCode = "too_long"             // longer than Max bytes
	FieldTooShort            FieldCode = "too_short"            // shorter than Min characters
	FieldTooMany             FieldCode = "too_many"             // a list of more than Max entries
	FieldTooOld              FieldCode = "too_old"              // a time more than Max years ago
	FieldInFuture            FieldCode = "in_future"            // a time that has not come yet
	FieldOutOfRange          FieldCode = "out_of_range"         // a number outside Min to Max
	FieldNotOneOf            FieldCode = "not_one_of"           // not one of the Allowed values
	FieldDuplicate           FieldCode = "duplicate"            // a list that names Value twice, or a JSON member given twice
	FieldNotADate            FieldCode = "not_a_date"           // not a date YYYY-MM-DD
	FieldNotADatetime        FieldCode = "not_a_datetime"       // not an RFC 3339 date and time
	FieldNotAPhone           FieldCode = "not_a_phone"          // not a phone number
	FieldNotAnEmail          FieldCode = "not_an_email"         // not an e-mail address
	FieldNotADuration        FieldCode = "not_a_duration"       // not a positive duration such as "10 days"
	FieldNotACursor          FieldCode = "not_a_cursor"         // not a cursor this service issued
	FieldNotAUsername        FieldCode = "not_a_username"       // not the shape of a username
	FieldNotSingleLine       FieldCode = "not_single_line"      // text with a line break where one line is expected
	FieldWrongType           FieldCode = "wrong_type"           // a JSON value not of Type
	FieldUnknownField        FieldCode = "unknown_field"        // a field the request does not have
	FieldAfterReceived       FieldCode = "after_received"       // a date of birth after the report was received
	FieldNotAChild           FieldCode = "not_a_child"          // a child who is 18 or older
	FieldAgeMismatch         FieldCode = "age_mismatch"         // an age that contradicts the date of birth
	FieldNotFound            FieldCode = "not_found"            // names something that does not exist
	FieldNotInCommune        FieldCode = "not_in_commune"       // a commune the caller may not file reports for
	FieldNoJurisdiction      FieldCode = "no_jurisdiction"      // an agency without jurisdiction over the case
	FieldDoesNotProvide      FieldCode = "does_not_provide"     // an agency that does not provide the service Value
	FieldWrongState          FieldCode = "wrong_state"          // the thing is in state Value, the action needs one of Allowed
	FieldWrongEndpoint       FieldCode = "wrong_endpoint"       // this is done through another endpoint, Value
	FieldStale               FieldCode = "stale"                // a version older than the current one, Value
	FieldTaken               FieldCode = "taken"                // already used by another record
	FieldReused              FieldCode = "reused"               // an idempotency key already used for another request
	FieldApplied             FieldCode = "applied"              // an idempotency key whose request was applied, its answer lost
	FieldInFlight            FieldCode = "in_flight"            // an idempotency key whose request is still being served
	FieldBeyondLegalMaximum  FieldCode = "beyond_legal_maximum" // an extension beyond what the law allows
	FieldTooSimple           FieldCode = "too_simple"           // a password of one kind of character only
	FieldOwnAccount          FieldCode = "own_account"          // not allowed on one's own account
	FieldBeforeStart         FieldCode = "before_start"         // the end of a period before its start
	FieldPeriodTooLong       FieldCode = "period_too_long"      // a period of more than Max days
	FieldUnitEnded           FieldCode = "unit_ended"           // a unit that had ended by then; Allowed names what it became
	FieldUnitNotYet          FieldCode = "unit_not_yet"         // a unit that did not exist yet; Allowed names the units it was formed from
	FieldMissingJurisdiction FieldCode = "missing_jurisdiction" // the jurisdiction table names no agency of type Value for the case
	FieldAgencyEnded         FieldCode = "agency_ended"         // an agency that no longer acts
	FieldOutsideStructure    FieldCode = "outside_structure"    // a period the chosen administrative structure does not cover
	FieldNotText             FieldCode = "not_text"             // not valid UTF-8, or holding a NUL character
	FieldNotYet              FieldCode = "not_yet"              // a step that needs one of Allowed to be recorded first
	FieldAlreadyDone         FieldCode = "already_done"         // a step that may be recorded once, or not after Value, was
	FieldBeforePrevious      FieldCode = "before_previous"      // a time before the case's previous step, Value
	FieldLateWithoutReason   FieldCode = "late_without_reason"  // a time more than Max hours before its recording, without a reason
	FieldLimitReached        FieldCode = "limit_reached"        // an extension step used as often as the law allows (Max)
)

// FieldCodes lists every field error code.
var FieldCodes = []FieldCode{
	FieldRequired, FieldTooLong, FieldTooShort, FieldTooMany, FieldTooOld, FieldInFuture, FieldOutOfRange,
	FieldNotOneOf, FieldDuplicate, FieldNotADate, FieldNotADatetime, FieldNotAPhone, FieldNotAnEmail, FieldNotADuration,
	FieldNotACursor, FieldNotAUsername, FieldNotSingleLine, FieldWrongType, FieldUnknownField,
	FieldAfterReceived, FieldNotAChild, FieldAgeMismatch, FieldNotFound, FieldNotInCommune, FieldNoJurisdiction,
	FieldDoesNotProvide, FieldWrongState, FieldWrongEndpoint, FieldStale, FieldTaken, FieldReused,
	FieldApplied, FieldInFlight, FieldBeyondLegalMaximum, FieldTooSimple, FieldOwnAccount, FieldBeforeStart, FieldPeriodTooLong,
	FieldUnitEnded, FieldUnitNotYet, FieldMissingJurisdiction, FieldAgencyEnded, FieldOutsideStructure, FieldNotText,
	FieldNotYet, FieldAlreadyDone, FieldBeforePrevious, FieldLateWithoutReason, FieldLimitReached,
}

// IsText reports whether s may be stored as text: valid UTF-8 without NUL,
// which PostgreSQL refuses.
func IsText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// Blank reports whether s shows nothing: only spaces, control characters
// and invisible format characters (zero-width spaces and joiners, a byte
// order mark, a soft hyphen). A required value must not be blank.
func Blank(s string) bool {
	for _, r := range s {
		if !unicode.IsSpace(r) && !unicode.IsControl(r) && !unicode.Is(unicode.Cf, r) && r != utf8.RuneError {
			return false
		}
	}
	return true
}

// NotText is the problem of a value that is not text.
func NotText() FieldError {
	return FieldError{Code: FieldNotText, Message: "is not valid text (UTF-8 without NUL characters)"}
}

// FieldError is what is wrong with one input field: its code, a message in
// English for readers of the API, and the parameters of the rule it breaks,
// so that an interface can say the same in the user's language.
type FieldError struct {
	Code    FieldCode
	Message string
	// Allowed lists the accepted values (not_one_of) or the states in which
	// the action can be done (wrong_state).
	Allowed []string
	// Min and Max bound a number, a length, a count, an age in years
	// (too_old) or a period in days (period_too_long).
	Min, Max int
	// Value is the value or state the problem is about: the value listed
	// twice, the current state or version, the service, the endpoint.
	Value string
	// Type is the JSON type expected (wrong_type): string, boolean,
	// integer, number, array or object.
	Type string
}
