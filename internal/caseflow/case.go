package caseflow

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Access is how much of a case a viewer may see.
type Access string

// Access levels, from most to least.
const (
	AccessFull    Access = "full"    // everything: people, narrative, history notes
	AccessService Access = "service" // the child's name and contact, for a support referral
	AccessSummary Access = "summary" // codes, states and dates; no personal data
)

// AccessLevels lists the access levels, from most to least.
var AccessLevels = []Access{AccessFull, AccessService, AccessSummary}

// Case is a report of child abuse and where it stands in its workflow.
// Personal fields are empty unless the viewer's Access allows them.
type Case struct {
	ID              int64
	Code            string
	State           string
	Version         int
	WorkflowID      string
	WorkflowVersion int
	Commune         Unit
	ReceivedAt      time.Time
	Channel         string
	AbuseTypes      []string
	Setting         string
	ImmediateDanger bool
	CrimeCategory   string
	Outcome         string
	Narrative       string
	Children        []Person
	Suspects        []Person
	Reporter        *Person
	Access          Access
	CreatedAt       time.Time
	UpdatedAt       time.Time

	// The most urgent open deadline: the clock, its due and warning times,
	// and whether a deadline of the case is overdue.
	NextClock string
	NextDue   *time.Time
	NextWarn  *time.Time
	Overdue   bool

	// Fired lists the events recorded on the case, intake included, in
	// order, as often as each was recorded; LastStepAt is when the latest of them happened. The workflow's
	// guards and the bounds of occurred_at read them.
	Fired      []string
	LastStepAt time.Time
	// CommuneRemote: the case's commune is listed as remote.
	CommuneRemote bool
	// Briefs name the children of a listed case by initials and age, for a
	// viewer who may see the people of the case; nil otherwise.
	Briefs []ChildBrief
	// ErasedAt is when the case's personal data was erased (its data key
	// destroyed); its codes, states, dates and figures remain.
	ErasedAt *time.Time
}

// Read is one read of a case's personal data, from the audit log.
type Read struct {
	At         time.Time
	Username   string
	AgencyCode string
	Access     Access
}

// ChildBrief is how a list names a child: initials ("N.T.M.") and the age
// at the report, when known.
type ChildBrief struct {
	Initials string
	Age      *int
}

// Initials shortens a name to the first letter of each word: "Nguyễn Thị
// Mai" is "N.T.M.".
func Initials(name string) string {
	var b strings.Builder
	for _, w := range strings.Fields(name) {
		r := []rune(w)
		b.WriteString(strings.ToUpper(string(r[0])))
		b.WriteByte('.')
	}
	return b.String()
}

// Person kinds in a case.
const (
	PersonChild    = "child"
	PersonSuspect  = "suspect"
	PersonReporter = "reporter"
)

// Person is a child, suspect or reporter in a case.
type Person struct {
	Kind         string
	FullName     string
	Sex          string
	DateOfBirth  string // YYYY-MM-DD, or empty when only Age is known
	Age          *int
	Address      string
	Phone        string
	Relationship string
	Anonymous    bool
}

// CaseFilter selects cases in a list.
type CaseFilter struct {
	// Code finds cases by their code or its end ("000013", "2026-000013").
	Code         string
	State        string
	CommuneCode  string
	ReceivedFrom *time.Time
	ReceivedTo   *time.Time
	Overdue      bool // only cases with a deadline overdue and not yet met
	// ChildName finds the cases of a child by name (any case, spacing or
	// diacritics), and ChildDOB (YYYY-MM-DD) narrows it to that birthday;
	// only cases whose people the viewer may see are searched.
	ChildName, ChildDOB string
	After               string // cursor: the code of the last case of the previous page
	Limit               int
}

// CasePage is one page of a case list.
type CasePage struct {
	Cases      []*Case
	NextCursor string
}

// IntakeResult is what intake returns: the case, whether it was created by
// this request (false for an idempotent retry) and possible duplicates.
type IntakeResult struct {
	Case               *Case
	Created            bool
	PossibleDuplicates []string
}

// Report enumerations.
var (
	Channels     = []string{"hotline_111", "phone_call", "walk_in", "school", "health_facility", "police", "online", "other"}
	AbuseTypes   = []string{"sexual", "physical", "emotional", "neglect", "trafficking", "child_labour", "child_marriage", "online", "other"}
	Settings     = []string{"family", "school", "online", "public", "other"}
	Sexes        = []string{"female", "male", "other", "unknown"}
	maxTextField = 200
)

// Bounds of a report.
const (
	maxPeople      = 50 // children, and suspects, per report
	maxReportYears = 5  // how long ago a report may have been received
)

// Report is a new report of child abuse as submitted at intake.
type Report struct {
	ReceivedAt      time.Time
	Channel         string
	CommuneCode     string
	AbuseTypes      []string
	Setting         string
	ImmediateDanger bool
	Children        []Person
	Suspects        []Person
	Reporter        *Person
	Narrative       string
}

// MaxNarrative is the longest narrative accepted, in bytes.
const MaxNarrative = 64 << 10

func oneOf(v string, set []string) bool {
	for _, s := range set {
		if s == v {
			return true
		}
	}
	return false
}

// Validate checks a report against the intake rules and names every bad
// field. now bounds received_at: a report cannot arrive in the future.
func (r *Report) Validate(now time.Time) error {
	fe := FieldErrors{}
	if r.ReceivedAt.IsZero() {
		fe.Add("received_at", FieldError{Code: FieldRequired, Message: "is required (RFC 3339 time)"})
	} else if r.ReceivedAt.After(now.Add(5 * time.Minute)) {
		fe.Add("received_at", FieldError{Code: FieldInFuture, Message: "is in the future"})
	} else if r.ReceivedAt.Before(now.AddDate(-maxReportYears, 0, 0)) {
		fe.Add("received_at", FieldError{Code: FieldTooOld, Message: "is more than five years ago", Max: maxReportYears})
	}
	if !oneOf(r.Channel, Channels) {
		fe.Add("channel", notOneOf("must be one of ", Channels))
	}
	if strings.TrimSpace(r.CommuneCode) == "" {
		fe.Add("commune_code", FieldError{Code: FieldRequired, Message: "is required"})
	}
	if len(r.AbuseTypes) == 0 {
		fe.Add("abuse_types", FieldError{Code: FieldRequired, Message: "needs at least one of " + strings.Join(AbuseTypes, ", "), Allowed: AbuseTypes})
	}
	seen := map[string]bool{}
	for _, t := range r.AbuseTypes {
		if !oneOf(t, AbuseTypes) {
			fe.Add("abuse_types", FieldError{Code: FieldNotOneOf, Message: "unknown abuse type " + quote(t) + "; allowed: " + strings.Join(AbuseTypes, ", "),
				Allowed: AbuseTypes, Value: t})
		} else if seen[t] {
			fe.Add("abuse_types", FieldError{Code: FieldDuplicate, Message: "lists " + quote(t) + " twice", Value: t})
		}
		seen[t] = true
	}
	if !oneOf(r.Setting, Settings) {
		fe.Add("setting", notOneOf("must be one of ", Settings))
	}
	if len(r.Children) == 0 {
		fe.Add("children", FieldError{Code: FieldRequired, Message: "at least one child is required"})
	}
	if len(r.Children) > maxPeople {
		fe.Add("children", FieldError{Code: FieldTooMany, Message: "at most 50 children per report", Max: maxPeople})
	}
	for i, c := range r.Children {
		validateChild(fe, "children["+strconv.Itoa(i)+"]", c, r.ReceivedAt, now)
	}
	if len(r.Suspects) > maxPeople {
		fe.Add("suspects", FieldError{Code: FieldTooMany, Message: "at most 50 suspects per report", Max: maxPeople})
	}
	for i, s := range r.Suspects {
		validateAdult(fe, "suspects["+strconv.Itoa(i)+"]", s)
	}
	if r.Reporter != nil {
		validateAdult(fe, "reporter", *r.Reporter)
	}
	if len(r.Narrative) > MaxNarrative {
		fe.Add("narrative", FieldError{Code: FieldTooLong, Message: "is longer than 64 KiB", Max: MaxNarrative})
	}
	return fe.Err()
}

func validateChild(fe FieldErrors, p string, c Person, receivedAt, now time.Time) {
	checkText(fe, p+".full_name", c.FullName, true)
	checkText(fe, p+".address", c.Address, false)
	if c.Sex == "" || !oneOf(c.Sex, Sexes) {
		fe.Add(p+".sex", notOneOf("must be one of ", Sexes))
	}
	switch {
	case c.DateOfBirth == "" && c.Age == nil:
		fe.Add(p+".date_of_birth", FieldError{Code: FieldRequired, Message: "date_of_birth or age is required"})
	case c.DateOfBirth != "":
		dob, err := time.Parse("2006-01-02", c.DateOfBirth)
		if err != nil {
			fe.Add(p+".date_of_birth", FieldError{Code: FieldNotADate, Message: "must be a date YYYY-MM-DD"})
			return
		}
		// Judged on Vietnam's calendar, whatever offset the time was
		// written with.
		ref := receivedAt
		if ref.IsZero() {
			ref = now
		}
		age := AgeOn(dob, ref.In(Zone))
		if age < 0 {
			fe.Add(p+".date_of_birth", FieldError{Code: FieldAfterReceived, Message: "is after the report was received"})
		} else if age > 17 {
			fe.Add(p+".date_of_birth", FieldError{Code: FieldNotAChild, Message: "the person is 18 or older: not a child"})
		}
		if c.Age != nil && *c.Age != age {
			fe.Add(p+".age", FieldError{Code: FieldAgeMismatch, Message: "does not match date_of_birth"})
		}
	default:
		if *c.Age < 0 || *c.Age > 17 {
			fe.Add(p+".age", FieldError{Code: FieldOutOfRange, Message: "must be between 0 and 17", Min: 0, Max: 17})
		}
	}
}

// validateAdult checks a suspect or reporter: every field is optional (a
// suspect may be unknown, a reporter anonymous) but what is given must be
// well formed.
func validateAdult(fe FieldErrors, p string, a Person) {
	checkText(fe, p+".full_name", a.FullName, false)
	checkText(fe, p+".relationship", a.Relationship, false)
	checkText(fe, p+".address", a.Address, false)
	checkText(fe, p+".phone", a.Phone, false)
	if a.Phone != "" && !validPhone(a.Phone) {
		fe.Add(p+".phone", FieldError{Code: FieldNotAPhone, Message: "must be digits, spaces, +, - or . only"})
	}
	if a.Sex != "" && !oneOf(a.Sex, Sexes) {
		fe.Add(p+".sex", notOneOf("must be one of ", Sexes))
	}
	if a.DateOfBirth != "" {
		if _, err := time.Parse("2006-01-02", a.DateOfBirth); err != nil {
			fe.Add(p+".date_of_birth", FieldError{Code: FieldNotADate, Message: "must be a date YYYY-MM-DD"})
		}
	}
	if a.Age != nil && (*a.Age < 0 || *a.Age > 120) {
		fe.Add(p+".age", FieldError{Code: FieldOutOfRange, Message: "must be between 0 and 120", Min: 0, Max: 120})
	}
}

// AgeWhen is the person's age on a day: the age recorded, else the one the
// date of birth gives, else nil.
func AgeWhen(age *int, dateOfBirth string, on time.Time) *int {
	if age != nil || dateOfBirth == "" {
		return age
	}
	dob, err := time.Parse("2006-01-02", dateOfBirth)
	if err != nil {
		return nil
	}
	a := AgeOn(dob, on.In(Zone))
	if a < 0 {
		return nil
	}
	return &a
}

// AgeOn returns the age in whole years on a given day.
func AgeOn(dob, on time.Time) int {
	y := on.Year() - dob.Year()
	if on.Month() < dob.Month() || (on.Month() == dob.Month() && on.Day() < dob.Day()) {
		y--
	}
	return y
}

func checkText(fe FieldErrors, field, v string, required bool) {
	if required && Blank(v) {
		fe.Add(field, FieldError{Code: FieldRequired, Message: "is required"})
	}
	if len(v) > maxTextField {
		fe.Add(field, FieldError{Code: FieldTooLong, Message: "is longer than 200 bytes", Max: maxTextField})
	}
}

func validPhone(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case r == ' ' || r == '+' || r == '-' || r == '.':
		default:
			return false
		}
	}
	return digits >= 3
}

// notOneOf is the error of a value outside a closed set.
func notOneOf(lead string, set []string) FieldError {
	return FieldError{Code: FieldNotOneOf, Message: lead + strings.Join(set, ", "), Allowed: set}
}

func quote(s string) string {
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return "\"" + s + "\""
}

// Start says how a new case enters its workflow: which definition, its
// initial state and the pseudo-event that intake records.
type Start struct {
	WorkflowID      string
	WorkflowVersion int
	State           string
	Event           string
	Clocks          []ClockStart
	// Refer lists agency types that gain access at intake besides the
	// filing agency, by jurisdiction over the commune.
	Refer []AgencyType
	// Roles are what the intake means, as its workflow declares them.
	Roles []EventRole
	// CommuneID and CommunePath are the case's commune, checked by the
	// service to be the filing officer's own, with its code, name and
	// whether it is remote, as the case shows them.
	CommuneID     int64
	CommunePath   string
	CommuneCode   string
	CommuneName   string
	CommuneRemote bool
}

// caseCodeQuery is what a search by code may hold: letters, digits and dashes.
var caseCodeQuery = regexp.MustCompile(`^[A-Za-z0-9-]{1,20}$`)

// CheckCodeQuery normalises a search by case code, or names the problem.
func CheckCodeQuery(q string) (string, error) {
	q = strings.ToUpper(strings.TrimSpace(q))
	if q == "" || caseCodeQuery.MatchString(q) {
		return q, nil
	}
	return "", InvalidField("code", FieldError{Code: FieldNotOneOf, Message: "a case code or its end: letters, digits and dashes, at most 20"})
}
