package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
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
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
	var res *gorm.DB
	if p.Kind == "breach" {
		updates := map[string]any{"status": "breached", "breached_at": now}
		if ladder := escalationOf(k); len(ladder) > 0 {
			updates["escalate_at"] = now.Add(time.Duration(ladder[0].AfterHours) * time.Hour)
		}
		res = tx.Model(&clockRow{}).Where("id = ? AND status = 'running' AND generation = ?", k.ID, k.Generation).
			Updates(updates)
	} else {
		res = tx.Model(&clockRow{}).Where("id = ? AND status = 'running' AND generation = ? AND warned_at IS NULL", k.ID, k.Generation).
			Update("warned_at", now)
	}
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return nil
	}
	var c caseRow
	if err := tx.Select("id, code, state, version, unit_path").Where("id = ?", k.CaseID).Take(&c).Error; err != nil {
		return err
	}
	ns, err := db.recordClockEvent(tx, k, c, p.Kind, now, "")
	if err != nil {
		return err
	}
	out.Recorded, out.Notifications, out.Lateness, out.Clock = true, ns, now.Sub(at), k.Clock
	if k.ResponsibleAgency != nil {
		// A failed statement aborts the transaction, so it cannot be ignored.
		if err := tx.Model(&agencyRow{}).Where("id = ?", *k.ResponsibleAgency).Pluck("code", &out.Agency).Error; err != nil {
			return fmt.Errorf("clock %d: reading its agency's code: %w", k.ID, err)
		}
	}
	return nil
}

// recordClockEvent writes the history row and the notifications of a
// warning or breach just marked on clock k; by names the event whose late
// step revealed a breach, or "" for a timer or the sweeper.
func (db *DB) recordClockEvent(tx *gorm.DB, k clockRow, c caseRow, kind string, now time.Time, by string) ([]caseflow.Notification, error) {
	event := "clock_warning"
	if kind == "breach" {
		event = "clock_breached"
	}
	data := map[string]any{"clock": k.Clock, "due_at": k.DueAt.UTC().Format(time.RFC3339)}
	if k.Instance != "" {
		data["instance"] = k.Instance
	}
	if by != "" {
		data["stopped_late_by"] = by
	}
	raw, err := jsonObject(data)
	if err != nil {
		return nil, fmt.Errorf("clock %d: encoding the %s history data: %w", k.ID, event, err)
	}
	if err := tx.Omit("ID").Create(&historyRow{CaseID: c.ID, Version: c.Version, Event: event, FromState: c.State,
		ToState: c.State, Data: raw, At: now, Kind: "clock"}).Error; err != nil {
		return nil, err
	}
	return db.notify(tx, k, c, kind, now)
}

// notify creates the notifications of a warning or breach: one for the
// responsible agency, one for the supervisors over the case's unit. The
// unique key makes a repeat a no-op.
func (db *DB) notify(tx *gorm.DB, k clockRow, c caseRow, kind string, now time.Time) ([]caseflow.Notification, error) {
	due := k.DueAt.In(caseflow.Zone).Format("02/01/2006 15:04")
	var msg string
	if kind == "breach" {
		msg = fmt.Sprintf("Hồ sơ %s: quá hạn %s (hạn %s, %s) / Case %s: deadline %s breached (due %s, %s)",
			c.Code, k.Clock, due, k.LegalBasis, c.Code, k.Clock, due, k.LegalBasis)
	} else {
		msg = fmt.Sprintf("Hồ sơ %s: sắp đến hạn %s (hạn %s, %s) / Case %s: deadline %s approaching (due %s, %s)",
			c.Code, k.Clock, due, k.LegalBasis, c.Code, k.Clock, due, k.LegalBasis)
	}
	var out []caseflow.Notification
	add := func(aud string, agency *int64) error {
		clockID, due := k.ID, k.DueAt
		row := notificationRow{Kind: kind, Audience: aud, AgencyID: agency, UnitPath: c.UnitPath, CaseID: &c.ID, CaseCode: c.Code,
			ClockID: &clockID, Clock: k.Clock, Generation: k.Generation, DueAt: &due, LegalBasis: k.LegalBasis, Message: msg, CreatedAt: now}
		added, err := db.addNotification(tx, &row)
		if added {
			out = append(out, row.notification())
		}
		return err
	}
	seen := map[int64]bool{}
	for _, who := range notifyList(k.Notify) {
		var err error
		switch who {
		case "supervisors":
			err = add("supervisors", nil)
		case "responsible":
			if k.ResponsibleAgency != nil && !seen[*k.ResponsibleAgency] {
				seen[*k.ResponsibleAgency] = true
				err = add("agency", k.ResponsibleAgency)
			}
		default: // an agency type: the one with jurisdiction over the case
			var commune int64
			if err = tx.Raw("SELECT commune_id FROM cases WHERE id = ?", c.ID).Scan(&commune).Error; err != nil {
				return nil, err
			}
			id, rerr := db.resolveAgency(tx, commune, now, caseflow.AgencyType(who), "")
			if rerr == nil && !seen[id] {
				seen[id] = true
				err = add("agency", &id)
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// SweepDue finds running clocks whose due or warning time has passed and
// records them, as the timer would have. Rows are taken with SKIP LOCKED, so
// several workers sweep at once without doing the same clock twice. It
// returns what it recorded: each one is a breach the timer path missed.
func (db *DB) SweepDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error) {
	var outs []*caseflow.TimerOutcome
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		now := db.now()
		var rows []clockRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("status = 'running' AND (due_at <= ? OR (warned_at IS NULL AND warn_at <= ?))", now, now).
			Order("due_at").Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		for _, k := range rows {
			for _, kind := range []string{"warning", "breach"} {
				if kind == "warning" && (k.WarnedAt != nil || k.DueAt.Before(now) || k.DueAt.Equal(now)) {
					continue
				}
				o := &caseflow.TimerOutcome{}
				if err := db.recordTimer(tx, k, caseflow.TimerPayload{ClockID: k.ID, Generation: k.Generation, Kind: kind}, o); err != nil {
					return err
				}
				if o.Recorded {
					outs = append(outs, o)
				}
			}
		}
		return nil
	})
	return outs, err
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
// and marks those it accepted as relayed. Rows are locked with SKIP LOCKED
// so several relays can run. send returning an error stops the batch; the
// rest are retried next time.
func (db *DB) RelayOutbox(ctx context.Context, limit int, send func(caseflow.OutboxItem) error) (int, error) {
	n := 0
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var rows []outboxRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("relayed_at IS NULL").Order("id").Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		var done []int64
		var sendErr error
		for _, r := range rows {
			if sendErr = send(caseflow.OutboxItem{ID: r.ID, Kind: r.Kind, TaskID: r.TaskID, Payload: r.Payload, RunAt: r.RunAt}); sendErr != nil {
				break
			}
			done = append(done, r.ID)
		}
		n = len(done)
		if len(done) > 0 {
			if err := tx.Model(&outboxRow{}).Where("id IN ?", done).Update("relayed_at", db.now()).Error; err != nil {
				return err
			}
		}
		return sendErr
	})
	return n, err
}

// OutboxBacklog counts outbox rows not yet relayed.
func (db *DB) OutboxBacklog(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&outboxRow{}).Where("relayed_at IS NULL").Count(&n).Error
	return n, err
}

// PruneOutbox deletes relayed outbox rows older than age.
func (db *DB) PruneOutbox(ctx context.Context, age time.Duration) error {
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
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
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
