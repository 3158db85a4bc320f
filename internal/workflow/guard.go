package workflow

import (
	"fmt"
	"slices"
	"time"

	"caseflow/internal/caseflow"
)

// Facts are what the service knows of a case, besides an event's data, that
// a clock's condition may name, with their types.
var Facts = map[string]FieldType{
	// FactImmediateDanger: the report said the child is in immediate danger.
	FactImmediateDanger: FieldBool,
	// FactCommuneRemote: the case's commune is listed as remote or hard to
	// reach (unit data, not a box an officer ticks).
	FactCommuneRemote: FieldBool,
}

// The facts a condition may name.
const (
	FactImmediateDanger = "immediate_danger"
	FactCommuneRemote   = "commune_remote"
)

// Context is what firing an event needs to know of the case besides its
// state: the events already recorded (intake included), the facts of the
// case, and the moment of recording, against which past-only dates are
// checked.
type Context struct {
	State string
	Fired []string
	Facts map[string]any
	Now   time.Time
}

// fired reports whether any of events has been recorded.
func (cx Context) fired(events []string) bool {
	for _, e := range events {
		if slices.Contains(cx.Fired, e) {
			return true
		}
	}
	return false
}

// Guard returns why the event cannot be recorded now on a case in cx, or nil:
// a one-time step already recorded, a step that needs an earlier one, or a
// step excluded by one already recorded. The problem is named on "event".
func (e *Event) Guard(cx Context) *caseflow.FieldError {
	if e.Once && slices.Contains(cx.Fired, e.ID) {
		return &caseflow.FieldError{Code: caseflow.FieldAlreadyDone, Message: "has already been recorded on this case, and may be once", Value: e.ID}
	}
	if n := count(cx.Fired, e.ID); e.MaxTimes > 0 && n >= e.MaxTimes {
		return &caseflow.FieldError{Code: caseflow.FieldAlreadyDone, Max: e.MaxTimes, Value: e.ID,
			Message: fmt.Sprintf("has been recorded %d times on this case, as often as the law allows", n)}
	}
	for _, u := range e.Unless {
		if slices.Contains(cx.Fired, u) {
			return &caseflow.FieldError{Code: caseflow.FieldAlreadyDone, Message: fmt.Sprintf("cannot be recorded after %q", u), Value: u}
		}
	}
	if len(e.After) > 0 && !cx.fired(e.After) {
		return &caseflow.FieldError{Code: caseflow.FieldNotYet, Message: "needs one of these steps recorded first",
			Allowed: slices.Clone(e.After)}
	}
	return nil
}

// MatchesIn reports whether the condition holds for the event's data and the
// case's facts.
func (c *Condition) MatchesIn(data, facts map[string]any) bool {
	if c == nil {
		return true
	}
	if len(c.All) > 0 || len(c.Any) > 0 {
		for _, x := range c.All {
			if !x.MatchesIn(data, facts) {
				return false
			}
		}
		if len(c.Any) == 0 {
			return true
		}
		for _, x := range c.Any {
			if x.MatchesIn(data, facts) {
				return true
			}
		}
		return false
	}
	if c.Fact != "" {
		return (&Condition{Field: c.Fact, Equals: c.Equals, In: c.In}).Matches(facts)
	}
	return c.Matches(data)
}

// StartsIn reports whether the clock starts for an event fired with data on
// a case in cx: its condition holds and none of its Unless events has been
// recorded. Whether a once-only clock has run before is the clock store's
// to know.
func (c *Clock) StartsIn(cx Context, data map[string]any) bool {
	return c.Condition.MatchesIn(data, cx.Facts) && !cx.fired(c.Unless) && (len(c.After) == 0 || cx.fired(c.After))
}

func count(list []string, s string) int {
	n := 0
	for _, x := range list {
		if x == s {
			n++
		}
	}
	return n
}

// ReadingFact is the fact that holds the option chosen for a reading.
func ReadingFact(id string) string { return "reading." + id }

// ReadingFacts returns the facts of the definition's readings: the option
// chosen in chosen (by reading id) when it is one of the reading's options,
// else the reading's default.
func (d *Definition) ReadingFacts(chosen map[string]string) map[string]any {
	out := map[string]any{}
	for _, r := range d.Readings {
		opt := r.Default
		if c, ok := chosen[r.ID]; ok {
			if _, known := r.Options[c]; known {
				opt = c
			}
		}
		out[ReadingFact(r.ID)] = opt
	}
	return out
}

// Reading returns the reading with the given id.
func (d *Definition) Reading(id string) (*Reading, bool) {
	for _, r := range d.Readings {
		if r.ID == id {
			return r, true
		}
	}
	return nil, false
}

// StopsOn reports whether a stop event fired with data stops the clock: it
// matches the stop condition, or does not carry the condition's field.
func (c *Clock) StopsOn(data map[string]any) bool {
	if c.StopCondition == nil {
		return true
	}
	if _, has := data[c.StopCondition.Field]; !has {
		return true
	}
	return c.StopCondition.Matches(data)
}

// IntakeFor returns how a report filed by role enters the workflow: its
// pseudo-event, its first state and the agency types that gain access with
// the filer; ok is false when role files no reports on this definition.
func (d *Definition) IntakeFor(role caseflow.Role) (in Intake, ok bool) {
	roles := d.IntakeRoles
	if len(roles) == 0 {
		roles = []caseflow.Role{caseflow.RoleCommuneOfficer}
	}
	if slices.Contains(roles, role) {
		label := Label{}
		if d.IntakeLabel != nil {
			label = *d.IntakeLabel
		}
		return Intake{Event: d.IntakeEvent, Label: label, Roles: roles, State: d.Initial}, true
	}
	for _, x := range d.Intakes {
		if slices.Contains(x.Roles, role) {
			return *x, true
		}
	}
	return Intake{}, false
}

// FilesReports reports whether role may file a report on this definition.
func (d *Definition) FilesReports(role caseflow.Role) bool {
	_, ok := d.IntakeFor(role)
	return ok
}

// IsIntakeEvent reports whether id is one of the definition's intake
// pseudo-events.
func (d *Definition) IsIntakeEvent(id string) bool {
	if id == "" {
		return false
	}
	if id == d.IntakeEvent {
		return true
	}
	for _, x := range d.Intakes {
		if x.Event == id {
			return true
		}
	}
	return false
}

// IntakeLabelOf returns the label of an intake pseudo-event.
func (d *Definition) IntakeLabelOf(id string) (Label, bool) {
	if id == d.IntakeEvent && d.IntakeLabel != nil {
		return *d.IntakeLabel, true
	}
	for _, x := range d.Intakes {
		if x.Event == id {
			return x.Label, true
		}
	}
	return Label{}, false
}

// ClocksOnIntake returns the clocks a report filed with the intake
// pseudo-event starts, given the case's facts.
func (d *Definition) ClocksOnIntake(event string, facts map[string]any) []*Clock {
	var out []*Clock
	cx := Context{Facts: facts, Fired: []string{event}}
	for _, c := range d.Clocks {
		if slices.Contains(c.Start, event) && c.StartsIn(cx, nil) {
			out = append(out, c)
		}
	}
	return out
}

// checkPast refuses past-only dates and times later than now.
func (e *Event) checkPast(data map[string]any, now time.Time, errs caseflow.FieldErrors) {
	if now.IsZero() {
		return
	}
	for _, f := range e.Fields {
		if !f.Past {
			continue
		}
		s, ok := data[f.Name].(string)
		if !ok {
			continue
		}
		switch f.Type {
		case FieldDate:
			today := now.In(caseflow.Zone).Format(DateLayout)
			if s > today {
				errs.Add("data."+f.Name, caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is later than today", Value: s})
			}
		case FieldDatetime:
			if t, err := time.Parse(time.RFC3339, s); err == nil && t.After(now) {
				errs.Add("data."+f.Name, caseflow.FieldError{Code: caseflow.FieldInFuture, Message: "is later than now", Value: s})
			}
		}
	}
}
