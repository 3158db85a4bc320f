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

// Four eyes on roles that read children's personal data: one administrator
// asks (creating such an account, or changing an account's role or agency
// to one), another decides. The decision, the change it makes and the
// supervisors' notification are written in one transaction.

type roleGrantRow struct {
	ID          int64 `gorm:"primaryKey"`
	UserID      int64
	Role        string
	AgencyID    int64
	RequestedBy int64
	RequestedAt time.Time
	DecidedBy   *int64
	DecidedAt   *time.Time
	Decision    *string
	Reason      string
}

func (roleGrantRow) TableName() string { return "role_grants" }

const grantSelect = `SELECT g.id, u.username, g.role, a.code AS agency_code, r.username AS requested_by, g.requested_at,
	coalesce(d.username, '') AS decided_by, g.decided_at, coalesce(g.decision, '') AS decision, g.reason
	FROM role_grants g JOIN users u ON u.id = g.user_id JOIN agencies a ON a.id = g.agency_id
	JOIN users r ON r.id = g.requested_by LEFT JOIN users d ON d.id = g.decided_by`

type grantJoin struct {
	ID          int64
	Username    string
	Role        string
	AgencyCode  string
	RequestedBy string
	RequestedAt time.Time
	DecidedBy   string
	DecidedAt   *time.Time
	Decision    string
	Reason      string
}

func (j grantJoin) grant() caseflow.RoleGrant {
	return caseflow.RoleGrant{ID: j.ID, Username: j.Username, Role: caseflow.Role(j.Role), AgencyCode: j.AgencyCode,
		RequestedBy: j.RequestedBy, RequestedAt: j.RequestedAt.UTC(), DecidedBy: j.DecidedBy, DecidedAt: utcPtr(j.DecidedAt),
		Decision: j.Decision, Reason: j.Reason}
}

// PendingGrants lists the grants that wait for a decision, oldest first.
func (db *DB) PendingGrants(ctx context.Context) ([]caseflow.RoleGrant, error) {
	var rows []grantJoin
	if err := db.gorm.WithContext(ctx).Raw(grantSelect + " WHERE g.decided_at IS NULL ORDER BY g.id").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.RoleGrant, 0, len(rows))
	for _, r := range rows {
		out = append(out, r.grant())
	}
	return out, nil
}

// RequestGrant records an administrator's request to give an account a
// role and agency that read personal data; the account keeps what it has
// until another administrator approves. One request waits per account.
func (db *DB) RequestGrant(ctx context.Context, v caseflow.Viewer, username string, role caseflow.Role, agencyCode string) (*caseflow.RoleGrant, error) {
	var id int64
	err := db.write(ctx, func(tx *gorm.DB) error {
		var u userRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("username = ?", username).Take(&u).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no user %q", username)
			}
			return err
		}
		var agencyID int64
		res := tx.Model(&agencyRow{}).Where("code = ?", agencyCode).Pluck("id", &agencyID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fieldError("agency_code", caseflow.FieldNotFound, "no such agency")
		}
		var waiting int64
		if err := tx.Model(&roleGrantRow{}).Where("user_id = ? AND decided_at IS NULL", u.ID).Count(&waiting).Error; err != nil {
			return err
		}
		if waiting > 0 {
			return &caseflow.Error{Code: caseflow.EConflict, Message: "a grant for this account already waits for a decision",
				Fields: map[string]caseflow.FieldError{"role": {Code: caseflow.FieldWrongState, Message: "a grant already waits for a second administrator"}}}
		}
		row := roleGrantRow{UserID: u.ID, Role: string(role), AgencyID: agencyID, RequestedBy: v.UserID, RequestedAt: db.now()}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		id = row.ID
		return db.audit(tx, v, "user.grant_requested", "", map[string]any{"user": username, "role": string(role), "agency": agencyCode})
	})
	if err != nil {
		return nil, err
	}
	return db.grant(ctx, id)
}

func (db *DB) grant(ctx context.Context, id int64) (*caseflow.RoleGrant, error) {
	var j grantJoin
	res := db.gorm.WithContext(ctx).Raw(grantSelect+" WHERE g.id = ?", id).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no grant %d", id)
	}
	g := j.grant()
	return &g, nil
}

// DecideGrant approves or refuses a pending grant. Neither the
// administrator who asked nor the account's owner may decide. An approval
// gives the account its role and agency (ending its sessions, so that the
// new access starts from a new login), lets a new account log in, and
// tells the supervisors over the agency's unit.
func (db *DB) DecideGrant(ctx context.Context, v caseflow.Viewer, id int64, approve bool, reason string) (*caseflow.RoleGrant, error) {
	err := db.write(ctx, func(tx *gorm.DB) error {
		var g roleGrantRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&g).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no grant %d", id)
			}
			return err
		}
		if g.DecidedAt != nil {
			return caseflow.Errorf(caseflow.EConflict, "the grant was already %s", *g.Decision)
		}
		if g.RequestedBy == v.UserID {
			return caseflow.Errorf(caseflow.EForbidden, "another administrator must decide on a grant you asked for")
		}
		if g.UserID == v.UserID {
			return caseflow.Errorf(caseflow.EForbidden, "another administrator must decide on a grant to your own account")
		}
		now := db.now()
		decision := caseflow.GrantRefused
		if approve {
			decision = caseflow.GrantApproved
		}
		if err := tx.Model(&roleGrantRow{}).Where("id = ?", id).Updates(map[string]any{"decided_by": v.UserID, "decided_at": now,
			"decision": decision, "reason": reason}).Error; err != nil {
			return err
		}
		var who struct {
			Username   string
			AgencyCode string
			UnitPath   string
			UnitName   string
		}
		if err := tx.Raw(`SELECT u.username, a.code AS agency_code, n.path AS unit_path, n.name AS unit_name
			FROM users u, agencies a JOIN units n ON n.id = a.unit_id WHERE u.id = ? AND a.id = ?`, g.UserID, g.AgencyID).Scan(&who).Error; err != nil {
			return err
		}
		detail := map[string]any{"user": who.Username, "role": g.Role, "agency": who.AgencyCode, "grant": id}
		if !approve {
			return db.audit(tx, v, "user.grant_refused", "", detail)
		}
		if err := tx.Exec(`UPDATE users SET role = ?, agency_id = ?, approved_at = coalesce(approved_at, ?), updated_at = ? WHERE id = ?`,
			g.Role, g.AgencyID, now, now, g.UserID).Error; err != nil {
			return err
		}
		if err := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked_at IS NULL", g.UserID).Update("revoked_at", now).Error; err != nil {
			return err
		}
		if err := db.audit(tx, v, "user.grant_approved", "", detail); err != nil {
			return err
		}
		row := notificationRow{Kind: caseflow.NotificationRoleGranted, Audience: "supervisors", UnitPath: who.UnitPath,
			Generation: int(id), CreatedAt: now,
			Message: fmt.Sprintf("Tài khoản %s (%s, %s) được cấp quyền xem dữ liệu cá nhân của trẻ, do %s duyệt / Account %s (%s, %s) may now read children's personal data, approved by %s",
				who.Username, g.Role, who.AgencyCode, v.Username, who.Username, g.Role, who.AgencyCode, v.Username)}
		_, err := db.addNotification(tx, &row)
		return err
	})
	if err != nil {
		return nil, err
	}
	return db.grant(ctx, id)
}
