package synthetic

import "time"

// Batch is the rows of a batch of cases, written together in one
// transaction. Every row of a case is in the same batch.
type Batch struct {
	Cases   []Case
	People  []Person
	Access  []Access
	History []History
	Clocks  []Clock
}

// Case is a cases row. Data is the JSON object of the case's structured
// values; NarrativeEnc is sealed.
type Case struct {
	ID, CommuneID, FiledBy, FilingAgencyID int64
	Code, WorkflowID, State, UnitPath      string
	WorkflowVersion, Version               int32
	Channel, Setting                       string
	AbuseTypes                             []string
	ImmediateDanger                        bool
	CrimeCategory, Outcome                 string
	NarrativeEnc, Data                     string
	ReceivedAt, CreatedAt, UpdatedAt       time.Time
	ClosedAt                               *time.Time
}

// Person is a child of a case (a case_people row of kind child). Like every
// person row it carries copies of its case's commune, time of receipt,
// setting and abuse types; FullNameEnc is sealed.
type Person struct {
	CaseID, CommuneID int64
	Position, Age     int32
	FullNameEnc, Sex  string
	Setting           string
	ReceivedAt        time.Time
	AbuseTypes        []string
}

// Access is a case_access row: an agency's access to a case.
type Access struct {
	CaseID, AgencyID int64
	Scope, Reason    string
	GrantedAt        time.Time
	RevokedAt        *time.Time
}

// History is a case_history row: a transition (Kind "transition") or a
// clock's breach or extension (Kind "clock"). Roles are the roles of the
// event for its data, never nil (an empty list is stored as such; NULL
// would mark a row whose roles are still to be derived).
type History struct {
	CaseID, CommuneID int64
	Version           int32
	Event, From, To   string
	Data, Kind        string
	ActorID, AgencyID *int64
	At                time.Time
	Roles             []string
}

// Clock is a case_clocks row. Role is what the clock measures ("" when the
// workflow declares nothing); StopRoles are the roles of the event that
// stopped it, never nil. Extensions is a JSON array.
type Clock struct {
	CaseID, CommuneID               int64
	ResponsibleAgency               *int64
	Clock, Instance, Role, Status   string
	ResponsibleType, Category       string
	LimitRule, LegalBasis           string
	LimitAmount, Generation         int32
	Notify                          []string
	StartedAt, DueAt, WarnAt        time.Time
	WarnedAt, StoppedAt, BreachedAt *time.Time
	StoppedByEvent                  string
	StopRoles                       []string
	Extensions                      string
}
