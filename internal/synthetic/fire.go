package synthetic

import (
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// fire records event o at a time as the service would: the definition
// decides the transition; the history row carries the event's roles for its
// data; clocks stop and start, access is granted and ends. k is the clock
// the event was planned to stop, if any.
func (s *story) fire(o *option, at time.Time, k *clock) error {
	data := s.fill(o, k, at)
	t, err := s.memo.fire(s.w.def, s.state, o, data)
	if err != nil {
		return err
	}
	for key, v := range o.ev.Set {
		data[key] = v
	}
	roles := o.roles
	if o.conditional {
		rs := o.ev.RolesFor(data)
		roles = make([]string, len(rs))
		for i, r := range rs {
			roles[i] = string(r)
		}
	}
	raw, err := s.object(data)
	if err != nil {
		return err
	}
	from, to := s.state, t.To
	s.version++
	s.history(o.ev.ID, from, to, s.com.AgenciesAt(at)[o.agency], at, raw, "transition", roles)
	for key, v := range data {
		s.data[key] = v
	}
	if c, ok := data["crime_category"].(string); ok && c != "" {
		s.category = c
	}
	if c, ok := data["outcome"].(string); ok && c != "" {
		s.outcome = c
	}
	for _, r := range roles {
		s.seen[caseflow.EventRole(r)] = true
	}

	if t.Refer != "" {
		s.grant(s.com.AgenciesAt(at)[t.Refer], string(caseflow.ReferralAccess(t.Refer)), "workflow:"+string(t.Refer), at)
	}
	for _, a := range t.Release {
		s.revoke("workflow:"+string(a), at)
	}
	for _, c := range t.StopClocks {
		inst := ""
		if c.InstanceField != "" {
			inst = fmt.Sprint(data[c.InstanceField])
		}
		s.stop(c, inst, o.ev.ID, roles, at)
	}
	if st, ok := s.w.def.State(to); ok && st.Final {
		closed := at
		s.closedAt = &closed
	}
	for _, c := range t.StartClocks {
		s.start(c, data, at)
	}

	s.fired[o.ev]++
	if to != from {
		s.newVisit()
		s.visited[to] = true
	}
	s.visitFired[o.ev] = true
	s.state, s.t = to, at
	return nil
}

// start starts a clock unless the same one is running; a clock whose limit
// depends on a crime category not yet known is not started.
func (s *story) start(c *workflow.Clock, data map[string]any, at time.Time) {
	inst := ""
	if c.InstanceField != "" {
		inst = fmt.Sprint(data[c.InstanceField])
	}
	for _, k := range s.clocks {
		if k.def == c && k.instance == inst && k.running() && k.breached == nil {
			return
		}
	}
	l, ok := c.LimitFor(s.category)
	if !ok {
		return
	}
	lim := calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount}
	due := s.w.cal.Due(at, lim)
	resp := c.ResponsibleFor(data)
	s.clocks = append(s.clocks, &clock{def: c, instance: inst, responsible: resp, agency: s.com.AgenciesAt(at)[resp],
		category: s.category, limit: lim, generation: 1, started: at, due: due, warn: s.w.cal.WarnAt(at, due, c.WarnAt)})
}

// stop stops a running clock (or records when a breached one was met).
func (s *story) stop(c *workflow.Clock, inst, event string, roles []string, at time.Time) {
	for _, k := range s.clocks {
		if k.def != c || k.instance != inst || !k.running() {
			continue
		}
		if k.breached == nil && at.After(k.due) {
			s.breach(k)
		}
		t := at
		k.stopped, k.by, k.stopRoles, k.plan = &t, event, roles, nil
		// What may move the case on changes with the clocks that run.
		s.leave = nil
	}
}

// breach records the breach of a clock at its due time, as the timer would
// have.
func (s *story) breach(k *clock) {
	due := k.due
	k.breached = &due
	data := map[string]any{"clock": k.def.ID, "due_at": k.due.UTC().Format(time.RFC3339)}
	if k.instance != "" {
		data["instance"] = k.instance
	}
	raw, _ := s.object(data)
	s.history("clock_breached", s.state, s.state, 0, due, raw, "clock", []string{})
}

// extend extends a running clock once, at a time before it is due, within
// the bound the workflow sets, by a user of the first role that may.
func (s *story) extend(k *clock) {
	from := s.t
	if k.extendedAt.After(from) {
		from = k.extendedAt
	}
	if !k.due.After(from) {
		return
	}
	at := from.Add(time.Duration(float64(k.due.Sub(from)) * (0.3 + 0.6*s.r.Float64()))).Truncate(time.Minute)
	if !at.After(from) || !at.Before(k.due) || at.After(s.now) {
		return
	}
	by, ok := s.extension(k)
	if !ok {
		return
	}
	limits := make([]calendar.Limit, 0, len(k.exts)+1)
	for _, e := range k.exts {
		limits = append(limits, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	due := s.w.cal.Extend(k.started, k.limit, append(limits, by))
	k.exts = append(k.exts, caseflow.Extension{Rule: string(by.Rule), Amount: by.Amount, LegalBasis: k.def.Basis, By: User,
		At: at.UTC(), DueBefore: k.due.UTC(), DueAfter: due.UTC()})
	raw, _ := s.object(map[string]any{"clock": k.def.ID, "rule": string(by.Rule), "amount": by.Amount,
		"legal_basis": k.def.Basis, "due_before": k.due.UTC().Format(time.RFC3339), "due_after": due.UTC().Format(time.RFC3339)})
	s.history("clock_extended", s.state, s.state, s.com.AgenciesAt(at)[roleAgencies[k.def.ExtendRoles[0]]], at, raw, "clock", []string{})
	k.due, k.warn = due, s.w.cal.WarnAt(k.started, due, k.def.WarnAt)
	k.generation++
	k.extendedAt = at
}

// extension draws an extension the workflow allows: within the longest the
// clock may run from its start, or the most its due time may move.
func (s *story) extension(k *clock) (calendar.Limit, bool) {
	var current []calendar.Limit
	for _, e := range k.exts {
		current = append(current, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	if m, ok := k.def.MaxTotalFor(k.category); ok {
		latest := s.w.cal.Due(k.started, calendar.Limit{Rule: calendar.Rule(m.Rule), Amount: m.Amount})
		unit := unitOf(k.limit.Rule)
		room := int(latest.Sub(k.due) / unit)
		if room < 1 {
			return calendar.Limit{}, false
		}
		by := calendar.Limit{Rule: k.limit.Rule, Amount: 1 + s.r.IntN(room)}
		for by.Amount > 0 && s.w.cal.Extend(k.started, k.limit, append(current, by)).After(latest) {
			by.Amount--
		}
		return by, by.Amount > 0
	}
	if m, ok := k.def.MaxExtensionFor(k.category); ok {
		used := 0
		for _, e := range current {
			if e.Rule != calendar.Rule(m.Rule) {
				return calendar.Limit{}, false
			}
			used += e.Amount
		}
		if room := m.Amount - used; room > 0 {
			return calendar.Limit{Rule: calendar.Rule(m.Rule), Amount: 1 + s.r.IntN(room)}, true
		}
	}
	return calendar.Limit{}, false
}

// unitOf is about how long one unit of a rule lasts.
func unitOf(r calendar.Rule) time.Duration {
	switch r {
	case calendar.Hours:
		return time.Hour
	case calendar.Months:
		return 30 * 24 * time.Hour
	case calendar.WorkingDays:
		return 24 * time.Hour * 7 / 5
	}
	return 24 * time.Hour
}

func (s *story) history(event, from, to string, agency int64, at time.Time, data, kind string, roles []string) {
	h := History{CaseID: s.id, CommuneID: s.com.ID, Version: int32(s.version), Event: event, From: from, To: to,
		Data: data, Kind: kind, At: at, Roles: roles}
	if event != "clock_breached" { // breaches are recorded by the timer, not a person
		h.ActorID = &s.w.ref.UserID
		h.AgencyID = s.w.agencyRef(agency)
	}
	s.hist = append(s.hist, h)
}

func (s *story) grant(agency int64, scope, reason string, at time.Time) {
	if agency == 0 {
		return
	}
	key := accessKey{agency, scope, reason}
	if i, ok := s.access[key]; ok && s.b.Access[i].RevokedAt == nil {
		return
	}
	s.access[key] = len(s.b.Access)
	s.b.Access = append(s.b.Access, Access{CaseID: s.id, AgencyID: agency, Scope: scope, Reason: reason, GrantedAt: at})
}

// revoke ends every access of the case granted for the reason.
func (s *story) revoke(reason string, at time.Time) {
	for i := len(s.b.Access) - 1; i >= 0 && s.b.Access[i].CaseID == s.id; i-- {
		if a := &s.b.Access[i]; a.Reason == reason && a.RevokedAt == nil {
			t := at
			a.RevokedAt = &t
		}
	}
}

// finish marks the clocks whose limit passed by now as breached, records
// the warnings the timers would have given, and writes the clock and
// history rows (history in time order, as the service would have written it).
func (s *story) finish() error {
	for _, k := range s.clocks {
		if k.running() && k.breached == nil && k.due.Before(s.now) {
			s.breach(k)
		}
	}
	slices.SortStableFunc(s.hist, func(a, b History) int { return a.At.Compare(b.At) })
	// A clock event belongs to the version the case was at when it happened.
	version := int32(1)
	for i := range s.hist {
		if s.hist[i].Kind == "transition" {
			version = s.hist[i].Version
		} else {
			s.hist[i].Version = version
		}
	}
	s.b.History = append(s.b.History, s.hist...)

	for _, k := range s.clocks {
		var warned *time.Time
		if (k.stopped == nil || k.stopped.After(k.warn)) && k.warn.Before(s.now) {
			w := k.warn.Add(time.Second)
			warned = &w
		}
		status := "running"
		switch {
		case k.breached != nil:
			status = "breached"
		case k.stopped != nil:
			status = "stopped"
		}
		exts := "[]"
		if len(k.exts) > 0 {
			raw, err := json.Marshal(k.exts)
			if err != nil {
				return err
			}
			exts = string(raw)
		}
		agency := s.w.agencyRef(k.agency)
		stopRoles := k.stopRoles
		if stopRoles == nil {
			stopRoles = []string{}
		}
		s.b.Clocks = append(s.b.Clocks, Clock{CaseID: s.id, Clock: k.def.ID, Instance: k.instance, Role: string(k.def.CountsAs),
			Generation: int32(k.generation), Status: status, ResponsibleType: string(k.responsible), ResponsibleAgency: agency,
			Category: k.category, LimitRule: string(k.limit.Rule), LimitAmount: int32(k.limit.Amount), LegalBasis: k.def.Basis,
			Notify: k.def.Notify, StartedAt: k.started, DueAt: k.due, WarnAt: k.warn, WarnedAt: warned, StoppedAt: k.stopped,
			StoppedByEvent: k.by, StopRoles: stopRoles, BreachedAt: k.breached, Extensions: exts, CommuneID: s.com.ID})
	}
	return nil
}
