package postgres

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
	"caseflow/seeds"
)

// SeedReference loads the administrative units, agencies and public holidays
// shipped in seeds/. It is idempotent: existing rows are updated by code.
func (db *DB) SeedReference(ctx context.Context) error {
	structures, err := seeds.Structures()
	if err != nil {
		return err
	}
	agencies, err := seeds.Agencies()
	if err != nil {
		return err
	}
	holidays, err := seeds.Holidays()
	if err != nil {
		return err
	}
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		ids := map[string]int64{}
		paths := map[string]string{}
		for _, s := range structures {
			for _, u := range s.Units {
				row := unitRow{Code: u.Code, Name: u.Name, Level: u.Level, Structure: s.Structure, Remote: u.Remote}
				if row.ValidFrom, err = time.Parse("2006-01-02", u.ValidFrom); err != nil {
					return fmt.Errorf("seed unit %s: valid_from: %w", u.Code, err)
				}
				if u.ValidTo != "" {
					t, err := time.Parse("2006-01-02", u.ValidTo)
					if err != nil {
						return fmt.Errorf("seed unit %s: valid_to: %w", u.Code, err)
					}
					row.ValidTo = &t
				}
				row.Path = "/" + u.Code + "/"
				if u.Parent != "" {
					pid, ok := ids[u.Parent]
					if !ok {
						return fmt.Errorf("seed unit %s: parent %s must come before it", u.Code, u.Parent)
					}
					row.ParentID = &pid
					row.Path = paths[u.Parent] + u.Code + "/"
				}
				if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}},
					DoUpdates: clause.AssignmentColumns([]string{"name", "level", "parent_id", "path", "structure", "remote", "valid_from", "valid_to"})}).
					Omit("ID").Create(&row).Error; err != nil {
					return err
				}
				if err := tx.Model(&unitRow{}).Where("code = ?", u.Code).Pluck("id", &row.ID).Error; err != nil {
					return err
				}
				ids[u.Code], paths[u.Code] = row.ID, row.Path
			}
		}
		for _, a := range agencies {
			uid, ok := ids[a.Unit]
			if !ok {
				return fmt.Errorf("seed agency %s: unknown unit %s", a.Code, a.Unit)
			}
			if !caseflow.AgencyType(a.Type).Valid() {
				return fmt.Errorf("seed agency %s: unknown type %s", a.Code, a.Type)
			}
			row := agencyRow{Code: a.Code, Name: a.Name, NameEn: a.NameEn, Type: a.Type, UnitID: uid, IsDefault: a.Default}
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "name_en", "type", "unit_id", "is_default"})}).
				Omit("ID").Create(&row).Error; err != nil {
				return err
			}
		}
		for _, h := range holidays {
			d, err := time.Parse("2006-01-02", h.Date)
			if err != nil {
				return fmt.Errorf("seed holiday %q: %w", h.Date, err)
			}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&holidayRow{Date: d, Name: h.Name}).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

// SeedUser creates or updates an account. hash is the already-hashed password.
func (db *DB) SeedUser(ctx context.Context, username, displayName string, role caseflow.Role, agencyCode, hash string) error {
	var agencyID int64
	res := db.gorm.WithContext(ctx).Model(&agencyRow{}).Where("code = ?", agencyCode).Pluck("id", &agencyID)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return fmt.Errorf("user %s: unknown agency %s", username, agencyCode)
	}
	now := db.now()
	row := userRow{Username: username, DisplayName: displayName, PasswordHash: hash, Role: string(role),
		AgencyID: agencyID, CreatedAt: now, UpdatedAt: now}
	return db.gorm.WithContext(ctx).Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "username"}},
		DoUpdates: clause.AssignmentColumns([]string{"display_name", "role", "agency_id", "updated_at"})}).
		Omit("ID").Create(&row).Error
}

// CaseCount returns how many cases exist, for seeding decisions.
func (db *DB) CaseCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Model(&caseRow{}).Count(&n).Error
	return n, err
}

// SeedDemoUsers creates the demo accounts of seeds/demo-users.yaml with the
// given password hash; accounts that exist keep their password. It returns
// the accounts, for printing.
func (db *DB) SeedDemoUsers(ctx context.Context, hash string) ([]seeds.User, error) {
	users, err := seeds.DemoUsers()
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		if err := db.SeedUser(ctx, u.Username, u.DisplayName, caseflow.Role(u.Role), u.Agency, hash); err != nil {
			return nil, err
		}
	}
	return users, nil
}
