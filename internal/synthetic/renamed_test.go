package synthetic_test

import (
	"context"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/synthetic"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// TestRenamedWorkflowGivesTheSameCasesAndFigures is the rule that the
// workflow file alone names its events and clocks: the same cases generated
// on a copy of the workflows with every event and clock renamed are the same
// rows but for those names, and every compliance figure is the same.
func TestRenamedWorkflowGivesTheSameCasesAndFigures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	def := definition(t, "../../workflows")
	renamed := definition(t, testenv.RenamedWorkflows(t, "../../workflows"))
	names := realNames(t, def, renamed)

	to := at(2026, 11, 29, 9, 0)
	opt := synthetic.Options{Cases: 400, From: at(2024, 1, 1, 0, 0), To: to, Seed: 11, BatchSize: 150}
	dbs := make([]*testenv.Database, 2)
	for i, d := range []*workflow.Definition{def, renamed} {
		dbs[i] = database(t)
		res, err := synthetic.Generate(ctx, dbs[i].DB, d, opt)
		require.NoError(t, err)
		require.EqualValues(t, opt.Cases, res.Cases)
	}
	real, other := dbs[0], dbs[1]

	t.Run("SameRowsButTheNames", func(t *testing.T) {
		for _, q := range []struct{ name, sql string }{
			{"cases", `SELECT concat_ws('|', code, workflow_id, workflow_version, state, version, commune_id, received_at, channel,
				abuse_types, setting, immediate_danger, crime_category, outcome, data, filing_agency_id, updated_at, closed_at)
				FROM cases ORDER BY code`},
			{"history", `SELECT concat_ws('|', c.code, h.version, h.event, h.from_state, h.to_state, h.kind, h.roles, h.data,
				h.at, h.agency_id, h.actor_id IS NULL) FROM case_history h JOIN cases c ON c.id = h.case_id ORDER BY c.code, h.id`},
			{"clocks", `SELECT concat_ws('|', c.code, k.clock, k.instance, k.role, k.status, k.generation, k.responsible_type,
				k.responsible_agency, k.category, k.limit_rule, k.limit_amount, k.started_at, k.due_at, k.warn_at, k.warned_at,
				k.stopped_at, k.stopped_by_event, k.stop_roles, k.breached_at, k.extensions)
				FROM case_clocks k JOIN cases c ON c.id = k.case_id ORDER BY c.code, k.id`},
			{"access", `SELECT concat_ws('|', c.code, a.agency_id, a.scope, a.reason, a.granted_at, a.revoked_at)
				FROM case_access a JOIN cases c ON c.id = a.case_id ORDER BY c.code, a.id`},
			{"people", `SELECT concat_ws('|', c.code, p.position, p.sex, p.age_at_report, p.setting, p.abuse_types)
				FROM case_people p JOIN cases c ON c.id = p.case_id ORDER BY c.code, p.id`},
		} {
			want := column(t, real, q.sql)
			got := column(t, other, q.sql)
			require.NotEmpty(t, want, q.name)
			for i := range got {
				got[i] = names.Replace(got[i])
			}
			require.Equal(t, want, got, "%s: the same rows but for the names of events and clocks", q.name)
		}
	})

	t.Run("SameRowsByRole", func(t *testing.T) {
		for _, q := range []string{
			`SELECT concat_ws(' ', kind, roles, count(*)) FROM case_history GROUP BY kind, roles ORDER BY 1`,
			`SELECT concat_ws(' ', role, status, stop_roles, count(*)) FROM case_clocks GROUP BY role, status, stop_roles ORDER BY 1`,
			`SELECT concat_ws(' ', state, count(*)) FROM cases GROUP BY state ORDER BY 1`,
		} {
			want := column(t, real, q)
			require.NotEmpty(t, want)
			require.Equal(t, want, column(t, other, q))
		}
		// And the renamed rows do name the renamed events and clocks.
		require.Empty(t, column(t, other, `SELECT DISTINCT event FROM case_history WHERE kind = 'transition' AND event = ANY(?)`,
			eventIDs(def)))
		require.NotEmpty(t, column(t, other, `SELECT DISTINCT event FROM case_history WHERE event = ANY(?)`, eventIDs(renamed)))
	})

	t.Run("SameComplianceFigures", func(t *testing.T) {
		from, until := opt.From.Format("2006-01-02"), to.Format("2006-01-02")
		want, got := report(t, real, from, until, to), report(t, other, from, until, to)
		require.Equal(t, figures(want.Indicators), figures(got.Indicators))
		for _, r := range want.Indicators {
			require.Positive(t, r.Denominator, r.Indicator.ID)
		}
		require.Positive(t, want.BreachTotal())
		require.Equal(t, want.BreachTotal(), got.BreachTotal())
		require.Equal(t, breaches(want.Breaches, nil), breaches(got.Breaches, names))
		require.Equal(t, want.Children, got.Children)

		units := func(r *caseflow.ComplianceReport) map[string]any {
			out := map[string]any{}
			for _, u := range r.Units {
				out[u.Unit.Code] = []any{figures(u.Indicators), u.Breaches}
			}
			return out
		}
		require.Equal(t, units(want), units(got))
		agencies := func(r *caseflow.ComplianceReport, names *strings.Replacer) map[string]any {
			out := map[string]any{}
			for _, a := range r.Agencies {
				out[a.Agency.Code] = []any{figures(a.Indicators), breaches(a.Breaches, names)}
			}
			return out
		}
		require.NotEmpty(t, want.Agencies)
		require.Equal(t, agencies(want, nil), agencies(got, names))
	})
}

// realNames maps the ids of the renamed definition back to the real ones,
// event by event and clock by clock, and checks that the two say the same.
func realNames(t *testing.T, def, renamed *workflow.Definition) *strings.Replacer {
	t.Helper()
	require.Len(t, renamed.Events, len(def.Events))
	require.Len(t, renamed.Clocks, len(def.Clocks))
	pairs := map[string]string{renamed.IntakeEvent: def.IntakeEvent}
	for i, e := range def.Events {
		r := renamed.Events[i]
		require.NotEqual(t, e.ID, r.ID, "the copy renames every event")
		require.Equal(t, e.CountsAs, r.CountsAs)
		pairs[r.ID] = e.ID
	}
	for i, c := range def.Clocks {
		r := renamed.Clocks[i]
		require.NotEqual(t, c.ID, r.ID, "the copy renames every clock")
		require.Equal(t, c.CountsAs, r.CountsAs)
		pairs[r.ID] = c.ID
	}
	// Longest first, so that no name is replaced inside a longer one.
	olds := make([]string, 0, len(pairs))
	for k := range pairs {
		olds = append(olds, k)
	}
	sort.Slice(olds, func(i, j int) bool {
		return len(olds[i]) > len(olds[j]) || (len(olds[i]) == len(olds[j]) && olds[i] < olds[j])
	})
	var args []string
	for _, k := range olds {
		args = append(args, k, pairs[k])
	}
	return strings.NewReplacer(args...)
}

func eventIDs(d *workflow.Definition) []string {
	var out []string
	for _, e := range d.Events {
		out = append(out, e.ID)
	}
	return out
}

func column(t *testing.T, db *testenv.Database, query string, args ...any) []string {
	t.Helper()
	out, err := db.QueryStrings(context.Background(), query, args...)
	require.NoError(t, err)
	return out
}

func figures(rs []caseflow.IndicatorResult) map[caseflow.IndicatorID]caseflow.Figure {
	out := map[caseflow.IndicatorID]caseflow.Figure{}
	for _, r := range rs {
		out[r.Indicator.ID] = r.Figure
	}
	return out
}

// breaches counts breaches by clock, named as the real definition names
// them.
func breaches(bs []caseflow.BreachCount, names *strings.Replacer) map[string]int64 {
	out := map[string]int64{}
	for _, b := range bs {
		clock := b.Clock
		if names != nil {
			clock = names.Replace(clock)
		}
		out[clock] += b.Count
	}
	return out
}
