package casework

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
	"caseflow/seeds"
)

// Fire fires a workflow event on a case for the viewer: the case's own
// workflow version decides what is allowed; the transition, its history,
// access changes and clocks are stored together or not at all.
func (s *Service) Fire(ctx context.Context, v caseflow.Viewer, code string, req caseflow.EventRequest) (*caseflow.Case, error) {
	fe := caseflow.FieldErrors{}
	if req.Event == "" {
		fe.Add("event", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	}
	if req.Version < 1 {
		fe.Add("version", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required: the case version you last saw"})
	}
	if len(req.Note) > caseflow.MaxNote {
		fe.Add("note", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 8 KiB", Max: caseflow.MaxNote})
	}
	if err := fe.Err(); err != nil {
		return nil, err
	}
	if err := readsCases(v); err != nil {
		return nil, err
	}
	c, err := s.store.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, err
	}
	if c.Access == caseflow.AccessSummary {
		return nil, caseflow.Errorf(caseflow.EForbidden, "you may follow this case but not act on it")
	}
	if s.isReferralStep(c, req.Event) {
		return nil, &caseflow.Error{Code: caseflow.EInvalid, Message: "service referrals are made and answered through the referrals endpoints",
			Fields: map[string]caseflow.FieldError{"event": {Code: caseflow.FieldWrongEndpoint, Message: "use /api/v1/cases/{code}/referrals",
				Value: "/api/v1/cases/{code}/referrals"}}}
	}
	if req.Version != c.Version {
		return nil, &caseflow.Error{Code: caseflow.EConflict,
			Message: fmt.Sprintf("the case has changed since version %d (it is now at version %d): reload it and try again", req.Version, c.Version),
			Fields: map[string]caseflow.FieldError{"version": {Code: caseflow.FieldStale, Message: fmt.Sprintf("is stale; current version is %d", c.Version),
				Value: strconv.Itoa(c.Version)}}}
	}
	occurred := req.OccurredAt
	if occurred != nil && req.OccurredDateOnly {
		// A day: the act happened on it, after the case's previous step if
		// that was the same day, and not later than now.
		t := *occurred
		if t.Before(c.LastStepAt) && caseflow.Day(t).Equal(caseflow.Day(c.LastStepAt)) {
			t = c.LastStepAt
		}
		if now := s.now(); t.After(now) && caseflow.Day(t).Equal(caseflow.Day(now)) {
			t = now
		}
		occurred = &t
	}
	ch, err := s.changeAt(ctx, c, v, req.Event, req.Data, occurred, req.LateReason)
	if err != nil {
		return nil, err
	}
	ch.Version, ch.Note, ch.ReferAgencyCode = req.Version, req.Note, req.AgencyCode
	if err := s.store.ApplyTransition(ctx, v, ch); err != nil {
		return nil, err
	}
	cs, err := s.store.Case(ctx, v, code)
	if caseflow.ErrorCode(err) == caseflow.ENotFound {
		// The event ended the caller's own access (a returned referral, a
		// concluded exam): answer with what was saved, without personal data,
		// so that the caller and a retry both see that it worked.
		c.State, c.Version, c.Access, c.UpdatedAt = ch.To, ch.Version+1, caseflow.AccessSummary, ch.At
		if ch.CrimeCategory != "" {
			c.CrimeCategory = ch.CrimeCategory
		}
		if ch.Outcome != "" {
			c.Outcome = ch.Outcome
		}
		return c, nil
	}
	return cs, err
}

// change checks an event against the case's workflow and turns the
// resulting transition into a storable change, with clock due times
// computed on the legal calendar.
func (s *Service) change(ctx context.Context, c *caseflow.Case, v caseflow.Viewer, event string, data map[string]any) (*caseflow.Change, error) {
	return s.changeAt(ctx, c, v, event, data, nil, "")
}

// DefaultBackdateHours is how long before its recording an event may be
// dated without a reason when its workflow does not say.
const DefaultBackdateHours = 72

// fireContext is what the workflow's guards and conditions know of a case.
func (s *Service) fireContext(def *workflow.Definition, c *caseflow.Case) workflow.Context {
	facts := def.ReadingFacts(s.readings)
	facts[workflow.FactImmediateDanger], facts[workflow.FactCommuneRemote] = c.ImmediateDanger, c.CommuneRemote
	return workflow.Context{State: c.State, Fired: c.Fired, Now: s.now().UTC(), Facts: facts}
}

// occurredAt checks when the caller says the act happened: not in the
// future, not before the case's previous step, and no more than the
// workflow's allowance before now without a reason. It returns the instant
// the event is dated with.
func occurredAt(def *workflow.Definition, c *caseflow.Case, now time.Time, at *time.Time, reason string) (time.Time, error) {
	if at == nil {
		return now, nil
	}
	t := at.UTC()
	field := func(fe caseflow.FieldError) error {
		return caseflow.FieldErrors{"occurred_at": fe}.Err()
	}
	if t.After(now.Add(time.Minute)) {
		return time.Time{}, field(caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is later than now"})
	}
	if t.After(now) {
		t = now
	}
	if !c.LastStepAt.IsZero() && t.Before(c.LastStepAt) {
		return time.Time{}, field(caseflow.FieldError{Code: caseflow.FieldBeforePrevious,
			Message: "is before the case's previous step, recorded as of " + c.LastStepAt.In(caseflow.Zone).Format("02/01/2006 15:04"),
			Value:   c.LastStepAt.Format(time.RFC3339)})
	}
	hours := def.BackdateHours
	if hours == 0 {
		hours = DefaultBackdateHours
	}
	if now.Sub(t) > time.Duration(hours)*time.Hour && caseflow.Blank(reason) {
		return time.Time{}, field(caseflow.FieldError{Code: caseflow.FieldLateWithoutReason,
			Message: fmt.Sprintf("is more than %d hours before now: give late_reason", hours), Max: hours})
	}
	return t, nil
}

// changeAt is change for an act that happened at occurred (nil: now).
func (s *Service) changeAt(ctx context.Context, c *caseflow.Case, v caseflow.Viewer, event string, data map[string]any,
	occurred *time.Time, lateReason string) (*caseflow.Change, error) {
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return nil, fmt.Errorf("case %s: workflow %s v%d is not loaded", c.Code, c.WorkflowID, c.WorkflowVersion)
	}
	if len(lateReason) > caseflow.MaxNote {
		return nil, caseflow.FieldErrors{"late_reason": {Code: caseflow.FieldTooLong, Message: "is longer than 8 KiB", Max: caseflow.MaxNote}}.Err()
	}
	cx := s.fireContext(def, c)
	t, err := def.FireIn(cx, event, v.Role, data)
	if err != nil {
		return nil, err
	}
	recorded := s.now().UTC()
	at, err := occurredAt(def, c, recorded, occurred, lateReason)
	if err != nil {
		return nil, err
	}
	st, _ := def.State(t.To)
	ch := &caseflow.Change{CaseID: c.ID, Code: c.Code, Version: c.Version, Event: event, From: t.From, To: t.To,
		Final: st != nil && st.Final, At: at, RecordedAt: recorded, LateReason: strings.TrimSpace(lateReason), Refer: t.Refer, Release: t.Release,
		Data: map[string]any{}, Secret: map[string]any{}, Roles: t.Event.RolesFor(t.Data)}
	for k, val := range t.Data {
		if f, ok := t.Event.Field(k); ok && f.Type == workflow.FieldText {
			ch.Secret[k] = val
		} else {
			ch.Data[k] = val
		}
	}
	if cat, ok := t.Data["crime_category"].(string); ok && cat != "" {
		ch.CrimeCategory = cat
	}
	if out, ok := t.Data["outcome"].(string); ok && out != "" {
		ch.Outcome = out
	}
	category := c.CrimeCategory
	if ch.CrimeCategory != "" {
		category = ch.CrimeCategory
	}
	cal, err := s.Calendar(ctx)
	if err != nil {
		return nil, err
	}
	ch.StartClocks = s.clockStarts(def, cal, t.StartClocks, t.Data, category, at)
	for _, k := range t.StopClocks {
		stop := caseflow.ClockStop{Clock: k.ID}
		if k.InstanceField != "" {
			stop.Instance = fmt.Sprint(t.Data[k.InstanceField])
		}
		ch.StopClocks = append(ch.StopClocks, stop)
	}
	return ch, nil
}

// clockStarts computes the due and warning times of the clocks to start.
// A clock whose limit depends on a crime category not yet known is not
// started; the workflow requires the category on the events that start
// such clocks.
func (s *Service) clockStarts(d *workflow.Definition, cal *calendar.Calendar, clocks []*workflow.Clock, data map[string]any, category string, at time.Time) []caseflow.ClockStart {
	var out []caseflow.ClockStart
	for _, k := range clocks {
		l, ok := k.LimitFor(category)
		if !ok {
			continue
		}
		due := cal.Due(at, calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount})
		start := caseflow.ClockStart{Clock: k.ID, Role: k.CountsAs, Responsible: k.ResponsibleFor(data), Category: category,
			Rule: l.Rule, Amount: l.Amount, Basis: k.Basis, Policy: cal.Policy().String(), Notify: k.Notify, StartedAt: at, DueAt: due,
			WarnAt: cal.WarnAt(at, due, k.WarnAt), Once: k.Once, Escalation: d.EscalationOf(k)}
		if k.InstanceField != "" {
			start.Instance = fmt.Sprint(data[k.InstanceField])
		}
		out = append(out, start)
	}
	return out
}

// calendarCache holds the legal calendar, rebuilt from the stored public
// holidays at most once a minute (and at once after an edit).
type calendarCache struct {
	mu     sync.Mutex
	cal    *calendar.Calendar
	loaded time.Time
}

// Calendar returns the legal calendar with the stored public holidays.
func (s *Service) Calendar(ctx context.Context) (*calendar.Calendar, error) {
	s.calendar.mu.Lock()
	defer s.calendar.mu.Unlock()
	if s.calendar.cal != nil && s.now().Sub(s.calendar.loaded) < time.Minute {
		return s.calendar.cal, nil
	}
	days, err := s.store.HolidayDates(ctx)
	if err != nil {
		return nil, err
	}
	working, err := s.store.WorkingDates(ctx)
	if err != nil {
		return nil, err
	}
	s.calendar.cal = calendar.New(calendar.DatesOf(days)).WithWorkingDays(calendar.DatesOf(working)).WithPolicy(s.policy)
	s.calendar.loaded = s.now()
	return s.calendar.cal, nil
}

// ForgetCalendar drops the cached calendar after holidays change.
func (s *Service) ForgetCalendar() {
	s.calendar.mu.Lock()
	s.calendar.cal = nil
	s.calendar.mu.Unlock()
}

// isDemoReferral reports whether a demo step names the newest workflow's
// service-referral event, which the referrals path fires.
func (s *Service) isDemoReferral(event string) bool {
	def, ok := s.IntakeWorkflow()
	if !ok {
		return false
	}
	e, ok := def.Event(event)
	return ok && e.Declares(caseflow.EventServiceReferral)
}

// demoSteps fires the workflow steps of a demo case as their demo users.
func (s *Service) demoSteps(ctx context.Context, code string, steps []seeds.Step) error {
	for i, st := range steps {
		v, err := s.demoViewer(ctx, st.By)
		if err != nil {
			return err
		}
		s := s
		if st.At != "" {
			t, err := time.Parse(time.RFC3339, st.At)
			if err != nil {
				return fmt.Errorf("step %d (%s): at: %w", i+1, st.Event, err)
			}
			s = s.at(t)
		}
		if s.isDemoReferral(st.Event) {
			if _, err := s.Refer(ctx, v, code, fmt.Sprint(st.Data["service"]), fmt.Sprint(st.Data["agency_code"]), st.Note); err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, st.Event, err)
			}
			continue
		}
		c, err := s.store.CaseSummary(ctx, v, code)
		if err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, st.Event, err)
		}
		if _, err := s.Fire(ctx, v, code, caseflow.EventRequest{Event: st.Event, Version: c.Version, Note: st.Note, Data: st.Data}); err != nil {
			return fmt.Errorf("step %d (%s): %w", i+1, st.Event, err)
		}
	}
	return nil
}

func itoa(id int64) string { return strconv.FormatInt(id, 10) }

// AvailableEvents lists the events the viewer may fire on the case now
// through the events endpoint: none on a case they only follow, and never
// the steps that referrals drive.
func (s *Service) AvailableEvents(c *caseflow.Case, v caseflow.Viewer) []*workflow.Event {
	if c.Access == caseflow.AccessSummary || c.Access == "" {
		return nil
	}
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return nil
	}
	var out []*workflow.Event
	for _, ev := range def.AvailableIn(s.fireContext(def, c), v.Role) {
		if !ev.IsReferralStep() {
			out = append(out, ev)
		}
	}
	return out
}

// isReferralStep reports whether the case's workflow has the referrals
// endpoints, not the events endpoint, fire the event.
func (s *Service) isReferralStep(c *caseflow.Case, event string) bool {
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return false
	}
	e, ok := def.Event(event)
	return ok && e.IsReferralStep()
}

// CanRefer reports whether the viewer may refer a support service for the
// case now.
func (s *Service) CanRefer(c *caseflow.Case, v caseflow.Viewer) bool {
	if c.Access == caseflow.AccessSummary || c.Access == "" {
		return false
	}
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return false
	}
	e, ok := def.EventWith(caseflow.EventServiceReferral)
	return ok && e.FiresFrom(c.State) && e.Allows(v.Role)
}

// referralEvent returns the id of the case's workflow event with a referral
// role.
func (s *Service) referralEvent(c *caseflow.Case, role caseflow.EventRole) (string, error) {
	def, ok := s.flows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return "", fmt.Errorf("case %s: workflow %s v%d is not loaded", c.Code, c.WorkflowID, c.WorkflowVersion)
	}
	e, ok := def.EventWith(role)
	if !ok {
		return "", caseflow.Errorf(caseflow.EInvalid, "the workflow of case %s has no %s step", c.Code, role)
	}
	return e.ID, nil
}
