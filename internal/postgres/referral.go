package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

// NextReferralID reserves the id of a new referral, so that the workflow
// event that creates it can carry its id.
func (db *DB) NextReferralID(ctx context.Context) (int64, error) {
	var id int64
	err := db.gorm.WithContext(ctx).Raw("SELECT nextval('referrals_id_seq')").Scan(&id).Error
	return id, err
}

// AgencyByCode returns an agency by its code, or not_found.
func (db *DB) AgencyByCode(ctx context.Context, code string) (*caseflow.Agency, error) {
	var a agencyRow
	err := db.gorm.WithContext(ctx).Where("code = ?", code).Take(&a).Error
	if err == gorm.ErrRecordNotFound {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no agency %q", code)
	}
	if err != nil {
		return nil, err
	}
	return &caseflow.Agency{ID: a.ID, Code: a.Code, Name: a.Name, Type: caseflow.AgencyType(a.Type),
		ValidFrom: a.ValidFrom, ValidTo: a.ValidTo}, nil
}

func referralReason(id int64) string { return "referral:" + strconv.FormatInt(id, 10) }

// insertReferral stores a new service referral and gives the provider the
// limited access its work needs. The provider must serve the case's commune
// by the jurisdiction table.
func (db *DB) insertReferral(tx *gorm.DB, v caseflow.Viewer, caseID int64, ch *caseflow.Change) error {
	r := ch.NewReferral
	var commune int64
	if err := tx.Raw("SELECT commune_id FROM cases WHERE id = ?", caseID).Scan(&commune).Error; err != nil {
		return err
	}
	if _, err := db.resolveAgency(tx, commune, ch.At, r.Agency.Type, r.Agency.Code); err != nil {
		return err
	}
	vt, err := db.vaultOf(tx, caseID, true)
	if err != nil {
		return err
	}
	note, err := vt.seal("referral.note", r.Note)
	if err != nil {
		return err
	}
	row := referralRow{ID: r.ID, CaseID: caseID, Service: r.Service, AgencyID: r.Agency.ID, Status: caseflow.ReferralPending,
		NoteEnc: note, CreatedBy: v.UserID, CreatedAt: ch.At, UpdatedAt: ch.At}
	if err := tx.Create(&row).Error; err != nil {
		return err
	}
	return grant(tx, caseID, r.Agency.ID, caseflow.AccessService, referralReason(r.ID), ch.At)
}

// respondReferral records a provider's answer to a referral; a decline ends
// the provider's access through it.
func (db *DB) respondReferral(tx *gorm.DB, caseID int64, ch *caseflow.Change) error {
	res := tx.Model(&referralRow{}).Where("id = ? AND case_id = ? AND status = ?", ch.ReferralID, caseID, caseflow.ReferralPending).
		Updates(map[string]any{"status": ch.ReferralStatus, "updated_at": ch.At, "responded_at": ch.At})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected != 1 {
		return caseflow.Errorf(caseflow.EConflict, "the referral has already been answered")
	}
	if ch.RevokeReferral {
		return tx.Exec("UPDATE case_access SET revoked_at = ? WHERE case_id = ? AND reason = ? AND revoked_at IS NULL",
			ch.At, caseID, referralReason(ch.ReferralID)).Error
	}
	return nil
}

type referralJoin struct {
	ID         int64
	CaseID     int64
	CaseCode   string
	Service    string
	AgencyID   int64
	AgencyCode string
	AgencyName string
	AgencyType string
	Status     string
	NoteEnc    string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

const referralSelect = `SELECT r.id, r.case_id, c.code AS case_code, r.service, r.agency_id, a.code AS agency_code,
	a.name AS agency_name, a.type AS agency_type, r.status, r.note_enc, r.created_at, r.updated_at
	FROM referrals r JOIN cases c ON c.id = r.case_id JOIN agencies a ON a.id = r.agency_id`

func (db *DB) referralOut(vt *vault, j referralJoin, withNote bool) (*caseflow.Referral, error) {
	r := &caseflow.Referral{ID: j.ID, CaseCode: j.CaseCode, Service: j.Service, Status: j.Status,
		Agency:    caseflow.Agency{ID: j.AgencyID, Code: j.AgencyCode, Name: j.AgencyName, Type: caseflow.AgencyType(j.AgencyType)},
		CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC()}
	if withNote {
		n, err := vt.open("referral.note", j.NoteEnc)
		if err != nil {
			return nil, err
		}
		r.Note = n
	}
	return r, nil
}

// Referral returns a referral whose case the viewer may know of, with its
// case's code and version for the response. A referral the viewer may not
// know of is not_found.
func (db *DB) Referral(ctx context.Context, v caseflow.Viewer, id int64) (*caseflow.Referral, error) {
	cond, args := visible(v)
	var j referralJoin
	res := db.gorm.WithContext(ctx).Raw(referralSelect+" WHERE r.id = ? AND "+replaceCases(cond), append([]any{id}, args...)...).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no referral %d", id)
	}
	vt, err := db.vaultOf(db.gorm.WithContext(ctx), j.CaseID, false)
	if err != nil {
		return nil, err
	}
	return db.referralOut(vt, j, !v.SeesCasesByUnit())
}

// providerOnly reports whether the viewer's agency knows of the case only
// through support referrals, and which: such a provider sees what its
// referrals need (the child's name and contact, its own referrals, their
// clocks and steps), not the procedure's deadlines, other agencies'
// referrals or the rest of the history.
func (db *DB) providerOnly(ctx context.Context, v caseflow.Viewer, caseID int64) (map[string]bool, bool, error) {
	if v.SeesCasesByUnit() {
		return nil, false, nil
	}
	var reasons []string
	if err := db.gorm.WithContext(ctx).Raw("SELECT reason FROM case_access WHERE case_id = ? AND agency_id = ? AND revoked_at IS NULL",
		caseID, v.Agency.ID).Scan(&reasons).Error; err != nil {
		return nil, false, err
	}
	ids := map[string]bool{}
	for _, r := range reasons {
		id, ok := strings.CutPrefix(r, "referral:")
		if !ok {
			return nil, false, nil
		}
		ids[id] = true
	}
	return ids, len(ids) > 0, nil
}

// Referrals lists the service referrals of a case the viewer may know of.
func (db *DB) Referrals(ctx context.Context, v caseflow.Viewer, code string) ([]*caseflow.Referral, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, err
	}
	var rows []referralJoin
	if err := db.gorm.WithContext(ctx).Raw(referralSelect+" WHERE r.case_id = ? ORDER BY r.id", c.ID).Scan(&rows).Error; err != nil {
		return nil, err
	}
	mine, provider, err := db.providerOnly(ctx, v, c.ID)
	if err != nil {
		return nil, err
	}
	vt, err := db.vaultOf(db.gorm.WithContext(ctx), c.ID, false)
	if err != nil {
		return nil, err
	}
	out := []*caseflow.Referral{}
	for _, j := range rows {
		if provider && !mine[strconv.FormatInt(j.ID, 10)] {
			continue
		}
		r, err := db.referralOut(vt, j, c.Access == caseflow.AccessFull)
		if err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, nil
}

// FinishReferral marks an accepted referral done; only the receiving agency
// may. The provider's access through the referral ends with it: what it
// needed the case for is over.
func (db *DB) FinishReferral(ctx context.Context, v caseflow.Viewer, id int64, note string) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		var r referralRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ?", id).Take(&r).Error; err != nil {
			if err == gorm.ErrRecordNotFound {
				return caseflow.Errorf(caseflow.ENotFound, "no referral %d", id)
			}
			return err
		}
		if r.AgencyID != v.Agency.ID {
			return caseflow.Errorf(caseflow.ENotFound, "no referral %d", id)
		}
		if r.Status != caseflow.ReferralAccepted {
			return &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("a %s referral cannot be marked done", r.Status),
				Fields: map[string]caseflow.FieldError{"status": {Code: caseflow.FieldWrongState, Message: "must be accepted", Value: r.Status,
					Allowed: []string{caseflow.ReferralAccepted}}}}
		}
		now := db.now()
		if err := tx.Model(&referralRow{}).Where("id = ?", id).Updates(map[string]any{"status": caseflow.ReferralDone,
			"updated_at": now, "done_at": now}).Error; err != nil {
			return err
		}
		if err := tx.Exec("UPDATE case_access SET revoked_at = ? WHERE case_id = ? AND reason = ? AND revoked_at IS NULL",
			now, r.CaseID, referralReason(id)).Error; err != nil {
			return err
		}
		var code string
		if err := tx.Model(&caseRow{}).Where("id = ?", r.CaseID).Pluck("code", &code).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "referral.done", code, map[string]any{"referral": id})
	})
}

// replaceCases adapts a visibility condition written for the alias "cases"
// to the alias "c".
func replaceCases(cond string) string { return strings.ReplaceAll(cond, "cases.", "c.") }
