package caseflow_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

func indicator(t *testing.T, id caseflow.IndicatorID) caseflow.Indicator {
	t.Helper()
	ind, ok := caseflow.IndicatorByID(string(id))
	require.True(t, ok)
	return ind
}

func TestIndicatorMetIsDecidedInWholeNumbers(t *testing.T) {
	f := func(n, d int64) caseflow.Figure { return caseflow.Figure{Numerator: n, Denominator: d} }
	met := func(id caseflow.IndicatorID, fig caseflow.Figure) *bool { return indicator(t, id).Met(fig) }
	yes, no := true, false

	// resolution: > 95%. Exactly 95% (57/60, which is not exactly 0.95 in floating point) is not above it.
	require.Equal(t, &no, met(caseflow.IndicatorResolution, f(57, 60)))
	require.Equal(t, &no, met(caseflow.IndicatorResolution, f(19, 20)))
	require.Equal(t, &yes, met(caseflow.IndicatorResolution, f(191, 200)))
	// intake: = 100%.
	require.Equal(t, &yes, met(caseflow.IndicatorIntake, f(7, 7)))
	require.Equal(t, &no, met(caseflow.IndicatorIntake, f(999, 1000)))
	// yoy_change: a fall of at least 5%; exactly 5% meets it, a rise does not.
	require.Equal(t, &yes, met(caseflow.IndicatorYearOnYear, f(19, 20)))
	require.Equal(t, &yes, met(caseflow.IndicatorYearOnYear, f(80, 100)))
	require.Equal(t, &no, met(caseflow.IndicatorYearOnYear, f(96, 100)))
	require.Equal(t, &no, met(caseflow.IndicatorYearOnYear, f(30, 20)))
	// No data is never met nor failed; an indicator without a target has no verdict.
	require.Nil(t, met(caseflow.IndicatorIntake, f(0, 0)))
	require.Nil(t, met(caseflow.IndicatorEmergencyResponse, f(3, 4)))

	v := indicator(t, caseflow.IndicatorYearOnYear).Value(f(19, 20))
	require.InDelta(t, -0.05, *v, 1e-12)
	require.Nil(t, indicator(t, caseflow.IndicatorResolution).Value(f(0, 0)))
}

func TestEveryIndicatorIsDefined(t *testing.T) {
	ids := []caseflow.IndicatorID{"intake", "resolution", "on_time_resolution", "prosecution_of_crime_signs", "clearance",
		"clearance_serious", "indictment_on_time", "correct_charge", "court_resolution", "yoy_change", "emergency_response",
		"support_plan_on_time", "support_plan_share"}
	require.Len(t, caseflow.Indicators, len(ids))
	for i, ind := range caseflow.Indicators {
		require.Equal(t, ids[i], ind.ID, "report order")
		require.Greater(t, len(ind.Definition), 80, "%s needs a precise definition", ind.ID)
	}
	require.Equal(t, 0.95, *indicator(t, caseflow.IndicatorResolution).Target.Value())
	require.Nil(t, indicator(t, caseflow.IndicatorSupportPlanOnTime).Target.Value())
}

func TestParsePeriod(t *testing.T) {
	hcm, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	require.NoError(t, err)
	now := time.Date(2026, 11, 28, 18, 30, 0, 0, time.UTC) // 01:30 on 29 November in Hưng Yên

	t.Run("DaysAreWholeInTheProvincesZone", func(t *testing.T) {
		p, err := caseflow.ParsePeriod("2026-01-01", "2026-03-31", now)
		require.NoError(t, err)
		require.Equal(t, time.Date(2025, 12, 31, 17, 0, 0, 0, time.UTC), p.Start())
		require.Equal(t, time.Date(2026, 3, 31, 17, 0, 0, 0, time.UTC), p.End(), "the day after the last, exclusive")
		require.Equal(t, "2026-01-01", p.FromDate())
		require.Equal(t, "2026-03-31", p.ToDate())
	})
	t.Run("DefaultsToTheYearSoFar", func(t *testing.T) {
		p, err := caseflow.ParsePeriod("", "", now)
		require.NoError(t, err)
		require.Equal(t, "2026-01-01", p.FromDate())
		require.Equal(t, "2026-11-29", p.ToDate(), "today in Hưng Yên, not in UTC")
		require.Equal(t, hcm.String(), p.From.Location().String())
	})
	t.Run("YearEarlier", func(t *testing.T) {
		p, err := caseflow.ParsePeriod("2024-02-29", "2024-12-31", now)
		require.NoError(t, err)
		prev := p.YearEarlier()
		require.Equal(t, "2023-02-28", prev.FromDate())
		require.Equal(t, "2023-12-31", prev.ToDate())
	})
	t.Run("BadValuesNameTheField", func(t *testing.T) {
		for _, tc := range []struct{ from, to, field string }{
			{"2026-13-01", "", "from"},
			{"", "29/11/2026", "to"},
			{"2026-03-01", "2026-02-28", "to"},
			{"1999-12-31", "2000-01-01", "from"},
			{"2010-01-01", "2026-01-01", "to"},
		} {
			_, err := caseflow.ParsePeriod(tc.from, tc.to, now)
			var e *caseflow.Error
			require.ErrorAs(t, err, &e, "%+v", tc)
			require.Equal(t, caseflow.EInvalid, e.Code)
			require.Contains(t, e.Fields, tc.field, "%+v", tc)
		}
	})
}

func TestAgeGroups(t *testing.T) {
	age := func(n int) *int { return &n }
	for n, want := range map[int]string{0: "0-5", 5: "0-5", 6: "6-10", 10: "6-10", 11: "11-15", 15: "11-15", 16: "16-17", 17: "16-17", 18: caseflow.AgeUnknown} {
		require.Equal(t, want, caseflow.AgeGroupOf(age(n)), n)
	}
	require.Equal(t, caseflow.AgeUnknown, caseflow.AgeGroupOf(nil))
}
