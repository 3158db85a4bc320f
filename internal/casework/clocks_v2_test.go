package casework_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/calendar"
	"caseflow/internal/workflow"
	"caseflow/seeds"
)

// seededCalendar is the legal calendar of the shipped holiday list, make-up
// working Saturdays included.
func seededCalendar(t *testing.T) *calendar.Calendar {
	t.Helper()
	hs, err := seeds.Holidays()
	require.NoError(t, err)
	var off, working []calendar.Date
	for _, h := range hs {
		d, err := calendar.ParseDate(h.Date)
		require.NoError(t, err)
		if h.Working {
			working = append(working, d)
		} else {
			off = append(off, d)
		}
	}
	return calendar.New(off).WithWorkingDays(working)
}

// TestEveryClockOfVersion2 gives each clock of workflow v2 (and each crime
// category of a clock limited by category) its due time for a report acted
// on at 09:00 on Monday 26 January 2026, written out by hand from the
// statute, under the strict reading of Điều 134 and under the lenient one.
// The start sits three weeks before Tết Bính Ngọ (off 16–20/2/2026) and
// three months before the Hùng Kings' day off (27/4/2026), so that both
// readings are put to the test. A clock added to v2 without a row here
// fails the test.
func TestEveryClockOfVersion2(t *testing.T) {
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	def, ok := flows.Get("child-abuse", 2)
	require.True(t, ok)
	cal := seededCalendar(t)
	ict := time.FixedZone("ICT", 7*3600)
	start := time.Date(2026, 1, 26, 9, 0, 0, 0, ict)
	at := func(m time.Month, d, h int) time.Time { return time.Date(2026, m, d, h, 0, 0, 0, ict) }
	end := func(m time.Month, d int) time.Time { return time.Date(2026, m, d, 24, 0, 0, 0, ict) }

	rows := []struct {
		clock, category string
		strict, lenient time.Time
		why             string
	}{
		{"emergency_measures", "", at(1, 26, 21), at(1, 26, 21), "12 hours, exact (NĐ 56 Đ26.3)"},
		{"emergency_measures_after_assessment", "", at(1, 26, 21), at(1, 26, 21), "12 hours from the assessment"},
		{"temporary_separation", "", end(2, 10), end(2, 10), "15 days: Tuesday 10/2 (NĐ 56 Đ32)"},
		{"procuracy_told_of_referral", "", at(1, 27, 9), at(1, 27, 9), "\"ngay\" read as 24 hours (TTLT 01/2022 Đ8.2)"},
		{"support_plan_drafted", "", end(2, 2), end(2, 2), "5 working days: Tue 27 – Fri 30/1, Mon 2/2 (NĐ 56 Đ28.1)"},
		{"support_plan_approved", "", end(1, 28), end(1, 28), "2 working days: Wednesday 28/1"},
		{"procuracy_forwarding", "", at(1, 27, 9), at(1, 27, 9), "\"at once\" read as 24 hours (Đ145.3)"},
		{"tell_child_protection", "", end(1, 29), end(1, 29), "3 days, this file's reading (TTLT 01/2022 Đ8.2 gives none)"},
		{"police_receipt", "", at(1, 26, 21), at(1, 26, 21), "12 hours (HD 11/HD-BCA-V03, W)"},
		{"police_receipt_remote", "", at(1, 27, 9), at(1, 27, 9), "24 hours, remote commune"},
		{"procuracy_notice", "", end(1, 29), end(1, 29), "3 days: Thursday 29/1"},
		{"procuracy_notice_working_days", "", end(1, 29), end(1, 29), "3 working days: Thursday 29/1"},
		{"resolve_report", "", end(2, 15), end(2, 23), "20 days end on Sunday 15/2; moved past the weekend, Tết and the next weekend only on the lenient reading (Đ147.1, Đ134)"},
		{"suspension_to_procuracy", "", at(1, 27, 9), at(1, 27, 9), "24 hours (Đ148.2)"},
		{"suspension_to_reporter", "", at(1, 27, 9), at(1, 27, 9), "24 hours (Đ148.2)"},
		{"resolve_after_resumption", "", end(2, 26), end(2, 26), "1 month: Thursday 26/2 (Đ149.1)"},
		{"resumption_to_procuracy", "", end(1, 29), end(1, 29), "3 days (Đ149.2)"},
		{"resumption_to_reporter", "", end(1, 29), end(1, 29), "3 days (Đ149.2)"},
		{"prosecution_to_procuracy", "", at(1, 27, 9), at(1, 27, 9), "24 hours (Đ154, M)"},
		{"decline_to_procuracy", "", end(1, 29), end(1, 29), "3 days (Đ158, M)"},
		{"tell_reporter", "", end(1, 29), end(1, 29), "3 days"},
		{"exam_delivery", "", at(1, 27, 9), at(1, 27, 9), "24 hours from the request (Đ205.3)"},
		{"forensic_conclusion", "", end(2, 4), end(2, 4), "9 days: Wednesday 4/2 (Đ208.1c)"},
		{"forensic_conclusion_sexual_abuse", "", end(2, 4), end(2, 4), "9 days (TT 13/2022 Đ2.2a)"},
		{"forensic_conclusion_sexual_abuse_5d", "", end(1, 31), end(2, 2), "5 days end on Saturday 31/1; Monday 2/2 on the lenient reading"},
		{"forensic_conclusion_month", "", end(2, 26), end(2, 26), "1 month (Đ208.1b)"},
		{"forensic_conclusion_mental_state", "", end(4, 28), end(4, 28), "3 months: Sunday 26/4, then the Hùng Kings' day off 27/4: Tuesday 28/4 (Đ208.1a, Đ134)"},
		{"investigation", "less_serious", end(3, 26), end(3, 26), "2 months (Đ172.1)"},
		{"investigation", "serious", end(4, 28), end(4, 28), "3 months: 26/4 is a Sunday, 27/4 a day off"},
		{"investigation", "very_serious", end(5, 26), end(5, 26), "4 months"},
		{"investigation", "especially_serious", end(5, 26), end(5, 26), "4 months"},
		{"supplementary_investigation", "", end(3, 26), end(3, 26), "2 months after a procuracy return (Đ174.2)"},
		{"supplementary_investigation_court", "", end(2, 26), end(2, 26), "1 month after a court return (Đ174.2)"},
		{"indictment", "less_serious", end(2, 15), end(2, 23), "20 days (Đ240.1)"},
		{"indictment", "serious", end(2, 15), end(2, 23), "20 days (Đ240.1)"},
		{"indictment", "very_serious", end(2, 25), end(2, 25), "30 days: Wednesday 25/2"},
		{"indictment", "especially_serious", end(2, 25), end(2, 25), "30 days"},
		{"procuracy_decision_delivery", "", end(1, 29), end(1, 29), "3 days (Đ240.2)"},
		{"judge_assignment", "", end(1, 29), end(1, 29), "3 days (Đ276)"},
		{"trial_preparation", "less_serious", end(2, 25), end(2, 25), "30 days (Đ277.1)"},
		{"trial_preparation", "serious", end(3, 12), end(3, 12), "45 days: Thursday 12/3"},
		{"trial_preparation", "very_serious", end(3, 26), end(3, 26), "2 months"},
		{"trial_preparation", "especially_serious", end(4, 28), end(4, 28), "3 months, moved past 26–27/4"},
		{"trial_re_preparation", "", end(2, 10), end(2, 10), "15 days after a return (Đ277.2)"},
		{"open_hearing", "", end(2, 10), end(2, 10), "15 days (Đ277.3)"},
		{"service_referral_response", "", end(1, 28), end(1, 28), "2 working days (house rule)"},
	}
	covered := map[string]bool{}
	for _, r := range rows {
		covered[r.clock] = true
		k, ok := def.Clock(r.clock)
		require.True(t, ok, "v2 has no clock %s", r.clock)
		l, ok := k.LimitFor(r.category)
		require.True(t, ok, "%s: no limit for %q", r.clock, r.category)
		lim := calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount}
		for _, p := range []struct {
			name string
			pol  calendar.Policy
			want time.Time
		}{{"strict", calendar.Strict, r.strict}, {"lenient", calendar.Lenient, r.lenient}} {
			got := cal.WithPolicy(p.pol).Due(start, lim)
			require.True(t, p.want.Equal(got), "%s %s under the %s reading: want %s (%s), got %s",
				r.clock, r.category, p.name, p.want.In(ict), r.why, got.In(ict))
		}
	}
	for _, k := range def.Clocks {
		require.True(t, covered[k.ID], "clock %s of v2 has no row with its due time written out", k.ID)
	}
}

// TestVersion2ExtensionCaps writes out, for the same start, the furthest
// due time each extension step allows, from the steps' amounts and totals.
func TestVersion2ExtensionCaps(t *testing.T) {
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	def, _ := flows.Get("child-abuse", 2)
	cal := seededCalendar(t)
	ict := time.FixedZone("ICT", 7*3600)
	start := time.Date(2026, 1, 26, 9, 0, 0, 0, ict)
	end := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 24, 0, 0, 0, ict) }
	lim := func(l *workflow.Limit) calendar.Limit {
		return calendar.Limit{Rule: calendar.Rule(l.Rule), Amount: l.Amount}
	}
	step := func(clock, id string) *workflow.ExtensionStep {
		k, _ := def.Clock(clock)
		st, ok := k.Step(id)
		require.True(t, ok, "%s has no step %s", clock, id)
		return st
	}

	// Đ147.2: the police prolong to 2 months in all: Thursday 26/3/2026.
	pro := step("resolve_report", "prolongation")
	require.Equal(t, []string{"police"}, rolesOf(pro))
	require.True(t, end(2026, 3, 26).Equal(cal.Due(start, lim(pro.Total))))
	// Đ147.3: the procuracy once, +2 months, 4 in all: Tuesday 26/5/2026.
	vks := step("resolve_report", "procuracy_extension")
	require.Equal(t, []string{"prosecutor"}, rolesOf(vks))
	require.Equal(t, 1, vks.Times)
	require.Equal(t, []string{"prolongation"}, vks.After)
	require.True(t, end(2026, 5, 26).Equal(cal.Extend(start, lim(pro.Total), []calendar.Limit{lim(vks.Amount)})))
	require.True(t, end(2026, 5, 26).Equal(cal.Due(start, lim(vks.Total))))

	// Đ172: the steps of each category add up to its maximum from the
	// start: 4, 8, 12 and 20 months.
	k, _ := def.Clock("investigation")
	for cat, want := range map[string]time.Time{
		"less_serious":       end(2026, 5, 26), // 2 + 2
		"serious":            end(2026, 9, 28), // 3 + 3 + 2: Saturday 26/9 → Monday 28/9
		"very_serious":       end(2027, 1, 26), // 4 + 4 + 4
		"especially_serious": end(2027, 9, 27), // 4 + 4 + 4 + 4 + 4: Sunday 26/9/2027 → Monday 27/9
	} {
		base, _ := k.LimitFor(cat)
		var exts []calendar.Limit
		for _, st := range k.Extensions {
			if st.AppliesTo(cat) {
				exts = append(exts, lim(st.Amount))
			}
		}
		got := cal.Extend(start, calendar.Limit{Rule: calendar.Rule(base.Rule), Amount: base.Amount}, exts)
		require.True(t, want.Equal(got), "investigation %s: want %s, got %s", cat, want.In(ict), got.In(ict))
	}
}

func rolesOf(st *workflow.ExtensionStep) []string {
	out := make([]string, len(st.Roles))
	for i, r := range st.Roles {
		out[i] = string(r)
	}
	return out
}
