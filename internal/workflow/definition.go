package workflow

import (
	"slices"

	"github.com/looplab/fsm"

	"caseflow/internal/caseflow"
)

// Label is a name shown to users, in Vietnamese and in English.
type Label struct {
	VI string `yaml:"vi" json:"vi"`
	EN string `yaml:"en" json:"en"`
}

// Definition is one version of a workflow, as loaded from a YAML file; it is
// shared by every case started on that version and must not be modified.
type Definition struct {
	ID          string `yaml:"id" json:"id"`
	Version     int    `yaml:"version" json:"version"`
	Label       Label  `yaml:"label" json:"label"`
	Initial     string `yaml:"initial" json:"initial"`
	IntakeEvent string `yaml:"intake_event" json:"intake_event,omitempty"`
	// IntakeLabel names the intake event in histories.
	IntakeLabel *Label `yaml:"intake_label" json:"intake_label,omitempty"`
	// Compliance says that cases on this definition count in the plan's
	// compliance figures: it must then declare every role of
	// caseflow.RequiredEventRoles and caseflow.RequiredClockRoles.
	Compliance bool `yaml:"compliance" json:"compliance,omitempty"`
	// IntakeRoles are the roles that file a report into Initial with
	// IntakeEvent; commune officers when the file does not say.
	IntakeRoles []caseflow.Role `yaml:"intake_roles" json:"intake_roles,omitempty"`
	// Intakes are further ways in: a report received first by another
	// agency (the police, BLTTHS Đ145.2) enters in its own state with its own
	// pseudo-event, on which clocks may start.
	Intakes []*Intake `yaml:"intakes" json:"intakes,omitempty"`
	// BackdateHours is how long before its recording an event may say it
	// happened (occurred_at) without a stated reason; 0 uses the service's
	// default.
	BackdateHours int `yaml:"backdate_hours" json:"backdate_hours,omitempty"`
	// Readings are the points of law read two ways in practice, each a named
	// switch with its options; a clock's condition names the chosen option
	// as the fact "reading.<id>". The province picks an option in the
	// service's configuration; Default applies otherwise.
	Readings []*Reading `yaml:"readings" json:"readings,omitempty"`
	// Escalation is the ladder every clock climbs when its breach is
	// neither acknowledged nor mended: each step, after its hours (counted
	// from the breach, then from the step before), tells the next level. A
	// clock's own escalation replaces it.
	Escalation []EscalationStep `yaml:"escalation" json:"escalation,omitempty"`
	States     []*State         `yaml:"states" json:"states"`
	Events     []*Event         `yaml:"events" json:"events"`
	Clocks     []*Clock         `yaml:"clocks" json:"clocks"`

	file        string
	versionLine int
	states      map[string]*State
	events      map[string]*Event
	clocks      map[string]*Clock
	fsmEvents   []fsm.EventDesc
}

// State is a stage a case can be in.
type State struct {
	ID    string `yaml:"id" json:"id"`
	Label Label  `yaml:"label" json:"label"`
	// Agency is the agency type that must act on cases in this state; the
	// worklist of that agency shows them. Empty only for final states.
	Agency caseflow.AgencyType `yaml:"agency" json:"agency,omitempty"`
	Final  bool                `yaml:"final" json:"final,omitempty"`
}

// Event is something a user does to a case, moving it to another state or
// recording data in the state it is in.
type Event struct {
	ID    string   `yaml:"id" json:"id"`
	Label Label    `yaml:"label" json:"label"`
	From  []string `yaml:"from" json:"from"`
	// To is the state the case moves to; empty means the case stays in
	// whichever From state it is in (the event only records data).
	To     string          `yaml:"to" json:"to,omitempty"`
	Roles  []caseflow.Role `yaml:"roles" json:"roles"`
	Fields []*Field        `yaml:"fields" json:"fields,omitempty"`
	// Refer is the agency type the case is referred to, which gains access.
	Refer caseflow.AgencyType `yaml:"refer" json:"refer,omitempty"`
	// Release lists the agency types whose access to the case ends.
	Release []caseflow.AgencyType `yaml:"release" json:"release,omitempty"`
	// Set holds constant values added to the fired data (for example the
	// decision an event stands for); a key never repeats a field name.
	Set map[string]any `yaml:"set" json:"set,omitempty"`
	// CountsAs declares what the event means to compliance, referrals and
	// synthetic data; code reads these roles, never the event's id.
	CountsAs []RoleDecl `yaml:"counts_as" json:"counts_as,omitempty"`
	// Once: the event may be recorded once per case; MaxTimes, that many
	// times (a file the law lets the procuracy return twice).
	Once     bool `yaml:"once" json:"once,omitempty"`
	MaxTimes int  `yaml:"max_times" json:"max_times,omitempty"`
	// After: the event may fire only once one of these events (or intake
	// events) has been recorded on the case.
	After []string `yaml:"after" json:"after,omitempty"`
	// Unless: the event may not fire once any of these has been recorded.
	Unless []string `yaml:"unless" json:"unless,omitempty"`
}

// Reading is a contested point of law and the ways it is read.
type Reading struct {
	ID      string           `yaml:"id" json:"id"`
	Label   Label            `yaml:"label" json:"label"`
	Options map[string]Label `yaml:"options" json:"options"`
	Default string           `yaml:"default" json:"default"`
	// Basis says where the readings come from, with confidence marks.
	Basis string `yaml:"basis" json:"basis"`
}

// Intake is a way a report enters the workflow besides the default one.
type Intake struct {
	// Event is the pseudo-event recorded in the history; clocks start on it.
	Event string `yaml:"event" json:"event"`
	Label Label  `yaml:"label" json:"label"`
	// Roles file reports this way; a role has one way in.
	Roles []caseflow.Role `yaml:"roles" json:"roles"`
	// State is where the case starts.
	State string `yaml:"state" json:"state"`
	// Refer lists the agency types that gain access at intake besides the
	// filing agency (for example the commune's child protection, which runs
	// the support track whoever received the report).
	Refer []caseflow.AgencyType `yaml:"refer" json:"refer,omitempty"`
	// CountsAs declares what filing this way means to compliance: a report
	// the police received themselves counts as received by the police
	// (police_acceptance).
	CountsAs []caseflow.EventRole `yaml:"counts_as" json:"counts_as,omitempty"`
}

// FieldType is the type of a value an event carries.
type FieldType string

// The field types a definition may use.
const (
	FieldString   FieldType = "string"   // a one-line string
	FieldText     FieldType = "text"     // free text, possibly several lines
	FieldBool     FieldType = "bool"     // true or false
	FieldInt      FieldType = "int"      // a whole number, normalised to int64
	FieldDate     FieldType = "date"     // a calendar date, YYYY-MM-DD
	FieldDatetime FieldType = "datetime" // an RFC 3339 instant, normalised to UTC
	FieldEnum     FieldType = "enum"     // one of Values
	// FieldCharges is a list of charges per accused person: each
	// {"suspect": n, "article": "142"} names the n-th suspect of the report
	// and a Penal Code article, with "upheld": true|false in a verdict.
	FieldCharges FieldType = "charges"
)

// MaxCharges is the most charges one event may carry.
const MaxCharges = 100

// FieldTypes lists every field type.
var FieldTypes = []FieldType{FieldString, FieldText, FieldBool, FieldInt, FieldDate, FieldDatetime, FieldEnum, FieldCharges}

// Field is one value an event carries in its data.
type Field struct {
	Name     string    `yaml:"name" json:"name"`
	Label    Label     `yaml:"label" json:"label"`
	Type     FieldType `yaml:"type" json:"type"`
	Required bool      `yaml:"required" json:"required"`
	// Values are the allowed values of an enum field.
	Values []string `yaml:"values" json:"values,omitempty"`
	// Past: a date or datetime that may not be later than the moment the
	// event is recorded (a decision already taken, a hearing already held).
	Past bool `yaml:"past" json:"past,omitempty"`
	// ValueLabels names some or all Values for the user interface.
	ValueLabels map[string]Label `yaml:"value_labels" json:"value_labels,omitempty"`
}

// The calendar rules a clock limit may use (DESIGN §3).
const (
	RuleHours        = "hours"         // exact elapsed hours
	RuleCalendarDays = "calendar_days" // days ending at 24:00, moved past days off (BLTTHS Đ134)
	RuleMonths       = "months"        // same date of the following month, moved past days off
	RuleWorkingDays  = "working_days"  // weekends and public holidays do not count
)

// Rules lists every calendar rule.
var Rules = []string{RuleHours, RuleCalendarDays, RuleMonths, RuleWorkingDays}

// CrimeCategories are the crime categories of Penal Code Điều 9, the keys of
// a clock's by-category limits and the values of a crime_category field.
var CrimeCategories = []string{"less_serious", "serious", "very_serious", "especially_serious"}

// The notification targets of a clock besides agency types.
const (
	EscalateProvinceSupervisors = caseflow.EscalateProvinceSupervisors // the supervisors of the province
	NotifyResponsible           = "responsible"                        // the agency answerable for the clock
	NotifySupervisors           = "supervisors"                        // the supervisors of the case's unit
)

// DefaultWarnAt is the fraction of a clock's limit after which a warning
// fires when the definition does not say.
const DefaultWarnAt = 0.75

// Limit is a duration counted with a calendar rule.
type Limit struct {
	Rule   string `yaml:"rule" json:"rule"`
	Amount int    `yaml:"amount" json:"amount"`
}

// Condition restricts the start of a clock, or a role of an event, to
// events whose data matches: the field equals Equals, or is one of In. An
// absent field never matches.
type Condition struct {
	Field string `yaml:"field" json:"field,omitempty"`
	// Fact instead names something the service knows of the case, not the
	// event's data (see Facts): whether the commune is remote, whether the
	// report said the child is in immediate danger.
	Fact string `yaml:"fact" json:"fact,omitempty"`
	// All and Any combine conditions: every one, or at least one, holds.
	All    []*Condition `yaml:"all" json:"all,omitempty"`
	Any    []*Condition `yaml:"any" json:"any,omitempty"`
	Equals any          `yaml:"equals" json:"equals,omitempty"`
	In     []any        `yaml:"in" json:"in,omitempty"`
}

// Clock is a statutory deadline: it starts on an event, stops on one of a set
// of events, and falls due after a limit counted with a calendar rule.
type Clock struct {
	ID    string   `yaml:"id" json:"id"`
	Label Label    `yaml:"label" json:"label"`
	Start []string `yaml:"start" json:"start"`
	Stop  []string `yaml:"stop" json:"stop"`
	// Limit applies to every case; LimitByCategory instead picks a limit by
	// the case's crime category. Exactly one is set.
	Limit           *Limit           `yaml:"limit" json:"limit,omitempty"`
	LimitByCategory map[string]Limit `yaml:"limit_by_category" json:"limit_by_category,omitempty"`
	// MaxTotal bounds the due time after extensions, counted from the start;
	// MaxExtension bounds it counted from the original due time. At most one
	// of the four is set, and only when ExtendRoles is not empty.
	MaxTotal               *Limit           `yaml:"max_total" json:"max_total,omitempty"`
	MaxTotalByCategory     map[string]Limit `yaml:"max_total_by_category" json:"max_total_by_category,omitempty"`
	MaxExtension           *Limit           `yaml:"max_extension" json:"max_extension,omitempty"`
	MaxExtensionByCategory map[string]Limit `yaml:"max_extension_by_category" json:"max_extension_by_category,omitempty"`
	ExtendRoles            []caseflow.Role  `yaml:"extend_roles" json:"extend_roles,omitempty"`
	// WarnAt is the fraction of the limit after which a warning fires.
	WarnAt float64 `yaml:"warn_at" json:"warn_at"`
	// Responsible is the agency type answerable for a breach; when
	// ResponsibleField is set instead, the start event's enum field of that
	// name holds it.
	Responsible      caseflow.AgencyType `yaml:"responsible" json:"responsible,omitempty"`
	ResponsibleField string              `yaml:"responsible_field" json:"responsible_field,omitempty"`
	// Notify lists who hears of a warning or breach: "responsible",
	// "supervisors", or agency types.
	Notify []string `yaml:"notify" json:"notify"`
	// Escalation replaces the definition's ladder for this clock; an empty
	// list (escalation: []) means the clock never escalates.
	Escalation *[]EscalationStep `yaml:"escalation" json:"escalation,omitempty"`
	// Basis is the legal basis shown to users.
	Basis string `yaml:"basis" json:"basis"`
	// Note explains anything about the clock an administrator should know.
	Note      string     `yaml:"note" json:"note,omitempty"`
	Condition *Condition `yaml:"condition" json:"condition,omitempty"`
	// InstanceField, when set, makes the clock run once per distinct value of
	// that field (for example one per service referral); its start and stop
	// events all carry it.
	InstanceField string `yaml:"instance_field" json:"instance_field,omitempty"`
	// CountsAs declares what the clock measures to compliance; code reads
	// this role, never the clock's id.
	CountsAs caseflow.ClockRole `yaml:"counts_as" json:"counts_as,omitempty"`
	// Once: the clock runs at most once per case (and instance); a start
	// event fired again does not start it again.
	Once bool `yaml:"once" json:"once,omitempty"`
	// Unless: the clock does not start once any of these events has been
	// recorded on the case; After: it starts only once one of these has.
	Unless []string `yaml:"unless" json:"unless,omitempty"`
	After  []string `yaml:"after" json:"after,omitempty"`
	// StopCondition restricts the stop to stop events whose data matches
	// (the decision a "send the decision" step says it sends); a stop event
	// without the condition's field stops the clock whatever it carries.
	StopCondition *Condition `yaml:"stop_condition" json:"stop_condition,omitempty"`
	// Extensions are the steps by which the law lets the limit grow, each
	// with who grants it, how often, by how much and up to what total. A
	// clock has either Extensions or the older ExtendRoles with one maximum.
	Extensions []*ExtensionStep `yaml:"extensions" json:"extensions,omitempty"`
}

// ExtensionStep is one way a clock's limit may be extended: "the head of the
// investigation agency may prolong it to 2 months in all", "the procuracy
// may then extend it once, by at most 2 months".
type ExtensionStep struct {
	ID    string `yaml:"id" json:"id"`
	Label Label  `yaml:"label" json:"label"`
	// Roles record the step; GrantedBy names the authority whose decision it
	// is (which may be a higher body than the one recording it).
	Roles     []caseflow.Role `yaml:"roles" json:"roles"`
	GrantedBy Label           `yaml:"granted_by" json:"granted_by"`
	Basis     string          `yaml:"basis" json:"basis"`
	// Categories limits the step to cases of these crime categories; empty
	// means every case.
	Categories []string `yaml:"categories" json:"categories,omitempty"`
	// Times is how often the step may be used (1 when the file does not say).
	Times int `yaml:"times" json:"times"`
	// After lists steps of which one must have been used first.
	After []string `yaml:"after" json:"after,omitempty"`
	// Amount bounds what one use adds; Total bounds the limit after it,
	// counted from the clock's start. At least one is set.
	Amount *Limit `yaml:"amount" json:"amount,omitempty"`
	Total  *Limit `yaml:"total" json:"total,omitempty"`
	// RequestBefore: the request must reach the granting body at least this
	// long before the due time; a later request is recorded as late.
	RequestBefore *Limit `yaml:"request_before" json:"request_before,omitempty"`
}

// State returns the state with the given id.
func (d *Definition) State(id string) (*State, bool) {
	s, ok := d.states[id]
	return s, ok
}

// Event returns the event with the given id.
func (d *Definition) Event(id string) (*Event, bool) {
	e, ok := d.events[id]
	return e, ok
}

// Clock returns the clock with the given id.
func (d *Definition) Clock(id string) (*Clock, bool) {
	c, ok := d.clocks[id]
	return c, ok
}

// IntakeClocks returns the clocks that start when a report is taken in.
func (d *Definition) IntakeClocks() []*Clock {
	if d.IntakeEvent == "" {
		return nil
	}
	var out []*Clock
	for _, c := range d.Clocks {
		if slices.Contains(c.Start, d.IntakeEvent) {
			out = append(out, c)
		}
	}
	return out
}

// FiresFrom reports whether the event may be fired on a case in state.
func (e *Event) FiresFrom(state string) bool {
	return slices.Contains(e.From, state)
}

// Allows reports whether role may fire the event.
func (e *Event) Allows(role caseflow.Role) bool {
	return slices.Contains(e.Roles, role)
}

// Destination returns the state a case in from moves to when the event fires.
func (e *Event) Destination(from string) string {
	if e.To == "" {
		return from
	}
	return e.To
}

// Field returns the event's field with the given name.
func (e *Event) Field(name string) (*Field, bool) {
	for _, f := range e.Fields {
		if f.Name == name {
			return f, true
		}
	}
	return nil, false
}

// LimitFor returns the clock's limit for a case of the given crime category;
// ok is false when the limit depends on the category and category is not
// one of CrimeCategories.
func (c *Clock) LimitFor(category string) (l Limit, ok bool) {
	return pick(c.Limit, c.LimitByCategory, category)
}

// MaxTotalFor returns the longest the clock may run, extensions included,
// counted from its start; ok is false when no such bound applies.
func (c *Clock) MaxTotalFor(category string) (l Limit, ok bool) {
	return pick(c.MaxTotal, c.MaxTotalByCategory, category)
}

// MaxExtensionFor returns the most the due time may move past the original
// due time; ok is false when no such bound applies.
func (c *Clock) MaxExtensionFor(category string) (l Limit, ok bool) {
	return pick(c.MaxExtension, c.MaxExtensionByCategory, category)
}

// Extendable reports whether role may extend the clock, by the older single
// rule or by one of its steps.
func (c *Clock) Extendable(role caseflow.Role) bool {
	if slices.Contains(c.ExtendRoles, role) {
		return true
	}
	for _, st := range c.Extensions {
		if slices.Contains(st.Roles, role) {
			return true
		}
	}
	return false
}

// Step returns the clock's extension step with the given id.
func (c *Clock) Step(id string) (*ExtensionStep, bool) {
	for _, st := range c.Extensions {
		if st.ID == id {
			return st, true
		}
	}
	return nil, false
}

// AppliesTo reports whether the step may be used on a case of the given
// crime category.
func (st *ExtensionStep) AppliesTo(category string) bool {
	return len(st.Categories) == 0 || slices.Contains(st.Categories, category)
}

// ResponsibleFor returns the agency type answerable for the clock when it is
// started with the given (normalised) event data.
func (c *Clock) ResponsibleFor(data map[string]any) caseflow.AgencyType {
	if c.ResponsibleField == "" {
		return c.Responsible
	}
	s, _ := data[c.ResponsibleField].(string)
	return caseflow.AgencyType(s)
}

// Matches reports whether the clock starts for an event fired with the given
// (normalised) data.
func (c *Clock) Matches(data map[string]any) bool { return c.Condition.Matches(data) }

func pick(one *Limit, by map[string]Limit, category string) (Limit, bool) {
	if one != nil {
		return *one, true
	}
	l, ok := by[category]
	return l, ok
}

// EscalationStep is one rung of an escalation ladder (caseflow's).
type EscalationStep = caseflow.EscalationStep

// EscalationOf is the ladder a clock climbs.
func (d *Definition) EscalationOf(c *Clock) []EscalationStep {
	if c.Escalation != nil {
		return *c.Escalation
	}
	return d.Escalation
}
