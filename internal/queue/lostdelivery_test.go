package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestLostDeliveriesAreSentAgain loses the tasks of breach deliveries (as
// a Redis failover or flush does after the relay handed them over): the
// worker's sweep puts them back on the queue and they are sent, once.
func TestLostDeliveriesAreSentAgain(t *testing.T) {
	t.Parallel()
	const n = 5
	f := newFixture(t)
	ctx := context.Background()
	codes := f.fileMany(t, n, time.Now().Add(-time.Hour))
	outs, err := f.env.DB.SweepDue(ctx, 100)
	require.NoError(t, err)
	require.NotEmpty(t, outs)
	// Their tasks went to a Redis that lost them: relayed, then gone.
	require.NoError(t, f.env.Exec(ctx, "UPDATE outbox SET relayed_at = now()"))
	require.NoError(t, f.env.Exec(ctx, "UPDATE notification_deliveries SET not_before = now() - interval '5 minutes'"))
	open := f.count(t, "notification_deliveries WHERE status = 'pending'")
	require.GreaterOrEqual(t, open, 2*n)

	w := f.startWorker(t, workerOptions{queue: newQueue(t, "redis://127.0.0.1:6379/0"), sweep: 500 * time.Millisecond})
	require.Eventually(t, func() bool { return f.count(t, "notification_deliveries WHERE status = 'sent'") == open }, 15*time.Second, 100*time.Millisecond)
	got := w.notifier.delivered("breach")
	for _, code := range codes {
		require.Equal(t, 1, got[code+"/agency"], code)
		require.Equal(t, 1, got[code+"/supervisors"], code)
	}
	require.Zero(t, w.notifier.repeats())
}
