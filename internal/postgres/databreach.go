package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

// Suspected breaches of personal data and the reminders of their notice.
// They concern no one case: what may describe people is sealed with the
// key ring, not a case's key.

type breachRow struct {
	ID                 int64 `gorm:"primaryKey"`
	DetectedAt         time.Time
	RecordedAt         time.Time
	RecordedBy         int64
	UnitPath           string
	DescriptionEnc     string
	DataCategories     array[string] `gorm:"type:text[]"`
	SubjectsEstimate   *int
	RecordsEstimate    *int
	ConsequencesEnc    string
	MeasuresEnc        string
	Contact            string
	NotifyDueAt        time.Time
	NotifiedAt         *time.Time
	NotifiedBy         *int64
	AuthorityReference string
	Reminded           int
}

func (breachRow) TableName() string { return "data_breaches" }

// RecordBreach stores a suspected breach, its notice due 72 hours after
// detection; audited.
func (db *DB) RecordBreach(ctx context.Context, v caseflow.Viewer, b *caseflow.DataBreach) (int64, error) {
	row := breachRow{DetectedAt: b.DetectedAt.UTC(), RecordedAt: db.now(), RecordedBy: v.UserID, UnitPath: v.Agency.Unit.Path,
		DataCategories: b.DataCategories, SubjectsEstimate: b.SubjectsEstimate, RecordsEstimate: b.RecordsEstimate, Contact: b.Contact,
		NotifyDueAt: b.DetectedAt.Add(caseflow.BreachNoticeWithin).UTC()}
	if row.DataCategories == nil {
		row.DataCategories = array[string]{}
	}
	var err error
	for _, f := range []struct {
		ctx, val string
		dst      *string
	}{{"breach.description", b.Description, &row.DescriptionEnc}, {"breach.consequences", b.Consequences, &row.ConsequencesEnc},
		{"breach.measures", b.Measures, &row.MeasuresEnc}} {
		if *f.dst, err = db.Keys.Encrypt(f.ctx, f.val); err != nil {
			return 0, err
		}
	}
	err = db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "breach.record", "", map[string]any{"breach": row.ID, "detected_at": row.DetectedAt.Format(time.RFC3339)})
	})
	return row.ID, err
}

// Breaches lists the recorded breaches, newest first.
func (db *DB) Breaches(ctx context.Context) ([]caseflow.DataBreach, error) {
	var rows []breachRow
	if err := db.gorm.WithContext(ctx).Order("id DESC").Find(&rows).Error; err != nil {
		return nil, err
	}
	var users []struct {
		ID       int64
		Username string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT id, username FROM users WHERE id IN (SELECT recorded_by FROM data_breaches
		UNION SELECT notified_by FROM data_breaches WHERE notified_by IS NOT NULL)`).Scan(&users).Error; err != nil {
		return nil, err
	}
	name := map[int64]string{}
	for _, u := range users {
		name[u.ID] = u.Username
	}
	out := make([]caseflow.DataBreach, 0, len(rows))
	for _, r := range rows {
		b := caseflow.DataBreach{ID: r.ID, DetectedAt: r.DetectedAt.UTC(), RecordedAt: r.RecordedAt.UTC(), RecordedBy: name[r.RecordedBy],
			DataCategories: r.DataCategories, SubjectsEstimate: r.SubjectsEstimate, RecordsEstimate: r.RecordsEstimate, Contact: r.Contact,
			NotifyDueAt: r.NotifyDueAt.UTC(), NotifiedAt: utcPtr(r.NotifiedAt),
			AuthorityReference: r.AuthorityReference, Reminded: r.Reminded}
		var err error
		for _, f := range []struct {
			ctx, enc string
			dst      *string
		}{{"breach.description", r.DescriptionEnc, &b.Description}, {"breach.consequences", r.ConsequencesEnc, &b.Consequences},
			{"breach.measures", r.MeasuresEnc, &b.Measures}} {
			if *f.dst, err = db.Keys.Decrypt(f.ctx, f.enc); err != nil {
				return nil, err
			}
		}
		if b.DataCategories == nil {
			b.DataCategories = []string{}
		}
		if r.NotifiedBy != nil {
			b.NotifiedBy = name[*r.NotifiedBy]
		}
		out = append(out, b)
	}
	return out, nil
}

// BreachNotified records that the notice was sent to the specialised
// agency, with its reference; the reminders stop. Audited.
func (db *DB) BreachNotified(ctx context.Context, v caseflow.Viewer, id int64, at time.Time, reference string) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		var b breachRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&b).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no breach %d", id)
			}
			return err
		}
		if b.NotifiedAt != nil {
			return caseflow.Errorf(caseflow.EConflict, "the notice of breach %d was already recorded", id)
		}
		if at.Before(b.DetectedAt) {
			return caseflow.InvalidField("notified_at", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Message: "is before the breach was detected"})
		}
		by := v.UserID
		if err := tx.Model(&breachRow{}).Where("id = ?", id).Updates(map[string]any{"notified_at": at.UTC(), "notified_by": by,
			"authority_reference": reference}).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "breach.notified", "", map[string]any{"breach": id, "late": at.After(b.NotifyDueAt)})
	})
}

// RemindBreaches tells the supervisors over each breach's unit, at each
// point of caseflow.BreachReminders, that its notice is due; once per
// point, each breach in its own transaction, so that one that fails does
// not stop the others. It answers how many reminders it wrote.
func (db *DB) RemindBreaches(ctx context.Context) (int, error) {
	now := db.now()
	var open []breachRow
	if err := db.gorm.WithContext(ctx).Where("notified_at IS NULL AND reminded < ? AND detected_at <= ?",
		len(caseflow.BreachReminders), now.Add(-caseflow.BreachReminders[0])).Find(&open).Error; err != nil {
		return 0, err
	}
	n := 0
	var failed []error
	for _, b := range open {
		due := caseflow.BreachReminderDue(b.DetectedAt, now)
		if due <= b.Reminded {
			continue
		}
		local := b.NotifyDueAt.In(caseflow.Zone).Format("15:04 02/01/2006")
		msg := fmt.Sprintf("Sự cố lộ dữ liệu cá nhân số %d: hạn thông báo cơ quan chuyên trách (A05) lúc %s / Personal data breach %d: the notice to the specialised agency (A05) is due at %s",
			b.ID, local, b.ID, local)
		if !now.Before(b.NotifyDueAt) {
			msg = fmt.Sprintf("Sự cố lộ dữ liệu cá nhân số %d: ĐÃ QUÁ HẠN thông báo cơ quan chuyên trách (hạn %s) / Personal data breach %d: the notice to the specialised agency is OVERDUE (due %s)",
				b.ID, local, b.ID, local)
		}
		noticeDue := b.NotifyDueAt
		wrote, err := db.remindOnce(ctx, "data_breaches", "notified_at IS NULL", b.ID, b.Reminded, due,
			&notificationRow{Kind: caseflow.NotificationDataBreach, Audience: "supervisors", UnitPath: b.UnitPath,
				Generation: int(b.ID)*10 + due, DueAt: &noticeDue, Message: msg, CreatedAt: now})
		if err != nil {
			failed = append(failed, fmt.Errorf("breach %d: %w", b.ID, err))
		} else if wrote {
			n++
		}
	}
	return n, errors.Join(failed...)
}

// remindOnce writes, in its own transaction, one item's reminder at one
// point: it first claims the point on the item's row (reminded moves from
// from to to while the item is still open), so that whatever the number of
// workers the reminder is written once, then adds the notification. It
// says whether it wrote one. table and open are the caller's constants.
func (db *DB) remindOnce(ctx context.Context, table, open string, id int64, from, to int, row *notificationRow) (bool, error) {
	wrote := false
	err := db.write(ctx, func(tx *gorm.DB) error {
		res := tx.Exec("UPDATE "+table+" SET reminded = ? WHERE id = ? AND reminded = ? AND "+open, to, id, from)
		if res.Error != nil || res.RowsAffected == 0 {
			return res.Error // another worker claimed it, or the item closed
		}
		var err error
		wrote, err = db.addNotification(tx, row)
		return err
	})
	return wrote, err
}
