package queue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/hibiken/asynq"

	"caseflow/internal/caseflow"
)

// enqueue puts a timer task on the queue under its task id; a task that is
// already there is left alone.
func (w *Worker) enqueue(ctx context.Context, kind, taskID string, payload []byte, at time.Time) error {
	opts := []asynq.Option{asynq.TaskID(taskID), asynq.ProcessAt(at), asynq.Queue(w.Queue), asynq.MaxRetry(25), asynq.Timeout(30 * time.Second)}
	if kind == caseflow.DeliveryTaskType {
		opts = append(opts, asynq.MaxRetry(w.DeliveryRetries), asynq.Timeout(w.DeliveryTimeout+5*time.Second))
	}
	_, err := w.client.EnqueueContext(ctx, asynq.NewTask(kind, payload), opts...)
	if errors.Is(err, asynq.ErrTaskIDConflict) {
		return nil
	}
	return err
}

// handleTimer records the warning or breach of a clock timer. It trusts
// nothing in the task but the clock id: the clock row decides.
func (w *Worker) handleTimer(ctx context.Context, t *asynq.Task) error {
	var p caseflow.TimerPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil {
		// Retrying cannot mend it; the sweeper still catches the clock.
		return fmt.Errorf("%w: decoding the timer payload %q: %v", asynq.SkipRetry, t.Payload(), err)
	}
	out, err := w.DB.HandleTimer(ctx, p)
	if err != nil {
		return err
	}
	// The queue keeps whole seconds and workers' clocks differ, so a timer
	// may run early. A short wait is taken here; a long one goes back on the
	// queue under an id derived from this task's own, so that an early
	// re-run can itself be re-scheduled.
	for tries := 0; out.Early != nil && tries < 3; tries++ {
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
		if out, err = w.DB.HandleTimer(ctx, p); err != nil {
			return err
		}
	}
	if out.Early != nil {
		return fmt.Errorf("timer for clock %d still early after waiting", p.ClockID)
	}
	w.recorded(out, false)
	return nil
}

// recorded updates the metrics and hands notifications to the notifier.
func (w *Worker) recorded(out *caseflow.TimerOutcome, bySweeper bool) {
	if !out.Recorded {
		return
	}
	kind := "warning"
	for _, n := range out.Notifications {
		kind = n.Kind
	}
	if w.Metrics != nil {
		if kind == "breach" {
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

// sweep records every due warning and breach the timers missed.
func (w *Worker) sweep(ctx context.Context) error {
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
