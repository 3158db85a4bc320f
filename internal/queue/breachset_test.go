package queue_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// TestBreachSets checks the set path at small scale: clocks due together
// recorded by several sets at once (as several workers would) and by their
// own timers racing them, each exactly once, with the history rows,
// notifications, deliveries and outbox rows the per-clock path writes.
func TestBreachSets(t *testing.T) {
	t.Parallel()
	const n = 23
	f := newFixture(t)
	ctx := context.Background()
	due := time.Now().Add(-2 * time.Minute)
	codes := f.fileMany(t, n, due)
	// One clock not yet due, which no set may take.
	later := f.file(t, time.Now().Add(time.Hour))

	var mu sync.Mutex
	seen := map[int64]int{}
	record := func(outs []*caseflow.TimerOutcome) {
		mu.Lock()
		defer mu.Unlock()
		for _, o := range outs {
			require.True(t, o.Recorded)
			require.Equal(t, caseflow.NotificationBreach, o.Kind)
			require.Equal(t, testClock, o.Clock)
			require.Equal(t, officerAgency, o.Agency)
			require.Equal(t, 2, o.Notified, "one for the agency, one for the supervisors")
			require.GreaterOrEqual(t, o.Lateness, 2*time.Minute)
			seen[o.ClockID]++
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for range 3 {
		wg.Go(func() {
			for {
				outs, err := f.env.DB.BreachDue(ctx, 4)
				if err != nil {
					errs <- err
					return
				}
				record(outs)
				if len(outs) == 0 {
					return
				}
			}
		})
	}
	// The timers of a few of the clocks run at the same time.
	for _, code := range codes[:6] {
		k := f.clock(t, code)
		wg.Go(func() {
			out, err := f.env.DB.HandleTimer(ctx, payload(k, "breach"))
			if err != nil {
				errs <- err
				return
			}
			if out.Recorded {
				record([]*caseflow.TimerOutcome{out})
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.Len(t, seen, n, "every due clock recorded")
	for id, times := range seen {
		require.Equal(t, 1, times, "clock %d recorded once", id)
	}
	require.Equal(t, "running", f.clock(t, later).Status, "a clock not yet due is left alone")

	// The rows, checked as stored.
	for _, code := range codes {
		k := f.clock(t, code)
		require.Equal(t, "breached", k.Status, code)
		require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"], code)
		rows, err := f.env.QueryStrings(ctx, `SELECT concat_ws('|', h.version = c.version, h.from_state = c.state AND h.to_state = c.state,
				h.commune_id = c.commune_id, h.actor_id IS NULL, h.data->>'clock', h.data->>'due_at', h.at = k.breached_at)
			FROM case_history h JOIN cases c ON c.id = h.case_id JOIN case_clocks k ON k.case_id = c.id
			WHERE c.code = $1 AND h.event = 'clock_breached'`, code)
		require.NoError(t, err)
		require.Equal(t, []string{"t|t|t|t|" + testClock + "|" + k.DueAt.UTC().Format(time.RFC3339) + "|t"}, rows, code)
		msgs, err := f.env.QueryStrings(ctx, `SELECT audience || ' ' || message FROM notifications n JOIN cases c ON c.id = n.case_id
			WHERE c.code = $1 AND n.kind = 'breach' ORDER BY audience`, code)
		require.NoError(t, err)
		local := k.DueAt.In(caseflow.Zone).Format("02/01/2006 15:04")
		require.Len(t, msgs, 2, code)
		for i, aud := range []string{"agency", "supervisors"} {
			require.Equal(t, aud+" Hồ sơ "+code+": quá hạn "+testClock+" (hạn "+local+", "+k.Basis+") / Case "+code+": deadline "+
				testClock+" breached (due "+local+", "+k.Basis+")", msgs[i])
		}
	}
	// Each breach notification reaches the duty mailboxes, each delivery
	// with one outbox row that the relay hands to the queue.
	require.Equal(t, 2*n, f.count(t, "notifications WHERE kind = 'breach'"))
	deliveries := f.count(t, "notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE n.kind = 'breach'")
	require.GreaterOrEqual(t, deliveries, 2*n)
	require.Zero(t, f.count(t, "notifications n WHERE n.kind = 'breach' AND NOT EXISTS (SELECT 1 FROM notification_deliveries d WHERE d.notification_id = n.id)"))
	require.Equal(t, deliveries, f.count(t, `outbox o JOIN notification_deliveries d ON o.task_id = 'delivery:' || d.id
		JOIN notifications n ON n.id = d.notification_id WHERE n.kind = 'breach' AND o.run_at = n.created_at`))

	// Nothing is left to do: a second pass records nothing.
	outs, err := f.env.DB.BreachDue(ctx, 100)
	require.NoError(t, err)
	require.Empty(t, outs)
}
