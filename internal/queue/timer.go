package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/hibiken/asynq"

	"caseflow/internal/caseflow"
)

// enqueue puts a timer task on the queue under its task id; a task that is
// already there is left alone.
func (w *Worker) enqueue(ctx context.Context, kind, taskID string, payload []byte, at time.Time) error {
	_, err := w.enqueueNew(ctx, kind, taskID, payload, at)
	return err
}

// enqueueNew is enqueue, saying whether the task was added (not already
// there).
func (w *Worker) enqueueNew(ctx context.Context, kind, taskID string, payload []byte, at time.Time) (bool, error) {
	opts := []asynq.Option{asynq.TaskID(taskID), asynq.ProcessAt(at), asynq.Queue(w.Queue), asynq.MaxRetry(25), asynq.Timeout(30 * time.Second)}
	if kind == caseflow.DeliveryTaskType {
		opts = append(opts, asynq.MaxRetry(w.DeliveryRetries), asynq.Timeout(w.DeliveryTimeout+5*time.Second))
	}
	_, err := w.client.EnqueueContext(ctx, asynq.NewTask(kind, payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return false, nil
	}
	return err == nil, err
}

// handleTimer records the warning or breach of a clock timer. It trusts
// nothing in the task but the clock id: the clock row decides.
func (w *Worker) handleTimer(ctx context.Context, t *asynq.Task) error {
	var p caseflow.TimerPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		// Retrying cannot mend it; the sweeper still catches the clock.
		return fmt.Errorf("%w: decoding the timer payload %q: %v", asynq.SkipRetry, t.Payload(), err)
	}
	// The queue keeps whole seconds and workers' clocks differ, so a timer
	// may run early. A short wait is taken here; a long one goes back on the
	// queue under an id derived from this task's own, so that an early
	// re-run can itself be re-scheduled.
	for tries := 0; ; tries++ {
		if p.Kind == caseflow.NotificationBreach {
			done, err := w.breachSet(ctx, p)
			if err != nil || done {
				return err
			}
		}
		out, err := w.DB.HandleTimer(ctx, p)
		if err != nil {
			return err
		}
		if out.Early == nil {
			w.recorded(out, false)
			return nil
		}
		if tries == 3 {
			return fmt.Errorf("timer for clock %d still early after waiting", p.ClockID)
		}
		wait := out.Early.Sub(w.DB.CurrentTime())
		if wait > 3*time.Second {
			id, _ := asynq.GetTaskID(ctx)
			if id == "" {
				id = caseflow.TimerTaskID(p)
			}
			return w.enqueue(ctx, caseflow.TimerTaskType, fmt.Sprintf("%s-r%d", id, tries), t.Payload(), out.Early.Add(10*time.Millisecond))
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait + 10*time.Millisecond):
		}
	}
}

// breachSet records the breaches of every clock due by now, up to a batch,
// in one transaction: when many clocks fall due together, the first timers
// to run record them all, and the timers of those already recorded find
// their clock done with one read. Only a few sets are written at once (more
// would fight over the same rows and pages); a timer waiting for its turn
// looks again at its clock first. It says whether the timer has nothing
// left to do: its clock was recorded, or no longer runs. If not (not yet
// due, locked by another set, or the set failed), the timer goes on by its
// clock alone.
func (w *Worker) breachSet(ctx context.Context, p caseflow.TimerPayload) (bool, error) {
	if w.breached.has(p.ClockID) {
		return true, nil
	}
	due, running, err := w.DB.ClockDue(ctx, p)
	if err != nil || !running || due.After(w.DB.CurrentTime()) {
		return !running, err
	}
	select {
	case w.sets <- struct{}{}:
	case <-ctx.Done():
		return false, ctx.Err()
	}
	defer func() { <-w.sets }()
	if _, running, err = w.DB.ClockDue(ctx, p); err != nil || !running {
		return !running, err
	}
	outs, err := w.DB.BreachDue(ctx, w.BreachBatch)
	if err != nil {
		// One clock that cannot be written must not stop the others: the
		// timer records its own clock by itself.
		w.Log.Error("recording due breaches as a set failed; recording this clock alone", "clock_id", p.ClockID, "err", err.Error())
		return false, nil
	}
	own := false
	for _, o := range outs {
		w.recorded(o, false)
		w.breached.add(o.ClockID)
		own = own || o.ClockID == p.ClockID
	}
	if w.Metrics != nil && len(outs) > 0 {
		w.Metrics.BreachBatch.Observe(float64(len(outs)))
	}
	return own, nil
}

// recorded updates the metrics and hands notifications to the notifier.
func (w *Worker) recorded(out *caseflow.TimerOutcome, bySweeper bool) {
	if !out.Recorded {
		return
	}
	kind := out.Kind
	if w.Metrics != nil {
		if kind == caseflow.NotificationBreach {
			agency := out.Agency
			if agency == "" {
				agency = "none"
			}
			w.Metrics.Breaches.WithLabelValues(out.Clock, agency).Inc()
			w.Metrics.Lateness.Observe(out.Lateness.Seconds())
		} else {
			w.Metrics.Warnings.WithLabelValues(out.Clock).Inc()
		}
		if bySweeper {
			w.Metrics.SweeperCaught.WithLabelValues(kind).Inc()
		}
	}
	// The notifications' deliveries were queued with them, in the
	// transaction that recorded them: nothing is sent from here.
}

// relay moves outbox rows to the queue until none are left.
func (w *Worker) relay(ctx context.Context) error {
	for {
		n, err := w.DB.RelayOutbox(ctx, 200, func(it caseflow.OutboxItem) error {
			return w.enqueue(ctx, it.Kind, it.TaskID, it.Payload, it.RunAt)
		})
		if w.Metrics != nil {
			w.Metrics.Relayed.Add(float64(n))
		}
		if err != nil || n < 200 {
			return err
		}
	}
}

// sweep records every due warning and breach the timers missed, tries
// again the clocks set aside, and puts back on the queue the deliveries
// whose task was lost.
func (w *Worker) sweep(ctx context.Context) error {
	if n, err := w.restoreDeliveries(ctx); err != nil {
		w.Log.Error("restoring the tasks of open deliveries failed", "err", err.Error())
	} else if n > 0 {
		w.Log.Info("deliveries put back on the queue", "deliveries", n)
	}
	if n, err := w.DB.RetryStuck(ctx); err != nil {
		w.Log.Error("retrying the clocks set aside failed", "err", err.Error())
	} else if n > 0 {
		w.Log.Info("clocks set aside went through", "clocks", n)
	}
	for {
		outs, err := w.DB.SweepDue(ctx, 200)
		if err != nil {
			return err
		}
		for _, o := range outs {
			w.recorded(o, true)
		}
		if len(outs) < 200 {
			return nil
		}
	}
}

// restoreTimers enqueues the timers of every running clock, so that timers
// Redis lost come back; those it still has are left alone.
func (w *Worker) restoreTimers(ctx context.Context) (int, error) {
	var after int64
	n := 0
	for {
		ps, ats, last, err := w.DB.PendingTimers(ctx, after, 1000)
		if err != nil {
			return n, err
		}
		for i, p := range ps {
			raw, err := json.Marshal(p)
			if err != nil {
				return n, fmt.Errorf("clock %d: encoding its %s timer: %w", p.ClockID, p.Kind, err)
			}
			if err := w.enqueue(ctx, caseflow.TimerTaskType, caseflow.TimerTaskID(p), raw, ats[i]); err != nil {
				return n, err
			}
			n++
		}
		if len(ps) == 0 || last == after {
			return n, nil
		}
		after = last
	}
}

// recentClocks remembers the clocks this worker breached lately, so that
// the timers of a set it recorded end without reading the database. A
// breach is final: whatever the timer's generation, a breached clock has
// nothing left to do. It keeps between limit and twice limit clocks.
type recentClocks struct {
	mu        sync.Mutex
	limit     int
	cur, prev map[int64]struct{}
}

func (r *recentClocks) add(id int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cur == nil || len(r.cur) >= r.limit {
		r.prev, r.cur = r.cur, make(map[int64]struct{}, r.limit)
	}
	r.cur[id] = struct{}{}
}

func (r *recentClocks) has(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, a := r.cur[id]
	_, b := r.prev[id]
	return a || b
}

// restoreDeliveries enqueues the task of every delivery neither sent nor
// dead that was due more than a minute ago: one whose task Redis still
// holds (waiting for its retry, or running) is left alone, since the task
// id is the delivery's; one whose task was lost (a failover, a flush) runs
// again. It says how many were put back.
func (w *Worker) restoreDeliveries(ctx context.Context) (int, error) {
	before := w.DB.CurrentTime().Add(-time.Minute)
	var after int64
	n := 0
	for {
		ids, last, err := w.DB.OpenDeliveries(ctx, before, after, 1000)
		if err != nil || len(ids) == 0 {
			return n, err
		}
		for _, id := range ids {
			raw, err := json.Marshal(caseflow.DeliveryPayload{DeliveryID: id})
			if err != nil {
				return n, err
			}
			added, err := w.enqueueNew(ctx, caseflow.DeliveryTaskType, caseflow.DeliveryTaskID(id), raw, w.DB.CurrentTime())
			if err != nil {
				return n, err
			}
			if added {
				n++
			}
		}
		after = last
	}
}
