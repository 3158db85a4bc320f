package workflow

import (
	"encoding/json"
	"math"
	"strings"
	"time"

	"caseflow/internal/caseflow"
)

// DateLayout is the layout of date fields.
const DateLayout = "2006-01-02"

// checkData validates data against the event's fields and returns it
// normalised, with the event's Set values added. An empty string counts as
// absent, so that an untouched form input is not a value.
func (e *Event) checkData(data map[string]any) (map[string]any, caseflow.FieldErrors) {
	errs := caseflow.FieldErrors{}
	for name := range data {
		if _, ok := e.Field(name); !ok {
			errs.Add("data."+name, caseflow.FieldError{Code: caseflow.FieldUnknownField, Message: "unknown field"})
		}
	}
	out := make(map[string]any, len(e.Fields)+len(e.Set))
	for _, f := range e.Fields {
		v, ok := data[f.Name]
		if s, isString := v.(string); !ok || v == nil || (isString && strings.TrimSpace(s) == "") {
			if f.Required {
				errs.Add("data."+f.Name, caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
			}
			continue
		}
		n, bad := normalise(f, v)
		if bad != nil {
			errs.Add("data."+f.Name, *bad)
			continue
		}
		out[f.Name] = n
	}
	for k, v := range e.Set {
		out[k] = v
	}
	return out, errs
}

// normalise converts v to the canonical Go value of the field's type: string
// for string, text, enum, date and datetime; bool; int64. It returns what
// is wrong when v does not fit.
func normalise(f *Field, v any) (any, *caseflow.FieldError) {
	switch f.Type {
	case FieldString, FieldText:
		s, ok := v.(string)
		if !ok {
			return nil, wrongType("string", "must be a string")
		}
		if f.Type == FieldString && strings.ContainsAny(s, "\r\n") {
			return nil, &caseflow.FieldError{Code: caseflow.FieldNotSingleLine, Message: "must be a single line"}
		}
		return s, nil
	case FieldBool:
		b, ok := v.(bool)
		if !ok {
			return nil, wrongType("boolean", "must be true or false")
		}
		return b, nil
	case FieldInt:
		n, ok := toInt64(v)
		if !ok {
			return nil, wrongType("integer", "must be a whole number")
		}
		return n, nil
	case FieldDate:
		switch x := v.(type) {
		case time.Time:
			return x.Format(DateLayout), nil
		case string:
			if t, err := time.Parse(DateLayout, x); err == nil {
				return t.Format(DateLayout), nil
			}
		}
		return nil, &caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be a date (YYYY-MM-DD)"}
	case FieldDatetime:
		switch x := v.(type) {
		case time.Time:
			return x.UTC().Format(time.RFC3339Nano), nil
		case string:
			if t, err := time.Parse(time.RFC3339, x); err == nil {
				return t.UTC().Format(time.RFC3339Nano), nil
			}
		}
		return nil, &caseflow.FieldError{Code: caseflow.FieldNotADatetime, Message: "must be a date and time (RFC 3339)"}
	case FieldEnum:
		s, ok := v.(string)
		if ok {
			for _, allowed := range f.Values {
				if s == allowed {
					return s, nil
				}
			}
		}
		return nil, &caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "must be one of: " + strings.Join(f.Values, ", "), Allowed: f.Values}
	}
	return nil, wrongType(string(f.Type), "has an unknown type")
}

func wrongType(typ, msg string) *caseflow.FieldError {
	return &caseflow.FieldError{Code: caseflow.FieldWrongType, Message: msg, Type: typ}
}

// toInt64 accepts any Go integer, a float without a fraction (JSON numbers
// decode as float64) and json.Number.
func toInt64(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int8:
		return int64(x), true
	case int16:
		return int64(x), true
	case int32:
		return int64(x), true
	case int64:
		return x, true
	case uint:
		return toInt64(uint64(x))
	case uint8:
		return int64(x), true
	case uint16:
		return int64(x), true
	case uint32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float32:
		return toInt64(float64(x))
	case float64:
		if x != math.Trunc(x) || x < -(1<<63) || x >= 1<<63 {
			return 0, false
		}
		return int64(x), true
	case json.Number:
		n, err := x.Int64()
		return n, err == nil
	}
	return 0, false
}
