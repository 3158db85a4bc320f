package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

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

func decodeBytes(raw []byte, v any) error {
	if len(bytes.TrimSpace(raw)) == 0 {
		return caseflow.Errorf(caseflow.EMalformed, "the request body is empty; send a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		return caseflow.Errorf(caseflow.EMalformed, "the request body has data after the JSON object")
	}
	if err == nil {
		// JSON can carry a NUL ("\u0000"), which PostgreSQL refuses: no
		// such value goes further than here.
		if field := notText(reflect.ValueOf(v), ""); field != "" {
			return caseflow.InvalidField(field, caseflow.NotText())
		}
		return nil
	}
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return caseflow.Errorf(caseflow.EMalformed, "the request body is not valid JSON")
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			return caseflow.Errorf(caseflow.EMalformed, "the request body must be a JSON object")
		}
		return caseflow.InvalidField(field, caseflow.FieldError{Code: caseflow.FieldWrongType,
			Message: "must be of type " + typ.Type.String(), Type: jsonType(typ.Type)})
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return caseflow.InvalidField(field, caseflow.FieldError{Code: caseflow.FieldUnknownField, Message: "is not a known field"})
	}
	return caseflow.Errorf(caseflow.EMalformed, "the request body could not be decoded")
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

// RequireText refuses a request whose query or path parameters are not
// text, before anything reads them.
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
