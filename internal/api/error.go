package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/outage"
	"caseflow/internal/request"
)

type errorBody struct {
	Error errorDetail `json:"error"`
}

type errorDetail struct {
	Code    string            `json:"code"`
	Message string            `json:"message"`
	Fields  map[string]string `json:"fields,omitempty"`
	// FieldCodes names the problem of each field of Fields with a stable code.
	FieldCodes map[string]caseflow.FieldCode `json:"field_codes,omitempty"`
	RequestID  string                        `json:"request_id,omitempty"`
}

// fromEcho turns echo's own errors (unknown route, body too large, method
// not allowed) into domain errors.
func fromEcho(he *echo.HTTPError) *caseflow.Error {
	switch he.Code {
	case http.StatusNotFound:
		return caseflow.Errorf(caseflow.ENotFound, "no such endpoint")
	case http.StatusMethodNotAllowed:
		return caseflow.Errorf(caseflow.ENotFound, "this endpoint does not take that method")
	case http.StatusRequestEntityTooLarge:
		return caseflow.Errorf(caseflow.ETooLarge, "the request body is over the 1 MiB limit")
	case http.StatusUnauthorized:
		return caseflow.Errorf(caseflow.EUnauthorized, "log in first")
	case http.StatusForbidden:
		return caseflow.Errorf(caseflow.EForbidden, "not allowed")
	case http.StatusBadRequest:
		return caseflow.Errorf(caseflow.EMalformed, "the request could not be read")
	case http.StatusTooManyRequests:
		return caseflow.Errorf(caseflow.ERateLimited, "too many requests")
	}
	return nil
}

// HandleError writes every error as {"error": {...}}; internal errors are
// logged with the request id and shown only as "internal error".
func (s *API) HandleError(err error, c echo.Context) {
	if c.Response().Committed {
		return
	}
	var he *echo.HTTPError
	if errors.As(err, &he) {
		if de := fromEcho(he); de != nil {
			err = de
		}
	}
	if cause := err; outage.Is(cause) && caseflow.ErrorCode(cause) == caseflow.EInternal && !errors.Is(cause, context.Canceled) {
		err = outage.Classify(cause)
		s.log.Warn("a dependency is unavailable", "request_id", request.ID(c), "route", c.Path(), "err", cause.Error())
	}
	code := caseflow.ErrorCode(err)
	body := errorBody{Error: errorDetail{Code: code, Message: caseflow.ErrorMessage(err), RequestID: request.ID(c)}}
	var de *caseflow.Error
	if errors.As(err, &de) {
		body.Error.Fields, body.Error.FieldCodes = de.FieldMessages(), de.FieldCodes()
	}
	if code == caseflow.EInternal && errors.Is(err, context.Canceled) {
		// The client went away; there is nobody to answer and nothing broke.
		s.log.Info("request cancelled by the client", "request_id", request.ID(c), "route", c.Path())
		return
	}
	if code == caseflow.EInternal {
		body.Error.Code, body.Error.Message = caseflow.EInternal, "internal error"
		s.log.Error("internal error", "request_id", request.ID(c), "route", c.Path(), "err", err.Error())
	}
	if d := caseflow.RetryAfterOf(err); d > 0 {
		c.Response().Header().Set("Retry-After", caseflow.RetryAfterSeconds(d))
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(request.Status(code))
		return
	}
	_ = c.JSON(request.Status(code), body)
}
