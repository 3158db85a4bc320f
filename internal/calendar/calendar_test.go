package calendar_test

import (
	"fmt"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/calendar"
)

// ict is Ho Chi Minh time written out independently of the package, so the
// expected values below do not lean on the code under test.
var ict = time.FixedZone("ICT+7", 7*3600)

// at is a wall-clock time in Ho Chi Minh City.
func at(y int, m time.Month, d, hh, mm int) time.Time {
	return time.Date(y, m, d, hh, mm, 0, 0, ict)
}

// endOf is 24:00 of the given Ho Chi Minh day, i.e. 00:00 of the next one.
func endOf(y int, m time.Month, d int) time.Time {
	return time.Date(y, m, d, 24, 0, 0, 0, ict)
}

// vietnam2026and2027 is the public-holiday set the tests run against,
// including compensatory days off for holidays that fall on a weekend.
func vietnam2026and2027(t *testing.T) *calendar.Calendar {
	t.Helper()
	days := []string{
		"2026-01-01",
		// Tết Bính Ngọ, Monday to Friday.
		"2026-02-16", "2026-02-17", "2026-02-18", "2026-02-19", "2026-02-20",
		// Hùng Kings (10/3 lunar) is Sunday 26 April; Monday 27 is the day off.
		"2026-04-27",
		"2026-04-30", "2026-05-01",
		"2026-09-01", "2026-09-02",

		"2027-01-01",
		// Tết Đinh Mùi, Friday to Tuesday.
		"2027-02-05", "2027-02-06", "2027-02-07", "2027-02-08", "2027-02-09",
		"2027-04-16",
		"2027-04-30",
		// 1 May 2027 is a Saturday; Monday 3 May is the compensatory day off.
		"2027-05-03",
		"2027-09-02", "2027-09-03",
	}
	holidays := make([]calendar.Date, 0, len(days))
	for _, s := range days {
		d, err := calendar.ParseDate(s)
		require.NoError(t, err)
		holidays = append(holidays, d)
	}
	return calendar.New(holidays)
}

// requireInstant checks the instant and that it is returned in UTC.
func requireInstant(t *testing.T, want, got time.Time) {
	t.Helper()
	require.Truef(t, want.Equal(got), "want %s, got %s",
		want.In(ict).Format(time.RFC3339), got.In(ict).Format(time.RFC3339))
	require.Equal(t, time.UTC, got.Location(), "due times are returned in UTC")
}

func TestDue(t *testing.T) {
	t.Parallel()
	cal := vietnam2026and2027(t)

	tests := []struct {
		name  string
		start time.Time
		limit calendar.Limit
		want  time.Time
	}{
		// Hours: exact arithmetic, never shifted.
		{"12HoursAcrossMidnight", at(2026, 3, 10, 18, 30), calendar.Limit{Rule: calendar.Hours, Amount: 12}, at(2026, 3, 11, 6, 30)},
		{"12HoursStartGivenInUTC", time.Date(2026, 3, 10, 11, 30, 0, 0, time.UTC), calendar.Limit{Rule: calendar.Hours, Amount: 12}, at(2026, 3, 11, 6, 30)},
		{"HoursEndingOnSaturdayAreNotShifted", at(2026, 2, 13, 20, 0), calendar.Limit{Rule: calendar.Hours, Amount: 12}, at(2026, 2, 14, 8, 0)},
		{"HoursEndingOnTetAreNotShifted", at(2026, 2, 15, 22, 0), calendar.Limit{Rule: calendar.Hours, Amount: 12}, at(2026, 2, 16, 10, 0)},
		{"24HoursIntoHoliday", at(2026, 4, 29, 9, 15), calendar.Limit{Rule: calendar.Hours, Amount: 24}, at(2026, 4, 30, 9, 15)},
		{"ZeroHours", at(2026, 3, 10, 9, 0), calendar.Limit{Rule: calendar.Hours, Amount: 0}, at(2026, 3, 10, 9, 0)},

		// Calendar days: the start day is not counted; ends at 24:00.
		{"3DaysPlain", at(2026, 3, 10, 9, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 3}, endOf(2026, 3, 13)},
		{"1DayFromLateEvening", at(2026, 3, 10, 23, 59), calendar.Limit{Rule: calendar.CalendarDays, Amount: 1}, endOf(2026, 3, 11)},
		// 18:00 UTC on 10 March is already 01:00 on 11 March in Hà Nội.
		{"StartDayIsTheHoChiMinhDay", time.Date(2026, 3, 10, 18, 0, 0, 0, time.UTC), calendar.Limit{Rule: calendar.CalendarDays, Amount: 1}, endOf(2026, 3, 12)},
		{"EndingOnSundayMovesToMonday", at(2026, 3, 11, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 4}, endOf(2026, 3, 16)},
		{"EndingOnSaturdayMovesToMonday", at(2026, 3, 12, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 2}, endOf(2026, 3, 16)},
		// 17 Feb is in Tết; 18–20 Feb are Tết, 21–22 a weekend.
		{"EndingInTetMovesPastTet", at(2026, 2, 10, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 7}, endOf(2026, 2, 23)},
		// 30 Apr and 1 May are holidays, then a weekend.
		{"EndingOn30AprilMovesTo4May", at(2026, 4, 20, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 10}, endOf(2026, 5, 4)},
		{"EndingOnHungKingsCompensatoryDay", at(2026, 4, 19, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 8}, endOf(2026, 4, 28)},
		// Sat 6 Feb 2027 → Sun 7 → Tết Mon 8, Tue 9 → Wed 10.
		{"EndingInTet2027", at(2027, 1, 29, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 8}, endOf(2027, 2, 10)},
		// Sat 1 May 2027 → Sun 2 → compensatory Mon 3 → Tue 4.
		{"EndingOnMayDay2027Weekend", at(2027, 4, 24, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 7}, endOf(2027, 5, 4)},
		{"ZeroDaysOnWeekday", at(2026, 3, 10, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 0}, endOf(2026, 3, 10)},
		{"ZeroDaysOnSaturday", at(2026, 3, 14, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 0}, endOf(2026, 3, 16)},
		{"NegativeDaysCountAsZero", at(2026, 3, 10, 10, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: -5}, endOf(2026, 3, 10)},

		// Months: same date, clamped to the month's last day, then shifted.
		// 28 Feb 2026 is a Saturday.
		{"31JanPlus1MonthIsSaturday28Feb", at(2026, 1, 31, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 1}, endOf(2026, 3, 2)},
		{"31JanPlus1MonthLeapYear", at(2028, 1, 31, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 1}, endOf(2028, 2, 29)},
		// 30 Apr 2026 and 1 May are holidays, then a weekend.
		{"31MarPlus1MonthIs30April", at(2026, 3, 31, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 1}, endOf(2026, 5, 4)},
		{"31MayPlus1MonthIs30June", at(2026, 5, 31, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 1}, endOf(2026, 6, 30)},
		// 28 Feb 2027 is a Sunday.
		{"30NovPlus3MonthsAcrossYear", at(2026, 11, 30, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 3}, endOf(2027, 3, 1)},
		{"12MonthsEndingInTet2027", at(2026, 2, 9, 10, 0), calendar.Limit{Rule: calendar.Months, Amount: 12}, endOf(2027, 2, 10)},
		// The caller picks the limit by category; the same start gives
		// Sun 10 May → Mon 11 May for two months and Fri 10 July for four.
		{"2MonthsCategory", at(2026, 3, 10, 14, 0), calendar.Limit{Rule: calendar.Months, Amount: 2}, endOf(2026, 5, 11)},
		{"4MonthsCategory", at(2026, 3, 10, 14, 0), calendar.Limit{Rule: calendar.Months, Amount: 4}, endOf(2026, 7, 10)},
		{"ZeroMonths", at(2026, 3, 10, 14, 0), calendar.Limit{Rule: calendar.Months, Amount: 0}, endOf(2026, 3, 10)},

		// Working days: counted strictly after the start day.
		{"FridayPlus2WorkingDaysIsTuesday", at(2026, 3, 13, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 2}, endOf(2026, 3, 17)},
		// Fri 13 Feb (1), Tết and weekends until Mon 23 (2), Tue 24 (3).
		{"WorkingDaysAcrossTet2026", at(2026, 2, 12, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 3}, endOf(2026, 2, 24)},
		// Wed 29 Apr (1), holidays and weekend, Mon 4 May (2), Tue 5 (3).
		{"WorkingDaysAcross30AprilAnd1May", at(2026, 4, 28, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 3}, endOf(2026, 5, 5)},
		{"WorkingDaysAcrossTet2027", at(2027, 2, 4, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 1}, endOf(2027, 2, 10)},
		{"WorkingDaysAcrossNationalDay2027", at(2027, 9, 1, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 2}, endOf(2027, 9, 7)},
		{"WorkingDaysAcrossNewYear", at(2025, 12, 31, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 1}, endOf(2026, 1, 2)},
		{"StartOnHolidayCountsFromNextDay", at(2026, 4, 27, 9, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 1}, endOf(2026, 4, 28)},
		{"10WorkingDaysIsTwoWeeks", at(2026, 3, 9, 9, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 10}, endOf(2026, 3, 23)},
		{"ZeroWorkingDaysOnWeekday", at(2026, 3, 10, 9, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 0}, endOf(2026, 3, 10)},
		{"ZeroWorkingDaysOnSaturday", at(2026, 3, 14, 9, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 0}, endOf(2026, 3, 16)},
		// The review's example: 26/1 + 20 days is Sunday 15/2; moved off the
		// weekend and Tết (16–20/2) and the next weekend, Monday 23/2.
		{"20DaysFromMonday26January2026", at(2026, 1, 26, 9, 0), calendar.Limit{Rule: calendar.CalendarDays, Amount: 20}, endOf(2026, 2, 23)},
	}
	// want is the lenient reading (a day limit ending on a day off moves to
	// the next working day); under the strict one, only month limits move,
	// so these day limits end on the day off itself.
	strict := map[string]time.Time{
		"EndingOnSundayMovesToMonday":      endOf(2026, 3, 15),
		"EndingOnSaturdayMovesToMonday":    endOf(2026, 3, 14),
		"EndingInTetMovesPastTet":          endOf(2026, 2, 17),
		"EndingOn30AprilMovesTo4May":       endOf(2026, 4, 30),
		"EndingOnHungKingsCompensatoryDay": endOf(2026, 4, 27),
		"EndingInTet2027":                  endOf(2027, 2, 6),
		"EndingOnMayDay2027Weekend":        endOf(2027, 5, 1),
		"ZeroDaysOnSaturday":               endOf(2026, 3, 14),
		"20DaysFromMonday26January2026":    endOf(2026, 2, 15),
	}
	for _, tt := range tests {
		t.Run(tt.name+"/Lenient", func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, cal.WithPolicy(calendar.Lenient).Due(tt.start, tt.limit))
		})
		t.Run(tt.name+"/Strict", func(t *testing.T) {
			t.Parallel()
			want := tt.want
			if w, ok := strict[tt.name]; ok {
				want = w
			}
			requireInstant(t, want, cal.Due(tt.start, tt.limit))
			requireInstant(t, want, cal.WithPolicy(calendar.Strict).Due(tt.start, tt.limit))
		})
	}
}

func TestTheStartDayPolicy(t *testing.T) {
	t.Parallel()
	// Điều 277 in practice: 30 days from the thụ lý on 17/7/2024 end on
	// 16/8 when the day of thụ lý does not count, on 15/8 when it does.
	cal := calendar.New(nil)
	thirty := calendar.Limit{Rule: calendar.CalendarDays, Amount: 30}
	requireInstant(t, endOf(2024, 8, 16), cal.Due(at(2024, 7, 17, 9, 0), thirty))
	included, err := calendar.ParsePolicy("start_day=included")
	require.NoError(t, err)
	requireInstant(t, endOf(2024, 8, 15), cal.WithPolicy(included).Due(at(2024, 7, 17, 9, 0), thirty))
	// Working days, hours and months do not change.
	requireInstant(t, endOf(2026, 3, 17), cal.WithPolicy(included).Due(at(2026, 3, 13, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 2}))
	requireInstant(t, endOf(2026, 7, 10), cal.WithPolicy(included).Due(at(2026, 3, 10, 14, 0), calendar.Limit{Rule: calendar.Months, Amount: 4}))
	// An extension continues from the last day: it never counts that day twice.
	requireInstant(t, endOf(2024, 8, 26), cal.WithPolicy(included).Extend(at(2024, 7, 17, 9, 0), thirty,
		[]calendar.Limit{{Rule: calendar.WorkingDays, Amount: 7}}))
}

func TestParsePolicy(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]calendar.Policy{
		"":        calendar.Strict,
		"strict":  calendar.Strict,
		"lenient": calendar.Lenient,
		"start_day=included,day_off_shift=days_and_months": {StartDay: calendar.StartDayIncluded, DayOffShift: calendar.ShiftDaysAndMonths},
		"day_off_shift=days_and_months":                    calendar.Lenient,
	} {
		got, err := calendar.ParsePolicy(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
		back, err := calendar.ParsePolicy(got.String())
		require.NoError(t, err)
		require.Equal(t, got, back, "String round-trips")
	}
	for _, bad := range []string{"loose", "start_day=maybe", "day_off_shift=weeks", "start_day"} {
		_, err := calendar.ParsePolicy(bad)
		require.Error(t, err, bad)
	}
	require.Equal(t, calendar.Strict, (*calendar.Calendar)(nil).Policy(), "a nil calendar reads strictly")
}

func TestDueUnknownRulePanics(t *testing.T) {
	t.Parallel()
	cal := calendar.New(nil)
	require.Panics(t, func() { cal.Due(at(2026, 3, 10, 9, 0), calendar.Limit{Rule: "weeks", Amount: 1}) })
}

func TestNilCalendarKnowsOnlyWeekends(t *testing.T) {
	t.Parallel()
	var cal *calendar.Calendar
	require.True(t, cal.IsDayOff(calendar.Date{Year: 2026, Month: time.March, Day: 14}))
	require.False(t, cal.IsDayOff(calendar.Date{Year: 2026, Month: time.February, Day: 17}))
	requireInstant(t, endOf(2026, 2, 17), cal.Due(at(2026, 2, 16, 9, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 1}))
}

func TestIsDayOff(t *testing.T) {
	t.Parallel()
	cal := vietnam2026and2027(t)
	tests := []struct {
		date string
		want bool
	}{
		{"2026-03-10", false}, // Tuesday
		{"2026-03-14", true},  // Saturday
		{"2026-03-15", true},  // Sunday
		{"2026-01-01", true},  // New Year
		{"2026-02-18", true},  // Tết
		{"2026-02-23", false}, // first working day after Tết
		{"2026-04-26", true},  // Hùng Kings on a Sunday
		{"2026-04-27", true},  // its compensatory Monday
		{"2026-09-01", true},
		{"2027-05-03", true}, // compensatory Monday for Saturday 1 May
		{"2027-05-04", false},
	}
	for _, tt := range tests {
		t.Run(tt.date, func(t *testing.T) {
			t.Parallel()
			d, err := calendar.ParseDate(tt.date)
			require.NoError(t, err)
			require.Equal(t, tt.want, cal.IsDayOff(d))
		})
	}
}

func TestNewCopiesHolidays(t *testing.T) {
	t.Parallel()
	holidays := []calendar.Date{{Year: 2026, Month: time.March, Day: 10}}
	cal := calendar.New(holidays)
	holidays[0] = calendar.Date{Year: 2026, Month: time.March, Day: 11}
	require.True(t, cal.IsDayOff(calendar.Date{Year: 2026, Month: time.March, Day: 10}))
	require.False(t, cal.IsDayOff(calendar.Date{Year: 2026, Month: time.March, Day: 11}))
}

func TestConcurrentUse(t *testing.T) {
	t.Parallel()
	cal := vietnam2026and2027(t)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				got := cal.Due(at(2026, 2, 12, 10, 0), calendar.Limit{Rule: calendar.WorkingDays, Amount: 3})
				if !got.Equal(endOf(2026, 2, 24)) {
					t.Errorf("concurrent Due = %s", got)
				}
			}
		})
	}
	wg.Wait()
}

func TestDateOf(t *testing.T) {
	t.Parallel()
	tests := []struct {
		in   time.Time
		want string
	}{
		{time.Date(2026, 3, 10, 16, 59, 59, 0, time.UTC), "2026-03-10"},
		{time.Date(2026, 3, 10, 17, 0, 0, 0, time.UTC), "2026-03-11"},
		{time.Date(2026, 12, 31, 17, 0, 0, 0, time.UTC), "2027-01-01"},
		{at(2026, 3, 10, 0, 0), "2026-03-10"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, calendar.DateOf(tt.in).String())
		})
	}
}

func TestParseDate(t *testing.T) {
	t.Parallel()
	t.Run("Good", func(t *testing.T) {
		t.Parallel()
		d, err := calendar.ParseDate("2026-02-16")
		require.NoError(t, err)
		require.Equal(t, calendar.Date{Year: 2026, Month: time.February, Day: 16}, d)
		require.Equal(t, "2026-02-16", d.String())

		leap, err := calendar.ParseDate("2028-02-29")
		require.NoError(t, err)
		require.Equal(t, calendar.Date{Year: 2028, Month: time.February, Day: 29}, leap)
	})
	for _, in := range []string{"", "2026-2-16", "2026-02-30", "2027-02-29", "16/02/2026", " 2026-02-16", "2026-02-16T00:00:00Z", "2026-13-01"} {
		t.Run(fmt.Sprintf("Bad%q", in), func(t *testing.T) {
			t.Parallel()
			_, err := calendar.ParseDate(in)
			require.ErrorContains(t, err, fmt.Sprintf("%q", in))
		})
	}
}

func TestDateText(t *testing.T) {
	t.Parallel()
	d := calendar.Date{Year: 2027, Month: time.May, Day: 3}
	b, err := d.MarshalText()
	require.NoError(t, err)
	require.Equal(t, "2027-05-03", string(b))

	var back calendar.Date
	require.NoError(t, back.UnmarshalText(b))
	require.Equal(t, d, back)
	require.Error(t, back.UnmarshalText([]byte("3/5/2027")))
}

func TestParseLimit(t *testing.T) {
	t.Parallel()
	good := []struct {
		in   string
		want calendar.Limit
	}{
		{"12h", calendar.Limit{Rule: calendar.Hours, Amount: 12}},
		{"12 h", calendar.Limit{Rule: calendar.Hours, Amount: 12}},
		{"12 hours", calendar.Limit{Rule: calendar.Hours, Amount: 12}},
		{"1 hour", calendar.Limit{Rule: calendar.Hours, Amount: 1}},
		{"3 days", calendar.Limit{Rule: calendar.CalendarDays, Amount: 3}},
		{"20d", calendar.Limit{Rule: calendar.CalendarDays, Amount: 20}},
		{"3 calendar_days", calendar.Limit{Rule: calendar.CalendarDays, Amount: 3}},
		{"3 calendar days", calendar.Limit{Rule: calendar.CalendarDays, Amount: 3}},
		{"0 days", calendar.Limit{Rule: calendar.CalendarDays, Amount: 0}},
		{"2 months", calendar.Limit{Rule: calendar.Months, Amount: 2}},
		{"1 month", calendar.Limit{Rule: calendar.Months, Amount: 1}},
		{"5 working_days", calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}},
		{"5 working days", calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}},
		{"1 working_day", calendar.Limit{Rule: calendar.WorkingDays, Amount: 1}},
		{"  7 Days ", calendar.Limit{Rule: calendar.CalendarDays, Amount: 7}},
		{"100000 hours", calendar.Limit{Rule: calendar.Hours, Amount: 100000}},
	}
	for _, tt := range good {
		t.Run("Good"+tt.in, func(t *testing.T) {
			t.Parallel()
			got, err := calendar.ParseLimit(tt.in)
			require.NoError(t, err)
			require.Equal(t, tt.want, got)
			require.NoError(t, got.Validate())

			// String output must parse back to the same limit.
			again, err := calendar.ParseLimit(got.String())
			require.NoError(t, err)
			require.Equal(t, got, again)
		})
	}

	bad := []string{
		"", "   ", "h", "days", "12", "-3 days", "+3 days", "3.5 days", "3 weeks",
		"3 m", "3 days extra", "three days", "3 day s", "100001 days",
		"99999999999999999999 hours", "12 hours12",
	}
	for _, in := range bad {
		t.Run(fmt.Sprintf("Bad%q", in), func(t *testing.T) {
			t.Parallel()
			_, err := calendar.ParseLimit(in)
			require.ErrorContains(t, err, fmt.Sprintf("%q", in), "the error names the bad input")
		})
	}
}

func TestLimitString(t *testing.T) {
	t.Parallel()
	tests := []struct {
		limit calendar.Limit
		want  string
	}{
		{calendar.Limit{Rule: calendar.Hours, Amount: 12}, "12 hours"},
		{calendar.Limit{Rule: calendar.Hours, Amount: 1}, "1 hour"},
		{calendar.Limit{Rule: calendar.CalendarDays, Amount: 20}, "20 calendar days"},
		{calendar.Limit{Rule: calendar.Months, Amount: 2}, "2 months"},
		{calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, "5 working days"},
		{calendar.Limit{Rule: calendar.WorkingDays, Amount: 0}, "0 working days"},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.want, tt.limit.String())
		})
	}
}

func TestRuleAndLimitValidity(t *testing.T) {
	t.Parallel()
	for _, r := range []calendar.Rule{calendar.Hours, calendar.CalendarDays, calendar.Months, calendar.WorkingDays} {
		require.True(t, r.Valid(), r)
	}
	for _, r := range []calendar.Rule{"", "days", "weeks", "Hours"} {
		require.False(t, r.Valid(), r)
	}
	require.Error(t, calendar.Limit{Rule: "weeks", Amount: 1}.Validate())
	require.Error(t, calendar.Limit{Rule: calendar.Months, Amount: -1}.Validate())
	require.Error(t, calendar.Limit{Rule: calendar.Hours, Amount: calendar.MaxAmount + 1}.Validate())
	require.NoError(t, calendar.Limit{Rule: calendar.Hours, Amount: 0}.Validate())
}

func TestWarnAt(t *testing.T) {
	t.Parallel()
	cal := calendar.New(nil)
	start := at(2026, 3, 1, 0, 0)
	due := at(2026, 3, 5, 0, 0) // 96 hours later
	tests := []struct {
		name     string
		fraction float64
		want     time.Time
	}{
		{"ThreeQuarters", 0.75, at(2026, 3, 4, 0, 0)},
		{"Half", 0.5, at(2026, 3, 3, 0, 0)},
		{"ZeroMeansDefault", 0, at(2026, 3, 4, 0, 0)},
		{"NegativeMeansDefault", -1, at(2026, 3, 4, 0, 0)},
		{"NaNMeansDefault", math.NaN(), at(2026, 3, 4, 0, 0)},
		{"One", 1, due},
		{"AboveOneIsClamped", 1.5, due},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, cal.WarnAt(start, due, tt.fraction))
		})
	}

	t.Run("12HourLimit", func(t *testing.T) {
		t.Parallel()
		// 0.75 of 12 hours is 9 hours.
		requireInstant(t, at(2026, 3, 11, 3, 30), cal.WarnAt(at(2026, 3, 10, 18, 30), at(2026, 3, 11, 6, 30), 0.75))
	})
}

func TestAdd(t *testing.T) {
	t.Parallel()
	sum, ok := calendar.Add(calendar.Limit{Rule: calendar.Months, Amount: 2}, calendar.Limit{Rule: calendar.Months, Amount: 1})
	require.True(t, ok)
	require.Equal(t, calendar.Limit{Rule: calendar.Months, Amount: 3}, sum)

	sum, ok = calendar.Add(calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, calendar.Limit{Rule: calendar.WorkingDays, Amount: -2})
	require.True(t, ok)
	require.Equal(t, calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, sum, "negative amounts count as zero")

	_, ok = calendar.Add(calendar.Limit{Rule: calendar.Months, Amount: 2}, calendar.Limit{Rule: calendar.CalendarDays, Amount: 30})
	require.False(t, ok)
}

func TestExtend(t *testing.T) {
	t.Parallel()
	cal := vietnam2026and2027(t)
	months := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.Months, Amount: n} }
	days := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.CalendarDays, Amount: n} }
	hours := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.Hours, Amount: n} }
	workingDays := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.WorkingDays, Amount: n} }

	tests := []struct {
		name  string
		start time.Time
		base  calendar.Limit
		ext   []calendar.Limit
		want  time.Time
	}{
		{"NoExtensionIsDue", at(2026, 3, 10, 14, 0), months(2), nil, endOf(2026, 5, 11)},
		{"2Plus2MonthsIs4Months", at(2026, 3, 10, 14, 0), months(2), []calendar.Limit{months(2)}, endOf(2026, 7, 10)},
		// Summed, not chained: 31 Jan + 2 months is Tue 31 Mar, whereas
		// chaining would go through 28 Feb (shifted to 2 Mar) to 2 Apr.
		{"MonthsAreSummedBeforeCounting", at(2026, 1, 31, 10, 0), months(1), []calendar.Limit{months(1)}, endOf(2026, 3, 31)},
		// 1 Apr + 30 days = Fri 1 May (holiday) → Mon 4 May; then Tue 5 (1),
		// Wed 6 (2), Thu 7 (3), Fri 8 (4), Mon 11 (5).
		// Days are summed first: 1 Apr + 30 days is Fri 1 May, a holiday,
		// which the strict reading does not move; then 5 working days: Mon 4
		// to Fri 8 May. (The lenient reading moves 1 May to Mon 4, and ends on
		// Mon 11.)
		{"MixedDaysThenWorkingDays", at(2026, 4, 1, 10, 0), days(20), []calendar.Limit{workingDays(5), days(10)}, endOf(2026, 5, 8)},
		// Fri 10 Apr is the last day of the month; 3 days later is Mon 13.
		{"DaysContinueFromLastDayNotNextMidnight", at(2026, 3, 10, 9, 0), months(1), []calendar.Limit{days(3)}, endOf(2026, 4, 13)},
		// 24 hours lands on Wed 11 Mar 09:00; 2 days after 11 Mar is Fri 13.
		{"HoursThenDays", at(2026, 3, 10, 9, 0), hours(24), []calendar.Limit{days(2)}, endOf(2026, 3, 13)},
		// 24:00 Wed 11 Mar plus 6 hours.
		{"DaysThenHours", at(2026, 3, 10, 9, 0), days(1), []calendar.Limit{hours(6)}, at(2026, 3, 12, 6, 0)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			requireInstant(t, tt.want, cal.Extend(tt.start, tt.base, tt.ext))
		})
	}
}

func TestExceeds(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		l, max  calendar.Limit
		exceeds bool
	}{
		{"SameRuleLonger", calendar.Limit{Rule: calendar.Months, Amount: 4}, calendar.Limit{Rule: calendar.Months, Amount: 2}, true},
		{"SameRuleEqual", calendar.Limit{Rule: calendar.Months, Amount: 2}, calendar.Limit{Rule: calendar.Months, Amount: 2}, false},
		{"SameRuleShorter", calendar.Limit{Rule: calendar.Hours, Amount: 12}, calendar.Limit{Rule: calendar.Hours, Amount: 24}, false},
		{"61DaysOver2Months", calendar.Limit{Rule: calendar.CalendarDays, Amount: 61}, calendar.Limit{Rule: calendar.Months, Amount: 2}, true},
		{"60DaysIs2Months", calendar.Limit{Rule: calendar.CalendarDays, Amount: 60}, calendar.Limit{Rule: calendar.Months, Amount: 2}, false},
		{"5WorkingDaysIsAWeek", calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, calendar.Limit{Rule: calendar.CalendarDays, Amount: 7}, false},
		{"6WorkingDaysOverAWeek", calendar.Limit{Rule: calendar.WorkingDays, Amount: 6}, calendar.Limit{Rule: calendar.CalendarDays, Amount: 7}, true},
		{"25HoursOverADay", calendar.Limit{Rule: calendar.Hours, Amount: 25}, calendar.Limit{Rule: calendar.CalendarDays, Amount: 1}, true},
		{"24HoursIsADay", calendar.Limit{Rule: calendar.Hours, Amount: 24}, calendar.Limit{Rule: calendar.CalendarDays, Amount: 1}, false},
		{"MonthOverWorkingDays", calendar.Limit{Rule: calendar.Months, Amount: 1}, calendar.Limit{Rule: calendar.WorkingDays, Amount: 20}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			require.Equal(t, tt.exceeds, tt.l.Exceeds(tt.max))
		})
	}
}

func TestLocation(t *testing.T) {
	t.Parallel()
	_, offset := time.Date(2026, 7, 1, 12, 0, 0, 0, calendar.Location()).Zone()
	require.Equal(t, 7*3600, offset)
}

// swaps2026 is 2026 with the government's swaps of days off: Friday 2/1 off
// for Saturday 10/1 worked, Monday 31/8 off for Saturday 22/8 worked
// (Công văn 12729/VPCP-KGVX; dantri 13/10/2025).
func swaps2026(t *testing.T) *calendar.Calendar {
	t.Helper()
	var off, working []calendar.Date
	for _, s := range []string{"2026-01-01", "2026-01-02", "2026-08-31", "2026-09-01", "2026-09-02"} {
		d, err := calendar.ParseDate(s)
		require.NoError(t, err)
		off = append(off, d)
	}
	for _, s := range []string{"2026-01-10", "2026-08-22"} {
		d, err := calendar.ParseDate(s)
		require.NoError(t, err)
		working = append(working, d)
	}
	return calendar.New(off).WithWorkingDays(working)
}

func TestMakeUpWorkingDays(t *testing.T) {
	cal := swaps2026(t)
	wd := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.WorkingDays, Amount: n} }
	days := func(n int) calendar.Limit { return calendar.Limit{Rule: calendar.CalendarDays, Amount: n} }
	for _, tc := range []struct {
		name  string
		start time.Time
		limit calendar.Limit
		want  time.Time
	}{
		// Fri 9/1 (1), Sat 10/1 worked (2), Mon 12 (3), Tue 13 (4), Wed 14 (5).
		{"five working days across the make-up Saturday", at(2026, 1, 8, 10, 0), wd(5), endOf(2026, 1, 14)},
		// Thu 1/1 and Fri 2/1 off, Sat 3 and Sun 4 off: Mon 5 (1), Tue 6 (2), Wed 7 (3).
		{"three working days across the New Year swap", at(2025, 12, 31, 16, 0), wd(3), endOf(2026, 1, 7)},
		// Fri 21/8 (1), Sat 22/8 worked (2): the plan is due that Saturday.
		{"two working days ending on the make-up Saturday", at(2026, 8, 20, 9, 0), wd(2), endOf(2026, 8, 22)},
		// Sat 22/8 worked (1); Sun 23 off; Mon 24 (2).
		{"two working days from the Friday before", at(2026, 8, 21, 9, 0), wd(2), endOf(2026, 8, 24)},
		// Mon 31/8, Tue 1/9 and Wed 2/9 off: Thu 3/9 (1), Fri 4/9 (2).
		{"two working days across National Day", at(2026, 8, 28, 9, 0), wd(2), endOf(2026, 9, 4)},
		// 10 days from Wed 12/8 end on Sat 22/8, a working day: no shift.
		{"a day limit ending on a make-up Saturday is not moved", at(2026, 8, 12, 9, 0), days(10), endOf(2026, 8, 22)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.Equal(t, tc.want.UTC(), cal.Due(tc.start, tc.limit))
		})
	}
	sat, err := calendar.ParseDate("2026-01-10")
	require.NoError(t, err)
	require.False(t, cal.IsDayOff(sat))
	fri, err := calendar.ParseDate("2026-01-02")
	require.NoError(t, err)
	require.True(t, cal.IsDayOff(fri))
	other, err := calendar.ParseDate("2026-01-17")
	require.NoError(t, err)
	require.True(t, cal.IsDayOff(other), "other Saturdays stay off")
	require.True(t, calendar.New(nil).IsDayOff(sat), "without the swap the Saturday is off")
}
