package postgres

import (
	"context"
	"fmt"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// unitJoin is a unit with its parent's code.
type unitJoin struct {
	Row        unitRow `gorm:"embedded"`
	ParentCode *string
}

const unitSelect = `SELECT u.*, p.code AS parent_code FROM units u LEFT JOIN units p ON p.id = u.parent_id`

func (j unitJoin) unit() caseflow.Unit {
	u := j.Row.unit()
	if j.ParentCode != nil {
		u.Parent = *j.ParentCode
	}
	return u
}

func (r unitRow) unit() caseflow.Unit {
	return caseflow.Unit{ID: r.ID, Code: r.Code, Name: r.Name, Level: r.Level, Path: r.Path, Structure: r.Structure,
		ValidFrom: r.ValidFrom, ValidTo: r.ValidTo, Remote: r.Remote}
}

func units(js []unitJoin) []caseflow.Unit {
	out := make([]caseflow.Unit, len(js))
	for i, j := range js {
		out[i] = j.unit()
	}
	return out
}

// UnitsByCode returns every unit that has had code, oldest first.
func (db *DB) UnitsByCode(ctx context.Context, code string) ([]caseflow.Unit, error) {
	var js []unitJoin
	err := db.gorm.WithContext(ctx).Raw(unitSelect+` WHERE u.code = ? ORDER BY u.valid_from`, code).Scan(&js).Error
	return units(js), err
}

// UnitsBecame returns the units that unit id became, in whole or in part,
// that exist on the day of t: its successors, theirs, and so on.
func (db *DB) UnitsBecame(ctx context.Context, id int64, t time.Time) ([]caseflow.Unit, error) {
	return db.lineage(ctx, id, true, &t)
}

// UnitsFormedInto returns the units that existed on the day of t and that
// unit id was formed from, directly or through earlier changes.
func (db *DB) UnitsFormedInto(ctx context.Context, id int64, t time.Time) ([]caseflow.Unit, error) {
	return db.lineage(ctx, id, false, &t)
}

// lineage follows a unit's successions forward (what it became) or back
// (what it was formed from), keeping the units that exist on the day of on
// (every one when on is nil).
func (db *DB) lineage(ctx context.Context, id int64, forward bool, on *time.Time) ([]caseflow.Unit, error) {
	next, from := "to_unit_id", "from_unit_id"
	if !forward {
		next, from = from, next
	}
	where, order, args := "", "u.valid_to DESC NULLS FIRST, u.name", map[string]any{"id": id}
	if on != nil {
		where, order = " AND u.valid_from <= @day AND (u.valid_to IS NULL OR u.valid_to >= @day)", "u.code"
		args["day"] = caseflow.Day(*on)
	}
	var js []unitJoin
	err := db.gorm.WithContext(ctx).Raw(`WITH RECURSIVE s AS (
			SELECT `+next+` AS id, 1 AS depth FROM unit_successions WHERE `+from+` = @id
			UNION SELECT us.`+next+`, s.depth + 1 FROM unit_successions us JOIN s ON us.`+from+` = s.id WHERE s.depth < 10)
		`+unitSelect+` WHERE u.id IN (SELECT id FROM s)`+where+` ORDER BY `+order, args).Scan(&js).Error
	return units(js), err
}

// unitOnDay follows a unit's main successions to the unit that holds its
// place on the day of t: a case of a former commune is referred under the
// unit its commune became part of. A unit that ended without a recorded
// successor is an error naming the gap.
func unitOnDay(tx *gorm.DB, id int64, t time.Time) (unitRow, error) {
	day := caseflow.Day(t)
	for hop := 0; hop < 10; hop++ {
		var u unitRow // fresh: gorm adds a set primary key to the query
		if err := tx.Where("id = ?", id).Take(&u).Error; err != nil {
			return u, err
		}
		if u.ValidTo == nil || !caseflow.Day(*u.ValidTo).Before(day) {
			return u, nil
		}
		var next []int64
		if err := tx.Model(&successionRow{}).Where("from_unit_id = ? AND main AND effective <= ?", id, day).
			Pluck("to_unit_id", &next).Error; err != nil {
			return u, err
		}
		if len(next) == 0 {
			return u, caseflow.FieldErrors{"jurisdiction": {Code: caseflow.FieldMissingJurisdiction, Value: u.Code,
				Message: fmt.Sprintf("the case's commune %s (%s) ended on %s and what it became is not recorded: "+
					"add it to the province's data (seeds/provinces) and seed again", u.Name, u.Code, caseflow.DateText(*u.ValidTo))}}.Err()
		}
		id = next[0]
	}
	return unitRow{}, fmt.Errorf("unit %d: successions go round in a circle", id)
}

// resolveAgency picks the agency of type t that serves a case's commune on
// the day of at, from the jurisdiction table of the structure in force
// then; code, when given, is the user's explicit choice among those the
// table allows. The choice itself is caseflow.ChooseAgency.
func (db *DB) resolveAgency(tx *gorm.DB, communeID int64, at time.Time, t caseflow.AgencyType, code string) (int64, error) {
	u, err := unitOnDay(tx, communeID, at)
	if err != nil {
		return 0, err
	}
	day := caseflow.Day(at)
	var cands []caseflow.JurisdictionCandidate
	if err := tx.Raw(`SELECT j.agency_id, a.code, j.is_primary AS primary, length(ju.path) - length(replace(ju.path, '/', '')) AS depth
		FROM jurisdiction j JOIN units ju ON ju.id = j.unit_id JOIN agencies a ON a.id = j.agency_id
		WHERE j.agency_type = @type AND j.structure = @structure AND @path LIKE ju.path || '%' AND j.withdrawn_at IS NULL
		  AND j.valid_from <= @day AND (j.valid_to IS NULL OR j.valid_to >= @day)
		  AND a.valid_from <= @day AND (a.valid_to IS NULL OR a.valid_to >= @day)
		ORDER BY a.code`, map[string]any{"type": string(t), "structure": u.Structure, "path": u.Path, "day": day}).
		Scan(&cands).Error; err != nil {
		return 0, err
	}
	where := fmt.Sprintf("%s (%s), structure %s, on %s", u.Name, u.Code, u.Structure, caseflow.DateText(at))
	return caseflow.ChooseAgency(t, where, cands, code)
}

// StructuresOf returns the administrative structures of the province that
// holds the unit at path, oldest first.
func (db *DB) StructuresOf(ctx context.Context, path string) ([]caseflow.Structure, error) {
	province := provincePath(path)
	var rows []structureRow
	if err := db.gorm.WithContext(ctx).Where("province_id = (SELECT id FROM units WHERE path = ?)", province).
		Order("valid_from").Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.Structure, len(rows))
	for i, r := range rows {
		out[i] = caseflow.Structure{ID: r.ID, Label: r.Label, LabelEn: r.LabelEn, ValidFrom: r.ValidFrom, ValidTo: r.ValidTo}
	}
	return out, nil
}

// UnitsBefore returns every unit that unit id was formed from, directly or
// through earlier changes, latest first.
func (db *DB) UnitsBefore(ctx context.Context, id int64) ([]caseflow.Unit, error) {
	return db.lineage(ctx, id, false, nil)
}

// provincePath is the path of the province that holds the unit at path:
// its first segment.
func provincePath(path string) string {
	if i := indexNth(path, '/', 2); i > 0 {
		return path[:i+1]
	}
	return path
}

// AgencyServes reports whether the agency with the given code has
// jurisdiction of its type over the commune on the day of at (as the
// table's primary agency or as one a user may name).
func (db *DB) AgencyServes(ctx context.Context, communeID int64, at time.Time, t caseflow.AgencyType, code string) (bool, error) {
	_, err := db.resolveAgency(db.gorm.WithContext(ctx), communeID, at, t, code)
	switch caseflow.ErrorCode(err) {
	case "":
		return true, nil
	case caseflow.EInternal:
		return false, err
	}
	return false, nil
}

// CommunesServedBy lists, in one query, the communes that exist on the day
// of at and that the agency serves as one of its type by the jurisdiction
// table of their structure (as its primary agency or as one a user may
// name): what AgencyServes answers commune by commune.
func (db *DB) CommunesServedBy(ctx context.Context, agencyID int64, t caseflow.AgencyType, at time.Time) ([]caseflow.Unit, error) {
	day := caseflow.Day(at)
	var js []unitJoin
	if err := db.gorm.WithContext(ctx).Raw(unitSelect+`
		WHERE u.level = @level AND u.valid_from <= @day AND (u.valid_to IS NULL OR u.valid_to >= @day)
		  AND EXISTS (SELECT 1 FROM jurisdiction j JOIN units ju ON ju.id = j.unit_id JOIN agencies a ON a.id = j.agency_id
			WHERE j.agency_id = @agency AND j.agency_type = @type AND j.structure = u.structure AND u.path LIKE ju.path || '%'
			  AND j.withdrawn_at IS NULL AND j.valid_from <= @day AND (j.valid_to IS NULL OR j.valid_to >= @day)
			  AND a.valid_from <= @day AND (a.valid_to IS NULL OR a.valid_to >= @day))
		ORDER BY u.name, u.code`, map[string]any{"level": caseflow.LevelCommune, "day": day, "agency": agencyID, "type": string(t)}).
		Scan(&js).Error; err != nil {
		return nil, err
	}
	return units(js), nil
}
