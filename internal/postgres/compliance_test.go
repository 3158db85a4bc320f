package postgres_test

import (
	"context"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/postgres"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// The compliance tests build case histories by hand, row by row, with every
// time chosen around the edges of the period, and work out each expected
// figure in the test from those rows. Times are in Asia/Ho_Chi_Minh.

// at is a time in the province's zone.
func at(y int, m time.Month, d, h, min int) time.Time {
	return time.Date(y, m, d, h, min, 0, 0, caseflow.Zone)
}

func ptr(t time.Time) *time.Time { return &t }

// fixture writes hand-built cases, clocks and history rows.
type fixture struct {
	t        *testing.T
	db       *testenv.Database
	versions map[int64]int
}

func newFixture(t *testing.T, db *testenv.Database) *fixture {
	return &fixture{t: t, db: db, versions: map[int64]int{}}
}

func (f *fixture) id(query string, args ...any) int64 {
	f.t.Helper()
	out, err := f.db.QueryStrings(context.Background(), query, args...)
	require.NoError(f.t, err)
	require.Len(f.t, out, 1, query)
	n, err := strconv.ParseInt(out[0], 10, 64)
	require.NoError(f.t, err)
	return n
}

// kase inserts a case of a commune received at a time, in state "support"
// unless a state is given.
func (f *fixture) kase(code, commune string, received time.Time, setting string, abuse ...string) int64 {
	f.t.Helper()
	if setting == "" {
		setting = "family"
	}
	if len(abuse) == 0 {
		abuse = []string{"physical"}
	}
	arr := "{" + joinQuoted(abuse) + "}"
	id := f.id(`INSERT INTO cases (code, workflow_id, workflow_version, state, commune_id, unit_path, received_at, channel,
		abuse_types, setting, immediate_danger, filed_by, filing_agency_id, created_at, updated_at)
		SELECT ?, 'child-abuse', 1, 'support', u.id, u.path, ?, 'hotline_111', ?::text[], ?, false,
			(SELECT id FROM users WHERE username = 'officer1'),
			(SELECT a.id FROM agencies a WHERE a.unit_id = u.id AND a.type = 'commune_child_protection'), ?, ?
		FROM units u WHERE u.code = ? AND u.valid_from <= ? AND (u.valid_to IS NULL OR u.valid_to >= ?) RETURNING id::text`,
		code, received.UTC(), arr, setting, received.UTC(), received.UTC(), commune, caseflow.Day(received), caseflow.Day(received))
	f.versions[id] = 1
	return id
}

func joinQuoted(ss []string) string {
	out := ""
	for i, s := range ss {
		if i > 0 {
			out += ","
		}
		out += `"` + s + `"`
	}
	return out
}

// child adds a child with a sex and an age at the report (nil: unknown).
func (f *fixture) child(caseID int64, pos int, sex string, age *int) {
	f.t.Helper()
	require.NoError(f.t, f.db.Exec(context.Background(), `INSERT INTO case_people (case_id, kind, position, sex, age_at_report)
		VALUES (?, 'child', ?, ?, ?)`, caseID, pos, sex, age))
}

func intp(n int) *int { return &n }

// clk is a clock row: who answers for it, when it started, was due and stopped.
type clk struct {
	clock      string
	agency     string
	started    time.Time
	due        time.Time
	stopped    *time.Time
	by         string
	extensions string // jsonb; "[]" when empty
}

// clock inserts a clock; its status follows from the times as the service
// would have recorded it: breached when the due time passed before it was
// stopped (by asOf), stopped otherwise, running when neither.
func (f *fixture) clock(caseID int64, k clk, asOf time.Time) {
	f.t.Helper()
	status := "running"
	var breached *time.Time
	switch {
	case k.stopped != nil && !k.stopped.After(k.due):
		status = "stopped"
	case k.due.Before(asOf):
		status, breached = "breached", ptr(k.due.UTC())
	case k.stopped != nil:
		status = "stopped"
	}
	if k.extensions == "" {
		k.extensions = "[]"
	}
	var stopped *time.Time
	if k.stopped != nil {
		stopped = ptr(k.stopped.UTC())
	}
	require.NoError(f.t, f.db.Exec(context.Background(), `INSERT INTO case_clocks (case_id, clock, status, responsible_type,
		responsible_agency, limit_rule, limit_amount, legal_basis, started_at, due_at, warn_at, stopped_at, stopped_by_event,
		breached_at, extensions, role, stop_roles)
		SELECT ?, ?, ?, a.type, a.id, 'hours', 24, 'test', ?, ?, ?, ?, ?, ?, ?::jsonb, NULL, NULL FROM agencies a WHERE a.code = ?`,
		caseID, k.clock, status, k.started.UTC(), k.due.UTC(), k.started.UTC(), stopped, k.by, breached, k.extensions, k.agency))
}

// event records a transition by an agency with structured data. Like the
// clocks, it is written without its roles, as rows recorded before roles
// were stored; derive fills them in from the workflow, as migrate does.
func (f *fixture) event(caseID int64, event, agency string, when time.Time, data string) {
	f.t.Helper()
	f.versions[caseID]++
	require.NoError(f.t, f.db.Exec(context.Background(), `INSERT INTO case_history (case_id, version, event, from_state, to_state,
		agency_id, data, at, kind, roles) VALUES (?, ?, ?, 'x', 'x', (SELECT id FROM agencies WHERE code = ?), ?::jsonb, ?, 'transition', NULL)`,
		caseID, f.versions[caseID], event, agency, data, when.UTC()))
}

// derive fills in the roles of the hand-built rows from the loaded
// workflow definitions.
func derive(t *testing.T, db *postgres.DB) {
	t.Helper()
	flows, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	var vocab []caseflow.Vocabulary
	for _, d := range flows.All() {
		vocab = append(vocab, d.Vocabulary())
	}
	n, err := db.DeriveRoles(context.Background(), vocab)
	require.NoError(t, err)
	require.Positive(t, n)
}

// story is a case that exists only to carry one item: received in mid-2023,
// outside both the period and the same period a year earlier.
func (f *fixture) story(code, commune string) int64 {
	return f.kase(code, commune, at(2023, 6, 15, 9, 0), "")
}

// withoutPending drops the pending counts, which only the report's own unit
// carries, to compare a unit's report with its row in the report above.
func withoutPending(rs []caseflow.IndicatorResult) []caseflow.IndicatorResult {
	out := make([]caseflow.IndicatorResult, len(rs))
	for i, r := range rs {
		r.Pending = 0
		out[i] = r
	}
	return out
}

func fig(n, d int64) caseflow.Figure { return caseflow.Figure{Numerator: n, Denominator: d} }

// figures returns the report's figures by indicator id.
func figures(rs []caseflow.IndicatorResult) map[caseflow.IndicatorID]caseflow.Figure {
	out := map[caseflow.IndicatorID]caseflow.Figure{}
	for _, r := range rs {
		out[r.Indicator.ID] = r.Figure
	}
	return out
}

func resultOf(rs []caseflow.IndicatorResult, id caseflow.IndicatorID) caseflow.IndicatorResult {
	for _, r := range rs {
		if r.Indicator.ID == id {
			return r
		}
	}
	return caseflow.IndicatorResult{}
}

// unitCode is the unit of the district era (the 2021 structure, or the
// province) with a code.
func unitCode(t *testing.T, db *postgres.DB, code string) caseflow.Unit {
	t.Helper()
	return unitOf(t, db, code, "2021")
}

// unitOf is the unit of a structure (or the province) with a code.
func unitOf(t *testing.T, db *postgres.DB, code, structure string) caseflow.Unit {
	t.Helper()
	us, err := db.UnitsByCode(context.Background(), code)
	require.NoError(t, err)
	for _, u := range us {
		if u.Structure == structure || u.Level == caseflow.LevelProvince {
			return u
		}
	}
	require.Failf(t, "no unit", "no unit %s in structure %s", code, structure)
	return caseflow.Unit{}
}

func period(t *testing.T, from, to string) caseflow.Period {
	t.Helper()
	p, err := caseflow.ParsePeriod(from, to, time.Now())
	require.NoError(t, err)
	return p
}

func codes(items []caseflow.ComplianceItem) []string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, it.Code)
	}
	return out
}

// buildQ1 writes the hand-built histories around the first quarter of 2024,
// in the district era, reported on 15 April 2024 at noon. Districts: 325
// Văn Lâm (communes 11986 Thị trấn Như Quỳnh and 12001 Xã Tân Quang, both
// part of Xã Như Quỳnh, 12004, since 1 July 2025)
// with police CA-325, procuracy VKS-325, court TA-325; 326 Văn Giang
// (commune 12019 Thị trấn Văn Giang)
// with CA-326, VKS-326, TA-326.
func buildQ1(f *fixture) {
	asOf := at(2024, 4, 15, 12, 0)
	c := func(code, commune string, k clk) int64 {
		id := f.story(code, commune)
		f.clock(id, k, asOf)
		return id
	}

	// intake: police referrals, counted by the referral (clock start).
	c("I1", "11986", clk{clock: "transfer_to_police", agency: "CA-325", started: at(2024, 1, 10, 9, 0), due: at(2024, 1, 11, 9, 0),
		stopped: ptr(at(2024, 1, 10, 15, 0)), by: "accept_referral"}) // in, accepted
	c("I2", "11986", clk{clock: "transfer_to_police", agency: "CA-325", started: at(2023, 12, 31, 23, 30), due: at(2024, 1, 1, 23, 30),
		stopped: ptr(at(2024, 1, 1, 8, 0)), by: "accept_referral"}) // referred the evening before the period: out
	c("I3", "12001", clk{clock: "transfer_to_police", agency: "CA-325", started: at(2024, 3, 31, 23, 0), due: at(2024, 4, 1, 23, 0),
		stopped: ptr(at(2024, 4, 1, 8, 0)), by: "accept_referral"}) // last hour of the period, accepted after it: in, accepted
	i4 := c("I4", "12001", clk{clock: "transfer_to_police", agency: "CA-325", started: at(2024, 2, 1, 8, 0), due: at(2024, 2, 2, 8, 0),
		stopped: ptr(at(2024, 2, 1, 12, 0)), by: "return_referral"}) // returned: in, not accepted
	f.clock(i4, clk{clock: "transfer_to_police", agency: "CA-325", started: at(2024, 2, 3, 8, 0), due: at(2024, 2, 4, 8, 0),
		stopped: ptr(at(2024, 2, 3, 10, 0)), by: "accept_referral"}, asOf) // referred again and accepted: in, accepted
	c("I6", "12019", clk{clock: "transfer_to_police", agency: "CA-326", started: at(2024, 3, 1, 8, 0), due: at(2024, 3, 2, 8, 0)}) // never answered: in, not accepted, breach
	c("I7", "12019", clk{clock: "transfer_to_police_remote", agency: "CA-326", started: at(2024, 4, 1, 0, 0), due: at(2024, 4, 3, 0, 0),
		stopped: ptr(at(2024, 4, 1, 9, 0)), by: "accept_referral"}) // first minute after the period: out (Q2: in, accepted)
	c("I8", "11986", clk{clock: "transfer_to_police", agency: "CA-325", started: at(2024, 4, 15, 8, 0), due: at(2024, 4, 16, 8, 0)}) // Q2: pending at noon on 15 April

	// resolution (due in the period) and on-time resolution (resolved in it).
	r := func(code, commune, agency string, started, due time.Time, stopped *time.Time, by, ext string) {
		c(code, commune, clk{clock: "resolve_report", agency: agency, started: started, due: due, stopped: stopped, by: by, extensions: ext})
	}
	r("R1", "11986", "CA-325", at(2024, 1, 10, 15, 0), at(2024, 1, 31, 0, 0), ptr(at(2024, 1, 25, 10, 0)), "decide_prosecution", "")
	// Due on 10 February, extended to 10 March; resolved on 5 March: within the extended limit.
	r("R2", "11986", "CA-325", at(2024, 1, 20, 9, 0), at(2024, 3, 11, 0, 0), ptr(at(2024, 3, 5, 10, 0)), "decline_prosecution",
		`[{"rule":"calendar_days","amount":28,"due_before":"2024-02-10T17:00:00Z","due_after":"2024-03-10T17:00:00Z"}]`)
	r("R3", "12001", "CA-325", at(2024, 3, 10, 12, 0), at(2024, 3, 31, 12, 0), ptr(at(2024, 4, 5, 10, 0)), "suspend_resolution", "") // late, after the period
	r("R4", "12001", "CA-325", at(2024, 1, 26, 9, 0), at(2024, 2, 15, 0, 0), nil, "", "")                                            // never resolved
	r("R5", "11986", "CA-325", at(2024, 1, 31, 9, 0), at(2024, 2, 20, 0, 0), ptr(at(2024, 2, 5, 9, 0)), "return_referral", "")       // returned in time: left out
	r("R6", "12019", "CA-326", at(2024, 2, 28, 9, 0), at(2024, 3, 20, 0, 0), ptr(at(2024, 3, 25, 9, 0)), "return_referral", "")      // returned after it was due
	r("R7", "11986", "CA-325", at(2023, 12, 11, 9, 0), at(2023, 12, 31, 23, 0), ptr(at(2024, 1, 2, 9, 0)), "decide_prosecution", "") // due before, resolved late in the period
	r("R8", "12019", "CA-326", at(2024, 3, 12, 9, 0), at(2024, 4, 1, 0, 0), ptr(at(2024, 3, 30, 9, 0)), "decide_prosecution", "")    // due at 24:00 on 31 March: the last instant of the period
	r("R9", "12001", "CA-325", at(2024, 4, 10, 9, 0), at(2024, 4, 30, 0, 0), nil, "", "")                                            // Q2: pending

	// Decisions on reports with signs of a crime, and clearance.
	h1 := f.story("H1", "11986")
	f.event(h1, "decide_prosecution", "CA-325", at(2024, 1, 25, 10, 0), `{"crime_signs": true, "crime_category": "very_serious", "penal_code_article": "142"}`)
	f.event(h1, "record_case_cleared", "CA-325", at(2024, 3, 1, 9, 0), `{"cleared_on": "2024-03-01"}`)
	h2 := f.story("H2", "11986")
	f.event(h2, "decline_prosecution", "CA-325", at(2024, 3, 5, 10, 0), `{"crime_signs": true, "decision": "decline"}`)
	h3 := f.story("H3", "12001")
	f.event(h3, "decline_prosecution", "CA-325", at(2024, 2, 10, 10, 0), `{"crime_signs": false, "decision": "decline"}`)
	h4 := f.story("H4", "11986")
	f.event(h4, "decide_prosecution", "CA-325", at(2024, 1, 2, 9, 0), `{"crime_signs": true, "crime_category": "less_serious", "penal_code_article": "146"}`)
	f.clock(h4, clk{clock: "investigation", agency: "CA-325", started: at(2024, 1, 2, 9, 0), due: at(2024, 3, 3, 0, 0)}, asOf) // limit passed, not cleared
	h5 := f.story("H5", "12019")
	f.event(h5, "decide_prosecution", "CA-326", at(2024, 2, 1, 10, 0), `{"crime_signs": true, "crime_category": "especially_serious", "penal_code_article": "Điều 151"}`)
	f.event(h5, "record_case_cleared", "CA-326", at(2024, 4, 10, 9, 0), `{}`) // cleared after the period
	h6 := f.story("H6", "12001")
	f.event(h6, "decide_prosecution", "CA-325", at(2024, 3, 20, 10, 0), `{"crime_signs": true, "crime_category": "serious", "penal_code_article": "134"}`) // not a crime of the plan's scope
	f.clock(h6, clk{clock: "investigation", agency: "CA-325", started: at(2024, 3, 20, 10, 0), due: at(2024, 6, 21, 0, 0)}, asOf)                          // still within its limit
	// Decisions to prosecute a year earlier, for the year-on-year change.
	p1 := f.story("P1", "11986")
	f.event(p1, "decide_prosecution", "CA-325", at(2023, 2, 1, 10, 0), `{"crime_signs": true, "crime_category": "very_serious", "penal_code_article": "142"}`)
	p2 := f.story("P2", "12019")
	f.event(p2, "decide_prosecution", "CA-326", at(2023, 3, 10, 10, 0), `{"crime_signs": true, "crime_category": "serious", "penal_code_article": "147"}`)
	p3 := f.story("P3", "11986")
	f.event(p3, "decide_prosecution", "CA-325", at(2023, 3, 15, 10, 0), `{"crime_signs": true, "crime_category": "serious", "penal_code_article": "260"}`) // out of scope
	p4 := f.story("P4", "12019")
	f.event(p4, "decide_prosecution", "CA-326", at(2023, 6, 10, 10, 0), `{"crime_signs": true, "crime_category": "serious", "penal_code_article": "146"}`) // after the days of 2024 so far
	h7 := f.story("H7", "11986")
	f.event(h7, "decide_prosecution", "CA-325", at(2023, 12, 31, 23, 59), `{"crime_signs": true, "crime_category": "serious"}`) // 23:59 on 31 December: out

	// Indictment decisions.
	k := func(code, commune, agency string, due, stopped time.Time, by, ext string) {
		c(code, commune, clk{clock: "indictment", agency: agency, started: due.AddDate(0, 0, -20), due: due, stopped: &stopped, by: by, extensions: ext})
	}
	k("K1", "11986", "VKS-325", at(2024, 2, 21, 0, 0), at(2024, 2, 18, 9, 0), "indict", "")
	k("K2", "11986", "VKS-325", at(2024, 3, 6, 0, 0), at(2024, 3, 1, 9, 0), "return_for_investigation",
		`[{"rule":"calendar_days","amount":13,"due_before":"2024-02-20T17:00:00Z","due_after":"2024-03-05T17:00:00Z"}]`)
	k("K3", "12019", "VKS-326", at(2024, 3, 11, 0, 0), at(2024, 3, 12, 9, 0), "dismiss_case", "") // late
	k("K4", "12001", "VKS-325", at(2024, 4, 3, 0, 0), at(2024, 4, 2, 9, 0), "indict", "")         // decided after the period

	// Verdicts.
	v1 := f.story("V1", "11986")
	f.event(v1, "record_verdict", "TA-325", at(2024, 3, 15, 10, 0), `{"verdict": "convicted", "charge_upheld": true}`)
	v2 := f.story("V2", "12019")
	f.event(v2, "record_verdict", "TA-326", at(2024, 3, 16, 10, 0), `{"verdict": "convicted", "charge_upheld": false}`)
	// Two accused: the court upheld the first's charge, not the second's.
	v3 := f.story("V3", "12019")
	f.event(v3, "record_verdict", "TA-326", at(2024, 3, 20, 10, 0), `{"verdict": "convicted", "charge_upheld": false,
		"charges": [{"suspect": 1, "article": "142", "upheld": true}, {"suspect": 2, "article": "146", "upheld": false}]}`)

	// Trial preparation, due in the period.
	t1 := c("T1", "11986", clk{clock: "trial_preparation", agency: "TA-325", started: at(2024, 1, 29, 9, 0), due: at(2024, 2, 28, 0, 0),
		stopped: ptr(at(2024, 2, 20, 9, 0)), by: "decide_to_try"})
	f.event(t1, "record_verdict", "TA-325", at(2024, 4, 2, 10, 0), `{"verdict": "convicted", "charge_upheld": true}`) // tried after the period
	c("T2", "11986", clk{clock: "trial_preparation", agency: "TA-325", started: at(2024, 2, 13, 9, 0), due: at(2024, 3, 15, 0, 0),
		stopped: ptr(at(2024, 3, 20, 9, 0)), by: "return_to_procuracy"}) // late, but decided
	c("T3", "12001", clk{clock: "trial_preparation", agency: "TA-325", started: at(2024, 2, 28, 9, 0), due: at(2024, 3, 30, 0, 0)}) // undecided

	// Emergency measures, by the day the report was received.
	e := func(code, commune, agency string, started time.Time, stopped time.Time, by string) {
		c(code, commune, clk{clock: "emergency_measures", agency: agency, started: started, due: started.Add(12 * time.Hour), stopped: &stopped, by: by})
	}
	e("E1", "11986", "CP-11986-2020", at(2024, 1, 5, 8, 0), at(2024, 1, 5, 10, 0), "record_emergency_measures")
	e("E2", "11986", "CP-11986-2020", at(2024, 1, 6, 8, 0), at(2024, 1, 6, 9, 0), "emergency_not_needed") // left out
	e("E3", "12001", "CP-12001-2020", at(2024, 2, 6, 8, 0), at(2024, 2, 7, 9, 0), "record_emergency_measures")
	e("E4", "12019", "CP-12019-2020", at(2024, 3, 6, 8, 0), at(2024, 3, 7, 8, 0), "emergency_not_needed") // decided after the limit
	e("E5", "11986", "CP-11986-2020", at(2024, 3, 10, 8, 0), at(2024, 3, 10, 9, 0), "close_case")         // closed in time: left out

	// Support plans: drafted within 5 working days, then approved within 2.
	s := func(code, commune, agency string, started, due time.Time, drafted *time.Time, by string, approveDue, approved *time.Time) {
		id := c(code, commune, clk{clock: "support_plan_drafted", agency: agency, started: started, due: due, stopped: drafted, by: by})
		if approveDue != nil {
			f.clock(id, clk{clock: "support_plan_approved", agency: agency, started: *drafted, due: *approveDue, stopped: approved,
				by: "approve_support_plan"}, asOf)
		}
	}
	s("S1", "11986", "CP-11986-2020", at(2024, 1, 12, 10, 0), at(2024, 1, 20, 0, 0), ptr(at(2024, 1, 15, 10, 0)), "draft_support_plan",
		ptr(at(2024, 1, 20, 0, 0)), ptr(at(2024, 1, 16, 9, 0))) // both on time
	s("S2", "11986", "CP-11986-2020", at(2024, 2, 1, 10, 0), at(2024, 2, 7, 0, 0), ptr(at(2024, 2, 2, 10, 0)), "draft_support_plan",
		ptr(at(2024, 2, 5, 0, 0)), ptr(at(2024, 2, 6, 9, 0))) // approved late
	s("S3", "12001", "CP-12001-2020", at(2024, 3, 2, 10, 0), at(2024, 3, 10, 0, 0), ptr(at(2024, 3, 12, 10, 0)), "draft_support_plan",
		ptr(at(2024, 3, 17, 0, 0)), ptr(at(2024, 3, 13, 9, 0))) // drafted late
	s("S5", "12019", "CP-12019-2020", at(2024, 3, 20, 10, 0), at(2024, 3, 28, 0, 0), ptr(at(2024, 3, 21, 10, 0)), "close_case", nil, nil) // closed: left out
	s("S6", "12001", "CP-12001-2020", at(2024, 4, 6, 10, 0), at(2024, 4, 14, 0, 0), ptr(at(2024, 4, 13, 10, 0)), "draft_support_plan",
		ptr(at(2024, 4, 16, 0, 0)), nil) // Q2: drafted on time, approval still within its limit: pending

	// Year on year: cases received in Q1 2024 against Q1 2023, with children.
	a := f.kase("Y-A", "11986", at(2024, 1, 1, 0, 0), "family", "sexual", "physical") // the first instant of the period
	f.child(a, 0, "female", intp(4))
	f.event(a, "draft_support_plan", "CP-11986-2020", at(2024, 1, 4, 9, 0), `{}`) // the only case of Q1 with a plan
	b := f.kase("Y-B", "12019", at(2024, 2, 10, 9, 0), "school", "physical")
	f.child(b, 0, "male", intp(10))
	f.child(b, 1, "female", nil)
	cc := f.kase("Y-C", "12019", at(2024, 3, 31, 23, 59), "online", "online", "sexual") // the last minute
	f.child(cc, 0, "female", intp(16))
	f.kase("Y-D", "11986", at(2023, 1, 15, 9, 0), "family", "neglect")
	f.kase("Y-E", "11986", at(2023, 3, 31, 23, 59), "family", "neglect")
	f.kase("Y-F", "12019", at(2023, 2, 2, 9, 0), "family", "neglect")
	f.kase("Y-G", "11986", at(2023, 12, 31, 23, 59), "family", "neglect") // neither
	f.kase("Y-H", "12001", at(2023, 4, 1, 0, 0), "family", "neglect")     // neither
	f.child(h1, 0, "male", intp(12))                                      // a story case: received outside the period
	dup := f.kase("Y-I", "11986", at(2024, 2, 20, 9, 0), "family", "physical")
	f.child(dup, 0, "male", intp(8))
	require.NoError(f.t, f.db.Exec(context.Background(), `UPDATE cases SET outcome = 'duplicate' WHERE id = ?`, dup)) // ruled out: not in 0101
}

func TestCompliance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	db := d.DB
	buildQ1(newFixture(t, d))
	derive(t, db)
	asOf := at(2024, 4, 15, 12, 0)
	q1 := period(t, "2024-01-01", "2024-03-31")
	report := func(t *testing.T, unit string, p caseflow.Period) *caseflow.ComplianceReport {
		t.Helper()
		rep, err := db.Compliance(ctx, caseflow.ComplianceQuery{Period: p, Unit: unitCode(t, db, unit), AsOf: asOf, Structure: "2021"})
		require.NoError(t, err)
		return rep
	}

	t.Run("ProvinceFiguresFromHandBuiltHistories", func(t *testing.T) {
		rep := report(t, "33", q1)
		require.Equal(t, "33", rep.Unit.Code)
		require.Len(t, rep.Indicators, len(caseflow.Indicators))
		want := map[caseflow.IndicatorID]caseflow.Figure{
			// I1, I3 and I4's second referral accepted; I4's first returned; I6 never answered.
			caseflow.IndicatorIntake: fig(3, 5),
			// Due in Q1: R1, R2 (extended), R3 (resolved late, after the period) and R8 (due at
			// 24:00 on 31 March) resolved; R4 never; R6 returned after it was due. R5 returned in
			// time, R7 due before.
			caseflow.IndicatorResolution: fig(4, 6),
			// Resolved in Q1: R1, R2 (within its extension) and R8 on time, R7 late.
			caseflow.IndicatorOnTimeResolution: fig(3, 4),
			// Decisions with crime signs in Q1: H1, H4, H5, H6 prosecuted; H2 declined. H3 had no
			// signs; H7 was decided at 23:59 on 31 December.
			caseflow.IndicatorProsecutionOfCrimeSigns: fig(4, 5),
			// Prosecuted in Q1: H1 cleared, H5 cleared after the period, H4 not cleared and past
			// its limit; H6 is still within its investigation limit (pending).
			caseflow.IndicatorClearance: fig(2, 3),
			// Of those, very or especially serious: H1 and H5.
			caseflow.IndicatorClearanceSerious: fig(2, 2),
			// K1 on time, K2 within its extension, K3 late; K4 was decided in April.
			caseflow.IndicatorIndictmentOnTime: fig(2, 3),
			// V1 upheld, V2 not; V3 per accused: one of two upheld.
			caseflow.IndicatorCorrectCharge: fig(2, 4),
			// Accepted and due in Q1: T1 tried (its verdict came in April), T2 returned to the
			// procuracy (not a disposal), T3 undecided.
			caseflow.IndicatorCourtResolution: fig(1, 3),
			// Prosecuted in Q1 2024 for a crime of the plan's scope: H1 (142), H4 (146), H5 (151);
			// H6 (134) is outside it. Q1 2023: P1 (142), P2 (147); P3 (260) is outside it.
			caseflow.IndicatorYearOnYear: fig(3, 2),
			// E1 in time; E3 late; E4 decided "not needed" after the limit. E2 and E5 left out.
			caseflow.IndicatorEmergencyResponse: fig(1, 3),
			// S1 both steps on time; S2 approved late; S3 drafted late. S5 closed: left out.
			caseflow.IndicatorSupportPlanOnTime: fig(1, 3),
			// Received in Q1: Y-A (with a plan), Y-B, Y-C; Y-I was a duplicate.
			caseflow.IndicatorSupportPlanShare: fig(1, 3),
		}
		require.Equal(t, want, figures(rep.Indicators))

		res := resultOf(rep.Indicators, caseflow.IndicatorResolution)
		require.InDelta(t, 4.0/6, *res.Value, 1e-9)
		require.False(t, *res.Met, "67% is not above 95%")
		require.True(t, *resultOf(rep.Indicators, caseflow.IndicatorClearanceSerious).Met, "100% is above 90%")
		yoy := resultOf(rep.Indicators, caseflow.IndicatorYearOnYear)
		require.InDelta(t, 0.5, *yoy.Value, 1e-9)
		require.False(t, *yoy.Met, "a rise of 50% is not a fall of 5%")
		require.Nil(t, resultOf(rep.Indicators, caseflow.IndicatorEmergencyResponse).Met, "shown without a target")
	})

	t.Run("BreachesPerClockAndAgency", func(t *testing.T) {
		rep := report(t, "33", q1)
		// Due in Q1 and breached: I6; R3, R4, R6; H4's investigation; K3; T2, T3; E3, E4; S2's
		// approval; S3's drafting. R7 was due on 31 December.
		require.EqualValues(t, 12, rep.BreachTotal())
		byClock := map[string]int64{}
		for _, b := range rep.Breaches {
			byClock[b.Clock] = b.Count
		}
		require.Equal(t, map[string]int64{"transfer_to_police": 1, "resolve_report": 3, "investigation": 1, "indictment": 1,
			"trial_preparation": 2, "emergency_measures": 2, "support_plan_approved": 1, "support_plan_drafted": 1}, byClock)

		agencies := map[string]caseflow.AgencyResult{}
		for _, a := range rep.Agencies {
			agencies[a.Agency.Code] = a
		}
		require.EqualValues(t, 3, agencies["CA-325"].BreachTotal(), "R3, R4 and H4's investigation")
		require.EqualValues(t, 2, agencies["CA-326"].BreachTotal(), "I6 and R6")
		require.EqualValues(t, 1, agencies["VKS-326"].BreachTotal(), "K3")
		require.Contains(t, agencies, "VKS-325", "the procuracy of 325 decided K1 and K2")
		require.Zero(t, agencies["VKS-325"].BreachTotal(), "and breached nothing")
		require.EqualValues(t, 2, agencies["TA-325"].BreachTotal())
		require.EqualValues(t, 2, agencies["CP-12001-2020"].BreachTotal(), "E3 and S3")

		// Figures attributed to agencies: the responsible agency of a clock.
		ca325 := figures(agencies["CA-325"].Indicators)
		require.Equal(t, fig(3, 4), ca325[caseflow.IndicatorResolution], "R1, R2, R3 of R1–R4")
		require.Equal(t, fig(3, 4), ca325[caseflow.IndicatorIntake], "I1, I3, I4 again; I4 returned")
		ca326 := figures(agencies["CA-326"].Indicators)
		require.Equal(t, fig(1, 2), ca326[caseflow.IndicatorResolution], "R8 resolved, R6 not")
		require.Equal(t, fig(0, 1), ca326[caseflow.IndicatorIntake])
		require.Equal(t, fig(2, 2), figures(agencies["VKS-325"].Indicators)[caseflow.IndicatorIndictmentOnTime])
		require.Equal(t, fig(0, 1), figures(agencies["VKS-326"].Indicators)[caseflow.IndicatorIndictmentOnTime])
		require.True(t, *resultOf(agencies["VKS-325"].Indicators, caseflow.IndicatorIndictmentOnTime).Met)
		require.False(t, *resultOf(agencies["VKS-326"].Indicators, caseflow.IndicatorIndictmentOnTime).Met)
		require.NotContains(t, figures(agencies["VKS-325"].Indicators), caseflow.IndicatorResolution,
			"an agency lists only the indicators attributed to it")
	})

	t.Run("UnitRollUpCommunesDistrictsProvince", func(t *testing.T) {
		prov := report(t, "33", q1)
		require.Len(t, prov.Units, 10, "the ten district-level units of the 2021 structure")
		units := map[string]caseflow.UnitResult{}
		for _, u := range prov.Units {
			units[u.Unit.Code] = u
		}
		d325, d326 := figures(units["325"].Indicators), figures(units["326"].Indicators)
		require.Equal(t, fig(3, 4), d325[caseflow.IndicatorResolution])
		require.Equal(t, fig(1, 2), d326[caseflow.IndicatorResolution])
		require.Equal(t, fig(1, 1), d325[caseflow.IndicatorCorrectCharge])
		require.Equal(t, fig(1, 3), d326[caseflow.IndicatorCorrectCharge], "V2, and V3's two accused")
		// Year on year: 325 prosecuted H1 and H4 against P1; 326 H5 against P2.
		require.Equal(t, fig(2, 1), d325[caseflow.IndicatorYearOnYear])
		require.Equal(t, fig(1, 1), d326[caseflow.IndicatorYearOnYear])
		require.False(t, *resultOf(units["325"].Indicators, caseflow.IndicatorYearOnYear).Met, "+100% is not a fall")
		require.False(t, *resultOf(units["326"].Indicators, caseflow.IndicatorYearOnYear).Met, "nor is no change")
		require.EqualValues(t, 8, units["325"].Breaches, "R3, R4, H4, T2, T3, E3, S2, S3")
		require.EqualValues(t, 4, units["326"].Breaches, "I6, R6, K3, E4")

		// A district with nothing: no data, never 0% or 100%.
		empty := resultOf(units["332"].Indicators, caseflow.IndicatorResolution)
		require.Equal(t, fig(0, 0), empty.Figure)
		require.Nil(t, empty.Value)
		require.Nil(t, empty.Met)

		// The province is the sum of its districts.
		for _, ind := range caseflow.Indicators {
			var sum caseflow.Figure
			for _, u := range prov.Units {
				sum = sum.Add(figures(u.Indicators)[ind.ID])
			}
			require.Equal(t, figures(prov.Indicators)[ind.ID], sum, ind.ID)
		}

		// District 325 breaks down into its communes, and its own figures match the
		// province's line for it.
		dist := report(t, "325", q1)
		require.Equal(t, units["325"].Indicators, withoutPending(dist.Indicators))
		communes := map[string]caseflow.UnitResult{}
		for _, u := range dist.Units {
			communes[u.Unit.Code] = u
		}
		require.Len(t, communes, 11, "the 11 communes of Văn Lâm")
		require.Equal(t, fig(2, 2), figures(communes["11986"].Indicators)[caseflow.IndicatorResolution], "R1, R2")
		require.Equal(t, fig(1, 2), figures(communes["12001"].Indicators)[caseflow.IndicatorResolution], "R3 of R3, R4")
		require.Equal(t, fig(0, 0), figures(communes["11992"].Indicators)[caseflow.IndicatorResolution])

		// A commune has no units below it.
		com := report(t, "11986", q1)
		require.Empty(t, com.Units)
		require.Equal(t, communes["11986"].Indicators, withoutPending(com.Indicators))
	})

	t.Run("TodaysUnitsGiveTheSameTotalsAsTheUnitsOfTheTime", func(t *testing.T) {
		old := report(t, "33", q1)
		today, err := db.Compliance(ctx, caseflow.ComplianceQuery{Period: q1, Unit: unitOf(t, db, "33", "2025"), AsOf: asOf, Structure: "2025"})
		require.NoError(t, err)
		require.Equal(t, "2025", today.Structure)
		require.Equal(t, "2021", old.Structure)
		require.Len(t, today.Units, 104, "reported on the 104 communes of today")
		require.Equal(t, figures(old.Indicators), figures(today.Indicators), "the same cases, counted once each")
		require.Equal(t, old.BreachTotal(), today.BreachTotal())
		require.Equal(t, old.Children.Total, today.Children.Total)

		units := map[string]caseflow.UnitResult{}
		for _, u := range today.Units {
			units[u.Unit.Code] = u
		}
		// Thị trấn Như Quỳnh (11986) and Xã Tân Quang (12001) became part of Xã
		// Như Quỳnh (12004); Thị trấn Văn Giang (12019), of Xã Văn Giang (12019).
		dist := report(t, "325", q1)
		communes := map[string]caseflow.UnitResult{}
		for _, u := range dist.Units {
			communes[u.Unit.Code] = u
		}
		for _, ind := range caseflow.Indicators {
			want := figures(communes["11986"].Indicators)[ind.ID].Add(figures(communes["12001"].Indicators)[ind.ID])
			require.Equal(t, want, figures(units["12004"].Indicators)[ind.ID], "Xã Như Quỳnh, %s", ind.ID)
			require.Equal(t, figures(report(t, "326", q1).Indicators)[ind.ID], figures(units["12019"].Indicators)[ind.ID], "Xã Văn Giang, %s", ind.ID)
		}
		require.Equal(t, "Xã Như Quỳnh", units["12004"].Unit.Name)
		require.EqualValues(t, 8+4, units["12004"].Breaches+units["12019"].Breaches, "every breach of 325 and 326")
		var sum caseflow.Figure
		for _, u := range today.Units {
			sum = sum.Add(figures(u.Indicators)[caseflow.IndicatorResolution])
		}
		require.Equal(t, figures(today.Indicators)[caseflow.IndicatorResolution], sum, "today's units add up to the province")

		// A split commune is counted under its main part, and the report says so.
		split := map[string]string{}
		for _, m := range today.Split {
			split[m.From.Code+" "+m.From.Name] = m.To.Code
		}
		require.Equal(t, "12004", split["12004 Xã Đình Dù"])
		require.Len(t, today.Unplaced, 10, "the ten communes whose successor of December 2024 is not established")

		// A commune of today reports its former communes' cases as its own.
		com, err := db.Compliance(ctx, caseflow.ComplianceQuery{Period: q1, Unit: unitOf(t, db, "12004", "2025"), AsOf: asOf, Structure: "2025"})
		require.NoError(t, err)
		require.Equal(t, units["12004"].Indicators, withoutPending(com.Indicators))
	})

	t.Run("ChildrenBy0101Dimensions", func(t *testing.T) {
		rep := report(t, "33", q1)
		ch := rep.Children
		// Children of Y-A (girl, 4, family) and Y-B (boy, 10 and a girl of unknown age, school).
		// Y-C's girl is 16: not a child in law, counted apart. Y-I was a duplicate; H1's child was
		// received in 2023.
		require.EqualValues(t, 3, ch.Total)
		require.EqualValues(t, 1, ch.Aged16To17)
		count := func(cs []caseflow.Count) map[string]int64 {
			out := map[string]int64{}
			for _, c := range cs {
				out[c.Key] = c.Count
			}
			return out
		}
		require.Equal(t, map[string]int64{"female": 2, "male": 1, "other": 0, "unknown": 0}, count(ch.BySex))
		require.Equal(t, map[string]int64{"0-5": 1, "6-10": 1, "11-15": 0, "16-17": 1, "unknown": 1}, count(ch.ByAgeGroup))
		require.Equal(t, map[string]int64{"family": 1, "school": 2, "online": 0, "public": 0, "other": 0}, count(ch.BySetting))
		abuse := count(ch.ByAbuseType)
		require.EqualValues(t, 1, abuse["sexual"], "Y-A")
		require.EqualValues(t, 3, abuse["physical"], "Y-A and both children of Y-B")
		require.EqualValues(t, 0, abuse["online"])
		require.EqualValues(t, 0, abuse["neglect"])
		require.Equal(t, "female", ch.BySex[0].Key, "in report order; labels come from the catalogue")

		d325 := report(t, "325", q1).Children
		require.EqualValues(t, 1, d325.Total, "only Y-A is in district 325")
	})

	t.Run("TheMonthlyTrendIsTheMonthsReports", func(t *testing.T) {
		q := caseflow.ComplianceQuery{Period: q1, Unit: unitCode(t, db, "33"), AsOf: asOf, Structure: "2021"}
		for _, ind := range caseflow.Indicators {
			if ind.ID == caseflow.IndicatorYearOnYear {
				_, err := db.ComplianceTrend(ctx, q, string(ind.ID))
				require.Equal(t, caseflow.ENotFound, caseflow.ErrorCode(err), "no monthly trend of a yearly change")
				continue
			}
			trend, err := db.ComplianceTrend(ctx, q, string(ind.ID))
			require.NoError(t, err)
			got := map[string]caseflow.Figure{}
			for _, m := range trend {
				got[m.Month] = m.Figure
			}
			for _, m := range []struct{ month, from, to string }{{"2024-01", "2024-01-01", "2024-01-31"},
				{"2024-02", "2024-02-01", "2024-02-29"}, {"2024-03", "2024-03-01", "2024-03-31"}} {
				want := figures(report(t, "33", period(t, m.from, m.to)).Indicators)[ind.ID]
				require.Equal(t, want, got[m.month], "%s in %s: the trend's month is that month's report", ind.ID, m.month)
			}
		}
	})

	t.Run("APeriodAheadHasNoFigures", func(t *testing.T) {
		rep := report(t, "33", period(t, "2025-01-01", "2025-03-31"))
		require.Equal(t, caseflow.PeriodNotStarted, rep.Timing)
		for _, r := range rep.Indicators {
			require.Nil(t, r.Value, "%s: no data for a period ahead, never −100%%", r.Indicator.ID)
			require.Nil(t, r.Met, "%s", r.Indicator.ID)
		}
		require.Equal(t, caseflow.PeriodEnded, report(t, "33", q1).Timing)
	})

	t.Run("ARunningPeriodComparesTheSameDaysSoFar", func(t *testing.T) {
		// The year 2024 at 15 April: prosecutions of 1 January – 15 April 2024 (H1, H4, H5)
		// against the same days of 2023 (P1, P2); not against all of 2023, which has P4 in June.
		rep := report(t, "33", period(t, "2024-01-01", "2024-12-31"))
		require.Equal(t, caseflow.PeriodPartial, rep.Timing)
		require.Equal(t, fig(3, 2), figures(rep.Indicators)[caseflow.IndicatorYearOnYear])
	})

	t.Run("PendingItemsWaitForTheirLimit", func(t *testing.T) {
		rep := report(t, "33", period(t, "2024-04-01", "2024-06-30"))
		got := figures(rep.Indicators)
		require.Equal(t, fig(1, 1), got[caseflow.IndicatorIntake], "I7 accepted; I8 still within 24 hours")
		require.EqualValues(t, 1, resultOf(rep.Indicators, caseflow.IndicatorIntake).Pending, "I8 is pending, and says so")
		require.EqualValues(t, 1, resultOf(rep.Indicators, caseflow.IndicatorResolution).Pending, "R9, due on 30 April")
		require.Zero(t, resultOf(rep.Indicators, caseflow.IndicatorCorrectCharge).Pending, "an indicator of decisions has nothing pending")
		require.Equal(t, fig(0, 0), got[caseflow.IndicatorResolution], "R8 was due in Q1 (24:00 on 31 March); R9 not yet due")
		require.Equal(t, fig(0, 1), got[caseflow.IndicatorOnTimeResolution], "R3, resolved late on 5 April")
		require.Equal(t, fig(1, 1), got[caseflow.IndicatorIndictmentOnTime], "K4")
		require.Equal(t, fig(0, 0), got[caseflow.IndicatorSupportPlanOnTime], "S6 drafted on time, its approval not yet due")
		require.Nil(t, resultOf(rep.Indicators, caseflow.IndicatorSupportPlanOnTime).Value, "no data")
		require.Equal(t, fig(1, 1), got[caseflow.IndicatorCorrectCharge], "T1's verdict of 2 April")
		require.Equal(t, fig(0, 0), got[caseflow.IndicatorClearanceSerious])
		require.Nil(t, resultOf(rep.Indicators, caseflow.IndicatorClearanceSerious).Met, "no data is not a failure")
	})

	t.Run("DrillDownListsTheCasesBehindAFigure", func(t *testing.T) {
		q := caseflow.ComplianceCaseQuery{ComplianceQuery: caseflow.ComplianceQuery{Period: q1, Unit: unitCode(t, db, "33"), AsOf: asOf, Structure: "2021"},
			Indicator: string(caseflow.IndicatorResolution)}
		sup := supervisor(t, d, "BCD-33")
		list := func(q caseflow.ComplianceCaseQuery) []string {
			t.Helper()
			page, err := db.ComplianceCases(ctx, sup, q)
			require.NoError(t, err)
			out := codes(page.Items)
			sort.Strings(out)
			return out
		}
		require.Equal(t, []string{"R1", "R2", "R3", "R4", "R6", "R8"}, list(q))
		q.Part = caseflow.PartMissed
		require.Equal(t, []string{"R4", "R6"}, list(q))
		q.Part = caseflow.PartNumerator
		require.Equal(t, []string{"R1", "R2", "R3", "R8"}, list(q))

		q.Part, q.AgencyID = "", agencyID(t, d, "CA-326")
		require.Equal(t, []string{"R6", "R8"}, list(q))

		q.Indicator, q.AgencyID, q.Clock = caseflow.Breaches, 0, "resolve_report"
		require.Equal(t, []string{"R3", "R4", "R6"}, list(q))

		q.Indicator, q.Clock = string(caseflow.IndicatorIntake), ""
		page, err := db.ComplianceCases(ctx, sup, q)
		require.NoError(t, err)
		require.Equal(t, []string{"I1", "I4", "I4", "I6", "I3"}, codes(page.Items),
			"in the order of the dates that put them in the period; a case referred twice is two referrals")
		require.False(t, page.Items[1].InNumerator, "I4's first referral was returned")
		require.True(t, page.Items[2].InNumerator)
		require.Equal(t, at(2024, 2, 1, 8, 0).UTC(), page.Items[1].At)
		require.Equal(t, "CA-325", page.Items[0].AgencyCode)
		require.Equal(t, "11986", page.Items[0].Commune.Code)

		q.Indicator = string(caseflow.IndicatorYearOnYear)
		page, err = db.ComplianceCases(ctx, sup, q)
		require.NoError(t, err)
		var cur, prev []string
		for _, it := range page.Items {
			if it.InNumerator {
				cur = append(cur, it.Code)
			}
			if it.InDenominator {
				prev = append(prev, it.Code)
			}
		}
		require.Equal(t, []string{"H4", "H1", "H5"}, cur)
		require.Equal(t, []string{"P1", "P2"}, prev, "by the day of the decision")
	})

	t.Run("DrillDownPages", func(t *testing.T) {
		sup := supervisor(t, d, "BCD-33")
		q := caseflow.ComplianceCaseQuery{ComplianceQuery: caseflow.ComplianceQuery{Period: q1, Unit: unitCode(t, db, "33"), AsOf: asOf, Structure: "2021"},
			Indicator: caseflow.Breaches, Limit: 5}
		var all []string
		for pages := 0; ; pages++ {
			require.Less(t, pages, 10)
			page, err := db.ComplianceCases(ctx, sup, q)
			require.NoError(t, err)
			all = append(all, codes(page.Items)...)
			if page.NextCursor == "" {
				break
			}
			q.After = page.NextCursor
		}
		sort.Strings(all)
		require.Equal(t, []string{"E3", "E4", "H4", "I6", "K3", "R3", "R4", "R6", "S2", "S3", "T2", "T3"}, all,
			"every breach once, across pages")
	})

	t.Run("DrillDownKeepsToTheViewersUnit", func(t *testing.T) {
		// A supervisor of district 326 asking about the province sees only 326's cases: the
		// caller decides the unit, and the need-to-know rule still applies to each case.
		sup326 := supervisor(t, d, "LD-326")
		q := caseflow.ComplianceCaseQuery{ComplianceQuery: caseflow.ComplianceQuery{Period: q1, Unit: unitCode(t, db, "33"), AsOf: asOf, Structure: "2021"},
			Indicator: string(caseflow.IndicatorResolution)}
		page, err := db.ComplianceCases(ctx, sup326, q)
		require.NoError(t, err)
		require.Equal(t, []string{"R6", "R8"}, codes(page.Items))
	})
}

func agencyID(t *testing.T, db *testenv.Database, code string) int64 {
	t.Helper()
	out, err := db.QueryStrings(context.Background(), "SELECT id::text FROM agencies WHERE code = ?", code)
	require.NoError(t, err)
	require.Len(t, out, 1)
	n, _ := strconv.ParseInt(out[0], 10, 64)
	return n
}

// supervisor is a viewer with the supervisor role in an agency.
func supervisor(t *testing.T, db *testenv.Database, agency string) caseflow.Viewer {
	t.Helper()
	out, err := db.QueryStrings(context.Background(), `SELECT u.path FROM agencies a JOIN units u ON u.id = a.unit_id WHERE a.code = ?`, agency)
	require.NoError(t, err)
	require.Len(t, out, 1)
	return caseflow.Viewer{UserID: 1, Username: "sup-" + agency, Role: caseflow.RoleSupervisor,
		Agency: caseflow.Agency{ID: agencyID(t, db, agency), Code: agency, Type: caseflow.AgencySupervision,
			Unit: caseflow.Unit{Path: out[0]}}}
}

func TestACommuneWithoutAKnownSuccessorCountsInTheProvinceOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	f := newFixture(t, d)
	// Xã Việt Cường (12082, Yên Mỹ) ended on 30 November 2024; what it became
	// is not established. Thị trấn Như Quỳnh (11986) became part of 12004.
	u1 := f.kase("U1", "12082", at(2024, 2, 1, 9, 0), "family")
	f.event(u1, "decide_prosecution", "CA-327", at(2024, 2, 3, 9, 0), `{"crime_signs": true, "penal_code_article": "142"}`)
	u2 := f.kase("U2", "11986", at(2024, 2, 2, 9, 0), "family")
	f.event(u2, "decide_prosecution", "CA-325", at(2024, 2, 4, 9, 0), `{"crime_signs": true, "penal_code_article": "146"}`)
	derive(t, d.DB)
	q := caseflow.ComplianceQuery{Period: period(t, "2024-01-01", "2024-03-31"), Unit: unitOf(t, d.DB, "33", "2025"),
		AsOf: at(2024, 4, 15, 12, 0), Structure: "2025"}
	rep, err := d.DB.Compliance(ctx, q)
	require.NoError(t, err)
	yoy := func(rs []caseflow.IndicatorResult) caseflow.Figure { return figures(rs)[caseflow.IndicatorYearOnYear] }
	require.Equal(t, fig(2, 0), yoy(rep.Indicators), "both cases count in the province")
	var under caseflow.Figure
	for _, u := range rep.Units {
		under = under.Add(yoy(u.Indicators))
	}
	require.Equal(t, fig(1, 0), under, "only the placed one counts under a unit")
	codes := []string{}
	for _, u := range rep.Unplaced {
		codes = append(codes, u.Code)
	}
	require.Contains(t, codes, "12082")

	q.Structure, q.Unit = "2021", unitOf(t, d.DB, "327", "2021")
	rep, err = d.DB.Compliance(ctx, q)
	require.NoError(t, err)
	require.Equal(t, fig(1, 0), yoy(rep.Indicators), "on the structure of the time it is a case of Yên Mỹ")
}
