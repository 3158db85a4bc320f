package synthetic

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strconv"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// walker is what every story on one definition shares, worked out once from
// the definition: for each state, the events that may happen in it and how
// they relate through the clocks they start and stop.
type walker struct {
	def      *workflow.Definition
	cal      *calendar.Calendar
	ref      *Reference
	communes []*Commune // those with every agency the workflow needs
	filing   caseflow.AgencyType
	states   map[string]*stateInfo
	// agencies holds each agency id once, for the rows that point to one.
	agencies map[int64]*int64
}

// stateInfo is a state and the events that may happen in it.
type stateInfo struct {
	final   bool
	options []*option
}

// option is an event that may happen in a state.
type option struct {
	ev    *workflow.Event
	to    string
	moves bool // to another state
	final bool // to a final state
	// stops and starts are the clocks the event stops and starts (before
	// their conditions).
	stops, starts []*workflow.Clock
	// awaits are the events of the same state that start a clock this one
	// stops: it waits for them while they can still happen.
	awaits []*option
	// role fires the event; agency is the agency type of its users.
	role   caseflow.Role
	agency caseflow.AgencyType
	// weight is the event's weight by its roles (roleWeighted) or by the
	// shape of the workflow; emergency marks the emergency measures, whose
	// weight depends on the danger the child is in.
	weight       float64
	roleWeighted bool
	emergency    bool
	handOff      bool
	// optional is the share of cases in which the event happens when
	// nothing waits for it.
	optional float64
	// roles are the event's roles when none is conditional.
	roles       []string
	conditional bool
	// condFields are the fields whose values decide which clocks start.
	condFields []string
	// instanceFields are the fields that name the instance of a clock the
	// event starts.
	instanceFields []string
}

func newWalker(def *workflow.Definition, cal *calendar.Calendar, ref *Reference) (*walker, error) {
	initial, ok := def.State(def.Initial)
	if !ok {
		return nil, fmt.Errorf("synthetic: workflow %s v%d has no initial state %q", def.ID, def.Version, def.Initial)
	}
	w := &walker{def: def, cal: cal, ref: ref, filing: initial.Agency, states: map[string]*stateInfo{}, agencies: map[int64]*int64{}}
	needed := []caseflow.AgencyType{initial.Agency}
	need := func(t caseflow.AgencyType) {
		if t != "" && !slices.Contains(needed, t) {
			needed = append(needed, t)
		}
	}
	for _, c := range def.Clocks {
		need(c.Responsible)
	}
	for _, st := range def.States {
		need(st.Agency)
		info := &stateInfo{final: st.Final}
		w.states[st.ID] = info
		if st.Final {
			continue
		}
		for _, e := range def.Events {
			// Service referrals need referral rows, which the generator
			// does not write.
			if !e.FiresFrom(st.ID) || e.IsReferralStep() {
				continue
			}
			o := w.option(st, e)
			need(o.agency)
			need(e.Refer)
			info.options = append(info.options, o)
		}
		for _, o := range info.options {
			for _, a := range info.options {
				if a != o && slices.ContainsFunc(a.starts, func(c *workflow.Clock) bool { return slices.Contains(o.stops, c) }) {
					o.awaits = append(o.awaits, a)
				}
			}
		}
	}
	for i := range ref.Communes {
		c := &ref.Communes[i]
		for _, id := range c.Agencies {
			w.agencies[id] = &id
		}
		for _, sp := range c.Later {
			for _, id := range sp.Agencies {
				w.agencies[id] = &id
			}
		}
		if !slices.ContainsFunc(needed, func(t caseflow.AgencyType) bool { return c.Agencies[t] == 0 }) {
			w.communes = append(w.communes, c)
		}
	}
	if len(w.communes) == 0 {
		return nil, errors.New("synthetic: no commune has every agency a case needs; run `caseflow seed` first")
	}
	return w, nil
}

// agencyRef returns a pointer to the agency id, nil for none.
func (w *walker) agencyRef(id int64) *int64 {
	if id == 0 {
		return nil
	}
	return w.agencies[id]
}

// option works out what the walk needs to know of an event in a state.
func (w *walker) option(st *workflow.State, e *workflow.Event) *option {
	o := &option{ev: e, to: e.Destination(st.ID)}
	o.moves = o.to != st.ID
	if to, ok := w.def.State(o.to); ok {
		o.final = to.Final
	}
	for _, c := range w.def.Clocks {
		if slices.Contains(c.Stop, e.ID) {
			o.stops = append(o.stops, c)
		}
		if slices.Contains(c.Start, e.ID) {
			o.starts = append(o.starts, c)
			if c.Condition != nil && !slices.Contains(o.condFields, c.Condition.Field) {
				o.condFields = append(o.condFields, c.Condition.Field)
			}
			if c.InstanceField != "" {
				o.instanceFields = append(o.instanceFields, c.InstanceField)
			}
		}
	}
	// The role that fires it: one whose users work for the agency acting in
	// the state, if there is one.
	o.role = e.Roles[0]
	for _, r := range e.Roles {
		if roleAgencies[r] == st.Agency {
			o.role = r
			break
		}
	}
	o.agency = roleAgencies[o.role]

	o.roles = []string{}
	for _, d := range e.CountsAs {
		if d.When != nil {
			o.conditional = true
		}
		o.roles = append(o.roles, string(d.Role))
		if x, ok := eventWeights[d.Role]; ok && (!o.roleWeighted || x > o.weight) {
			o.weight, o.roleWeighted = x, true
		}
		o.emergency = o.emergency || d.Role == caseflow.EventEmergencyMeasures
		o.handOff = o.handOff || d.Role == caseflow.EventHandOff
	}
	if !o.roleWeighted {
		o.weight = 1
		if e.Refer != "" {
			o.weight *= referWeight
		}
		if o.final {
			o.weight *= finalWeight
		}
	}

	o.optional = optionalOther
	startsRole := slices.ContainsFunc(o.starts, func(c *workflow.Clock) bool { return c.CountsAs != "" })
	switch {
	case startsRole:
		o.optional = optionalStartsRoleClock
	case len(o.starts) > 0:
		o.optional = optionalStartsClock
	}
	for _, d := range e.CountsAs {
		if x, ok := optionalShares[d.Role]; ok {
			o.optional = x
		}
	}
	return o
}

// stopsClock reports whether the event stops the clock.
func (o *option) stopsClock(c *workflow.Clock) bool { return slices.Contains(o.stops, c) }

// memo remembers the transitions the definition decided, per state, event
// and the values its clocks' conditions read: building the state machine
// for every event of a million cases would take longer than writing them.
// The data the walk records is the same either way, its own values
// (already in the form the definition normalises to) and the event's set
// values; a transition is looked up only when the values that could change
// it are the same.
type memo struct {
	m   map[string]*workflow.Transition
	key []byte
}

func (w *walker) newMemo() *memo { return &memo{m: map[string]*workflow.Transition{}} }

// fire returns the transition of firing o in state with data.
func (m *memo) fire(def *workflow.Definition, state string, o *option, data map[string]any) (*workflow.Transition, error) {
	k := append(m.key[:0], state...)
	k = append(k, 0)
	k = append(k, o.ev.ID...)
	for _, f := range o.condFields {
		k = append(k, 0)
		switch v := data[f].(type) {
		case string:
			k = append(k, 's')
			k = append(k, v...)
		case bool:
			k = strconv.AppendBool(append(k, 'b'), v)
		case int64:
			k = strconv.AppendInt(append(k, 'i'), v, 10)
		case nil:
			k = append(k, '-')
		default:
			k = fmt.Appendf(append(k, '?'), "%v", v)
		}
	}
	m.key = k
	if t, ok := m.m[string(k)]; ok {
		return t, nil
	}
	// Text fields are free text the service would seal; the walk records
	// none, but the definition wants the required ones.
	full := make(map[string]any, len(data)+2)
	for key, v := range data {
		full[key] = v
	}
	for _, f := range o.ev.Fields {
		if f.Type == workflow.FieldText && f.Required {
			full[f.Name] = "(synthetic)"
		}
	}
	t, err := def.Fire(state, o.ev.ID, o.role, full)
	if err != nil {
		return nil, fmt.Errorf("synthetic: workflow %s v%d refuses %s in %s: %w", def.ID, def.Version, o.ev.ID, state, err)
	}
	for key, v := range t.Data {
		if f, ok := o.ev.Field(key); ok && f.Type == workflow.FieldText {
			continue
		}
		mine, ok := data[key]
		if !ok {
			mine, ok = o.ev.Set[key]
		}
		if !ok || !reflect.DeepEqual(mine, v) {
			return nil, fmt.Errorf("synthetic: %s.%s: the walk's value %v is not the definition's %v", o.ev.ID, key, mine, v)
		}
	}
	m.m[string(k)] = t
	return t, nil
}

// communeAt picks a commune, with its agencies, that existed when a report
// was received: a report of 2024 names a commune of the district era.
func (w *walker) communeAt(r *rand.Rand, received time.Time) *Commune {
	for range 200 {
		if c := w.communes[r.IntN(len(w.communes))]; c.Covers(received) {
			return c
		}
	}
	for _, c := range w.communes {
		if c.Covers(received) {
			return c
		}
	}
	return w.communes[r.IntN(len(w.communes))] // before the earliest loaded day
}
