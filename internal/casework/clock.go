package casework

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
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

// ExtensionRequest asks to extend a running clock, by an amount added to
// its limit (Duration, "10 days") or to a new total limit counted from the
// clock's start (Total, "2 months", as the law states most extensions).
type ExtensionRequest struct {
	Clock      string
	Instance   string
	Duration   string // e.g. "10 days", "2 months"
	Total      string // e.g. "2 months": the whole limit from the start
	Step       string // the workflow's extension step; the next one that applies when empty
	Reason     string
	LegalBasis string // defaults to the step's basis
	Decision   string // number of the granting decision
	// RequestedOn is the day the extension was asked for (YYYY-MM-DD);
	// today when empty.
	RequestedOn string
}

// beyondMaximum is the problem of an extension the law does not allow.
var beyondMaximum = caseflow.FieldError{Code: caseflow.FieldBeyondLegalMaximum, Message: "goes beyond the legal maximum"}

// Extend extends a running clock by the roles the workflow allows, never
// beyond the legal maximum: on a clock with extension steps, by the step's
// roles, as often as the step allows, by at most its amount and up to its
// total. The old timers are superseded by the clock's next generation. It
// returns the case (as the viewer may see it) and the extended clock.
func (s *Service) Extend(ctx context.Context, v caseflow.Viewer, code string, req ExtensionRequest) (*caseflow.Case, *caseflow.Clock, error) {
	fe := caseflow.FieldErrors{}
	var lim, total calendar.Limit
	var err error
	amountField := "duration"
	switch {
	case req.Duration != "" && req.Total != "":
		fe.Add("total", caseflow.FieldError{Code: caseflow.FieldNotADuration, Message: "give either duration or total, not both"})
	case req.Total != "":
		amountField = "total"
		if total, err = calendar.ParseLimit(req.Total); err != nil || total.Amount < 1 {
			fe.Add("total", caseflow.FieldError{Code: caseflow.FieldNotADuration,
				Message: "must be a positive duration such as \"2 months\": the whole limit counted from the clock's start"})
		}
	default:
		if lim, err = calendar.ParseLimit(req.Duration); err != nil || lim.Amount < 1 {
			fe.Add("duration", caseflow.FieldError{Code: caseflow.FieldNotADuration,
				Message: "must be a positive duration such as \"10 days\", \"2 months\" or \"5 working_days\""})
		}
	}
	if caseflow.Blank(req.Reason) {
		fe.Add("reason", caseflow.FieldError{Code: caseflow.FieldRequired, Message: "is required"})
	}
	if len(req.Reason) > caseflow.MaxNote || len(req.LegalBasis) > 500 {
		fe.Add("reason", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is too long"})
	}
	if len(req.Decision) > 200 || strings.ContainsAny(req.Decision, "\r\n") {
		fe.Add("decision", caseflow.FieldError{Code: caseflow.FieldNotSingleLine, Message: "must be one line of at most 200 bytes"})
	}
	requested := s.now().In(caseflow.Zone).Format("2006-01-02")
	if req.RequestedOn != "" {
		d, err := time.ParseInLocation("2006-01-02", req.RequestedOn, caseflow.Zone)
		switch {
		case err != nil:
			fe.Add("requested_on", caseflow.FieldError{Code: caseflow.FieldNotADate, Message: "must be a date YYYY-MM-DD"})
		case req.RequestedOn > requested:
			fe.Add("requested_on", caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is later than today"})
		default:
			requested = d.Format("2006-01-02")
		}
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
	if caseflow.Blank(req.LegalBasis) && len(wc.Extensions) == 0 {
		return nil, nil, caseflow.FieldErrors{"legal_basis": {Code: caseflow.FieldRequired, Message: "is required"}}.Err()
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
	lt := limitsOf(k)
	ext := caseflow.Extension{Reason: req.Reason, LegalBasis: strings.TrimSpace(req.LegalBasis), Decision: strings.TrimSpace(req.Decision),
		RequestedOn: requested, By: v.Username, At: s.now().UTC(), DueBefore: k.DueAt}
	var due time.Time
	if req.Total != "" {
		due = cal.Due(k.StartedAt, total)
		ext.TotalRule, ext.TotalAmount = string(total.Rule), total.Amount
	} else {
		due = cal.Extend(k.StartedAt, lt.base, append(lt.amounts, lim))
		ext.Rule, ext.Amount = string(lim.Rule), lim.Amount
	}
	var st *workflow.ExtensionStep
	if len(wc.Extensions) > 0 {
		// The step first: a step used up is refused as such, whatever the
		// amount asked.
		if st, err = s.extensionStep(wc, k, v, req.Step); err != nil {
			return nil, nil, err
		}
	}
	if !due.After(k.DueAt) {
		return nil, nil, &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("the extension must move the due time past %s", caseflow.DateText(k.DueAt)),
			Fields: map[string]caseflow.FieldError{amountField: {Code: caseflow.FieldOutOfRange, Message: "does not move the due time later"}}}
	}
	if st != nil {
		if err := checkStep(cal, wc, st, k, lt, due, amountField); err != nil {
			return nil, nil, err
		}
		ext.Step, ext.GrantedBy = st.ID, st.GrantedBy.VI
		if ext.LegalBasis == "" {
			ext.LegalBasis = st.Basis
		}
		if st.RequestBefore != nil {
			ext.LateRequest = requested > latestRequestDay(k.DueAt, *st.RequestBefore)
		}
	} else if err := checkMaximum(cal, wc, k, due, amountField); err != nil {
		return nil, nil, err
	}
	if last, ok := repeatOf(k, v, req, s.now()); ok {
		// Sent again without a key after a lost answer: made once. (What
		// the law refuses is refused as such first.)
		return nil, nil, &caseflow.Error{Code: caseflow.EConflict,
			Message: fmt.Sprintf("this extension was already made by %s at %s; send an Idempotency-Key to retry safely, or change the request to extend again",
				last.By, caseflow.DateText(last.At))}
	}
	ext.DueAfter = due.UTC()
	warn := cal.WarnAt(k.StartedAt, due, wc.WarnAt)
	extended, err := s.store.ExtendClock(ctx, v, k, ext, warn)
	if err != nil {
		return nil, nil, err
	}
	return c, extended, nil
}

// limits is a clock's limit as its extensions have made it: the latest total
// limit stated (or the original one), plus the amounts added since.
type limits struct {
	base    calendar.Limit
	amounts []calendar.Limit
}

func limitsOf(k *caseflow.Clock) limits {
	lt := limits{base: calendar.Limit{Rule: calendar.Rule(k.Rule), Amount: k.Amount}}
	for _, e := range k.Extensions {
		if e.TotalRule != "" {
			lt = limits{base: calendar.Limit{Rule: calendar.Rule(e.TotalRule), Amount: e.TotalAmount}}
			continue
		}
		lt.amounts = append(lt.amounts, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	return lt
}

// checkMaximum checks an extension of a clock with one legal maximum.
func checkMaximum(cal *calendar.Calendar, wc *workflow.Clock, k *caseflow.Clock, due time.Time, field string) error {
	if max, ok := wc.MaxTotalFor(k.Category); ok {
		if due.After(cal.Due(k.StartedAt, toLimit(max))) {
			return &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("the legal maximum for %s is %d %s in total", k.Clock, max.Amount, max.Rule),
				Fields: map[string]caseflow.FieldError{field: beyondMaximum}}
		}
		return nil
	}
	if max, ok := wc.MaxExtensionFor(k.Category); ok {
		base := calendar.Limit{Rule: calendar.Rule(k.Rule), Amount: k.Amount}
		if due.After(cal.Extend(k.StartedAt, base, []calendar.Limit{toLimit(max)})) {
			return &caseflow.Error{Code: caseflow.EInvalid, Message: fmt.Sprintf("extensions of %s may total at most %d %s", k.Clock, max.Amount, max.Rule),
				Fields: map[string]caseflow.FieldError{field: beyondMaximum}}
		}
		return nil
	}
	return caseflow.Errorf(caseflow.EForbidden, "%s cannot be extended", k.Clock)
}

func toLimit(l workflow.Limit) calendar.Limit {
	return calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount}
}

// extensionStep picks the step an extension uses: the one named, or the
// first that applies to the case, that the viewer's role records, that has
// uses left and whose prerequisite step has been used.
func (s *Service) extensionStep(wc *workflow.Clock, k *caseflow.Clock, v caseflow.Viewer, name string) (*workflow.ExtensionStep, error) {
	used := map[string]int{}
	last := map[string]time.Time{}
	for _, e := range k.Extensions {
		used[e.Step]++
		last[e.Step] = e.At
	}
	why := func(st *workflow.ExtensionStep) *caseflow.FieldError {
		switch {
		case !st.AppliesTo(k.Category):
			return &caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: fmt.Sprintf("%s does not apply to a case of category %q", st.ID, k.Category),
				Allowed: st.Categories}
		case !slices.Contains(st.Roles, v.Role):
			return &caseflow.FieldError{Code: caseflow.FieldNotOneOf, Message: fmt.Sprintf("%s is recorded by %v, for the decision of %s", st.ID, st.Roles, st.GrantedBy.EN)}
		case used[st.ID] >= st.Times:
			return &caseflow.FieldError{Code: caseflow.FieldLimitReached, Max: st.Times, Value: st.ID,
				Message: fmt.Sprintf("%s (%s) allows %s %d time(s); it was used on %s", st.Basis, st.GrantedBy.EN, st.ID, st.Times,
					caseflow.DateText(last[st.ID]))}
		case len(st.After) > 0 && !slices.ContainsFunc(st.After, func(a string) bool { return used[a] > 0 }):
			return &caseflow.FieldError{Code: caseflow.FieldNotYet, Message: fmt.Sprintf("%s comes after %v", st.ID, st.After), Allowed: st.After}
		}
		return nil
	}
	refuse := func(fe caseflow.FieldError) error {
		return &caseflow.Error{Code: caseflow.EInvalid, Message: "no extension of " + k.Clock + " is allowed now: " + fe.Message,
			Fields: map[string]caseflow.FieldError{"step": fe}}
	}
	if name != "" {
		st, ok := wc.Step(name)
		if !ok {
			ids := make([]string, len(wc.Extensions))
			for i, x := range wc.Extensions {
				ids[i] = x.ID
			}
			return nil, caseflow.FieldErrors{"step": {Code: caseflow.FieldNotOneOf, Message: "is not an extension step of " + k.Clock, Allowed: ids}}.Err()
		}
		if fe := why(st); fe != nil {
			return nil, refuse(*fe)
		}
		return st, nil
	}
	var first *caseflow.FieldError
	for _, st := range wc.Extensions {
		fe := why(st)
		if fe == nil {
			return st, nil
		}
		// The most telling refusal is that of a step this viewer could have
		// used: used up, or not yet.
		if first == nil && st.AppliesTo(k.Category) && slices.Contains(st.Roles, v.Role) {
			first = fe
		}
	}
	if first == nil {
		return nil, caseflow.Errorf(caseflow.EForbidden, "role %q has no extension step of %s for this case", v.Role, k.Clock)
	}
	return nil, refuse(*first)
}

// checkStep checks an extension's new due time against its step's bounds.
func checkStep(cal *calendar.Calendar, wc *workflow.Clock, st *workflow.ExtensionStep, k *caseflow.Clock, lt limits, due time.Time, field string) error {
	if st.Amount != nil {
		if due.After(cal.Extend(k.StartedAt, lt.base, append(slices.Clone(lt.amounts), toLimit(*st.Amount)))) {
			return &caseflow.Error{Code: caseflow.EInvalid,
				Message: fmt.Sprintf("%s: %s adds at most %d %s", st.Basis, st.ID, st.Amount.Amount, st.Amount.Rule),
				Fields:  map[string]caseflow.FieldError{field: beyondMaximum}}
		}
	}
	if st.Total != nil {
		if due.After(cal.Due(k.StartedAt, toLimit(*st.Total))) {
			return &caseflow.Error{Code: caseflow.EInvalid,
				Message: fmt.Sprintf("%s: after %s the limit is at most %d %s from the start", st.Basis, st.ID, st.Total.Amount, st.Total.Rule),
				Fields:  map[string]caseflow.FieldError{field: beyondMaximum}}
		}
	}
	return nil
}

// latestRequestDay is the last day on which an extension request meets a
// rule such as "at least 10 days before the limit expires".
func latestRequestDay(due time.Time, before workflow.Limit) string {
	last := due.Add(-time.Nanosecond).In(caseflow.Zone)
	switch before.Rule {
	case workflow.RuleHours:
		last = last.Add(-time.Duration(before.Amount) * time.Hour)
	case workflow.RuleMonths:
		last = last.AddDate(0, -before.Amount, 0)
	default:
		last = last.AddDate(0, 0, -before.Amount)
	}
	return last.Format("2006-01-02")
}

// repeatWindow is how long an identical extension by the same person is
// taken for a repeat of the one made, not a second one.
const repeatWindow = 10 * time.Minute

// repeatOf finds the extension req repeats: the clock's last one, made by
// the same person within repeatWindow, with the same amount, reason and
// decision. Two such extensions in a row are a client sending its request
// again after losing the answer; a second real extension has its own
// decision or reason.
func repeatOf(k *caseflow.Clock, v caseflow.Viewer, req ExtensionRequest, now time.Time) (caseflow.Extension, bool) {
	if len(k.Extensions) == 0 {
		return caseflow.Extension{}, false
	}
	last := k.Extensions[len(k.Extensions)-1]
	amount := req.Duration
	given := fmt.Sprintf("%d %s", last.Amount, last.Rule)
	if req.Total != "" {
		amount, given = req.Total, fmt.Sprintf("%d %s", last.TotalAmount, last.TotalRule)
	}
	l, err := calendar.ParseLimit(amount)
	same := err == nil && fmt.Sprintf("%d %s", l.Amount, l.Rule) == given
	return last, same && last.By == v.Username && now.Sub(last.At) < repeatWindow &&
		last.Reason == req.Reason && last.Decision == strings.TrimSpace(req.Decision)
}
