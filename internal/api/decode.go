package api

import (
	"bytes"
	"encoding/json"
	"errors"
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
