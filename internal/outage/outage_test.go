package outage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/outage"
)

func TestClassify(t *testing.T) {
	t.Parallel()
	down := []error{
		&pgconn.PgError{Code: "57P01", Message: "terminating connection due to administrator command"},
		&pgconn.PgError{Code: "57P03", Message: "the database system is starting up"},
		&pgconn.PgError{Code: "53300", Message: "too many connections"},
		&pgconn.PgError{Code: "25006", Message: "cannot execute INSERT in a read-only transaction"},
		&pgconn.PgError{Code: "42501", Message: "permission denied for table cases"},
		&pgconn.PgError{Code: "08006", Message: "connection failure"},
		fmt.Errorf("intake: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}),
		fmt.Errorf("reading: %w", io.ErrUnexpectedEOF),
		syscall.ECONNRESET,
		context.DeadlineExceeded,
		errors.New("failed to connect to `user=postgres database=caseflow`: dial error"),
		// The queue's client turns Redis's network errors into text.
		errors.New("UNKNOWN: redis eval error: dial tcp 127.0.0.1:6379: connect: connection refused"),
	}
	for _, err := range down {
		require.True(t, outage.Is(err), "%v", err)
		got := outage.Classify(err)
		require.Equal(t, caseflow.EUnavailable, caseflow.ErrorCode(got), "%v", err)
		require.Equal(t, 5*time.Second, caseflow.RetryAfterOf(got))
	}
	up := []error{
		nil,
		&pgconn.PgError{Code: "23505", Message: "duplicate key value"},
		&pgconn.PgError{Code: "22021", Message: "invalid byte sequence"},
		context.Canceled,
		errors.New("clock 7: decoding its extensions"),
		caseflow.Errorf(caseflow.ENotFound, "no case"),
	}
	for _, err := range up {
		require.False(t, outage.Is(err) && caseflow.ErrorCode(err) == caseflow.EInternal, "%v", err)
		require.Equal(t, err, outage.Classify(err))
	}
}
