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
	Compliance bool     `yaml:"compliance" json:"compliance,omitempty"`
	States     []*State `yaml:"states" json:"states"`
	Events     []*Event `yaml:"events" json:"events"`
	Clocks     []*Clock `yaml:"clocks" json:"clocks"`

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
)

// FieldTypes lists every field type.
var FieldTypes = []FieldType{FieldString, FieldText, FieldBool, FieldInt, FieldDate, FieldDatetime, FieldEnum}

// Field is one value an event carries in its data.
type Field struct {
	Name     string    `yaml:"name" json:"name"`
	Label    Label     `yaml:"label" json:"label"`
	Type     FieldType `yaml:"type" json:"type"`
	Required bool      `yaml:"required" json:"required"`
	// Values are the allowed values of an enum field.
	Values []string `yaml:"values" json:"values,omitempty"`
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
	NotifyResponsible = "responsible" // the agency answerable for the clock
	NotifySupervisors = "supervisors" // the supervisors of the case's unit
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
	Field  string `yaml:"field" json:"field"`
	Equals any    `yaml:"equals" json:"equals,omitempty"`
	In     []any  `yaml:"in" json:"in,omitempty"`
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

// Extendable reports whether role may extend the clock.
func (c *Clock) Extendable(role caseflow.Role) bool {
	return slices.Contains(c.ExtendRoles, role)
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
