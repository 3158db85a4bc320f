package casework

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
	"caseflow/seeds"
)

// Events driven by the referrals API rather than by POST .../events.
var referralEvents = map[string]bool{"refer_service": true, "accept_service_referral": true, "decline_service_referral": true}

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
	c, err := s.DB.CaseSummary(ctx, v, code)
	if err != nil {
		return nil, err
	}
	if c.Access == caseflow.AccessSummary {
		return nil, caseflow.Errorf(caseflow.EForbidden, "you may follow this case but not act on it")
	}
	if referralEvents[req.Event] {
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
	ch, err := s.change(ctx, c, v, req.Event, req.Data)
	if err != nil {
		return nil, err
	}
	ch.Version, ch.Note, ch.ReferAgencyCode = req.Version, req.Note, req.AgencyCode
	if err := s.DB.ApplyTransition(ctx, v, ch); err != nil {
		return nil, err
	}
	cs, err := s.DB.Case(ctx, v, code)
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
	def, ok := s.Workflows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return nil, fmt.Errorf("case %s: workflow %s v%d is not loaded", c.Code, c.WorkflowID, c.WorkflowVersion)
	}
	t, err := def.Fire(c.State, event, v.Role, data)
	if err != nil {
		return nil, err
	}
	st, _ := def.State(t.To)
	at := s.now().UTC()
	ch := &caseflow.Change{CaseID: c.ID, Code: c.Code, Version: c.Version, Event: event, From: t.From, To: t.To,
		Final: st != nil && st.Final, At: at, Refer: t.Refer, Release: t.Release,
		Data: map[string]any{}, Secret: map[string]any{}}
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
	ch.StartClocks = s.clockStarts(cal, t.StartClocks, t.Data, category, at)
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
func (s *Service) clockStarts(cal *calendar.Calendar, clocks []*workflow.Clock, data map[string]any, category string, at time.Time) []caseflow.ClockStart {
	var out []caseflow.ClockStart
	for _, k := range clocks {
		l, ok := k.LimitFor(category)
		if !ok {
			continue
		}
		due := cal.Due(at, calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount})
		start := caseflow.ClockStart{Clock: k.ID, Responsible: k.ResponsibleFor(data), Category: category,
			Rule: l.Rule, Amount: l.Amount, Basis: k.Basis, Notify: k.Notify, StartedAt: at, DueAt: due, WarnAt: cal.WarnAt(at, due, k.WarnAt)}
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
	s.cache.mu.Lock()
	defer s.cache.mu.Unlock()
	if s.cache.cal != nil && time.Since(s.cache.loaded) < time.Minute {
		return s.cache.cal, nil
	}
	days, err := s.DB.HolidayDates(ctx)
	if err != nil {
		return nil, err
	}
	var ds []calendar.Date
	for _, d := range days {
		ds = append(ds, calendar.DateOf(d))
	}
	s.cache.cal, s.cache.loaded = calendar.New(ds), time.Now()
	return s.cache.cal, nil
}

// ForgetCalendar drops the cached calendar after holidays change.
func (s *Service) ForgetCalendar() {
	s.cache.mu.Lock()
	s.cache.cal = nil
	s.cache.mu.Unlock()
}

// demoSteps fires the workflow steps of a demo case as their demo users.
func (s *Service) demoSteps(ctx context.Context, code string, steps []seeds.Step) error {
	for i, st := range steps {
		v, err := s.demoViewer(ctx, st.By)
		if err != nil {
			return err
		}
		if st.Event == "refer_service" {
			if _, err := s.Refer(ctx, v, code, fmt.Sprint(st.Data["service"]), fmt.Sprint(st.Data["agency_code"]), st.Note); err != nil {
				return fmt.Errorf("step %d (%s): %w", i+1, st.Event, err)
			}
			continue
		}
		c, err := s.DB.CaseSummary(ctx, v, code)
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
	def, ok := s.Workflows.Get(c.WorkflowID, c.WorkflowVersion)
	if !ok {
		return nil
	}
	var out []*workflow.Event
	for _, ev := range def.Available(c.State, v.Role) {
		if !referralEvents[ev.ID] {
			out = append(out, ev)
		}
	}
	return out
}
