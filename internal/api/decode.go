package api

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strconv"
	"strings"
	"time"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"
	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
)

// local shows a stored UTC time in the province's zone.
func local(t time.Time) time.Time { return caseflow.Local(t) }

func localPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	l := local(*t)
	return &l
}

// readBody reads the request body, turning an over-limit body into too_large.
func readBody(c echo.Context) ([]byte, error) {
	raw, err := io.ReadAll(c.Request().Body)
	if err != nil {
		var he *echo.HTTPError
		if errors.As(err, &he) {
			return nil, he
		}
		return nil, caseflow.Errorf(caseflow.EMalformed, "the request body could not be read")
	}
	return raw, nil
}

// decodeJSON reads a JSON body into v, strictly: unknown fields and wrong
// types are named in the error.
func decodeJSON(c echo.Context, v any) error {
	raw, err := readBody(c)
	if err != nil {
		return err
	}
	return decodeBytes(raw, v)
}

// decodeBytes decodes one JSON value into v as the API document says:
// member names match exactly (a closed schema has no "EVENT" or
// "Full_Name"), a name given twice is refused, unknown members are refused,
// nothing may follow the value, and every string is text.
func decodeBytes(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return caseflow.Errorf(caseflow.EMalformed, "the request body is empty; send a JSON object")
	}
	err := jsonv2.Unmarshal(raw, v, jsonv2.RejectUnknownMembers(true), jsonv2.MatchCaseInsensitiveNames(false),
		jsontext.AllowDuplicateNames(false), jsontext.AllowInvalidUTF8(false))
	if err == nil {
		// JSON can carry a NUL ("\u0000"), which PostgreSQL refuses: no
		// such value goes further than here.
		if field := notText(reflect.ValueOf(v), ""); field != "" {
			return caseflow.InvalidField(field, caseflow.NotText())
		}
		return nil
	}
	var syn *jsontext.SyntacticError
	var sem *jsonv2.SemanticError
	switch {
	case errors.As(err, &syn) && errors.Is(syn.Err, jsontext.ErrDuplicateName):
		return caseflow.InvalidField(fieldPath(syn.JSONPointer), caseflow.FieldError{Code: caseflow.FieldDuplicate,
			Message: "is given more than once"})
	case errors.As(err, &syn) && strings.Contains(syn.Err.Error(), "invalid UTF-8"):
		return caseflow.InvalidField(fieldPath(syn.JSONPointer), caseflow.NotText())
	case errors.As(err, &syn) && strings.Contains(syn.Err.Error(), "after top-level value"):
		return caseflow.Errorf(caseflow.EMalformed, "the request body has data after the JSON value")
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return caseflow.Errorf(caseflow.EMalformed, "the request body is not valid JSON")
	case errors.As(err, &sem) && errors.Is(sem.Err, jsonv2.ErrUnknownName):
		return caseflow.InvalidField(fieldPath(sem.JSONPointer), caseflow.FieldError{Code: caseflow.FieldUnknownField,
			Message: "is not a known field (names are case-sensitive)"})
	case errors.As(err, &sem) && sem.GoType != nil:
		field := fieldPath(sem.JSONPointer)
		if field == "" {
			return caseflow.Errorf(caseflow.EMalformed, "the request body must be a JSON %s", jsonType(sem.GoType))
		}
		return caseflow.InvalidField(field, caseflow.FieldError{Code: caseflow.FieldWrongType,
			Message: "must be of type " + jsonType(sem.GoType), Type: jsonType(sem.GoType)})
	}
	return caseflow.Errorf(caseflow.EMalformed, "the request body could not be decoded")
}

// fieldPath names the member a JSON pointer points at as the errors name
// fields: /children/1/age is children[1].age.
func fieldPath(p jsontext.Pointer) string {
	var b strings.Builder
	for tok := range p.Tokens() {
		if _, err := strconv.Atoi(tok); err == nil && b.Len() > 0 {
			b.WriteString("[" + tok + "]")
			continue
		}
		if b.Len() > 0 {
			b.WriteByte('.')
		}
		b.WriteString(strings.ToValidUTF8(strings.ReplaceAll(tok, "\x00", ""), "?"))
	}
	return b.String()
}

// notText returns the path of the first string in v that is not text, or "".
func notText(v reflect.Value, path string) string {
	join := func(name string) string {
		if path == "" {
			return name
		}
		return path + "." + name
	}
	whole := path
	if whole == "" {
		whole = "body"
	}
	switch v.Kind() {
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return notText(v.Elem(), path)
		}
	case reflect.String:
		if !caseflow.IsText(v.String()) {
			return whole
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			f := v.Type().Field(i)
			if !f.IsExported() {
				continue
			}
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" {
				name = f.Name
			}
			if p := notText(v.Field(i), join(name)); p != "" {
				return p
			}
		}
	case reflect.Map:
		iter := v.MapRange()
		for iter.Next() {
			k := fmt.Sprint(iter.Key().Interface())
			if !caseflow.IsText(k) {
				return join("?")
			}
			if p := notText(iter.Value(), join(k)); p != "" {
				return p
			}
		}
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() == reflect.Uint8 { // json.RawMessage, still encoded
			if bytes.Contains(bytes.ToLower(v.Bytes()), []byte(`\u0000`)) {
				// Name the member inside it that holds the NUL.
				var inner any
				if jsonv2.Unmarshal(v.Bytes(), &inner) == nil {
					if p := notText(reflect.ValueOf(&inner), path); p != "" {
						return p
					}
				}
				return whole
			}
			return ""
		}
		for i := 0; i < v.Len(); i++ {
			if p := notText(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	}
	return ""
}

// RequireText refuses a request whose query or path parameters, or
// idempotency key, are not text, before anything reads them.
func RequireText(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		for name, vs := range c.QueryParams() {
			for _, v := range vs {
				if !caseflow.IsText(name) || !caseflow.IsText(v) {
					return caseflow.InvalidField(strings.ToValidUTF8(strings.ReplaceAll(name, "\x00", ""), "?"), caseflow.NotText())
				}
			}
		}
		for i, v := range c.ParamValues() {
			if !caseflow.IsText(v) {
				return caseflow.InvalidField(c.ParamNames()[i], caseflow.NotText())
			}
		}
		// The one header whose value is stored.
		if !caseflow.IsText(c.Request().Header.Get("Idempotency-Key")) {
			return caseflow.InvalidField("Idempotency-Key", caseflow.NotText())
		}
		return next(c)
	}
}

// jsonType names the JSON type that decodes into t.
func jsonType(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "integer"
	case reflect.Float32, reflect.Float64:
		return "number"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Pointer:
		return jsonType(t.Elem())
	}
	return "object"
}
