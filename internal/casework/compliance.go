package casework

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/report"
)

// ComplianceRequest is a request for compliance figures as the caller typed
// it: a period (dates, inclusive) and a unit code, each optional.
type ComplianceRequest struct {
	From string
	To   string
	Unit string
	// Structure is the administrative structure to report on; "" is the one
	// in force today, on which every period can be reported.
	Structure string
}

// ComplianceCasesRequest asks for the cases behind one figure.
type ComplianceCasesRequest struct {
	ComplianceRequest
	// Indicator is an indicator id or "breaches".
	Indicator string
	// Part is all (default), numerator, denominator or missed.
	Part string
	// Clock limits breaches to one clock.
	Clock string
	// Agency limits the cases to those attributed to one agency (code).
	Agency string
	Cursor string
	Limit  int
}

// complianceQuery checks who may see which unit's figures and turns the
// request into a query. Supervisors see their unit and every unit under it;
// a commune officer sees their own commune; nobody else sees compliance.
// Without a unit, the caller's own unit is reported.
func (s *Service) complianceQuery(ctx context.Context, v caseflow.Viewer, req ComplianceRequest) (caseflow.ComplianceQuery, error) {
	var q caseflow.ComplianceQuery
	if v.Role != caseflow.RoleSupervisor && v.Role != caseflow.RoleCommuneOfficer {
		return q, caseflow.Errorf(caseflow.EForbidden, "only supervisors and commune officers see compliance figures")
	}
	own := v.Agency.Unit
	if own.Path == "" || own.Code == "" {
		return q, caseflow.Errorf(caseflow.EForbidden, "your agency is attached to no unit")
	}
	p, err := caseflow.ParsePeriod(req.From, req.To, s.now())
	if err != nil {
		return q, err
	}
	st, err := s.structureFor(ctx, own, strings.TrimSpace(req.Structure), p)
	if err != nil {
		return q, err
	}
	code := strings.TrimSpace(req.Unit)
	if code == "" {
		code = own.Code
	}
	u, err := s.unitIn(ctx, code, st, p)
	if err != nil {
		return q, err
	}
	switch v.Role {
	case caseflow.RoleSupervisor:
		if !strings.HasPrefix(u.Path, own.Path) {
			return q, caseflow.Errorf(caseflow.EForbidden, "you may see the figures of %s and the units under it only", own.Name)
		}
	case caseflow.RoleCommuneOfficer:
		if u.Path != own.Path {
			return q, caseflow.Errorf(caseflow.EForbidden, "you may see the figures of your own commune only")
		}
	}
	return caseflow.ComplianceQuery{Period: p, Unit: *u, AsOf: s.now().UTC(), Structure: st.ID, Articles: s.articles}, nil
}

// structureFor picks the administrative structure a report is on: the one
// asked for, or the one in force today. An earlier structure reports only
// periods it covered (figures of a unit that no longer exists, for a time
// after it ended, would count nothing and mislead).
func (s *Service) structureFor(ctx context.Context, own caseflow.Unit, id string, p caseflow.Period) (caseflow.Structure, error) {
	all, err := s.store.StructuresOf(ctx, own.Path)
	if err != nil {
		return caseflow.Structure{}, err
	}
	ids := make([]string, 0, len(all))
	for _, st := range all {
		ids = append(ids, st.ID)
		if (id == "" && st.ValidOn(s.now())) || (id != "" && st.ID == id) {
			if !st.Covers(p) {
				return st, caseflow.InvalidField("structure", caseflow.FieldError{Code: caseflow.FieldOutsideStructure, Value: st.ID,
					Message: fmt.Sprintf("the %s structure ended on %s: ask for a period that ends by then, or for the structure in force today",
						st.ID, caseflow.DateText(*st.ValidTo))})
			}
			return st, nil
		}
	}
	if id == "" {
		return caseflow.Structure{}, caseflow.Errorf(caseflow.EInternal, "no administrative structure is in force today")
	}
	return caseflow.Structure{}, caseflow.InvalidField("structure", caseflow.FieldError{Code: caseflow.FieldNotOneOf,
		Message: "is not an administrative structure of the province", Allowed: ids})
}

// unitIn finds the unit a code names in a structure: the one of that
// structure (or the province) in force at the end of the period, or at the
// end of the structure if it ended first.
func (s *Service) unitIn(ctx context.Context, code string, st caseflow.Structure, p caseflow.Period) (*caseflow.Unit, error) {
	all, err := s.store.UnitsByCode(ctx, code)
	if err != nil {
		return nil, err
	}
	last := p.End().Add(-time.Nanosecond)
	if st.ValidTo != nil && last.After(*st.ValidTo) {
		last = *st.ValidTo
	}
	var best *caseflow.Unit
	for i := range all {
		u := &all[i]
		if u.Structure != st.ID && u.Level != caseflow.LevelProvince {
			continue
		}
		if u.ValidOn(last) {
			return u, nil
		}
		if best == nil || u.ValidFrom.After(best.ValidFrom) {
			best = u
		}
	}
	if best == nil {
		return nil, caseflow.InvalidField("unit", caseflow.FieldError{Code: caseflow.FieldNotFound,
			Message: fmt.Sprintf("is not the code of a unit of the %s structure", st.ID)})
	}
	return best, nil
}

// Compliance returns every indicator of a unit over a period, with its
// breakdowns, for a viewer allowed to see that unit.
func (s *Service) Compliance(ctx context.Context, v caseflow.Viewer, req ComplianceRequest) (*caseflow.ComplianceReport, error) {
	q, err := s.complianceQuery(ctx, v, req)
	if err != nil {
		return nil, err
	}
	rep, err := s.store.Compliance(ctx, q)
	if err != nil {
		return nil, err
	}
	s.labelBreaches(rep)
	return rep, nil
}

// ComplianceTrend returns one indicator month by month over the period, in
// one query, for a viewer allowed to see the unit.
func (s *Service) ComplianceTrend(ctx context.Context, v caseflow.Viewer, req ComplianceRequest, indicator string) ([]caseflow.MonthFigure, error) {
	q, err := s.complianceQuery(ctx, v, req)
	if err != nil {
		return nil, err
	}
	return s.store.ComplianceTrend(ctx, q, indicator)
}

// labelBreaches names each clock as the newest workflow definition that
// has it does.
func (s *Service) labelBreaches(rep *caseflow.ComplianceReport) {
	if s.flows == nil {
		return
	}
	defs := s.flows.All()
	label := func(bs []caseflow.BreachCount) {
		for i := range bs {
			for j := len(defs) - 1; j >= 0; j-- {
				if c, ok := defs[j].Clock(bs[i].Clock); ok {
					bs[i].LabelVI, bs[i].LabelEN = c.Label.VI, c.Label.EN
					break
				}
			}
		}
	}
	label(rep.Breaches)
	label(rep.Escalations)
	for i := range rep.Agencies {
		label(rep.Agencies[i].Breaches)
	}
}

// ComplianceCases lists the cases behind one figure: codes, states and
// dates, never personal data.
func (s *Service) ComplianceCases(ctx context.Context, v caseflow.Viewer, req ComplianceCasesRequest) (*caseflow.ComplianceItemPage, error) {
	if _, ok := caseflow.IndicatorByID(req.Indicator); !ok && req.Indicator != caseflow.Breaches && req.Indicator != caseflow.Escalations {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no indicator %q", req.Indicator)
	}
	fe := caseflow.FieldErrors{}
	switch req.Part {
	case "", caseflow.PartAll, caseflow.PartNumerator, caseflow.PartDenominator, caseflow.PartMissed:
	default:
		fe.Add("part", caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: "must be one of all, numerator, denominator, missed",
			Allowed: []string{caseflow.PartAll, caseflow.PartNumerator, caseflow.PartDenominator, caseflow.PartMissed}})
	}
	if req.Limit < 0 || req.Limit > 1000 {
		fe.Add("limit", caseflow.FieldError{Code: caseflow.FieldOutOfRange, Message: "must be a whole number from 1 to 1000", Min: 1, Max: 1000})
	}
	if len(req.Clock) > 100 {
		fe.Add("clock", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is too long", Max: 100})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	q, err := s.complianceQuery(ctx, v, req.ComplianceRequest)
	if err != nil {
		return nil, err
	}
	cq := caseflow.ComplianceCaseQuery{ComplianceQuery: q, Indicator: req.Indicator, Part: req.Part, Clock: req.Clock,
		After: req.Cursor, Limit: req.Limit}
	if req.Agency != "" {
		a, err := s.store.AgencyByCode(ctx, req.Agency)
		if caseflow.ErrorCode(err) == caseflow.ENotFound {
			return nil, caseflow.InvalidField("agency", caseflow.FieldError{Code: caseflow.FieldNotFound, Message: "no such agency"})
		}
		if err != nil {
			return nil, err
		}
		cq.AgencyID = a.ID
	}
	return s.store.ComplianceCases(ctx, v, cq)
}

// Export formats of the compliance report.
const (
	FormatCSV  = "csv"
	FormatXLSX = "xlsx"
	FormatPDF  = "pdf" // the report as an administrative document (Decree 30/2020)
)

// ExportTypes are the media types of the export formats.
var ExportTypes = map[string]string{
	FormatCSV:  "text/csv; charset=utf-8",
	FormatXLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
	FormatPDF:  "application/pdf",
}

// ComplianceExport writes the compliance report of a unit and period in a
// format (FormatCSV or FormatXLSX) and records the export in the audit
// trail. It returns the file name the report should be saved under.
func (s *Service) ComplianceExport(ctx context.Context, v caseflow.Viewer, req ComplianceRequest, format string, w io.Writer) (string, error) {
	write := map[string]func(io.Writer, *caseflow.ComplianceReport) error{FormatCSV: report.WriteCSV, FormatXLSX: report.WriteXLSX,
		FormatPDF: func(w io.Writer, r *caseflow.ComplianceReport) error {
			return report.WritePDF(w, r, report.DefaultLetterhead(r))
		}}[format]
	if write == nil {
		return "", caseflow.Errorf(caseflow.ENotFound, "no export format %q", format)
	}
	rep, err := s.Compliance(ctx, v, req)
	if err != nil {
		return "", err
	}
	if err := s.store.Audit(ctx, v, "compliance.export", "", map[string]any{"format": format, "unit": rep.Unit.Code,
		"from": rep.Period.FromDate(), "to": rep.Period.ToDate()}); err != nil {
		return "", err
	}
	if err := write(w, rep); err != nil {
		return "", fmt.Errorf("writing the %s report: %w", format, err)
	}
	return "bao-cao-chi-tieu-" + safeName(rep.Unit.Code) + "-" + rep.Period.FromDate() + "-" + rep.Period.ToDate() + "." + format, nil
}

// safeName keeps letters, digits and dashes, for file names.
func safeName(s string) string {
	var b strings.Builder
	for _, r := range s {
		if (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') || r == '-' {
			b.WriteRune(r)
		}
	}
	if b.Len() == 0 {
		return "unit"
	}
	return b.String()
}

// Structures lists the administrative structures of the viewer's province,
// for choosing which one a report is on.
func (s *Service) Structures(ctx context.Context, v caseflow.Viewer) ([]caseflow.Structure, error) {
	return s.store.StructuresOf(ctx, v.Agency.Unit.Path)
}
