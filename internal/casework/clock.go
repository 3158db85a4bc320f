package casework

import (
	"context"
	"fmt"
	"strings"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
)

// Worklist lists what the viewer's agency must act on now.
func (s *Service) Worklist(ctx context.Context, v caseflow.Viewer) ([]caseflow.WorkItem, error) {
	if v.Role == caseflow.RoleSupervisor || v.Role == caseflow.RoleAdmin || !v.ReadsCases() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "this role has no worklist")
	}
	seen := map[string]bool{}
	var states []string
	for _, d := range s.flows.All() {
		for _, st := range d.States {
			if st.Agency == v.Agency.Type && !seen[st.ID] {
				seen[st.ID] = true
				states = append(states, st.ID)
			}
		}
	}
	return s.store.Worklist(ctx, v, states, 200)
}

// Clocks lists a case's deadline clocks with their labels.
func (s *Service) Clocks(ctx context.Context, v caseflow.Viewer, code string) (*caseflow.Case, []caseflow.Clock, error) {
	if err := readsCases(v); err != nil {
		return nil, nil, err
	}
	return s.store.Clocks(ctx, v, code)
}

// ExtensionRequest asks to extend a running clock.
type ExtensionRequest struct {
	Clock      string
	Instance   string
	Duration   string // e.g. "10 days", "2 months"
	Reason     string
	LegalBasis string
}

// beyondMaximum is the problem of an extension the law does not allow.
var beyondMaximum = caseflow.FieldError{Code: caseflow.FieldBeyondLegalMaximum, Message: "goes beyond the legal maximum"}

// Extend extends a running clock by the roles the workflow allows, never
// beyond the legal maximum. The old timers are superseded by the clock's
// next generation. It returns the case (as the viewer may see it) and the
// extended clock.
func (s *Service) Extend(ctx context.Context, v caseflow.Viewer, code string, req ExtensionRequest) (*caseflow.Case, *caseflow.Clock, error) {
	fe := caseflow.FieldErrors{}
	lim, err := calendar.ParseLimit(req.Duration)
	if err != nil || lim.Amount < 1 {
		fe.Add("duration", caseflow.FieldError{Code: caseflow.FieldNotADuration,
			Message: "must be a positive duration such as \"10 days\", \"2 months\" or \"5 working_days\""})
	}
	if strings.TrimSpace(req.Reason) == "" {
		fe.Add("reason", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	}
	if strings.TrimSpace(req.LegalBasis) == "" {
		fe.Add("legal_basis", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	}
	if len(req.Reason) > caseflow.MaxNote || len(req.LegalBasis) > 500 {
		fe.Add("reason", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is too long"})
	}
	if err := fe.Err(); err != nil {
		return nil, nil, err
	}
	if err := readsCases(v); err != nil {
		return nil, nil, err
	}
	c, k, err := s.store.ClockForExtension(ctx, v, code, req.Clock, req.Instance)
	if err != nil {
		return nil, nil, err
	}
	if c.Access == caseflow.AccessSummary {
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "you may follow this case but not act on it")
	}
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return nil, nil, fmt.Errorf("case %s: workflow not loaded", c.Code)
	}
	wc, ok := def.Clock(k.Clock)
	if !ok {
		return nil, nil, caseflow.Errorf(caseflow.ENotFound, "the workflow has no clock %q", k.Clock)
	}
	if !wc.Extendable(v.Role) {
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "role %q may not extend %s", v.Role, k.Clock)
	}
	if k.Status != caseflow.ClockRunning {
		return nil, nil, &caseflow.Error{Code: caseflow.EInvalid, Message: "only a running clock can be extended",
			Fields: map[string]caseflow.FieldError{"clock": {Code: caseflow.FieldWrongState, Message: "is " + k.Status, Value: k.Status,
				Allowed: []string{caseflow.ClockRunning}}}}
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, nil, err
	}
	// An extension counts as the clock was counted, whatever the
	// province's reading has become since.
	if p, err := calendar.ParsePolicy(k.Policy); err == nil && k.Policy != "" {
		cal = cal.WithPolicy(p)
	}
	base := calendar.Limit{Rule: calendar.Rule(k.Rule), Amount: k.Amount}
	var exts []calendar.Limit
	for _, e := range k.Extensions {
		exts = append(exts, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	exts = append(exts, lim)
	due := cal.Extend(k.StartedAt, base, exts)
	if max, ok := wc.MaxTotalFor(k.Category); ok {
		if due.After(cal.Due(k.StartedAt, calendar.Limit{Rule: calendar.Rule(max.Rule), Amount: max.Amount})) {
			return nil, nil, &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("the legal maximum for %s is %d %s in total", k.Clock, max.Amount, max.Rule),
				Fields: map[string]caseflow.FieldError{"duration": beyondMaximum}}
		}
	} else if max, ok := wc.MaxExtensionFor(k.Category); ok {
		total := calendar.Limit{Rule: lim.Rule}
		for _, e := range exts {
			sum, same := calendar.Add(total, e)
			if !same {
				total.Amount = max.Amount + 1 // mixed units: compare conservatively below
				break
			}
			total = sum
		}
		if total.Exceeds(calendar.Limit{Rule: calendar.Rule(max.Rule), Amount: max.Amount}) {
			return nil, nil, &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("extensions of %s may total at most %d %s", k.Clock, max.Amount, max.Rule),
				Fields: map[string]caseflow.FieldError{"duration": beyondMaximum}}
		}
	} else {
		return nil, nil, caseflow.Errorf(caseflow.EForbidden, "%s cannot be extended", k.Clock)
	}
	ext := caseflow.Extension{Rule: string(lim.Rule), Amount: lim.Amount, Reason: req.Reason, LegalBasis: req.LegalBasis,
		By: v.Username, At: s.now().UTC(), DueBefore: k.DueAt, DueAfter: due.UTC()}
	warn := cal.WarnAt(k.StartedAt, due, wc.WarnAt)
	extended, err := s.store.ExtendClock(ctx, v, k, ext, warn)
	if err != nil {
		return nil, nil, err
	}
	return c, extended, nil
}
