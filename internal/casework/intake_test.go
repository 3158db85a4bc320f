package casework_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

func TestIntake(t *testing.T) {
	t.Parallel()

	t.Run("CommuneOfficerFilesAReport", func(t *testing.T) {
		t.Parallel()
		r := newReport(now.Add(-time.Hour))
		res, err := intake(viewer(t, "officer1"), r)
		require.NoError(t, err)
		require.True(t, res.Created)
		c := res.Case
		require.Regexp(t, `^HY-2026-\d{6}$`, c.Code)
		require.Equal(t, "received", c.State)
		require.Equal(t, 1, c.Version)
		require.Equal(t, "child-abuse", c.WorkflowID)
		require.Equal(t, caseflow.AccessFull, c.Access)
		require.Equal(t, "12004", c.Commune.Code)
		require.Len(t, c.Children, 1)
		require.Equal(t, r.Children[0].FullName, c.Children[0].FullName)
		require.False(t, c.Overdue)
	})

	t.Run("AnswersTheCaseAsItIsReadBack", func(t *testing.T) {
		t.Parallel()
		// Received long enough ago that its intake clocks are overdue on
		// arrival, with every kind of person.
		for _, received := range []time.Time{now.Add(-time.Hour), now.Add(-30 * 24 * time.Hour)} {
			r := newReport(received)
			age := 40
			r.Suspects = []caseflow.Person{{Kind: caseflow.PersonSuspect, FullName: "Người Giả Định", Relationship: "relative", Age: &age}}
			r.Reporter = &caseflow.Person{Kind: caseflow.PersonReporter, FullName: "Người Báo Giả", Phone: "0912345678", Relationship: "neighbour"}
			v := viewer(t, "officer1")
			res, err := intake(v, r)
			require.NoError(t, err)
			back, err := env.cases.Case(context.Background(), v, res.Case.Code)
			require.NoError(t, err)
			require.Equal(t, back, res.Case, "received %s", received)
			require.NotEmpty(t, back.NextClock)
		}
	})

	t.Run("WritesEveryRowOfTheCase", func(t *testing.T) {
		t.Parallel()
		// The rows that hang on a new case are written in one statement;
		// each must be there, with the values its table keeps.
		r := newReport(now.Add(-time.Hour))
		r.Suspects = []caseflow.Person{{Kind: caseflow.PersonSuspect, FullName: "Người Giả Định", Relationship: "relative"}}
		v := viewer(t, "officer1")
		key := "rows-" + testenv.Suffix()
		res, err := env.cases.Intake(context.Background(), v, r, key, []byte(key))
		require.NoError(t, err)
		code := res.Case.Code
		ctx := context.Background()
		rows := func(q string) []string {
			t.Helper()
			out, err := env.db.QueryStrings(ctx, q, code)
			require.NoError(t, err)
			return out
		}
		require.Equal(t, []string{"1"}, rows(`SELECT count(*) FROM case_keys k JOIN cases c ON c.id = k.case_id
			WHERE c.code = ? AND k.wrapped <> '' AND k.kek_id <> '' AND k.shredded_at IS NULL`))
		require.Equal(t, []string{"child 0 11", "reporter 0 -", "suspect 0 -"}, rows(`SELECT p.kind || ' ' || p.position || ' ' ||
			coalesce(p.age_at_report::text, '-') FROM case_people p JOIN cases c ON c.id = p.case_id WHERE c.code = ? ORDER BY p.kind`))
		require.Equal(t, []string{"0"}, rows(`SELECT n.position::text FROM case_name_index n JOIN cases c ON c.id = n.case_id WHERE c.code = ?`))
		require.Equal(t, []string{"CP-12004 full intake"}, rows(`SELECT a.code || ' ' || ca.scope || ' ' || ca.reason
			FROM case_access ca JOIN cases c ON c.id = ca.case_id JOIN agencies a ON a.id = ca.agency_id WHERE c.code = ?`))
		require.Equal(t, []string{"1 report_received received officer1"}, rows(`SELECT h.version || ' ' || h.event || ' ' || h.to_state || ' ' ||
			u.username FROM case_history h JOIN cases c ON c.id = h.case_id JOIN users u ON u.id = h.actor_id WHERE c.code = ?`))
		require.Equal(t, []string{"officer1 127.0.0.1 test"}, rows(`SELECT username || ' ' || ip || ' ' || request_id FROM audit_log
			WHERE action = 'case.create' AND case_code = ?`))
		require.Equal(t, []string{key}, rows(`SELECT i.key FROM idempotency_keys i JOIN cases c ON c.id = i.case_id WHERE c.code = ?`))

		again, err := env.cases.Intake(ctx, v, r, key, []byte(key))
		require.NoError(t, err)
		require.False(t, again.Created)
		require.Equal(t, code, again.Case.Code)
	})

	t.Run("OnlyCommuneOfficersFile", func(t *testing.T) {
		t.Parallel()
		for _, user := range []string{"police1", "health1", "prosecutor1", "court1", "social1", "supervisor1", "admin1"} {
			_, err := intake(viewer(t, user), newReport(now.Add(-time.Hour)))
			requireError(t, err, caseflow.EForbidden, "")
		}
		// Who files is checked before what is filed.
		bad := newReport(now.AddDate(0, 0, 1))
		bad.Channel = "carrier_pigeon"
		_, err := intake(viewer(t, "police1"), bad)
		requireError(t, err, caseflow.EForbidden, "")
	})

	t.Run("OfficerFilesForTheirOwnCommuneOnly", func(t *testing.T) {
		t.Parallel()
		_, err := intake(viewer(t, "officer2"), newReport(now.Add(-time.Hour)))
		requireError(t, err, caseflow.EInvalid, "commune_code")
	})

	t.Run("ReceivedInTheFutureIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := intake(viewer(t, "officer1"), newReport(now.Add(10*time.Minute)))
		requireError(t, err, caseflow.EInvalid, "received_at")
		_, err = intake(viewer(t, "officer1"), newReport(now.AddDate(0, 0, 1)))
		requireError(t, err, caseflow.EInvalid, "received_at")
	})

	t.Run("ClocksMaySkewByAFewMinutes", func(t *testing.T) {
		t.Parallel()
		res, err := intake(viewer(t, "officer1"), newReport(now.Add(4*time.Minute)))
		require.NoError(t, err)
		require.True(t, res.Created)
	})

	t.Run("ReceivedMoreThanFiveYearsAgoIsRefused", func(t *testing.T) {
		t.Parallel()
		_, err := intake(viewer(t, "officer1"), newReport(now.AddDate(-5, 0, -1)))
		requireError(t, err, caseflow.EInvalid, "received_at")
	})

	t.Run("ReceivedJustUnderFiveYearsAgoIsFiled", func(t *testing.T) {
		t.Parallel()
		receivedAt := now.AddDate(-5, 0, 1)
		res, err := intake(viewer(t, "officer1"), newReport(receivedAt))
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("HY-%d-", receivedAt.Year()), res.Case.Code[:8], "the code carries the year received")
	})

	t.Run("ClocksRunFromReceipt", func(t *testing.T) {
		t.Parallel()
		receivedAt := now.Add(-3 * time.Hour)
		c := file(t, receivedAt)
		k := clockOf(t, "officer1", c.Code, "emergency_measures")
		require.Equal(t, "running", k.Status)
		require.True(t, receivedAt.Equal(k.StartedAt), "started %s, received %s", k.StartedAt, receivedAt)
		require.True(t, receivedAt.Add(12*time.Hour).Equal(k.DueAt), "due %s", k.DueAt)
		require.False(t, c.Overdue)
	})

	t.Run("ReportLoggedLateIsOverdueOnArrival", func(t *testing.T) {
		t.Parallel()
		receivedAt := now.Add(-13 * time.Hour)
		c := file(t, receivedAt)
		require.True(t, c.Overdue, "the 12-hour emergency clock ran out an hour before the report was logged")
		require.Equal(t, "emergency_measures", c.NextClock)
		require.NotNil(t, c.NextDue)
		require.True(t, c.NextDue.Before(now), "due %s", c.NextDue)

		again, err := env.cases.Case(context.Background(), viewer(t, "officer1"), c.Code)
		require.NoError(t, err)
		require.True(t, again.Overdue)
	})

	t.Run("InvalidReportNamesEveryBadField", func(t *testing.T) {
		t.Parallel()
		r := newReport(now.Add(-time.Hour))
		r.Channel = "carrier_pigeon"
		r.Children = nil
		_, err := intake(viewer(t, "officer1"), r)
		requireError(t, err, caseflow.EInvalid, "channel")
		requireError(t, err, caseflow.EInvalid, "children")
	})
}
