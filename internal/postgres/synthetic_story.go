package postgres

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
)

// The story of a synthetic case: which events happen to it, when, and
// which clocks they start and stop.

// synthClockSpec is a clock of the child-abuse v1 workflow: its limit
// (by crime category when it has one), responsible agency type and basis.
type synthClockSpec struct {
	responsible caseflow.AgencyType
	limit       calendar.Limit
	byCategory  map[string]calendar.Limit
	basis       string
}

func days(n int) calendar.Limit   { return calendar.Limit{Rule: calendar.CalendarDays, Amount: n} }
func months(n int) calendar.Limit { return calendar.Limit{Rule: calendar.Months, Amount: n} }

var synthClocks = map[string]synthClockSpec{
	"emergency_measures": {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.Hours, Amount: 12}, nil, "Nghị định 56/2017/NĐ-CP Điều 26.3"},
	"transfer_to_police": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 24}, nil,
		"BLTTHS 2015 Điều 146.3; Thông tư 43/2021/TT-BCA Điều 5"},
	"transfer_to_police_remote": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 48}, nil,
		"BLTTHS 2015 Điều 146.3; Thông tư 43/2021/TT-BCA Điều 5"},
	"procuracy_notice": {caseflow.AgencyPolice, days(3), nil, "BLTTHS 2015 Điều 146.5"},
	"resolve_report":   {caseflow.AgencyPolice, days(20), nil, "BLTTHS 2015 Điều 147"},
	"tell_reporter":    {caseflow.AgencyPolice, days(3), nil, "BLTTHS 2015 Điều 145.4"},
	"exam_request": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 24}, nil,
		"BLTTHS 2015 Điều 205; Thông tư 43/2021/TT-BCA Điều 21"},
	"forensic_conclusion_sexual_abuse": {caseflow.AgencyHealth, days(5), nil,
		"BLTTHS 2015 Điều 208; Thông tư liên tịch 01/2022 Điều 13.2a"},
	"forensic_conclusion": {caseflow.AgencyHealth, days(9), nil, "BLTTHS 2015 Điều 208"},
	"investigation": {caseflow.AgencyPolice, calendar.Limit{}, map[string]calendar.Limit{"less_serious": months(2), "serious": months(3),
		"very_serious": months(4), "especially_serious": months(4)}, "BLTTHS 2015 Điều 172"},
	"indictment": {caseflow.AgencyProcuracy, calendar.Limit{}, map[string]calendar.Limit{"less_serious": days(20), "serious": days(20),
		"very_serious": days(30), "especially_serious": days(30)}, "BLTTHS 2015 Điều 240"},
	"trial_preparation": {caseflow.AgencyCourt, calendar.Limit{}, map[string]calendar.Limit{"less_serious": days(30), "serious": days(45),
		"very_serious": months(2), "especially_serious": months(3)}, "BLTTHS 2015 Điều 277.1–2"},
	"open_hearing":          {caseflow.AgencyCourt, days(15), nil, "BLTTHS 2015 Điều 277.3"},
	"support_plan_drafted":  {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, nil, "Nghị định 56/2017/NĐ-CP Điều 28.1"},
	"support_plan_approved": {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.WorkingDays, Amount: 2}, nil, "Nghị định 56/2017/NĐ-CP Điều 28.4"},
}

// synthStops lists the clocks each event stops, as the workflow says.
var synthStops = map[string][]string{
	"record_emergency_measures": {"emergency_measures"}, "emergency_not_needed": {"emergency_measures"},
	"accept_referral":    {"transfer_to_police", "transfer_to_police_remote"},
	"return_referral":    {"transfer_to_police", "transfer_to_police_remote", "procuracy_notice", "resolve_report"},
	"notify_procuracy":   {"procuracy_notice"},
	"decide_prosecution": {"resolve_report"}, "decline_prosecution": {"resolve_report"}, "suspend_resolution": {"resolve_report"},
	"inform_reporter":        {"tell_reporter"},
	"request_forensic_exam":  {"exam_request"},
	"conclude_forensic_exam": {"forensic_conclusion_sexual_abuse", "forensic_conclusion"},
	"hand_to_procuracy":      {"investigation"},
	"indict":                 {"indictment"}, "dismiss_case": {"indictment"}, "return_for_investigation": {"indictment"},
	"decide_to_try": {"trial_preparation"}, "suspend_trial": {"trial_preparation"},
	"return_to_procuracy": {"trial_preparation", "open_hearing"},
	"hold_hearing":        {"open_hearing"}, "record_verdict": {"open_hearing"},
	"draft_support_plan": {"support_plan_drafted"}, "approve_support_plan": {"support_plan_approved"},
}

// synthStarts lists the clocks each event starts (conditions aside).
var synthStarts = map[string][]string{
	"accept_referral":     {"procuracy_notice", "resolve_report"},
	"decide_prosecution":  {"tell_reporter", "investigation"},
	"decline_prosecution": {"tell_reporter", "support_plan_drafted"},
	"suspend_resolution":  {"tell_reporter"},
	"record_exam_grounds": {"exam_request"},
	"hand_to_procuracy":   {"indictment"},
	"accept_for_trial":    {"trial_preparation"},
	"decide_to_try":       {"open_hearing"},
	"route_to_support":    {"support_plan_drafted"}, "dismiss_case": {"support_plan_drafted"}, "record_verdict": {"support_plan_drafted"},
	"draft_support_plan": {"support_plan_approved"},
}

// synthClock is a clock being simulated.
type synthClock struct {
	id         string
	agency     int64
	category   string
	limit      calendar.Limit
	generation int
	started    time.Time
	due, warn  time.Time
	stopped    *time.Time
	by         string
	breached   *time.Time
	exts       []caseflow.Extension
}

// synthCase simulates one case from its report to now and writes its rows
// into the batch.
type synthCase struct {
	ref  *synthRef
	r    *rand.Rand
	b    *synthBatch
	com  *synthCommune
	id   int64
	code string
	now  time.Time

	state    string
	version  int
	t        time.Time // the last event
	stopped  bool      // the next event would be after now: the story ends here
	category string
	outcome  string
	closedAt *time.Time
	data     map[string]string // the case's structured data, raw JSON values
	clocks   []*synthClock
	hist     []synthHistoryRow // put in time order when the case is done
	abuse    []string
	access   map[string]int // "agency/reason" → index in b.access
}

// between is a random duration from lo to hi.
func (s *synthCase) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.r.Int64N(int64(hi-lo)+1))
}

func (s *synthCase) chance(p float64) bool { return s.r.Float64() < p }

func (s *synthCase) pick(d []choice) string {
	x := s.r.Float64()
	for _, c := range d {
		if x -= c.p; x < 0 {
			return c.key
		}
	}
	return d[len(d)-1].key
}

// choice is one outcome of a random draw and its probability.
type choice struct {
	key string
	p   float64
}

// The distributions of the synthetic cases: plausible, not measured.
var (
	synthSettings = []choice{{"family", 0.55}, {"school", 0.15}, {"online", 0.12}, {"public", 0.12}, {"other", 0.06}}
	synthAbuse    = []choice{{"sexual", 0.45}, {"physical", 0.30}, {"emotional", 0.10}, {"neglect", 0.08}, {"online", 0.04},
		{"trafficking", 0.01}, {"child_labour", 0.01}, {"child_marriage", 0.01}}
	synthChannels = []choice{{"hotline_111", 0.30}, {"walk_in", 0.20}, {"school", 0.15}, {"health_facility", 0.10},
		{"police", 0.15}, {"online", 0.05}, {"other", 0.05}}
	synthSexes      = []choice{{"female", 0.62}, {"male", 0.36}, {"unknown", 0.02}}
	synthRisk       = []choice{{"low", 0.3}, {"medium", 0.4}, {"high", 0.3}}
	synthDecisions  = []choice{{"decide_prosecution", 0.50}, {"decline_prosecution", 0.38}, {"suspend_resolution", 0.12}}
	synthCategories = []choice{{"less_serious", 0.30}, {"serious", 0.35}, {"very_serious", 0.25}, {"especially_serious", 0.10}}
	// synthClearance is the chance a prosecuted case is cleared, by category.
	synthClearance = map[string]float64{"less_serious": 0.80, "serious": 0.86, "very_serious": 0.92, "especially_serious": 0.94}
	// Extensions by category, as the workflow allows them.
	synthInvestigationExt = map[string]int{"less_serious": 2, "serious": 3, "very_serious": 4, "especially_serious": 4}
	synthIndictmentExt    = map[string]int{"less_serious": 10, "serious": 10, "very_serious": 15, "especially_serious": 30}
	synthTrialExt         = map[string]int{"less_serious": 15, "serious": 15, "very_serious": 30, "especially_serious": 30}
)

func (s *synthCase) agency(t caseflow.AgencyType) int64 { return s.com.agency[t] }

func (s *synthCase) run(received time.Time) {
	s.version, s.state, s.t, s.data = 0, "received", received, map[string]string{}
	s.access = map[string]int{}
	setting := s.pick(synthSettings)
	s.abuse = []string{s.pick(synthAbuse)}
	if s.chance(0.1) {
		if second := s.pick(synthAbuse); second != s.abuse[0] {
			s.abuse = append(s.abuse, second)
		}
	}
	danger := s.chance(0.3)
	channel := s.pick(synthChannels)

	cp := s.agency(caseflow.AgencyCommune)
	filed := received.Add(s.between(2*time.Minute, 2*time.Hour))
	if filed.After(s.now) {
		filed = s.now
	}
	s.version = 1
	s.history("report_received", "", "received", cp, filed, "{}", "transition")
	s.t = filed
	s.grant(cp, "full", "intake", filed)
	s.start("emergency_measures", received)
	s.children(received, setting)

	s.story(danger)

	s.finish()
	s.b.cases = append(s.b.cases, synthCaseRow{id: s.id, code: s.code, state: s.state, version: int32(s.version),
		communeID: s.com.id, unitPath: s.com.path, received: received, channel: channel, abuse: s.abuse, setting: setting,
		danger: danger, category: s.category, outcome: s.outcome, narrative: s.ref.narratives[s.r.IntN(len(s.ref.narratives))],
		data: s.dataJSON(), filedBy: s.ref.userID, agencyID: cp, created: filed, updated: s.t, closed: s.closedAt})
}

// children writes the case's children: one, or two in one case in seven.
func (s *synthCase) children(received time.Time, setting string) {
	n := 1
	if s.chance(0.14) {
		n = 2
	}
	for i := range n {
		sex := s.pick(synthSexes)
		// Ages lean towards early adolescence, as in the reports.
		age := int32(min(17, max(0, int(s.r.NormFloat64()*3.8+11.5))))
		s.b.people = append(s.b.people, synthPersonRow{caseID: s.id, position: int32(i), name: s.ref.names[s.r.IntN(len(s.ref.names))],
			age: age, sex: sex, communeID: s.com.id, received: received, setting: setting, abuse: s.abuse})
	}
}

// story plays the case through the workflow until it closes or reaches now.
func (s *synthCase) story(danger bool) {
	cp := s.agency(caseflow.AgencyCommune)
	s.fire("assess_risk", "", cp, s.t.Add(s.between(10*time.Minute, 4*time.Hour)),
		`"risk_level"`, strconv.Quote(s.pick(synthRisk)))
	measures := s.chance(0.35)
	if danger {
		measures = s.chance(0.95)
	}
	within := s.between(30*time.Minute, 11*time.Hour+30*time.Minute)
	if s.chance(0.12) {
		within = s.between(13*time.Hour, 60*time.Hour)
	}
	at := s.clock("emergency_measures").started.Add(within)
	if measures {
		s.fire("record_emergency_measures", "", cp, at)
	} else {
		s.fire("emergency_not_needed", "", cp, at)
	}

	switch x := s.r.Float64(); {
	case x < 0.05:
		s.fire("close_case", "closed", cp, s.t.Add(s.between(time.Hour, 3*24*time.Hour)), `"outcome"`, `"duplicate"`)
		s.outcome = "duplicate"
	case x < 0.27:
		if s.fire("route_to_support", "support", cp, s.t.Add(s.between(time.Hour, 2*24*time.Hour)), `"crime_signs"`, "false") {
			s.support("no_crime_support_only")
		}
	default:
		s.police()
	}
}

func (s *synthCase) police() {
	cp, police := s.agency(caseflow.AgencyCommune), s.agency(caseflow.AgencyPolice)
	for attempt := 0; ; attempt++ {
		remote := "false"
		if s.com.remote {
			remote = "true"
		}
		if !s.fire("refer_police", "police", cp, s.t.Add(s.between(time.Hour, 36*time.Hour)), `"remote_commune"`, remote) {
			return
		}
		s.grant(police, "full", "workflow:police", s.t)
		if s.com.remote {
			s.start("transfer_to_police_remote", s.t)
		} else {
			s.start("transfer_to_police", s.t)
		}
		if !s.chance(0.06) {
			break
		}
		if !s.fire("return_referral", "received", police, s.t.Add(s.between(2*time.Hour, 20*time.Hour))) {
			return
		}
		s.revoke(police, "workflow:police")
		s.revoke(s.agency(caseflow.AgencyProcuracy), "workflow:procuracy")
		switch x := s.r.Float64(); {
		case x < 0.4 && attempt == 0:
			continue
		case x < 0.8:
			if s.fire("route_to_support", "support", cp, s.t.Add(s.between(time.Hour, 3*24*time.Hour)), `"crime_signs"`, "false") {
				s.support("no_crime_support_only")
			}
		default:
			s.close(cp, "transferred_out")
		}
		return
	}
	lag := s.between(time.Hour, 23*time.Hour)
	if s.chance(0.08) {
		lag = s.between(25*time.Hour, 72*time.Hour)
	}
	if !s.fire("accept_referral", "", police, s.t.Add(lag), `"intake_number"`, strconv.Quote(fmt.Sprintf("TL-%d", s.id))) {
		return
	}
	accepted := s.t
	notify := s.between(4*time.Hour, 60*time.Hour)
	if s.chance(0.1) {
		notify = s.between(4*24*time.Hour, 7*24*time.Hour)
	}
	if !s.fire("notify_procuracy", "", police, s.t.Add(notify), `"notified_on"`, s.dateJSON(s.t.Add(notify))) {
		return
	}
	s.grant(s.agency(caseflow.AgencyProcuracy), "full", "workflow:procuracy", s.t)

	// Resolving the report: 20 days, extended by the procuracy for about a
	// quarter of reports (to 2 months, and for some to 4).
	k := s.clock("resolve_report")
	if s.chance(0.25) {
		s.extend(k, accepted.Add(s.between(12*24*time.Hour, 19*24*time.Hour)), days(40), "BLTTHS 2015 Điều 147.2")
		if s.chance(0.12) {
			s.extend(k, k.due.Add(-s.between(3*24*time.Hour, 10*24*time.Hour)), days(55), "BLTTHS 2015 Điều 147.3")
		}
	}
	if s.chance(0.03) {
		return // never resolved: the report sits with the police past its limit
	}
	decided := s.onTime(k, 0.92, 30)
	decision := s.pick(synthDecisions)
	switch decision {
	case "decide_prosecution":
		cat := s.pick(synthCategories)
		s.category = cat // known before the clocks it decides start
		if !s.fire(decision, "investigation", police, decided, `"decision"`, `"prosecute"`, `"crime_signs"`, "true",
			`"crime_category"`, strconv.Quote(cat), `"penal_code_article"`, `"146"`) {
			s.category = ""
			return
		}
		s.tellReporter()
		s.investigation()
	case "decline_prosecution":
		signs := "false"
		if s.chance(0.2) {
			signs = "true"
		}
		if !s.fire(decision, "support", police, decided, `"decision"`, `"decline"`, `"crime_signs"`, signs) {
			return
		}
		s.tellReporter()
		s.support("not_prosecuted")
	default:
		if s.fire(decision, "", police, decided, `"decision"`, `"suspend"`) {
			s.tellReporter()
		}
	}
}

func (s *synthCase) tellReporter() {
	lag := s.between(4*time.Hour, 70*time.Hour)
	if s.chance(0.2) {
		lag = s.between(4*24*time.Hour, 10*24*time.Hour)
	}
	s.fire("inform_reporter", "", s.agency(caseflow.AgencyPolice), s.t.Add(lag), `"informed_on"`, s.dateJSON(s.t.Add(lag)))
}

func (s *synthCase) investigation() {
	police := s.agency(caseflow.AgencyPolice)
	k := s.clock("investigation")
	clear := synthClearance[s.category]
	cleared := s.chance(clear)
	if s.chance(0.55) {
		if !s.fire("record_exam_grounds", "", police, s.t.Add(s.between(24*time.Hour, 10*24*time.Hour))) {
			return
		}
		kind, clock := "injury", "forensic_conclusion"
		if slices.Contains(s.abuse, "sexual") {
			kind, clock = "sexual_abuse", "forensic_conclusion_sexual_abuse"
		}
		lag := s.between(2*time.Hour, 20*time.Hour)
		if s.chance(0.05) {
			lag = s.between(25*time.Hour, 72*time.Hour)
		}
		if !s.fire("request_forensic_exam", "forensic_exam", police, s.t.Add(lag), `"exam_kind"`, strconv.Quote(kind)) {
			return
		}
		health := s.agency(caseflow.AgencyHealth)
		s.grant(health, "service", "workflow:health", s.t)
		s.start(clock, s.t)
		done := s.onTime(s.clock(clock), 0.85, 10)
		if !s.fire("conclude_forensic_exam", "investigation", health, done, `"concluded_on"`, s.dateJSON(done)) {
			return
		}
		s.revoke(health, "workflow:health")
	}
	if !cleared {
		if s.chance(0.15) {
			at := s.t.Add(s.between(10*24*time.Hour, 60*24*time.Hour))
			if s.fire("transfer_out", "closed", police, at, `"outcome"`, `"transferred_out"`, `"transferred_to"`, `"Công an tỉnh khác"`) {
				s.outcome = "transferred_out"
			}
		}
		return // the investigation stalls; its clock runs out
	}
	clearedOn := s.t.Add(s.between(3*24*time.Hour, 40*24*time.Hour))
	if !s.fire("record_case_cleared", "", police, clearedOn, `"cleared_on"`, s.dateJSON(clearedOn)) {
		return
	}
	if s.chance(0.15) && k != nil && k.stopped == nil {
		max := synthInvestigationExt[s.category]
		s.extend(k, k.due.Add(-s.between(5*24*time.Hour, 15*24*time.Hour)), months(max), "BLTTHS 2015 Điều 172.2")
	}
	s.handToProcuracy(0)
}

func (s *synthCase) handToProcuracy(returns int) {
	police := s.agency(caseflow.AgencyPolice)
	var at time.Time
	if k := s.clock("investigation"); k != nil && k.stopped == nil {
		at = s.onTime(k, 0.90, 30)
	} else {
		at = s.t.Add(s.between(15*24*time.Hour, 60*24*time.Hour))
	}
	if !s.fire("hand_to_procuracy", "prosecution", police, at, `"proposed_article"`, `"146"`) {
		return
	}
	s.prosecution(returns)
}

func (s *synthCase) prosecution(returns int) {
	vks := s.agency(caseflow.AgencyProcuracy)
	s.grant(vks, "full", "workflow:procuracy", s.t)
	k := s.clock("indictment")
	if s.chance(0.07) {
		ext := synthIndictmentExt[s.category]
		s.extend(k, k.due.Add(-s.between(24*time.Hour, 5*24*time.Hour)), days(ext), "BLTTHS 2015 Điều 240")
	}
	at := s.onTime(k, 0.96, 15)
	switch x := s.r.Float64(); {
	case x < 0.10 && returns == 0:
		if s.fire("return_for_investigation", "investigation", vks, at) {
			s.handToProcuracy(returns + 1)
		}
	case x < 0.15:
		if s.fire("dismiss_case", "support", vks, at) {
			s.support("not_prosecuted")
		}
	default:
		if s.fire("indict", "trial", vks, at, `"charge_article"`, `"146"`, `"indicted_on"`, s.dateJSON(at)) {
			s.grant(s.agency(caseflow.AgencyCourt), "full", "workflow:court", s.t)
			s.trial(returns)
		}
	}
}

func (s *synthCase) trial(returns int) {
	court := s.agency(caseflow.AgencyCourt)
	if !s.fire("accept_for_trial", "", court, s.t.Add(s.between(24*time.Hour, 10*24*time.Hour))) {
		return
	}
	k := s.clock("trial_preparation")
	if s.chance(0.07) {
		ext := synthTrialExt[s.category]
		s.extend(k, k.due.Add(-s.between(24*time.Hour, 7*24*time.Hour)), days(ext), "BLTTHS 2015 Điều 277.2")
	}
	if s.chance(0.03) {
		return // the court has not decided
	}
	at := s.onTime(k, 0.93, 20)
	switch x := s.r.Float64(); {
	case x < 0.05 && returns == 0:
		if s.fire("return_to_procuracy", "prosecution", court, at) {
			s.revoke(court, "workflow:court")
			s.prosecution(returns + 1)
		}
		return
	case x < 0.08:
		s.fire("suspend_trial", "", court, at)
		return
	}
	if !s.fire("decide_to_try", "", court, at, `"hearing_date"`, s.dateJSON(at.Add(10*24*time.Hour))) {
		return
	}
	held := s.onTime(s.clock("open_hearing"), 0.90, 25)
	if !s.fire("hold_hearing", "", court, held, `"held_on"`, s.dateJSON(held)) {
		return
	}
	verdict, outcome := `"convicted"`, "convicted"
	if s.chance(0.06) {
		verdict, outcome = `"acquitted"`, "acquitted"
	}
	upheld := "true"
	if s.chance(0.08) {
		upheld = "false"
	}
	at = s.t.Add(s.between(0, 7*24*time.Hour))
	if s.fire("record_verdict", "support", court, at, `"verdict"`, verdict, `"charge_upheld"`, upheld, `"verdict_date"`, s.dateJSON(at)) {
		s.support(outcome)
	}
}

// support drafts, approves and reviews the child's support plan, then closes.
func (s *synthCase) support(outcome string) {
	cp := s.agency(caseflow.AgencyCommune)
	if !s.fire("draft_support_plan", "", cp, s.onTime(s.clock("support_plan_drafted"), 0.85, 12)) {
		return
	}
	if !s.fire("approve_support_plan", "", cp, s.onTime(s.clock("support_plan_approved"), 0.88, 6),
		`"approved_by"`, `"Chủ tịch UBND xã"`) {
		return
	}
	if s.chance(0.5) && !s.fire("review_support_plan", "", cp, s.t.Add(s.between(20*24*time.Hour, 90*24*time.Hour))) {
		return
	}
	s.close(cp, outcome)
}

func (s *synthCase) close(agency int64, outcome string) {
	if s.fire("close_case", "closed", agency, s.t.Add(s.between(30*24*time.Hour, 270*24*time.Hour)), `"outcome"`, strconv.Quote(outcome)) {
		s.outcome = outcome
	}
}

// onTime returns when the event that stops clock k happens: within its
// (extended) limit with probability p, otherwise up to lateDays late.
func (s *synthCase) onTime(k *synthClock, p float64, lateDays int) time.Time {
	if k == nil {
		return s.t.Add(s.between(time.Hour, 5*24*time.Hour))
	}
	from := s.t
	if k.started.After(from) {
		from = k.started
	}
	if s.chance(p) && k.due.After(from) {
		span := k.due.Sub(from)
		return from.Add(time.Duration(float64(span) * (0.1 + 0.88*s.r.Float64())))
	}
	late := k.due.Add(s.between(time.Hour, time.Duration(lateDays)*24*time.Hour))
	if late.Before(from) {
		return from.Add(time.Hour)
	}
	return late
}

// fire records an event at a time, stopping and starting the clocks the
// workflow ties to it, unless that time is after now: then the story ends.
// kv are key and value pairs of raw JSON for the event's data.
func (s *synthCase) fire(event, to string, agency int64, at time.Time, kv ...string) bool {
	if s.stopped || at.After(s.now) {
		s.stopped = true
		return false
	}
	if !at.After(s.t) {
		at = s.t.Add(time.Minute)
		if at.After(s.now) {
			s.stopped = true
			return false
		}
	}
	from := s.state
	if to == "" {
		to = from
	}
	var data strings.Builder
	data.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			data.WriteByte(',')
		}
		data.WriteString(kv[i] + ":" + kv[i+1])
		s.data[kv[i]] = kv[i+1]
	}
	data.WriteByte('}')
	s.version++
	s.history(event, from, to, agency, at, data.String(), "transition")
	s.state, s.t = to, at
	for _, id := range synthStops[event] {
		s.stop(id, event, at)
	}
	if to == "closed" {
		closed := at
		s.closedAt = &closed
		for _, k := range s.clocks {
			s.stop(k.id, event, at)
		}
		return true
	}
	for _, id := range synthStarts[event] {
		s.start(id, at)
	}
	return true
}

func (s *synthCase) history(event, from, to string, agency int64, at time.Time, data, kind string) {
	h := synthHistoryRow{caseID: s.id, communeID: s.com.id, version: int32(s.version), event: event, from: from, to: to,
		data: data, kind: kind, at: at}
	if event != "clock_breached" { // breaches are recorded by the timer, not a person
		h.actor = &s.ref.userID
		if agency != 0 {
			h.agency = &agency
		}
	}
	s.hist = append(s.hist, h)
}

func (s *synthCase) clock(id string) *synthClock {
	for i := len(s.clocks) - 1; i >= 0; i-- {
		if s.clocks[i].id == id {
			return s.clocks[i]
		}
	}
	return nil
}

// start starts a clock unless one of that kind is running; a clock whose
// limit depends on the crime category needs the category.
func (s *synthCase) start(id string, at time.Time) {
	if k := s.clock(id); k != nil && k.stopped == nil && k.breached == nil {
		return
	}
	spec := synthClocks[id]
	lim := spec.limit
	if spec.byCategory != nil {
		var ok bool
		if lim, ok = spec.byCategory[s.category]; !ok {
			return
		}
	}
	due := s.ref.cal.Due(at, lim)
	s.clocks = append(s.clocks, &synthClock{id: id, agency: s.agency(spec.responsible), category: s.category, limit: lim,
		generation: 1, started: at, due: due, warn: s.ref.cal.WarnAt(at, due, 0)})
}

// stop stops a running clock (or records when a breached one was met).
func (s *synthCase) stop(id, event string, at time.Time) {
	k := s.clock(id)
	if k == nil || k.stopped != nil {
		return
	}
	if k.breached == nil && at.After(k.due) {
		s.breach(k)
	}
	t := at
	k.stopped, k.by = &t, event
}

// breach records the breach of a clock a moment after its due time, as the
// timer would have.
func (s *synthCase) breach(k *synthClock) {
	b := k.due.Add(time.Duration(200+s.r.IntN(1500)) * time.Millisecond)
	k.breached = &b
	s.history("clock_breached", s.state, s.state, 0, b,
		`{"clock":`+strconv.Quote(k.id)+`,"due_at":"`+k.due.UTC().Format(time.RFC3339)+`"}`, "clock")
}

// extend records an extension of a running clock, made at a time before
// its due time.
func (s *synthCase) extend(k *synthClock, at time.Time, by calendar.Limit, basis string) {
	if k == nil || k.stopped != nil || k.breached != nil || at.After(s.now) || !at.Before(k.due) || at.Before(k.started) {
		return
	}
	limits := make([]calendar.Limit, 0, len(k.exts)+1)
	for _, e := range k.exts {
		limits = append(limits, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	limits = append(limits, by)
	due := s.ref.cal.Extend(k.started, k.limit, limits)
	k.exts = append(k.exts, caseflow.Extension{Rule: string(by.Rule), Amount: by.Amount, LegalBasis: basis, By: syntheticUser,
		At: at.UTC(), DueBefore: k.due.UTC(), DueAfter: due.UTC()})
	extender := s.agency(caseflow.AgencyProcuracy)
	if k.id == "trial_preparation" {
		extender = s.agency(caseflow.AgencyCourt)
	}
	s.history("clock_extended", s.state, s.state, extender, at,
		`{"clock":`+strconv.Quote(k.id)+`,"rule":"`+string(by.Rule)+`","amount":`+strconv.Itoa(by.Amount)+
			`,"legal_basis":`+strconv.Quote(basis)+`,"due_before":"`+k.due.UTC().Format(time.RFC3339)+
			`","due_after":"`+due.UTC().Format(time.RFC3339)+`"}`, "clock")
	k.due, k.warn = due, s.ref.cal.WarnAt(k.started, due, 0)
	k.generation++
}

func (s *synthCase) grant(agency int64, scope, reason string, at time.Time) {
	key := strconv.FormatInt(agency, 10) + "/" + scope + "/" + reason
	if i, ok := s.access[key]; ok && s.b.access[i].revoked == nil {
		return
	}
	s.access[key] = len(s.b.access)
	s.b.access = append(s.b.access, synthAccessRow{caseID: s.id, agencyID: agency, scope: scope, reason: reason, granted: at})
}

func (s *synthCase) revoke(agency int64, reason string) {
	for _, scope := range []string{"full", "service"} {
		if i, ok := s.access[strconv.FormatInt(agency, 10)+"/"+scope+"/"+reason]; ok && s.b.access[i].revoked == nil {
			t := s.t
			s.b.access[i].revoked = &t
		}
	}
}

// finish marks the clocks whose limit passed by now as breached, records
// the warnings the timers would have given, and writes the clock and
// history rows (history in time order, as the service would have written it).
func (s *synthCase) finish() {
	defer func() {
		sort.SliceStable(s.hist, func(i, j int) bool { return s.hist[i].at.Before(s.hist[j].at) })
		// A clock event belongs to the version the case was at when it happened.
		version := int32(1)
		for i := range s.hist {
			if s.hist[i].kind == "transition" {
				version = s.hist[i].version
			} else {
				s.hist[i].version = version
			}
		}
		s.b.history = append(s.b.history, s.hist...)
	}()
	for _, k := range s.clocks {
		if k.stopped == nil && k.breached == nil && k.due.Before(s.now) {
			s.breach(k)
		}
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
			raw, _ := json.Marshal(k.exts)
			exts = string(raw)
		}
		spec := synthClocks[k.id]
		s.b.clocks = append(s.b.clocks, synthClockRow{caseID: s.id, clock: k.id, generation: int32(k.generation), status: status,
			responsible: string(spec.responsible), agencyID: k.agency, category: k.category, rule: string(k.limit.Rule),
			amount: int32(k.limit.Amount), basis: spec.basis, started: k.started, due: k.due, warn: k.warn, warned: warned,
			stopped: k.stopped, by: k.by, breached: k.breached, extensions: exts, communeID: s.com.id})
	}
}

func (s *synthCase) dataJSON() string {
	if len(s.data) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + ":" + s.data[k])
	}
	b.WriteByte('}')
	return b.String()
}

func (s *synthCase) dateJSON(t time.Time) string {
	return `"` + t.In(caseflow.Zone).Format("2006-01-02") + `"`
}
