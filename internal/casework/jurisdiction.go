package casework

import (
	"context"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"caseflow/internal/caseflow"
)

// The jurisdiction table says which agency of each type serves each
// commune; administrators correct it, supervisors read it.

const maxJurisdictionSource = 500

// Jurisdiction lists the rows of the viewer's province that match f.
func (s *Service) Jurisdiction(ctx context.Context, v caseflow.Viewer, f caseflow.JurisdictionFilter) ([]caseflow.JurisdictionRow, error) {
	if !v.Role.Administers() && !v.Role.SeesCompliance() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only administrators and supervisors read the jurisdiction table")
	}
	if f.Type != "" && !f.Type.Valid() {
		return nil, caseflow.InvalidField("type", unknownAgencyType())
	}
	return s.store.JurisdictionRows(ctx, v.Agency.Unit.Path, f)
}

func unknownAgencyType() caseflow.FieldError {
	names := make([]string, len(caseflow.AgencyTypes))
	for i, t := range caseflow.AgencyTypes {
		names[i] = string(t)
	}
	return caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "is not an agency type", Allowed: names}
}

// AddJurisdiction checks and adds a row (administrators only). The unit
// must belong to the row's structure and the agency be of the row's type,
// both existing on the row's first day.
func (s *Service) AddJurisdiction(ctx context.Context, v caseflow.Viewer, n caseflow.NewJurisdiction) (*caseflow.JurisdictionRow, []int64, error) {
	if !v.Role.Administers() {
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "only administrators edit the jurisdiction table")
	}
	fe := caseflow.FieldErrors{}
	if !n.Type.Valid() {
		fe.Add("type", unknownAgencyType())
	}
	if n.ValidFrom.IsZero() {
		fe.Add("valid_from", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required (YYYY-MM-DD)"})
	}
	if n.ValidTo != nil && !n.ValidFrom.IsZero() && caseflow.Day(*n.ValidTo).Before(caseflow.Day(n.ValidFrom)) {
		fe.Add("valid_to", caseflow.FieldError{Code: caseflow.FieldBeforeStart, Message: "is before valid_from"})
	}
	checkSource(fe, n.Source)
	structures, err := s.store.StructuresOf(ctx, v.Agency.Unit.Path)
	if err != nil {
		return nil, nil, err
	}
	var st *caseflow.Structure
	ids := []string{}
	for i := range structures {
		ids = append(ids, structures[i].ID)
		if structures[i].ID == n.Structure {
			st = &structures[i]
		}
	}
	if st == nil {
		fe.Add("structure", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "is not an administrative structure of the province", Allowed: ids})
	}
	row := caseflow.JurisdictionRow{Structure: n.Structure, Type: n.Type, Primary: n.Primary, Verified: n.Verified,
		ValidFrom: n.ValidFrom, ValidTo: n.ValidTo, Source: strings.TrimSpace(n.Source)}
	if st != nil && !n.ValidFrom.IsZero() {
		if !st.ValidOn(n.ValidFrom) {
			fe.Add("valid_from", caseflow.FieldError{Code: caseflow.FieldOutsideStructure, Value: st.ID,
				Message: "is outside the days of the " + st.ID + " structure"})
		}
		u, err := s.unitOfStructure(ctx, n.UnitCode, *st, n)
		if err != nil {
			return nil, nil, err
		}
		if u == nil {
			fe.Add("unit_code", caseflow.FieldError{Code: caseflow.FieldNotFound,
				Message: fmt.Sprintf("is not the code of a unit of the %s structure on %s", st.ID, caseflow.DateText(n.ValidFrom))})
		} else {
			row.Unit = *u
		}
	}
	if n.AgencyCode == "" {
		fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	} else if a, err := s.store.AgencyByCode(ctx, n.AgencyCode); caseflow.ErrorCode(err) == caseflow.ENotFound {
		fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "no such agency"})
	} else if err != nil {
		return nil, nil, err
	} else {
		switch {
		case n.Type.Valid() && a.Type != n.Type:
			fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldNoJurisdiction, Value: string(a.Type),
				Message: fmt.Sprintf("is a %s agency, not a %s one", a.Type, n.Type)})
		case !n.ValidFrom.IsZero() && !a.ActsOn(n.ValidFrom):
			fe.Add("agency_code", caseflow.FieldError{Code: caseflow.FieldAgencyEnded,
				Message: "does not act on " + caseflow.DateText(n.ValidFrom)})
		}
		row.Agency = *a
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	return s.store.AddJurisdiction(ctx, v, row)
}

// unitOfStructure finds the unit with code of structure st (or the
// province) that exists on the new row's first day.
func (s *Service) unitOfStructure(ctx context.Context, code string, st caseflow.Structure, n caseflow.NewJurisdiction) (*caseflow.Unit, error) {
	all, err := s.store.UnitsByCode(ctx, strings.TrimSpace(code))
	if err != nil {
		return nil, err
	}
	for i := range all {
		u := all[i]
		if (u.Structure == st.ID || u.Level == caseflow.LevelProvince) && u.ValidOn(n.ValidFrom) {
			return &u, nil
		}
	}
	return nil, nil
}

// EditJurisdiction records what is known about a row (administrators
// only): confirmed by a source, its source, its last day.
func (s *Service) EditJurisdiction(ctx context.Context, v caseflow.Viewer, id int64, e caseflow.JurisdictionEdit) (*caseflow.JurisdictionRow, error) {
	if !v.Role.Administers() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only administrators edit the jurisdiction table")
	}
	fe := caseflow.FieldErrors{}
	if e.Source != nil {
		checkSource(fe, *e.Source)
		t := strings.TrimSpace(*e.Source)
		e.Source = &t
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	return s.store.EditJurisdiction(ctx, v, id, e)
}

// WithdrawJurisdiction takes a row out of use (administrators only).
func (s *Service) WithdrawJurisdiction(ctx context.Context, v caseflow.Viewer, id int64) error {
	if !v.Role.Administers() {
		return caseflow.Errorf(caseflow.EForbidden, "only administrators edit the jurisdiction table")
	}
	return s.store.WithdrawJurisdiction(ctx, v, id)
}

// checkSource checks the one line of text that says where a row comes from.
func checkSource(fe caseflow.FieldErrors, src string) {
	switch {
	case len(src) > maxJurisdictionSource:
		fe.Add("source", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 500 bytes", Max: maxJurisdictionSource})
	case !utf8.ValidString(src) || strings.ContainsFunc(src, unicode.IsControl):
		fe.Add("source", caseflow.FieldError{Code: caseflow.FieldNotSingleLine, Message: "must be one line of text"})
	}
}

// RemapOpenCases reports, or with apply carries out, what a change of
// structure does to open cases of communes that have ended: each keeps its
// commune and history, and the access and running clocks of agencies that
// no longer act pass to the agencies serving its commune's successor today.
// Only the operator's command (no viewer role) or an administrator runs it.
func (s *Service) RemapOpenCases(ctx context.Context, v caseflow.Viewer, apply bool) (*caseflow.RemapReport, error) {
	if v.UserID != 0 && !v.Role.Administers() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only administrators remap open cases")
	}
	return s.store.RemapOpenCases(ctx, v, s.now(), apply)
}
