package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
	"caseflow/internal/seal"
)

// Every personal value of a case is sealed with the case's own data key
// (seal.DataKey), which the key ring's active master key wraps in
// case_keys. A vault is one case's key as storage uses it: it seals new
// values, and opens values sealed with the data key or, for what was
// written before data keys, with the key ring directly. Once a case is
// shredded its vault opens nothing and seals nothing.

type caseKeyRow struct {
	CaseID      int64 `gorm:"primaryKey"`
	Wrapped     string
	KekID       string
	CreatedAt   time.Time
	RewrappedAt *time.Time
	ShreddedAt  *time.Time
}

func (caseKeyRow) TableName() string { return "case_keys" }

// vault seals and opens one case's values.
type vault struct {
	ring     *seal.KeyRing
	key      *seal.DataKey // nil once shredded
	shredded *time.Time
}

// errShredded is what sealing a value of a shredded case answers.
var errShredded = caseflow.Errorf(caseflow.EInvalid, "the personal data of this case has been erased")

func (v *vault) seal(context, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if v.key == nil {
		return "", errShredded
	}
	return v.key.Seal(context, plain)
}

// open opens a value of the case; a value of a shredded case opens as "".
func (v *vault) open(context, sealed string) (string, error) {
	switch {
	case sealed == "":
		return "", nil
	case v.shredded != nil:
		return "", nil
	case seal.IsCaseSealed(sealed):
		if v.key == nil {
			return "", errors.New("a value sealed with a data key, in a case that has none")
		}
		return v.key.Open(context, sealed)
	}
	return v.ring.Decrypt(context, sealed)
}

// freshVault makes a data key for a new case: the vault to seal its values
// with, and the key wrapped for case_keys.
func (db *DB) freshVault(caseCode string) (*vault, string, error) {
	raw := seal.NewDataKey()
	key, err := seal.OpenDataKey(raw)
	if err != nil {
		return nil, "", err
	}
	wrapped, err := db.Keys.WrapKey(caseCode, raw)
	if err != nil {
		return nil, "", err
	}
	return &vault{ring: db.Keys, key: key}, wrapped, nil
}

func (db *DB) storeCaseKey(tx *gorm.DB, caseID int64, wrapped string, now time.Time) error {
	return tx.Create(caseKey(caseID, wrapped, now)).Error
}

// caseKey is the row that stores a case's wrapped data key.
func caseKey(caseID int64, wrapped string, now time.Time) *caseKeyRow {
	return &caseKeyRow{CaseID: caseID, Wrapped: wrapped, KekID: seal.KeyID(wrapped), CreatedAt: now}
}

// vaults returns the vaults of cases by id. A case filed before data keys
// gets its key here when forWrite, so that what is written from now on is
// sealed with it; read only, it opens with the key ring alone.
func (db *DB) vaults(tx *gorm.DB, ids []int64, forWrite bool) (map[int64]*vault, error) {
	out := make(map[int64]*vault, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		CaseID     int64
		Code       string
		Wrapped    string
		ShreddedAt *time.Time
	}
	if err := tx.Raw(`SELECT c.id AS case_id, c.code, coalesce(k.wrapped, '') AS wrapped, k.shredded_at
		FROM cases c LEFT JOIN case_keys k ON k.case_id = c.id WHERE c.id IN ?`, ids).Scan(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		v := &vault{ring: db.Keys, shredded: r.ShreddedAt}
		switch {
		case r.ShreddedAt != nil:
		case r.Wrapped != "":
			raw, err := db.Keys.UnwrapKey(r.Code, r.Wrapped)
			if err != nil {
				return nil, fmt.Errorf("case %s: opening its data key: %w", r.Code, err)
			}
			if v.key, err = seal.OpenDataKey(raw); err != nil {
				return nil, err
			}
		case forWrite:
			var err error
			if v, err = db.adopt(tx, r.CaseID, r.Code); err != nil {
				return nil, err
			}
		}
		out[r.CaseID] = v
	}
	return out, nil
}

// vaultOf returns one case's vault.
func (db *DB) vaultOf(tx *gorm.DB, caseID int64, forWrite bool) (*vault, error) {
	vs, err := db.vaults(tx, []int64{caseID}, forWrite)
	if err != nil {
		return nil, err
	}
	v, ok := vs[caseID]
	if !ok {
		return nil, fmt.Errorf("no case %d", caseID)
	}
	return v, nil
}

// adopt gives a case filed before data keys its data key and seals again
// under it every value the key ring sealed, in the transaction tx (the
// history's values through the one update its trigger allows).
func (db *DB) adopt(tx *gorm.DB, caseID int64, code string) (*vault, error) {
	// Two writers adopting the same case: the second waits here and finds
	// the key the first made.
	if err := tx.Exec("SELECT 1 FROM cases WHERE id = ? FOR UPDATE", caseID).Error; err != nil {
		return nil, err
	}
	var existing caseKeyRow
	res := tx.Where("case_id = ?", caseID).Limit(1).Find(&existing)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		v := &vault{ring: db.Keys, shredded: existing.ShreddedAt}
		if existing.ShreddedAt == nil {
			raw, err := db.Keys.UnwrapKey(code, existing.Wrapped)
			if err != nil {
				return nil, err
			}
			if v.key, err = seal.OpenDataKey(raw); err != nil {
				return nil, err
			}
		}
		return v, nil
	}
	v, wrapped, err := db.freshVault(code)
	if err != nil {
		return nil, err
	}
	if err := db.storeCaseKey(tx, caseID, wrapped, db.now()); err != nil {
		return nil, err
	}
	if err := db.reseal(tx, v, caseID); err != nil {
		return nil, fmt.Errorf("case %s: sealing its values under its data key: %w", code, err)
	}
	return v, nil
}

// sealedColumn is a column of a table that holds values of one case.
type sealedColumn struct {
	table, column, context string
}

// sealedColumns are every column that holds a sealed personal value.
var sealedColumns = []sealedColumn{
	{"cases", "narrative_enc", "case.narrative"},
	{"case_people", "full_name_enc", "person.full_name"},
	{"case_people", "date_of_birth_enc", "person.date_of_birth"},
	{"case_people", "address_enc", "person.address"},
	{"case_people", "phone_enc", "person.phone"},
	{"case_history", "note_enc", "history.note"},
	{"case_history", "late_reason_enc", "history.note"},
	{"case_history", "data_enc", "history.data"},
	{"referrals", "note_enc", "referral.note"},
	{"case_clocks", "ack_note_enc", "clock.ack_note"},
	{"case_processing", "consent_note_enc", "processing.consent_note"},
	{"subject_requests", "requester_enc", "request.requester"},
	{"subject_requests", "details_enc", "request.details"},
	{"subject_requests", "refusal_reason_enc", "request.refusal"},
}

// reseal seals again under v every value of the case the key ring sealed.
func (db *DB) reseal(tx *gorm.DB, v *vault, caseID int64) error {
	if err := tx.Exec("SET LOCAL caseflow.reseal = 'on'").Error; err != nil {
		return err
	}
	for _, col := range sealedColumns {
		caseCol, idCol := "case_id", "id"
		switch col.table {
		case "cases":
			caseCol = "id"
		case "case_processing":
			idCol = "case_id"
		}
		var rows []struct {
			ID    int64
			Value string
		}
		if err := tx.Raw(fmt.Sprintf("SELECT %s AS id, %s AS value FROM %s WHERE %s = ? AND %s LIKE 'v1.%%'", idCol, col.column, col.table, caseCol, col.column),
			caseID).Scan(&rows).Error; err != nil {
			return err
		}
		for _, r := range rows {
			plain, err := db.Keys.Decrypt(col.context, r.Value)
			if err != nil {
				return fmt.Errorf("%s.%s of row %d: %w", col.table, col.column, r.ID, err)
			}
			sealed, err := v.seal(col.context, plain)
			if err != nil {
				return err
			}
			if err := tx.Exec(fmt.Sprintf("UPDATE %s SET %s = ? WHERE %s = ?", col.table, col.column, idCol), sealed, r.ID).Error; err != nil {
				return err
			}
		}
	}
	// The reasons of clock extensions, kept in each clock's list.
	var clocks []struct {
		ID         int64
		Extensions []byte
	}
	if err := tx.Raw("SELECT id, extensions FROM case_clocks WHERE case_id = ? AND extensions::text LIKE '%\"reason\"%'", caseID).
		Scan(&clocks).Error; err != nil {
		return err
	}
	for _, k := range clocks {
		sealedExts, changed, err := sealExtensionReasons(v, k.Extensions)
		if err != nil {
			return err
		}
		if changed {
			if err := tx.Exec("UPDATE case_clocks SET extensions = ? WHERE id = ?", sealedExts, k.ID).Error; err != nil {
				return err
			}
		}
	}
	return tx.Exec("SET LOCAL caseflow.reseal = 'off'").Error
}

// sealExtensionReasons seals the reasons of a clock's extensions that are
// stored in the clear.
func sealExtensionReasons(v *vault, raw []byte) ([]byte, bool, error) {
	if len(raw) == 0 {
		return raw, false, nil
	}
	var exts []map[string]any
	if err := json.Unmarshal(raw, &exts); err != nil {
		return nil, false, err
	}
	changed := false
	for _, e := range exts {
		r, _ := e["reason"].(string)
		if r == "" || seal.IsCaseSealed(r) {
			continue
		}
		s, err := v.seal("clock.extension_reason", r)
		if err != nil {
			return nil, false, err
		}
		e["reason"], changed = s, true
	}
	if !changed {
		return raw, false, nil
	}
	out, err := json.Marshal(exts)
	return out, true, err
}

// AdoptCaseKeys gives up to limit cases filed before data keys (after the
// case id given) their data key, each in its own transaction; it answers
// how many it did and the last id seen, 0 when none is left.
func (db *DB) AdoptCaseKeys(ctx context.Context, after int64, limit int) (int, int64, error) {
	var rows []struct {
		ID   int64
		Code string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT c.id, c.code FROM cases c WHERE c.id > ?
		AND NOT EXISTS (SELECT 1 FROM case_keys k WHERE k.case_id = c.id) ORDER BY c.id LIMIT ?`, after, limit).Scan(&rows).Error; err != nil {
		return 0, 0, err
	}
	n := 0
	for _, r := range rows {
		err := db.write(ctx, func(tx *gorm.DB) error {
			_, err := db.adopt(tx, r.ID, r.Code)
			return err
		})
		if err != nil {
			return n, r.ID, err
		}
		n++
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	return n, rows[len(rows)-1].ID, nil
}

// ShredCase erases a case's personal data: its data key is destroyed, so
// every value sealed with it, in every table, append-only ones included,
// can no longer be read; the blind indexes that could match its children
// are deleted. Codes, states, dates, clocks and statistics remain. It is
// audited with the code only, and is final.
func (db *DB) ShredCase(ctx context.Context, v caseflow.Viewer, code, reason string) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		var c caseRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Select("id, code").Where("code = ?", code).Take(&c).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no case %s", code)
			}
			return err
		}
		// A value still sealed with the key ring would outlive the data
		// key: seal everything under it first.
		vt, err := db.adopt(tx, c.ID, c.Code)
		if err != nil {
			return err
		}
		if vt.shredded != nil {
			return caseflow.Errorf(caseflow.EConflict, "the personal data of case %s was already erased", code)
		}
		now := db.now()
		if err := tx.Model(&caseKeyRow{}).Where("case_id = ?", c.ID).
			Updates(map[string]any{"wrapped": "", "shredded_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Exec("DELETE FROM case_name_index WHERE case_id = ?", c.ID).Error; err != nil {
			return err
		}
		if err := tx.Exec("UPDATE case_people SET blind_index = NULL WHERE case_id = ?", c.ID).Error; err != nil {
			return err
		}
		// Answers kept for retries may name the child.
		if err := tx.Exec("DELETE FROM request_keys WHERE case_code = ?", c.Code).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "case.shred", c.Code, map[string]any{"reason": reason})
	})
}

// RewrapKeys wraps again under the ring's active key up to limit data keys
// wrapped by another key (after the case id given), each case in its own
// short transaction, safe while the service runs; it answers how many it
// re-wrapped and the last case id seen, 0 when none is left.
func (db *DB) RewrapKeys(ctx context.Context, after int64, limit int) (int, int64, error) {
	var rows []struct {
		CaseID int64
		Code   string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT k.case_id, c.code FROM case_keys k JOIN cases c ON c.id = k.case_id
		WHERE k.case_id > ? AND k.shredded_at IS NULL AND k.kek_id <> ? ORDER BY k.case_id LIMIT ?`,
		after, db.Keys.ActiveKeyID(), limit).Scan(&rows).Error; err != nil {
		return 0, 0, err
	}
	n := 0
	for _, r := range rows {
		err := db.write(ctx, func(tx *gorm.DB) error {
			var k caseKeyRow
			if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_id = ?", r.CaseID).Take(&k).Error; err != nil {
				return err
			}
			if k.ShreddedAt != nil || k.KekID == db.Keys.ActiveKeyID() {
				return nil // shredded or re-wrapped meanwhile
			}
			raw, err := db.Keys.UnwrapKey(r.Code, k.Wrapped)
			if err != nil {
				return fmt.Errorf("case %s: %w", r.Code, err)
			}
			wrapped, err := db.Keys.WrapKey(r.Code, raw)
			if err != nil {
				return err
			}
			return tx.Model(&caseKeyRow{}).Where("case_id = ?", r.CaseID).Updates(map[string]any{"wrapped": wrapped,
				"kek_id": seal.KeyID(wrapped), "rewrapped_at": db.now()}).Error
		})
		if err != nil {
			return n, r.CaseID, err
		}
		n++
	}
	if len(rows) == 0 {
		return 0, 0, nil
	}
	return n, rows[len(rows)-1].CaseID, nil
}

// KeyCounts says how many data keys each master key wraps, how many cases
// are shredded and how many have no data key yet.
func (db *DB) KeyCounts(ctx context.Context) (map[string]int64, int64, int64, error) {
	var rows []struct {
		KekID string
		N     int64
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT kek_id, count(*) AS n FROM case_keys WHERE shredded_at IS NULL GROUP BY kek_id`).
		Scan(&rows).Error; err != nil {
		return nil, 0, 0, err
	}
	by := map[string]int64{}
	for _, r := range rows {
		by[r.KekID] = r.N
	}
	var shredded, without int64
	if err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) FROM case_keys WHERE shredded_at IS NOT NULL`).Scan(&shredded).Error; err != nil {
		return nil, 0, 0, err
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_keys k WHERE k.case_id = c.id)`).
		Scan(&without).Error; err != nil {
		return nil, 0, 0, err
	}
	return by, shredded, without, nil
}

// VerifyKeys opens every wrapped data key (after the case id given, up to
// limit) and answers how many opened, the codes that did not, and the last
// case id seen (0 when none is left).
func (db *DB) VerifyKeys(ctx context.Context, after int64, limit int) (int, []string, int64, error) {
	var rows []struct {
		CaseID  int64
		Code    string
		Wrapped string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT k.case_id, c.code, k.wrapped FROM case_keys k JOIN cases c ON c.id = k.case_id
		WHERE k.case_id > ? AND k.shredded_at IS NULL ORDER BY k.case_id LIMIT ?`, after, limit).Scan(&rows).Error; err != nil {
		return 0, nil, 0, err
	}
	ok := 0
	var bad []string
	for _, r := range rows {
		raw, err := db.Keys.UnwrapKey(r.Code, r.Wrapped)
		if err == nil {
			_, err = seal.OpenDataKey(raw)
		}
		if err != nil {
			bad = append(bad, r.Code)
			continue
		}
		ok++
	}
	if len(rows) == 0 {
		return 0, nil, 0, nil
	}
	return ok, bad, rows[len(rows)-1].CaseID, nil
}

// ClosedCases lists, by id after the one given, up to limit closed cases
// closed at or before the bound whose personal data is not erased.
func (db *DB) ClosedCases(ctx context.Context, closedBefore time.Time, after int64, limit int) ([]caseflow.ClosedCase, error) {
	var rows []caseflow.ClosedCase
	err := db.gorm.WithContext(ctx).Raw(`SELECT c.id, c.code, c.outcome, c.closed_at, c.unit_path FROM cases c
		WHERE c.closed_at IS NOT NULL AND c.closed_at <= ? AND c.id > ?
		AND NOT EXISTS (SELECT 1 FROM case_keys k WHERE k.case_id = c.id AND k.shredded_at IS NOT NULL)
		ORDER BY c.id LIMIT ?`, closedBefore.UTC(), after, limit).Scan(&rows).Error
	for i := range rows {
		rows[i].ClosedAt = rows[i].ClosedAt.UTC()
	}
	return rows, err
}

// ShreddedCount counts the cases under a unit whose personal data was
// erased, and those erased since the given moment.
func (db *DB) ShreddedCount(ctx context.Context, unitPath string, since time.Time) (int64, int64, error) {
	var r struct {
		Total  int64
		Recent int64
	}
	err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) AS total, count(*) FILTER (WHERE k.shredded_at >= ?) AS recent
		FROM case_keys k JOIN cases c ON c.id = k.case_id WHERE k.shredded_at IS NOT NULL AND c.unit_path LIKE ?`,
		since.UTC(), likePrefix(unitPath)).Scan(&r).Error
	return r.Total, r.Recent, err
}
