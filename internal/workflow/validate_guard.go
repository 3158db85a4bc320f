package workflow

import (
	"fmt"
	"slices"

	"caseflow/internal/caseflow"
)

// checkIntakes checks the ways a report enters the workflow: each role has
// one way in, each intake its own pseudo-event and a state to start in.
func (v *validator) checkIntakes() {
	d := v.d
	by := map[caseflow.Role]string{}
	for j, r := range d.IntakeRoles {
		if !r.Valid() {
			v.add(v.at("intake_roles", j), "unknown role %q in intake_roles", r)
		}
		by[r] = d.IntakeEvent
	}
	if len(d.IntakeRoles) == 0 {
		by[caseflow.RoleCommuneOfficer] = d.IntakeEvent
	}
	seen := map[string]bool{d.IntakeEvent: true}
	for i, x := range d.Intakes {
		at := func(path ...any) int { return v.at(append([]any{"intakes", i}, path...)...) }
		switch {
		case x.Event == "":
			v.add(at(), "intake without event")
		case !idRE.MatchString(x.Event):
			v.add(at("event"), "intake event %q must be lower_snake_case", x.Event)
		case seen[x.Event] || v.events[x.Event] != nil:
			v.add(at("event"), "intake event %q repeats the id of another event", x.Event)
		}
		seen[x.Event] = true
		if d.IntakeEvent == "" {
			v.add(at(), "intakes need the default intake_event too")
		}
		v.label(x.Label, at(), fmt.Sprintf("intake %q", x.Event))
		switch s, ok := v.states[x.State]; {
		case x.State == "":
			v.add(at(), "intake %q has no state", x.Event)
		case !ok:
			v.add(at("state"), "intake %q: unknown state %q", x.Event, x.State)
		case s.Final:
			v.add(at("state"), "intake %q starts in final state %q", x.Event, x.State)
		}
		if len(x.Roles) == 0 {
			v.add(at(), "intake %q has no roles", x.Event)
		}
		for j, r := range x.Roles {
			switch other, dup := by[r]; {
			case !r.Valid():
				v.add(at("roles", j), "intake %q: unknown role %q", x.Event, r)
			case dup:
				v.add(at("roles", j), "intake %q: role %q already files reports with %q", x.Event, r, other)
			}
			by[r] = x.Event
		}
		for j, a := range x.Refer {
			if !a.Valid() {
				v.add(at("refer", j), "intake %q: unknown agency type %q in refer", x.Event, a)
			}
		}
		for j, r := range x.CountsAs {
			if !r.Valid() {
				v.add(at("counts_as", j), "intake %q: unknown role %q in counts_as", x.Event, r)
			}
		}
	}
	if d.BackdateHours < 0 {
		v.add(v.at("backdate_hours"), "backdate_hours must not be negative")
	}
}

// known reports whether id names an event or an intake pseudo-event.
func (v *validator) known(id string) bool { return v.events[id] != nil || v.d.IsIntakeEvent(id) }

// checkGuards checks what events' and clocks' guards name, and past-only
// fields.
func (v *validator) checkGuards() {
	for i, e := range v.d.Events {
		if v.events[e.ID] != e {
			continue
		}
		for _, key := range []string{"after", "unless"} {
			list := e.After
			if key == "unless" {
				list = e.Unless
			}
			for j, id := range list {
				if !v.known(id) {
					v.add(v.at("events", i, key, j), "event %q: unknown event %q in %s", e.ID, id, key)
				}
			}
		}
		for j, f := range e.Fields {
			if f.Past && f.Type != FieldDate && f.Type != FieldDatetime {
				v.add(v.at("events", i, "fields", j, "past"), "event %q: field %q is past-only but not a date or datetime", e.ID, f.Name)
			}
		}
	}
	for i, c := range v.d.Clocks {
		for j, id := range c.Unless {
			if !v.known(id) {
				v.add(v.at("clocks", i, "unless", j), "clock %q: unknown event %q in unless", c.ID, id)
			}
		}
		for j, id := range c.After {
			if !v.known(id) {
				v.add(v.at("clocks", i, "after", j), "clock %q: unknown event %q in after", c.ID, id)
			}
		}
	}
	for i, c := range v.d.Clocks {
		v.checkStopCondition(c, func(path ...any) int { return v.at(append([]any{"clocks", i, "stop_condition"}, path...)...) })
	}
	for i, e := range v.d.Events {
		if e.MaxTimes < 0 || (e.MaxTimes > 0 && e.Once) {
			v.add(v.at("events", i, "max_times"), "event %q: max_times must be positive, and not given with once", e.ID)
		}
	}
	seen := map[string]bool{}
	for i, r := range v.d.Readings {
		at := func(path ...any) int { return v.at(append([]any{"readings", i}, path...)...) }
		if !v.id("reading", r.ID, seen, at(), at("id")) {
			continue
		}
		v.label(r.Label, at(), fmt.Sprintf("reading %q", r.ID))
		if len(r.Options) < 2 {
			v.add(at("options"), "reading %q needs at least two options", r.ID)
		}
		for _, k := range sortedKeys(r.Options) {
			if !idRE.MatchString(k) {
				v.add(at("options", k), "reading %q: option %q must be lower_snake_case", r.ID, k)
			}
			v.label(r.Options[k], at("options", k), fmt.Sprintf("reading %q: option %q", r.ID, k))
		}
		if _, ok := r.Options[r.Default]; !ok {
			v.add(at("default"), "reading %q: default %q is not one of its options", r.ID, r.Default)
		}
		if r.Basis == "" {
			v.add(at(), "reading %q has no basis", r.ID)
		}
	}
}

// checkSteps checks a clock's extension steps.
func (v *validator) checkSteps(c *Clock, at func(...any) int) {
	seen := map[string]bool{}
	for j, st := range c.Extensions {
		sat := func(path ...any) int { return at(append([]any{"extensions", j}, path...)...) }
		if !v.id("extension step", st.ID, seen, sat(), sat("id")) {
			continue
		}
		v.label(st.Label, sat(), fmt.Sprintf("clock %q: extension %q", c.ID, st.ID))
		v.label(st.GrantedBy, sat("granted_by"), fmt.Sprintf("clock %q: extension %q granted_by", c.ID, st.ID))
		if st.Basis == "" {
			v.add(sat(), "clock %q: extension %q has no legal basis", c.ID, st.ID)
		}
		if len(st.Roles) == 0 {
			v.add(sat(), "clock %q: extension %q has no roles", c.ID, st.ID)
		}
		for k, r := range st.Roles {
			if !r.Valid() {
				v.add(sat("roles", k), "clock %q: extension %q: unknown role %q", c.ID, st.ID, r)
			}
		}
		for k, cat := range st.Categories {
			if !slices.Contains(CrimeCategories, cat) {
				v.add(sat("categories", k), "clock %q: extension %q: unknown crime category %q", c.ID, st.ID, cat)
			}
		}
		if st.Times < 0 {
			v.add(sat("times"), "clock %q: extension %q: times must be positive", c.ID, st.ID)
		}
		for k, a := range st.After {
			if !seen[a] || a == st.ID {
				v.add(sat("after", k), "clock %q: extension %q: after names %q, which is not an earlier step", c.ID, st.ID, a)
			}
		}
		if st.Amount == nil && st.Total == nil {
			v.add(sat(), "clock %q: extension %q needs amount, total or both", c.ID, st.ID)
		}
		v.checkLimit(c, st.Amount, sat, "amount")
		v.checkLimit(c, st.Total, sat, "total")
		v.checkLimit(c, st.RequestBefore, sat, "request_before")
	}
}

// checkStopCondition checks a clock's stop condition: a field (no fact,
// no all/any) that at least one stop event carries, with values of its type.
func (v *validator) checkStopCondition(c *Clock, at func(...any) int) {
	cond := c.StopCondition
	if cond == nil {
		return
	}
	if cond.Field == "" || cond.Fact != "" || len(cond.All) > 0 || len(cond.Any) > 0 || (cond.Equals == nil) == (len(cond.In) == 0) {
		v.add(at(), "clock %q: stop_condition needs a field and exactly one of equals and in", c.ID)
		return
	}
	carried := false
	for _, id := range c.Stop {
		e, ok := v.events[id]
		if !ok {
			continue
		}
		if f, ok := e.Field(cond.Field); ok {
			carried = true
			v.normaliseCondition(c, cond, f, at)
		}
	}
	if !carried {
		v.add(at("field"), "clock %q: no stop event carries field %q", c.ID, cond.Field)
	}
}
