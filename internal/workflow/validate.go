package workflow

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/looplab/fsm"
	"go.yaml.in/yaml/v3"

	"caseflow/internal/caseflow"
)

var (
	workflowIDRE = regexp.MustCompile(`^[a-z][a-z0-9_-]*$`)
	idRE         = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
)

// validator checks one decoded definition against the rules of the format,
// reporting each problem at the line of the offending YAML node.
type validator struct {
	d      *Definition
	root   *yaml.Node
	ps     *problems
	states map[string]*State
	events map[string]*Event
	// brokenGraph is set when an event names an unknown state; reachability
	// is then not checked, since it would only repeat that mistake.
	brokenGraph bool
}

func (v *validator) at(path ...any) int { return lineAt(v.root, path...) }

func (v *validator) add(line int, format string, args ...any) { v.ps.add(line, format, args...) }

func (v *validator) validate() {
	d := v.d
	switch {
	case d.ID == "":
		v.add(v.at(), "missing workflow id")
	case !workflowIDRE.MatchString(d.ID):
		v.add(v.at("id"), "workflow id %q must be lower case letters, digits, '-' and '_'", d.ID)
	}
	if d.Version < 1 {
		v.add(v.at("version"), "workflow version must be 1 or more")
	}
	v.label(d.Label, v.at("label"), "workflow")
	if d.IntakeLabel != nil {
		v.label(*d.IntakeLabel, v.at("intake_label"), "intake event")
	}
	if d.IntakeEvent != "" && !idRE.MatchString(d.IntakeEvent) {
		v.add(v.at("intake_event"), "intake event %q must be lower_snake_case", d.IntakeEvent)
	}
	v.checkStates()
	v.checkInitial()
	v.checkEvents()
	v.checkIntakes()
	v.checkGuards()
	v.checkGraph()
	v.checkClocks()
	v.checkVocabulary()
}

func (v *validator) label(l Label, line int, what string) {
	if l.VI == "" || l.EN == "" {
		v.add(line, "%s label needs both vi and en", what)
	}
}

// id checks an id's presence, form and uniqueness within seen, and reports
// whether the element is worth checking further.
func (v *validator) id(kind, id string, seen map[string]bool, line, idLine int) bool {
	switch {
	case id == "":
		v.add(line, "%s without id", kind)
		return false
	case !idRE.MatchString(id):
		v.add(idLine, "%s id %q must be lower_snake_case", kind, id)
	case seen[id]:
		v.add(idLine, "duplicate %s id %q", kind, id)
		return false
	}
	seen[id] = true
	return true
}

func (v *validator) checkStates() {
	v.states = map[string]*State{}
	seen := map[string]bool{}
	if len(v.d.States) == 0 {
		v.add(v.at(), "workflow has no states")
	}
	for i, s := range v.d.States {
		if !v.id("state", s.ID, seen, v.at("states", i), v.at("states", i, "id")) {
			continue
		}
		v.states[s.ID] = s
		v.label(s.Label, v.at("states", i), fmt.Sprintf("state %q", s.ID))
		switch {
		case s.Agency == "" && !s.Final:
			v.add(v.at("states", i), "state %q has no agency", s.ID)
		case s.Agency != "" && !s.Agency.Valid():
			v.add(v.at("states", i, "agency"), "state %q: unknown agency type %q", s.ID, s.Agency)
		}
	}
}

func (v *validator) checkInitial() {
	d := v.d
	switch s, ok := v.states[d.Initial]; {
	case d.Initial == "":
		v.add(v.at(), "missing initial state")
	case !ok:
		v.add(v.at("initial"), "initial state %q is not defined", d.Initial)
	case s.Final:
		v.add(v.at("initial"), "initial state %q is final", d.Initial)
	}
}

func (v *validator) checkEvents() {
	d := v.d
	v.events = map[string]*Event{}
	seen := map[string]bool{}
	for i, e := range d.Events {
		at := func(path ...any) int { return v.at(append([]any{"events", i}, path...)...) }
		if !v.id("event", e.ID, seen, at(), at("id")) {
			continue
		}
		v.events[e.ID] = e
		if e.ID == d.IntakeEvent {
			v.add(at("id"), "event %q has the id of the intake event", e.ID)
		}
		v.label(e.Label, at(), fmt.Sprintf("event %q", e.ID))
		if len(e.From) == 0 {
			v.add(at(), "event %q has no from states", e.ID)
		}
		for j, from := range e.From {
			switch s, ok := v.states[from]; {
			case !ok:
				v.brokenGraph = true
				v.add(at("from", j), "event %q: unknown state %q in from", e.ID, from)
			case s.Final:
				v.add(at("from", j), "event %q leaves final state %q", e.ID, from)
			}
		}
		if _, ok := v.states[e.To]; e.To != "" && !ok {
			v.brokenGraph = true
			v.add(at("to"), "event %q: unknown state %q in to", e.ID, e.To)
		}
		if len(e.Roles) == 0 {
			v.add(at(), "event %q has no roles", e.ID)
		}
		for j, r := range e.Roles {
			if !r.Valid() {
				v.add(at("roles", j), "event %q: unknown role %q", e.ID, r)
			}
		}
		if e.Refer != "" && !e.Refer.Valid() {
			v.add(at("refer"), "event %q: unknown agency type %q in refer", e.ID, e.Refer)
		}
		for j, a := range e.Release {
			if !a.Valid() {
				v.add(at("release", j), "event %q: unknown agency type %q in release", e.ID, a)
			}
		}
		v.checkFields(e, at)
		for _, k := range sortedKeys(e.Set) {
			if _, clash := e.Field(k); clash {
				v.add(at("set", k), "event %q: set key %q repeats a field name", e.ID, k)
			}
			switch e.Set[k].(type) {
			case string, bool, int:
			default:
				v.add(at("set", k), "event %q: set value of %q must be a string, a whole number or a boolean", e.ID, k)
			}
		}
	}
}

func (v *validator) checkFields(e *Event, at func(...any) int) {
	seen := map[string]bool{}
	for j, f := range e.Fields {
		fat := func(path ...any) int { return at(append([]any{"fields", j}, path...)...) }
		switch {
		case f.Name == "":
			v.add(fat(), "event %q: field without name", e.ID)
			continue
		case !idRE.MatchString(f.Name):
			v.add(fat("name"), "event %q: field name %q must be lower_snake_case", e.ID, f.Name)
		case seen[f.Name]:
			v.add(fat("name"), "event %q: duplicate field %q", e.ID, f.Name)
		}
		seen[f.Name] = true
		if f.Label != (Label{}) {
			v.label(f.Label, fat("label"), fmt.Sprintf("event %q: field %q", e.ID, f.Name))
		}
		switch {
		case f.Type == "":
			v.add(fat(), "event %q: field %q has no type", e.ID, f.Name)
		case !slices.Contains(FieldTypes, f.Type):
			v.add(fat("type"), "event %q: field %q has unknown type %q", e.ID, f.Name, f.Type)
		case f.Type == FieldEnum && len(f.Values) == 0:
			v.add(fat(), "event %q: enum field %q has no values", e.ID, f.Name)
		case f.Type != FieldEnum && len(f.Values) > 0:
			v.add(fat("values"), "event %q: field %q has values but is not an enum", e.ID, f.Name)
		}
		values := map[string]bool{}
		for k, val := range f.Values {
			if values[val] {
				v.add(fat("values", k), "event %q: field %q repeats value %q", e.ID, f.Name, val)
			}
			values[val] = true
		}
		for _, k := range sortedKeys(f.ValueLabels) {
			if !values[k] {
				v.add(fat("value_labels", k), "event %q: field %q labels unknown value %q", e.ID, f.Name, k)
			}
			v.label(f.ValueLabels[k], fat("value_labels", k), fmt.Sprintf("event %q: value %q", e.ID, k))
		}
	}
}

// checkGraph reports states no case can reach and states no case can leave.
func (v *validator) checkGraph() {
	d := v.d
	if v.brokenGraph {
		return
	}
	if _, ok := v.states[d.Initial]; ok {
		entries := []string{d.Initial}
		for _, x := range d.Intakes {
			if _, ok := v.states[x.State]; ok {
				entries = append(entries, x.State)
			}
		}
		reached := v.reachable(entries...)
		for i, s := range d.States {
			if _, ok := v.states[s.ID]; ok && !reached[s.ID] {
				v.add(v.at("states", i), "state %q is unreachable from initial state %q", s.ID, d.Initial)
			}
		}
	}
	for i, s := range d.States {
		if v.states[s.ID] != s || s.Final {
			continue
		}
		leaves := false
		for _, e := range d.Events {
			if e.FiresFrom(s.ID) && e.To != "" && e.To != s.ID {
				leaves = true
			}
		}
		if !leaves {
			v.add(v.at("states", i), "no event leaves state %q, which is not final", s.ID)
		}
	}
}

// reachable returns the states a case can get to from the given states.
func (v *validator) reachable(from ...string) map[string]bool {
	reached := map[string]bool{}
	queue := slices.Clone(from)
	for _, s := range from {
		reached[s] = true
	}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, e := range v.d.Events {
			if _, ok := v.states[e.To]; ok && e.FiresFrom(s) && !reached[e.To] {
				reached[e.To] = true
				queue = append(queue, e.To)
			}
		}
	}
	return reached
}

func (v *validator) checkClocks() {
	v.checkEscalation(v.d.Escalation, func(j int, f string) int { return v.at("escalation", j, f) }, "")
	seen := map[string]bool{}
	for i, c := range v.d.Clocks {
		at := func(path ...any) int { return v.at(append([]any{"clocks", i}, path...)...) }
		if !v.id("clock", c.ID, seen, at(), at("id")) {
			continue
		}
		v.label(c.Label, at(), fmt.Sprintf("clock %q", c.ID))
		v.checkClockEvents(c, at)
		v.checkLimits(c, at)
		v.checkResponsible(c, at)
		if c.Basis == "" {
			v.add(at(), "clock %q has no legal basis", c.ID)
		}
		if c.WarnAt < 0 || c.WarnAt >= 1 {
			v.add(at("warn_at"), "clock %q: warn_at must be between 0 and 1", c.ID)
		}
		for j, r := range c.ExtendRoles {
			if !r.Valid() {
				v.add(at("extend_roles", j), "clock %q: unknown role %q in extend_roles", c.ID, r)
			}
		}
		for j, n := range c.Notify {
			if n != NotifyResponsible && n != NotifySupervisors && !caseflow.AgencyType(n).Valid() {
				v.add(at("notify", j), "clock %q: unknown notify target %q", c.ID, n)
			}
		}
		if c.Escalation != nil {
			v.checkEscalation(*c.Escalation, func(j int, f string) int { return at("escalation", j, f) }, fmt.Sprintf("clock %q: ", c.ID))
		}
		v.checkCondition(c, at)
		if c.InstanceField != "" {
			for _, id := range slices.Concat(c.Start, c.Stop) {
				if e, ok := v.events[id]; ok {
					if f, ok := e.Field(c.InstanceField); !ok || !f.Required {
						v.add(at("instance_field"), "clock %q: event %q does not carry required field %q", c.ID, id, c.InstanceField)
					}
				} else if v.d.IsIntakeEvent(id) {
					v.add(at("instance_field"), "clock %q: the intake event carries no field %q", c.ID, c.InstanceField)
				}
			}
		}
	}
}

func (v *validator) checkClockEvents(c *Clock, at func(...any) int) {
	if len(c.Start) == 0 {
		v.add(at(), "clock %q has no start events", c.ID)
	}
	for j, s := range c.Start {
		if _, ok := v.events[s]; !ok && !v.d.IsIntakeEvent(s) {
			v.add(at("start", j), "clock %q: unknown start event %q", c.ID, s)
		}
	}
	if len(c.Stop) == 0 {
		v.add(at(), "clock %q has no stop events", c.ID)
	}
	known := 0
	for j, s := range c.Stop {
		switch _, ok := v.events[s]; {
		case !ok:
			v.add(at("stop", j), "clock %q: unknown stop event %q", c.ID, s)
		case slices.Contains(c.Start, s):
			v.add(at("stop", j), "clock %q: event %q both starts and stops it", c.ID, s)
		default:
			known++
		}
	}
	if known == 0 || v.brokenGraph {
		return
	}
	for j, s := range c.Start {
		var after []string
		if e, ok := v.events[s]; ok {
			if e.To != "" {
				after = []string{e.To}
			} else {
				after = e.From
			}
		} else if _, ok := v.states[v.d.Initial]; ok && s == v.d.IntakeEvent && s != "" {
			after = []string{v.d.Initial}
		} else {
			for _, x := range v.d.Intakes {
				if _, ok := v.states[x.State]; ok && x.Event == s {
					after = []string{x.State}
				}
			}
		}
		if after == nil {
			continue
		}
		if !v.canFireAny(v.reachable(after...), c.Stop) {
			v.add(at("start", j), "clock %q can never stop after %q: none of its stop events can fire from there", c.ID, s)
		}
	}
}

func (v *validator) canFireAny(states map[string]bool, events []string) bool {
	for _, id := range events {
		if e, ok := v.events[id]; ok {
			for _, from := range e.From {
				if states[from] {
					return true
				}
			}
		}
	}
	return false
}

func (v *validator) checkLimits(c *Clock, at func(...any) int) {
	if (c.Limit == nil) == (len(c.LimitByCategory) == 0) {
		v.add(at(), "clock %q needs exactly one of limit and limit_by_category", c.ID)
	}
	v.checkLimit(c, c.Limit, at, "limit")
	v.checkByCategory(c, c.LimitByCategory, at, "limit_by_category")
	maxima := 0
	for _, set := range []bool{c.MaxTotal != nil, len(c.MaxTotalByCategory) > 0, c.MaxExtension != nil, len(c.MaxExtensionByCategory) > 0} {
		if set {
			maxima++
		}
	}
	switch {
	case maxima > 1:
		v.add(at(), "clock %q: at most one of max_total, max_total_by_category, max_extension and max_extension_by_category", c.ID)
	case len(c.Extensions) > 0 && (maxima > 0 || len(c.ExtendRoles) > 0):
		v.add(at("extensions"), "clock %q: extensions replace extend_roles and the max_ bounds; give one or the other", c.ID)
	case len(c.Extensions) > 0:
		v.checkSteps(c, at)
	case maxima == 1 && len(c.ExtendRoles) == 0:
		v.add(at(), "clock %q has a maximum but no extend_roles", c.ID)
	case maxima == 0 && len(c.ExtendRoles) > 0:
		v.add(at("extend_roles"), "clock %q has extend_roles but no maximum", c.ID)
	}
	v.checkLimit(c, c.MaxTotal, at, "max_total")
	v.checkByCategory(c, c.MaxTotalByCategory, at, "max_total_by_category")
	v.checkLimit(c, c.MaxExtension, at, "max_extension")
	v.checkByCategory(c, c.MaxExtensionByCategory, at, "max_extension_by_category")
}

func (v *validator) checkLimit(c *Clock, l *Limit, at func(...any) int, path ...any) {
	if l == nil {
		return
	}
	if !slices.Contains(Rules, l.Rule) {
		v.add(at(append(path, "rule")...), "clock %q: unknown calendar rule %q", c.ID, l.Rule)
	}
	if l.Amount <= 0 {
		v.add(at(append(path, "amount")...), "clock %q: %s amount must be positive", c.ID, path[0])
	}
}

func (v *validator) checkByCategory(c *Clock, by map[string]Limit, at func(...any) int, key string) {
	if len(by) == 0 {
		return
	}
	for _, cat := range sortedKeys(by) {
		if !slices.Contains(CrimeCategories, cat) {
			v.add(at(key, cat), "clock %q: unknown crime category %q in %s", c.ID, cat, key)
			continue
		}
		l := by[cat]
		v.checkLimit(c, &l, at, key, cat)
	}
	for _, cat := range CrimeCategories {
		if _, ok := by[cat]; !ok {
			v.add(at(key), "clock %q: %s lacks crime category %q", c.ID, key, cat)
		}
	}
}

func (v *validator) checkResponsible(c *Clock, at func(...any) int) {
	switch {
	case (c.Responsible == "") == (c.ResponsibleField == ""):
		v.add(at(), "clock %q needs exactly one of responsible and responsible_field", c.ID)
	case c.Responsible != "" && !c.Responsible.Valid():
		v.add(at("responsible"), "clock %q: unknown agency type %q in responsible", c.ID, c.Responsible)
	case c.ResponsibleField != "":
		for _, id := range c.Start {
			e, ok := v.events[id]
			if !ok {
				v.add(at("responsible_field"), "clock %q: start event %q has no field %q", c.ID, id, c.ResponsibleField)
				continue
			}
			f, ok := e.Field(c.ResponsibleField)
			if !ok || f.Type != FieldEnum || !f.Required || !allAgencies(f.Values) {
				v.add(at("responsible_field"), "clock %q: field %q of start event %q must be a required enum of agency types", c.ID, c.ResponsibleField, id)
			}
		}
	}
}

func allAgencies(values []string) bool {
	for _, val := range values {
		if !caseflow.AgencyType(val).Valid() {
			return false
		}
	}
	return true
}

// checkCondition checks a clock's start condition against the fields of its
// start events (or the facts it names) and normalises its values to their
// type; All and Any are checked part by part.
func (v *validator) checkCondition(c *Clock, at func(...any) int) {
	if c.Condition != nil {
		v.checkCond(c, c.Condition, func(path ...any) int { return at(append([]any{"condition"}, path...)...) })
	}
}

func (v *validator) checkCond(c *Clock, cond *Condition, at func(...any) int) {
	if len(cond.All) > 0 || len(cond.Any) > 0 {
		if cond.Field != "" || cond.Fact != "" || cond.Equals != nil || len(cond.In) > 0 {
			v.add(at(), "clock %q: a condition with all or any has nothing else", c.ID)
		}
		for k, x := range cond.All {
			v.checkCond(c, x, func(path ...any) int { return at(append([]any{"all", k}, path...)...) })
		}
		for k, x := range cond.Any {
			v.checkCond(c, x, func(path ...any) int { return at(append([]any{"any", k}, path...)...) })
		}
		return
	}
	if (cond.Field == "") == (cond.Fact == "") {
		v.add(at(), "clock %q: condition needs exactly one of field and fact", c.ID)
		return
	}
	if (cond.Equals == nil) == (len(cond.In) == 0) {
		v.add(at(), "clock %q: condition needs exactly one of equals and in", c.ID)
		return
	}
	if cond.Fact != "" {
		if r, ok := v.d.Reading(strings.TrimPrefix(cond.Fact, "reading.")); ok && strings.HasPrefix(cond.Fact, "reading.") {
			v.normaliseCondition(c, cond, &Field{Name: cond.Fact, Type: FieldEnum, Values: sortedKeys(r.Options)}, at)
			return
		}
		typ, ok := Facts[cond.Fact]
		if !ok {
			v.add(at("fact"), "clock %q: unknown fact %q (known: %v and reading.<id> of the readings)", c.ID, cond.Fact, sortedKeys(Facts))
			return
		}
		v.normaliseCondition(c, cond, &Field{Name: cond.Fact, Type: typ}, at)
		return
	}
	for _, id := range c.Start {
		e, ok := v.events[id]
		if !ok {
			if v.d.IsIntakeEvent(id) {
				v.add(at(), "clock %q: a clock started by an intake event cannot have a condition on a field (a fact may)", c.ID)
			}
			continue
		}
		f, ok := e.Field(cond.Field)
		if !ok {
			v.add(at("field"), "clock %q: start event %q has no field %q", c.ID, id, cond.Field)
			continue
		}
		v.normaliseCondition(c, cond, f, at)
	}
}

// normaliseCondition checks a condition's values against the type of what
// it names and normalises them.
func (v *validator) normaliseCondition(c *Clock, cond *Condition, f *Field, at func(...any) int) {
	{
		if cond.Equals != nil {
			if n, bad := normalise(f, cond.Equals); bad != nil {
				v.add(at("equals"), "clock %q: condition value %v %s", c.ID, cond.Equals, bad.Message)
			} else {
				cond.Equals = n
			}
		}
		for k, val := range cond.In {
			if n, bad := normalise(f, val); bad != nil {
				v.add(at("in", k), "clock %q: condition value %v %s", c.ID, val, bad.Message)
			} else {
				cond.In[k] = n
			}
		}
	}
}

// index builds the lookup tables of a valid definition and fills in the
// defaults the file left out.
func (d *Definition) index() {
	d.states = make(map[string]*State, len(d.States))
	for _, s := range d.States {
		d.states[s.ID] = s
	}
	d.events = make(map[string]*Event, len(d.Events))
	for _, e := range d.Events {
		d.events[e.ID] = e
		for k, val := range e.Set {
			if n, ok := val.(int); ok {
				e.Set[k] = int64(n)
			}
		}
		if e.To != "" {
			d.fsmEvents = append(d.fsmEvents, fsm.EventDesc{Name: e.ID, Src: e.From, Dst: e.To})
			continue
		}
		// looplab/fsm maps each source to one destination: a staying event
		// becomes one self-transition per source state.
		for _, from := range e.From {
			d.fsmEvents = append(d.fsmEvents, fsm.EventDesc{Name: e.ID, Src: []string{from}, Dst: from})
		}
	}
	d.clocks = make(map[string]*Clock, len(d.Clocks))
	for _, c := range d.Clocks {
		d.clocks[c.ID] = c
		if c.WarnAt == 0 {
			c.WarnAt = DefaultWarnAt
		}
		if len(c.Notify) == 0 {
			c.Notify = []string{NotifyResponsible, NotifySupervisors}
		}
		for _, st := range c.Extensions {
			if st.Times == 0 {
				st.Times = 1
			}
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// checkEscalation checks a ladder: each step waits a positive number of
// hours (at most a month) and names a target that exists.
func (v *validator) checkEscalation(steps []EscalationStep, at func(int, string) int, who string) {
	if len(steps) > 5 {
		v.add(at(5, "to"), "%san escalation ladder has at most 5 steps", who)
	}
	for j, st := range steps {
		if st.AfterHours <= 0 || st.AfterHours > 24*31 {
			v.add(at(j, "after_hours"), "%sescalation step %d: after_hours must be 1 to %d", who, j+1, 24*31)
		}
		if st.To != EscalateProvinceSupervisors && !caseflow.AgencyType(st.To).Valid() {
			v.add(at(j, "to"), "%sescalation step %d: unknown target %q (province_supervisors or an agency type)", who, j+1, st.To)
		}
	}
}
