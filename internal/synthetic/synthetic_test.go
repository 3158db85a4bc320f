package synthetic_test

import (
	"context"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/synthetic"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// at is a time in the province's zone.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, caseflow.Zone)
}

// database returns a database of the test's own, dropped when it ends.
func database(t *testing.T) *testenv.Database {
	t.Helper()
	db, err := testenv.NewDatabase(context.Background(), "synthetic")
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

// definition loads the newest intake workflow from dir.
func definition(t *testing.T, dir string) *workflow.Definition {
	t.Helper()
	flows, err := workflow.LoadDir(dir)
	require.NoError(t, err)
	// The generator walks version 1; version 2's guards are not yet part
	// of its walk.
	def, ok := flows.Get("child-abuse", synthetic.WalkedVersion)
	require.True(t, ok)
	return def
}

// report is the province's compliance report over a period.
func report(t *testing.T, db *testenv.Database, from, to string, asOf time.Time) *caseflow.ComplianceReport {
	t.Helper()
	p, err := caseflow.ParsePeriod(from, to, asOf)
	require.NoError(t, err)
	u, _, err := db.DB.UnitByCode(context.Background(), "33")
	require.NoError(t, err)
	rep, err := db.DB.Compliance(context.Background(), caseflow.ComplianceQuery{Period: p, Unit: *u, AsOf: asOf})
	require.NoError(t, err)
	return rep
}

func TestSyntheticCases(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	db := database(t)
	def := definition(t, "../../workflows")
	to := at(2026, 11, 29, 9, 0)
	const n = 3000
	res, err := synthetic.Generate(ctx, db.DB, def, synthetic.Options{Cases: n, From: at(2021, 1, 1, 0, 0), To: to, Seed: 7, BatchSize: 700})
	require.NoError(t, err)
	require.EqualValues(t, n, res.Cases)
	t.Logf("%d cases: %d people, %d access, %d history, %d clocks in %s", res.Cases, res.People, res.Access, res.History, res.Clocks, res.Elapsed)

	one := func(query string, args ...any) string {
		t.Helper()
		out, err := db.QueryStrings(ctx, query, args...)
		require.NoError(t, err)
		require.Len(t, out, 1, query)
		return out[0]
	}
	var final []string
	for _, st := range def.States {
		if st.Final {
			final = append(final, st.ID)
		}
	}
	require.Equal(t, strconv.Itoa(n), one("SELECT count(DISTINCT code)::text FROM cases"), "codes are unique")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_history h
		WHERE h.case_id = c.id AND h.version = 1 AND h.event = ? AND h.to_state = ?)`, def.IntakeEvent, def.Initial),
		"every case starts with its report")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c WHERE c.version <> (SELECT max(version) FROM case_history h
		WHERE h.case_id = c.id AND h.kind = 'transition')`), "the case version is its last transition")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM (SELECT case_id FROM case_history WHERE kind = 'transition'
		GROUP BY case_id HAVING count(*) <> max(version)) x`), "transition versions have no gaps")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history h JOIN case_history p ON p.case_id = h.case_id
		AND p.kind = 'transition' AND h.kind = 'transition' AND p.version = h.version - 1
		WHERE p.to_state <> h.from_state OR p.at > h.at`), "each transition leaves the state the one before entered, later")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c WHERE NOT EXISTS (SELECT 1 FROM case_people p
		WHERE p.case_id = c.id AND p.kind = 'child' AND p.age_at_report BETWEEN 0 AND 17)`), "every case has a child of known age")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history WHERE at > ?`, to.UTC()), "nothing happens after now")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c JOIN units u ON u.id = c.commune_id
		WHERE (c.received_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date NOT BETWEEN u.valid_from AND coalesce(u.valid_to, 'infinity')`),
		"every report names its commune as it existed when it was received")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c JOIN case_access ca ON ca.case_id = c.id AND ca.reason = 'workflow:police'
		JOIN agencies a ON a.id = ca.agency_id
		WHERE (ca.granted_at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date NOT BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity')`),
		"a referral goes to police acting then")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history h JOIN agencies a ON a.id = h.agency_id
		WHERE (h.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date NOT BETWEEN a.valid_from AND coalesce(a.valid_to, 'infinity')`),
		"every step is recorded by an agency acting on its day")
	require.NotEqual(t, "0", one(`SELECT count(*)::text FROM cases c JOIN case_access ca ON ca.case_id = c.id AND ca.reason = 'workflow:police'
		WHERE ca.granted_at < c.received_at + interval '1 day' AND c.received_at < '2025-03-01'`), "there are such referrals of the district era")
	require.Equal(t, "2021,2025", one(`SELECT string_agg(DISTINCT u.structure, ',' ORDER BY u.structure) FROM cases c JOIN units u ON u.id = c.commune_id`),
		"cases of the district era and of today")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE (status = 'stopped' AND stopped_at > due_at)
		OR (status = 'breached' AND (breached_at IS NULL OR breached_at < due_at)) OR (status = 'running' AND due_at < ?)`, to.UTC()),
		"clock statuses agree with their times")
	bad, err := db.QueryStrings(ctx, `SELECT clock || ' ' || due_at::text || ' ' || extensions::text FROM case_clocks WHERE extensions <> '[]'::jsonb
		AND (extensions->-1->>'due_after')::timestamptz <> due_at LIMIT 3`)
	require.NoError(t, err)
	require.Empty(t, bad, "an extended clock is due when its last extension says")
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases WHERE (state = ANY(?)) <> (closed_at IS NOT NULL)`, final))
	require.NotEqual(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE extensions <> '[]'::jsonb`), "some clocks were extended")
	require.NotEqual(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE status = 'breached'`), "some clocks were breached")
	require.Equal(t, one("SELECT count(DISTINCT extract(year FROM received_at AT TIME ZONE 'Asia/Ho_Chi_Minh'))::text FROM cases"), "6",
		"reports spread over 2021–2026")
	states, err := db.QueryStrings(ctx, "SELECT DISTINCT state FROM cases ORDER BY state")
	require.NoError(t, err)
	require.Subset(t, states, []string{"closed", "investigation", "police", "support", "trial"})
	// Codes handed out later never clash with synthetic ones.
	require.Equal(t, "0", one(`SELECT count(*)::text FROM cases c JOIN case_counters k
		ON k.year = split_part(c.code, '-', 2)::int AND k.prefix = split_part(c.code, '-', 1)
		WHERE split_part(c.code, '-', 3)::bigint > k.last`))

	// The rows carry what their events and clocks mean, as the service
	// stores it, and nothing is left for migrate to derive.
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history WHERE roles IS NULL`))
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE role IS NULL OR stop_roles IS NULL`))
	for _, e := range def.Events {
		if e.IsReferralStep() {
			continue
		}
		if len(e.CountsAs) > 0 && len(e.RolesFor(nil)) > 0 {
			require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history WHERE event = ? AND roles = '{}'`, e.ID),
				"%s is recorded with its roles", e.ID)
		}
		if len(e.CountsAs) == 0 {
			require.Equal(t, "0", one(`SELECT count(*)::text FROM case_history WHERE event = ? AND roles <> '{}'`, e.ID),
				"%s has no roles", e.ID)
		}
	}
	for _, r := range caseflow.RequiredClockRoles {
		require.NotEqual(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE role = ?`, string(r)), "clocks of role %s", r)
		require.NotEqual(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE role = ? AND stopped_at IS NOT NULL`, string(r)),
			"clocks of role %s stopped", r)
	}
	require.Equal(t, "0", one(`SELECT count(*)::text FROM case_clocks k WHERE k.stopped_at IS NOT NULL AND NOT EXISTS (
		SELECT 1 FROM case_history h WHERE h.case_id = k.case_id AND h.kind = 'transition' AND h.at = k.stopped_at
			AND h.event = k.stopped_by_event AND h.roles = k.stop_roles)`), "a stopped clock has the roles of the event that stopped it")
	for _, c := range def.Clocks {
		if c.CountsAs != "" {
			require.Equal(t, "0", one(`SELECT count(*)::text FROM case_clocks WHERE clock = ? AND role <> ?`, c.ID, string(c.CountsAs)))
		}
	}
	for _, r := range caseflow.RequiredEventRoles {
		if !slices.Contains(caseflow.ReferralEventRoles, r) {
			require.NotEqual(t, "0", one(`SELECT count(*)::text FROM case_history WHERE ? = ANY(roles)`, string(r)), "events of role %s", r)
		}
	}

	// The indicators have data for a whole year, within plausible bounds.
	rep := report(t, db, "2025-01-01", "2025-12-31", to)
	for _, r := range rep.Indicators {
		t.Logf("%-28s %5d / %5d", r.Indicator.ID, r.Numerator, r.Denominator)
		require.Positive(t, r.Denominator, r.Indicator.ID)
		if !r.Indicator.Change {
			require.True(t, *r.Value > 0.4 && *r.Value <= 1, "%s = %v", r.Indicator.ID, *r.Value)
		}
	}
	t.Logf("breaches %d", rep.BreachTotal())
	require.Positive(t, rep.BreachTotal())
	require.Positive(t, rep.Children.Total)
}

// BenchmarkGenerate writes 10,000 cases an operation into a database of its
// own, as `caseflow seed --synthetic` does.
func BenchmarkGenerate(b *testing.B) {
	db, err := testenv.NewDatabase(context.Background(), "synthetic")
	require.NoError(b, err)
	b.Cleanup(db.Close)
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(b, err)
	def, _ := flows.Get("child-abuse", synthetic.WalkedVersion)
	const n = 10000
	seed := uint64(0)
	for b.Loop() {
		seed++
		_, err := synthetic.Generate(context.Background(), db.DB, def, synthetic.Options{Cases: n, Seed: seed,
			From: at(2021, 1, 1, 0, 0), To: at(2026, 11, 29, 9, 0)})
		require.NoError(b, err)
	}
	b.ReportMetric(float64(n*b.N)/b.Elapsed().Seconds(), "cases/s")
}
