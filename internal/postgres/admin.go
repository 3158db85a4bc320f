package postgres

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

// Users lists every account, for administrators.
func (db *DB) Users(ctx context.Context) ([]*caseflow.User, error) {
	var rows []userJoin
	if err := db.gorm.WithContext(ctx).Raw(userSelect + " ORDER BY u.username").Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]*caseflow.User, 0, len(rows))
	for _, r := range rows {
		u := r.user()
		u.PasswordHash = ""
		out = append(out, u)
	}
	return out, nil
}

// CreateUser adds an account; a taken username is a conflict. An account
// whose role reads personal data waits for a second administrator: it is
// stored unapproved, with its grant pending.
func (db *DB) CreateUser(ctx context.Context, v caseflow.Viewer, u *caseflow.User, hash string, awaitApproval bool) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		var agencyID int64
		res := tx.Model(&agencyRow{}).Where("code = ?", u.Agency.Code).Pluck("id", &agencyID)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return fieldError("agency_code", caseflow.FieldNotFound, "no such agency")
		}
		now := db.now()
		row := userRow{Username: u.Username, DisplayName: u.DisplayName, PasswordHash: hash, Role: string(u.Role),
			AgencyID: agencyID, CreatedAt: now, UpdatedAt: now}
		err := tx.Omit("ID").Create(&row).Error
		if errors.Is(err, gorm.ErrDuplicatedKey) {
			return &caseflow.Error{Code: caseflow.EConflict, Message: "that username is taken", Fields: map[string]caseflow.FieldError{"username": {Code: caseflow.FieldTaken, Message: "is taken"}}}
		}
		if err != nil {
			return err
		}
		if awaitApproval {
			var id int64
			if err := tx.Raw("UPDATE users SET approved_at = NULL WHERE username = ? RETURNING id", u.Username).Scan(&id).Error; err != nil {
				return err
			}
			if err := tx.Create(&roleGrantRow{UserID: id, Role: string(u.Role), AgencyID: agencyID, RequestedBy: v.UserID,
				RequestedAt: now}).Error; err != nil {
				return err
			}
		}
		return db.audit(tx, v, "user.create", "", map[string]any{"user": u.Username, "role": string(u.Role), "awaiting_approval": awaitApproval})
	})
}

// UserUpdate is a change to an account; nil fields stay as they are.
type UserUpdate = caseflow.UserChange

// UpdateUser changes an account. Disabling it or resetting its password
// ends its sessions.
func (db *DB) UpdateUser(ctx context.Context, v caseflow.Viewer, username string, up UserUpdate) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		var u userRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("username = ?", username).Take(&u).Error; err != nil {
			if err == gorm.ErrRecordNotFound {
				return caseflow.Errorf(caseflow.ENotFound, "no user %q", username)
			}
			return err
		}
		now := db.now()
		set := map[string]any{"updated_at": now}
		detail := map[string]any{"user": username}
		if up.Role != nil {
			set["role"], detail["role"] = string(*up.Role), string(*up.Role)
		}
		if up.DisplayName != nil {
			set["display_name"] = *up.DisplayName
		}
		if up.AgencyCode != nil {
			var id int64
			res := tx.Model(&agencyRow{}).Where("code = ?", *up.AgencyCode).Pluck("id", &id)
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return fieldError("agency_code", caseflow.FieldNotFound, "no such agency")
			}
			set["agency_id"], detail["agency"] = id, *up.AgencyCode
		}
		endSessions := false
		if up.Disabled != nil {
			set["disabled"], detail["disabled"] = *up.Disabled, *up.Disabled
			endSessions = *up.Disabled
		}
		if up.PasswordHash != nil {
			set["password_hash"], detail["password_reset"] = *up.PasswordHash, true
			endSessions = true
		}
		if err := tx.Model(&userRow{}).Where("id = ?", u.ID).Updates(set).Error; err != nil {
			return err
		}
		if endSessions {
			if err := tx.Model(&sessionRow{}).Where("user_id = ? AND revoked_at IS NULL", u.ID).Update("revoked_at", now).Error; err != nil {
				return err
			}
		}
		return db.audit(tx, v, "user.update", "", detail)
	})
}

// Holidays lists the stored public holidays.
func (db *DB) Holidays(ctx context.Context) ([]caseflow.Holiday, error) {
	var rows []holidayRow
	if err := db.gorm.WithContext(ctx).Order("date").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.Holiday, len(rows))
	for i, r := range rows {
		out[i] = caseflow.Holiday{Date: r.Date, Name: r.Name, Working: r.Working, Verified: r.Verified, Source: r.Source}
	}
	return out, nil
}

// PutHoliday adds or changes a day of the legal calendar: a day off, or a
// weekend day made a working day. An administrator's entry counts as
// verified. Due times already computed stay as they are; clocks started
// afterwards use the new calendar.
func (db *DB) PutHoliday(ctx context.Context, v caseflow.Viewer, h caseflow.Holiday) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "date"}},
			DoUpdates: clause.AssignmentColumns([]string{"name", "working", "verified", "source"})}).
			Create(&holidayRow{Date: h.Date, Name: h.Name, Working: h.Working, Verified: true, Source: h.Source}).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "holiday.put", "", map[string]any{"date": h.Date.Format("2006-01-02"), "working": h.Working})
	})
}

// DeleteHoliday removes a public holiday.
func (db *DB) DeleteHoliday(ctx context.Context, v caseflow.Viewer, date time.Time) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		res := tx.Where("date = ?", date).Delete(&holidayRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return caseflow.Errorf(caseflow.ENotFound, "no holiday on %s", date.Format("2006-01-02"))
		}
		return db.audit(tx, v, "holiday.delete", "", map[string]any{"date": date.Format("2006-01-02")})
	})
}

// Directory lists every agency and administrative unit with the days each
// existed, for the choices a form offers; the services check every choice
// again.
func (db *DB) Directory(ctx context.Context) ([]caseflow.Agency, []caseflow.Unit, error) {
	var js []unitJoin
	if err := db.gorm.WithContext(ctx).Raw(unitSelect + ` ORDER BY u.path`).Scan(&js).Error; err != nil {
		return nil, nil, err
	}
	var agencies []struct {
		ID                                   int64
		Code, Name, Type, UnitCode, UnitPath string
		ValidFrom                            time.Time
		ValidTo                              *time.Time
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT a.id, a.code, a.name, a.type, u.code AS unit_code, u.path AS unit_path,
			a.valid_from, a.valid_to
		FROM agencies a JOIN units u ON u.id = a.unit_id ORDER BY u.path, a.code`).Scan(&agencies).Error; err != nil {
		return nil, nil, err
	}
	as := make([]caseflow.Agency, len(agencies))
	for i, a := range agencies {
		as[i] = caseflow.Agency{ID: a.ID, Code: a.Code, Name: a.Name, Type: caseflow.AgencyType(a.Type),
			Unit: caseflow.Unit{Code: a.UnitCode, Path: a.UnitPath}, ValidFrom: a.ValidFrom, ValidTo: a.ValidTo}
	}
	return as, units(js), nil
}
