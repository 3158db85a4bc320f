package casework

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/clock"
	"caseflow/internal/workflow"
)

// Service carries out case work for the HTTP API, the web interface, the
// seeds and the worker. Every rule about cases is checked here, once.
type Service struct {
	store     Store
	flows     *workflow.Registry
	workflow  string
	version   int
	now       func() time.Time
	calendar  calendarCache
	policy    calendar.Policy
	readings  map[string]string
	articles  []string
	directory directoryCache
	units     unitCache
	retention caseflow.RetentionPolicy
	// requestDays are the deadlines of requests about a child's data.
	requestDays caseflow.SubjectRequestDays
	// retentionFigures caches the dashboard's retention figures.
	retentionFigures retentionCache
}

// Config is what the case service is built from.
type Config struct {
	// Store is the storage of cases (the postgres package).
	Store Store
	// Workflows are the loaded workflow definitions.
	Workflows *workflow.Registry
	// WorkflowID names the definition new cases start on, at its newest
	// version unless WorkflowVersion pins one (a province that keeps filing
	// on an older version until its procuracy has checked the new one).
	WorkflowID      string
	WorkflowVersion int
	// Now is the time source; default clock.Now.
	Now func() time.Time
	// CalendarPolicy is how deadlines read the contested points of Điều
	// 134; the zero value is calendar.Strict.
	CalendarPolicy calendar.Policy
	// Readings picks, by reading id, the option the province follows for
	// each contested point its workflows declare; the workflow's default
	// applies to the others.
	Readings map[string]string
	// ComplianceArticles are the Penal Code articles the year-on-year
	// change counts; caseflow.PlanCrimeArticles when empty.
	ComplianceArticles []string
	// Retention is how long after closing a case's personal data is kept;
	// the zero value keeps it with no end.
	Retention caseflow.RetentionPolicy
	// SubjectRequestDays are the working days to acknowledge and answer
	// requests about a child's data; the defaults when nil.
	SubjectRequestDays caseflow.SubjectRequestDays
}

// New builds the case service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	return &Service{store: cfg.Store, flows: cfg.Workflows, workflow: cfg.WorkflowID, version: cfg.WorkflowVersion, now: cfg.Now, policy: cfg.CalendarPolicy,
		readings: cfg.Readings, articles: cfg.ComplianceArticles, retention: cfg.Retention, requestDays: cfg.SubjectRequestDays}
}

// Intake validates a report and files it as a new case on the newest version
// of the intake workflow. Nothing is written when the report is invalid.
func (s *Service) Intake(ctx context.Context, v caseflow.Viewer, r *caseflow.Report, key string, requestHash []byte) (*caseflow.IntakeResult, error) {
	def, ok := s.IntakeWorkflow()
	if !ok {
		return nil, caseflow.Errorf(caseflow.EInternal, "workflow %q is not loaded", s.workflow)
	}
	return s.intakeOn(ctx, def, v, r, key, requestHash)
}

// FilesReports reports whether role files reports on the workflow new cases
// start on: commune officers, and on version 2 the police for a report they
// received first.
func (s *Service) FilesReports(role caseflow.Role) bool {
	def, ok := s.IntakeWorkflow()
	return ok && def.FilesReports(role)
}

// IntakeWorkflow returns the definition new cases start on.
func (s *Service) IntakeWorkflow() (*workflow.Definition, bool) {
	if s.version > 0 {
		return s.flows.Get(s.workflow, s.version)
	}
	return s.flows.Latest(s.workflow)
}

// intakeOn files a report on the given definition, by the way in that the
// viewer's role has: commune officers into the workflow's initial state,
// and, where the definition allows it, the police for a report they
// received first (BLTTHS Đ145.2), into the state their resolution starts
// in, with its clocks from that receipt.
func (s *Service) intakeOn(ctx context.Context, def *workflow.Definition, v caseflow.Viewer, r *caseflow.Report, key string, requestHash []byte) (*caseflow.IntakeResult, error) {
	in, ok := def.IntakeFor(v.Role)
	if !ok {
		return nil, caseflow.Errorf(caseflow.EForbidden, "role %q files no reports on workflow %s v%d", v.Role, def.ID, def.Version)
	}
	if err := s.CheckReport(r); err != nil {
		return nil, err
	}
	u, err := s.communeOn(ctx, v, r.CommuneCode, r.ReceivedAt)
	if err != nil {
		return nil, err
	}
	communeID := u.ID
	start := caseflow.Start{WorkflowID: def.ID, WorkflowVersion: def.Version, State: in.State, Event: in.Event,
		CommuneID: communeID, CommunePath: u.Path, CommuneCode: u.Code, CommuneName: u.Name, CommuneRemote: u.Remote,
		Refer: in.Refer, Roles: in.CountsAs}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	// Intake clocks run from the moment the report was received, so a report
	// logged late can be overdue on arrival.
	facts := def.ReadingFacts(s.readings)
	facts[workflow.FactImmediateDanger], facts[workflow.FactCommuneRemote] = r.ImmediateDanger, u.Remote
	start.Clocks = s.clockStarts(def, cal, def.ClocksOnIntake(in.Event, facts), facts, "", r.ReceivedAt.UTC())
	return s.store.Intake(ctx, v, r, start, key, requestHash)
}

// CheckReport checks a report against the domain's rules as of now, for a
// form or a request that wants to name every problem at once; Intake checks
// the same.
func (s *Service) CheckReport(r *caseflow.Report) error { return r.Validate(s.now()) }

// readsCases refuses roles that read no case at all (administrators) with
// 403, rather than letting every case look absent.
func readsCases(v caseflow.Viewer) error {
	if !v.ReadsCases() {
		return caseflow.Errorf(caseflow.EForbidden, "this role does not read cases")
	}
	return nil
}

// Case returns a case as the viewer may see it.
func (s *Service) Case(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.store.Case(ctx, v, code)
}

// Cases lists cases the viewer may know of.
func (s *Service) Cases(ctx context.Context, v caseflow.Viewer, f caseflow.CaseFilter) (*caseflow.CasePage, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	named := strings.TrimSpace(f.ChildName) != ""
	if named || f.ChildDOB != "" {
		if err := checkNameSearch(&f); err != nil {
			return nil, err
		}
	}
	page, err := s.store.Cases(ctx, v, f)
	if err != nil || !named {
		return page, err
	}
	// Who searched for a child by name is recorded; the name is not.
	if err := s.store.Audit(ctx, v, "case.search_by_name", "", map[string]any{
		"with_date_of_birth": f.ChildDOB != "", "found": len(page.Cases)}); err != nil {
		return nil, err
	}
	return page, nil
}

// checkNameSearch checks a search by a child's name and date of birth.
func checkNameSearch(f *caseflow.CaseFilter) error {
	f.ChildName = strings.TrimSpace(f.ChildName)
	switch {
	case f.ChildName == "":
		return caseflow.InvalidField("child_name", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "the name to search for"})
	case utf8.RuneCountInString(f.ChildName) > 200:
		return caseflow.InvalidField("child_name", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "at most 200 characters", Max: 200})
	}
	if f.ChildDOB != "" {
		if _, err := time.Parse("2006-01-02", f.ChildDOB); err != nil {
			return caseflow.InvalidField("child_date_of_birth", caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "a date, YYYY-MM-DD"})
		}
	}
	return nil
}

// Now returns the service's current time, for screens that show how long
// is left or prefill today's date.
func (s *Service) Now() time.Time { return s.now() }

// communeOn checks the commune a report names: it must exist on the day the
// report was received (the place as it was then), and be the viewer's own
// commune or one that has since become part of it.
func (s *Service) communeOn(ctx context.Context, v caseflow.Viewer, code string, received time.Time) (caseflow.Unit, error) {
	all, err := s.unitsByCode(ctx, code)
	if err != nil {
		return caseflow.Unit{}, err
	}
	var lookup error
	became := func(u caseflow.Unit) []caseflow.Unit {
		us, err := s.store.UnitsBecame(ctx, u.ID, received)
		lookup = errors.Join(lookup, err)
		return us
	}
	formed := func(u caseflow.Unit) []caseflow.Unit {
		us, err := s.store.UnitsFormedInto(ctx, u.ID, received)
		lookup = errors.Join(lookup, err)
		return us
	}
	u, err := caseflow.UnitOnDay(code, received, all, became, formed)
	if lookup != nil {
		return caseflow.Unit{}, lookup
	}
	if err != nil {
		return caseflow.Unit{}, err
	}
	if v.Role != caseflow.RoleCommuneOfficer {
		// Another agency files for a commune it serves: the police for a
		// report received first at a police station.
		ok, err := s.store.AgencyServes(ctx, u.ID, received, v.Agency.Type, v.Agency.Code)
		if err != nil {
			return caseflow.Unit{}, err
		}
		if !ok {
			return caseflow.Unit{}, caseflow.FieldErrors{"commune_code": {Code: caseflow.FieldNoJurisdiction,
				Message: "your agency has no jurisdiction over this commune"}}.Err()
		}
		return u, nil
	}
	own := v.Agency.Unit
	if u.ID == own.ID {
		return u, nil
	}
	now, err := s.store.UnitsBecame(ctx, u.ID, s.now())
	if err != nil {
		return caseflow.Unit{}, err
	}
	for _, n := range now {
		if n.ID == own.ID {
			return u, nil
		}
	}
	return caseflow.Unit{}, caseflow.FieldErrors{"commune_code": {Code: caseflow.FieldNotInCommune,
		Message: "you may not file reports for this commune"}}.Err()
}

// IntakeCommunes lists the communes the viewer may name in a report: their
// own, then the former communes that became part of it, for a report
// received before the change (which names the commune as it was then).
func (s *Service) IntakeCommunes(ctx context.Context, v caseflow.Viewer) ([]caseflow.Unit, error) {
	if v.Role != caseflow.RoleCommuneOfficer {
		// The police file for the communes they serve today.
		return s.store.CommunesServedBy(ctx, v.Agency.ID, v.Agency.Type, s.now())
	}
	own := v.Agency.Unit
	before, err := s.store.UnitsBefore(ctx, own.ID)
	if err != nil {
		return nil, err
	}
	return append([]caseflow.Unit{own}, before...), nil
}
