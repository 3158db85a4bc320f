package casework_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
)

func TestComplianceAccess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	sees := func(t *testing.T, v caseflow.Viewer, unit, want string) {
		t.Helper()
		rep, err := env.cases.Compliance(ctx, v, casework.ComplianceRequest{Unit: unit})
		require.NoError(t, err, "%s sees unit %q", v.Username, unit)
		require.Equal(t, want, rep.Unit.Code)
	}
	refused := func(t *testing.T, v caseflow.Viewer, unit string) {
		t.Helper()
		_, err := env.cases.Compliance(ctx, v, casework.ComplianceRequest{Unit: unit})
		requireError(t, err, caseflow.EForbidden, "")
		_, err = env.cases.ComplianceCases(ctx, v, casework.ComplianceCasesRequest{
			ComplianceRequest: casework.ComplianceRequest{Unit: unit}, Indicator: caseflow.Breaches})
		requireError(t, err, caseflow.EForbidden, "")
	}

	t.Run("ProvinceSupervisorSeesEveryUnit", func(t *testing.T) {
		t.Parallel()
		v := viewer(t, "supervisor1")
		sees(t, v, "", "33")
		sees(t, v, "33", "33")
		sees(t, v, "12004", "12004")
		sees(t, v, "11953", "11953")
	})

	t.Run("AnEarlierStructureIsReportedForThePeriodsItCovered", func(t *testing.T) {
		t.Parallel()
		v := viewer(t, "supervisor1")
		y2024 := casework.ComplianceRequest{From: "2024-01-01", To: "2024-12-31", Structure: "2021"}
		for unit, want := range map[string]caseflow.Unit{
			"":      {Code: "33", Level: caseflow.LevelProvince},
			"325":   {Code: "325", Name: "Huyện Văn Lâm", Level: caseflow.LevelDistrict, Structure: "2021"},
			"12004": {Code: "12004", Name: "Xã Đình Dù", Level: caseflow.LevelCommune, Structure: "2021"},
		} {
			q := y2024
			q.Unit = unit
			rep, err := env.cases.Compliance(ctx, v, q)
			require.NoError(t, err, unit)
			require.Equal(t, want.Code, rep.Unit.Code)
			require.Equal(t, want.Level, rep.Unit.Level)
			require.Equal(t, "2021", rep.Structure)
			if want.Name != "" {
				require.Equal(t, want.Name, rep.Unit.Name, "in 2024 the code %s named another unit", unit)
			}
		}
		rep, err := env.cases.Compliance(ctx, v, casework.ComplianceRequest{From: "2024-01-01", To: "2024-12-31"})
		require.NoError(t, err)
		require.Equal(t, "2025", rep.Structure, "by default, on today's units")
		require.Len(t, rep.Units, 104)

		late := y2024
		late.To = "2025-07-31"
		_, err = env.cases.Compliance(ctx, v, late)
		requireError(t, err, caseflow.EInvalid, "structure")
		wrong := y2024
		wrong.Structure = "1999"
		_, err = env.cases.Compliance(ctx, v, wrong)
		requireError(t, err, caseflow.EInvalid, "structure")
		old := y2024
		old.Unit = "325"
		old.Structure = ""
		_, err = env.cases.Compliance(ctx, v, old)
		requireError(t, err, caseflow.EInvalid, "unit")
		// officer1's code names Xã Đình Dù on the 2021 structure: not their commune.
		_, err = env.cases.Compliance(ctx, viewer(t, "officer1"), casework.ComplianceRequest{From: "2024-01-01", To: "2024-12-31", Structure: "2021"})
		requireError(t, err, caseflow.EForbidden, "")
	})

	t.Run("CommuneOfficerSeesTheirOwnCommuneOnly", func(t *testing.T) {
		t.Parallel()
		v := viewer(t, "officer1")
		sees(t, v, "", "12004")
		sees(t, v, "12004", "12004")
		refused(t, v, "11953")
		refused(t, v, "33")
	})

	t.Run("OtherRolesSeeNone", func(t *testing.T) {
		t.Parallel()
		for _, user := range []string{"police1", "health1", "prosecutor1", "court1", "social1", "admin1"} {
			refused(t, viewer(t, user), "")
		}
	})

	t.Run("UnknownUnitIsInvalid", func(t *testing.T) {
		t.Parallel()
		_, err := env.cases.Compliance(ctx, viewer(t, "supervisor1"), casework.ComplianceRequest{Unit: "99999"})
		requireError(t, err, caseflow.EInvalid, "unit")
	})

	t.Run("PeriodDefaultsToTheYearSoFar", func(t *testing.T) {
		t.Parallel()
		rep, err := env.cases.Compliance(ctx, viewer(t, "supervisor1"), casework.ComplianceRequest{})
		require.NoError(t, err)
		require.Equal(t, "2026-01-01", rep.Period.FromDate())
		require.Equal(t, "2026-11-30", rep.Period.ToDate(), "to today, by the injected clock")
		require.True(t, now.Equal(rep.AsOf), "as of %s", rep.AsOf)
	})

	t.Run("ExportFollowsTheSameAccess", func(t *testing.T) {
		t.Parallel()
		var buf bytes.Buffer
		_, err := env.cases.ComplianceExport(ctx, viewer(t, "officer1"), casework.ComplianceRequest{Unit: "11953"}, casework.FormatCSV, &buf)
		requireError(t, err, caseflow.EForbidden, "")
		require.Zero(t, buf.Len(), "nothing is written for a unit the caller may not see")

		name, err := env.cases.ComplianceExport(ctx, viewer(t, "officer1"), casework.ComplianceRequest{}, casework.FormatCSV, &buf)
		require.NoError(t, err)
		require.Equal(t, "bao-cao-chi-tieu-12004-2026-01-01-2026-11-30.csv", name)
		require.NotZero(t, buf.Len())
	})
}
