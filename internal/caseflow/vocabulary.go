package caseflow

// The workflow's vocabulary is its own: a definition names its events and
// clocks as it likes, and a later version may rename them. What the rest of
// the service needs to know of them — which event is the police's acceptance,
// which clock is the resolution limit — a definition declares as roles
// (`counts_as` in the workflow file). Compliance, referrals and synthetic
// data read roles, never event or clock ids. The roles are the domain's:
// they name what the plan and the statutes count, and they are stored on the
// rows that record events and clocks, so figures stay comparable across
// versions.

// EventRole is what firing an event means beyond its own workflow.
type EventRole string

// The event roles.
const (
	// EventPoliceAcceptance: the police accept (thụ lý) a referred report.
	EventPoliceAcceptance EventRole = "police_acceptance"
	// EventResolution: the report is resolved (BLTTHS Đ147: prosecute,
	// decline or suspend).
	EventResolution EventRole = "resolution"
	// EventHandOff: the report lawfully leaves the agency resolving it
	// (returned, transferred), which ends its resolution limit unresolved.
	EventHandOff EventRole = "hand_off"
	// EventProsecution: a decision to prosecute.
	EventProsecution EventRole = "prosecution_decided"
	// EventProsecutionOfSeriousCrime: a decision to prosecute a very or
	// especially serious crime (a conditional role).
	EventProsecutionOfSeriousCrime EventRole = "prosecution_of_serious_crime"
	// EventProsecutionDeclined: a decision not to prosecute.
	EventProsecutionDeclined EventRole = "prosecution_declined"
	// EventDeclinedDespiteCrimeSigns: a decision not to prosecute a report
	// that had signs of a crime (a conditional role).
	EventDeclinedDespiteCrimeSigns EventRole = "declined_despite_crime_signs"
	// EventClearance: the case is cleared (the offender identified).
	EventClearance EventRole = "clearance"
	// EventIndictmentDecision: the procuracy decides on the file (charge,
	// dismiss or return it), which ends its limit for that decision.
	EventIndictmentDecision EventRole = "indictment_decision"
	// EventTrialDecision: the court decides on the file within its
	// preparation limit.
	EventTrialDecision EventRole = "trial_decision"
	// EventVerdict: the court's verdict.
	EventVerdict EventRole = "verdict"
	// EventCourtDisposal: the court disposes of a case without a verdict
	// (đình chỉ vụ án): with a verdict, what court resolution counts.
	EventCourtDisposal EventRole = "court_disposal"
	// EventChargeUpheld: a verdict that upholds the charge (a conditional
	// role).
	EventChargeUpheld EventRole = "charge_upheld"
	// EventEmergencyMeasures: emergency protection measures were taken.
	EventEmergencyMeasures EventRole = "emergency_protection"
	// EventSupportPlanDrafted: the support plan is drafted.
	EventSupportPlanDrafted EventRole = "plan_drafted"
	// EventSupportPlanApproved: the support plan is approved.
	EventSupportPlanApproved EventRole = "plan_approved"
	// EventServiceReferral: a support service is referred to a provider;
	// the referrals endpoints fire it.
	EventServiceReferral EventRole = "service_referral"
	// EventServiceReferralAccepted: the provider accepts a referral.
	EventServiceReferralAccepted EventRole = "service_referral_accepted"
	// EventServiceReferralDeclined: the provider declines a referral.
	EventServiceReferralDeclined EventRole = "service_referral_declined"
)

// EventRoles lists every event role.
var EventRoles = []EventRole{EventPoliceAcceptance, EventResolution, EventHandOff, EventProsecution,
	EventProsecutionOfSeriousCrime, EventProsecutionDeclined, EventDeclinedDespiteCrimeSigns, EventClearance,
	EventIndictmentDecision, EventTrialDecision, EventVerdict, EventChargeUpheld, EventEmergencyMeasures,
	EventSupportPlanDrafted, EventSupportPlanApproved, EventServiceReferral, EventServiceReferralAccepted,
	EventServiceReferralDeclined, EventCourtDisposal}

// ReferralEventRoles are the roles of the events the referrals endpoints
// fire, never the events endpoint.
var ReferralEventRoles = []EventRole{EventServiceReferral, EventServiceReferralAccepted, EventServiceReferralDeclined}

// Valid reports whether r is one of the event roles.
func (r EventRole) Valid() bool {
	for _, x := range EventRoles {
		if x == r {
			return true
		}
	}
	return false
}

// ClockRole is what a deadline clock measures beyond its own workflow.
type ClockRole string

// The clock roles.
const (
	// ClockPoliceAcceptance: the police must accept a referred report.
	ClockPoliceAcceptance ClockRole = "police_acceptance"
	// ClockResolution: the police must resolve the report (Đ147).
	ClockResolution ClockRole = "resolution"
	// ClockInvestigation: the time limit for investigating a prosecuted case (Đ172).
	ClockInvestigation ClockRole = "investigation_limit"
	// ClockIndictment: the procuracy's limit to decide whether to charge.
	ClockIndictment ClockRole = "indictment_limit"
	// ClockTrialPreparation: the court's limit to prepare the trial.
	ClockTrialPreparation ClockRole = "trial_preparation_limit"
	// ClockEmergencyMeasures: emergency protection for a child in danger.
	ClockEmergencyMeasures ClockRole = "emergency_protection"
	// ClockSupportPlanDraft: drafting the support plan.
	ClockSupportPlanDraft ClockRole = "support_plan_draft"
	// ClockSupportPlanApproval: approving the support plan.
	ClockSupportPlanApproval ClockRole = "support_plan_approval"
	// ClockServiceReferralResponse: a provider's answer to a referral.
	ClockServiceReferralResponse ClockRole = "provider_response"
)

// ClockRoles lists every clock role.
var ClockRoles = []ClockRole{ClockPoliceAcceptance, ClockResolution, ClockInvestigation, ClockIndictment,
	ClockTrialPreparation, ClockEmergencyMeasures, ClockSupportPlanDraft, ClockSupportPlanApproval,
	ClockServiceReferralResponse}

// Valid reports whether r is one of the clock roles.
func (r ClockRole) Valid() bool {
	for _, x := range ClockRoles {
		if x == r {
			return true
		}
	}
	return false
}

// RequiredEventRoles are the event roles every workflow counted in
// compliance must declare: compliance and referrals count on all of them,
// except the court's disposal without a verdict, which a definition that
// does not model the court's dismissal leaves out.
var RequiredEventRoles = without(EventRoles, EventCourtDisposal)

// RequiredClockRoles are the clock roles every workflow counted in
// compliance must declare: all but the referral response, which no figure
// reads.
var RequiredClockRoles = without(ClockRoles, ClockServiceReferralResponse)

// without returns the list without one of its values.
func without[T comparable](list []T, skip T) []T {
	var out []T
	for _, x := range list {
		if x != skip {
			out = append(out, x)
		}
	}
	return out
}

// Vocabulary is what one workflow version's events and clocks mean, for
// deriving the roles of rows recorded before roles were stored.
type Vocabulary struct {
	WorkflowID string
	Version    int
	// Events maps an event id to its roles.
	Events map[string][]RoleRule
	// Clocks maps a clock id to its role.
	Clocks map[string]ClockRole
}

// RoleRule is one role of an event: always, or only when the stored value
// of Field (as text) is one of Values.
type RoleRule struct {
	Role   EventRole
	Field  string
	Values []string
}
