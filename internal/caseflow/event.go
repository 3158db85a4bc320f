package caseflow

import (
	"context"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"time"
)

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
	// Escalation is the ladder the clock climbs after a breach.
	Escalation []EscalationStep
}

// EscalationStep is one rung of an escalation ladder: after so many hours
// (from the breach, then from the rung before), tell To — the province's
// supervisors (EscalateProvinceSupervisors) or the agency of a type with
// jurisdiction over the case.
type EscalationStep struct {
	AfterHours int    `yaml:"after_hours" json:"after_hours"`
	To         string `yaml:"to" json:"to"`
}

// EscalateProvinceSupervisors names the province's supervisors as an
// escalation target.
const EscalateProvinceSupervisors = "province_supervisors"

// NotificationEscalation is the kind of notification an escalation is.
const NotificationEscalation = "escalation"

// NotificationDigest is an agency's daily digest of its deadlines.
const NotificationDigest = "digest"

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
	Code string
	// WorkflowID and WorkflowVersion are the case's workflow, which names
	// its states and clocks.
	WorkflowID      string
	WorkflowVersion int
	State           string
	ReceivedAt      time.Time
	WaitingSince    time.Time
	DueAt           *time.Time
	// DueClock is the deadline DueAt belongs to: what is to be done first.
	DueClock   string
	Reason     string // WorkReasonState or WorkReasonReferral
	ReferralID *int64
	// Briefs name the children by initials and age, for a viewer who may
	// see the case's people.
	Briefs []ChildBrief
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
	ID         int64
	Kind       string // NotificationWarning, NotificationBreach or NotificationNewWork
	Audience   string // "agency" or "supervisors"
	CaseCode   string
	Clock      string
	DueAt      time.Time // zero: new work with no deadline of its own
	LegalBasis string
	Message    string
	CreatedAt  time.Time
	ReadAt     *time.Time
	// AcknowledgedAt is when the agency told of a breach or escalation
	// acknowledged it.
	AcknowledgedAt *time.Time
	// Deliveries are the copies sent beyond the API, with how each went;
	// filled where asked for.
	Deliveries []Delivery
}

// Kinds of notification.
const (
	NotificationWarning = "warning"  // a clock passed its warning point
	NotificationBreach  = "breach"   // a clock passed its due time
	NotificationNewWork = "new_work" // a case was referred or returned to the agency
	// NotificationRoleGranted tells supervisors that an account of their
	// units may now read children's personal data.
	NotificationRoleGranted = "role_granted"
	// NotificationDataBreach reminds supervisors that the notice of a
	// personal-data breach to the specialised agency is due.
	NotificationDataBreach = "data_breach"
	// NotificationDataRequest reminds the agency that filed a case that a
	// request about the child's data is to be answered.
	NotificationDataRequest = "data_request"
)

// NotificationKinds lists the kinds of notification.
var NotificationKinds = []string{NotificationWarning, NotificationBreach, NotificationNewWork, NotificationEscalation, NotificationDigest,
	NotificationRoleGranted, NotificationDataBreach, NotificationDataRequest}

// Channels a notification is delivered on beyond the API.
const (
	ChannelEmail = "email"
	ChannelSMS   = "sms" // SMS or Zalo OA, through the province's gateway
)

// DeliveryChannels lists the delivery channels.
var DeliveryChannels = []string{ChannelEmail, ChannelSMS}

// Delivery states.
const (
	DeliveryPending = "pending"
	DeliverySent    = "sent"
	DeliveryFailed  = "failed" // the last attempt failed; it will be retried
	DeliveryDead    = "dead"   // every attempt failed; `caseflow notifications retry-dead` sends it again
)

// Delivery is one copy of a notification for one address on one channel.
type Delivery struct {
	ID           int64
	Notification Notification
	Channel      string
	Address      string
	Status       string
	Attempts     int
	LastError    string
	NotBefore    time.Time
	SentAt       *time.Time
}

// DeliveryTaskType is the queue task that sends one delivery.
const DeliveryTaskType = "delivery:send"

// DeliveryTaskID is the queue's id for a delivery's task: one per delivery
// however often the outbox is relayed.
func DeliveryTaskID(id int64) string { return "delivery:" + strconv.FormatInt(id, 10) }

// DeliveryPayload is what the task carries: the delivery's id only; the row
// decides the rest.
type DeliveryPayload struct {
	DeliveryID int64 `json:"delivery_id"`
}

// Sender sends a delivery on one channel; it returns when the message is
// accepted or ctx ends.
type Sender interface {
	Send(ctx context.Context, d Delivery) error
}

// ContactPoint is where an agency or a person is reached beyond the API:
// an e-mail address or a phone number (SMS / Zalo), for some kinds of
// notification (none listed: every kind), with quiet hours for a person
// (whole hours in Vietnam, from inclusive, to exclusive) that hold back
// everything but breaches.
type ContactPoint struct {
	ID        int64
	Channel   string
	Address   string
	Kinds     []string
	QuietFrom *int
	QuietTo   *int
}

// MaxContactPoints bounds the contact points of one agency or person.
const MaxContactPoints = 20

// CheckContactPoints validates contact points as an administrator or a
// person sent them, naming the offending field of each (contacts[i].field).
func CheckContactPoints(cs []ContactPoint, person bool) error {
	fe := FieldErrors{}
	if len(cs) > MaxContactPoints {
		fe.Add("contacts", FieldError{Code: FieldTooMany, Max: MaxContactPoints, Message: fmt.Sprintf("at most %d contact points", MaxContactPoints)})
		return fe.Err()
	}
	seen := map[string]bool{}
	for i, c := range cs {
		at := func(f string) string { return fmt.Sprintf("contacts[%d].%s", i, f) }
		switch c.Channel {
		case ChannelEmail:
			if !emailAddress.MatchString(c.Address) {
				fe.Add(at("address"), FieldError{Code: FieldNotAnEmail, Message: "must be an e-mail address"})
			}
		case ChannelSMS:
			if !phoneNumber.MatchString(c.Address) {
				fe.Add(at("address"), FieldError{Code: FieldNotAPhone, Message: "must be a phone number: 9 to 15 digits, + first if international"})
			}
		default:
			fe.Add(at("channel"), FieldError{Code: FieldNotOneOf, Message: "must be one of email, sms", Allowed: DeliveryChannels})
		}
		if seen[c.Channel+" "+c.Address] {
			fe.Add(at("address"), FieldError{Code: FieldDuplicate, Value: c.Address, Message: "is listed twice"})
		}
		seen[c.Channel+" "+c.Address] = true
		for _, k := range c.Kinds {
			if !slices.Contains(NotificationKinds, k) {
				fe.Add(at("kinds"), FieldError{Code: FieldNotOneOf, Message: "lists a kind of notification that does not exist", Allowed: NotificationKinds})
			}
		}
		if (c.QuietFrom == nil) != (c.QuietTo == nil) {
			fe.Add(at("quiet_to"), FieldError{Code: FieldRequired, Message: "quiet hours need both quiet_from and quiet_to"})
		}
		for f, h := range map[string]*int{"quiet_from": c.QuietFrom, "quiet_to": c.QuietTo} {
			if h != nil && (*h < 0 || *h > 23) {
				fe.Add(at(f), FieldError{Code: FieldOutOfRange, Min: 0, Max: 23, Message: "must be an hour from 0 to 23"})
			}
			if h != nil && !person {
				fe.Add(at(f), FieldError{Code: FieldUnknownField, Message: "an agency's duty contact has no quiet hours"})
			}
		}
	}
	return fe.Err()
}

var (
	emailAddress = regexp.MustCompile(`^[^@\s<>,;"]{1,64}@[A-Za-z0-9.-]{1,190}\.[A-Za-z]{2,24}$`)
	phoneNumber  = regexp.MustCompile(`^\+?[0-9]{9,15}$`)
)
