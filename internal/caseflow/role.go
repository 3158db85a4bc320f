package caseflow

// Role is what a user does in the workflow; workflow definitions name the
// roles that may fire each event.
type Role string

// The roles of DESIGN §1.
const (
	RoleCommuneOfficer Role = "commune_officer"
	RolePolice         Role = "police"
	RoleHealth         Role = "health"
	RoleProsecutor     Role = "prosecutor"
	RoleCourt          Role = "court"
	RoleSocialWorker   Role = "social_worker"
	RoleLegalAid       Role = "legal_aid"
	RoleSupervisor     Role = "supervisor"
	RoleAdmin          Role = "admin"
)

// Roles lists every role, in a stable order.
var Roles = []Role{RoleCommuneOfficer, RolePolice, RoleHealth, RoleProsecutor, RoleCourt,
	RoleSocialWorker, RoleLegalAid, RoleSupervisor, RoleAdmin}

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	for _, x := range Roles {
		if x == r {
			return true
		}
	}
	return false
}

// AgencyType is the kind of an agency; referrals and workflow states name
// agency types, and the jurisdiction of a case's commune picks the agency.
type AgencyType string

// The agency types of the plan.
const (
	AgencyCommune     AgencyType = "commune_child_protection"
	AgencyPolice      AgencyType = "police"
	AgencyHealth      AgencyType = "health"
	AgencyProcuracy   AgencyType = "procuracy"
	AgencyCourt       AgencyType = "court"
	AgencySocial      AgencyType = "social_services"
	AgencyLegalAid    AgencyType = "legal_aid"
	AgencyEducation   AgencyType = "education"
	AgencyMassOrg     AgencyType = "mass_organisation"
	AgencySupervision AgencyType = "supervision"
)

// AgencyTypes lists every agency type.
var AgencyTypes = []AgencyType{AgencyCommune, AgencyPolice, AgencyHealth, AgencyProcuracy, AgencyCourt,
	AgencySocial, AgencyLegalAid, AgencyEducation, AgencyMassOrg, AgencySupervision}

// Valid reports whether t is one of the known agency types.
func (t AgencyType) Valid() bool {
	for _, x := range AgencyTypes {
		if x == t {
			return true
		}
	}
	return false
}

// ReadsCases reports whether the role reads cases at all; administrators
// manage accounts and the calendar and read no case.
func (r Role) ReadsCases() bool { return r.Valid() && r != RoleAdmin }

// ReadsPersonalData reports whether the role reads children's personal
// data in the cases its agency takes part in: every role that reads cases
// but supervisors, who follow cases without their people. Granting one
// needs a second administrator (four eyes).
func (r Role) ReadsPersonalData() bool { return r.ReadsCases() && r != RoleSupervisor }

// ActsOnCases reports whether the role fires workflow events, refers,
// extends clocks and has a worklist; supervisors only follow.
func (r Role) ActsOnCases() bool { return r.ReadsCases() && r != RoleSupervisor }

// SeesCompliance reports whether the role sees compliance figures:
// supervisors for their unit and those under it, commune officers for their
// own commune.
func (r Role) SeesCompliance() bool { return r == RoleSupervisor || r == RoleCommuneOfficer }

// Administers reports whether the role manages users and public holidays.
func (r Role) Administers() bool { return r == RoleAdmin }
