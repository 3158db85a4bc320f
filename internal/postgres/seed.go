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

// SeedReference loads every province shipped in seeds/ (its structures,
// units, successions, agencies and jurisdiction table) and the public
// holidays. It is idempotent: units are updated by code and first day,
// agencies by code; jurisdiction rows are only added, so that an
// administrator's corrections survive it.
func (db *DB) SeedReference(ctx context.Context) error {
	provinces, err := seeds.Provinces()
	if err != nil {
		return err
	}
	holidays, err := seeds.Holidays()
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *gorm.DB) error {
		for _, p := range provinces {
			if err := db.seedProvince(tx, p); err != nil {
				return fmt.Errorf("seeding %s: %w", p.Dir, err)
			}
		}
		for _, h := range holidays {
			d, err := time.Parse("2006-01-02", h.Date)
			if err != nil {
				return fmt.Errorf("seed holiday %q: %w", h.Date, err)
			}
			// Added, never overwritten: an administrator's change survives.
			row := holidayRow{Date: d, Name: h.Name, Working: h.Working, Verified: h.Verified == nil || *h.Verified, Source: h.Source}
			if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&row).Error; err != nil {
				return err
			}
		}
		return nil
	})
}

func (db *DB) seedProvince(tx *gorm.DB, p *seeds.Province) error {
	// A province is one unit whatever its first day: a database seeded
	// before the loaded dates keeps its row, which takes them.
	prov := p.Units[0]
	if err := tx.Exec(`UPDATE units SET valid_from = ?, valid_to = NULL, name = ?, structure = ''
		WHERE level = 'province' AND code = ? AND valid_from <> ? AND NOT EXISTS (SELECT 1 FROM units WHERE code = ? AND valid_from = ?)`,
		prov.ValidFrom, prov.Name, prov.Code, prov.ValidFrom, prov.Code, prov.ValidFrom).Error; err != nil {
		return err
	}
	ids := map[string]int64{} // unit key → id
	readIDs := func() error {
		var rows []unitRow
		if err := tx.Select("id, code, valid_from").Find(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			ids[seeds.UnitKey(r.Code, r.ValidFrom)] = r.ID
		}
		return nil
	}
	// Parents come before their units, so a unit's parent is stored by the
	// time the unit is: write them level by level.
	for _, level := range []string{caseflow.LevelProvince, caseflow.LevelDistrict, caseflow.LevelCommune} {
		var batch []unitRow
		for _, u := range p.Units {
			if u.Level != level {
				continue
			}
			row := unitRow{Code: u.Code, Name: u.Name, Level: u.Level, Structure: u.Structure, Remote: u.Remote,
				ValidFrom: u.ValidFrom, ValidTo: u.ValidTo, Path: "/"} // set by refreshPaths
			if u.ParentKey != "" {
				pid, ok := ids[u.ParentKey]
				if !ok {
					return fmt.Errorf("unit %s: parent %s is not stored", u.Key(), u.ParentKey)
				}
				row.ParentID = &pid
			}
			batch = append(batch, row)
		}
		if len(batch) > 0 {
			if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}, {Name: "valid_from"}},
				DoUpdates: clause.AssignmentColumns([]string{"name", "level", "parent_id", "structure", "remote", "valid_to"})}).
				Omit("ID").CreateInBatches(batch, 500).Error; err != nil {
				return err
			}
		}
		if err := readIDs(); err != nil {
			return err
		}
	}
	if err := db.refreshPaths(tx); err != nil {
		return err
	}
	province := ids[p.Units[0].Key()]

	for _, s := range p.Structures {
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "province_id"}, {Name: "id"}},
			DoUpdates: clause.AssignmentColumns([]string{"label", "label_en", "valid_from", "valid_to"})}).
			Create(&structureRow{ProvinceID: province, ID: s.ID, Label: s.Label, LabelEn: s.LabelEn, ValidFrom: s.ValidFrom, ValidTo: s.ValidTo}).Error; err != nil {
			return err
		}
	}
	var succ []successionRow
	for _, s := range p.Successions {
		succ = append(succ, successionRow{FromUnitID: ids[s.From], ToUnitID: ids[s.To], Effective: s.Effective, Portion: s.Portion,
			Main: s.Main, Verified: s.Verified, Basis: s.Basis})
	}
	if len(succ) > 0 {
		// A correction of which part is main moves the flag: clear it first,
		// so the unique index holds at every row.
		from := make([]int64, len(succ))
		for i, s := range succ {
			from[i] = s.FromUnitID
		}
		if err := tx.Model(&successionRow{}).Where("from_unit_id IN ?", from).Update("main", false).Error; err != nil {
			return err
		}
		if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "from_unit_id"}, {Name: "to_unit_id"}},
			DoUpdates: clause.AssignmentColumns([]string{"effective", "portion", "main", "verified", "basis"})}).
			CreateInBatches(succ, 500).Error; err != nil {
			return err
		}
	}

	var agencies []agencyRow
	for _, a := range p.Agencies {
		if !caseflow.AgencyType(a.Type).Valid() {
			return fmt.Errorf("agency %s: unknown type %s", a.Code, a.Type)
		}
		agencies = append(agencies, agencyRow{Code: a.Code, Name: a.Name, NameEn: a.NameEn, Type: a.Type, UnitID: ids[a.UnitKey],
			ValidFrom: a.ValidFrom, ValidTo: a.ValidTo})
	}
	if err := tx.Clauses(clause.OnConflict{Columns: []clause.Column{{Name: "code"}},
		DoUpdates: clause.AssignmentColumns([]string{"name", "name_en", "type", "unit_id", "valid_from", "valid_to"})}).
		Omit("ID").CreateInBatches(agencies, 500).Error; err != nil {
		return err
	}
	agencyIDs := map[string]int64{}
	var stored []agencyRow
	if err := tx.Select("id, code").Find(&stored).Error; err != nil {
		return err
	}
	for _, a := range stored {
		agencyIDs[a.Code] = a.ID
	}
	now := db.now()
	var rows []jurisdictionRow
	for _, j := range p.Jurisdiction {
		rows = append(rows, jurisdictionRow{ProvinceID: province, Structure: j.Structure, UnitID: ids[j.UnitKey], AgencyType: j.Type,
			AgencyID: agencyIDs[j.Agency], IsPrimary: j.Primary, Verified: j.Verified, ValidFrom: j.ValidFrom, ValidTo: j.ValidTo,
			Source: j.Source, Origin: "seed", CreatedAt: now, UpdatedAt: now})
	}
	if len(rows) > 0 {
		if err := tx.Clauses(clause.OnConflict{DoNothing: true}).Omit("ID").CreateInBatches(rows, 500).Error; err != nil {
			return err
		}
	}
	return db.retireUnlisted(tx, p, ids, agencyIDs)
}

// retireUnlisted removes the units and agencies of the province that its
// files no longer list (such as the placeholder communes of an earlier
// version) when nothing refers to them. Those a case, an account or a
// history row still refers to stay, and are reported: their cases need a
// person's decision.
func (db *DB) retireUnlisted(tx *gorm.DB, p *seeds.Province, ids map[string]int64, agencyIDs map[string]int64) error {
	listedUnits := map[int64]bool{}
	for _, u := range p.Units {
		listedUnits[ids[u.Key()]] = true
	}
	listedAgencies := map[int64]bool{}
	for _, a := range p.Agencies {
		listedAgencies[agencyIDs[a.Code]] = true
	}
	provPath := ""
	if err := tx.Model(&unitRow{}).Where("id = ?", ids[p.Units[0].Key()]).Pluck("path", &provPath).Error; err != nil {
		return err
	}
	var agencies []agencyRow
	if err := tx.Raw(`SELECT a.id, a.code FROM agencies a JOIN units u ON u.id = a.unit_id WHERE u.path LIKE ?`, likePrefix(provPath)).
		Scan(&agencies).Error; err != nil {
		return err
	}
	kept := 0
	try := func(sql string, id int64) error {
		tx.SavePoint("retire")
		if err := tx.Exec(sql, id).Error; err != nil {
			if rerr := tx.RollbackTo("retire").Error; rerr != nil {
				return rerr
			}
			kept++ // still referred to
		}
		return nil
	}
	for _, a := range agencies {
		if !listedAgencies[a.ID] {
			if err := try("DELETE FROM agencies WHERE id = ?", a.ID); err != nil {
				return err
			}
		}
	}
	var units []unitRow
	if err := tx.Where("path LIKE ?", likePrefix(provPath)).Order("length(path) DESC").Find(&units).Error; err != nil {
		return err
	}
	for _, u := range units {
		if !listedUnits[u.ID] {
			if err := try("DELETE FROM units WHERE id = ?", u.ID); err != nil {
				return err
			}
		}
	}
	if kept > 0 && db.Log != nil {
		db.Log.Warn("units or agencies the official lists do not have are still referred to; review their cases",
			"province", p.Code, "kept", kept)
	}
	return nil
}

// refreshPaths recomputes every unit's path from its parents and, if any
// path changed, the copies cases and notifications keep.
func (db *DB) refreshPaths(tx *gorm.DB) error {
	res := tx.Exec(`WITH RECURSIVE tree AS (
			SELECT id, '/' || id || '/' AS path FROM units WHERE parent_id IS NULL
			UNION ALL
			SELECT u.id, tree.path || u.id || '/' FROM units u JOIN tree ON u.parent_id = tree.id)
		UPDATE units SET path = tree.path FROM tree WHERE tree.id = units.id AND units.path <> tree.path`)
	if res.Error != nil || res.RowsAffected == 0 {
		return res.Error
	}
	if err := tx.Exec(`UPDATE cases SET unit_path = u.path FROM units u WHERE u.id = cases.commune_id AND cases.unit_path <> u.path`).Error; err != nil {
		return err
	}
	return tx.Exec(`UPDATE notifications n SET unit_path = c.unit_path FROM cases c WHERE c.id = n.case_id AND n.unit_path <> c.unit_path`).Error
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
		if err := db.gorm.WithContext(ctx).Model(&userRow{}).Where("username = ?", u.Username).
			Update("disabled", u.Disabled).Error; err != nil {
			return nil, err
		}
	}
	return users, nil
}
