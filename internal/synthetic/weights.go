package synthetic

import "caseflow/internal/caseflow"

// The distributions of the synthetic cases: plausible, not measured. What
// happens to a case is chosen by what its events and clocks mean (their
// roles) and by the shape of the workflow, never by their ids, so that a
// renamed or reworded workflow plays the same stories.

// choice is one outcome of a random draw and its probability.
type choice struct {
	key string
	p   float64
}

// The facts of a report, which the workflow does not decide.
var (
	settings = []choice{{"family", 0.55}, {"school", 0.15}, {"online", 0.12}, {"public", 0.12}, {"other", 0.06}}
	abuses   = []choice{{"sexual", 0.45}, {"physical", 0.30}, {"emotional", 0.10}, {"neglect", 0.08}, {"online", 0.04},
		{"trafficking", 0.01}, {"child_labour", 0.01}, {"child_marriage", 0.01}}
	channels = []choice{{"hotline_111", 0.25}, {"phone_call", 0.08}, {"walk_in", 0.17}, {"school", 0.15}, {"health_facility", 0.10},
		{"police", 0.15}, {"online", 0.05}, {"other", 0.05}}
	sexes = []choice{{"female", 0.62}, {"male", 0.36}, {"unknown", 0.02}}
)

// eventWeights is how likely an event with a role is chosen among the
// events that could happen next, against 1 for an event without one (see
// walker.weight for the shape of the workflow, which decides those). An
// event with several roles weighs as its heaviest.
//
// The resolution of a report (BLTTHS Đ147) is to prosecute about half the
// time, decline a little over a third and suspend the rest; the police
// return a referral now and then, mostly when it arrives.
var eventWeights = map[caseflow.EventRole]float64{
	caseflow.EventPoliceAcceptance:    1,
	caseflow.EventHandOff:             0.05,
	caseflow.EventResolution:          0.12,
	caseflow.EventProsecution:         0.50,
	caseflow.EventProsecutionDeclined: 0.38,
	caseflow.EventVerdict:             1,
	caseflow.EventSupportPlanDrafted:  1,
	caseflow.EventSupportPlanApproved: 1,
}

// handOffLater scales a hand-off that ends any clock but the police's
// acceptance: a report is returned when it arrives, rarely once accepted.
const handOffLater = 0.1

// Emergency measures are taken for nearly every child in immediate danger
// and for about a third of the others.
const (
	emergencyWhenInDanger = 19.0
	emergencyOtherwise    = 0.55
	dangerShare           = 0.3
)

// conditionalShares is how often a conditional role holds when its event
// happens; the walk sets the event's data to match.
var conditionalShares = map[caseflow.EventRole]float64{
	caseflow.EventProsecutionOfSeriousCrime: 0.35,
	caseflow.EventDeclinedDespiteCrimeSigns: 0.20,
	caseflow.EventChargeUpheld:              0.92,
}

// defaultConditionalShare is the share of a conditional role not listed.
const defaultConditionalShare = 0.5

// optionalShares is how often an event that nothing waits for (it stops no
// running clock) happens while the case is in one of its states: clearance
// for most prosecuted cases.
var optionalShares = map[caseflow.EventRole]float64{
	caseflow.EventClearance: 0.87,
}

// The share of the other optional events: those that start a clock with a
// role (the case cannot go on without them), those that start some other
// clock, the first steps after the report (in the initial state), and the
// rest. An event that stops a clock is never optional: it happens when a
// clock it stops runs, or to move the case on.
const (
	optionalStartsRoleClock = 0.97
	optionalStartsClock     = 0.55
	optionalFirstSteps      = 0.9
	optionalOther           = 0.25
)

// timing is how the event that stops a clock comes: within the limit with
// probability met (else late, by up to half the limit again), never with
// probability never (the case sits there), and how often the limit is
// extended first, when the workflow allows it.
type timing struct {
	met, never, extend float64
}

// clockTimings: most limits are met and a realistic minority breached.
var clockTimings = map[caseflow.ClockRole]timing{
	caseflow.ClockEmergencyMeasures:   {met: 0.88},
	caseflow.ClockPoliceAcceptance:    {met: 0.92},
	caseflow.ClockResolution:          {met: 0.92, never: 0.03, extend: 0.25},
	caseflow.ClockInvestigation:       {met: 0.90, never: 0.08, extend: 0.15},
	caseflow.ClockIndictment:          {met: 0.96, extend: 0.07},
	caseflow.ClockTrialPreparation:    {met: 0.93, never: 0.03, extend: 0.07},
	caseflow.ClockSupportPlanDraft:    {met: 0.85},
	caseflow.ClockSupportPlanApproval: {met: 0.88},
}

// defaultTiming is the timing of a clock without a listed role.
var defaultTiming = timing{met: 0.85, never: 0.01, extend: 0.05}

// secondExtension is the chance that an extended clock is extended again.
const secondExtension = 0.12

// The shape of the workflow, for events whose roles say nothing: an event
// that refers the case to another agency carries it on; one that leads to
// a state the case has been in sends it back; one that ends in a final
// state closes it; one that only records, stopping a clock without
// starting another, leaves the case where it was.
const (
	referWeight = 6.0
	backWeight  = 0.06
	finalWeight = 0.3
	stallWeight = 0.1
)

// valueWeights are the shares of some enum values; any other value weighs 1.
var valueWeights = map[string]float64{
	"less_serious": 0.30, "serious": 0.35, "very_serious": 0.25, "especially_serious": 0.10,
	"low": 0.3, "medium": 0.4, "high": 0.3,
	"convicted": 0.94, "acquitted": 0.06,
}

// roleAgencies is the agency type of users of each role, for the agency a
// synthetic event is recorded by.
var roleAgencies = map[caseflow.Role]caseflow.AgencyType{
	caseflow.RoleCommuneOfficer: caseflow.AgencyCommune,
	caseflow.RolePolice:         caseflow.AgencyPolice,
	caseflow.RoleHealth:         caseflow.AgencyHealth,
	caseflow.RoleProsecutor:     caseflow.AgencyProcuracy,
	caseflow.RoleCourt:          caseflow.AgencyCourt,
	caseflow.RoleSocialWorker:   caseflow.AgencySocial,
	caseflow.RoleLegalAid:       caseflow.AgencyLegalAid,
}

// penalArticles are the Penal Code articles a case of child abuse is
// prosecuted under, with how often each is chosen: the sexual offences against children
// most, then injury and ill-treatment, a few others.
var penalArticles = []choice{
	{"145", 0.24}, {"146", 0.18}, {"142", 0.10}, {"144", 0.04}, {"147", 0.03}, {"141", 0.03}, {"143", 0.01},
	{"134", 0.12}, {"140", 0.06}, {"185", 0.08}, {"150", 0.01}, {"151", 0.02}, {"153", 0.01}, {"155", 0.03}, {"123", 0.01}, {"168", 0.03},
}
