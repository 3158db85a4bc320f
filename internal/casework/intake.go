package casework

import (
	"context"
	"errors"
	"time"

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
	now       func() time.Time
	calendar  calendarCache
	policy    calendar.Policy
	directory directoryCache
}

// Config is what the case service is built from.
type Config struct {
	// Store is the storage of cases (the postgres package).
	Store Store
	// Workflows are the loaded workflow definitions.
	Workflows *workflow.Registry
	// WorkflowID names the definition new cases start on (its newest version).
	WorkflowID string
	// Now is the time source; default clock.Now.
	Now func() time.Time
	// CalendarPolicy is how deadlines read the contested points of Điều
	// 134; the zero value is calendar.Strict.
	CalendarPolicy calendar.Policy
}

// New builds the case service.
func New(cfg Config) *Service {
	if cfg.Now == nil {
		cfg.Now = clock.Now
	}
	return &Service{store: cfg.Store, flows: cfg.Workflows, workflow: cfg.WorkflowID, now: cfg.Now, policy: cfg.CalendarPolicy}
}

// Intake validates a report and files it as a new case on the newest version
// of the intake workflow. Nothing is written when the report is invalid.
func (s *Service) Intake(ctx context.Context, v caseflow.Viewer, r *caseflow.Report, key string, requestHash []byte) (*caseflow.IntakeResult, error) {
	if !v.Role.FilesReports() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only commune child-protection officers file reports")
	}
	if err := s.CheckReport(r); err != nil {
		return nil, err
	}
	def, ok := s.flows.Latest(s.workflow)
	if !ok {
		return nil, caseflow.Errorf(caseflow.EInternal, "workflow %q is not loaded", s.workflow)
	}
	u, err := s.communeOn(ctx, v, r.CommuneCode, r.ReceivedAt)
	if err != nil {
		return nil, err
	}
	communeID := u.ID
	start := caseflow.Start{WorkflowID: def.ID, WorkflowVersion: def.Version, State: def.Initial, Event: def.IntakeEvent,
		CommuneID: communeID, CommunePath: u.Path}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	// Intake clocks run from the moment the report was received, so a report
	// logged late can be overdue on arrival.
	facts := map[string]any{"immediate_danger": r.ImmediateDanger, "channel": r.Channel, "setting": r.Setting}
	start.Clocks = s.clockStarts(cal, def.IntakeClocks(), facts, "", r.ReceivedAt.UTC())
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
	return s.store.Cases(ctx, v, f)
}

// Now returns the service's current time, for screens that show how long
// is left or prefill today's date.
func (s *Service) Now() time.Time { return s.now() }

// communeOn checks the commune a report names: it must exist on the day the
// report was received (the place as it was then), and be the viewer's own
// commune or one that has since become part of it.
func (s *Service) communeOn(ctx context.Context, v caseflow.Viewer, code string, received time.Time) (caseflow.Unit, error) {
	all, err := s.store.UnitsByCode(ctx, code)
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
	own := v.Agency.Unit
	before, err := s.store.UnitsBefore(ctx, own.ID)
	if err != nil {
		return nil, err
	}
	return append([]caseflow.Unit{own}, before...), nil
}
