package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
	"caseflow/internal/outage"
)

// clock turns a clock row into the domain clock. Extensions that do not
// decode are an error: a clock shown without them would hide why its due
// time moved.
func (r clockRow) clock(agencyCode string) (caseflow.Clock, error) {
	c := caseflow.Clock{ID: r.ID, Clock: r.Clock, Instance: r.Instance, Status: r.Status, Generation: r.Generation,
		Responsible: caseflow.AgencyType(r.ResponsibleType), AgencyCode: agencyCode, Category: r.Category,
		Rule: r.LimitRule, Amount: r.LimitAmount, Basis: r.LegalBasis, Policy: r.CalendarPolicy, StartedAt: r.StartedAt.UTC(), DueAt: r.DueAt.UTC(),
		WarnAt: r.WarnAt.UTC(), WarnedAt: utcPtr(r.WarnedAt), StoppedAt: utcPtr(r.StoppedAt), BreachedAt: utcPtr(r.BreachedAt)}
	if len(r.Extensions) > 0 {
		if err := json.Unmarshal(r.Extensions, &c.Extensions); err != nil {
			return caseflow.Clock{}, fmt.Errorf("clock %d: decoding its extensions: %w", r.ID, err)
		}
	}
	if c.Extensions == nil {
		c.Extensions = []caseflow.Extension{}
	}
	return c, nil
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// Clocks lists the clocks of a case the viewer may know of, newest first.
func (db *DB) Clocks(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, []caseflow.Clock, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, nil, err
	}
	var rows []clockRow
	if err := db.gorm.WithContext(ctx).Where("case_id = ?", c.ID).Order("started_at DESC, id DESC").Find(&rows).Error; err != nil {
		return nil, nil, err
	}
	var agencies []agencyRow
	if err := db.gorm.WithContext(ctx).Where("id IN (SELECT responsible_agency FROM case_clocks WHERE case_id = ?)", c.ID).
		Find(&agencies).Error; err != nil {
		return nil, nil, err
	}
	codes := map[int64]string{}
	for _, a := range agencies {
		codes[a.ID] = a.Code
	}
	mine, provider, err := db.providerOnly(ctx, v, c.ID)
	if err != nil {
		return nil, nil, err
	}
	vt, err := db.vaultOf(db.gorm.WithContext(ctx), c.ID, false)
	if err != nil {
		return nil, nil, err
	}
	out := make([]caseflow.Clock, 0, len(rows))
	for _, r := range rows {
		if provider && !mine[r.Instance] {
			continue // a deadline of the procedure, not of the provider's referral
		}
		code := ""
		if r.ResponsibleAgency != nil {
			code = codes[*r.ResponsibleAgency]
		}
		k, err := r.clock(code)
		if err != nil {
			return nil, nil, err
		}
		if err := openExtensions(vt, &k); err != nil {
			return nil, nil, err
		}
		out = append(out, k)
	}
	return c, out, nil
}

// HandleTimer records the warning or breach a timer stands for, exactly
// once: it re-reads the clock, ignores a timer of an older generation or a
// clock no longer running, reports an early run, and marks the clock with a
// conditional update so that however often it runs, one breach is recorded.
func (db *DB) HandleTimer(ctx context.Context, p caseflow.TimerPayload) (*caseflow.TimerOutcome, error) {
	out := &caseflow.TimerOutcome{}
	err := db.write(ctx, func(tx *gorm.DB) error {
		var k clockRow
		err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", p.ClockID).Take(&k).Error
		if err == gorm.ErrRecordNotFound {
			return nil
		}
		if err != nil {
			return err
		}
		return db.recordTimer(tx, k, p, out)
	})
	return out, err
}

func (db *DB) recordTimer(tx *gorm.DB, k clockRow, p caseflow.TimerPayload, out *caseflow.TimerOutcome) error {
	if k.Status != "running" || k.Generation != p.Generation {
		return nil
	}
	now := db.now()
	at := k.DueAt
	if p.Kind == "warning" {
		at = k.WarnAt
		if k.WarnedAt != nil {
			return nil
		}
	}
	if at.After(now) {
		out.Early = &at
		return nil
	}
	var ks []clockRow
	var err error
	args := map[string]any{"now": now, "id": k.ID, "gen": k.Generation}
	if p.Kind == caseflow.NotificationBreach {
		err = tx.Raw("UPDATE case_clocks k SET "+breachSet+" WHERE id = @id AND status = 'running' AND generation = @gen RETURNING "+clockEventColumns, args).
			Scan(&ks).Error
	} else {
		err = tx.Raw(`UPDATE case_clocks k SET warned_at = @now WHERE id = @id AND status = 'running' AND generation = @gen AND warned_at IS NULL
			RETURNING `+clockEventColumns, args).Scan(&ks).Error
	}
	if err != nil {
		return err
	}
	outs, err := db.clockEvents(tx, p.Kind, ks, now, "")
	if err != nil {
		return err
	}
	if len(outs) == 1 {
		*out = *outs[0]
	}
	return nil
}

// breachSet marks a clock breached at @now; the first rung of its
// escalation ladder, if it has one, falls due its hours after the breach.
const breachSet = `status = 'breached', breached_at = @now,
	escalate_at = CASE WHEN jsonb_array_length(k.escalation) > 0
		THEN CAST(@now AS timestamptz) + make_interval(hours => (k.escalation->0->>'after_hours')::int) ELSE k.escalate_at END`

// SweepDue records the breaches and warnings the timers missed, up to
// limit of each, set-wise (see recordDue). Rows are taken with SKIP LOCKED,
// so several workers sweep at once without doing the same clock twice. It
// returns what it recorded.
func (db *DB) SweepDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error) {
	outs, err := db.BreachDue(ctx, limit)
	if err != nil {
		return nil, err
	}
	ws, err := db.WarnDue(ctx, limit)
	return append(outs, ws...), err
}

// PendingTimers lists the timers every running clock should have, for
// re-enqueueing after Redis lost its data. after pages through the clocks.
func (db *DB) PendingTimers(ctx context.Context, after int64, limit int) ([]caseflow.TimerPayload, []time.Time, int64, error) {
	var rows []clockRow
	if err := db.gorm.WithContext(ctx).Where("status = 'running' AND id > ?", after).Order("id").Limit(limit).Find(&rows).Error; err != nil {
		return nil, nil, 0, err
	}
	var ps []caseflow.TimerPayload
	var ats []time.Time
	last := after
	for _, k := range rows {
		if k.WarnedAt == nil {
			ps, ats = append(ps, caseflow.TimerPayload{ClockID: k.ID, Generation: k.Generation, Kind: "warning"}), append(ats, k.WarnAt)
		}
		ps, ats = append(ps, caseflow.TimerPayload{ClockID: k.ID, Generation: k.Generation, Kind: "breach"}), append(ats, k.DueAt)
		last = k.ID
	}
	return ps, ats, last, nil
}

// RelayOutbox hands up to limit unrelayed outbox rows to send, in order,
// and marks those it accepted as relayed. No transaction is open while send
// runs (it reaches Redis): the rows are first claimed for a lease with one
// statement, with SKIP LOCKED so that several relays share the work, and
// marked relayed after. A relay that dies mid-way leaves its rows to be
// claimed again when the lease ends; sending one twice is harmless, since
// the queue drops a task whose id it holds and every task re-reads its row.
// send returning an error stops the batch; the rest are released at once
// for the next round.
func (db *DB) RelayOutbox(ctx context.Context, limit int, send func(caseflow.OutboxItem) error) (int, error) {
	now := db.now()
	var rows []outboxRow
	if err := db.gorm.WithContext(ctx).Raw(`UPDATE outbox o SET claimed_until = @until
		FROM (SELECT id FROM outbox WHERE relayed_at IS NULL AND (claimed_until IS NULL OR claimed_until < @now)
			AND NOT EXISTS (SELECT 1 FROM stuck_items s WHERE s.kind = 'outbox' AND s.item_id = outbox.id AND s.next_attempt_at > @now)
			ORDER BY id LIMIT @limit FOR UPDATE SKIP LOCKED) c
		WHERE o.id = c.id RETURNING o.id, o.kind, o.task_id, o.payload, o.run_at`,
		map[string]any{"until": now.Add(relayLease), "now": now, "limit": limit}).Scan(&rows).Error; err != nil {
		return 0, err
	}
	slices.SortFunc(rows, func(a, b outboxRow) int { return cmp.Compare(a.ID, b.ID) })
	var done, rest array[int64]
	var sendErr error
	for _, r := range rows {
		if sendErr == nil && ctx.Err() == nil {
			err := send(caseflow.OutboxItem{ID: r.ID, Kind: r.Kind, TaskID: r.TaskID, Payload: r.Payload, RunAt: r.RunAt})
			if err == nil {
				done = append(done, r.ID)
				continue
			}
			if !outage.Is(err) {
				// This row, not the queue: set aside, and on with the others.
				db.Log.Error("an outbox row was refused by the queue; set aside and tried again later", "outbox_id", r.ID, "kind", r.Kind, "err", err.Error())
				if serr := db.setAside(ctx, "outbox", r.ID, err); serr != nil {
					sendErr = serr
				}
				rest = append(rest, r.ID)
				continue
			}
			sendErr = err
		}
		rest = append(rest, r.ID)
	}
	// The marks are written even when the caller is shutting down: what was
	// sent must not be sent again for nothing.
	mark := db.gorm.WithContext(context.WithoutCancel(ctx))
	if len(done) > 0 {
		// One statement: a row set aside earlier and sent now is cleared.
		if err := mark.Exec(`WITH cleared AS (DELETE FROM stuck_items WHERE kind = 'outbox' AND item_id = ANY(@ids))
			UPDATE outbox SET relayed_at = @now, claimed_until = NULL WHERE id = ANY(@ids)`,
			map[string]any{"ids": done, "now": db.now()}).Error; err != nil {
			return 0, err
		}
	}
	if len(rest) > 0 {
		if err := mark.Exec("UPDATE outbox SET claimed_until = NULL WHERE id = ANY(?) AND relayed_at IS NULL", rest).Error; err != nil {
			return len(done), err
		}
	}
	return len(done), sendErr
}

// relayLease is how long a relay holds the outbox rows it claimed.
const relayLease = time.Minute

// ListenOutbox calls wake each time a transaction that wrote outbox rows
// commits (Postgres NOTIFY), and once on each (re)connection for rows
// written before it listened, until ctx ends. It listens on a connection of
// its own, outside the pool, and reconnects after a lost connection.
func (db *DB) ListenOutbox(ctx context.Context, wake func()) error {
	for ctx.Err() == nil {
		err := db.listenOutbox(ctx, wake)
		if ctx.Err() != nil {
			return nil
		}
		db.Log.Warn("listening for outbox rows failed; the relay polls until it listens again", "err", err.Error())
		select {
		case <-ctx.Done():
		case <-time.After(time.Second):
		}
	}
	return nil
}

func (db *DB) listenOutbox(ctx context.Context, wake func()) error {
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	conn, err := pgx.Connect(cctx, db.url)
	cancel()
	if err != nil {
		return err
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(ctx, "LISTEN caseflow_outbox"); err != nil {
		return err
	}
	wake()
	for {
		if _, err := conn.WaitForNotification(ctx); err != nil {
			return err
		}
		wake()
	}
}

// OutboxBacklog counts outbox rows not yet relayed.
func (db *DB) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("relayed_at IS NULL").Count(&n).Error
	return n, err
}

// PruneOutbox deletes relayed outbox rows older than age, and the answers
// kept for retries of requests older than that.
func (db *DB) PruneOutbox(ctx context.Context, age time.Duration) error {
	if err := db.gorm.WithContext(ctx).Exec("DELETE FROM request_keys WHERE created_at < ?", db.now().Add(-age)).Error; err != nil {
		return err
	}
	return db.gorm.WithContext(ctx).Where("relayed_at < ?", db.now().Add(-age)).Delete(&outboxRow{}).Error
}

// RunningClocks counts running clocks by clock id, for metrics.
func (db *DB) RunningClocks(ctx context.Context) (map[string]int64, error) {
	var rows []struct {
		Clock string
		N     int64
	}
	if err := db.gorm.WithContext(ctx).Raw("SELECT clock, count(*) AS n FROM case_clocks WHERE status = 'running' GROUP BY clock").
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string]int64{}
	for _, r := range rows {
		out[r.Clock] = r.N
	}
	return out, nil
}

// ClockForExtension returns a running clock of a case the viewer may act on.
func (db *DB) ClockForExtension(ctx context.Context, v caseflow.Viewer, code, clock, instance string) (*caseflow.Case, *caseflow.Clock, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, nil, err
	}
	var r clockRow
	res := db.gorm.WithContext(ctx).Where("case_id = ? AND clock = ? AND instance = ?", c.ID, clock, instance).
		Order("(status = 'running') DESC, id DESC").Limit(1).Find(&r)
	if res.Error != nil {
		return nil, nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, nil, caseflow.Errorf(caseflow.ENotFound, "the case has no clock %q", clock)
	}
	agencyCode := ""
	if r.ResponsibleAgency != nil {
		if err := db.gorm.WithContext(ctx).Model(&agencyRow{}).Where("id = ?", *r.ResponsibleAgency).Pluck("code", &agencyCode).Error; err != nil {
			return nil, nil, err
		}
	}
	k, err := r.clock(agencyCode)
	if err != nil {
		return nil, nil, err
	}
	vt, err := db.vaultOf(db.gorm.WithContext(ctx), c.ID, false)
	if err != nil {
		return nil, nil, err
	}
	if err := openExtensions(vt, &k); err != nil {
		return nil, nil, err
	}
	return c, &k, nil
}

// openExtensions opens the sealed reasons of a clock's extensions.
func openExtensions(vt *vault, k *caseflow.Clock) error {
	for i := range k.Extensions {
		r, err := vt.open("clock.extension_reason", k.Extensions[i].Reason)
		if err != nil {
			return err
		}
		k.Extensions[i].Reason = r
	}
	return nil
}

// ExtendClock records an extension of a running clock: new due and warning
// times, the next generation (so the old timers do nothing), the new timers,
// a history row and an audit entry. A clock that changed since it was read
// (another extension, a stop, a breach) is a conflict.
func (db *DB) ExtendClock(ctx context.Context, v caseflow.Viewer, k *caseflow.Clock, ext caseflow.Extension, newWarn time.Time) (*caseflow.Clock, error) {
	var out caseflow.Clock
	err := db.write(ctx, func(tx *gorm.DB) error {
		// The reasons are the officer's words: sealed with the case's key.
		var caseID int64
		if err := tx.Raw("SELECT case_id FROM case_clocks WHERE id = ?", k.ID).Scan(&caseID).Error; err != nil {
			return err
		}
		vt, err := db.vaultOf(tx, caseID, true)
		if err != nil {
			return err
		}
		exts := append(append([]caseflow.Extension{}, k.Extensions...), ext)
		raw, err := json.Marshal(exts)
		if err != nil {
			return err
		}
		if raw, _, err = sealExtensionReasons(vt, raw); err != nil {
			return err
		}
		updates := map[string]any{"due_at": ext.DueAfter.UTC(), "warn_at": newWarn.UTC(), "generation": k.Generation + 1, "extensions": raw}
		if newWarn.After(db.now()) {
			updates["warned_at"] = nil
		}
		res := tx.Model(&clockRow{}).Where("id = ? AND generation = ? AND status = 'running'", k.ID, k.Generation).Updates(updates)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected != 1 {
			return caseflow.Errorf(caseflow.EConflict, "the clock has changed (extended, stopped or breached): reload it")
		}
		var row clockRow
		if err := tx.Where("id = ?", k.ID).Take(&row).Error; err != nil {
			return err
		}
		if err := db.enqueueTimers(tx, row); err != nil {
			return err
		}
		var c caseRow
		if err := tx.Select("id, code, state, version").Where("id = ?", row.CaseID).Take(&c).Error; err != nil {
			return err
		}
		reason, err := vt.seal("history.note", ext.Reason)
		if err != nil {
			return err
		}
		actor, agency := v.UserID, v.Agency.ID
		data := map[string]any{"clock": k.Clock, "legal_basis": ext.LegalBasis,
			"due_before": ext.DueBefore.UTC().Format(time.RFC3339), "due_after": ext.DueAfter.UTC().Format(time.RFC3339)}
		if ext.TotalRule != "" {
			data["total_amount"], data["total_rule"] = ext.TotalAmount, ext.TotalRule
		} else {
			data["amount"], data["rule"] = ext.Amount, ext.Rule
		}
		for key, val := range map[string]string{"step": ext.Step, "granted_by": ext.GrantedBy, "decision": ext.Decision} {
			if val != "" {
				data[key] = val
			}
		}
		if ext.LateRequest {
			data["late_request"] = true
		}
		histData, err := jsonObject(data)
		if err != nil {
			return fmt.Errorf("clock %d: encoding the clock_extended history data: %w", k.ID, err)
		}
		if err := tx.Omit("ID").Create(&historyRow{CaseID: c.ID, Version: c.Version, Event: "clock_extended", FromState: c.State,
			ToState: c.State, ActorID: &actor, AgencyID: &agency, NoteEnc: reason, Data: histData, At: db.now(), Kind: "clock"}).Error; err != nil {
			return err
		}
		if out, err = row.clock(k.AgencyCode); err != nil {
			return err
		}
		if err := openExtensions(vt, &out); err != nil {
			return err
		}
		return db.audit(tx, v, "clock.extend", c.Code, map[string]any{"clock": k.Clock})
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
