package postgres

import (
	"context"
	"errors"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

type jurisdictionJoin struct {
	Row        jurisdictionRow `gorm:"embedded"`
	UnitCode   string
	UnitName   string
	UnitLevel  string
	UnitPath   string
	UnitStruct string
	UnitFrom   time.Time
	UnitTo     *time.Time
	AgencyCode string
	AgencyName string
	AgencyFrom time.Time
	AgencyTo   *time.Time
}

const jurisdictionSelect = `SELECT j.*, u.code AS unit_code, u.name AS unit_name, u.level AS unit_level, u.path AS unit_path,
	u.structure AS unit_struct, u.valid_from AS unit_from, u.valid_to AS unit_to,
	a.code AS agency_code, a.name AS agency_name, a.valid_from AS agency_from, a.valid_to AS agency_to
	FROM jurisdiction j JOIN units u ON u.id = j.unit_id JOIN agencies a ON a.id = j.agency_id`

func (j jurisdictionJoin) row() caseflow.JurisdictionRow {
	r := j.Row
	return caseflow.JurisdictionRow{ID: r.ID, Structure: r.Structure, Type: caseflow.AgencyType(r.AgencyType),
		Unit: caseflow.Unit{ID: r.UnitID, Code: j.UnitCode, Name: j.UnitName, Level: j.UnitLevel, Path: j.UnitPath,
			Structure: j.UnitStruct, ValidFrom: j.UnitFrom, ValidTo: j.UnitTo},
		Agency: caseflow.Agency{ID: r.AgencyID, Code: j.AgencyCode, Name: j.AgencyName, Type: caseflow.AgencyType(r.AgencyType),
			ValidFrom: j.AgencyFrom, ValidTo: j.AgencyTo},
		Primary: r.IsPrimary, Verified: r.Verified, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Source: r.Source,
		Origin: r.Origin, WithdrawnAt: r.WithdrawnAt, UpdatedAt: r.UpdatedAt}
}

// JurisdictionRows lists the jurisdiction table of the province that holds
// the unit at path, ordered by structure, unit and type.
func (db *DB) JurisdictionRows(ctx context.Context, path string, f caseflow.JurisdictionFilter) ([]caseflow.JurisdictionRow, error) {
	province := provincePath(path)
	q := db.gorm.WithContext(ctx).Raw(jurisdictionSelect+` WHERE j.province_id = (SELECT id FROM units WHERE path = @province)
		AND (@structure = '' OR j.structure = @structure) AND (@unit = '' OR u.code = @unit) AND (@type = '' OR j.agency_type = @type)
		AND (CAST(@on AS date) IS NULL OR (j.valid_from <= @on AND (j.valid_to IS NULL OR j.valid_to >= @on)))
		AND (NOT @unverified OR NOT j.verified) AND (@withdrawn OR j.withdrawn_at IS NULL)
		ORDER BY j.structure, u.path, j.agency_type, j.is_primary DESC, j.valid_from, a.code`,
		map[string]any{"province": province, "structure": f.Structure, "unit": f.UnitCode, "type": string(f.Type),
			"on": dayOrNil(f.On), "unverified": f.Unverified, "withdrawn": f.Withdrawn})
	var js []jurisdictionJoin
	if err := q.Scan(&js).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.JurisdictionRow, len(js))
	for i, j := range js {
		out[i] = j.row()
	}
	return out, nil
}

func dayOrNil(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	d := caseflow.Day(t)
	return &d
}

func (db *DB) jurisdictionByID(tx *gorm.DB, id int64) (*caseflow.JurisdictionRow, error) {
	var js []jurisdictionJoin
	if err := tx.Raw(jurisdictionSelect+" WHERE j.id = ?", id).Scan(&js).Error; err != nil {
		return nil, err
	}
	if len(js) == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no jurisdiction row %d", id)
	}
	r := js[0].row()
	return &r, nil
}

// AddJurisdiction stores a row the caller has checked (r.Unit.ID and
// r.Agency.ID set). A primary row takes the place of the primary rows of
// the same structure, unit and type that overlap it: each ends the day
// before the new one starts, or is withdrawn if it starts no earlier. It
// returns the new row and the ids of the rows it replaced.
func (db *DB) AddJurisdiction(ctx context.Context, v caseflow.Viewer, r caseflow.JurisdictionRow) (*caseflow.JurisdictionRow, []int64, error) {
	var out *caseflow.JurisdictionRow
	replaced := []int64{}
	err := db.write(ctx, func(tx *gorm.DB) error {
		var province int64
		if err := tx.Raw(`SELECT province_id FROM structures s WHERE s.id = ? AND ? LIKE (SELECT path FROM units WHERE id = s.province_id) || '%'`,
			r.Structure, r.Unit.Path).Scan(&province).Error; err != nil {
			return err
		}
		now := db.now()
		from := caseflow.Day(r.ValidFrom)
		if r.Primary {
			var olds []jurisdictionRow
			q := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where(`structure = ? AND unit_id = ? AND agency_type = ? AND is_primary
				AND withdrawn_at IS NULL AND (valid_to IS NULL OR valid_to >= ?)`, r.Structure, r.Unit.ID, string(r.Type), from)
			if r.ValidTo != nil {
				q = q.Where("valid_from <= ?", caseflow.Day(*r.ValidTo))
			}
			if err := q.Find(&olds).Error; err != nil {
				return err
			}
			for _, o := range olds {
				set := map[string]any{"updated_at": now}
				if o.ValidFrom.Before(from) {
					set["valid_to"] = from.AddDate(0, 0, -1)
				} else {
					set["withdrawn_at"] = now
				}
				if err := tx.Model(&jurisdictionRow{}).Where("id = ?", o.ID).Updates(set).Error; err != nil {
					return err
				}
				replaced = append(replaced, o.ID)
			}
		}
		row := jurisdictionRow{ProvinceID: province, Structure: r.Structure, UnitID: r.Unit.ID, AgencyType: string(r.Type),
			AgencyID: r.Agency.ID, IsPrimary: r.Primary, Verified: r.Verified, ValidFrom: from, Source: r.Source, Origin: "admin",
			CreatedAt: now, UpdatedAt: now}
		if r.ValidTo != nil {
			d := caseflow.Day(*r.ValidTo)
			row.ValidTo = &d
		}
		// The same row withdrawn before is put back in use rather than
		// added twice (the key is what keeps seeding from adding it back).
		var same []jurisdictionRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("structure = ? AND unit_id = ? AND agency_type = ? AND agency_id = ? AND valid_from = ?",
			r.Structure, r.Unit.ID, string(r.Type), r.Agency.ID, from).Find(&same).Error; err != nil {
			return err
		}
		if len(same) > 0 && same[0].WithdrawnAt == nil {
			return caseflow.Errorf(caseflow.EConflict, "the table already has this agency for this unit and type from %s (row %d)",
				caseflow.DateText(from), same[0].ID)
		}
		if len(same) > 0 {
			row.ID = same[0].ID
			if err := tx.Model(&jurisdictionRow{}).Where("id = ?", row.ID).Updates(map[string]any{"withdrawn_at": nil,
				"is_primary": row.IsPrimary, "verified": row.Verified, "valid_to": row.ValidTo, "source": row.Source,
				"origin": "admin", "updated_at": now}).Error; err != nil {
				return err
			}
		} else if err := tx.Omit("ID").Create(&row).Error; err != nil {
			return err
		}
		var err error
		if out, err = db.jurisdictionByID(tx, row.ID); err != nil {
			return err
		}
		return db.audit(tx, v, "jurisdiction.add", "", map[string]any{"id": row.ID, "structure": r.Structure, "unit": r.Unit.Code,
			"type": string(r.Type), "agency": r.Agency.Code, "primary": r.Primary, "replaced": replaced})
	})
	return out, replaced, err
}

// EditJurisdiction changes what is known about a row: whether it is
// verified, its source, its last day.
func (db *DB) EditJurisdiction(ctx context.Context, v caseflow.Viewer, id int64, e caseflow.JurisdictionEdit) (*caseflow.JurisdictionRow, error) {
	var out *caseflow.JurisdictionRow
	err := db.write(ctx, func(tx *gorm.DB) error {
		var row jurisdictionRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&row).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no jurisdiction row %d", id)
			}
			return err
		}
		set := map[string]any{"updated_at": db.now()}
		detail := map[string]any{"id": id}
		if e.Verified != nil {
			set["verified"], detail["verified"] = *e.Verified, *e.Verified
		}
		if e.Source != nil {
			set["source"] = *e.Source
		}
		if e.ClearValidTo {
			set["valid_to"], detail["valid_to"] = nil, nil
		} else if e.ValidTo != nil {
			d := caseflow.Day(*e.ValidTo)
			if d.Before(row.ValidFrom) {
				return caseflow.InvalidField("valid_to", caseflow.FieldError{Code: caseflow.FieldBeforeStart,
					Message: "is before the row's first day, " + row.ValidFrom.Format("2006-01-02")})
			}
			set["valid_to"], detail["valid_to"] = d, d.Format("2006-01-02")
		}
		if err := tx.Model(&jurisdictionRow{}).Where("id = ?", id).Updates(set).Error; err != nil {
			return err
		}
		var err error
		if out, err = db.jurisdictionByID(tx, id); err != nil {
			return err
		}
		return db.audit(tx, v, "jurisdiction.edit", "", detail)
	})
	return out, err
}

// WithdrawJurisdiction takes a row out of use; it stays in the table, so
// that seeding does not add it back.
func (db *DB) WithdrawJurisdiction(ctx context.Context, v caseflow.Viewer, id int64) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&jurisdictionRow{}).Where("id = ? AND withdrawn_at IS NULL", id).
			Updates(map[string]any{"withdrawn_at": db.now(), "updated_at": db.now()})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return caseflow.Errorf(caseflow.ENotFound, "no jurisdiction row %d in use", id)
		}
		return db.audit(tx, v, "jurisdiction.withdraw", "", map[string]any{"id": id})
	})
}
