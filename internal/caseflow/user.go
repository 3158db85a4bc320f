package caseflow

import "time"

// Unit levels of the administrative structure.
const (
	LevelProvince = "province"
	LevelDistrict = "district"
	LevelCommune  = "commune"
)

// UnitLevels lists the levels, from the top.
var UnitLevels = []string{LevelProvince, LevelDistrict, LevelCommune}

// Unit is an administrative unit: province, district or commune.
type Unit struct {
	Code   string
	Name   string
	Level  string
	Path   string // codes from the province down, "/33/328/12100/"
	Parent string // code of the unit above, "" for the province
}

// Agency is a body that acts on cases, attached to a unit.
type Agency struct {
	ID   int64
	Code string
	Name string
	Type AgencyType
	Unit Unit
}

// User is an account. Display names of staff are not child data.
type User struct {
	ID           int64
	Username     string
	DisplayName  string
	Role         Role
	Agency       Agency
	Disabled     bool
	PasswordHash string
	CreatedAt    time.Time
}

// Viewer is who is asking, and from where: every storage query that reads or
// writes a case takes one, so need-to-know is enforced where data is read.
type Viewer struct {
	UserID    int64
	Username  string
	Role      Role
	Agency    Agency
	IP        string
	RequestID string
}

// SeesCasesByUnit reports whether the viewer sees cases through the units
// under their own (supervisors) rather than through their agency's access.
func (v Viewer) SeesCasesByUnit() bool { return v.Role == RoleSupervisor }

// ReadsCases reports whether the viewer's role reads cases at all.
func (v Viewer) ReadsCases() bool { return v.Role.ReadsCases() }

// Session is a login: the token is shown once, only its keyed hash is kept.
type Session struct {
	Token     string
	ExpiresAt time.Time
}

// UserChange is an administrator's change to an account; nil fields stay
// as they are. PasswordHash is already hashed.
type UserChange struct {
	Role         *Role
	AgencyCode   *string
	Disabled     *bool
	DisplayName  *string
	PasswordHash *string
}

// Holiday is a public holiday the legal calendar skips.
type Holiday struct {
	Date time.Time // the day, at midnight UTC
	Name string
}
