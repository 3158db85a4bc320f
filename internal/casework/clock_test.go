package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
)

// extend asks, as username, to extend a clock of a case by duration.
func extend(t *testing.T, username, code, clock, duration string) (*caseflow.Clock, error) {
	t.Helper()
	_, k, err := env.cases.Extend(context.Background(), viewer(t, username), code, casework.ExtensionRequest{
		Clock: clock, Duration: duration, Reason: "Cần xác minh thêm (hư cấu)", LegalBasis: "BLTTHS 2015 Điều 147.2"})
	return k, err
}

func TestExtend(t *testing.T) {
	t.Parallel()

	t.Run("ProsecutorExtendsWithinTheLegalMaximum", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		before := clockOf(t, "prosecutor1", code, "resolve_report")
		require.Equal(t, "running", before.Status)
		// 20 days from Monday 30 November end on Sunday 20 December: under the
		// strict reading of Điều 134 a day limit is not moved off a day off.
		require.Equal(t, time.Date(2026, time.December, 21, 0, 0, 0, 0, caseflow.Zone), before.DueAt.In(caseflow.Zone))
		require.Equal(t, "strict", before.Policy, "the reading is recorded beside the due time")

		k, err := extend(t, "prosecutor1", code, "resolve_report", "40 calendar_days")
		require.NoError(t, err)
		require.Equal(t, before.Generation+1, k.Generation, "the old timers are superseded")
		require.Len(t, k.Extensions, 1)
		ext := k.Extensions[0]
		require.Equal(t, "prosecutor1", ext.By)
		require.True(t, now.Equal(ext.At), "recorded at the service's time: %s", ext.At)
		require.True(t, before.DueAt.Equal(ext.DueBefore))
		require.True(t, k.DueAt.Equal(ext.DueAfter))
		// 40 more days count from the limit's own last day (20 December): 60
		// days end with Friday 29 January.
		require.Equal(t, time.Date(2027, time.January, 30, 0, 0, 0, 0, caseflow.Zone), k.DueAt.In(caseflow.Zone))

		stored := clockOf(t, "prosecutor1", code, "resolve_report")
		require.True(t, k.DueAt.Equal(stored.DueAt))
		require.Len(t, stored.Extensions, 1)
	})

	t.Run("BeyondTheLegalMaximumIsRefused", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		before := clockOf(t, "prosecutor1", code, "resolve_report")
		// 20 days and 4 months more pass the 4 months in all of Điều 147.
		_, err := extend(t, "prosecutor1", code, "resolve_report", "4 months")
		requireError(t, err, caseflow.EInvalid, "duration")
		// So do 2 months after 2 months already granted.
		_, err = extend(t, "prosecutor1", code, "resolve_report", "2 months")
		require.NoError(t, err)
		_, err = extend(t, "prosecutor1", code, "resolve_report", "2 months")
		requireError(t, err, caseflow.EInvalid, "duration")

		after := clockOf(t, "prosecutor1", code, "resolve_report")
		require.Len(t, after.Extensions, 1, "refused extensions are not recorded")
		require.Equal(t, before.Generation+1, after.Generation)
	})

	t.Run("RoleNotAllowedIsForbidden", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		for _, user := range []string{"police1", "officer1"} {
			_, err := extend(t, user, code, "resolve_report", "10 calendar_days")
			requireError(t, err, caseflow.EForbidden, "")
		}
		require.Empty(t, clockOf(t, "prosecutor1", code, "resolve_report").Extensions)
	})

	t.Run("FollowerIsForbidden", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		_, err := extend(t, "supervisor1", code, "resolve_report", "10 calendar_days")
		requireError(t, err, caseflow.EForbidden, "")
	})

	t.Run("ClockWithoutExtensionsIsForbidden", func(t *testing.T) {
		t.Parallel()
		c := file(t, now.Add(-time.Hour))
		_, err := extend(t, "officer1", c.Code, "emergency_measures", "2 hours")
		requireError(t, err, caseflow.EForbidden, "")
	})

	t.Run("OnlyARunningClock", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		fire(t, "police1", code, "decide_prosecution", map[string]any{"crime_category": "serious", "penal_code_article": "Điều 134"})
		require.Equal(t, "stopped", clockOf(t, "prosecutor1", code, "resolve_report").Status)
		_, err := extend(t, "prosecutor1", code, "resolve_report", "10 calendar_days")
		requireError(t, err, caseflow.EInvalid, "clock")
	})

	t.Run("UnknownClockIsNotFound", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		_, err := extend(t, "prosecutor1", code, "no_such_clock", "10 calendar_days")
		requireError(t, err, caseflow.ENotFound, "")
	})

	t.Run("BadRequestNamesItsFields", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		_, _, err := env.cases.Extend(context.Background(), viewer(t, "prosecutor1"), code,
			casework.ExtensionRequest{Clock: "resolve_report", Duration: "a little longer"})
		requireError(t, err, caseflow.EInvalid, "duration")
		requireError(t, err, caseflow.EInvalid, "reason")
	})

	t.Run("LegalBasisIsNeededWhereNoStepGivesIt", func(t *testing.T) {
		t.Parallel()
		code := resolving(t)
		_, _, err := env.cases.Extend(context.Background(), viewer(t, "prosecutor1"), code,
			casework.ExtensionRequest{Clock: "resolve_report", Duration: "10 days", Reason: "cần xác minh thêm"})
		requireError(t, err, caseflow.EInvalid, "legal_basis")
	})
}
