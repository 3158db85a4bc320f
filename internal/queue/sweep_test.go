package queue_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"caseflow/internal/queue"
	"caseflow/internal/testenv"
)

func TestSweeper(t *testing.T) {
	t.Parallel()

	t.Run("CatchesEveryDueClockAfterRedisLostItsData", func(t *testing.T) {
		t.Parallel()
		const n = 20
		f := newFixture(t)
		url := testenv.RedisURL()
		q := newQueue(t, url)
		w := f.startWorker(t, workerOptions{queue: q, sweep: 500 * time.Millisecond})

		due := time.Now().Add(3 * time.Second)
		codes := f.fileMany(t, n, due)
		require.True(t, time.Now().Before(due.Add(-time.Second)), "filing took too long")
		// Wait until every timer is in Redis (and the warnings, due at once,
		// are recorded), then lose them all.
		f.waitRelayed(t, n)
		scheduled := scheduledTasks(t, url, q)
		require.Equal(t, n, scheduled, "one breach timer per clock before Redis lost them")
		loseQueue(t, url, q)
		require.Zero(t, scheduledTasks(t, url, q))

		for _, code := range codes {
			k := f.waitClock(t, code, due.Add(3*time.Second), breached)
			require.Equal(t, "breached", k.Status, code)
			late := k.BreachedAt.Sub(k.DueAt)
			require.GreaterOrEqual(t, late, time.Duration(0))
			require.Less(t, late, 1500*time.Millisecond, "within a sweep interval of the due time")
			require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"], code)
		}
		want := map[string]int{}
		for _, code := range codes {
			want[code] = 1
		}
		require.Equal(t, want, f.notifications(t, f.officer, "breach"))
		require.Equal(t, want, f.notifications(t, f.supervisor, "breach"))
		require.Eventually(t, func() bool {
			return w.counter(t, "caseflow_sweeper_catches_total", "kind", "breach") == n
		}, 2*time.Second, 20*time.Millisecond, "every breach was the sweeper's: the timers were gone")
		require.Equal(t, float64(n), w.counter(t, "caseflow_clock_breaches_total"))
	})
}

// waitRelayed waits until the outbox is empty and n warnings, due at once
// when a report was received three quarters of its limit ago, are recorded.
func (f *fixture) waitRelayed(t *testing.T, n int) {
	t.Helper()
	require.Eventually(t, func() bool {
		backlog, err := f.env.DB.OutboxBacklog(context.Background())
		if err != nil {
			t.Errorf("outbox backlog: %v", err)
			return false
		}
		warned, err := f.env.QueryStrings(context.Background(), "SELECT count(*)::text FROM case_clocks WHERE warned_at IS NOT NULL")
		if err != nil {
			t.Errorf("counting warnings: %v", err)
			return false
		}
		return backlog == 0 && len(warned) == 1 && warned[0] == strconv.Itoa(n)
	}, 5*time.Second, 20*time.Millisecond)
}

// scheduledTasks counts the scheduled tasks of a queue.
func scheduledTasks(t *testing.T, url, q string) int {
	t.Helper()
	opt, err := queue.RedisOpt(url)
	require.NoError(t, err)
	in := asynq.NewInspector(opt)
	defer in.Close()
	info, err := in.GetQueueInfo(q)
	if err != nil {
		return 0 // the queue is gone with the data
	}
	return info.Scheduled
}
