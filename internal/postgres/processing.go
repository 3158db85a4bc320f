package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

type processingRow struct {
	CaseID                  int64 `gorm:"primaryKey"`
	LegalBasis              string
	ChildConsent            string
	GuardianConsent         string
	RepresentativeIsSuspect bool
	ConsentNoteEnc          string
	UpdatedAt               time.Time
	UpdatedBy               *int64
}

func (processingRow) TableName() string { return "case_processing" }

// Processing returns the legal basis and consents recorded for a case the
// viewer reads in full or for a service, and the children's ages.
func (db *DB) Processing(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Processing, []int, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, nil, err
	}
	g := db.gorm.WithContext(ctx)
	p := &caseflow.Processing{LegalBasis: caseflow.ProcessingLegalObligation}
	var row struct {
		LegalBasis              string
		ChildConsent            string
		GuardianConsent         string
		RepresentativeIsSuspect bool
		ConsentNoteEnc          string
		UpdatedAt               time.Time
		Username                string
	}
	res := g.Raw(`SELECT p.legal_basis, p.child_consent, p.guardian_consent, p.representative_is_suspect, p.consent_note_enc,
		p.updated_at, coalesce(u.username, '') AS username FROM case_processing p LEFT JOIN users u ON u.id = p.updated_by
		WHERE p.case_id = ?`, c.ID).Scan(&row)
	if res.Error != nil {
		return nil, nil, res.Error
	}
	if res.RowsAffected == 1 {
		vt, err := db.vaultOf(g, c.ID, false)
		if err != nil {
			return nil, nil, err
		}
		note := ""
		if c.Access == caseflow.AccessFull {
			if note, err = vt.open("processing.consent_note", row.ConsentNoteEnc); err != nil {
				return nil, nil, err
			}
		}
		p = &caseflow.Processing{LegalBasis: row.LegalBasis, ChildConsent: row.ChildConsent, GuardianConsent: row.GuardianConsent,
			RepresentativeIsSuspect: row.RepresentativeIsSuspect, ConsentNote: note, Recorded: true,
			UpdatedAt: row.UpdatedAt.UTC(), UpdatedBy: row.Username}
	}
	var ages []int
	if err := g.Raw(`SELECT coalesce(age_at_report, age, -1) FROM case_people WHERE case_id = ? AND kind = 'child'`, c.ID).Scan(&ages).Error; err != nil {
		return nil, nil, err
	}
	return p, ages, nil
}

// SetProcessing records the legal basis and consents of a case, audited
// with what changed (never the note).
func (db *DB) SetProcessing(ctx context.Context, v caseflow.Viewer, code string, p caseflow.Processing) error {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return err
	}
	if c.Access != caseflow.AccessFull {
		return caseflow.Errorf(caseflow.EForbidden, "only an agency with the whole case records its legal basis")
	}
	return db.write(ctx, func(tx *gorm.DB) error {
		vt, err := db.vaultOf(tx, c.ID, true)
		if err != nil {
			return err
		}
		note, err := vt.seal("processing.consent_note", p.ConsentNote)
		if err != nil {
			return err
		}
		by := v.UserID
		row := processingRow{CaseID: c.ID, LegalBasis: p.LegalBasis, ChildConsent: p.ChildConsent, GuardianConsent: p.GuardianConsent,
			RepresentativeIsSuspect: p.RepresentativeIsSuspect, ConsentNoteEnc: note, UpdatedAt: db.now(), UpdatedBy: &by}
		if err := tx.Clauses(clause.OnConflict{UpdateAll: true}).Create(&row).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "case.processing", c.Code, map[string]any{"legal_basis": p.LegalBasis, "child_consent": p.ChildConsent,
			"guardian_consent": p.GuardianConsent, "representative_is_suspect": p.RepresentativeIsSuspect})
	})
}
