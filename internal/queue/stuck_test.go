package queue_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestABadClockStopsNoOther makes one due clock unwritable — its breach's
// history row is refused — among twenty due together whose timers were
// lost: the sweeper records the nineteen others at once, sets the bad one
// aside, counts it, and records it once it can be written.
func TestABadClockStopsNoOther(t *testing.T) {
	t.Parallel()
	const n = 20
	f := newFixture(t)
	ctx := context.Background()
	codes := f.fileMany(t, n, time.Now().Add(-time.Minute))
	bad := codes[7]
	rows, err := f.env.QueryStrings(ctx, "SELECT id::text FROM cases WHERE code = ?", bad)
	require.NoError(t, err)
	require.NoError(t, f.env.Exec(ctx, fmt.Sprintf(`CREATE FUNCTION refuse_one() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN IF NEW.case_id = %s AND NEW.event = 'clock_breached' THEN RAISE EXCEPTION 'this clock cannot be written'; END IF; RETURN NEW; END $$`, rows[0])))
	require.NoError(t, f.env.Exec(ctx, "CREATE TRIGGER refuse_one BEFORE INSERT ON case_history FOR EACH ROW EXECUTE FUNCTION refuse_one()"))

	outs, err := f.env.DB.SweepDue(ctx, 200)
	require.NoError(t, err, "one clock does not fail the sweep")
	breaches := 0
	for _, o := range outs {
		if o.Kind == "breach" {
			breaches++
		}
	}
	require.Equal(t, n-1, breaches)
	for _, code := range codes {
		want := "breached"
		if code == bad {
			want = "running"
		}
		require.Equal(t, want, f.clock(t, code).Status, code)
	}
	stuck, err := f.env.DB.StuckItems(ctx)
	require.NoError(t, err)
	require.Equal(t, int64(1), stuck["clock"])
	items, err := f.env.DB.ListStuckItems(ctx)
	require.NoError(t, err)
	require.Len(t, items, 1)
	require.Equal(t, bad, items[0].CaseCode)
	require.Contains(t, items[0].LastError, "this clock cannot be written")

	// The next sweeps leave it out of their sets, and it is not retried
	// before its backoff ends.
	outs, err = f.env.DB.SweepDue(ctx, 200)
	require.NoError(t, err)
	require.Empty(t, outs)
	done, err := f.env.DB.RetryStuck(ctx)
	require.NoError(t, err)
	require.Zero(t, done)

	// Mended, and its backoff over: it is recorded, once.
	require.NoError(t, f.env.Exec(ctx, "DROP TRIGGER refuse_one ON case_history"))
	f.env.DB.Now = func() time.Time { return time.Now().Add(time.Minute) }
	done, err = f.env.DB.RetryStuck(ctx)
	require.NoError(t, err)
	require.Equal(t, 1, done)
	require.Equal(t, "breached", f.clock(t, bad).Status)
	require.Equal(t, 1, f.historyEvents(t, bad)["clock_breached"])
	stuck, err = f.env.DB.StuckItems(ctx)
	require.NoError(t, err)
	require.Zero(t, stuck["clock"])
}
