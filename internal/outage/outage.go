// Package outage recognises the errors of a dependency that cannot serve a
// request now — Postgres down, restarting, read-only, out of connections or
// refusing a privilege; Redis down or failing over — so that the request is
// answered 503 with Retry-After, as a clean "try again shortly", rather than
// 500. It is the one place that knows these errors.
package outage

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/redis/go-redis/v9"

	"caseflow/internal/caseflow"
)

// RetryAfter is how long a client is told to wait after an outage.
const RetryAfter = 5 * time.Second

// Is says whether err comes from a dependency that cannot serve now.
func Is(err error) bool {
	if err == nil {
		return false
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch {
		case strings.HasPrefix(pe.Code, "08"), // connection exception
			strings.HasPrefix(pe.Code, "53"),         // insufficient resources: too many connections, disk full
			strings.HasPrefix(pe.Code, "57P"),        // shutting down, starting up, crashed
			pe.Code == "25006",                       // read-only transaction: a standby, or a read-only database
			pe.Code == "42501",                       // insufficient privilege: the service's role was changed
			pe.Code == "40001" || pe.Code == "40P01": // serialization failure or deadlock under load: retryable
			return true
		}
		return false
	}
	var ce *pgconn.ConnectError
	var ne net.Error
	var oe *net.OpError
	switch {
	case errors.As(err, &ce), errors.As(err, &oe), errors.As(err, &ne):
		return true
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF),
		errors.Is(err, driver.ErrBadConn), errors.Is(err, sql.ErrConnDone), errors.Is(err, redis.ErrClosed),
		errors.Is(err, syscall.ECONNREFUSED), errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return true
	case pgconn.Timeout(err):
		return true
	}
	var re redis.Error
	if errors.As(err, &re) {
		msg := re.Error()
		for _, p := range []string{"LOADING", "MASTERDOWN", "READONLY", "CLUSTERDOWN", "TRYAGAIN", "NOREPLICAS"} {
			if strings.HasPrefix(msg, p) {
				return true
			}
		}
	}
	// pgx reports a connection closed under it in words only, and the
	// queue's client hands back Redis's network errors as text.
	msg := err.Error()
	for _, words := range []string{"conn closed", "connection reset by peer", "broken pipe", "failed to connect to",
		"connection refused", "dial tcp", "i/o timeout", "no route to host", "redis eval error"} {
		if strings.Contains(msg, words) {
			return true
		}
	}
	return false
}

// Classify turns an outage into the unavailable error the API and the web
// answer with (503, Retry-After); any other error is returned as it is.
func Classify(err error) error {
	if caseflow.ErrorCode(err) != caseflow.EInternal || !Is(err) {
		return err
	}
	return &caseflow.Error{Code: caseflow.EUnavailable, RetryAfter: RetryAfter,
		Message: "a service caseflow depends on is unavailable: try again shortly (a request sent with an Idempotency-Key is safe to repeat)"}
}
