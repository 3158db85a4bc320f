package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// errDryRun rolls back the transaction of a dry run.
var errDryRun = errors.New("dry run")

// RemapOpenCases finds the open cases whose commune no longer exists on the
// day of on and hands each access grant and running clock held by an agency
// that no longer acts to the agency the jurisdiction table names for the
// commune's successor (closing the old grant, which stays on record). The
// case keeps its commune and history. Running it again does nothing more.
// With apply false, the same work runs and is rolled back: the report says
// exactly what applying would do.
func (db *DB) RemapOpenCases(ctx context.Context, v caseflow.Viewer, on time.Time, apply bool) (*caseflow.RemapReport, error) {
	rep := &caseflow.RemapReport{On: caseflow.Day(on), Applied: apply}
	day := caseflow.Day(on)
	err := db.write(ctx, func(tx *gorm.DB) error {
		var cs []struct {
			ID        int64
			Code      string
			State     string
			CommuneID int64
		}
		if err := tx.Raw(`SELECT c.id, c.code, c.state, c.commune_id FROM cases c JOIN units u ON u.id = c.commune_id
			WHERE c.closed_at IS NULL AND u.valid_to IS NOT NULL AND u.valid_to < ? ORDER BY c.code`, day).Scan(&cs).Error; err != nil {
			return err
		}
		for _, c := range cs {
			rc, err := db.remapCase(tx, v, c.ID, c.Code, c.State, c.CommuneID, on)
			if err != nil {
				return fmt.Errorf("case %s: %w", c.Code, err)
			}
			rep.Cases = append(rep.Cases, rc)
		}
		if !apply {
			return errDryRun
		}
		return nil
	})
	if errors.Is(err, errDryRun) {
		err = nil
	}
	if err != nil {
		return nil, err
	}
	return rep, nil
}

func (db *DB) remapCase(tx *gorm.DB, v caseflow.Viewer, caseID int64, code, state string, communeID int64, on time.Time) (caseflow.RemapCase, error) {
	var commune unitRow
	if err := tx.Where("id = ?", communeID).Take(&commune).Error; err != nil {
		return caseflow.RemapCase{}, err
	}
	rc := caseflow.RemapCase{Code: code, State: state, Commune: commune.unit(), Moves: []caseflow.RemapMove{}, Problems: []string{}}
	today, err := unitOnDay(tx, communeID, on)
	if caseflow.ErrorCode(err) == caseflow.EInvalid {
		rc.Problems = append(rc.Problems, fieldMessages(err))
		return rc, nil
	}
	if err != nil {
		return rc, err
	}
	t := today.unit()
	rc.Today = &t
	var split []successionRow
	if err := tx.Where("from_unit_id = ? AND main AND portion <> 'full'", communeID).Find(&split).Error; err != nil {
		return rc, err
	}
	if len(split) > 0 {
		rc.Split, rc.SplitVerified = true, split[0].Verified
	}
	day := caseflow.Day(on)
	ended := "a.valid_to IS NOT NULL AND a.valid_to < ?"
	var grants []struct {
		ID     int64
		Scope  string
		Reason string
		Code   string
		Type   string
	}
	if err := tx.Raw(`SELECT ca.id, ca.scope, ca.reason, a.code, a.type FROM case_access ca JOIN agencies a ON a.id = ca.agency_id
		WHERE ca.case_id = ? AND ca.revoked_at IS NULL AND `+ended+` ORDER BY ca.id`, caseID, day).Scan(&grants).Error; err != nil {
		return rc, err
	}
	now := db.now()
	// takeOver finds the agency of a type that serves the commune today; a
	// gap in the table is a problem to settle, not an error.
	takeOver := func(typ, what string) (int64, string, bool, error) {
		to, err := db.resolveAgency(tx, communeID, on, caseflow.AgencyType(typ), "")
		if caseflow.ErrorCode(err) == caseflow.EInvalid {
			rc.Problems = append(rc.Problems, what+": "+fieldMessages(err))
			return 0, "", false, nil
		}
		if err != nil {
			return 0, "", false, err
		}
		code, err := agencyCode(tx, to)
		return to, code, err == nil, err
	}
	for _, g := range grants {
		to, toCode, ok, err := takeOver(g.Type, "access of "+g.Code)
		if err != nil {
			return rc, err
		}
		if !ok {
			continue
		}
		if err := grant(tx, caseID, to, caseflow.Access(g.Scope), "remap:"+g.Code, now); err != nil {
			return rc, err
		}
		// The grant passes on: the ended agency's is closed (and kept), so
		// running the remap again finds nothing left to do.
		if err := tx.Exec("UPDATE case_access SET revoked_at = ? WHERE id = ?", now, g.ID).Error; err != nil {
			return rc, err
		}
		rc.Moves = append(rc.Moves, caseflow.RemapMove{Kind: "access", What: g.Scope, Type: caseflow.AgencyType(g.Type), From: g.Code, To: toCode})
	}
	var clocks []struct {
		ID    int64
		Clock string
		Code  string
		Type  string
	}
	if err := tx.Raw(`SELECT k.id, k.clock, a.code, a.type FROM case_clocks k JOIN agencies a ON a.id = k.responsible_agency
		WHERE k.case_id = ? AND k.status = 'running' AND `+ended+` ORDER BY k.id`, caseID, day).Scan(&clocks).Error; err != nil {
		return rc, err
	}
	for _, k := range clocks {
		to, toCode, ok, err := takeOver(k.Type, fmt.Sprintf("clock %s of %s", k.Clock, k.Code))
		if err != nil {
			return rc, err
		}
		if !ok {
			continue
		}
		if err := tx.Model(&clockRow{}).Where("id = ?", k.ID).Update("responsible_agency", to).Error; err != nil {
			return rc, err
		}
		rc.Moves = append(rc.Moves, caseflow.RemapMove{Kind: "clock", What: k.Clock, Clock: k.ID, Type: caseflow.AgencyType(k.Type), From: k.Code, To: toCode})
	}
	if len(rc.Moves) == 0 {
		return rc, nil
	}
	moves := make([]map[string]any, len(rc.Moves))
	for i, m := range rc.Moves {
		moves[i] = map[string]any{"kind": m.Kind, "what": m.What, "from": m.From, "to": m.To}
	}
	return rc, db.audit(tx, v, "units.remap", code, map[string]any{"commune": commune.Code, "today": today.Code, "moves": moves})
}

func agencyCode(tx *gorm.DB, id int64) (string, error) {
	var code string
	err := tx.Model(&agencyRow{}).Where("id = ?", id).Pluck("code", &code).Error
	return code, err
}

// fieldMessages joins the field messages of a domain error.
func fieldMessages(err error) string {
	var de *caseflow.Error
	if !errors.As(err, &de) {
		return err.Error()
	}
	out := ""
	for k, m := range de.FieldMessages() {
		if out != "" {
			out += "; "
		}
		out += k + ": " + m
	}
	return out
}
