package workflow

import (
	"encoding/json"
	"fmt"
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
		if s, isString := v.(string); !ok || v == nil || (isString && caseflow.Blank(s)) {
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
	case FieldCharges:
		return normaliseCharges(v)
	}
	return nil, wrongType(string(f.Type), "has an unknown type")
}

// normaliseCharges checks a list of charges per accused person: each an
// object with a suspect number (1 or more), a Penal Code article on one
// line, and optionally whether the court upheld it; no pair twice.
func normaliseCharges(v any) (any, *caseflow.FieldError) {
	list, ok := v.([]any)
	if ms, typed := v.([]map[string]any); typed {
		// A Go caller's list; JSON and YAML decode to []any.
		for _, m := range ms {
			list = append(list, m)
		}
		ok = true
	}
	if !ok {
		return nil, wrongType("array", `must be a list of {"suspect": 1, "article": "142"}`)
	}
	if len(list) > MaxCharges {
		return nil, &caseflow.FieldError{Code: caseflow.FieldTooMany, Message: fmt.Sprintf("has more than %d charges", MaxCharges), Max: MaxCharges}
	}
	out := make([]any, 0, len(list))
	seen := map[string]bool{}
	for i, item := range list {
		m, ok := item.(map[string]any)
		bad := func(msg string) (any, *caseflow.FieldError) {
			return nil, &caseflow.FieldError{Code: caseflow.FieldWrongType, Message: fmt.Sprintf("charge %d: %s", i+1, msg), Type: "object"}
		}
		if !ok {
			return bad(`must be an object {"suspect": 1, "article": "142"}`)
		}
		for k := range m {
			if k != "suspect" && k != "article" && k != "upheld" {
				return bad(fmt.Sprintf("has an unknown key %q", k))
			}
		}
		n, ok := toInt64(m["suspect"])
		if !ok || n < 1 || n > 50 {
			return bad("suspect must be the number of a suspect of the report, 1 to 50")
		}
		art, ok := m["article"].(string)
		art = strings.TrimSpace(art)
		if !ok || art == "" || len(art) > 50 || strings.ContainsAny(art, "\r\n") {
			return bad("article must be a Penal Code article on one line")
		}
		c := map[string]any{"suspect": n, "article": art}
		if u, present := m["upheld"]; present {
			b, ok := u.(bool)
			if !ok {
				return bad("upheld must be true or false")
			}
			c["upheld"] = b
		}
		key := fmt.Sprint(n, "|", art)
		if seen[key] {
			return nil, &caseflow.FieldError{Code: caseflow.FieldDuplicate, Message: fmt.Sprintf("names suspect %d and article %s twice", n, art),
				Value: art}
		}
		seen[key] = true
		out = append(out, c)
	}
	return out, nil
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
