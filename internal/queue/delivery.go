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

// handleDelivery sends one delivery on its channel, within the delivery
// timeout, and records how it went. A failure goes back to the queue, which
// retries with backoff; the last failure leaves the delivery dead. A
// delivery already sent is not sent again, however often its task runs.
func (w *Worker) handleDelivery(ctx context.Context, t *asynq.Task) error {
	var p caseflow.DeliveryPayload
	if err := json.Unmarshal(t.Payload(), &p); err != nil || p.DeliveryID == 0 {
		return fmt.Errorf("%w: decoding the delivery payload %q", asynq.SkipRetry, t.Payload())
	}
	d, err := w.DB.Delivery(ctx, p.DeliveryID)
	var de *caseflow.Error
	if errors.As(err, &de) && de.Code == caseflow.ENotFound {
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	if err != nil {
		return err
	}
	if d.Status == caseflow.DeliverySent || d.Status == caseflow.DeliveryDead {
		return nil
	}
	sender := w.Senders[d.Channel]
	if sender == nil {
		err := fmt.Errorf("no sender is configured for the %s channel", d.Channel)
		if rerr := w.DB.DeliveryAttempted(ctx, d.ID, err, true); rerr != nil {
			return rerr
		}
		w.deliveryMetric(d, "dead")
		return fmt.Errorf("%w: %v", asynq.SkipRetry, err)
	}
	sctx, cancel := context.WithTimeout(ctx, w.DeliveryTimeout)
	sendErr := sender.Send(sctx, *d)
	cancel()
	retried, _ := asynq.GetRetryCount(ctx)
	maxRetry, ok := asynq.GetMaxRetry(ctx)
	last := ok && retried >= maxRetry
	// The outcome is recorded even if the task's own time ran out.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if err := w.DB.DeliveryAttempted(rctx, d.ID, sendErr, last); err != nil {
		return err
	}
	switch {
	case sendErr == nil:
		w.deliveryMetric(d, "sent")
		if w.Metrics != nil {
			w.Metrics.DeliveryLatency.WithLabelValues(d.Channel).Observe(w.DB.CurrentTime().Sub(d.NotBefore).Seconds())
		}
		return nil
	case last:
		w.deliveryMetric(d, "dead")
		w.Log.Warn("delivery dead", "delivery", d.ID, "channel", d.Channel, "attempts", retried+1, "err", sendErr.Error())
	default:
		w.deliveryMetric(d, "failed")
	}
	return fmt.Errorf("delivery %d on %s: %w", d.ID, d.Channel, sendErr)
}

func (w *Worker) deliveryMetric(d *caseflow.Delivery, outcome string) {
	if w.Metrics != nil {
		w.Metrics.Deliveries.WithLabelValues(d.Channel, outcome).Inc()
	}
}
