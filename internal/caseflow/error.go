package caseflow

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Error codes: a closed set, mapped to HTTP statuses in exactly one place
// (the HTTP package).
const (
	EMalformed    = "malformed"    // the request cannot be parsed at all
	EInvalid      = "invalid"      // the input parses but breaks a rule, or is not allowed now
	EUnauthorized = "unauthorized" // no valid credentials
	EForbidden    = "forbidden"    // the caller may not do this
	ENotFound     = "not_found"    // no such thing, or the caller may not know of it
	EConflict     = "conflict"     // a stale version or a clash with existing data
	ETooLarge     = "too_large"    // the request body is over the limit
	ERateLimited  = "rate_limited" // too many attempts
	EUnavailable  = "unavailable"  // a dependency cannot serve now; try again after Retry-After
	EInternal     = "internal"     // anything else; details are logged, never shown
)

// Error is the error every layer returns to say what went wrong in terms a
// user can act on. Fields names each offending input field.
type Error struct {
	Code    string
	Message string
	Fields  map[string]FieldError
	// RetryAfter, when set, is how long to wait before trying again (the
	// Retry-After header of a 429 or 503).
	RetryAfter time.Duration
}

// RetryAfterOf returns how long err says to wait before trying again, or 0.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

// RetryAfterSeconds is d as a Retry-After header value: whole seconds,
// rounded up, at least 1.
func RetryAfterSeconds(d time.Duration) string {
	return strconv.Itoa(max(1, int((d+time.Second-1)/time.Second)))
}

// Error implements the error interface.
func (e *Error) Error() string {
	if len(e.Fields) == 0 {
		return fmt.Sprintf("%s: %s", e.Code, e.Message)
	}
	keys := make([]string, 0, len(e.Fields))
	for k := range e.Fields {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, 0, len(keys))
	for _, k := range keys {
		parts = append(parts, k+": "+e.Fields[k].Message)
	}
	return fmt.Sprintf("%s: %s (%s)", e.Code, e.Message, strings.Join(parts, "; "))
}

// FieldMessages returns each bad field with its English message, as the API
// shows them.
func (e *Error) FieldMessages() map[string]string {
	if len(e.Fields) == 0 {
		return nil
	}
	out := make(map[string]string, len(e.Fields))
	for k, f := range e.Fields {
		out[k] = f.Message
	}
	return out
}

// FieldCodes returns each bad field with the code of its problem.
func (e *Error) FieldCodes() map[string]FieldCode {
	if len(e.Fields) == 0 {
		return nil
	}
	out := make(map[string]FieldCode, len(e.Fields))
	for k, f := range e.Fields {
		out[k] = f.Code
	}
	return out
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// InvalidField returns an invalid *Error about one field.
func InvalidField(field string, fe FieldError) *Error {
	return &Error{Code: EInvalid, Message: invalidFields, Fields: map[string]FieldError{field: fe}}
}

// ErrorCode returns the code of err if it is (or wraps) an *Error, and
// EInternal otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if err == nil {
		return ""
	}
	return EInternal
}

// ErrorMessage returns the user-facing message of err; internal errors get a
// generic message so that no detail leaks.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}

// invalidFields is the message of an invalid error that names its fields.
const invalidFields = "the request has invalid fields"

// FieldErrors collects per-field validation problems and turns them into one
// invalid *Error.
type FieldErrors map[string]FieldError

// Add records a problem with field unless one is already recorded for it.
func (f FieldErrors) Add(field string, fe FieldError) {
	if _, ok := f[field]; !ok {
		f[field] = fe
	}
}

// Err returns nil when no problem was recorded, or an *Error with code
// EInvalid naming each bad field.
func (f FieldErrors) Err() error {
	if len(f) == 0 {
		return nil
	}
	return &Error{Code: EInvalid, Message: invalidFields, Fields: map[string]FieldError(f)}
}
