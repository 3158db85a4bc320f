package calendar

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	// The embedded zone database keeps Asia/Ho_Chi_Minh loadable on minimal
	// container images that ship without /usr/share/zoneinfo.
	_ "time/tzdata"

	"caseflow/internal/caseflow"
)

// location is the zone in which every date is reasoned about: the
// province's, defined once by the domain.
var location = caseflow.Zone

// Location returns the Asia/Ho_Chi_Minh zone the package reasons in.
func Location() *time.Location { return location }

// MaxAmount is the largest amount a Limit may carry; no statutory limit comes
// close, and the cap keeps hour arithmetic far away from Duration overflow.
const MaxAmount = 100000

// Rule says how the amount of a Limit is counted.
type Rule string

// The counting rules a limit can use.
const (
	// Hours counts elapsed hours from the start instant.
	Hours Rule = "hours"
	// CalendarDays counts every day after the start day.
	CalendarDays Rule = "calendar_days"
	// Months counts to the same date a number of months later.
	Months Rule = "months"
	// WorkingDays counts only days that are neither weekends nor holidays.
	WorkingDays Rule = "working_days"
)

// Valid reports whether r is one of the known counting rules.
func (r Rule) Valid() bool {
	switch r {
	case Hours, CalendarDays, Months, WorkingDays:
		return true
	}
	return false
}

// Limit is a statutory time limit such as "12 hours" or "2 months".
type Limit struct {
	Rule   Rule `yaml:"rule" json:"rule"`
	Amount int  `yaml:"amount" json:"amount"`
}

// unitNames gives the singular and plural words String uses for each rule;
// ParseLimit accepts them back, so String output always round-trips.
var unitNames = map[Rule][2]string{
	Hours:        {"hour", "hours"},
	CalendarDays: {"calendar day", "calendar days"},
	Months:       {"month", "months"},
	WorkingDays:  {"working day", "working days"},
}

// String renders the limit in words, for example "12 hours" or "5 working days".
func (l Limit) String() string {
	names, ok := unitNames[l.Rule]
	if !ok {
		return fmt.Sprintf("%d %s", l.Amount, string(l.Rule))
	}
	if l.Amount == 1 {
		return "1 " + names[0]
	}
	return strconv.Itoa(l.Amount) + " " + names[1]
}

// Validate reports whether the limit has a known rule and an amount between
// zero and MaxAmount; limits read from configuration should pass it before
// they reach Due.
func (l Limit) Validate() error {
	if !l.Rule.Valid() {
		return fmt.Errorf("limit %q: unknown rule %q", l.String(), string(l.Rule))
	}
	if l.Amount < 0 || l.Amount > MaxAmount {
		return fmt.Errorf("limit %q: amount must be between 0 and %d", l.String(), MaxAmount)
	}
	return nil
}

// parseUnits maps every unit spelling ParseLimit accepts to its rule. Bare
// "m" is deliberately absent because it could mean minutes as well as months.
var parseUnits = map[string]Rule{
	"h":     Hours,
	"hour":  Hours,
	"hours": Hours,

	"d":             CalendarDays,
	"day":           CalendarDays,
	"days":          CalendarDays,
	"calendar_day":  CalendarDays,
	"calendar_days": CalendarDays,
	"calendar day":  CalendarDays,
	"calendar days": CalendarDays,

	"month":  Months,
	"months": Months,

	"working_day":  WorkingDays,
	"working_days": WorkingDays,
	"working day":  WorkingDays,
	"working days": WorkingDays,
}

// ParseLimit parses a limit written as a non-negative whole number followed by
// a unit, such as "12h", "12 hours", "3 days", "3 calendar_days", "2 months"
// or "5 working_days"; anything else is rejected rather than guessed at.
func ParseLimit(s string) (Limit, error) {
	in := strings.TrimSpace(s)
	digits := 0
	for digits < len(in) && in[digits] >= '0' && in[digits] <= '9' {
		digits++
	}
	if digits == 0 {
		return Limit{}, fmt.Errorf("limit %q: want a whole number followed by a unit, e.g. \"12 hours\" or \"2 months\"", s)
	}
	amount, err := strconv.Atoi(in[:digits])
	if err != nil || amount > MaxAmount {
		return Limit{}, fmt.Errorf("limit %q: amount must be between 0 and %d", s, MaxAmount)
	}
	unit := strings.ToLower(strings.TrimSpace(in[digits:]))
	rule, ok := parseUnits[unit]
	if !ok {
		if unit == "" {
			return Limit{}, fmt.Errorf("limit %q: missing unit (hours, days, months or working_days)", s)
		}
		return Limit{}, fmt.Errorf("limit %q: unknown unit %q (want hours, days, months or working_days)", s, unit)
	}
	return Limit{Rule: rule, Amount: amount}, nil
}

// Date is a day in the Vietnamese calendar, without a time of day.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// ParseDate parses a date written as YYYY-MM-DD and rejects dates that do not
// exist, such as 2026-02-30.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("date %q: want an existing date written as YYYY-MM-DD", s)
	}
	return Date{Year: t.Year(), Month: t.Month(), Day: t.Day()}, nil
}

// DateOf returns the date that t falls on in Ho Chi Minh City.
func DateOf(t time.Time) Date {
	y, m, d := t.In(location).Date()
	return Date{Year: y, Month: m, Day: d}
}

// DatesOf returns the dates the instants fall on in Ho Chi Minh City.
func DatesOf(ts []time.Time) []Date {
	out := make([]Date, 0, len(ts))
	for _, t := range ts {
		out = append(out, DateOf(t))
	}
	return out
}

// String renders the date as YYYY-MM-DD.
func (d Date) String() string {
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day)
}

// MarshalText renders the date as YYYY-MM-DD so that holiday lists read and
// write naturally in YAML and JSON.
func (d Date) MarshalText() ([]byte, error) {
	return []byte(d.String()), nil
}

// UnmarshalText parses a YYYY-MM-DD date, as ParseDate does.
func (d *Date) UnmarshalText(b []byte) error {
	parsed, err := ParseDate(string(b))
	if err != nil {
		return err
	}
	*d = parsed
	return nil
}

// midnight returns 00:00 of d in Ho Chi Minh City; time.Date normalises
// out-of-range days, which is what makes addDays and endOfDay simple.
func (d Date) midnight() time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, location)
}

// addDays returns the date n days after d (before it when n is negative).
func (d Date) addDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, location))
}

// normalize turns an out-of-range date such as 2026-02-30 into the date
// time.Date would make of it, so equal days always compare equal.
func (d Date) normalize() Date {
	return d.addDays(0)
}

// endOfDay returns 24:00 of d, that is 00:00 of the following day, in UTC.
func (d Date) endOfDay() time.Time {
	return d.addDays(1).midnight().UTC()
}

// Policy is how a calendar reads the two points of Điều 134 that practice
// reads two ways. The zero Policy is Strict.
type Policy struct {
	// StartDay says whether the day of the act that starts a limit counted
	// in calendar days is its first day (StartDayIncluded: 30 days from
	// 17/7 end on 15/8) or not (StartDayExcluded: they end on 16/8). Điều
	// 134 is silent; the Civil Code's rule of not counting it is not in the
	// Code of Criminal Procedure.
	StartDay string
	// DayOffShift says which limits move to the next working day when
	// their last day is a day off: month limits only (ShiftMonths: the rule
	// sits in the sentence on months) or day limits too (ShiftDaysAndMonths).
	DayOffShift string
}

// The readings of Policy.
const (
	StartDayIncluded   = "included"
	StartDayExcluded   = "excluded"
	ShiftMonths        = "months"
	ShiftDaysAndMonths = "days_and_months"
)

// Strict reads Điều 134 by its text: only month limits move off a day off
// (20 days from Monday 26/1/2026 end on Sunday 15/2/2026 at 24:00). It is
// the default; the day of the act does not count, as the product has always
// counted. StartDayIncluded, the reading some procuracies take for Điều 277,
// is selectable on its own.
var Strict = Policy{StartDay: StartDayExcluded, DayOffShift: ShiftMonths}

// Lenient is the other reading found in practice: a day limit ending on a
// day off moves to the next working day too (the same 20 days end on Monday
// 23/2/2026, after Tết).
var Lenient = Policy{StartDay: StartDayExcluded, DayOffShift: ShiftDaysAndMonths}

// ParsePolicy reads a policy written as "strict", "lenient", or its two
// parts "start_day=included|excluded,day_off_shift=months|days_and_months".
func ParsePolicy(s string) (Policy, error) {
	switch strings.TrimSpace(s) {
	case "", "strict":
		return Strict, nil
	case "lenient":
		return Lenient, nil
	}
	p := Strict
	for _, part := range strings.Split(s, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		switch {
		case k == "start_day" && (v == StartDayIncluded || v == StartDayExcluded):
			p.StartDay = v
		case k == "day_off_shift" && (v == ShiftMonths || v == ShiftDaysAndMonths):
			p.DayOffShift = v
		default:
			return Policy{}, fmt.Errorf("calendar policy %q: want strict, lenient, or start_day=included|excluded,day_off_shift=months|days_and_months", s)
		}
	}
	return p, nil
}

// String names the policy: "strict", "lenient" or its two parts.
func (p Policy) String() string {
	p = p.normal()
	switch p {
	case Strict:
		return "strict"
	case Lenient:
		return "lenient"
	}
	return "start_day=" + p.StartDay + ",day_off_shift=" + p.DayOffShift
}

func (p Policy) normal() Policy {
	if p.StartDay == "" {
		p.StartDay = Strict.StartDay
	}
	if p.DayOffShift == "" {
		p.DayOffShift = Strict.DayOffShift
	}
	return p
}

// Calendar knows which days are not working days and how it reads Điều 134.
// It is immutable and safe for concurrent use; a nil *Calendar treats only
// weekends as days off and reads strictly.
type Calendar struct {
	holidays map[Date]struct{}
	// working are weekend days made working days by a swap of days off.
	working map[Date]struct{}
	policy  Policy
}

// Policy returns how the calendar reads Điều 134.
func (c *Calendar) Policy() Policy {
	if c == nil {
		return Strict
	}
	return c.policy.normal()
}

// WithPolicy returns a copy of c that reads Điều 134 by p.
func (c *Calendar) WithPolicy(p Policy) *Calendar {
	out := &Calendar{}
	if c != nil {
		*out = *c
	}
	out.policy = p.normal()
	return out
}

// New returns a calendar whose days off are Saturdays, Sundays and the given
// public holidays, including any compensatory days off the government grants.
func New(holidays []Date) *Calendar {
	set := make(map[Date]struct{}, len(holidays))
	for _, h := range holidays {
		set[h.normalize()] = struct{}{}
	}
	return &Calendar{holidays: set}
}

// WithWorkingDays returns a copy of c in which the given weekend days are
// working days: the make-up Saturdays of a swap of days off.
func (c *Calendar) WithWorkingDays(days []Date) *Calendar {
	out := &Calendar{holidays: map[Date]struct{}{}, working: make(map[Date]struct{}, len(days))}
	if c != nil {
		out.holidays, out.policy = c.holidays, c.policy
	}
	for _, d := range days {
		out.working[d.normalize()] = struct{}{}
	}
	return out
}

// IsDayOff reports whether d is a Saturday, a Sunday or a holiday, unless
// it is a make-up working day.
func (c *Calendar) IsDayOff(d Date) bool {
	d = d.normalize()
	if c != nil {
		if _, ok := c.working[d]; ok {
			return false
		}
	}
	switch d.midnight().Weekday() {
	case time.Saturday, time.Sunday:
		return true
	}
	if c == nil {
		return false
	}
	_, ok := c.holidays[d]
	return ok
}

// nextWorkingDay returns d itself if it is a working day, otherwise the first
// working day after it. The holiday set is finite, so the loop ends.
func (c *Calendar) nextWorkingDay(d Date) Date {
	for c.IsDayOff(d) {
		d = d.addDays(1)
	}
	return d
}

// Due returns the instant, in UTC, at which limit l counted from start expires.
//
// Following Article 134 of the Criminal Procedure Code 2015:
//   - Hours end exactly Amount hours after start, even on a day off.
//   - Calendar days end at 24:00 (Ho Chi Minh time) of their last day: the
//     Amount-th day counting the start day as the first (Strict), or the
//     Amount-th day after it (Lenient); see Policy.
//   - Months end at 24:00 of the same date Amount months later, or of the last
//     day of that month when it has no such date (31 January + 1 month ends on
//     28 or 29 February).
//   - Working days count only days that are not days off, starting the day
//     after start, and end at 24:00 of the Amount-th of them.
//
// When the last day of a month limit (and, under Lenient, of a calendar-day
// limit) is a day off, the first working day after it becomes the last day. An Amount of zero makes the start
// day the last day; negative amounts count as zero. Due panics on an unknown
// rule and is not meant for amounts above MaxAmount; Limit.Validate and
// ParseLimit rule out both.
func (c *Calendar) Due(start time.Time, l Limit) time.Time {
	return c.dueFrom(start, DateOf(start), l, false)
}

// dueFrom is Due with the day the count starts from given separately from the
// instant, which lets Extend continue a day-based count from the last day of a
// previous limit rather than from the midnight that ends it.
//
// A count that continues another (continuing) never counts its start day:
// that day was the previous limit's last.
func (c *Calendar) dueFrom(start time.Time, startDay Date, l Limit, continuing bool) time.Time {
	n := max(l.Amount, 0)
	switch l.Rule {
	case Hours:
		return start.Add(time.Duration(n) * time.Hour).UTC()
	case CalendarDays:
		p := c.Policy()
		last := startDay.addDays(n)
		if p.StartDay == StartDayIncluded && n > 0 && !continuing {
			last = startDay.addDays(n - 1)
		}
		if p.DayOffShift == ShiftDaysAndMonths {
			last = c.nextWorkingDay(last)
		}
		return last.endOfDay()
	case Months:
		return c.nextWorkingDay(addMonths(startDay, n)).endOfDay()
	case WorkingDays:
		if n == 0 {
			return c.nextWorkingDay(startDay).endOfDay()
		}
		d := startDay
		for counted := 0; counted < n; {
			d = d.addDays(1)
			if !c.IsDayOff(d) {
				counted++
			}
		}
		return d.endOfDay()
	}
	panic(fmt.Sprintf("calendar: limit %q has unknown rule %q", l.String(), string(l.Rule)))
}

// addMonths returns the same date n months after d, or the last day of the
// target month when that month is too short to contain d.Day.
func addMonths(d Date, n int) Date {
	// Working from the first of the month avoids time.Date rolling 31 January
	// + 1 month over into March before the day is clamped.
	first := time.Date(d.Year, d.Month+time.Month(n), 1, 12, 0, 0, 0, location)
	last := first.AddDate(0, 1, -1).Day()
	return Date{Year: first.Year(), Month: first.Month(), Day: min(d.Day, last)}
}

// DefaultWarnFraction is the share of a limit after which WarnAt raises the
// early warning when no fraction is configured.
const DefaultWarnFraction = 0.75

// WarnAt returns the instant, in UTC, that lies fraction of the way from start
// to due; a fraction that is not positive (or is NaN) means
// DefaultWarnFraction, and one above 1 means due itself.
func (c *Calendar) WarnAt(start, due time.Time, fraction float64) time.Time {
	if fraction <= 0 || math.IsNaN(fraction) {
		fraction = DefaultWarnFraction
	}
	fraction = min(fraction, 1)
	span := due.Sub(start)
	return start.Add(time.Duration(math.Round(float64(span) * fraction))).UTC()
}

// Add returns the sum of two limits of the same rule, such as a base limit and
// an extension; it returns false when the rules differ. Negative amounts count
// as zero, as they do in Due.
func Add(a, b Limit) (Limit, bool) {
	if a.Rule != b.Rule {
		return Limit{}, false
	}
	return Limit{Rule: a.Rule, Amount: max(a.Amount, 0) + max(b.Amount, 0)}, true
}

// Extend returns the instant, in UTC, at which base extended by every limit in
// ext expires when counted from start.
//
// Amounts are first summed per rule, so base and extensions of the same rule
// are counted as one limit from start: 31 January + 1 month + 1 month ends on
// 31 March, not on the 28 February-plus-a-month that chaining would give, and
// a day-off shift at the end of the base limit does not push the extension
// further out. When the rules differ, the summed base-rule limit is counted
// first, then each other rule's sum in the order its first extension appears,
// each continuing from the previous limit: a day-based limit counts from the
// last day of the previous one (after any day-off shift), an hours limit from
// its expiry instant.
func (c *Calendar) Extend(start time.Time, base Limit, ext []Limit) time.Time {
	order := []Rule{base.Rule}
	sums := map[Rule]Limit{base.Rule: {Rule: base.Rule, Amount: max(base.Amount, 0)}}
	for _, e := range ext {
		sum, seen := sums[e.Rule]
		if !seen {
			order = append(order, e.Rule)
			sum = Limit{Rule: e.Rule}
		}
		sums[e.Rule], _ = Add(sum, e)
	}

	due := c.Due(start, sums[order[0]])
	for _, r := range order[1:] {
		// A day-based due instant is 24:00 of the last day, which is also
		// 00:00 of the next; stepping back one nanosecond names the last day
		// so that the next count does not skip a day.
		lastDay := DateOf(due.Add(-time.Nanosecond))
		due = c.dueFrom(due, lastDay, sums[r], true)
	}
	return due
}

// Weights, in fifths of an hour, of one unit of each rule; Exceeds uses them
// to compare limits of different rules in whole numbers. A month is taken as
// 30 days and a working day as 7/5 of a day, since five of them make a week.
var approxFifthHours = map[Rule]int64{
	Hours:        5,
	CalendarDays: 5 * 24,
	Months:       5 * 24 * 30,
	WorkingDays:  24 * 7,
}

// Exceeds reports whether l is longer than ceiling. Limits of the same rule
// are compared by amount; limits of different rules are compared by
// approximate length, counting a month as 30 days, a working day as 7/5 of a
// day and an hour as 1/24 of a day, which is good enough to check a configured
// limit against a statutory ceiling but not to compute a due time. Negative
// amounts count as zero, and so does any amount of an unknown rule.
func (l Limit) Exceeds(ceiling Limit) bool {
	a, b := int64(max(l.Amount, 0)), int64(max(ceiling.Amount, 0))
	if l.Rule == ceiling.Rule {
		return a > b
	}
	return a*approxFifthHours[l.Rule] > b*approxFifthHours[ceiling.Rule]
}
