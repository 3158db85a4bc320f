package postgres

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// auditLockKey is the advisory lock that serialises sealing (not writing).
const auditLockKey = 7_146_001

// audit appends an audit entry inside tx. Writers never lock anything shared:
// ordering and tamper-evidence come from the seals made later.
func (db *DB) audit(tx *gorm.DB, v caseflow.Viewer, action, caseCode string, detail map[string]any) error {
	row, err := db.auditRow(v, action, caseCode, detail)
	if err != nil {
		return err
	}
	return tx.Omit("ID").Create(&row).Error
}

// auditRow is the audit entry of an action, as audit writes it.
func (db *DB) auditRow(v caseflow.Viewer, action, caseCode string, detail map[string]any) (auditRow, error) {
	if detail == nil {
		detail = map[string]any{}
	}
	raw, err := json.Marshal(detail)
	if err != nil {
		return auditRow{}, err
	}
	row := auditRow{
		At:        db.now().Truncate(time.Microsecond),
		Username:  v.Username,
		Action:    action,
		CaseCode:  caseCode,
		IP:        v.IP,
		RequestID: v.RequestID,
		Detail:    raw,
	}
	if v.UserID != 0 {
		id := v.UserID
		row.UserID = &id
	}
	return row, nil
}

// Audit records an action that is not part of another write (a read of
// personal data, a login).
func (db *DB) Audit(ctx context.Context, v caseflow.Viewer, action, caseCode string, detail map[string]any) error {
	return db.audit(db.gorm.WithContext(ctx), v, action, caseCode, detail)
}

type auditEntry struct {
	ID        int64
	At        time.Time
	UserID    *int64
	Username  string
	Action    string
	CaseCode  string
	IP        string
	RequestID string
	Detail    string
}

// hash commits to every column of an entry as PostgreSQL returns it.
func (e auditEntry) hash() []byte {
	uid := int64(0)
	if e.UserID != nil {
		uid = *e.UserID
	}
	b, _ := json.Marshal([]any{e.ID, e.At.UTC().Format(time.RFC3339Nano), uid, e.Username, e.Action,
		e.CaseCode, e.IP, e.RequestID, e.Detail})
	s := sha256.Sum256(b)
	return s[:]
}

const entrySelect = `SELECT id, at, user_id, username, action, case_code, ip, request_id, detail::text AS detail
	FROM audit_log WHERE xid >= ?::xid8 AND xid < ?::xid8 ORDER BY id`

type sealRow struct {
	ID          int64
	XidFrom     string
	XidTo       string
	EntryIDs    array[int64]  `gorm:"column:entry_ids;type:bigint[]"`
	EntryHashes array[[]byte] `gorm:"column:entry_hashes;type:bytea[]"`
	PrevHash    []byte
	Hash        []byte
	SealedAt    time.Time
}

func (sealRow) TableName() string { return "audit_seals" }

var genesis = make([]byte, sha256.Size)

func chain(prev []byte, hashes [][]byte) []byte {
	h := sha256.New()
	h.Write(prev)
	for _, e := range hashes {
		h.Write(e)
	}
	return h.Sum(nil)
}

// SealAudit seals every audit entry whose transaction has finished since the
// last seal, and returns how many entries it sealed. Safe to run from several
// processes: sealing takes an advisory lock, writing never does.
func (db *DB) SealAudit(ctx context.Context) (int, error) {
	sealed := 0
	err := db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec("SELECT pg_advisory_xact_lock(?)", auditLockKey).Error; err != nil {
			return err
		}
		var last sealRow
		prevTo, prevHash := "0", genesis
		res := tx.Raw("SELECT xid_from::text, xid_to::text, hash FROM audit_seals ORDER BY id DESC LIMIT 1").Scan(&last)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected > 0 {
			prevTo, prevHash = last.XidTo, last.Hash
		}
		var horizon string
		if err := tx.Raw("SELECT pg_snapshot_xmin(pg_current_snapshot())::text").Scan(&horizon).Error; err != nil {
			return err
		}
		var entries []auditEntry
		if err := tx.Raw(entrySelect, prevTo, horizon).Scan(&entries).Error; err != nil {
			return err
		}
		if len(entries) == 0 {
			return nil
		}
		ids := make(array[int64], len(entries))
		hashes := make([][]byte, len(entries))
		for i, e := range entries {
			ids[i], hashes[i] = e.ID, e.hash()
		}
		s := sealRow{XidFrom: prevTo, XidTo: horizon, EntryIDs: ids, EntryHashes: hashes,
			PrevHash: prevHash, Hash: chain(prevHash, hashes), SealedAt: db.now()}
		sealed = len(entries)
		return tx.Exec(`INSERT INTO audit_seals (xid_from, xid_to, entry_ids, entry_hashes, prev_hash, hash, sealed_at)
			VALUES (?::xid8, ?::xid8, ?, ?, ?, ?, ?)`, s.XidFrom, s.XidTo, s.EntryIDs, s.EntryHashes, s.PrevHash, s.Hash, s.SealedAt).Error
	})
	return sealed, err
}

// AuditReport is the outcome of verifying the audit chain.
type AuditReport struct {
	Seals    int
	Entries  int
	Unsealed int
	// Broken describes the first broken link; empty when the chain holds.
	Broken string
}

// VerifyAudit walks the seal chain from the start and reports the first link
// that does not hold: an entry altered, removed or inserted, or a seal that
// no longer commits to the one before it.
func (db *DB) VerifyAudit(ctx context.Context) (*AuditReport, error) {
	tx := db.gorm.WithContext(ctx)
	rep := &AuditReport{}
	var seals []sealRow
	if err := tx.Raw(`SELECT id, xid_from::text AS xid_from, xid_to::text AS xid_to, entry_ids, entry_hashes,
		prev_hash, hash, sealed_at FROM audit_seals ORDER BY id`).Scan(&seals).Error; err != nil {
		return nil, err
	}
	prevTo, prevHash := "0", genesis
	for _, s := range seals {
		rep.Seals++
		if !bytes.Equal(s.PrevHash, prevHash) || s.XidFrom != prevTo {
			rep.Broken = fmt.Sprintf("seal %d does not continue the seal before it", s.ID)
			return rep, nil
		}
		if !bytes.Equal(chain(s.PrevHash, s.EntryHashes), s.Hash) || len(s.EntryIDs) != len(s.EntryHashes) {
			rep.Broken = fmt.Sprintf("seal %d has been altered: its hash does not match its entries", s.ID)
			return rep, nil
		}
		var entries []auditEntry
		if err := tx.Raw(entrySelect, s.XidFrom, s.XidTo).Scan(&entries).Error; err != nil {
			return nil, err
		}
		byID := make(map[int64]auditEntry, len(entries))
		for _, e := range entries {
			byID[e.ID] = e
		}
		for i, id := range s.EntryIDs {
			e, ok := byID[id]
			if !ok {
				rep.Broken = fmt.Sprintf("audit entry %d (seal %d) is missing", id, s.ID)
				return rep, nil
			}
			if !bytes.Equal(e.hash(), s.EntryHashes[i]) {
				rep.Broken = fmt.Sprintf("audit entry %d (seal %d) has been altered", id, s.ID)
				return rep, nil
			}
			delete(byID, id)
		}
		for id := range byID {
			rep.Broken = fmt.Sprintf("audit entry %d was added inside seal %d after sealing", id, s.ID)
			return rep, nil
		}
		rep.Entries += len(s.EntryIDs)
		prevTo, prevHash = s.XidTo, s.Hash
	}
	var unsealed int64
	if err := tx.Raw("SELECT count(*) FROM audit_log WHERE xid >= ?::xid8", prevTo).Scan(&unsealed).Error; err != nil {
		return nil, err
	}
	rep.Unsealed = int(unsealed)
	return rep, nil
}

// CaseReads lists who read the personal data of a case and when, newest
// first, from the audit log: for the agency that filed the case and for
// supervisors over its unit. Others get forbidden; a case the viewer may
// not know of is not_found.
func (db *DB) CaseReads(ctx context.Context, v caseflow.Viewer, code string, limit int) ([]caseflow.Read, error) {
	var c struct {
		Found          bool
		FilingAgencyID int64
	}
	cond, args := visible(v)
	if err := db.gorm.WithContext(ctx).Raw(`SELECT true AS found, cases.filing_agency_id FROM cases WHERE cases.code = ? AND `+cond,
		append([]any{code}, args...)...).Scan(&c).Error; err != nil {
		return nil, err
	}
	if !c.Found {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no case %q", code)
	}
	if !v.SeesCasesByUnit() && c.FilingAgencyID != v.Agency.ID {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only the agency that filed the case and supervisors see who read it")
	}
	var rows []struct {
		At         time.Time
		Username   string
		AgencyCode string
		Access     string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT l.at, l.username, coalesce(a.code, '') AS agency_code, coalesce(l.detail->>'access', '') AS access
		FROM audit_log l LEFT JOIN users u ON u.id = l.user_id LEFT JOIN agencies a ON a.id = u.agency_id
		WHERE l.case_code = ? AND l.action = 'case.read' ORDER BY l.id DESC LIMIT ?`, code, limit).Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.Read, 0, len(rows))
	for _, r := range rows {
		out = append(out, caseflow.Read{At: r.At.UTC(), Username: r.Username, AgencyCode: r.AgencyCode, Access: caseflow.Access(r.Access)})
	}
	return out, nil
}
