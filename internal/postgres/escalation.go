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

// Escalation: a breach that the agency told of neither acknowledges nor
// mends climbs the ladder its clock carries (copied from its workflow at the
// start). The breach sets when the first rung is due (escalate_at); each
// rung, recorded by EscalateDue in one transaction with its history row and
// its notification (and so its deliveries), sets the next; stopping the
// clock or acknowledging the breach ends the climb.

func escalationOf(k clockRow) []caseflow.EscalationStep {
	var steps []caseflow.EscalationStep
	if len(k.Escalation) > 0 {
		_ = json.Unmarshal(k.Escalation, &steps) // written by startClocks from a checked definition
	}
	return steps
}

// EscalateDue records up to limit rungs that have fallen due, and says how
// many. Clocks are taken with SKIP LOCKED, so several workers share the work
// and none records a rung twice.
func (db *DB) EscalateDue(ctx context.Context, limit int) (int, error) {
	n := 0
	err := db.write(ctx, func(tx *gorm.DB) error {
		now := db.now()
		var rows []clockRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE", Options: "SKIP LOCKED"}).
			Where("escalate_at <= ? AND status = 'breached' AND stopped_at IS NULL AND acknowledged_at IS NULL", now).
			Order("escalate_at").Limit(limit).Find(&rows).Error; err != nil {
			return err
		}
		for _, k := range rows {
			done, err := db.escalate(tx, k, now)
			if err != nil {
				return err
			}
			if done {
				n++
			}
		}
		return nil
	})
	return n, err
}

// escalate records the next rung of a clock's ladder.
func (db *DB) escalate(tx *gorm.DB, k clockRow, now time.Time) (bool, error) {
	ladder := escalationOf(k)
	level := k.EscalationLevel + 1
	if level > len(ladder) {
		return false, tx.Model(&clockRow{}).Where("id = ?", k.ID).Update("escalate_at", nil).Error
	}
	step := ladder[level-1]
	var c caseRow
	if err := tx.Select("id, code, state, version, unit_path, commune_id").Where("id = ?", k.CaseID).Take(&c).Error; err != nil {
		return false, err
	}
	clockID, due := k.ID, k.DueAt
	local := due.In(caseflow.Zone).Format("02/01/2006 15:04")
	row := notificationRow{Kind: caseflow.NotificationEscalation, Level: level, CaseID: &c.ID, CaseCode: c.Code, ClockID: &clockID,
		Clock: k.Clock, Generation: k.Generation, DueAt: &due, LegalBasis: k.LegalBasis, CreatedAt: now,
		Message: fmt.Sprintf("Hồ sơ %s: quá hạn %s (hạn %s, %s) chưa được xử lý — chuyển cấp trên, bậc %d / "+
			"Case %s: deadline %s (due %s, %s) still not acted on — escalated, level %d",
			c.Code, k.Clock, local, k.LegalBasis, level, c.Code, k.Clock, local, k.LegalBasis, level)}
	if step.To == caseflow.EscalateProvinceSupervisors {
		row.Audience, row.UnitPath = "supervisors", provincePath(c.UnitPath)
	} else {
		id, err := db.resolveAgency(tx, c.CommuneID, now, caseflow.AgencyType(step.To), "")
		if caseflow.ErrorCode(err) != "" && caseflow.ErrorCode(err) != caseflow.EInternal {
			// No agency of that type serves the case's commune (the
			// jurisdiction table lacks it): the rung is tried again in an
			// hour, and the other clocks of the batch go on.
			db.Log.Warn("escalation target not found; retrying in an hour", "clock", k.ID, "level", level, "to", step.To)
			return false, tx.Model(&clockRow{}).Where("id = ?", k.ID).Update("escalate_at", now.Add(time.Hour)).Error
		}
		if err != nil {
			return false, fmt.Errorf("clock %d: escalation level %d to %s: %w", k.ID, level, step.To, err)
		}
		row.Audience, row.AgencyID, row.UnitPath = "agency", &id, c.UnitPath
	}
	if _, err := db.addNotification(tx, &row); err != nil {
		return false, err
	}
	raw, err := jsonObject(map[string]any{"clock": k.Clock, "level": level, "to": step.To, "due_at": k.DueAt.UTC().Format(time.RFC3339)})
	if err != nil {
		return false, err
	}
	if err := tx.Omit("ID").Create(&historyRow{CaseID: c.ID, Version: c.Version, Event: "clock_escalated", FromState: c.State,
		ToState: c.State, Data: raw, At: now, Kind: "clock"}).Error; err != nil {
		return false, err
	}
	var next *time.Time
	if level < len(ladder) {
		t := now.Add(time.Duration(ladder[level].AfterHours) * time.Hour)
		next = &t
	}
	return true, tx.Model(&clockRow{}).Where("id = ?", k.ID).
		Updates(map[string]any{"escalation_level": level, "escalate_at": next}).Error
}

// AcknowledgeNotification records that the viewer's agency has taken note
// of a breach or an escalation it was told of, with an optional note
// (sealed): the breach climbs no further. Acknowledging again changes
// nothing.
func (db *DB) AcknowledgeNotification(ctx context.Context, v caseflow.Viewer, id int64, note string) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		cond, args := notificationScope(v)
		var n notificationRow
		err := tx.Raw("SELECT n.* FROM notifications n WHERE n.id = ? AND "+cond+" FOR UPDATE",
			append([]any{id}, args...)...).Scan(&n).Error
		if err != nil {
			return err
		}
		if n.ID == 0 {
			return caseflow.Errorf(caseflow.ENotFound, "no notification %d", id)
		}
		if n.Kind != caseflow.NotificationBreach && n.Kind != caseflow.NotificationEscalation || n.ClockID == nil {
			return caseflow.InvalidField("id", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Value: n.Kind,
				Message: "only a breach or an escalation is acknowledged", Allowed: []string{caseflow.NotificationBreach, caseflow.NotificationEscalation}})
		}
		if n.AcknowledgedAt != nil {
			return nil
		}
		now := db.now()
		if err := tx.Exec("UPDATE notifications SET acknowledged_at = ?, acknowledged_by = ? WHERE id = ?", now, v.UserID, n.ID).Error; err != nil {
			return err
		}
		vt, err := db.vaultOf(tx, *n.CaseID, true)
		if err != nil {
			return err
		}
		sealed, err := vt.seal("clock.ack_note", note)
		if err != nil {
			return err
		}
		var k clockRow
		if err := tx.Raw(`UPDATE case_clocks SET acknowledged_at = coalesce(acknowledged_at, ?), acknowledged_by = coalesce(acknowledged_by, ?),
			ack_note_enc = CASE WHEN acknowledged_at IS NULL THEN ? ELSE ack_note_enc END, escalate_at = NULL
			WHERE id = ? RETURNING *`, now, v.UserID, sealed, *n.ClockID).Scan(&k).Error; err != nil {
			return err
		}
		var c caseRow
		if err := tx.Select("id, code, state, version").Where("id = ?", n.CaseID).Take(&c).Error; err != nil {
			return err
		}
		raw, err := jsonObject(map[string]any{"clock": k.Clock, "notification": n.ID, "level": n.Level})
		if err != nil {
			return err
		}
		actor, agency := v.UserID, v.Agency.ID
		historyNote, err := vt.seal("history.note", note)
		if err != nil {
			return err
		}
		if err := tx.Omit("ID").Create(&historyRow{CaseID: c.ID, Version: c.Version, Event: "breach_acknowledged", FromState: c.State,
			ToState: c.State, ActorID: &actor, AgencyID: &agency, NoteEnc: historyNote, Data: raw, At: now, Kind: "clock"}).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "notification.acknowledge", c.Code, map[string]any{"notification": n.ID, "clock": k.Clock})
	})
}
