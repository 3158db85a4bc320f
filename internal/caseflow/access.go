package caseflow

// What each access level reveals, and what an agency gets when a case is
// referred to it: the need-to-know policy. Storage applies it when it reads
// a case; the SQL predicate that finds which cases a viewer may know of at
// all is storage's own (postgres.visible).

// SeesPeople reports whether the level reveals people of the kind.
func (a Access) SeesPeople(kind string) bool {
	switch a {
	case AccessFull:
		return true
	case AccessService:
		return kind == PersonChild
	}
	return false
}

// SeesPhones reports whether the level reveals phone numbers.
func (a Access) SeesPhones() bool { return a == AccessFull }

// SeesNarrative reports whether the level reveals the report's narrative.
func (a Access) SeesNarrative() bool { return a == AccessFull }

// SeesPersonalData reports whether the level reveals any personal data.
func (a Access) SeesPersonalData() bool { return a == AccessFull || a == AccessService }

// ReferralAccess is how much of a case an agency referred to by the
// workflow sees: the police, the procuracy, the court and the commune
// everything; health staff the child's identity for the exam, not the
// narrative or the suspects.
func ReferralAccess(t AgencyType) Access {
	switch t {
	case AgencyPolice, AgencyProcuracy, AgencyCourt, AgencyCommune:
		return AccessFull
	}
	return AccessService
}
