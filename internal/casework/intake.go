package casework

import (
	"context"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/postgres"
	"caseflow/internal/workflow"
)

// Service carries out case work for the HTTP API, the seeds and the worker.
type Service struct {
	DB        *postgres.DB
	Workflows *workflow.Registry
	// WorkflowID names the definition new cases start on (its newest version).
	WorkflowID string
	// Now is the time source.
	Now func() time.Time

	cache calendarCache
}

func (s *Service) now() time.Time {
	if s.Now == nil {
		return time.Now()
	}
	return s.Now()
}

// Intake validates a report and files it as a new case on the newest version
// of the intake workflow. Nothing is written when the report is invalid.
func (s *Service) Intake(ctx context.Context, v caseflow.Viewer, r *caseflow.Report, key string, requestHash []byte) (*caseflow.IntakeResult, error) {
	if v.Role != caseflow.RoleCommuneOfficer {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only commune child-protection officers file reports")
	}
	if err := r.Validate(s.now()); err != nil {
		return nil, err
	}
	def, ok := s.Workflows.Latest(s.WorkflowID)
	if !ok {
		return nil, caseflow.Errorf(caseflow.EInternal, "workflow %q is not loaded", s.WorkflowID)
	}
	start := caseflow.Start{WorkflowID: def.ID, WorkflowVersion: def.Version, State: def.Initial, Event: def.IntakeEvent}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	// Intake clocks run from the moment the report was received, so a report
	// logged late can be overdue on arrival.
	facts := map[string]any{"immediate_danger": r.ImmediateDanger, "channel": r.Channel, "setting": r.Setting}
	start.Clocks = s.clockStarts(cal, def.IntakeClocks(), facts, "", r.ReceivedAt.UTC())
	return s.DB.Intake(ctx, v, r, start, key, requestHash)
}

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
	return s.DB.Case(ctx, v, code)
}

// Cases lists cases the viewer may know of.
func (s *Service) Cases(ctx context.Context, v caseflow.Viewer, f caseflow.CaseFilter) (*caseflow.CasePage, error) {
	if err := readsCases(v); err != nil {
		return nil, err
	}
	return s.DB.Cases(ctx, v, f)
}
