package casework_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/testenv"
)

// TestDemoCasesRunOnTheirVersions seeds the demo cases with version 2
// loaded: the cases begun on version 1 stay on it and still progress by its
// events, and the version 2 cases run beside them.
func TestDemoCasesRunOnTheirVersions(t *testing.T) {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "casework_demo")
	require.NoError(t, err)
	t.Cleanup(db.Close)
	db.DB.Now = fixedClock
	svc := casework.New(casework.Config{Store: db.DB, Workflows: env.flows, WorkflowID: "child-abuse", Now: fixedClock})
	n, err := svc.SeedDemoCases(ctx)
	require.NoError(t, err)
	require.Positive(t, n)

	as := func(username string) caseflow.Viewer {
		u, err := db.DB.UserByUsername(ctx, username)
		require.NoError(t, err)
		return caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency, IP: "127.0.0.1", RequestID: "test"}
	}
	versions, err := db.QueryStrings(ctx, `SELECT DISTINCT workflow_version::text FROM cases ORDER BY 1`)
	require.NoError(t, err)
	require.Equal(t, []string{"1", "2"}, versions)

	// The demo's sexual-abuse case waits for its forensic conclusion on
	// version 1; the forensic centre records it with version 1's event.
	codes, err := db.QueryStrings(ctx, `SELECT code FROM cases WHERE workflow_version = 1 AND state = 'forensic_exam' ORDER BY code LIMIT 1`)
	require.NoError(t, err)
	require.Len(t, codes, 1)
	health := as("health1")
	c, err := svc.Summary(ctx, health, codes[0])
	require.NoError(t, err)
	require.Equal(t, 1, c.WorkflowVersion)
	_, err = svc.Fire(ctx, health, c.Code, caseflow.EventRequest{Event: "conclude_forensic_exam", Version: c.Version,
		Data: map[string]any{"concluded_on": "2026-11-28", "conclusion": "Kết luận hư cấu"}})
	require.NoError(t, err)
	after, err := svc.Summary(ctx, as("police1"), c.Code)
	require.NoError(t, err)
	require.Equal(t, "investigation", after.State, "version 1 moves the case back to the investigation")
	require.Equal(t, 1, after.WorkflowVersion)

	// A version 2 event is unknown to a version 1 case.
	_, err = svc.Fire(ctx, as("police1"), c.Code, caseflow.EventRequest{Event: "deliver_exam_file", Version: after.Version,
		Data: map[string]any{"exam_kind": "injury"}})
	require.Equal(t, caseflow.EInvalid, caseflow.ErrorCode(err))

	// The version 2 prosecuted case has its support plan due while the
	// police investigate.
	plans, err := db.QueryStrings(ctx, `SELECT k.status FROM case_clocks k JOIN cases c ON c.id = k.case_id
		WHERE c.workflow_version = 2 AND c.state = 'investigation' AND k.clock = 'support_plan_drafted'`)
	require.NoError(t, err)
	require.Equal(t, []string{"running"}, plans)
}
