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

// CaseSummary returns a case the viewer may know of without personal data
// and without auditing a read: what a transition needs to be checked.
func (db *DB) CaseSummary(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	var j caseJoin
	res := db.oneCaseQuery(db.gorm.WithContext(ctx), v, code).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no case %q", code)
	}
	return j.summary(), nil
}

// ApplyTransition stores a checked transition in one transaction: the new
// state and version, the history row, access granted and ended, clocks
// started and stopped with their timers in the outbox, referral changes and
// the audit entry. A version that is no longer current is a conflict and
// nothing is written.
func (db *DB) ApplyTransition(ctx context.Context, v caseflow.Viewer, ch *caseflow.Change) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		return db.applyTransition(tx, v, ch)
	})
}

func (db *DB) applyTransition(tx *gorm.DB, v caseflow.Viewer, ch *caseflow.Change) error {
	var c caseRow
	// NO KEY UPDATE serialises transitions of one case but, unlike UPDATE,
	// lets a timer that holds a clock row insert the history and
	// notification rows that reference the case: no deadlock between a stop
	// event and the breach it races.
	if err := tx.Clauses(clause.Locking{Strength: "NO KEY UPDATE"}).Where("id = ?", ch.CaseID).Take(&c).Error; err != nil {
		return err
	}
	if c.Version != ch.Version {
		return &caseflow.Error{Code: caseflow.EConflict,
			Message: fmt.Sprintf("the case has changed since version %d (it is now at version %d): reload it and try again", ch.Version, c.Version),
			Fields: map[string]caseflow.FieldError{"version": {Code: caseflow.FieldStale, Message: fmt.Sprintf("is stale; current version is %d", c.Version),
				Value: fmt.Sprint(c.Version)}}}
	}
	if c.State != ch.From {
		return &caseflow.Error{Code: caseflow.EConflict, Message: "the case has moved on: reload it and try again"}
	}
	recorded := ch.At
	if !ch.RecordedAt.IsZero() {
		recorded = ch.RecordedAt
	}
	updates := map[string]any{"state": ch.To, "version": c.Version + 1, "updated_at": recorded}
	if ch.CrimeCategory != "" {
		updates["crime_category"] = ch.CrimeCategory
	}
	if ch.Outcome != "" {
		updates["outcome"] = ch.Outcome
	}
	if ch.Final {
		updates["closed_at"] = ch.At
	}
	data, err := jsonObject(ch.Data)
	if err != nil {
		return fmt.Errorf("case %s, event %s: encoding the event data: %w", c.Code, ch.Event, err)
	}
	if len(ch.Data) > 0 {
		updates["data"] = gorm.Expr("data || ?::jsonb", string(data))
	}
	res := tx.Model(&caseRow{}).Where("id = ? AND version = ?", c.ID, c.Version).Updates(updates)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return caseflow.Errorf(caseflow.EConflict, "the case has changed: reload it and try again")
	}

	if ch.NewReferral != nil {
		if err := db.insertReferral(tx, v, c.ID, ch); err != nil {
			return err
		}
	}
	vt, err := db.vaultOf(tx, c.ID, true)
	if err != nil {
		return err
	}
	note, err := vt.seal("history.note", ch.Note)
	if err != nil {
		return err
	}
	secret := ""
	if len(ch.Secret) > 0 {
		raw, err := jsonObject(ch.Secret)
		if err != nil {
			return fmt.Errorf("case %s, event %s: encoding the sealed event data: %w", c.Code, ch.Event, err)
		}
		if secret, err = vt.seal("history.data", string(raw)); err != nil {
			return err
		}
	}
	actor, agency := v.UserID, v.Agency.ID
	h := historyRow{CaseID: c.ID, Version: c.Version + 1, Event: ch.Event, FromState: ch.From,
		ToState: ch.To, ActorID: &actor, AgencyID: &agency, NoteEnc: note, Data: data, DataEnc: secret,
		At: ch.At, Kind: "transition", Roles: roleArray(ch.Roles)}
	if !recorded.Equal(ch.At) {
		h.RecordedAt = &recorded
	}
	if ch.LateReason != "" {
		if h.LateReasonEnc, err = vt.seal("history.note", ch.LateReason); err != nil {
			return err
		}
	}
	if err := tx.Omit("ID").Create(&h).Error; err != nil {
		return err
	}

	var newWork []int64
	if ch.NewReferral != nil {
		newWork = append(newWork, ch.NewReferral.Agency.ID)
	}
	if ch.Refer != "" {
		id, err := db.resolveAgency(tx, c.CommuneID, ch.At, ch.Refer, ch.ReferAgencyCode)
		if err != nil {
			return err
		}
		if err := grant(tx, c.ID, id, caseflow.ReferralAccess(ch.Refer), "workflow:"+string(ch.Refer), ch.At); err != nil {
			return err
		}
		if id != v.Agency.ID {
			newWork = append(newWork, id)
		}
	}
	if ch.ReferralID != 0 {
		if err := db.respondReferral(tx, c.ID, ch); err != nil {
			return err
		}
	}
	if err := db.stopClocks(tx, c, ch); err != nil {
		return err
	}
	if _, err := db.startClocks(tx, c.ID, c.CommuneID, ch.At, ch.StartClocks); err != nil {
		return err
	}
	for _, id := range newWork {
		if err := db.notifyNewWork(tx, c, c.Version+1, id, recorded); err != nil {
			return err
		}
	}
	// Access ends for the agency types released, unless the agency still
	// answers for a running clock of the case (a second forensic exam still
	// pending when the first is concluded).
	for _, t := range ch.Release {
		if err := tx.Exec(`UPDATE case_access ca SET revoked_at = ? WHERE ca.case_id = ? AND ca.revoked_at IS NULL AND ca.reason = ?
			AND NOT EXISTS (SELECT 1 FROM case_clocks k WHERE k.case_id = ca.case_id AND k.status = 'running'
				AND k.responsible_type = ? AND (k.responsible_agency IS NULL OR k.responsible_agency = ca.agency_id))`,
			recorded, c.ID, "workflow:"+string(t), string(t)).Error; err != nil {
			return err
		}
	}
	detail := map[string]any{"event": ch.Event, "from": ch.From, "to": ch.To, "version": c.Version + 1}
	if !recorded.Equal(ch.At) {
		detail["occurred_at"] = ch.At.UTC().Format(time.RFC3339)
	}
	return db.audit(tx, v, "case.event", c.Code, detail)
}

func grant(tx *gorm.DB, caseID, agencyID int64, scope caseflow.Access, reason string, at time.Time) error {
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&accessRow{CaseID: caseID, AgencyID: agencyID,
		Scope: string(scope), Reason: reason, GrantedAt: at}).Error
}

func (db *DB) stopClocks(tx *gorm.DB, c caseRow, ch *caseflow.Change) error {
	caseID := c.ID
	recorded := ch.At
	if !ch.RecordedAt.IsZero() {
		recorded = ch.RecordedAt
	}
	for _, s := range ch.StopClocks {
		q := "case_id = ? AND clock = ?"
		args := []any{caseID, s.Clock}
		if s.Instance != "" {
			q += " AND instance = ?"
			args = append(args, s.Instance)
		}
		// A clock stopped after its due time is a breach, whatever its timer
		// did: marked here, once, with its history row and notifications,
		// before the stop is recorded on it.
		var late []clockRow
		if err := tx.Raw("UPDATE case_clocks SET status = 'breached', breached_at = ? WHERE "+q+" AND status = 'running' AND due_at < ? RETURNING *",
			append(append([]any{recorded}, args...), ch.At)...).Scan(&late).Error; err != nil {
			return err
		}
		if _, err := db.clockEvents(tx, caseflow.NotificationBreach, late, recorded, ch.Event,
			clockEventCase{ID: c.ID, State: c.State, Version: c.Version}); err != nil {
			return err
		}
		if err := tx.Model(&clockRow{}).Where(q+" AND status = 'running'", args...).
			Updates(map[string]any{"status": "stopped", "stopped_at": ch.At, "stopped_by_event": ch.Event, "escalate_at": nil,
				"stop_roles": roleArray(ch.Roles)}).Error; err != nil {
			return err
		}
		// A breached clock stays breached, but when it was finally met is
		// still recorded: late is not the same as never.
		if err := tx.Model(&clockRow{}).Where(q+" AND status = 'breached' AND stopped_at IS NULL", args...).
			Updates(map[string]any{"stopped_at": ch.At, "stopped_by_event": ch.Event, "escalate_at": nil,
				"stop_roles": roleArray(ch.Roles)}).Error; err != nil {
			return err
		}
	}
	return nil
}

// startClocks inserts clock rows and their timers, at the time of the step
// that starts them, and returns those it started. A clock already running
// for the same case and instance keeps running unchanged.
func (db *DB) startClocks(tx *gorm.DB, caseID, communeID int64, at time.Time, starts []caseflow.ClockStart) ([]clockRow, error) {
	var started []clockRow
	agencies := map[caseflow.AgencyType]*int64{} // by type, resolved once per transition
	for _, s := range starts {
		if s.Once {
			var n int64
			if err := tx.Model(&clockRow{}).Where("case_id = ? AND clock = ? AND instance = ?", caseID, s.Clock, s.Instance).
				Count(&n).Error; err != nil {
				return nil, err
			}
			if n > 0 {
				continue
			}
		}
		row := clockRow{CaseID: caseID, Clock: s.Clock, Role: string(s.Role), Instance: s.Instance, Generation: 1, Status: "running",
			ResponsibleType: string(s.Responsible), Category: s.Category, LimitRule: s.Rule, LimitAmount: s.Amount,
			LegalBasis: s.Basis, CalendarPolicy: s.Policy, Notify: notifyList(s.Notify), StartedAt: s.StartedAt.UTC(), DueAt: s.DueAt.UTC(), WarnAt: s.WarnAt.UTC(), Extensions: []byte("[]")}
		if len(s.Escalation) > 0 {
			raw, err := json.Marshal(s.Escalation)
			if err != nil {
				return nil, fmt.Errorf("clock %s: encoding its escalation: %w", s.Clock, err)
			}
			row.Escalation = raw
		}
		if s.ResponsibleAgency != 0 {
			id := s.ResponsibleAgency
			row.ResponsibleAgency = &id
		} else if s.Responsible != "" {
			id, seen := agencies[s.Responsible]
			if !seen {
				var err error
				if id, err = db.answeringAgency(tx, caseID, communeID, at, s.Responsible); err != nil {
					return nil, err
				}
				agencies[s.Responsible] = id
			}
			row.ResponsibleAgency = id
		}
		res := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "case_id"}, {Name: "clock"}, {Name: "instance"}},
			TargetWhere: clause.Where{Exprs: []clause.Expression{clause.Expr{SQL: "status = 'running'"}}}, DoNothing: true}).
			Omit("ID").Create(&row)
		if res.Error != nil {
			return nil, res.Error
		}
		if res.RowsAffected == 0 {
			continue
		}
		if err := db.enqueueTimers(tx, row); err != nil {
			return nil, err
		}
		started = append(started, row)
	}
	return started, nil
}

// answeringAgency is the agency of type t that answers for a clock of the
// case: the one that holds the case for its type (the referral's receiver,
// or the filer); else the one serving the commune now, even for a clock that
// started earlier (a report logged late); nil when none does.
func (db *DB) answeringAgency(tx *gorm.DB, caseID, communeID int64, at time.Time, t caseflow.AgencyType) (*int64, error) {
	var held []int64
	if err := tx.Raw(`SELECT ca.agency_id FROM case_access ca JOIN agencies a ON a.id = ca.agency_id
		WHERE ca.case_id = ? AND ca.revoked_at IS NULL AND a.type = ? AND (ca.reason = ? OR ca.reason = 'intake')
		ORDER BY ca.granted_at DESC, ca.id DESC LIMIT 1`, caseID, string(t), "workflow:"+string(t)).Scan(&held).Error; err != nil {
		return nil, err
	}
	if len(held) == 1 {
		return &held[0], nil
	}
	id, err := db.resolveAgency(tx, communeID, at, t, "")
	switch {
	case err == nil:
		return &id, nil
	case caseflow.ErrorCode(err) == caseflow.EInternal:
		return nil, err
	}
	return nil, nil
}

// roleArray stores event roles; never NULL, which marks rows whose roles
// are still to be derived.
func roleArray(rs []caseflow.EventRole) array[string] {
	out := make(array[string], len(rs))
	for i, r := range rs {
		out[i] = string(r)
	}
	return out
}

// notifyList defaults an empty recipient list to the responsible agency and
// the supervisors.
func notifyList(n []string) array[string] {
	if len(n) == 0 {
		return array[string]{"responsible", "supervisors"}
	}
	return array[string](n)
}

func (db *DB) enqueueTimers(tx *gorm.DB, c clockRow) error {
	now := db.now()
	for _, t := range []struct {
		kind string
		at   time.Time
	}{{"warning", c.WarnAt}, {"breach", c.DueAt}} {
		if t.kind == "warning" && !t.at.After(now) && c.DueAt.Before(now) {
			continue // overdue on arrival: only the breach matters
		}
		p := caseflow.TimerPayload{ClockID: c.ID, Generation: c.Generation, Kind: t.kind}
		raw, err := json.Marshal(p)
		if err != nil {
			return fmt.Errorf("clock %d: encoding its %s timer: %w", c.ID, t.kind, err)
		}
		if err := tx.Omit("ID").Create(&outboxRow{Kind: caseflow.TimerTaskType, TaskID: caseflow.TimerTaskID(p), Payload: raw,
			RunAt: t.at, CreatedAt: now}).Error; err != nil {
			return err
		}
	}
	return nil
}

// History returns the recorded transitions of a case the viewer may see.
// Notes and data are shown only to viewers with full access.
func (db *DB) History(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.HistoryEntry, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, err
	}
	type row struct {
		Version       int
		Event         string
		FromState     string
		ToState       string
		At            time.Time
		RecordedAt    *time.Time
		LateReasonEnc string
		Username      string
		AgencyCode    string
		NoteEnc       string
		Data          []byte
		DataEnc       string
	}
	var rows []row
	if err := db.gorm.WithContext(ctx).Raw(`SELECT h.version, h.event, h.from_state, h.to_state, h.at, h.recorded_at, h.late_reason_enc,
		coalesce(u.username, '') AS username, coalesce(a.code, '') AS agency_code, h.note_enc, h.data, h.data_enc
		FROM case_history h LEFT JOIN users u ON u.id = h.actor_id LEFT JOIN agencies a ON a.id = h.agency_id
		WHERE h.case_id = ? ORDER BY h.id`, c.ID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	mine, provider, err := db.providerOnly(ctx, v, c.ID)
	if err != nil {
		return nil, err
	}
	vt, err := db.vaultOf(db.gorm.WithContext(ctx), c.ID, false)
	if err != nil {
		return nil, err
	}
	out := make([]caseflow.HistoryEntry, 0, len(rows))
	for _, r := range rows {
		if provider {
			// Only the steps of the provider's own referrals.
			var plain struct {
				ReferralID string `json:"referral_id"`
			}
			if len(r.Data) == 0 || json.Unmarshal(r.Data, &plain) != nil || !mine[plain.ReferralID] {
				continue
			}
		}
		e := caseflow.HistoryEntry{Version: r.Version, Event: r.Event, From: r.FromState, To: r.ToState, At: r.At.UTC(),
			RecordedAt: r.At.UTC(), Username: r.Username, AgencyCode: r.AgencyCode}
		if r.RecordedAt != nil {
			e.RecordedAt = r.RecordedAt.UTC()
			e.Late = e.RecordedAt.Sub(e.At) > caseflow.LateEntryAfter
		}
		if c.Access == caseflow.AccessFull {
			if e.LateReason, err = vt.open("history.note", r.LateReasonEnc); err != nil {
				return nil, err
			}
			if e.Note, err = vt.open("history.note", r.NoteEnc); err != nil {
				return nil, err
			}
			if len(r.Data) > 0 {
				if err := json.Unmarshal(r.Data, &e.Data); err != nil {
					return nil, fmt.Errorf("case %s, history version %d (%s): decoding the stored data: %w", c.Code, r.Version, r.Event, err)
				}
			}
			if r.DataEnc != "" {
				plain, err := vt.open("history.data", r.DataEnc)
				if err != nil {
					return nil, err
				}
				var secret map[string]any
				// A value erased with the case's data key opens as "".
				if plain != "" {
					if err := json.Unmarshal([]byte(plain), &secret); err != nil {
						return nil, fmt.Errorf("case %s, history version %d (%s): decoding the sealed data: %w", c.Code, r.Version, r.Event, err)
					}
				}
				if e.Data == nil && len(secret) > 0 {
					e.Data = map[string]any{}
				}
				for k, v := range secret {
					e.Data[k] = v
				}
			}
		}
		out = append(out, e)
	}
	if c.Access == caseflow.AccessFull {
		if err := db.Audit(ctx, v, "case.history", c.Code, nil); err != nil {
			return nil, err
		}
	}
	return out, nil
}
