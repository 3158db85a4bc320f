package casework_test

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// now is the time of every test, a Monday morning in the province: the case
// service and the storage both read it, so deadlines are computed and judged
// against the same instant whatever the wall clock says. Tests move time by
// choosing when a report was received.
var now = time.Date(2026, time.November, 30, 10, 0, 0, 0, caseflow.Zone)

func fixedClock() time.Time { return now }

// env is shared by the tests of this package: one database and one case
// service on the real workflow definitions. Every test files cases of its
// own, so tests run in parallel.
var env struct {
	db    *testenv.Database
	flows *workflow.Registry
	cases *casework.Service
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "casework")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer db.Close()
	db.DB.Now = fixedClock
	flows, err := workflow.LoadDir("../../workflows")
	if err != nil {
		fmt.Fprintln(os.Stderr, "workflows:", err)
		return 1
	}
	env.db, env.flows = db, flows
	env.cases = casework.New(casework.Config{Store: db.DB, Workflows: flows, WorkflowID: "child-abuse", WorkflowVersion: 1, Now: fixedClock})
	return m.Run()
}

// viewer returns a demo account as the service sees it.
func viewer(t *testing.T, username string) caseflow.Viewer {
	t.Helper()
	u, err := env.db.DB.UserByUsername(context.Background(), username)
	require.NoError(t, err)
	return caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency, IP: "127.0.0.1", RequestID: "test"}
}

// newReport returns a valid report for officer1's commune (12005), received
// at receivedAt, about a fictional child of a unique name.
func newReport(receivedAt time.Time) *caseflow.Report {
	return &caseflow.Report{
		ReceivedAt: receivedAt, Channel: "hotline_111", CommuneCode: "12004",
		AbuseTypes: []string{"physical"}, Setting: "family", ImmediateDanger: true,
		Children: []caseflow.Person{{Kind: caseflow.PersonChild, FullName: "Bé Hư Cấu " + testenv.Suffix(), Sex: "female",
			DateOfBirth: "2015-03-02", Address: "Thôn Giả Định"}},
		Reporter:  &caseflow.Person{Kind: caseflow.PersonReporter, Anonymous: true},
		Narrative: "Câu chuyện hư cấu dùng cho kiểm thử.",
	}
}

// intake files r as v under a fresh idempotency key.
func intake(v caseflow.Viewer, r *caseflow.Report) (*caseflow.IntakeResult, error) {
	key := "test-" + testenv.Suffix()
	return env.cases.Intake(context.Background(), v, r, key, []byte(key))
}

// file files a report received at receivedAt as officer1 and returns the
// new case.
func file(t *testing.T, receivedAt time.Time) *caseflow.Case {
	t.Helper()
	res, err := intake(viewer(t, "officer1"), newReport(receivedAt))
	require.NoError(t, err)
	require.True(t, res.Created)
	return res.Case
}

// fire fires event on the case's current version as username and returns
// the case after it.
func fire(t *testing.T, username, code, event string, data map[string]any) *caseflow.Case {
	t.Helper()
	v := viewer(t, username)
	c, err := env.cases.Summary(context.Background(), v, code)
	require.NoError(t, err)
	after, err := env.cases.Fire(context.Background(), v, code, caseflow.EventRequest{Event: event, Version: c.Version, Data: data})
	require.NoError(t, err, "%s fires %s", username, event)
	return after
}

// referredToPolice files a report and refers it to the police of the
// commune's district (police1's agency).
func referredToPolice(t *testing.T) string {
	t.Helper()
	c := file(t, now.Add(-time.Hour))
	fire(t, "officer1", c.Code, "refer_police", map[string]any{"remote_commune": false})
	return c.Code
}

// resolving files a report that the police have accepted and notified the
// procuracy of: its resolve_report clock runs, and prosecutor1, who alone
// may extend it, sees the case.
func resolving(t *testing.T) string {
	t.Helper()
	code := referredToPolice(t)
	fire(t, "police1", code, "accept_referral", nil)
	fire(t, "police1", code, "notify_procuracy", map[string]any{"notified_on": "2026-11-30"})
	return code
}

// clockOf returns the newest clock of a case with the given name.
func clockOf(t *testing.T, username, code, name string) caseflow.Clock {
	t.Helper()
	_, ks, err := env.cases.Clocks(context.Background(), viewer(t, username), code)
	require.NoError(t, err)
	for _, k := range ks {
		if k.Clock == name {
			return k
		}
	}
	t.Fatalf("case %s has no clock %s", code, name)
	return caseflow.Clock{}
}

// requireError requires err to be a caseflow error with code and, unless
// field is empty, one naming field.
func requireError(t *testing.T, err error, code, field string) {
	t.Helper()
	require.Error(t, err)
	require.Equal(t, code, caseflow.ErrorCode(err), err.Error())
	if field != "" {
		var e *caseflow.Error
		require.ErrorAs(t, err, &e)
		require.Contains(t, e.Fields, field, err.Error())
	}
}
