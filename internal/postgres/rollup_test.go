package postgres_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/synthetic"
	"caseflow/internal/workflow"
)

// The roll-up must give every figure the base tables give, whatever the
// state of its queue: nothing rolled up, part of it, all of it, time
// passing with nothing written, and writes after a roll-up. The data set is
// the hand-built histories of TestCompliance (every indicator, workflow v2's
// charges and police intake included) and synthetic cases of 2024 to
// November 2026 played on the workflow; the queries cover periods that end,
// run or have not begun, whole months and ragged edges, a two-year period
// whose year-on-year base overlaps it, the province on both structures, a
// district and a commune, and both readings of the plan's crimes
// (COMPLIANCE_ARTICLES).
func TestRollUpEqualsBase(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	db := d.DB
	buildQ1(newFixture(t, d))
	derive(t, db)
	now := at(2026, 11, 29, 9, 0)
	db.Now = func() time.Time { return now }
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	def, ok := flows.Get("child-abuse", synthetic.WalkedVersion)
	require.True(t, ok)
	_, err = synthetic.Generate(ctx, db, def, synthetic.Options{Cases: 1500, From: at(2024, 1, 1, 0, 0), To: now, Seed: 11, BatchSize: 500})
	require.NoError(t, err)

	type query struct {
		unit, structure string
		from, to        string
		articles        []string
	}
	var queries []query
	periods := [][2]string{
		{"2024-01-01", "2024-12-31"}, {"2024-01-01", "2024-03-31"}, {"2025-02-10", "2025-11-20"},
		{"2024-01-01", "2025-12-31"}, {"2026-01-01", "2026-12-31"}, {"2026-11-29", "2026-11-29"},
		{"2027-01-01", "2027-12-31"},
	}
	for _, p := range periods {
		queries = append(queries, query{unit: "33", from: p[0], to: p[1]})
	}
	queries = append(queries,
		query{unit: "33", structure: "2021", from: "2024-01-01", to: "2024-12-31"},
		query{unit: "325", structure: "2021", from: "2024-01-01", to: "2025-06-30"},
		query{unit: "12004", from: "2025-07-01", to: "2026-11-29"},
		query{unit: "33", from: "2024-01-01", to: "2025-12-31", articles: []string{"145", "147"}},
		query{unit: "33", from: "2025-01-01", to: "2025-12-31", articles: []string{"999"}},
	)
	compare := func(t *testing.T, stage string, asOf time.Time) {
		t.Helper()
		for _, qq := range queries {
			p, err := caseflow.ParsePeriod(qq.from, qq.to, asOf)
			require.NoError(t, err)
			st := qq.structure
			if st == "" {
				st = "2025"
			}
			u := unitOf(t, db, qq.unit, st)
			q := caseflow.ComplianceQuery{Period: p, Unit: u, AsOf: asOf, Structure: qq.structure, Articles: qq.articles}
			base, err := db.ComplianceFromBase(ctx, q)
			require.NoError(t, err)
			rolled, err := db.Compliance(ctx, q)
			require.NoError(t, err)
			require.Equal(t, summary(base), summary(rolled), "%s: %+v", stage, qq)
			require.Equal(t, base, rolled, "%s: %+v", stage, qq)
		}
		p, err := caseflow.ParsePeriod("2024-01-01", "2026-12-31", asOf)
		require.NoError(t, err)
		q := caseflow.ComplianceQuery{Period: p, Unit: unitOf(t, db, "33", "2025"), AsOf: asOf}
		for _, ind := range caseflow.Indicators {
			if ind.ID == caseflow.IndicatorYearOnYear {
				continue
			}
			base, err := db.ComplianceTrendFromBase(ctx, q, string(ind.ID))
			require.NoError(t, err)
			rolled, err := db.ComplianceTrend(ctx, q, string(ind.ID))
			require.NoError(t, err)
			require.Equal(t, base, rolled, "%s: trend of %s", stage, ind.ID)
		}
	}
	drain := func() {
		t.Helper()
		for {
			n, err := db.RollUpCompliance(ctx, 1000)
			require.NoError(t, err)
			if n == 0 {
				return
			}
		}
	}
	queued := func() int64 {
		n, err := db.ComplianceQueue(ctx)
		require.NoError(t, err)
		return n
	}

	// Every indicator has items, in both numerator and denominator, or the
	// comparison proves little.
	rep, err := db.ComplianceFromBase(ctx, caseflow.ComplianceQuery{Period: period(t, "2024-01-01", "2026-11-29"),
		Unit: unitOf(t, db, "33", "2025"), AsOf: now})
	require.NoError(t, err)
	for _, r := range rep.Indicators {
		require.Positive(t, r.Denominator, r.Indicator.ID)
		require.Positive(t, r.Numerator, r.Indicator.ID)
	}
	require.Positive(t, rep.BreachTotal())
	require.Positive(t, rep.Children.Total)
	running, err := d.QueryStrings(ctx, `SELECT count(*) FROM case_clocks WHERE status = 'running'`)
	require.NoError(t, err)
	require.NotEqual(t, "0", running[0], "no running clock: nothing is counted live")

	require.Positive(t, queued())
	compare(t, "nothing rolled up", now)

	// Pending, counted apart from the report: running clocks started in the
	// period and still within their limit, some of them past due unmarked.
	checkPending := func(t *testing.T, asOf time.Time) {
		t.Helper()
		p := period(t, "2024-01-01", "2026-12-31")
		rep, err := db.Compliance(ctx, caseflow.ComplianceQuery{Period: p, Unit: unitOf(t, db, "33", "2025"), AsOf: asOf})
		require.NoError(t, err)
		for id, role := range caseflow.PendingClockRoles {
			want, err := d.QueryStrings(ctx, `SELECT count(*) FROM case_clocks WHERE role = ? AND status = 'running'
				AND started_at >= ? AND started_at < ? AND due_at > ?`, string(role), p.Start(), p.End(), asOf.UTC())
			require.NoError(t, err)
			require.Equal(t, want[0], fmt.Sprint(resultOf(rep.Indicators, id).Pending), "pending %s", id)
		}
	}
	overdue, err := d.QueryStrings(ctx, `SELECT count(*) FROM case_clocks WHERE status = 'running' AND due_at <= ?`, now.UTC())
	require.NoError(t, err)
	require.NotEqual(t, "0", overdue[0], "no running clock past due: the live count is not tried")
	checkPending(t, now)

	n, err := db.RollUpCompliance(ctx, 400)
	require.NoError(t, err)
	require.Positive(t, n)
	require.Positive(t, queued())
	compare(t, "part rolled up", now)

	drain()
	require.Zero(t, queued())
	compare(t, "all rolled up", now)
	checkPending(t, now)

	// Two months pass with nothing written: running clocks fall due
	// unmarked, pending items become breaches.
	compare(t, "time passes", now.AddDate(0, 2, 0))

	// Writes after the roll-up: half the running clocks stop (some after
	// their due time), a verdict with charges, a case's children change.
	require.NoError(t, d.Exec(ctx, `UPDATE case_clocks SET status = 'stopped', stopped_at = least(due_at + interval '1 day', ?),
		stopped_by_event = 'x' WHERE id IN (SELECT id FROM case_clocks WHERE status = 'running' AND id % 2 = 0)`, now.UTC()))
	require.NoError(t, d.Exec(ctx, `UPDATE case_people SET age_at_report = 16 WHERE case_id IN (SELECT id FROM cases ORDER BY id DESC LIMIT 20)`))
	require.NoError(t, d.Exec(ctx, `UPDATE cases SET outcome = 'duplicate' WHERE id IN (SELECT id FROM cases ORDER BY id LIMIT 30)`))
	require.NoError(t, d.Exec(ctx, `UPDATE case_clocks SET escalation_level = 1 WHERE status = 'breached' AND id % 3 = 0`))
	require.Positive(t, queued())
	compare(t, "written after the roll-up", now)
	esc, err := db.ComplianceFromBase(ctx, caseflow.ComplianceQuery{Period: period(t, "2024-01-01", "2026-11-29"),
		Unit: unitOf(t, db, "33", "2025"), AsOf: now})
	require.NoError(t, err)
	require.Positive(t, esc.EscalationTotal(), "escalations are compared too")
	drain()
	compare(t, "written and rolled up", now)
	compare(t, "written, rolled up, time passes", now.AddDate(0, 1, 0))

	// The worker marks every clock past due: nothing is left to count live.
	require.NoError(t, d.Exec(ctx, `UPDATE case_clocks SET status = 'breached', breached_at = due_at
		WHERE status = 'running' AND due_at <= ?`, now.UTC()))
	compare(t, "nothing past due unmarked", now)
	drain()
	compare(t, "nothing past due unmarked, rolled up", now)

	// A rebuild from scratch gives the same roll-up as the changes did.
	before, err := d.QueryStrings(ctx, `SELECT string_agg(concat_ws(' ', commune_id, grain, bucket, ind, agency_id, key, num, den), ';'
		ORDER BY commune_id, grain, bucket, ind, agency_id, key) FROM compliance_rollup WHERE num <> 0 OR den <> 0`)
	require.NoError(t, err)
	require.NoError(t, db.RebuildComplianceRollUp(ctx))
	after, err := d.QueryStrings(ctx, `SELECT string_agg(concat_ws(' ', commune_id, grain, bucket, ind, agency_id, key, num, den), ';'
		ORDER BY commune_id, grain, bucket, ind, agency_id, key) FROM compliance_rollup WHERE num <> 0 OR den <> 0`)
	require.NoError(t, err)
	require.Equal(t, before, after)
	require.Zero(t, queued())
	compare(t, "rebuilt", now)

	// The roll-up holds something to read.
	rows, err := d.QueryStrings(ctx, `SELECT count(*) FROM compliance_rollup WHERE grain = 'm' AND num + den > 0`)
	require.NoError(t, err)
	require.NotEqual(t, "0", rows[0], "empty roll-up")
}

// summary is a report's figures in lines, for a readable difference.
func summary(rep *caseflow.ComplianceReport) []string {
	var out []string
	line := func(who string, rs []caseflow.IndicatorResult) {
		for _, r := range rs {
			out = append(out, fmt.Sprintf("%s %s %d/%d pending %d", who, r.Indicator.ID, r.Numerator, r.Denominator, r.Pending))
		}
	}
	line(rep.Unit.Code, rep.Indicators)
	for _, u := range rep.Units {
		line(u.Unit.Code, u.Indicators)
		out = append(out, fmt.Sprintf("%s breaches %d", u.Unit.Code, u.Breaches))
	}
	for _, a := range rep.Agencies {
		line(a.Agency.Code, a.Indicators)
		for _, b := range a.Breaches {
			out = append(out, fmt.Sprintf("%s breaches %s %d", a.Agency.Code, b.Clock, b.Count))
		}
	}
	for _, b := range rep.Breaches {
		out = append(out, fmt.Sprintf("breaches %s %d", b.Clock, b.Count))
	}
	out = append(out, fmt.Sprintf("children %+v", rep.Children))
	return out
}

// One case whose rows cannot be counted holds up no other: the rest of the
// queue is rolled up, the case waits at the end of the queue, and the
// error says so.
func TestRollUpGoesOnPastACaseItCannotCount(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	db := d.DB
	now := at(2026, 11, 29, 9, 0)
	db.Now = func() time.Time { return now }
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	def, ok := flows.Get("child-abuse", synthetic.WalkedVersion)
	require.True(t, ok)
	_, err = synthetic.Generate(ctx, db, def, synthetic.Options{Cases: 300, From: at(2024, 1, 1, 0, 0), To: now, Seed: 5, BatchSize: 300})
	require.NoError(t, err)
	bad, err := d.QueryStrings(ctx, `SELECT case_id::text FROM case_history WHERE kind = 'transition' AND 'verdict' = ANY(roles) ORDER BY id LIMIT 1`)
	require.NoError(t, err)
	require.Len(t, bad, 1, "a verdict to spoil")
	require.NoError(t, d.Exec(ctx, `ALTER TABLE case_history DISABLE TRIGGER case_history_append_only;
		UPDATE case_history SET data = data || '{"charges": [{"suspect": 1, "article": "145", "upheld": "maybe"}]}'::jsonb
		WHERE case_id = `+bad[0]+` AND 'verdict' = ANY(roles);
		ALTER TABLE case_history ENABLE TRIGGER case_history_append_only`))

	var lastErr error
	for range 20 {
		n, err := db.RollUpCompliance(ctx, 1000)
		if err != nil {
			lastErr = err
		}
		if n == 0 && err == nil {
			break
		}
	}
	require.Error(t, lastErr)
	require.Contains(t, lastErr.Error(), "1 of")
	left, err := d.QueryStrings(ctx, `SELECT DISTINCT case_id::text FROM compliance_queue`)
	require.NoError(t, err)
	require.Equal(t, bad, left, "only the case that cannot be counted is left")
	rolled, err := d.QueryStrings(ctx, `SELECT count(DISTINCT case_id)::text FROM compliance_case_items`)
	require.NoError(t, err)
	require.NotEqual(t, "0", rolled[0])
}
