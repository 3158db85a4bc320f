// Package request holds what the HTTP layers of the service (the API, the
// web interface and the server that composes them) share about one request:
// its id, the viewer it acts for, the route it took, and the one mapping of
// error codes to HTTP statuses.
package request

import (
	"context"
	"net/http"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
)

const viewerKey = "viewer"

// ID returns the request id the server gave the request.
func ID(c echo.Context) string {
	if id := c.Response().Header().Get(echo.HeaderXRequestID); id != "" {
		return id
	}
	return c.Request().Header.Get(echo.HeaderXRequestID)
}

// SetViewer records who the request acts for.
func SetViewer(c echo.Context, v caseflow.Viewer) {
	c.Set(viewerKey, v)
	if t := traceOf(c.Request().Context()); t != nil {
		t.Viewer = &v
	}
}

// Viewer returns who the request acts for; the zero viewer when nobody is
// logged in.
func Viewer(c echo.Context) caseflow.Viewer {
	v, _ := c.Get(viewerKey).(caseflow.Viewer)
	return v
}

// Trace carries what an inner handler learnt about a request (the route it
// matched and the viewer) back to the server's log line and metrics.
type Trace struct {
	Route  string
	Viewer *caseflow.Viewer
}

type traceKey struct{}

// WithTrace returns a context that collects a request's trace in t.
func WithTrace(ctx context.Context, t *Trace) context.Context {
	return context.WithValue(ctx, traceKey{}, t)
}

func traceOf(ctx context.Context) *Trace {
	t, _ := ctx.Value(traceKey{}).(*Trace)
	return t
}

// SetRoute records the route an inner handler matched.
func SetRoute(c echo.Context, route string) {
	if t := traceOf(c.Request().Context()); t != nil {
		t.Route = route
	}
}

// Status maps an error code to its HTTP status. It is the only such mapping.
func Status(code string) int {
	switch code {
	case caseflow.EMalformed:
		return http.StatusBadRequest
	case caseflow.EInvalid:
		return http.StatusUnprocessableEntity
	case caseflow.EUnauthorized:
		return http.StatusUnauthorized
	case caseflow.EForbidden:
		return http.StatusForbidden
	case caseflow.ENotFound:
		return http.StatusNotFound
	case caseflow.EConflict:
		return http.StatusConflict
	case caseflow.ETooLarge:
		return http.StatusRequestEntityTooLarge
	case caseflow.ERateLimited:
		return http.StatusTooManyRequests
	case caseflow.EUnavailable:
		return http.StatusServiceUnavailable
	default:
		return http.StatusInternalServerError
	}
}
