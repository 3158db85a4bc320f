package postgres

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
	"caseflow/internal/seal"
)

// visible returns the SQL condition (on table alias "cases") that limits a
// query to the cases the viewer may know of. This is the one place where
// need-to-know is decided for reads.
func visible(v caseflow.Viewer) (string, []any) {
	switch {
	case !v.ReadsCases() || v.Agency.ID == 0:
		return "false", nil
	case v.SeesCasesByUnit():
		return "cases.unit_path LIKE ?", []any{likePrefix(v.Agency.Unit.Path)}
	default:
		return `EXISTS (SELECT 1 FROM case_access ca WHERE ca.case_id = cases.id AND ca.agency_id = ? AND ca.revoked_at IS NULL)`,
			[]any{v.Agency.ID}
	}
}

func likePrefix(s string) string {
	r := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)
	return r.Replace(s) + "%"
}

// accessExpr computes the viewer's access level to a case in SQL.
func accessExpr(v caseflow.Viewer) (string, []any) {
	if v.SeesCasesByUnit() {
		return "'summary'", nil
	}
	return `(SELECT CASE WHEN bool_or(ca.scope = 'full') THEN 'full' WHEN count(*) > 0 THEN 'service' ELSE 'summary' END
		FROM case_access ca WHERE ca.case_id = cases.id AND ca.agency_id = ? AND ca.revoked_at IS NULL)`, []any{v.Agency.ID}
}

type caseJoin struct {
	ID              int64
	Code            string
	WorkflowID      string
	WorkflowVersion int
	State           string
	Version         int
	CommuneID       int64
	UnitPath        string
	ReceivedAt      time.Time
	Channel         string
	AbuseTypes      array[string] `gorm:"type:text[]"`
	Setting         string
	ImmediateDanger bool
	CrimeCategory   string
	Outcome         string
	NarrativeEnc    string
	Data            []byte `gorm:"type:jsonb"`
	FiledBy         int64
	FilingAgencyID  int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
	CommuneCode     string
	CommuneName     string
	CommunePath     string
	Access          string
	NextClock       string
	NextDue         *time.Time
	NextWarn        *time.Time
	Overdue         bool
	Fired           array[string] `gorm:"type:text[]"`
	LastStepAt      *time.Time
	CommuneRemote   bool
}

func (db *DB) caseQuery(tx *gorm.DB, v caseflow.Viewer) *gorm.DB { return db.caseQueryWith(tx, v, "") }

// stepColumns are what the workflow's guards and the bounds of an event's
// date read of one case: the events recorded, in order, and when the latest
// happened. Lists leave them out.
const stepColumns = `, ARRAY(SELECT h.event FROM case_history h WHERE h.case_id = cases.id AND h.kind = 'transition' ORDER BY h.id) AS fired,
	(SELECT max(h.at) FROM case_history h WHERE h.case_id = cases.id AND h.kind = 'transition') AS last_step_at`

// oneCaseQuery is caseQuery for one case, with its steps.
func (db *DB) oneCaseQuery(tx *gorm.DB, v caseflow.Viewer, code string) *gorm.DB {
	return db.caseQueryWith(tx, v, stepColumns).Where("cases.code = ?", code).Limit(1)
}

func (db *DB) caseQueryWith(tx *gorm.DB, v caseflow.Viewer, extra string) *gorm.DB {
	acc, accArgs := accessExpr(v)
	cond, args := visible(v)
	return tx.Table("cases").
		Select("cases.*, u.code AS commune_code, u.name AS commune_name, u.path AS commune_path, "+acc+" AS access, "+
			"nd.next_clock, nd.next_due, nd.next_warn, coalesce(nd.overdue, false) AS overdue, u.remote AS commune_remote"+extra, accArgs...).
		Joins("JOIN units u ON u.id = cases.commune_id").
		Joins(urgencyJoin, db.now()).
		Where(cond, args...)
}

// urgencyJoin finds a case's most urgent open clock: the running or
// breached one not yet met that is due first, and whether any is overdue.
const urgencyJoin = `LEFT JOIN LATERAL (
	SELECT k.clock AS next_clock, k.due_at AS next_due, k.warn_at AS next_warn,
		(k.status = 'breached' OR k.due_at <= ?) AS overdue
	FROM case_clocks k WHERE k.case_id = cases.id AND k.stopped_at IS NULL AND k.status IN ('running', 'breached')
	ORDER BY (k.status = 'breached') DESC, k.due_at LIMIT 1) nd ON true`

func (j *caseJoin) summary() *caseflow.Case {
	return &caseflow.Case{
		ID: j.ID, Code: j.Code, State: j.State, Version: j.Version, WorkflowID: j.WorkflowID,
		WorkflowVersion: j.WorkflowVersion,
		Commune:         caseflow.Unit{Code: j.CommuneCode, Name: j.CommuneName, Level: caseflow.LevelCommune, Path: j.CommunePath},
		ReceivedAt:      j.ReceivedAt.UTC(), Channel: j.Channel, AbuseTypes: []string(j.AbuseTypes), Setting: j.Setting,
		ImmediateDanger: j.ImmediateDanger, CrimeCategory: j.CrimeCategory, Outcome: j.Outcome,
		Access: caseflow.Access(j.Access), CreatedAt: j.CreatedAt.UTC(), UpdatedAt: j.UpdatedAt.UTC(),
		NextClock: j.NextClock, NextDue: utcPtr(j.NextDue), NextWarn: utcPtr(j.NextWarn), Overdue: j.Overdue,
		Fired: []string(j.Fired), CommuneRemote: j.CommuneRemote, LastStepAt: derefTime(j.LastStepAt),
	}
}

func derefTime(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return t.UTC()
}

// Case returns a case the viewer may know of, with as much personal data as
// their access allows; reading personal data is audited. A case the viewer
// may not know of is not_found, exactly like one that does not exist.
func (db *DB) Case(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	var c *caseflow.Case
	// A read, though it writes its audit entry: not a write a request key
	// stands for.
	err := db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		var err error
		c, err = db.loadCase(tx, v, code, nil)
		if err != nil {
			return err
		}
		if c.Access == caseflow.AccessSummary {
			return nil
		}
		return db.audit(tx, v, "case.read", c.Code, map[string]any{"access": string(c.Access)})
	})
	return c, err
}

// loadCase reads a case for the viewer; vt, when the caller already holds
// the case's vault (an intake that just made it), saves reading it again.
func (db *DB) loadCase(tx *gorm.DB, v caseflow.Viewer, code string, vt *vault) (*caseflow.Case, error) {
	var j caseJoin
	res := db.oneCaseQuery(tx, v, code).Scan(&j)
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 0 {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no case %q", code)
	}
	c := j.summary()
	if !c.Access.SeesPersonalData() {
		return c, nil
	}
	if err := db.openPersonal(tx, c, j.NarrativeEnc, vt); err != nil {
		return nil, err
	}
	return c, nil
}

// openPersonal decrypts the personal data the case's access level allows.
func (db *DB) openPersonal(tx *gorm.DB, c *caseflow.Case, narrativeEnc string, vt *vault) error {
	if vt == nil {
		var err error
		if vt, err = db.vaultOf(tx, c.ID, false); err != nil {
			return err
		}
	}
	var rows []personRow
	if err := tx.Where("case_id = ?", c.ID).Order("kind, position").Find(&rows).Error; err != nil {
		return err
	}
	return db.addPeople(c, rows, narrativeEnc, vt)
}

// addPeople opens the people rows of a case (in kind and position order)
// and its narrative as far as the case's access level allows.
func (db *DB) addPeople(c *caseflow.Case, rows []personRow, narrativeEnc string, vt *vault) error {
	c.ErasedAt = utcPtr(vt.shredded)
	for _, r := range rows {
		if !c.Access.SeesPeople(r.Kind) {
			continue
		}
		p, err := db.openPerson(vt, r)
		if err != nil {
			return err
		}
		if !c.Access.SeesPhones() {
			p.Phone = ""
		}
		switch r.Kind {
		case caseflow.PersonChild:
			c.Children = append(c.Children, p)
		case caseflow.PersonSuspect:
			c.Suspects = append(c.Suspects, p)
		case caseflow.PersonReporter:
			pp := p
			c.Reporter = &pp
		}
	}
	if c.Access.SeesNarrative() {
		n, err := vt.open("case.narrative", narrativeEnc)
		if err != nil {
			return err
		}
		c.Narrative = n
	}
	return nil
}

func (db *DB) openPerson(vt *vault, r personRow) (caseflow.Person, error) {
	p := caseflow.Person{Kind: r.Kind, Age: r.Age, Sex: r.Sex, Relationship: r.Relationship, Anonymous: r.Anonymous}
	var err error
	for _, f := range []struct {
		ctx string
		enc string
		dst *string
	}{
		{"person.full_name", r.FullNameEnc, &p.FullName},
		{"person.date_of_birth", r.DateOfBirthEnc, &p.DateOfBirth},
		{"person.address", r.AddressEnc, &p.Address},
		{"person.phone", r.PhoneEnc, &p.Phone},
	} {
		if *f.dst, err = vt.open(f.ctx, f.enc); err != nil {
			return p, err
		}
	}
	return p, nil
}

func (db *DB) sealPerson(vt *vault, caseID int64, kind string, pos int, p caseflow.Person) (personRow, error) {
	r := personRow{CaseID: caseID, Kind: kind, Position: pos, Age: p.Age, Sex: p.Sex,
		Relationship: p.Relationship, Anonymous: p.Anonymous}
	var err error
	for _, f := range []struct {
		ctx string
		val string
		dst *string
	}{
		{"person.full_name", strings.TrimSpace(p.FullName), &r.FullNameEnc},
		{"person.date_of_birth", p.DateOfBirth, &r.DateOfBirthEnc},
		{"person.address", strings.TrimSpace(p.Address), &r.AddressEnc},
		{"person.phone", strings.TrimSpace(p.Phone), &r.PhoneEnc},
	} {
		if *f.dst, err = vt.seal(f.ctx, f.val); err != nil {
			return r, err
		}
	}
	if kind == caseflow.PersonChild && p.DateOfBirth != "" {
		r.BlindIndex = db.Keys.BlindIndex(p.FullName, p.DateOfBirth)
	}
	return r, nil
}

// Cases lists the cases the viewer may know of, newest first, as summaries
// without personal data.
func (db *DB) Cases(ctx context.Context, v caseflow.Viewer, f caseflow.CaseFilter) (*caseflow.CasePage, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	q := db.caseQuery(db.gorm.WithContext(ctx), v)
	if f.Code != "" {
		q = q.Where("cases.code LIKE ?", "%"+f.Code)
	}
	if f.State != "" {
		q = q.Where("cases.state = ?", f.State)
	}
	if strings.TrimSpace(f.ChildName) != "" {
		// By the keyed hashes of the name: no name is decrypted, and a case
		// whose people the viewer may not see is not searched.
		if f.ChildDOB != "" {
			q = q.Where("EXISTS (SELECT 1 FROM case_people p WHERE p.case_id = cases.id AND p.kind = 'child' AND p.blind_index = ?)",
				db.Keys.BlindIndex(f.ChildName, f.ChildDOB))
		} else {
			q = q.Where("EXISTS (SELECT 1 FROM case_name_index n WHERE n.case_id = cases.id AND n.name_index = ?)",
				db.Keys.NameIndex(f.ChildName))
		}
		acc, args := accessExpr(v)
		q = q.Where(acc+" IN ('full', 'service')", args...)
	}
	if f.Overdue {
		q = q.Where("nd.overdue")
	}
	if f.CommuneCode != "" {
		q = q.Where("u.code = ?", f.CommuneCode)
	}
	if f.ReceivedFrom != nil {
		q = q.Where("cases.received_at >= ?", f.ReceivedFrom.UTC())
	}
	if f.ReceivedTo != nil {
		q = q.Where("cases.received_at < ?", f.ReceivedTo.UTC())
	}
	if f.After != "" {
		id, err := decodeCursor(f.After)
		if err != nil {
			return nil, &caseflow.Error{Code: caseflow.EInvalid, Message: "bad cursor", Fields: map[string]caseflow.FieldError{"cursor": badCursor}}
		}
		q = q.Where("cases.id < ?", id)
	}
	var rows []caseJoin
	if err := q.Order("cases.id DESC").Limit(f.Limit + 1).Scan(&rows).Error; err != nil {
		return nil, err
	}
	page := &caseflow.CasePage{Cases: []*caseflow.Case{}}
	for i := range rows {
		if i == f.Limit {
			page.NextCursor = encodeCursor(rows[i-1].ID)
			break
		}
		c := rows[i].summary()
		page.Cases = append(page.Cases, c)
	}
	if err := db.briefChildren(ctx, v, page.Cases); err != nil {
		return nil, err
	}
	return page, nil
}

// briefChildren names the children of the listed cases whose people the
// viewer may see, by initials and age; the read is audited with the codes.
func (db *DB) briefChildren(ctx context.Context, v caseflow.Viewer, cases []*caseflow.Case) error {
	byID := map[int64]*caseflow.Case{}
	var ids []int64
	var codes []string
	for _, c := range cases {
		if c.Access.SeesPersonalData() {
			byID[c.ID] = c
			ids = append(ids, c.ID)
			codes = append(codes, c.Code)
		}
	}
	if len(ids) == 0 {
		return nil
	}
	var people []personRow
	if err := db.gorm.WithContext(ctx).Where("case_id IN ? AND kind = ?", ids, caseflow.PersonChild).
		Order("case_id, position").Find(&people).Error; err != nil {
		return err
	}
	vs, err := db.vaults(db.gorm.WithContext(ctx), ids, false)
	if err != nil {
		return err
	}
	for _, p := range people {
		name, err := vs[p.CaseID].open("person.full_name", p.FullNameEnc)
		if err != nil {
			return err
		}
		c := byID[p.CaseID]
		b := caseflow.ChildBrief{Initials: caseflow.Initials(name), Age: p.Age}
		if b.Age == nil && p.DateOfBirthEnc != "" {
			// The age when the report was received, as the statistics count it.
			dob, err := vs[p.CaseID].open("person.date_of_birth", p.DateOfBirthEnc)
			if err != nil {
				return err
			}
			b.Age = caseflow.AgeWhen(nil, dob, c.ReceivedAt)
		}
		c.Briefs = append(c.Briefs, b)
	}
	return db.Audit(ctx, v, "case.list_people", "", map[string]any{"cases": codes})
}

func encodeCursor(id int64) string {
	return base64.RawURLEncoding.EncodeToString([]byte("c" + strconv.FormatInt(id, 10)))
}

func decodeCursor(s string) (int64, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'c' {
		return 0, errors.New("bad cursor")
	}
	return strconv.ParseInt(string(b[1:]), 10, 64)
}

// jsonObject marshals data for a jsonb column, never null. Data that
// cannot be encoded is an error: storing {} instead would lose it.
func jsonObject(m map[string]any) ([]byte, error) {
	if len(m) == 0 {
		return []byte("{}"), nil
	}
	return json.Marshal(m)
}

// CheckKeys checks that the key ring opens the data already stored, by
// opening the newest data key (or, before data keys, the newest case's
// narrative): starting with the wrong keys would otherwise show up only as
// failures on every read.
func (db *DB) CheckKeys(ctx context.Context) error {
	var key []struct {
		Code    string
		Wrapped string
	}
	if err := db.gorm.WithContext(ctx).Raw(`SELECT c.code, k.wrapped FROM case_keys k JOIN cases c ON c.id = k.case_id
		WHERE k.shredded_at IS NULL ORDER BY k.case_id DESC LIMIT 1`).Scan(&key).Error; err != nil {
		return err
	}
	if len(key) == 1 {
		if _, err := db.Keys.UnwrapKey(key[0].Code, key[0].Wrapped); err != nil {
			return fmt.Errorf("the data keys were wrapped with key %q, which the configured key ring (ENCRYPTION_KEYS) cannot open: %v",
				seal.KeyID(key[0].Wrapped), err)
		}
		return nil
	}
	var sealed []string
	if err := db.gorm.WithContext(ctx).Model(&caseRow{}).Where("narrative_enc LIKE 'v1.%'").Order("id DESC").Limit(1).
		Pluck("narrative_enc", &sealed).Error; err != nil {
		return err
	}
	if len(sealed) == 0 {
		return nil
	}
	if _, err := db.Keys.Decrypt("case.narrative", sealed[0]); err != nil {
		return fmt.Errorf("the stored personal data was encrypted with key %q, which the configured key ring (ENCRYPTION_KEYS) cannot open: %v",
			seal.KeyID(sealed[0]), err)
	}
	return nil
}
