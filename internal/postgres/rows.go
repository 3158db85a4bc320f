package postgres

import (
	"time"
)

// The types below are storage rows: they mirror tables, never API shapes.

type unitRow struct {
	ID        int64
	Code      string
	Name      string
	Level     string
	ParentID  *int64
	Path      string
	Structure string
	Remote    bool
	ValidFrom time.Time
	ValidTo   *time.Time
}

func (unitRow) TableName() string { return "units" }

type agencyRow struct {
	ID        int64
	Code      string
	Name      string
	NameEn    string
	Type      string
	UnitID    int64
	IsDefault bool
	ValidFrom time.Time
	ValidTo   *time.Time
}

func (agencyRow) TableName() string { return "agencies" }

type structureRow struct {
	ProvinceID int64  `gorm:"primaryKey"`
	ID         string `gorm:"primaryKey"`
	Label      string
	LabelEn    string
	ValidFrom  time.Time
	ValidTo    *time.Time
}

func (structureRow) TableName() string { return "structures" }

type successionRow struct {
	FromUnitID int64 `gorm:"primaryKey"`
	ToUnitID   int64 `gorm:"primaryKey"`
	Effective  time.Time
	Portion    string
	Main       bool
	Verified   bool
	Basis      string
}

func (successionRow) TableName() string { return "unit_successions" }

type jurisdictionRow struct {
	ID          int64
	ProvinceID  int64
	Structure   string
	UnitID      int64
	AgencyType  string
	AgencyID    int64
	IsPrimary   bool
	Verified    bool
	ValidFrom   time.Time
	ValidTo     *time.Time
	Source      string
	Origin      string
	WithdrawnAt *time.Time
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (jurisdictionRow) TableName() string { return "jurisdiction" }

type userRow struct {
	ID           int64
	Username     string
	DisplayName  string
	PasswordHash string
	Role         string
	AgencyID     int64
	Disabled     bool
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (userRow) TableName() string { return "users" }

type sessionRow struct {
	ID        int64
	TokenHash []byte
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt *time.Time
}

func (sessionRow) TableName() string { return "sessions" }

type caseRow struct {
	ID              int64
	Code            string
	WorkflowID      string
	WorkflowVersion int
	State           string
	Version         int
	CommuneID       int64
	UnitPath        string
	ReceivedAt      time.Time
	Channel         string
	AbuseTypes      array[string] `gorm:"type:text[]"`
	Setting         string
	ImmediateDanger bool
	CrimeCategory   string
	Outcome         string
	NarrativeEnc    string
	Data            []byte `gorm:"type:jsonb"`
	FiledBy         int64
	FilingAgencyID  int64
	CreatedAt       time.Time
	UpdatedAt       time.Time
	ClosedAt        *time.Time
}

func (caseRow) TableName() string { return "cases" }

type personRow struct {
	ID             int64
	CaseID         int64
	Kind           string
	Position       int
	FullNameEnc    string
	DateOfBirthEnc string
	Age            *int
	Sex            string
	AddressEnc     string
	PhoneEnc       string
	Relationship   string
	Anonymous      bool
	BlindIndex     []byte
}

func (personRow) TableName() string { return "case_people" }

type nameIndexRow struct {
	CaseID    int64
	Position  int
	NameIndex []byte
}

func (nameIndexRow) TableName() string { return "case_name_index" }

type accessRow struct {
	ID        int64
	CaseID    int64
	AgencyID  int64
	Scope     string
	Reason    string
	GrantedAt time.Time
	RevokedAt *time.Time
}

func (accessRow) TableName() string { return "case_access" }

type historyRow struct {
	ID        int64
	CaseID    int64
	Version   int
	Event     string
	FromState string
	ToState   string
	ActorID   *int64
	AgencyID  *int64
	NoteEnc   string
	Data      []byte `gorm:"type:jsonb"`
	DataEnc   string
	At        time.Time
	// RecordedAt is set when the act was recorded later than it happened.
	RecordedAt    *time.Time
	LateReasonEnc string
	Kind          string        `gorm:"default:transition"`
	Roles         array[string] `gorm:"type:text[];default:'{}'"`
}

func (historyRow) TableName() string { return "case_history" }

type idempotencyRow struct {
	UserID      int64
	Key         string
	RequestHash []byte
	CaseID      *int64
	CreatedAt   time.Time
}

func (idempotencyRow) TableName() string { return "idempotency_keys" }

type auditRow struct {
	ID        int64
	At        time.Time
	UserID    *int64
	Username  string
	Action    string
	CaseCode  string
	IP        string
	RequestID string
	Detail    []byte `gorm:"type:jsonb"`
}

func (auditRow) TableName() string { return "audit_log" }

type holidayRow struct {
	Date     time.Time
	Name     string
	Working  bool
	Verified bool
	Source   string
}

func (holidayRow) TableName() string { return "holidays" }

type clockRow struct {
	ID                int64
	CaseID            int64
	Clock             string
	Instance          string
	Generation        int
	Status            string
	ResponsibleType   string
	ResponsibleAgency *int64
	Category          string
	LimitRule         string
	LimitAmount       int
	LegalBasis        string
	CalendarPolicy    string
	Notify            array[string] `gorm:"type:text[]"`
	StartedAt         time.Time
	DueAt             time.Time
	WarnAt            time.Time
	WarnedAt          *time.Time
	StoppedAt         *time.Time
	StoppedByEvent    string
	BreachedAt        *time.Time
	Extensions        []byte        `gorm:"type:jsonb"`
	Role              string        `gorm:"default:''"`
	StopRoles         array[string] `gorm:"type:text[];default:'{}'"`
	Escalation        []byte        `gorm:"type:jsonb;default:'[]'"`
	EscalationLevel   int           `gorm:"default:0"`
	EscalateAt        *time.Time
	AcknowledgedAt    *time.Time
	AcknowledgedBy    *int64
	AckNoteEnc        string `gorm:"default:''"`
}

func (clockRow) TableName() string { return "case_clocks" }

type outboxRow struct {
	ID        int64
	Kind      string
	TaskID    string
	Payload   []byte `gorm:"type:jsonb"`
	RunAt     time.Time
	CreatedAt time.Time
	RelayedAt *time.Time
}

func (outboxRow) TableName() string { return "outbox" }

type referralRow struct {
	ID          int64
	CaseID      int64
	Service     string
	AgencyID    int64
	Status      string
	NoteEnc     string
	CreatedBy   int64
	CreatedAt   time.Time
	UpdatedAt   time.Time
	RespondedAt *time.Time
	DoneAt      *time.Time
}

func (referralRow) TableName() string { return "referrals" }
