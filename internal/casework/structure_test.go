package casework_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/testenv"
)

// at is the case service as it was at t, for steps of the district era.
func at(t time.Time) *casework.Service {
	return casework.New(casework.Config{Store: env.db.DB, Workflows: env.flows, WorkflowID: "child-abuse", WorkflowVersion: 1,
		Now: func() time.Time { return t }})
}

// agenciesWithAccess lists the codes of the agencies holding access to a case.
func agenciesWithAccess(t *testing.T, code string) []string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(), `SELECT a.code FROM case_access ca JOIN cases c ON c.id = ca.case_id
		JOIN agencies a ON a.id = ca.agency_id WHERE c.code = ? AND ca.revoked_at IS NULL ORDER BY a.code`, code)
	require.NoError(t, err)
	return rows
}

func TestTheDistrictEraRuleHoldsForItsOwnDays(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	// officer2024 worked for Thị trấn Như Quỳnh (11986), of Văn Lâm district,
	// until its commune became part of Xã Như Quỳnh on 1 July 2025.
	officer := viewer(t, "officer2024")
	referAt := func(t *testing.T, when time.Time) string {
		t.Helper()
		svc := at(when)
		r := newReport(when.Add(-2 * time.Hour))
		r.CommuneCode = "11986"
		key := "era-" + testenv.Suffix()
		res, err := svc.Intake(ctx, officer, r, key, []byte(key))
		require.NoError(t, err)
		require.Equal(t, "Thị trấn Như Quỳnh", res.Case.Commune.Name)
		_, err = svc.Fire(ctx, officer, res.Case.Code, caseflow.EventRequest{Event: "refer_police", Version: res.Case.Version,
			Data: map[string]any{"remote_commune": false}})
		require.NoError(t, err)
		return res.Case.Code
	}

	t.Run("BeforeMarch2025TheDistrictPolice", func(t *testing.T) {
		t.Parallel()
		code := referAt(t, time.Date(2024, 10, 8, 9, 0, 0, 0, caseflow.Zone))
		require.Contains(t, agenciesWithAccess(t, code), "CA-325", "Công an huyện Văn Lâm")
		require.NotContains(t, agenciesWithAccess(t, code), "CSDT-33")
	})

	t.Run("FromMarch2025TheProvincialInvestigationAgency", func(t *testing.T) {
		t.Parallel()
		// District police were abolished on 1 March 2025; the districts
		// themselves lasted until 30 June.
		code := referAt(t, time.Date(2025, 3, 5, 9, 0, 0, 0, caseflow.Zone))
		require.Contains(t, agenciesWithAccess(t, code), "CSDT-33")
		require.NotContains(t, agenciesWithAccess(t, code), "CA-325")
	})

	t.Run("AReportOfTheEraLoggedTodayIsReferredToTodaysPolice", func(t *testing.T) {
		t.Parallel()
		r := newReport(time.Date(2024, 10, 7, 15, 0, 0, 0, caseflow.Zone))
		r.CommuneCode = "11986"
		res, err := intake(viewer(t, "officer1"), r)
		require.NoError(t, err, "officer1's commune is what Thị trấn Như Quỳnh became")
		fire(t, "officer1", res.Case.Code, "refer_police", map[string]any{"remote_commune": false})
		require.Contains(t, agenciesWithAccess(t, res.Case.Code), "CSDT-33")
		require.NotContains(t, agenciesWithAccess(t, res.Case.Code), "CA-325")
	})
}

// Not parallel: the remap applies to every open case of the database, and
// the parallel tests, which run after it, assert their own grants.
func TestRemapHandsOpenCasesToTodaysAgencies(t *testing.T) {
	ctx := context.Background()
	officer := viewer(t, "officer2024")
	when := time.Date(2024, 11, 4, 9, 0, 0, 0, caseflow.Zone)
	svc := at(when)
	r := newReport(when.Add(-time.Hour))
	r.CommuneCode = "11986"
	key := "remap-" + testenv.Suffix()
	res, err := svc.Intake(ctx, officer, r, key, []byte(key))
	require.NoError(t, err)
	code := res.Case.Code
	_, err = svc.Fire(ctx, officer, code, caseflow.EventRequest{Event: "refer_police", Version: res.Case.Version,
		Data: map[string]any{"remote_commune": false}})
	require.NoError(t, err)
	require.Equal(t, []string{"CA-325", "CP-11986-2020"}, agenciesWithAccess(t, code))

	find := func(rep *caseflow.RemapReport) *caseflow.RemapCase {
		for i := range rep.Cases {
			if rep.Cases[i].Code == code {
				return &rep.Cases[i]
			}
		}
		return nil
	}
	// The operator's command runs with no account; an administrator may too,
	// nobody else.
	_, err = env.cases.RemapOpenCases(ctx, viewer(t, "supervisor1"), false)
	requireError(t, err, caseflow.EForbidden, "")

	dry, err := env.cases.RemapOpenCases(ctx, caseflow.Viewer{Username: "test-remap"}, false)
	require.NoError(t, err)
	rc := find(dry)
	require.NotNil(t, rc, "the open case of a commune that ended is listed")
	require.False(t, dry.Applied)
	require.Equal(t, "12004", rc.Today.Code)
	moves := map[string]string{}
	for _, m := range rc.Moves {
		if m.Kind == "access" {
			moves[m.From] = m.To
		}
	}
	require.Equal(t, map[string]string{"CA-325": "CSDT-33", "CP-11986-2020": "CP-12004"}, moves)
	require.Equal(t, []string{"CA-325", "CP-11986-2020"}, agenciesWithAccess(t, code), "a dry run changes nothing")

	applied, err := env.cases.RemapOpenCases(ctx, viewer(t, "admin1"), true)
	require.NoError(t, err)
	require.True(t, applied.Applied)
	require.Equal(t, []string{"CP-12004", "CSDT-33"}, agenciesWithAccess(t, code))
	c, err := env.cases.Summary(ctx, viewer(t, "police1"), code)
	require.NoError(t, err)
	require.Equal(t, caseflow.AccessFull, c.Access, "today's police can act on it")

	again, err := env.cases.RemapOpenCases(ctx, caseflow.Viewer{Username: "test-remap"}, true)
	require.NoError(t, err)
	require.Empty(t, find(again).Moves, "running it again does nothing more")
}
