package postgres

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

type userJoin struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	AgencyID     int64
	Disabled     bool
	CreatedAt    time.Time
	ApprovedAt   *time.Time
	AgencyCode   string
	AgencyName   string
	AgencyType   string
	AgencyFrom   time.Time
	AgencyTo     *time.Time
	UnitID       int64
	UnitCode     string
	UnitName     string
	UnitLevel    string
	UnitPath     string
	UnitStruct   string
	UnitFrom     time.Time
	UnitTo       *time.Time
}

const userSelect = `SELECT u.*, a.code AS agency_code, a.name AS agency_name, a.type AS agency_type,
	a.valid_from AS agency_from, a.valid_to AS agency_to, n.id AS unit_id, n.code AS unit_code, n.name AS unit_name,
	n.level AS unit_level, n.path AS unit_path, n.structure AS unit_struct, n.valid_from AS unit_from, n.valid_to AS unit_to
	FROM users u JOIN agencies a ON a.id = u.agency_id JOIN units n ON n.id = a.unit_id`

func (j userJoin) user() *caseflow.User {
	return &caseflow.User{
		ID: j.ID, Username: j.Username, DisplayName: j.DisplayName, Role: caseflow.Role(j.Role),
		Disabled: j.Disabled, PasswordHash: j.PasswordHash, CreatedAt: j.CreatedAt, AwaitingApproval: j.ApprovedAt == nil,
		Agency: caseflow.Agency{ID: j.AgencyID, Code: j.AgencyCode, Name: j.AgencyName, Type: caseflow.AgencyType(j.AgencyType),
			ValidFrom: j.AgencyFrom, ValidTo: j.AgencyTo,
			Unit: caseflow.Unit{ID: j.UnitID, Code: j.UnitCode, Name: j.UnitName, Level: j.UnitLevel, Path: j.UnitPath,
				Structure: j.UnitStruct, ValidFrom: j.UnitFrom, ValidTo: j.UnitTo}},
	}
}

// UserByUsername returns the account with that username, or a not_found error.
func (db *DB) UserByUsername(ctx context.Context, username string) (*caseflow.User, error) {
	var j userJoin
	res := db.gorm.WithContext(ctx).Raw(userSelect+" WHERE u.username = ?", username).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no such user")
	}
	return j.user(), nil
}

// CreateSession stores the keyed hash of a new bearer token for a user and
// records the login in the audit trail.
func (db *DB) CreateSession(ctx context.Context, v caseflow.Viewer, tokenHash []byte, expiresAt time.Time) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		row := sessionRow{TokenHash: tokenHash, UserID: v.UserID, CreatedAt: db.now(), ExpiresAt: expiresAt.UTC()}
		if err := tx.Omit("ID").Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "auth.login", "", nil)
	})
}

// SessionViewer returns the user behind a live session token hash, or an
// unauthorized error when the token is unknown, revoked or expired, or the
// user is disabled.
func (db *DB) SessionViewer(ctx context.Context, tokenHash []byte) (*caseflow.User, error) {
	var j userJoin
	res := db.gorm.WithContext(ctx).Raw(userSelect+` JOIN sessions s ON s.user_id = u.id
		WHERE s.token_hash = ? AND s.revoked_at IS NULL AND s.expires_at > ? AND NOT u.disabled AND u.approved_at IS NOT NULL`, tokenHash, db.now()).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.EUnauthorized, "the session has expired or is not valid: log in again")
	}
	return j.user(), nil
}

// RevokeSession ends a session (logout).
func (db *DB) RevokeSession(ctx context.Context, v caseflow.Viewer, tokenHash []byte) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Model(&sessionRow{}).Where("token_hash = ? AND revoked_at IS NULL", tokenHash).
			Update("revoked_at", db.now()).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "auth.logout", "", nil)
	})
}

// AuditLoginFailure records a refused login of a known account.
func (db *DB) AuditLoginFailure(ctx context.Context, v caseflow.Viewer, reason string) error {
	return db.Audit(ctx, v, "auth.login_failed", "", map[string]any{"reason": reason})
}

// UnitByCode returns the unit with code that exists today or, for a code no
// unit has today, the last unit that had it; or not_found.
func (db *DB) UnitByCode(ctx context.Context, code string) (*caseflow.Unit, int64, error) {
	var u unitRow
	today := caseflow.Day(db.now())
	err := db.gorm.WithContext(ctx).Where("code = ?", code).
		Order(clause.OrderBy{Expression: clause.Expr{SQL: "(valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)) DESC, valid_from DESC",
			Vars: []any{today, today}, WithoutParentheses: true}}).
		Take(&u).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, 0, caseflow.Errorf(caseflow.ENotFound, "no unit with code %q", code)
	}
	if err != nil {
		return nil, 0, err
	}
	cu := u.unit()
	return &cu, u.ID, nil
}

// HolidayDates returns every stored day off (public holidays and the days
// off of a swap).
func (db *DB) HolidayDates(ctx context.Context) ([]time.Time, error) {
	var ds []time.Time
	err := db.gorm.WithContext(ctx).Model(&holidayRow{}).Where("NOT working").Order("date").Pluck("date", &ds).Error
	return ds, err
}

// WorkingDates returns every weekend day made a working day by a swap.
func (db *DB) WorkingDates(ctx context.Context) ([]time.Time, error) {
	var ds []time.Time
	err := db.gorm.WithContext(ctx).Model(&holidayRow{}).Where("working").Order("date").Pluck("date", &ds).Error
	return ds, err
}
