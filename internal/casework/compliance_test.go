package casework_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/testenv"
)

// districtSupervisor creates a supervisor of Văn Lâm district (unit 325,
// above officer1's commune 12005) and returns them.
func districtSupervisor(t *testing.T) caseflow.Viewer {
	t.Helper()
	name := "supervisor325-" + testenv.Suffix()
	u := &caseflow.User{Username: name, DisplayName: "Giám sát huyện (hư cấu)", Role: caseflow.RoleSupervisor,
		Agency: caseflow.Agency{Code: "LD-325"}}
	require.NoError(t, env.db.DB.CreateUser(context.Background(), viewer(t, "admin1"), u, "not-a-usable-hash"))
	return viewer(t, name)
}

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
		sees(t, v, "325", "325")
		sees(t, v, "12005", "12005")
		sees(t, v, "12015", "12015")
	})

	t.Run("DistrictSupervisorSeesTheirDistrictAndItsCommunes", func(t *testing.T) {
		t.Parallel()
		v := districtSupervisor(t)
		sees(t, v, "", "325")
		sees(t, v, "12005", "12005")
		refused(t, v, "33")
		refused(t, v, "328")
		refused(t, v, "12015")
	})

	t.Run("CommuneOfficerSeesTheirOwnCommuneOnly", func(t *testing.T) {
		t.Parallel()
		v := viewer(t, "officer1")
		sees(t, v, "", "12005")
		sees(t, v, "12005", "12005")
		refused(t, v, "12015")
		refused(t, v, "325")
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
		_, err := env.cases.ComplianceExport(ctx, viewer(t, "officer1"), casework.ComplianceRequest{Unit: "12015"}, casework.FormatCSV, &buf)
		requireError(t, err, caseflow.EForbidden, "")
		require.Zero(t, buf.Len(), "nothing is written for a unit the caller may not see")

		name, err := env.cases.ComplianceExport(ctx, viewer(t, "officer1"), casework.ComplianceRequest{}, casework.FormatCSV, &buf)
		require.NoError(t, err)
		require.Equal(t, "bao-cao-chi-tieu-12005-2026-01-01-2026-11-30.csv", name)
		require.NotZero(t, buf.Len())
	})
}
