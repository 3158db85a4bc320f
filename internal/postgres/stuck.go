package postgres

import (
	"context"
	"time"

	"caseflow/internal/caseflow"
)

// A batch never stops for one item: a clock whose warning or breach cannot
// be written, or an outbox row the queue refuses, is set aside in
// stuck_items with its error, left out of the batches, and tried again on
// its own with backoff until it goes through.

// stuckBackoff is the wait before the next attempt after n failures: 30 s
// doubling, at most an hour.
func stuckBackoff(n int) time.Duration {
	return min(30*time.Second<<min(n-1, 10), time.Hour)
}

// setAside records a failure of an item, outside any batch transaction.
func (db *DB) setAside(ctx context.Context, kind string, id int64, cause error) error {
	now := db.now()
	var failures int
	if err := db.gorm.WithContext(context.WithoutCancel(ctx)).Raw(`INSERT INTO stuck_items (kind, item_id, failures, last_error, first_failed_at, next_attempt_at)
		VALUES (?, ?, 1, ?, ?, ?)
		ON CONFLICT (kind, item_id) DO UPDATE SET failures = stuck_items.failures + 1, last_error = EXCLUDED.last_error
		RETURNING failures`, kind, id, clip(cause.Error(), 500), now, now.Add(stuckBackoff(1))).Scan(&failures).Error; err != nil {
		return err
	}
	if failures > 1 {
		return db.gorm.WithContext(context.WithoutCancel(ctx)).Exec("UPDATE stuck_items SET next_attempt_at = ? WHERE kind = ? AND item_id = ?",
			now.Add(stuckBackoff(failures)), kind, id).Error
	}
	return nil
}

// recordEach records the due clocks of kind one by one, each in its own
// transaction, after a set of them could not be written: those that fail
// are set aside, the others are recorded.
func (db *DB) recordEach(ctx context.Context, kind string, limit int, cause error) ([]*caseflow.TimerOutcome, error) {
	now := db.now()
	q := "SELECT id, generation FROM case_clocks WHERE status = 'running' AND due_at <= ?"
	if kind == caseflow.NotificationWarning {
		q = "SELECT id, generation FROM case_clocks WHERE status = 'running' AND warned_at IS NULL AND warn_at <= ? AND due_at > ?"
	}
	q += " AND NOT EXISTS (SELECT 1 FROM stuck_items s WHERE s.kind = 'clock' AND s.item_id = case_clocks.id) ORDER BY id LIMIT ?"
	args := []any{now}
	if kind == caseflow.NotificationWarning {
		args = append(args, now)
	}
	var due []struct {
		ID         int64
		Generation int
	}
	if err := db.gorm.WithContext(ctx).Raw(q, append(args, limit)...).Scan(&due).Error; err != nil {
		return nil, err
	}
	db.Log.Warn("a set of due clocks could not be written; recording them one by one", "kind", kind, "clocks", len(due), "err", cause.Error())
	var outs []*caseflow.TimerOutcome
	for _, d := range due {
		o, err := db.HandleTimer(ctx, caseflow.TimerPayload{ClockID: d.ID, Generation: d.Generation, Kind: kind})
		if err != nil {
			if ctx.Err() != nil {
				return outs, ctx.Err()
			}
			db.Log.Error("a due clock cannot be recorded; set aside and tried again later", "clock_id", d.ID, "kind", kind, "err", err.Error())
			if serr := db.setAside(ctx, "clock", d.ID, err); serr != nil {
				return outs, serr
			}
			continue
		}
		if o.Recorded {
			outs = append(outs, o)
		}
	}
	return outs, nil
}

// RetryStuck tries again, one by one, the clocks set aside whose next
// attempt is due, each getting the warning or breach it is due, and says
// how many went through. (An outbox row set aside is taken again by the
// relay once its next attempt is due.)
func (db *DB) RetryStuck(ctx context.Context) (int, error) {
	now := db.now()
	var clocks []struct {
		ID         int64
		Generation int
		Status     string
		DueAt      time.Time
		Warned     bool
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT k.id, k.generation, k.status, k.due_at, k.warned_at IS NOT NULL AS warned
		FROM stuck_items s JOIN case_clocks k ON k.id = s.item_id WHERE s.kind = 'clock' AND s.next_attempt_at <= ? ORDER BY s.next_attempt_at LIMIT 200`,
		now).Scan(&clocks).Error; err != nil {
		return 0, err
	}
	n := 0
	for _, k := range clocks {
		kind := caseflow.NotificationBreach
		if k.DueAt.After(now) {
			kind = caseflow.NotificationWarning
		}
		if k.Status == "running" && !(kind == caseflow.NotificationWarning && k.Warned) {
			if _, err := db.HandleTimer(ctx, caseflow.TimerPayload{ClockID: k.ID, Generation: k.Generation, Kind: kind}); err != nil {
				if ctx.Err() != nil {
					return n, ctx.Err()
				}
				if serr := db.setAside(ctx, "clock", k.ID, err); serr != nil {
					return n, serr
				}
				continue
			}
		}
		if err := db.gorm.WithContext(ctx).Exec("DELETE FROM stuck_items WHERE kind = 'clock' AND item_id = ?", k.ID).Error; err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// StuckItems counts the items set aside, by kind, for metrics.
func (db *DB) StuckItems(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Kind string
		N    int64
	}
	if err := db.gorm.WithContext(ctx).Raw("SELECT kind, count(*) AS n FROM stuck_items GROUP BY kind").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]int64{"clock": 0, "outbox": 0}
	for _, r := range rows {
		out[r.Kind] = r.N
	}
	return out, nil
}

// ListStuckItems lists the items set aside, oldest failure first, for the
// administrators.
func (db *DB) ListStuckItems(ctx context.Context) ([]caseflow.StuckItem, error) {
	var rows []struct {
		Kind          string
		ItemID        int64
		CaseCode      string
		Failures      int
		LastError     string
		FirstFailedAt time.Time
		NextAttemptAt time.Time
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT s.kind, s.item_id, coalesce(c.code, '') AS case_code, s.failures, s.last_error,
			s.first_failed_at, s.next_attempt_at
		FROM stuck_items s LEFT JOIN case_clocks k ON s.kind = 'clock' AND k.id = s.item_id LEFT JOIN cases c ON c.id = k.case_id
		ORDER BY s.first_failed_at LIMIT 500`).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.StuckItem, len(rows))
	for i, r := range rows {
		out[i] = caseflow.StuckItem{Kind: r.Kind, ID: r.ItemID, CaseCode: r.CaseCode, Failures: r.Failures, LastError: r.LastError,
			FirstFailedAt: r.FirstFailedAt.UTC(), NextAttemptAt: r.NextAttemptAt.UTC()}
	}
	return out, nil
}
