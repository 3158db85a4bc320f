package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"

	"caseflow/internal/caseflow"
)

type subjectRequestRow struct {
	ID               int64 `gorm:"primaryKey"`
	CaseID           int64
	Kind             string
	RequestedAt      time.Time
	RecordedAt       time.Time
	RecordedBy       int64
	RequesterEnc     string
	DetailsEnc       string
	AcknowledgeDueAt time.Time
	RespondDueAt     time.Time
	Decision         *string
	DecidedAt        *time.Time
	DecidedBy        *int64
	RefusalReasonEnc string
	ExportedAt       *time.Time
	Reminded         int
}

func (subjectRequestRow) TableName() string { return "subject_requests" }

// fullCase returns a case the viewer reads in full, or forbidden.
func (db *DB) fullCase(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	c, err := db.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, err
	}
	if c.Access != caseflow.AccessFull {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only an agency with the whole case handles requests about its data")
	}
	return c, nil
}

// AddSubjectRequest records a request about a case's personal data with
// its deadlines; audited with the kind only.
func (db *DB) AddSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, r *caseflow.SubjectRequest) (int64, error) {
	c, err := db.fullCase(ctx, v, code)
	if err != nil {
		return 0, err
	}
	var id int64
	err = db.write(ctx, func(tx *gorm.DB) error {
		vt, err := db.vaultOf(tx, c.ID, true)
		if err != nil {
			return err
		}
		row := subjectRequestRow{CaseID: c.ID, Kind: r.Kind, RequestedAt: r.RequestedAt.UTC(), RecordedAt: db.now(), RecordedBy: v.UserID,
			AcknowledgeDueAt: r.AcknowledgeDueAt.UTC(), RespondDueAt: r.RespondDueAt.UTC()}
		if row.RequesterEnc, err = vt.seal("request.requester", r.Requester); err != nil {
			return err
		}
		if row.DetailsEnc, err = vt.seal("request.details", r.Details); err != nil {
			return err
		}
		if err := tx.Create(&row).Error; err != nil {
			return err
		}
		id = row.ID
		return db.audit(tx, v, "subject_request.create", c.Code, map[string]any{"request": id, "kind": r.Kind})
	})
	return id, err
}

// SubjectRequests lists a case's requests, oldest first.
func (db *DB) SubjectRequests(ctx context.Context, v caseflow.Viewer, code string) ([]caseflow.SubjectRequest, error) {
	c, err := db.fullCase(ctx, v, code)
	if err != nil {
		return nil, err
	}
	return db.subjectRequests(ctx, c, "case_id = ?", c.ID)
}

func (db *DB) subjectRequests(ctx context.Context, c *caseflow.Case, where string, arg any) ([]caseflow.SubjectRequest, error) {
	g := db.gorm.WithContext(ctx)
	var rows []subjectRequestRow
	if err := g.Where(where, arg).Order("id").Find(&rows).Error; err != nil {
		return nil, err
	}
	vt, err := db.vaultOf(g, c.ID, false)
	if err != nil {
		return nil, err
	}
	var users []struct {
		ID       int64
		Username string
	}
	if err := g.Raw(`SELECT id, username FROM users WHERE id IN (SELECT recorded_by FROM subject_requests WHERE case_id = ?
		UNION SELECT decided_by FROM subject_requests WHERE case_id = ? AND decided_by IS NOT NULL)`, c.ID, c.ID).Scan(&users).Error; err != nil {
		return nil, err
	}
	name := map[int64]string{}
	for _, u := range users {
		name[u.ID] = u.Username
	}
	out := make([]caseflow.SubjectRequest, 0, len(rows))
	for _, r := range rows {
		s := caseflow.SubjectRequest{ID: r.ID, CaseCode: c.Code, Kind: r.Kind, RequestedAt: r.RequestedAt.UTC(), RecordedBy: name[r.RecordedBy],
			AcknowledgeDueAt: r.AcknowledgeDueAt.UTC(), RespondDueAt: r.RespondDueAt.UTC(), DecidedAt: utcPtr(r.DecidedAt),
			ExportedAt: utcPtr(r.ExportedAt)}
		if r.Decision != nil {
			s.Decision = *r.Decision
		}
		if r.DecidedBy != nil {
			s.DecidedBy = name[*r.DecidedBy]
		}
		for _, f := range []struct {
			ctx, enc string
			dst      *string
		}{{"request.requester", r.RequesterEnc, &s.Requester}, {"request.details", r.DetailsEnc, &s.Details},
			{"request.refusal", r.RefusalReasonEnc, &s.RefusalReason}} {
			if *f.dst, err = vt.open(f.ctx, f.enc); err != nil {
				return nil, err
			}
		}
		out = append(out, s)
	}
	return out, nil
}

// DecideSubjectRequest approves or refuses a request, a refusal with its
// reason; audited.
func (db *DB) DecideSubjectRequest(ctx context.Context, v caseflow.Viewer, code string, id int64, approve bool, reason string) error {
	c, err := db.fullCase(ctx, v, code)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *gorm.DB) error {
		var r subjectRequestRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("id = ? AND case_id = ?", id, c.ID).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no request %d on case %s", id, c.Code)
			}
			return err
		}
		if r.Decision != nil {
			return caseflow.Errorf(caseflow.EConflict, "the request was already %s", *r.Decision)
		}
		vt, err := db.vaultOf(tx, c.ID, true)
		if err != nil {
			return err
		}
		decision := caseflow.GrantRefused
		if approve {
			decision = caseflow.GrantApproved
		}
		sealed, err := vt.seal("request.refusal", reason)
		if err != nil {
			return err
		}
		if err := tx.Model(&subjectRequestRow{}).Where("id = ?", id).Updates(map[string]any{"decision": decision, "decided_at": db.now(),
			"decided_by": v.UserID, "refusal_reason_enc": sealed}).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "subject_request."+decision, c.Code, map[string]any{"request": id, "kind": r.Kind,
			"late": db.now().After(r.RespondDueAt)})
	})
}

// MarkSubjectRequestExported records that the child's data was handed out
// for an approved access request; audited.
func (db *DB) MarkSubjectRequestExported(ctx context.Context, v caseflow.Viewer, code string, id int64) error {
	c, err := db.fullCase(ctx, v, code)
	if err != nil {
		return err
	}
	return db.write(ctx, func(tx *gorm.DB) error {
		res := tx.Model(&subjectRequestRow{}).Where("id = ? AND case_id = ? AND kind = 'access' AND decision = 'approved'", id, c.ID).
			Update("exported_at", db.now())
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return caseflow.Errorf(caseflow.EInvalid, "only an approved access request is answered with an export")
		}
		return db.audit(tx, v, "subject_request.export", c.Code, map[string]any{"request": id})
	})
}

// CorrectChild changes one field of a child's record under an approved
// correction request. The history keeps the value before and after,
// sealed with the case's key; the blind and name indexes follow. Audited
// without the values.
func (db *DB) CorrectChild(ctx context.Context, v caseflow.Viewer, code string, id int64, position int, field, value string) error {
	c, err := db.fullCase(ctx, v, code)
	if err != nil {
		return err
	}
	columns := map[string]struct{ column, context string }{
		"full_name":     {"full_name_enc", "person.full_name"},
		"date_of_birth": {"date_of_birth_enc", "person.date_of_birth"},
		"address":       {"address_enc", "person.address"},
	}
	col, ok := columns[field]
	if !ok {
		return caseflow.InvalidField("field", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "must be full_name, date_of_birth or address",
			Allowed: []string{"full_name", "date_of_birth", "address"}})
	}
	return db.write(ctx, func(tx *gorm.DB) error {
		var r subjectRequestRow
		if err := tx.Where("id = ? AND case_id = ?", id, c.ID).Take(&r).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.Errorf(caseflow.ENotFound, "no request %d on case %s", id, c.Code)
			}
			return err
		}
		if r.Kind != "correction" || r.Decision == nil || *r.Decision != caseflow.GrantApproved {
			return caseflow.Errorf(caseflow.EInvalid, "only an approved correction request changes the child's record")
		}
		var p personRow
		if err := tx.Clauses(clause.Locking{Strength: "UPDATE"}).Where("case_id = ? AND kind = ? AND position = ?", c.ID, caseflow.PersonChild, position).
			Take(&p).Error; err != nil {
			if errors.Is(err, gorm.ErrRecordNotFound) {
				return caseflow.InvalidField("child", caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "the case has no such child"})
			}
			return err
		}
		vt, err := db.vaultOf(tx, c.ID, true)
		if err != nil {
			return err
		}
		person, err := db.openPerson(vt, p)
		if err != nil {
			return err
		}
		before := map[string]string{"full_name": person.FullName, "date_of_birth": person.DateOfBirth, "address": person.Address}[field]
		sealed, err := vt.seal(col.context, value)
		if err != nil {
			return err
		}
		switch field {
		case "full_name":
			person.FullName = value
		case "date_of_birth":
			person.DateOfBirth = value
		}
		set := map[string]any{col.column: sealed}
		if field != "address" {
			var blind []byte
			if person.DateOfBirth != "" {
				blind = db.Keys.BlindIndex(person.FullName, person.DateOfBirth)
			}
			set["blind_index"] = blind
		}
		if err := tx.Model(&personRow{}).Where("id = ?", p.ID).Updates(set).Error; err != nil {
			return err
		}
		if field == "full_name" {
			if err := tx.Exec("DELETE FROM case_name_index WHERE case_id = ? AND position = ?", c.ID, position).Error; err != nil {
				return err
			}
			if err := db.indexNames(tx, c.ID, append(make([]caseflow.Person, position), person)); err != nil {
				return err
			}
		}
		note, err := vt.seal("history.note", field+": "+before+" → "+value)
		if err != nil {
			return err
		}
		var cr caseRow
		if err := tx.Select("id, code, state, version").Where("id = ?", c.ID).Take(&cr).Error; err != nil {
			return err
		}
		actor, agency := v.UserID, v.Agency.ID
		raw, err := jsonObject(map[string]any{"request": id, "field": field, "child": position})
		if err != nil {
			return err
		}
		if err := tx.Omit("ID").Create(&historyRow{CaseID: c.ID, Version: cr.Version, Event: "personal_data_corrected", FromState: cr.State,
			ToState: cr.State, ActorID: &actor, AgencyID: &agency, NoteEnc: note, Data: raw, At: db.now(), Kind: "clock"}).Error; err != nil {
			return err
		}
		return db.audit(tx, v, "subject_request.correct", c.Code, map[string]any{"request": id, "field": field, "child": position})
	})
}

// RemindSubjectRequests tells the agency that filed each case, once per
// point, that a request about the child's data not yet decided is due
// within a day (a day before its deadline to answer) or is overdue; each in
// its own transaction, so that one that fails does not stop the others.
func (db *DB) RemindSubjectRequests(ctx context.Context) (int, error) {
	now := db.now()
	var open []struct {
		ID             int64
		CaseID         int64
		Kind           string
		RespondDueAt   time.Time
		Reminded       int
		Code           string
		UnitPath       string
		FilingAgencyID int64
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT r.id, r.case_id, r.kind, r.respond_due_at, r.reminded, c.code, c.unit_path, c.filing_agency_id
		FROM subject_requests r JOIN cases c ON c.id = r.case_id
		WHERE r.decision IS NULL AND r.reminded < 2 AND r.respond_due_at <= ?`, now.Add(24*time.Hour)).Scan(&open).Error; err != nil {
		return 0, err
	}
	n := 0
	var failed []error
	for _, r := range open {
		point := 1
		if !now.Before(r.RespondDueAt) {
			point = 2
		}
		if point <= r.Reminded {
			continue
		}
		local := r.RespondDueAt.In(caseflow.Zone).Format("15:04 02/01/2006")
		msg := fmt.Sprintf("Hồ sơ %s: yêu cầu về dữ liệu của trẻ (%s) cần trả lời trước %s / Case %s: a request about the child's data (%s) is to be answered by %s",
			r.Code, r.Kind, local, r.Code, r.Kind, local)
		if point == 2 {
			msg = fmt.Sprintf("Hồ sơ %s: yêu cầu về dữ liệu của trẻ (%s) ĐÃ QUÁ HẠN trả lời (hạn %s) / Case %s: a request about the child's data (%s) is OVERDUE (due %s)",
				r.Code, r.Kind, local, r.Code, r.Kind, local)
		}
		due, caseID, agency := r.RespondDueAt, r.CaseID, r.FilingAgencyID
		wrote, err := db.remindOnce(ctx, "subject_requests", "decision IS NULL", r.ID, r.Reminded, point,
			&notificationRow{Kind: caseflow.NotificationDataRequest, Audience: "agency", AgencyID: &agency, UnitPath: r.UnitPath,
				CaseID: &caseID, CaseCode: r.Code, Generation: int(r.ID)*10 + point, DueAt: &due, Message: msg, CreatedAt: now})
		if err != nil {
			failed = append(failed, fmt.Errorf("request %d: %w", r.ID, err))
		} else if wrote {
			n++
		}
	}
	return n, errors.Join(failed...)
}
