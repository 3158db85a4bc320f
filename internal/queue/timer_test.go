package queue_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/testenv"
)

// lateness is the longest a breach may be recorded after its due time: the
// queue moves scheduled timers every second (TimerCheckInterval) and keeps
// whole seconds.
const lateness = 2 * time.Second

func TestTimer(t *testing.T) {
	t.Parallel()

	t.Run("BreachesWithinTwoSecondsOfDue", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		w := f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: time.Hour})
		due := time.Now().Add(2 * time.Second)
		code := f.file(t, due)

		k := f.waitClock(t, code, due.Add(lateness+2*time.Second), breached)
		require.Equal(t, "breached", k.Status)
		require.NotNil(t, k.BreachedAt)
		late := k.BreachedAt.Sub(k.DueAt)
		t.Logf("breach recorded %v after the due time", late)
		require.GreaterOrEqual(t, late, time.Duration(0), "breached before its due time")
		require.Less(t, late, lateness)
		require.Equal(t, officerAgency, k.AgencyCode)
		require.Equal(t, 1, k.Generation)

		require.Equal(t, map[string]int{code: 1}, f.notifications(t, f.officer, "breach"), "the responsible agency is told")
		require.Equal(t, map[string]int{code: 1}, f.notifications(t, f.supervisor, "breach"), "the supervisors are told")
		require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"])

		require.Eventually(t, func() bool {
			return w.counter(t, "caseflow_clock_breaches_total", "clock", testClock, "agency", officerAgency) == 1
		}, 2*time.Second, 20*time.Millisecond)
		require.Zero(t, w.counter(t, "caseflow_sweeper_catches_total"), "the timer, not the sweeper, caught it")
		require.Eventually(t, func() bool {
			return len(w.notifier.delivered("breach")) == 2
		}, 5*time.Second, 20*time.Millisecond, "the deliveries were sent")
		require.Equal(t, map[string]int{code + "/agency": 1, code + "/supervisors": 1}, w.notifier.delivered("breach"))
		require.Zero(t, w.notifier.repeats())
	})

	t.Run("StoppedClockNeverBreaches", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		// A short sweep interval too: neither path may touch a stopped clock.
		f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: 500 * time.Millisecond})
		due := time.Now().Add(3 * time.Second)
		code := f.file(t, due)
		// The warning is due at once (three quarters of the hour have
		// passed); let it be recorded first, so that the stop does not race
		// it (that race is StopEventRacingTheBreachBothSucceed's).
		k := f.waitClock(t, code, due, func(k caseflow.Clock) bool { return k.WarnedAt != nil })
		require.NotNil(t, k.WarnedAt)

		_, err := f.cases.Fire(context.Background(), f.officer, code, caseflow.EventRequest{Event: "respond", Version: 1})
		require.NoError(t, err)
		require.True(t, time.Now().Before(due), "stopped too late for the test")
		time.Sleep(time.Until(due.Add(lateness + 500*time.Millisecond)))

		k = f.clock(t, code)
		require.Equal(t, "stopped", k.Status)
		require.NotNil(t, k.StoppedAt)
		require.True(t, k.StoppedAt.Before(k.DueAt))
		require.Nil(t, k.BreachedAt)
		require.Empty(t, f.notifications(t, f.officer, "breach"))
		require.Empty(t, f.notifications(t, f.supervisor, "breach"))
		require.Zero(t, f.historyEvents(t, code)["clock_breached"])

		out, err := f.env.DB.HandleTimer(context.Background(), payload(k, "breach"))
		require.NoError(t, err)
		require.False(t, out.Recorded, "a late timer of a stopped clock records nothing")
		require.Nil(t, out.Early)
	})

	t.Run("ExtensionMovesDueAndOldTimerDoesNothing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: 500 * time.Millisecond})
		due := time.Now().Add(3 * time.Second)
		code := f.file(t, due)
		before := f.clock(t, code)
		require.Equal(t, 1, before.Generation)

		ctx := context.Background()
		req := casework.ExtensionRequest{Clock: testClock, Duration: "1 hours",
			Reason: "Chờ kết quả xác minh (fictional)", LegalBasis: "Nghị định 56/2017/NĐ-CP (test)"}
		_, k, err := f.cases.Extend(ctx, f.officer, code, req)
		require.NoError(t, err)
		require.Equal(t, before.DueAt.Add(time.Hour), k.DueAt)
		require.Equal(t, 2, k.Generation)
		require.Len(t, k.Extensions, 1)

		// Beyond max_total (3 hours from the start) is refused.
		req.Duration = "2 hours"
		_, _, err = f.cases.Extend(ctx, f.officer, code, req)
		require.Equal(t, caseflow.EInvalid, caseflow.ErrorCode(err))

		// The first generation's timer fires at the old due time and must
		// do nothing.
		time.Sleep(time.Until(due.Add(lateness + 500*time.Millisecond)))
		k2 := f.clock(t, code)
		require.Equal(t, "running", k2.Status)
		require.Equal(t, 2, k2.Generation)
		require.Equal(t, k.DueAt, k2.DueAt)
		require.Nil(t, k2.BreachedAt)
		require.Empty(t, f.notifications(t, f.officer, "breach"))
		require.Empty(t, f.notifications(t, f.supervisor, "breach"))
		h := f.historyEvents(t, code)
		require.Zero(t, h["clock_breached"])
		require.Equal(t, 1, h["clock_extended"])

		out, err := f.env.DB.HandleTimer(ctx, payload(before, "breach"))
		require.NoError(t, err)
		require.False(t, out.Recorded, "the old generation's timer records nothing")
		require.Nil(t, out.Early, "the old generation's timer is not re-scheduled")
		out, err = f.env.DB.HandleTimer(ctx, payload(k2, "breach"))
		require.NoError(t, err)
		require.False(t, out.Recorded)
		require.NotNil(t, out.Early, "the new generation's timer is early")
		require.True(t, out.Early.Equal(k2.DueAt))
	})

	t.Run("LateReportBreachesOnArrival", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		w := f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: time.Hour})
		filed := time.Now()
		code := f.file(t, filed.Add(-time.Hour)) // received two hours ago: an hour overdue

		k := f.waitClock(t, code, filed.Add(lateness+3*time.Second), breached)
		require.Equal(t, "breached", k.Status)
		// At once: the outbox relay (every 200ms) hands the timer to the
		// queue to run now, and a worker takes it at its next poll.
		took := k.BreachedAt.Sub(filed)
		t.Logf("breach recorded %v after filing", took)
		require.Less(t, took, lateness+time.Second, "breached at once, not at the next sweep an hour later")
		require.Nil(t, k.WarnedAt, "overdue on arrival: no warning, only the breach")
		require.Equal(t, map[string]int{code: 1}, f.notifications(t, f.officer, "breach"))
		require.Equal(t, map[string]int{code: 1}, f.notifications(t, f.supervisor, "breach"))
		require.Empty(t, f.notifications(t, f.officer, "warning"))
		require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"])
		require.Zero(t, w.counter(t, "caseflow_sweeper_catches_total"))
	})

	t.Run("EarlyRunRecordsNothing", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		code := f.file(t, time.Now().Add(time.Hour))
		k := f.clock(t, code)
		ctx := context.Background()

		out, err := f.env.DB.HandleTimer(ctx, payload(k, "breach"))
		require.NoError(t, err)
		require.False(t, out.Recorded)
		require.NotNil(t, out.Early, "an early run asks to be run again")
		require.True(t, out.Early.Equal(k.DueAt), "at the due time: %v, want %v", out.Early, k.DueAt)
		out, err = f.env.DB.HandleTimer(ctx, payload(k, "warning"))
		require.NoError(t, err)
		require.False(t, out.Recorded)
		require.NotNil(t, out.Early)
		require.True(t, out.Early.Equal(k.WarnAt))

		k = f.clock(t, code)
		require.Equal(t, "running", k.Status)
		require.Nil(t, k.WarnedAt)
		require.Nil(t, k.BreachedAt)
		require.Zero(t, f.count(t, "case_history WHERE kind = 'clock'"))
		require.Zero(t, f.count(t, "notifications"))
	})

	// The queue keeps whole seconds, and several worker processes each move
	// due timers on their own one-second tick, so a timer re-scheduled after
	// an early run can itself run early. It must then be re-scheduled again,
	// not dropped. A handler whose clock is 3 s behind the queue's (more than
	// a forwarder tick plus a processor poll) makes every run early, so the
	// case that happens by chance with several workers happens every time
	// here; the breach must still come from the timer, soon after the due
	// time by the handler's clock.
	t.Run("EarlyRunReschedulesUntilDue", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		const skew = 3 * time.Second
		behind, err := testenv.OpenDB(context.Background(), f.env.URL, f.env.DB.Keys)
		require.NoError(t, err)
		t.Cleanup(func() { _ = behind.Close() })
		behind.Now = func() time.Time { return time.Now().Add(-skew) }
		w := f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: time.Hour, db: behind})
		due := time.Now().Add(2 * time.Second)
		code := f.file(t, due)

		k := f.waitClock(t, code, due.Add(skew+lateness+2*time.Second), breached)
		require.Equal(t, "breached", k.Status, "the timer was dropped after running early twice")
		require.Less(t, k.BreachedAt.Sub(k.DueAt), lateness+time.Second)
		require.Zero(t, w.counter(t, "caseflow_sweeper_catches_total"))
	})
}

func TestHandleTimer(t *testing.T) {
	t.Parallel()

	t.Run("RepeatedRunsRecordOneBreach", func(t *testing.T) {
		t.Parallel()
		f := newFixture(t)
		ctx := context.Background()
		due := time.Now().Add(-time.Second)
		twice, tenfold := f.file(t, due), f.file(t, due)

		k := f.clock(t, twice)
		first, err := f.env.DB.HandleTimer(ctx, payload(k, "breach"))
		require.NoError(t, err)
		require.True(t, first.Recorded)
		require.Equal(t, 2, first.Notified, "one for the agency, one for the supervisors")
		require.Equal(t, testClock, first.Clock)
		require.Equal(t, officerAgency, first.Agency)
		again, err := f.env.DB.HandleTimer(ctx, payload(k, "breach"))
		require.NoError(t, err)
		require.False(t, again.Recorded)
		require.Zero(t, again.Notified)
		require.Nil(t, again.Early)

		k = f.clock(t, tenfold)
		outs := make([]*caseflow.TimerOutcome, 10)
		errs := make([]error, 10)
		var wg sync.WaitGroup
		for i := range outs {
			wg.Go(func() { outs[i], errs[i] = f.env.DB.HandleTimer(ctx, payload(k, "breach")) })
		}
		wg.Wait()
		recorded := 0
		for i := range outs {
			require.NoError(t, errs[i])
			if outs[i].Recorded {
				recorded++
				require.Equal(t, 2, outs[i].Notified)
			} else {
				require.Zero(t, outs[i].Notified)
			}
		}
		require.Equal(t, 1, recorded, "exactly one of ten concurrent runs records the breach")

		for _, code := range []string{twice, tenfold} {
			k := f.clock(t, code)
			require.Equal(t, "breached", k.Status)
			require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"], code)
		}
		want := map[string]int{twice: 1, tenfold: 1}
		require.Equal(t, want, f.notifications(t, f.officer, "breach"))
		require.Equal(t, want, f.notifications(t, f.supervisor, "breach"))
		require.Equal(t, 4, f.count(t, "notifications WHERE kind = 'breach'"))
	})

	// A stop event fired just as the clock falls due races the breach
	// timer. Both must succeed, one after the other: the officer must not
	// get an internal error for recording what was done, and the timer must
	// not fail and retry. The clock ends stopped, or breached and then met.
	t.Run("StopEventRacingTheBreachBothSucceed", func(t *testing.T) {
		t.Parallel()
		const n = 20
		f := newFixture(t)
		ctx := context.Background()
		codes := f.fileMany(t, n, time.Now().Add(-time.Second))
		var failures []string
		for _, code := range codes {
			k := f.clock(t, code)
			var fireErr, timerErr error
			start := make(chan struct{})
			var wg sync.WaitGroup
			wg.Go(func() {
				<-start
				_, fireErr = f.cases.Fire(ctx, f.officer, code, caseflow.EventRequest{Event: "respond", Version: 1})
			})
			wg.Go(func() {
				<-start
				_, timerErr = f.env.DB.HandleTimer(ctx, payload(k, "breach"))
			})
			close(start)
			wg.Wait()
			if fireErr != nil || timerErr != nil {
				failures = append(failures, fmt.Sprintf("%s: stop event: %v; timer: %v", code, fireErr, timerErr))
				continue
			}
			k = f.clock(t, code)
			require.NotNil(t, k.StoppedAt, code)
			switch k.Status {
			case "stopped":
				require.Nil(t, k.BreachedAt, code)
				require.Zero(t, f.historyEvents(t, code)["clock_breached"], code)
			case "breached":
				require.Equal(t, 1, f.historyEvents(t, code)["clock_breached"], code)
			default:
				t.Fatalf("%s: clock %s", code, k.Status)
			}
		}
		require.Empty(t, failures, "%d of %d races failed", len(failures), n)
	})
}
