package caseflow

import "time"

// EventRequest asks to fire a workflow event on a case. Version is the case
// version the caller last saw; a stale one is a conflict.
type EventRequest struct {
	Event   string
	Version int
	Note    string
	Data    map[string]any
	// OccurredAt is when the act happened, when it is not now: not in the
	// future, not before the case's previous step, and more than the
	// workflow's backdating allowance before now only with LateReason.
	OccurredAt *time.Time
	// OccurredDateOnly: OccurredAt names a day (its local midnight), not an
	// instant; the act is placed no earlier than the previous step that day.
	OccurredDateOnly bool
	LateReason       string
	// AgencyCode optionally picks the agency a referral goes to, among those
	// with jurisdiction over the case's commune.
	AgencyCode string
}

// LateEntryAfter is how long after an act its recording may come before the
// history marks the entry as late.
const LateEntryAfter = time.Hour

// MaxNote is the longest note accepted with an event, in bytes.
const MaxNote = 8 << 10

// Change is a checked transition, ready to be stored in one transaction.
type Change struct {
	CaseID  int64
	Code    string
	Version int // the version the change applies to
	Event   string
	From    string
	To      string
	Final   bool
	Note    string
	Data    map[string]any // structured values, stored as they are
	Secret  map[string]any // free-text values, stored encrypted
	At      time.Time      // when the act happened
	// RecordedAt is when it was entered, when that differs from At;
	// LateReason says why a late entry is late.
	RecordedAt time.Time
	LateReason string
	// Roles are what the event means, as its workflow declares them for the
	// fired data; stored with the history row and on the clocks it stops.
	Roles []EventRole

	CrimeCategory string // new category, or "" to keep
	Outcome       string // new outcome, or "" to keep

	Refer           AgencyType // agency type that gains access, or ""
	ReferAgencyCode string     // explicit choice, or "" for jurisdiction
	Release         []AgencyType

	StartClocks []ClockStart
	StopClocks  []ClockStop

	NewReferral    *Referral // a service referral created by this change
	ReferralID     int64     // a referral this change responds to
	ReferralStatus string    // its new status
	RevokeReferral bool      // whether the response ends the provider's access
}

// ClockStart is a deadline clock to start.
type ClockStart struct {
	Clock             string
	Role              ClockRole // what the clock measures, as its workflow declares
	Instance          string
	Responsible       AgencyType
	ResponsibleAgency int64 // when known (a referral's agency); else by jurisdiction
	Category          string
	Rule              string
	Amount            int
	Basis             string
	// Policy is the reading of Điều 134 the due time was computed under.
	Policy    string
	Notify    []string // "responsible", "supervisors" or agency types
	StartedAt time.Time
	DueAt     time.Time
	WarnAt    time.Time
	// Once: the clock is not started when it has run on the case before.
	Once bool
}

// ClockStop stops a running clock; an empty Instance stops every instance.
type ClockStop struct {
	Clock    string
	Instance string
}

// HistoryEntry is one recorded transition of a case.
type HistoryEntry struct {
	Version int
	Event   string
	From    string
	To      string
	// At is when the act happened (the decision's date as stated, or the
	// recording time); RecordedAt when it was entered; a Late entry was
	// entered well after the act, with LateReason when one was needed.
	At         time.Time
	RecordedAt time.Time
	Late       bool
	LateReason string
	Username   string
	AgencyCode string
	Note       string
	Data       map[string]any
}

// Referral statuses.
const (
	ReferralPending  = "pending"
	ReferralAccepted = "accepted"
	ReferralDeclined = "declined"
	ReferralDone     = "done"
)

// ReferralStatuses lists the referral statuses, in the order a referral
// goes through them.
var ReferralStatuses = []string{ReferralPending, ReferralAccepted, ReferralDeclined, ReferralDone}

// Services that can be referred at any stage, and the agency types that may
// provide each.
var Services = map[string][]AgencyType{
	"emergency_protection": {AgencyCommune, AgencySocial},
	"medical_care":         {AgencyHealth},
	"counselling":          {AgencySocial, AgencyHealth, AgencyMassOrg},
	"legal_aid":            {AgencyLegalAid},
	"education":            {AgencyEducation},
	"alternative_care":     {AgencySocial, AgencyCommune},
}

// Referral is a support-service referral of a case to an agency.
type Referral struct {
	ID        int64
	CaseCode  string
	Service   string
	Agency    Agency
	Status    string
	Note      string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// WorkItem is something the viewer's agency must act on.
type WorkItem struct {
	Code         string
	State        string
	ReceivedAt   time.Time
	WaitingSince time.Time
	DueAt        *time.Time
	Reason       string // WorkReasonState or WorkReasonReferral
	ReferralID   *int64
}

// Why a case is on an agency's worklist.
const (
	WorkReasonState    = "state"    // the case is at a stage of the agency
	WorkReasonReferral = "referral" // a support-service referral waits for the agency
)

// WorkReasons lists the reasons of a work item.
var WorkReasons = []string{WorkReasonState, WorkReasonReferral}

// Clock statuses, as stored. A running clock past its warning point is
// still running.
const (
	ClockRunning  = "running"
	ClockStopped  = "stopped"
	ClockBreached = "breached"
)

// ClockStatuses lists the clock statuses.
var ClockStatuses = []string{ClockRunning, ClockStopped, ClockBreached}

// Clock is a deadline clock of a case as shown to users.
type Clock struct {
	ID          int64
	Clock       string
	Instance    string
	Status      string
	Generation  int
	Responsible AgencyType
	AgencyCode  string
	Category    string
	Rule        string
	Amount      int
	Basis       string
	// Policy is the reading of Điều 134 the due time was computed under.
	Policy     string
	StartedAt  time.Time
	DueAt      time.Time
	WarnAt     time.Time
	WarnedAt   *time.Time
	StoppedAt  *time.Time
	BreachedAt *time.Time
	Extensions []Extension
}

// Extension is a recorded extension of a clock.
type Extension struct {
	// Rule and Amount are what the extension added; when it was stated as a
	// new total limit, TotalRule and TotalAmount hold that total, counted
	// from the clock's start, and Rule/Amount are empty.
	Rule        string `json:"rule,omitempty"`
	Amount      int    `json:"amount,omitempty"`
	TotalRule   string `json:"total_rule,omitempty"`
	TotalAmount int    `json:"total_amount,omitempty"`
	// Step is the workflow's extension step used, GrantedBy the authority
	// whose decision it is (in Vietnamese), Decision its number.
	Step      string `json:"step,omitempty"`
	GrantedBy string `json:"granted_by,omitempty"`
	Decision  string `json:"decision,omitempty"`
	// RequestedOn is the day the extension was asked for (YYYY-MM-DD);
	// LateRequest marks a request later than the step allows.
	RequestedOn string    `json:"requested_on,omitempty"`
	LateRequest bool      `json:"late_request,omitempty"`
	Reason      string    `json:"reason"`
	LegalBasis  string    `json:"legal_basis"`
	By          string    `json:"by"`
	At          time.Time `json:"at"`
	DueBefore   time.Time `json:"due_before"`
	DueAfter    time.Time `json:"due_after"`
}

// Notification tells an agency or the supervisors of a warning or breach.
// It carries no personal data: case code, clock and due time only.
type Notification struct {
	ID        int64
	Kind      string // NotificationWarning or NotificationBreach
	Audience  string // "agency" or "supervisors"
	CaseCode  string
	Clock     string
	DueAt     time.Time
	Message   string
	CreatedAt time.Time
	ReadAt    *time.Time
}

// Kinds of notification.
const (
	NotificationWarning = "warning" // a clock passed its warning point
	NotificationBreach  = "breach"  // a clock passed its due time
)

// NotificationKinds lists the kinds of notification.
var NotificationKinds = []string{NotificationWarning, NotificationBreach}

// Notifier delivers notifications beyond the API (e-mail, SMS). The record
// is the database; a notifier that fails is retried, never relied on.
type Notifier interface {
	Notify(n Notification) error
}
