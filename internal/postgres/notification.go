package postgres

import (
	"context"
	"time"

	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

type notificationRow struct {
	ID         int64
	Kind       string
	Audience   string
	AgencyID   *int64
	UnitPath   string
	CaseID     *int64
	CaseCode   string
	ClockID    *int64
	Clock      string
	Generation int
	DueAt      *time.Time
	LegalBasis string
	Level      int
	Message    string
	CreatedAt  time.Time
	// AcknowledgedAt and AcknowledgedBy are written by AcknowledgeNotification.
	AcknowledgedAt *time.Time `gorm:"->"`
}

func (notificationRow) TableName() string { return "notifications" }

func (r notificationRow) notification() caseflow.Notification {
	n := caseflow.Notification{ID: r.ID, Kind: r.Kind, Audience: r.Audience, CaseCode: r.CaseCode, Clock: r.Clock,
		LegalBasis: r.LegalBasis, Message: r.Message, CreatedAt: r.CreatedAt.UTC()}
	if r.DueAt != nil {
		n.DueAt = r.DueAt.UTC()
	}
	return n
}

// notificationScope limits notifications to the viewer's: their agency's,
// or, for supervisors, those of the units under theirs.
func notificationScope(v caseflow.Viewer) (string, []any) {
	if v.SeesCasesByUnit() {
		return "n.audience = 'supervisors' AND n.unit_path LIKE ?", []any{likePrefix(v.Agency.Unit.Path)}
	}
	return "n.audience = 'agency' AND n.agency_id = ?", []any{v.Agency.ID}
}

// Notifications lists the viewer's notifications, newest first, with the
// number unread.
func (db *DB) Notifications(ctx context.Context, v caseflow.Viewer, limit int) ([]caseflow.Notification, int64, error) {
	out, err := db.notifications(ctx, v, "", limit)
	if err != nil {
		return nil, 0, err
	}
	unread, err := db.UnreadNotifications(ctx, v)
	if err != nil {
		return nil, 0, err
	}
	return out, unread, nil
}

// CaseNotifications lists the viewer's notifications about one case,
// newest first, with their deliveries.
func (db *DB) CaseNotifications(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.Notification, error) {
	return db.notifications(ctx, v, code, 100)
}

// UnreadNotifications counts the viewer's unread notifications.
func (db *DB) UnreadNotifications(ctx context.Context, v caseflow.Viewer) (int64, error) {
	cond, args := notificationScope(v)
	var unread int64
	err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) FROM notifications n WHERE `+cond+
		` AND NOT EXISTS (SELECT 1 FROM notification_reads r WHERE r.notification_id = n.id AND r.user_id = ?)`,
		append(args, v.UserID)...).Scan(&unread).Error
	return unread, err
}

// notifications lists the viewer's notifications, of one case when code is
// set, with their deliveries.
func (db *DB) notifications(ctx context.Context, v caseflow.Viewer, code string, limit int) ([]caseflow.Notification, error) {
	cond, args := notificationScope(v)
	if code != "" {
		cond += " AND n.case_code = ?"
		args = append(args, code)
	}
	q := `SELECT n.id, n.kind, n.audience, n.case_code, n.clock, n.due_at, n.legal_basis, n.message, n.created_at, r.read_at, n.acknowledged_at
		FROM notifications n LEFT JOIN notification_reads r ON r.notification_id = n.id AND r.user_id = ?
		WHERE ` + cond + ` ORDER BY n.created_at DESC, n.id DESC LIMIT ?`
	var flat []notificationRowFlat
	if err := db.gorm.WithContext(ctx).Raw(q, append(append([]any{v.UserID}, args...), limit)...).Scan(&flat).Error; err != nil {
		return nil, err
	}
	ids := make([]int64, 0, len(flat))
	for _, r := range flat {
		ids = append(ids, r.ID)
	}
	deliveries, err := deliveriesOf(db.gorm.WithContext(ctx), ids)
	if err != nil {
		return nil, err
	}
	out := make([]caseflow.Notification, 0, len(flat))
	for _, r := range flat {
		n := caseflow.Notification{ID: r.ID, Kind: r.Kind, Audience: r.Audience, CaseCode: r.CaseCode,
			Clock: r.Clock, LegalBasis: r.LegalBasis, Message: r.Message, CreatedAt: r.CreatedAt.UTC(), ReadAt: utcPtr(r.ReadAt),
			Deliveries: deliveries[r.ID], AcknowledgedAt: utcPtr(r.AcknowledgedAt)}
		if r.DueAt != nil {
			n.DueAt = r.DueAt.UTC()
		}
		out = append(out, n)
	}
	return out, nil
}

type notificationRowFlat struct {
	ID             int64
	Kind           string
	Audience       string
	CaseCode       string
	Clock          string
	DueAt          *time.Time
	LegalBasis     string
	Message        string
	CreatedAt      time.Time
	ReadAt         *time.Time
	AcknowledgedAt *time.Time
}

// MarkNotificationRead marks one of the viewer's notifications read.
func (db *DB) MarkNotificationRead(ctx context.Context, v caseflow.Viewer, id int64) error {
	cond, args := notificationScope(v)
	var n int64
	if err := db.gorm.WithContext(ctx).Raw("SELECT count(*) FROM notifications n WHERE n.id = ? AND "+cond,
		append([]any{id}, args...)...).Scan(&n).Error; err != nil {
		return err
	}
	if n == 0 {
		return caseflow.Errorf(caseflow.ENotFound, "no notification %d", id)
	}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).Table("notification_reads").
		Create(map[string]any{"notification_id": id, "user_id": v.UserID, "read_at": db.now()}).Error
}
