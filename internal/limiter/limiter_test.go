package limiter_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"caseflow/internal/limiter"
	"caseflow/internal/outage"
	"caseflow/internal/testenv"
)

// A Redis that refuses connections is given up on when the limiter's own
// budget ends, not after the client's dial retries and backoff: the error is
// the budget's, and it is an outage (503), not a failure of the service.
func TestAllowGivesUpWithinItsBudget(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close()) // nothing listens there now
	c := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { c.Close() })

	r := &limiter.Redis{Client: c, Prefix: "test:", Timeout: 20 * time.Millisecond}
	ok, err := r.Allow(context.Background(), "login:ip:127.0.0.1", 10, time.Minute)
	require.False(t, ok)
	require.True(t, errors.Is(err, context.DeadlineExceeded), "the limiter's budget ended the call: %v", err)
	require.True(t, outage.Is(err))
	require.True(t, errors.Is(r.Reset(context.Background(), "login:ip:127.0.0.1"), context.DeadlineExceeded))
}

// With Redis up, attempts are counted against the limit in their window.
func TestAllowCounts(t *testing.T) {
	c, err := testenv.Redis()
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	r := &limiter.Redis{Client: c, Prefix: "test:limiter:" + testenv.Suffix() + ":"}
	ctx := context.Background()
	for i := 1; i <= 3; i++ {
		ok, err := r.Allow(ctx, "k", 2, time.Minute)
		require.NoError(t, err)
		require.Equal(t, i <= 2, ok, "attempt %d", i)
	}
	require.NoError(t, r.Reset(ctx, "k"))
	ok, err := r.Allow(ctx, "k", 2, time.Minute)
	require.NoError(t, err)
	require.True(t, ok, "counted afresh after a reset")
	require.NoError(t, r.Reset(ctx, "k"))
}
