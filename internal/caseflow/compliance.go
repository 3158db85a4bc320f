package caseflow

import (
	"fmt"
	"time"
)

// IndicatorID names a compliance indicator of DESIGN §4.
type IndicatorID string

// The indicators, in the order reports show them.
const (
	IndicatorIntake                  IndicatorID = "intake"
	IndicatorResolution              IndicatorID = "resolution"
	IndicatorOnTimeResolution        IndicatorID = "on_time_resolution"
	IndicatorProsecutionOfCrimeSigns IndicatorID = "prosecution_of_crime_signs"
	IndicatorClearance               IndicatorID = "clearance"
	IndicatorClearanceSerious        IndicatorID = "clearance_serious"
	IndicatorIndictmentOnTime        IndicatorID = "indictment_on_time"
	IndicatorCorrectCharge           IndicatorID = "correct_charge"
	IndicatorCourtResolution         IndicatorID = "court_resolution"
	IndicatorYearOnYear              IndicatorID = "yoy_change"
	IndicatorEmergencyResponse       IndicatorID = "emergency_response"
	IndicatorSupportPlanOnTime       IndicatorID = "support_plan_on_time"
	IndicatorSupportPlanShare        IndicatorID = "support_plan_share"
)

// Breaches is the drill-down id of the deadline breaches, which are listed
// per clock and per agency rather than as a ratio.
const Breaches = "breaches"

// Escalations names, beside the indicators, the count of breaches that
// climbed their escalation ladder (at least one rung).
const Escalations = "escalations"

// TargetOp says how an indicator's value is compared with its target.
type TargetOp string

// Target operators.
const (
	TargetNone TargetOp = "none" // shown without a target
	TargetEq   TargetOp = "eq"   // met when the value equals the target (100%: every item)
	TargetGt   TargetOp = "gt"   // met when the value is above the target
	TargetLe   TargetOp = "le"   // met when the value is at or below the target
)

// Target is a plan target. BasisPoints is the value in hundredths of a
// percent (10000 is 100%, -500 is a fall of 5%), so that whether a figure
// meets it is decided in whole numbers, never by rounding a float.
type Target struct {
	Op          TargetOp
	BasisPoints int64
}

// Value is the target as a fraction (0.95 for 95%), or nil without a target.
func (t Target) Value() *float64 {
	if t.Op == TargetNone || t.Op == "" {
		return nil
	}
	v := float64(t.BasisPoints) / 10000
	return &v
}

// Indicator is the definition of one compliance indicator. Definition is
// the rule the SQL in the storage package implements; docs/compliance.md
// repeats it for readers of the reports. Its names, what its numerator and
// denominator count and its target as the plan words it are labels, kept
// with the other labels (the catalog package) by the indicator's ID.
type Indicator struct {
	ID     IndicatorID
	Target Target
	// Change marks an indicator whose value is numerator ÷ denominator − 1
	// (a change against a base) rather than a ratio.
	Change     bool
	Definition string
}

// The rules common to every ratio indicator, stated once in docs/compliance.md:
//   - A period is whole days, from and to inclusive, in Asia/Ho_Chi_Minh.
//   - Each item (a clock or a recorded event) falls in a period by one date
//     named in its definition; the numerator is decided by what is recorded
//     at the moment the report is made (AsOf), so a past period's figure can
//     still rise when something late is recorded.
//   - Due times include every recorded extension: within an extended limit is
//     on time.
//   - An item still within its limit and not yet decided at AsOf is pending:
//     it counts in neither numerator nor denominator until it is decided or
//     its limit passes.
//   - A zero denominator is "no data": no value and no verdict on the target.

// Indicators lists every indicator of DESIGN §4, in report order.
var Indicators = []Indicator{
	{ID: IndicatorIntake, Target: Target{TargetEq, 10000},
		Definition: "Each referral to the police (a clock of role police_acceptance, started by the referral) counts in the " +
			"period of the referral (clock start). Numerator: referrals the police accepted (the clock stopped by an event of " +
			"role police_acceptance, on time or late). A referral the police returned counts as not accepted; a report " +
			"referred again after a return is a new referral. A report the police received themselves (an intake that " +
			"counts as police_acceptance) is one more item, received. Pending: not yet answered and its limit not passed."},
	{ID: IndicatorResolution, Target: Target{TargetGt, 9500},
		Definition: "Each clock of role resolution (started when the police accept a report, BLTTHS Điều 147) counts in the " +
			"period in which it is due (due time with extensions). Numerator: reports resolved — the clock stopped by an event " +
			"of role resolution (prosecute, decline or suspend), whenever that happened. Left out: reports that lawfully left " +
			"the police (role hand_off: returned to the commune, transferred to another jurisdiction) before they were due; " +
			"handed off after they were due, they count as not resolved. Pending: not resolved and not yet due."},
	{ID: IndicatorOnTimeResolution, Target: Target{TargetNone, 0},
		Definition: "Each clock of role resolution stopped by an event of role resolution counts in the period in which it " +
			"was stopped (the resolution). Numerator: stopped at or before its due time, extensions included."},
	{ID: IndicatorProsecutionOfCrimeSigns, Target: Target{TargetEq, 10000},
		Definition: "Each recorded decision on a report with signs of a crime counts in the period of the decision: decisions " +
			"to prosecute (role prosecution) and decisions not to prosecute recorded with signs of a crime (role " +
			"declined_despite_crime_signs). Numerator: decisions to prosecute. Suspensions record no finding on crime signs " +
			"and are not counted."},
	{ID: IndicatorClearance, Target: Target{TargetGt, 8000},
		Definition: "Each decision to prosecute (role prosecution) counts in the period of the decision. Numerator: cases for " +
			"which an event of role clearance has been recorded, whenever. Pending: not cleared while the clock of role " +
			"investigation_limit is still running within its limit."},
	{ID: IndicatorClearanceSerious, Target: Target{TargetGt, 9000},
		Definition: "As clearance, limited to decisions to prosecute a very serious or especially serious crime (role " +
			"prosecution_of_serious_crime: the category at the decision; a later change of category does not move a case)."},
	{ID: IndicatorIndictmentOnTime, Target: Target{TargetEq, 10000},
		Definition: "Each clock of role indictment_limit (started when the procuracy receives the file) stopped by one of the " +
			"decisions of Điều 240 (role indictment_decision: charge, dismiss or return for investigation) counts in the " +
			"period of the decision. Numerator: decided at or before its due time, extensions included. A file returned and " +
			"handed over again is a new decision."},
	{ID: IndicatorCorrectCharge, Target: Target{TargetEq, 10000},
		Definition: "Each accused person and charge of a recorded verdict (role verdict) counts in the period of the " +
			"verdict, where the verdict lists them (workflow v2's charges: the suspect's number and the article, upheld or " +
			"not); a verdict that lists none counts once, for the case. Numerator: charges the court upheld (a listed " +
			"charge with upheld true; else the verdict's role charge_upheld). First-instance verdicts only."},
	{ID: IndicatorCourtResolution, Target: Target{TargetGt, 9000},
		Definition: "Each case the court accepted counts once, in the period in which its first clock of role " +
			"trial_preparation_limit (BLTTHS Điều 277, with extensions) is due; a case returned and accepted again is not " +
			"counted again. Numerator: the case was tried or " +
			"otherwise disposed of — a verdict (role verdict) or the court's dismissal (role court_disposal) recorded since " +
			"the acceptance, whenever. A decision to bring to trial, a suspension or a return is not a disposal. Pending: " +
			"not disposed of while a court clock of the case (preparation, or the hearing after a decision to try) is still " +
			"within its limit."},
	{ID: IndicatorYearOnYear, Target: Target{TargetLe, -500}, Change: true,
		Definition: "Numerator: crimes against children — decisions to prosecute (role prosecution_decided) recorded in the " +
			"period whose Penal Code article is one of the plan's scope (PlanCrimeArticles, or COMPLIANCE_ARTICLES). " +
			"Denominator: the same in the same dates one year earlier (29 February becomes 28 February), counted on today's " +
			"units, former communes under the unit they became part of. Value: numerator ÷ denominator − 1. The plan asks for a fall of " +
			"5–7% a year; the target is met by a fall of at least 5% (a larger fall also meets it, and is worth a look for " +
			"under-reporting)."},
	{ID: IndicatorEmergencyResponse, Target: Target{TargetNone, 0},
		Definition: "Each clock of role emergency_protection (started when the report is received, Decree 56/2017 Điều 26.3) " +
			"counts in the period in which the report was received. Left out: clocks that ended within the 12 hours without " +
			"measures (measures found not needed, or the case closed). Numerator: measures taken (role emergency_protection) " +
			"within the limit. A decision that measures were not needed taken after the limit counts as not met. Pending: " +
			"undecided within the limit."},
	{ID: IndicatorSupportPlanOnTime, Target: Target{TargetNone, 0},
		Definition: "Each clock of role support_plan_draft counts in the period in which it started. Left out: clocks that " +
			"ended within the limit without a plan (the case closed). Numerator: the plan was drafted within 5 working days " +
			"(role plan_drafted) and then approved within 2 working days of the draft (role plan_approved, stopping the " +
			"support_plan_approval clock that the draft started). Pending: either step still within its limit. On workflow " +
			"v2 the clock starts at the assessment, in every case, beside the criminal track."},
	{ID: IndicatorSupportPlanShare, Target: Target{TargetNone, 0},
		Definition: "Each case received in the period (received_at) counts, except a duplicate or one transferred out. " +
			"Numerator: a support plan has been drafted for it (role plan_drafted), whenever. Pending: none — a case " +
			"without a plan yet counts as without one."},
}

// PendingClockRoles maps the indicators whose items are clocks to the role
// of those clocks, for counting what is still pending.
var PendingClockRoles = map[IndicatorID]ClockRole{
	IndicatorIntake:            ClockPoliceAcceptance,
	IndicatorResolution:        ClockResolution,
	IndicatorClearance:         ClockInvestigation,
	IndicatorIndictmentOnTime:  ClockIndictment,
	IndicatorCourtResolution:   ClockTrialPreparation,
	IndicatorEmergencyResponse: ClockEmergencyMeasures,
	IndicatorSupportPlanOnTime: ClockSupportPlanDraft,
}

// IndicatorByID returns the definition of an indicator.
func IndicatorByID(id string) (Indicator, bool) {
	for _, ind := range Indicators {
		if string(ind.ID) == id {
			return ind, true
		}
	}
	return Indicator{}, false
}

// Figure is a numerator over a denominator.
type Figure struct {
	Numerator   int64
	Denominator int64
}

// Add returns the sum of two figures; figures of disjoint units add up.
func (f Figure) Add(g Figure) Figure {
	return Figure{Numerator: f.Numerator + g.Numerator, Denominator: f.Denominator + g.Denominator}
}

// Value is the indicator's value for a figure: the ratio, or the change for
// a change indicator; nil ("no data") when the denominator is zero.
func (ind Indicator) Value(f Figure) *float64 {
	if f.Denominator == 0 {
		return nil
	}
	v := float64(f.Numerator) / float64(f.Denominator)
	if ind.Change {
		v--
	}
	return &v
}

// Met says whether a figure meets the indicator's target; nil when there is
// no data or no target. It compares whole numbers: q·den·10000 against
// target·den, where q·den is the numerator (or numerator − denominator for a
// change).
func (ind Indicator) Met(f Figure) *bool {
	if f.Denominator == 0 || ind.Target.Op == TargetNone || ind.Target.Op == "" {
		return nil
	}
	q := f.Numerator
	if ind.Change {
		q -= f.Denominator
	}
	lhs, rhs := q*10000, ind.Target.BasisPoints*f.Denominator
	var ok bool
	switch ind.Target.Op {
	case TargetEq:
		ok = lhs == rhs
	case TargetGt:
		ok = lhs > rhs
	case TargetLe:
		ok = lhs <= rhs
	}
	return &ok
}

// Result is an indicator's figure with its value and verdict.
func (ind Indicator) Result(f Figure) IndicatorResult {
	return IndicatorResult{Indicator: ind, Figure: f, Value: ind.Value(f), Met: ind.Met(f)}
}

// IndicatorResult is one indicator as a report shows it.
type IndicatorResult struct {
	Indicator Indicator
	Figure
	// Pending counts the items started in the period that are still within
	// their limit and undecided: they count in neither part yet (the
	// report's own unit only).
	Pending int64
	Value   *float64
	Met     *bool
}

// The timings of a report's period.
const (
	PeriodEnded      = "ended"
	PeriodPartial    = "partial"
	PeriodNotStarted = "not_started"
)

// TimingAt says where a period stands at asOf.
func (p Period) TimingAt(asOf time.Time) string {
	switch {
	case !asOf.After(p.Start()):
		return PeriodNotStarted
	case asOf.Before(p.End()):
		return PeriodPartial
	}
	return PeriodEnded
}

// Period is a reporting period: whole days From to To inclusive, in
// Asia/Ho_Chi_Minh. From and To are the midnights that start those days.
type Period struct {
	From time.Time
	To   time.Time
}

// Start is the first instant of the period.
func (p Period) Start() time.Time { return p.From.UTC() }

// End is the first instant after the period.
func (p Period) End() time.Time { return p.To.AddDate(0, 0, 1).UTC() }

// FromDate and ToDate are the period's days as YYYY-MM-DD.
func (p Period) FromDate() string { return p.From.Format("2006-01-02") }

// ToDate is the last day of the period as YYYY-MM-DD.
func (p Period) ToDate() string { return p.To.Format("2006-01-02") }

// YearEarlier is the same dates one year before; 29 February becomes 28 February.
func (p Period) YearEarlier() Period {
	back := func(t time.Time) time.Time {
		y, m, d := t.Date()
		if m == time.February && d == 29 {
			d = 28
		}
		return time.Date(y-1, m, d, 0, 0, 0, 0, Zone)
	}
	return Period{From: back(p.From), To: back(p.To)}
}

// MaxPeriodDays bounds a report's period, so that one request cannot ask for
// an unbounded scan.
const MaxPeriodDays = 3660

// ParsePeriod reads a period from two dates (YYYY-MM-DD, inclusive). An
// empty to is today; an empty from is 1 January of to's year. Bad values are
// an invalid error naming "from" or "to".
func ParsePeriod(from, to string, now time.Time) (Period, error) {
	fe := FieldErrors{}
	day := func(field, v string) time.Time {
		t, err := time.ParseInLocation("2006-01-02", v, Zone)
		if err != nil {
			fe.Add(field, FieldError{Code: FieldNotADate, Message: "must be a date YYYY-MM-DD"})
			return time.Time{}
		}
		if t.Year() < 2000 || t.Year() > 2100 {
			fe.Add(field, FieldError{Code: FieldOutOfRange, Message: "must be a date between 2000 and 2100", Min: 2000, Max: 2100})
		}
		return t
	}
	var p Period
	if to == "" {
		y, m, d := now.In(Zone).Date()
		p.To = time.Date(y, m, d, 0, 0, 0, 0, Zone)
	} else {
		p.To = day("to", to)
	}
	if from == "" {
		p.From = time.Date(p.To.Year(), time.January, 1, 0, 0, 0, 0, Zone)
	} else {
		p.From = day("from", from)
	}
	if err := fe.Err(); err != nil {
		return Period{}, err
	}
	if p.To.Before(p.From) {
		fe.Add("to", FieldError{Code: FieldBeforeStart, Message: "is before from"})
	} else if days := int(p.End().Sub(p.Start()).Hours() / 24); days > MaxPeriodDays {
		fe.Add("to", FieldError{Code: FieldPeriodTooLong, Message: fmt.Sprintf("the period is longer than %d days", MaxPeriodDays), Max: MaxPeriodDays})
	}
	return p, fe.Err()
}

// ComplianceQuery asks for the figures of one unit over one period. AsOf is
// the moment the report is made: what is recorded by then decides the
// numerators, and what is still within its limit then is pending.
type ComplianceQuery struct {
	Period Period
	Unit   Unit
	AsOf   time.Time
	// Structure is the administrative structure the figures are reported
	// on: cases of units of another structure count under the unit of this
	// one they became part of.
	Structure string
	// Articles are the Penal Code articles of the plan's scope, which the
	// year-on-year change counts; PlanCrimeArticles when empty.
	Articles []string
}

// PlanCrimeArticles are the Penal Code 2015 articles of crimes against
// children that the year-on-year change counts by default: ill-treatment
// (Đ140), the sexual offences against children (Đ141–Đ147), trafficking and
// abduction of children (Đ150, Đ151, Đ153) and domestic ill-treatment
// (Đ185). A province whose plan names other articles sets
// COMPLIANCE_ARTICLES.
var PlanCrimeArticles = []string{"140", "141", "142", "143", "144", "145", "146", "147", "150", "151", "153", "185"}

// Structure is one administrative structure of a province, valid over a
// span of days.
type Structure struct {
	ID        string
	Label     string
	LabelEn   string
	ValidFrom time.Time
	ValidTo   *time.Time
}

// ValidOn reports whether the structure is in force on the day of t.
func (s Structure) ValidOn(t time.Time) bool { return ValidOn(s.ValidFrom, s.ValidTo, t) }

// Covers reports whether the structure was in force over the whole of p, or
// is the one in force now (which every earlier period is reported on).
func (s Structure) Covers(p Period) bool {
	return s.ValidTo == nil || !Day(p.End().Add(-time.Nanosecond)).After(Day(*s.ValidTo))
}

// UnitMapping says under which unit of the report a former unit's cases
// count, when that is not the whole story: a unit split between several.
type UnitMapping struct {
	From     Unit
	To       Unit
	Portion  string // the part of From that To took: partial or remaining
	Verified bool
}

// ComplianceReport is every indicator of a unit over a period, with the
// breakdowns that go to the People's Council.
type ComplianceReport struct {
	// ReadFrom is where the figures were read: ReadReplica or ReadPrimary;
	// Replica is what was last measured of the replica.
	ReadFrom string
	Replica  ReplicaState
	Period   Period
	Unit     Unit
	AsOf     time.Time
	// Timing says whether the period has ended at AsOf (PeriodEnded), is
	// still running (PeriodPartial: its figures are those so far, and the
	// year-on-year change compares the same days so far), or has not begun
	// (PeriodNotStarted: every figure is "no data").
	Timing string
	// Indicators are the unit's figures, one per Indicators entry, in order.
	Indicators []IndicatorResult
	// Units are the units directly below Unit (districts of a province,
	// communes of a district), each with the same indicators; empty for a
	// commune.
	Units []UnitResult
	// Agencies are the agencies responsible for at least one counted item
	// or breach, with the indicators attributed to them.
	Agencies []AgencyResult
	// Breaches counts the clocks due in the period whose limit passed
	// before they were stopped, per clock.
	Breaches []BreachCount
	// Escalations counts, per clock, the breaches due in the period that
	// were escalated because nobody acknowledged or mended them in time.
	Escalations []BreachCount
	// Children is Circular 13/2021 indicator 0101: abused children.
	Children ChildBreakdown
	// Structure is the administrative structure the report is on.
	Structure string
	// Split lists the former units, split between several units of the
	// report's structure, whose cases count under the one that took their
	// main part.
	Split []UnitMapping
	// Unplaced lists the former units whose successor is not established:
	// their cases count in the totals of the province, under no unit below it.
	Unplaced []Unit
}

// BreachTotal is the number of breaches over all clocks.
func (r *ComplianceReport) BreachTotal() int64 { return sumBreaches(r.Breaches) }

// EscalationTotal is the number of escalated breaches over all clocks.
func (r *ComplianceReport) EscalationTotal() int64 { return sumBreaches(r.Escalations) }

func sumBreaches(bs []BreachCount) int64 {
	var n int64
	for _, b := range bs {
		n += b.Count
	}
	return n
}

// UnitResult is the figures of one unit below the report's unit.
type UnitResult struct {
	Unit        Unit
	Indicators  []IndicatorResult
	Breaches    int64
	Escalations int64
}

// AgencyResult is the figures attributed to one agency: for clock-based
// indicators the clock's responsible agency, for event-based ones the agency
// that recorded the event. Indicators holds only those with a denominator.
type AgencyResult struct {
	Agency      Agency
	Indicators  []IndicatorResult
	Breaches    []BreachCount
	Escalations int64
}

// BreachTotal is the agency's number of breaches over all clocks.
func (a AgencyResult) BreachTotal() int64 { return sumBreaches(a.Breaches) }

// BreachCount is the number of breaches of one clock.
type BreachCount struct {
	Clock   string
	LabelVI string
	LabelEN string
	Count   int64
}

// ChildBreakdown counts the children of the cases received in the period
// (Circular 13/2021/TT-BLĐTBXH indicator 0101). A case with several abuse
// types counts its children under each, so ByAbuseType may add up to more
// than Total.
type ChildBreakdown struct {
	// Total counts the children under 16 (Law on Children Điều 1) and those
	// of unknown age; the breakdowns count the same children, except the
	// age group 16-17, which holds Aged16To17: young people of 16 and 17,
	// counted apart and outside the total.
	Total       int64
	Aged16To17  int64
	BySex       []Count
	ByAgeGroup  []Count
	BySetting   []Count
	ByAbuseType []Count
}

// Count is one row of a breakdown: a value of its dimension (a sex, an age
// group, a setting, an abuse type) and how many children have it.
type Count struct {
	Key   string
	Count int64
}

// AgeGroups are the age groups of indicator 0101, by age at the report.
var AgeGroups = []struct {
	Key      string
	Min, Max int
}{{"0-5", 0, 5}, {"6-10", 6, 10}, {"11-15", 11, 15}, {"16-17", 16, 17}}

// AgeUnknown is the age group of a child whose age is not recorded.
const AgeUnknown = "unknown"

// AgeGroupOf returns the age group of an age in years.
func AgeGroupOf(age *int) string {
	if age == nil {
		return AgeUnknown
	}
	for _, g := range AgeGroups {
		if *age >= g.Min && *age <= g.Max {
			return g.Key
		}
	}
	return AgeUnknown
}

// BreakdownKeys lists the keys of each 0101 dimension in report order;
// every key is shown, with zero when nothing was counted.
var BreakdownKeys = map[string][]string{
	"sex":        Sexes,
	"age_group":  {"0-5", "6-10", "11-15", "16-17", AgeUnknown},
	"setting":    Settings,
	"abuse_type": AbuseTypes,
}

// ComplianceCaseQuery asks for the items behind one figure: the cases
// counted by an indicator (or the breaches), codes and dates only.
type ComplianceCaseQuery struct {
	ComplianceQuery
	// Indicator is an indicator id or Breaches.
	Indicator string
	// Part narrows the items: PartAll, PartNumerator, PartDenominator or PartMissed.
	Part string
	// Clock limits breaches to one clock.
	Clock string
	// AgencyID limits the items to those attributed to one agency (0: all).
	AgencyID int64
	// After is the cursor of the previous page.
	After string
	Limit int
}

// Parts of a figure a drill-down can list.
const (
	PartAll         = "all"         // every item counted (for a ratio, the denominator)
	PartNumerator   = "numerator"   // the items in the numerator
	PartDenominator = "denominator" // the items in the denominator
	PartMissed      = "missed"      // in the denominator but not the numerator
)

// Parts lists the parts of a figure.
var Parts = []string{PartAll, PartNumerator, PartDenominator, PartMissed}

// Verdicts on an indicator against its target.
const (
	VerdictMet      = "met"       // the figure meets the target
	VerdictUnmet    = "unmet"     // it does not
	VerdictNoData   = "no_data"   // the denominator is zero
	VerdictNoTarget = "no_target" // the plan sets no target: the figure is watched
)

// Verdicts lists the verdicts.
var Verdicts = []string{VerdictMet, VerdictUnmet, VerdictNoData, VerdictNoTarget}

// ComplianceItem is one item behind a figure: no personal data, only the
// case's code, state, commune and dates.
type ComplianceItem struct {
	Code       string
	State      string
	ReceivedAt time.Time
	Commune    Unit
	AgencyCode string
	Clock      string
	// At is the date that put the item in the period.
	At     time.Time
	DueAt  *time.Time
	DoneAt *time.Time
	// InNumerator and InDenominator say where the item counts.
	InNumerator   bool
	InDenominator bool
}

// Lateness returns how many seconds past its due time the item was done, or
// is still undone at asOf; nil when it was on time or has no due time.
func (it ComplianceItem) Lateness(asOf time.Time) *int64 {
	if it.DueAt == nil {
		return nil
	}
	end := asOf
	if it.DoneAt != nil {
		end = *it.DoneAt
	}
	if !end.After(*it.DueAt) {
		return nil
	}
	n := int64(end.Sub(*it.DueAt).Seconds())
	return &n
}

// ComplianceItemPage is one page of a drill-down, with the period and unit
// it is about.
type ComplianceItemPage struct {
	Period     Period
	Unit       Unit
	AsOf       time.Time
	Items      []ComplianceItem
	NextCursor string
}

// OutcomesWithoutAbuse are the outcomes of cases that do not count in
// indicator 0101: no crime found, a duplicate, transferred elsewhere.
var OutcomesWithoutAbuse = []string{"no_crime_support_only", "duplicate", "transferred_out"}

// ChildAgeLimit is the age from which a person is no longer a child (Law on
// Children Điều 1).
const ChildAgeLimit = 16

// MonthFigure is an indicator's figure for one month (YYYY-MM, in Vietnam).
type MonthFigure struct {
	Month string
	Figure
}

// Where a read that may be a little behind was served.
const (
	ReadPrimary = "primary"
	ReadReplica = "replica"
)

// ReplicaState is what was last measured of the streaming replica that
// serves compliance reads.
type ReplicaState struct {
	// Configured says a replica is set up at all.
	Configured bool
	// Up says it answered as a streaming replica; Lag is how far its
	// replayed data is behind the primary's, Problem why it is not up.
	Up      bool
	Lag     time.Duration
	Problem string
	// MaxLag is the bound beyond which reads go to the primary.
	MaxLag     time.Duration
	MeasuredAt time.Time
}

// Serves says the replica serves reads: up and within its bound.
func (r ReplicaState) Serves() bool { return r.Configured && r.Up && r.Lag <= r.MaxLag }
