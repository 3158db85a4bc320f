package replay

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The background tries never outlive the key's lease: past it a retry may
// own the key, and a late release would let go of the retry's claim.
func TestAgainStopsBeforeTheLeaseEnds(t *testing.T) {
	var calls atomic.Int32
	f := func(ctx context.Context) error {
		calls.Add(1)
		return errors.New("connection refused")
	}
	log := slog.New(slog.DiscardHandler)

	again(log, "r1", "releasing a request key", time.Now().Add(-time.Second), f)
	require.Zero(t, calls.Load(), "a lease about to end is not tried at all")

	// Failing all along, it is tried while the lease runs and given up
	// when the lease is about to end (again returns).
	again(log, "r2", "releasing a request key", time.Now().Add(600*time.Millisecond), f)
	require.Positive(t, calls.Load(), "tried while the lease runs")
}
