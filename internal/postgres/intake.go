package postgres

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

// duplicateWindow is how far apart two reports about the same child may be
// received and still be flagged as possible duplicates.
const duplicateWindow = 90 * 24 * time.Hour

// Intake stores a validated report as a new case in one transaction: the
// case, its encrypted people, the filing agency's access, the first history
// row and the audit entry. With an idempotency key, a retry of the same
// request returns the case it created (Created false) and a different
// request under the same key is a conflict.
func (db *DB) Intake(ctx context.Context, v caseflow.Viewer, r *caseflow.Report, start caseflow.Start,
	idemKey string, requestHash []byte) (*caseflow.IntakeResult, error) {
	var result *caseflow.IntakeResult
	err := db.write(ctx, func(tx *gorm.DB) error {
		if idemKey != "" {
			done, err := db.claimIdempotency(tx, v, idemKey, requestHash)
			if err != nil || done != nil {
				result = done
				return err
			}
		}

		now := db.now()
		// The number comes from its own short statement, not this
		// transaction, so concurrent intakes do not queue on the counter
		// row; an intake that fails afterwards leaves a gap, never a clash.
		code, err := db.nextCode(db.counters.WithContext(ctx), r.ReceivedAt)
		if err != nil {
			return err
		}
		// The case's own data key seals its personal values.
		vt, wrapped, err := db.freshVault(code)
		if err != nil {
			return err
		}
		narrative, err := vt.seal("case.narrative", r.Narrative)
		if err != nil {
			return err
		}
		row := caseRow{
			Code: code, WorkflowID: start.WorkflowID, WorkflowVersion: start.WorkflowVersion, State: start.State,
			Version: 1, CommuneID: start.CommuneID, UnitPath: start.CommunePath, ReceivedAt: r.ReceivedAt.UTC(),
			Channel: r.Channel, AbuseTypes: r.AbuseTypes, Setting: r.Setting, ImmediateDanger: r.ImmediateDanger,
			NarrativeEnc: narrative, Data: []byte("{}"), FiledBy: v.UserID, FilingAgencyID: v.Agency.ID,
			CreatedAt: now, UpdatedAt: now,
		}
		if err := tx.Omit("ID").Create(&row).Error; err != nil {
			return err
		}
		people, blind, err := db.sealPeople(vt, row.ID, r)
		if err != nil {
			return err
		}
		stored := withAgeAtReport(people, r)
		// The intake row is dated when the report was received, as every
		// history row is dated when its act happened.
		actor, agency := v.UserID, v.Agency.ID
		h := historyRow{CaseID: row.ID, Version: 1, Event: start.Event, FromState: "",
			ToState: start.State, ActorID: &actor, AgencyID: &agency, Data: []byte("{}"), At: r.ReceivedAt.UTC(), Roles: roleArray(start.Roles)}
		if !now.Equal(h.At) {
			h.RecordedAt = &now
		}
		entry, err := db.auditRow(v, "case.create", code, nil)
		if err != nil {
			return err
		}
		// The rows that hang on the case go in one statement.
		w := newTogether(tx)
		w.add(func(tx *gorm.DB) *gorm.DB { return tx.Create(caseKey(row.ID, wrapped, now)) })
		w.add(func(tx *gorm.DB) *gorm.DB { return tx.Omit("ID").Create(&stored) })
		if names := db.nameRows(row.ID, r.Children); len(names) > 0 {
			w.add(func(tx *gorm.DB) *gorm.DB { return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&names) })
		}
		w.add(func(tx *gorm.DB) *gorm.DB {
			return tx.Omit("ID").Create(&accessRow{CaseID: row.ID, AgencyID: v.Agency.ID, Scope: string(caseflow.AccessFull),
				Reason: "intake", GrantedAt: now})
		})
		w.add(func(tx *gorm.DB) *gorm.DB { return tx.Omit("ID").Create(&h) })
		w.add(func(tx *gorm.DB) *gorm.DB { return tx.Omit("ID").Create(&entry) })
		if idemKey != "" {
			w.add(func(tx *gorm.DB) *gorm.DB {
				return tx.Model(&idempotencyRow{}).Where("user_id = ? AND key = ?", v.UserID, idemKey).Update("case_id", row.ID)
			})
		}
		if err := w.exec(); err != nil {
			return err
		}
		var referred []int64
		for _, t := range start.Refer {
			id, err := db.resolveAgency(tx, start.CommuneID, now, t, "")
			if err != nil {
				return err
			}
			if id != v.Agency.ID {
				if err := grant(tx, row.ID, id, caseflow.ReferralAccess(t), "workflow:"+string(t), now); err != nil {
					return err
				}
				referred = append(referred, id)
			}
		}
		clocks, err := db.startClocks(tx, row.ID, start.CommuneID, now, start.Clocks)
		if err != nil {
			return err
		}
		for _, id := range referred {
			if err := db.notifyNewWork(tx, row, 1, id, now); err != nil {
				return err
			}
		}
		dups, err := db.possibleDuplicates(tx, v, row, blind)
		if err != nil {
			return err
		}
		// The case is answered from the rows just written, as loadCase
		// would read them back.
		j := caseJoin{ID: row.ID, Code: code, WorkflowID: row.WorkflowID, WorkflowVersion: row.WorkflowVersion, State: row.State,
			Version: row.Version, CommuneID: row.CommuneID, UnitPath: row.UnitPath, ReceivedAt: row.ReceivedAt, Channel: row.Channel,
			AbuseTypes: row.AbuseTypes, Setting: row.Setting, ImmediateDanger: row.ImmediateDanger, NarrativeEnc: row.NarrativeEnc,
			FiledBy: row.FiledBy, FilingAgencyID: row.FilingAgencyID, CreatedAt: row.CreatedAt, UpdatedAt: row.UpdatedAt,
			CommuneCode: start.CommuneCode, CommuneName: start.CommuneName, CommunePath: start.CommunePath, CommuneRemote: start.CommuneRemote,
			Access: string(caseflow.AccessFull), Fired: array[string]{start.Event}, LastStepAt: &h.At}
		if k, ok := mostUrgent(clocks); ok {
			j.NextClock, j.NextDue, j.NextWarn, j.Overdue = k.Clock, &k.DueAt, &k.WarnAt, !k.DueAt.After(now)
		}
		c := j.summary()
		rows := make([]personRow, len(stored))
		for i, p := range stored {
			rows[i] = p.Row
		}
		if err := db.addPeople(c, rows, row.NarrativeEnc, vt); err != nil {
			return err
		}
		result = &caseflow.IntakeResult{Case: c, Created: true, PossibleDuplicates: dups}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return result, nil
}

// mostUrgent is the clock urgencyJoin picks among clocks just started (all
// running): the one due first.
func mostUrgent(clocks []clockRow) (clockRow, bool) {
	if len(clocks) == 0 {
		return clockRow{}, false
	}
	best := clocks[0]
	for _, k := range clocks[1:] {
		if k.DueAt.Before(best.DueAt) {
			best = k
		}
	}
	return best, true
}

// badCursor is the problem of a page cursor this service did not issue.
var badCursor = caseflow.FieldError{Code: caseflow.FieldNotACursor, Message: "is not a cursor this service issued"}

func fieldError(field string, code caseflow.FieldCode, msg string) error {
	return caseflow.InvalidField(field, caseflow.FieldError{Code: code, Message: msg})
}

// claimIdempotency inserts the key, or, if it was used before, returns the
// case it produced. The insert waits on a concurrent request with the same
// key, so two racing retries cannot both create a case.
func (db *DB) claimIdempotency(tx *gorm.DB, v caseflow.Viewer, key string, hash []byte) (*caseflow.IntakeResult, error) {
	res := tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&idempotencyRow{UserID: v.UserID, Key: key,
		RequestHash: hash, CreatedAt: db.now()})
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return nil, nil
	}
	var prior idempotencyRow
	if err := tx.Where("user_id = ? AND key = ?", v.UserID, key).Take(&prior).Error; err != nil {
		return nil, err
	}
	if !bytes.Equal(prior.RequestHash, hash) || prior.CaseID == nil {
		return nil, &caseflow.Error{Code: caseflow.EConflict,
			Message: "this Idempotency-Key was already used for a different request", Fields: map[string]caseflow.FieldError{"Idempotency-Key": {Code: caseflow.FieldReused, Message: "reused with a different body"}}}
	}
	var code string
	if err := tx.Model(&caseRow{}).Where("id = ?", *prior.CaseID).Pluck("code", &code).Error; err != nil {
		return nil, err
	}
	c, err := db.loadCase(tx, v, code, nil)
	if err != nil {
		return nil, err
	}
	return &caseflow.IntakeResult{Case: c, Created: false, PossibleDuplicates: []string{}}, nil
}

// nextCode hands out the next case code for the year the report was received
// (in the province's time). Codes are unique under any concurrency; they may
// have gaps.
func (db *DB) nextCode(tx *gorm.DB, receivedAt time.Time) (string, error) {
	year := receivedAt.In(caseflow.Zone).Year()
	var last int64
	err := tx.Raw(`INSERT INTO case_counters (prefix, year, last) VALUES (?, ?, 1)
		ON CONFLICT (prefix, year) DO UPDATE SET last = case_counters.last + 1 RETURNING last`,
		db.CodePrefix, year).Scan(&last).Error
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%s-%d-%06d", db.CodePrefix, year, last), nil
}

// indexNames stores the name index of each named child of a case.
func (db *DB) indexNames(tx *gorm.DB, caseID int64, children []caseflow.Person) error {
	rows := db.nameRows(caseID, children)
	if len(rows) == 0 {
		return nil
	}
	return tx.Clauses(clause.OnConflict{DoNothing: true}).Create(&rows).Error
}

// nameRows are the name index rows of the named children of a case.
func (db *DB) nameRows(caseID int64, children []caseflow.Person) []nameIndexRow {
	var rows []nameIndexRow
	for i, p := range children {
		if name := strings.TrimSpace(p.FullName); name != "" {
			rows = append(rows, nameIndexRow{CaseID: caseID, Position: i, NameIndex: db.Keys.NameIndex(name)})
		}
	}
	return rows
}

// IndexChildNames indexes the names of children filed before names were
// indexed (or by the synthetic loader): those of the cases after case id
// after, up to limit children, in case order. It returns how many it
// indexed and the last case id it looked at, to go on from; 0 when no case
// is left. A name that cannot be opened is indexed as no name and logged by
// case id, and does not stop the others.
func (db *DB) IndexChildNames(ctx context.Context, after int64, limit int) (int, int64, error) {
	var todo []struct {
		CaseID      int64
		Position    int
		FullNameEnc string
	}
	// Whole cases only, so that a case is never left half indexed.
	var last int64
	err := db.gorm.WithContext(ctx).Raw(`SELECT coalesce(max(id), 0) FROM (SELECT id FROM cases WHERE id > ? ORDER BY id LIMIT ?) c`,
		after, max(1, limit/2)).Scan(&last).Error
	if err != nil || last == 0 {
		return 0, 0, err
	}
	err = db.gorm.WithContext(ctx).Raw(`SELECT p.case_id, p.position, p.full_name_enc FROM case_people p
		WHERE p.case_id > ? AND p.case_id <= ? AND p.kind = 'child' AND p.full_name_enc <> ''
		AND NOT EXISTS (SELECT 1 FROM case_name_index n WHERE n.case_id = p.case_id AND n.position = p.position)`,
		after, last).Scan(&todo).Error
	if err != nil || len(todo) == 0 {
		return 0, last, err
	}
	ids := make([]int64, 0, len(todo))
	for _, t := range todo {
		ids = append(ids, t.CaseID)
	}
	vs, err := db.vaults(db.gorm.WithContext(ctx), ids, false)
	if err != nil {
		return 0, last, err
	}
	rows := make([]nameIndexRow, 0, len(todo))
	for _, t := range todo {
		if vs[t.CaseID] != nil && vs[t.CaseID].shredded != nil {
			continue // erased: nothing to index
		}
		name, err := vs[t.CaseID].open("person.full_name", t.FullNameEnc)
		if err != nil {
			db.Log.Warn("a child's name cannot be opened for the name index", "case_id", t.CaseID, "err", err.Error())
			name = "" // indexed as no name, so that it is not tried again
		}
		rows = append(rows, nameIndexRow{CaseID: t.CaseID, Position: t.Position, NameIndex: db.Keys.NameIndex(name)})
	}
	err = db.gorm.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).CreateInBatches(&rows, 500).Error
	return len(rows), last, err
}

func (db *DB) sealPeople(vt *vault, caseID int64, r *caseflow.Report) ([]personRow, [][]byte, error) {
	var rows []personRow
	var blind [][]byte
	add := func(kind string, i int, p caseflow.Person) error {
		row, err := db.sealPerson(vt, caseID, kind, i, p)
		if err != nil {
			return err
		}
		if row.BlindIndex != nil {
			blind = append(blind, row.BlindIndex)
		}
		rows = append(rows, row)
		return nil
	}
	for i, p := range r.Children {
		if err := add(caseflow.PersonChild, i, p); err != nil {
			return nil, nil, err
		}
	}
	for i, p := range r.Suspects {
		if err := add(caseflow.PersonSuspect, i, p); err != nil {
			return nil, nil, err
		}
	}
	if r.Reporter != nil {
		p := *r.Reporter
		if p.Anonymous {
			p.FullName, p.Phone, p.Address = "", "", ""
		}
		if err := add(caseflow.PersonReporter, 0, p); err != nil {
			return nil, nil, err
		}
	}
	return rows, blind, nil
}

// possibleDuplicates lists the cases of the same province received within
// 90 days that have a child with the same blind index, limited to those the
// viewer may know of.
func (db *DB) possibleDuplicates(tx *gorm.DB, v caseflow.Viewer, c caseRow, blind [][]byte) ([]string, error) {
	codes := []string{}
	if len(blind) == 0 {
		return codes, nil
	}
	province := provincePath(c.UnitPath)
	cond, args := visible(v)
	err := tx.Table("cases").Distinct("cases.code").
		Joins("JOIN case_people p ON p.case_id = cases.id").
		Where("p.blind_index IN ?", blind).
		Where("cases.id <> ? AND cases.unit_path LIKE ?", c.ID, likePrefix(province)).
		Where("cases.received_at BETWEEN ? AND ?", c.ReceivedAt.Add(-duplicateWindow), c.ReceivedAt.Add(duplicateWindow)).
		Where(cond, args...).Order("cases.code").Limit(20).Pluck("cases.code", &codes).Error
	return codes, err
}

// indexNth returns the index of the n-th occurrence (1-based) of b in s.
func indexNth(s string, b byte, n int) int {
	for i := 0; i < len(s); i++ {
		if s[i] == b {
			n--
			if n == 0 {
				return i
			}
		}
	}
	return -1
}
