package synthetic

import (
	"math/rand/v2"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// The story of a synthetic case: from the report, state by state, the walk
// looks at what may happen next and plans it —
//
//   - every running clock that an event of the state can stop gets its stop:
//     one of those events, chosen by weight, at a time drawn so that most
//     limits are met (and the limit perhaps extended first);
//   - the events nothing waits for (they stop no running clock) happen or
//     not, once a case, at some time before the case moves on;
//   - when no planned stop moves the case, one of the events that move it
//     is chosen by weight, after everything planned in the state;
//
// and fires whichever planned event comes first. An event that stops a
// clock another event of the state starts waits for that event while it can
// still happen (no decision before the report is accepted). The definition
// decides each transition; the story ends in a final state, at the end of
// the period, when nothing is left to happen, or after maxSteps events.

// maxSteps bounds the events of one case.
const maxSteps = 64

// story plays one case at a time and writes its rows into the batch.
type story struct {
	w    *walker
	memo *memo
	r    *rand.Rand
	b    *Batch
	now  time.Time

	id       int64
	code     string
	com      *Commune
	state    string
	version  int
	t        time.Time // the last event
	category string
	outcome  string
	closedAt *time.Time
	danger   bool
	abuse    []string
	data     map[string]any // the case's structured values
	clocks   []*clock
	hist     []History
	access   map[accessKey]int // index in b.Access
	fired    map[*workflow.Event]int
	optional map[*workflow.Event]bool // decided once a case
	seen     map[caseflow.EventRole]bool
	visited  map[string]bool

	// The current visit of a state.
	visitFired map[*workflow.Event]bool
	optAt      map[*workflow.Event]time.Time
	leave      *plan

	cands   []*option
	scratch map[string]any
	keys    []string
	buf     []byte
}

// clock is a clock being simulated.
type clock struct {
	def         *workflow.Clock
	instance    string
	responsible caseflow.AgencyType
	agency      int64
	category    string
	limit       calendar.Limit
	generation  int
	started     time.Time
	due, warn   time.Time
	stopped     *time.Time
	by          string
	stopRoles   []string
	breached    *time.Time
	exts        []caseflow.Extension
	extendedAt  time.Time

	plan    *plan
	planned bool // its timing was drawn
	never   bool // nobody will stop it
}

func (k *clock) running() bool { return k.stopped == nil }

// plan is an event planned at a time, to stop clock (or nil).
type plan struct {
	o     *option
	at    time.Time
	clock *clock
}

type accessKey struct {
	agency        int64
	scope, reason string
}

// between is a random duration from lo to hi.
func (s *story) between(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	return lo + time.Duration(s.r.Int64N(int64(hi-lo)+1))
}

func (s *story) chance(p float64) bool { return s.r.Float64() < p }

func (s *story) pick(d []choice) string {
	x := s.r.Float64()
	for _, c := range d {
		if x -= c.p; x < 0 {
			return c.key
		}
	}
	return d[len(d)-1].key
}

func (s *story) reset(id int64, code string) {
	s.id, s.code = id, code
	s.version, s.category, s.outcome, s.closedAt = 0, "", "", nil
	s.clocks, s.hist = s.clocks[:0], s.hist[:0]
	if s.data == nil {
		s.data, s.access, s.fired = map[string]any{}, map[accessKey]int{}, map[*workflow.Event]int{}
		s.optional, s.seen, s.visited = map[*workflow.Event]bool{}, map[caseflow.EventRole]bool{}, map[string]bool{}
		s.visitFired, s.optAt, s.scratch = map[*workflow.Event]bool{}, map[*workflow.Event]time.Time{}, map[string]any{}
	}
	clear(s.data)
	clear(s.access)
	clear(s.fired)
	clear(s.optional)
	clear(s.seen)
	clear(s.visited)
	s.newVisit()
}

func (s *story) newVisit() {
	clear(s.visitFired)
	clear(s.optAt)
	s.leave = nil
}

// play writes one case received at a time, with its story up to now.
func (s *story) play(id int64, code string, received time.Time) error {
	s.reset(id, code)
	w := s.w
	s.com = w.communeAt(s.r, received)
	setting := s.pick(settings)
	s.abuse = []string{s.pick(abuses)}
	if s.chance(0.1) {
		if second := s.pick(abuses); second != s.abuse[0] {
			s.abuse = append(s.abuse, second)
		}
	}
	s.danger = s.chance(dangerShare)
	channel := s.pick(channels)

	filer := s.com.AgenciesAt(received)[w.filing]
	filed := received.Add(s.between(2*time.Minute, 2*time.Hour))
	if filed.After(s.now) {
		filed = s.now
	}
	s.version, s.state, s.t = 1, w.def.Initial, filed
	s.visited[s.state] = true
	s.history(w.def.IntakeEvent, "", s.state, filer, filed, "{}", "transition", []string{})
	s.grant(filer, string(caseflow.AccessFull), "intake", filed)
	// Intake clocks run from the moment the report was received, with the
	// report's facts as their data.
	facts := map[string]any{"immediate_danger": s.danger, "channel": channel, "setting": setting}
	for _, c := range w.def.IntakeClocks() {
		s.start(c, facts, received)
	}
	s.children(received, setting)

	if err := s.walk(); err != nil {
		return err
	}

	if err := s.finish(); err != nil {
		return err
	}
	data, err := s.object(s.data)
	if err != nil {
		return err
	}
	s.b.Cases = append(s.b.Cases, Case{ID: s.id, Code: s.code, WorkflowID: w.def.ID, WorkflowVersion: int32(w.def.Version),
		State: s.state, Version: int32(s.version), CommuneID: s.com.ID, UnitPath: s.com.Path, ReceivedAt: received,
		Channel: channel, AbuseTypes: s.abuse, Setting: setting, ImmediateDanger: s.danger, CrimeCategory: s.category,
		Outcome: s.outcome, NarrativeEnc: w.ref.Narratives[s.r.IntN(len(w.ref.Narratives))], Data: data,
		FiledBy: w.ref.UserID, FilingAgencyID: filer, CreatedAt: filed, UpdatedAt: s.t, ClosedAt: s.closedAt})
	return nil
}

// children writes the case's children: one, or two in one case in seven.
func (s *story) children(received time.Time, setting string) {
	n := 1
	if s.chance(0.14) {
		n = 2
	}
	for i := range n {
		sex := s.pick(sexes)
		// Ages lean towards early adolescence, as in the reports.
		age := int32(min(17, max(0, int(s.r.NormFloat64()*3.8+11.5))))
		s.b.People = append(s.b.People, Person{CaseID: s.id, Position: int32(i),
			FullNameEnc: s.w.ref.Names[s.r.IntN(len(s.w.ref.Names))], Age: age, Sex: sex, CommuneID: s.com.ID,
			ReceivedAt: received, Setting: setting, AbuseTypes: s.abuse})
	}
}

// walk plays the case through its workflow until the story ends.
func (s *story) walk() error {
	for range maxSteps {
		st := s.w.states[s.state]
		if st == nil || st.final {
			return nil
		}
		p := s.next(st)
		if p == nil {
			return nil // nothing is left to happen: the case sits
		}
		at := p.at
		if !at.After(s.t) {
			at = s.t.Add(time.Minute)
		}
		if at.After(s.now) {
			return nil // the rest of the story is in the future
		}
		if err := s.fire(p.o, at, p.clock); err != nil {
			return err
		}
	}
	return nil
}

// available reports whether o may happen now: an event that moves the case
// at most twice a case, one that does not once (again only to stop a
// running clock).
func (s *story) available(o *option) bool {
	n := s.fired[o.ev]
	if o.moves {
		return n < 2
	}
	return n == 0 || (n < 4 && s.stopsRunning(o))
}

func (s *story) stopsRunning(o *option) bool {
	for _, k := range s.clocks {
		if k.running() && o.stopsClock(k.def) {
			return true
		}
	}
	return false
}

// next plans what may happen in the state and returns what comes first.
func (s *story) next(st *stateInfo) *plan {
	s.cands = s.cands[:0]
	for _, o := range st.options {
		if !s.available(o) {
			continue
		}
		waits := false
		if !s.stopsRunning(o) {
			for _, a := range o.awaits {
				if !s.visitFired[a.ev] && s.available(a) {
					waits = true
					break
				}
			}
		}
		if !waits {
			s.cands = append(s.cands, o)
		}
	}

	// The stops of the running clocks.
	var firstMove *plan
	var lastStay time.Time
	sits := false
	for _, k := range s.clocks {
		if !k.running() {
			continue
		}
		if !s.planStop(k) {
			continue
		}
		if k.never {
			sits = true
			continue
		}
		if k.plan.o.moves {
			if firstMove == nil || k.plan.at.Before(firstMove.at) {
				firstMove = k.plan
			}
		} else if k.plan.at.After(lastStay) {
			lastStay = k.plan.at
		}
	}

	// Moving on, when no stop does.
	if firstMove != nil || sits {
		s.leave = nil
	} else {
		if s.leave != nil {
			if c, ok := s.cand(s.leave.o); ok {
				s.leave.o = c
			} else {
				s.leave = nil
			}
		}
		if s.leave == nil {
			s.leave = s.planLeave()
		}
		if s.leave != nil && !s.leave.at.After(lastStay) {
			s.leave.at = lastStay.Add(s.between(time.Hour, 24*time.Hour))
		}
		firstMove = s.leave
	}
	horizon := s.t.Add(30 * 24 * time.Hour)
	if firstMove != nil {
		horizon = firstMove.at
	}

	// The events nothing waits for.
	var first *plan
	var optional *option
	var optionalAt time.Time
	for _, k := range s.clocks {
		if k.running() && k.plan != nil && !k.never && (first == nil || k.plan.at.Before(first.at)) {
			first = k.plan
		}
	}
	if s.leave != nil && (first == nil || s.leave.at.Before(first.at)) {
		first = s.leave
	}
	for _, o := range s.cands {
		if o.moves || len(o.stops) > 0 || s.fired[o.ev] > 0 {
			continue
		}
		happens, decided := s.optional[o.ev]
		if !decided {
			share := o.optional
			if s.state == s.w.def.Initial && share < optionalFirstSteps {
				share = optionalFirstSteps
			}
			happens = s.chance(share)
			s.optional[o.ev] = happens
		}
		if !happens {
			continue
		}
		at, ok := s.optAt[o.ev]
		if !ok {
			span := horizon.Sub(s.t)
			at = s.t.Add(time.Duration(float64(span) * (0.05 + 0.65*s.r.Float64())))
			s.optAt[o.ev] = at
		}
		if (first == nil || at.Before(first.at)) && (optional == nil || at.Before(optionalAt)) {
			optional, optionalAt = o, at
		}
	}
	if optional != nil {
		return &plan{o: optional, at: optionalAt}
	}
	return first
}

// cand returns the candidate that is the event of o, if there is one: a
// plan made in one state holds in the next where its event may happen.
func (s *story) cand(o *option) (*option, bool) {
	for _, c := range s.cands {
		if c.ev == o.ev {
			return c, true
		}
	}
	return nil, false
}

// planStop makes sure a running clock has its stop planned, if an event of
// the state can stop it; it reports whether one can.
func (s *story) planStop(k *clock) bool {
	var stoppers []*option
	for _, o := range s.cands {
		if o.stopsClock(k.def) {
			stoppers = append(stoppers, o)
		}
	}
	if len(stoppers) == 0 {
		k.plan = nil
		return false
	}
	if k.never {
		return true
	}
	if k.plan != nil {
		if c, ok := s.cand(k.plan.o); ok && c.stopsClock(k.def) {
			k.plan.o = c
			return true
		}
	}
	tm, ok := clockTimings[k.def.CountsAs]
	if !ok {
		tm = defaultTiming
	}
	if !k.planned {
		k.planned = true
		if s.chance(tm.never) {
			k.never = true
			return true
		}
		if len(k.def.ExtendRoles) > 0 && s.chance(tm.extend) {
			s.extend(k)
			if s.chance(secondExtension) {
				s.extend(k)
			}
		}
	}
	o := s.choose(stoppers, k)
	k.plan = &plan{o: o, at: s.stopTime(k, tm.met), clock: k}
	return true
}

// planLeave chooses an event that moves the case on, when no clock's stop
// does.
func (s *story) planLeave() *plan {
	var leaves []*option
	for _, o := range s.cands {
		if o.moves && !s.stopsRunning(o) {
			leaves = append(leaves, o)
		}
	}
	if len(leaves) == 0 {
		return nil
	}
	o := s.choose(leaves, nil)
	var lag time.Duration
	switch {
	case s.state == s.w.def.Initial:
		lag = s.between(time.Hour, 36*time.Hour)
	case o.final:
		lag = s.between(30*24*time.Hour, 270*24*time.Hour)
	default:
		lag = s.between(24*time.Hour, 20*24*time.Hour)
	}
	return &plan{o: o, at: s.t.Add(lag)}
}

// choose picks one of the options by weight; k is the clock they would
// stop, if any.
func (s *story) choose(opts []*option, k *clock) *option {
	if len(opts) == 1 {
		return opts[0]
	}
	startsClock := false
	for _, o := range opts {
		startsClock = startsClock || len(o.starts) > 0
	}
	var ws [16]float64
	weights := ws[:0]
	total := 0.0
	for _, o := range opts {
		w := o.weight
		if o.emergency {
			w = emergencyOtherwise
			if s.danger {
				w = emergencyWhenInDanger
			}
		}
		if !o.roleWeighted {
			if o.moves && s.visited[o.to] {
				w *= backWeight
			}
			if !o.moves && len(o.starts) == 0 && startsClock {
				w *= stallWeight
			}
		}
		if o.handOff && k != nil && k.def.CountsAs != caseflow.ClockPoliceAcceptance {
			w *= handOffLater
		}
		weights = append(weights, w)
		total += w
	}
	x := s.r.Float64() * total
	for i, w := range weights {
		if x -= w; x < 0 {
			return opts[i]
		}
	}
	return opts[len(opts)-1]
}

// stopTime returns when the event that stops clock k happens: within its
// (extended) limit with probability met, otherwise late by up to half the
// limit again (a day at least).
func (s *story) stopTime(k *clock, met float64) time.Time {
	from := s.t
	if k.started.After(from) {
		from = k.started
	}
	if k.extendedAt.After(from) {
		from = k.extendedAt
	}
	if s.chance(met) && k.due.After(from) {
		span := k.due.Sub(from)
		return from.Add(time.Duration(float64(span) * (0.1 + 0.88*s.r.Float64())))
	}
	late := k.due.Add(s.between(time.Hour, max(24*time.Hour, k.due.Sub(k.started)/2)))
	if late.Before(from) {
		return from.Add(time.Hour)
	}
	return late
}
