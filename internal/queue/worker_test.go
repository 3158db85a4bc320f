package queue_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

func TestRestore(t *testing.T) {
	t.Parallel()

	t.Run("RestartedWorkerRestoresLostTimers", func(t *testing.T) {
		t.Parallel()
		const n = 5
		f := newFixture(t)
		url := testenv.RedisURL()
		q := newQueue(t, url)
		first := f.startWorker(t, workerOptions{queue: q, sweep: time.Hour})

		due := time.Now().Add(3 * time.Second)
		codes := f.fileMany(t, n, due)
		f.waitRelayed(t, n)
		first.stop()
		loseQueue(t, url, q)
		require.Zero(t, scheduledTasks(t, url, q))
		second := f.startWorker(t, workerOptions{queue: q, sweep: time.Hour})

		for _, code := range codes {
			k := f.waitClock(t, code, due.Add(lateness+2*time.Second), breached)
			require.Equal(t, "breached", k.Status, code)
			require.Less(t, k.BreachedAt.Sub(k.DueAt), lateness, "by the restored timer, not a sweep an hour later")
		}
		require.Eventually(t, func() bool {
			return second.counter(t, "caseflow_clock_breaches_total") == n
		}, 2*time.Second, 20*time.Millisecond)
		require.Zero(t, second.counter(t, "caseflow_sweeper_catches_total"))
	})
}

func TestWorkers(t *testing.T) {
	t.Parallel()

	t.Run("TwoWorkersRecordEachBreachOnce", func(t *testing.T) {
		t.Parallel()
		const n = 50
		f := newFixture(t)
		// The second worker has its own connections, as another process
		// would. Both sweep often, so sweepers and timers race as well.
		other, err := testenv.OpenDB(context.Background(), f.env.URL, f.env.DB.Keys)
		require.NoError(t, err)
		t.Cleanup(func() { _ = other.Close() })
		q := newQueue(t, testenv.RedisURL())
		workers := []*runningWorker{
			f.startWorker(t, workerOptions{queue: q, sweep: time.Second}),
			f.startWorker(t, workerOptions{queue: q, sweep: time.Second, db: other}),
		}

		due := time.Now().Add(4 * time.Second)
		codes := f.fileMany(t, n, due)
		require.True(t, time.Now().Before(due), "filing took too long")

		want := map[string]int{}
		delivered := map[string]int{}
		for _, code := range codes {
			k := f.waitClock(t, code, due.Add(5*time.Second), breached)
			require.Equal(t, "breached", k.Status, code)
			require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"], code)
			want[code] = 1
			delivered[code+"/agency"] = 1
			delivered[code+"/supervisors"] = 1
		}
		require.Equal(t, want, f.notifications(t, f.officer, "breach"))
		require.Equal(t, want, f.notifications(t, f.supervisor, "breach"))
		require.Equal(t, 2*n, f.count(t, "notifications WHERE kind = 'breach'"))
		require.Equal(t, n, f.count(t, "case_history WHERE event = 'clock_breached'"))

		// Each breach was recorded, counted and delivered by one worker.
		require.Eventually(t, func() bool {
			return workers[0].counter(t, "caseflow_clock_breaches_total")+workers[1].counter(t, "caseflow_clock_breaches_total") == n
		}, 2*time.Second, 20*time.Millisecond)
		got := func() map[string]int {
			out := map[string]int{}
			for _, w := range workers {
				for k, v := range w.notifier.delivered("breach") {
					out[k] += v
				}
			}
			return out
		}
		require.Eventually(t, func() bool { return len(got()) == len(delivered) }, 10*time.Second, 50*time.Millisecond)
		require.Equal(t, delivered, got())
		require.Zero(t, workers[0].notifier.repeats()+workers[1].notifier.repeats())
	})
}
