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

// Unit is an administrative unit: province, district or commune, in one
// structure and over a span of days. A code can name different units at
// different times; a unit is its code on a day.
type Unit struct {
	ID     int64
	Code   string
	Name   string
	Level  string
	Path   string // ids from the province down, "/1/12/140/": a prefix match finds every unit under one
	Parent string // code of the unit above, "" for the province
	// Structure is the administrative structure the unit belongs to ("2021",
	// "2025"); "" for a province, which spans them.
	Structure string
	ValidFrom time.Time  // first day
	ValidTo   *time.Time // last day, nil while it exists
	// Remote: a commune listed as remote or hard to reach, which gets the
	// longer police limits.
	Remote bool
}

// ValidOn reports whether the unit exists on the local day of t.
func (u Unit) ValidOn(t time.Time) bool { return ValidOn(u.ValidFrom, u.ValidTo, t) }

// ValidOn reports whether a span of days from..to (to nil: open) holds the
// local day of t.
func ValidOn(from time.Time, to *time.Time, t time.Time) bool {
	d := Day(t)
	return !d.Before(Day(from)) && (to == nil || !d.After(Day(*to)))
}

// Day is the calendar day of t in the province's zone, as midnight UTC,
// the way dates are stored. A stored date (midnight UTC, 07:00 local) is its
// own day.
func Day(t time.Time) time.Time {
	y, m, d := t.In(Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// Agency is a body that acts on cases, attached to a unit, over a span of
// days.
type Agency struct {
	ID        int64
	Code      string
	Name      string
	Type      AgencyType
	Unit      Unit
	ValidFrom time.Time
	ValidTo   *time.Time
}

// WhyNotActing says why the agency does not act on the day of t: it has
// stopped, or has not started yet ("" when it acts).
func (a Agency) WhyNotActing(t time.Time) string {
	switch {
	case a.ActsOn(t):
		return ""
	case a.ValidTo != nil && Day(*a.ValidTo).Before(Day(t)):
		return a.Name + " stopped acting on " + DateText(*a.ValidTo)
	}
	return a.Name + " acts only from " + DateText(a.ValidFrom)
}

// ActsOn reports whether the agency acts on the local day of t.
func (a Agency) ActsOn(t time.Time) bool {
	return a.ValidFrom.IsZero() || ValidOn(a.ValidFrom, a.ValidTo, t)
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
	// AwaitingApproval: created with a role that reads personal data, the
	// account waits for a second administrator and cannot log in.
	AwaitingApproval bool
	// PendingGrant is the role or agency change that waits for approval.
	PendingGrant *RoleGrant
}

// RoleGrant is a grant of a role that reads personal data, as one
// administrator asked it; another approves or refuses it.
type RoleGrant struct {
	ID          int64
	Username    string
	Role        Role
	AgencyCode  string
	RequestedBy string
	RequestedAt time.Time
	DecidedBy   string
	DecidedAt   *time.Time
	Decision    string // "" while pending, GrantApproved or GrantRefused
	Reason      string
}

// The decisions on a role grant.
const (
	GrantApproved = "approved"
	GrantRefused  = "refused"
)

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
	// Working marks a weekend day that a swap of days off makes a working
	// day; otherwise the day is off.
	Working  bool
	Verified bool
	Source   string
}
