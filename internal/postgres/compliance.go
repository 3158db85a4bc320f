package postgres

import (
	"context"
	"database/sql"
	"encoding/base64"
	"errors"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// Compliance figures are counted in SQL. Every indicator is an "item source":
// a SELECT yielding one row per counted item (a clock or a recorded event)
// with the same columns —
//
//	ind, case_id, commune_id, agency_id, clock, at, due_at, done_at, num, den
//
// where at is the date that puts the item in the period, num and den say
// whether it counts in the numerator and the denominator. The report groups
// the sources by indicator, commune and agency (a few hundred rows at most)
// and rolls communes up into units in Go; the drill-down lists one source's
// items with their case codes. The rules are caseflow.Indicators'
// definitions; docs/compliance.md states them for readers.
//
// Parameters: @start and @end bound the period (UTC, end exclusive),
// @pstart and @pend the same dates a year earlier, @now is the report's
// AsOf, @communes the ids of the communes under the unit.

const inCommunes = `commune_id = ANY(CAST(@communes AS bigint[]))`

// An item is open while its figure can change with time alone: a clock
// still running (within its limit it is pending, past it a breach not yet
// marked), or a case waiting on a running clock of another step (the court's
// resolution while a court clock runs, the clearance while the
// investigation does, the approval of a plan drafted on time). Every other
// item is settled: only a write to its case can change it. The roll-up
// (rollup.go) keeps the settled items; a report counts the open ones live —
// those past due, as an open item within its limit is pending and not
// counted at all.
//
// Each source's WHERE holds two markers, replaced before it runs: {{live}}
// narrows the scan to the rows that can be open (the source's live driver),
// {{settled}} sits in branches whose items are never open. In a report from
// the base tables both read true.
const (
	liveMarker    = "{{live}}"
	settledMarker = "{{settled}}"
	clrLiveMarker = "{{clr_live}}"
)

// clearanceCTE is shared by clearance and clearance_serious: decisions to
// prosecute in the period with the first time the case was cleared, and
// whether an investigation clock of the case still runs.
var clearanceCTE = `clr AS (
	SELECT h.case_id, h.commune_id, h.agency_id, h.at, cl.at AS cleared_at,
		` + hasRole("h.roles", caseflow.EventProsecutionOfSeriousCrime) + ` AS serious,
		cl.at IS NULL AND EXISTS (SELECT 1 FROM case_clocks r WHERE r.case_id = h.case_id
			AND r.role = '` + string(caseflow.ClockInvestigation) + `' AND r.status = 'running') AS open
	FROM case_history h
	LEFT JOIN LATERAL (SELECT min(x.at) AS at FROM case_history x
		WHERE x.case_id = h.case_id AND x.kind = 'transition' AND ` + hasRole("x.roles", caseflow.EventClearance) + `) cl ON true
	WHERE ` + historyWithRoles + ` AND ` + hasRole("h.roles", caseflow.EventProsecution) + ` AND h.at >= @start AND h.at < @end
		AND h.` + inCommunes + ` AND ` + clrLiveMarker + `
		AND NOT (cl.at IS NULL AND h.case_id IN (SELECT i.case_id FROM case_clocks i
			WHERE i.role = '` + string(caseflow.ClockInvestigation) + `' AND i.status = 'running' AND i.due_at > @now)))`

// hasRole is the SQL test that a roles column holds a role; the same text
// as the partial indexes of migration 00004, so that they apply.
func hasRole(column string, role caseflow.EventRole) string {
	return "'" + string(role) + "' = ANY(" + column + ")"
}

// historyWithRoles picks the recorded transitions that compliance reads, in
// the words of the partial index case_history_roles_cx.
const historyWithRoles = `h.kind = 'transition' AND h.roles && '{` + string(caseflow.EventProsecution) + `,` +
	string(caseflow.EventProsecutionDeclined) + `,` + string(caseflow.EventVerdict) + `}'`

// outcomeRoles is the predicate of the partial index
// case_history_outcome_roles_cx, written out so that the planner uses it.
const outcomeRoles = `h.roles && '{` + string(caseflow.EventVerdict) + `,` + string(caseflow.EventCourtDisposal) + `,` +
	string(caseflow.EventSupportPlanDrafted) + `}'`

// receivedByPolice picks the intake rows of reports the police received
// themselves, in the words of the partial index case_history_police_intake_cx.
const receivedByPolice = `h.kind = 'transition' AND h.from_state = '' AND h.roles && '{` + string(caseflow.EventPoliceAcceptance) + `}'`

// dueInPeriod puts a clock in the period in which it is due. A limit that
// ends at 24:00 of a day is stored as 00:00 of the next, so the comparison is
// shifted by that instant: a deadline ending on 31 December belongs to
// December. dueInstant is the same shift as the instant that places the
// item (pt), for the roll-up's days and the trend's months.
const (
	dueInPeriod = `k.due_at > @start AND k.due_at <= @end`
	dueInstant  = `k.due_at - interval '1 microsecond'`
)

// notPending leaves out a clock still running within its limit.
const notPending = `NOT (k.stopped_at IS NULL AND k.due_at > @now)`

// itemSource is one indicator's items. Its SELECT yields the columns
//
//	ind, case_id, commune_id, agency_id, clock, key, at, pt, due_at, done_at, num, den, open
//
// where at is the date shown for the item, pt the instant that puts it in a
// period (start inclusive, end exclusive: a due time less an instant), key
// what the roll-up keeps apart (the clock of a breach, the article of a
// prosecution, the breakdown cell of a child), and open says the item is
// open (above).
type itemSource struct {
	sql string
	// live replaces {{live}} when only the open items are wanted: a
	// predicate that lets the scan start from the running clocks. Empty:
	// the source has no open items.
	live string
}

// The live drivers that start from other clocks of the case take their
// case ids as an array, computed first, so that the scan is one index
// look-up per case rather than a pass over the period's items.
//
// runningClocks is the live driver of a clock's own items: a running clock
// counts only once it is past due (within its limit it is pending), so the
// scan starts from the running clocks due by now, which the worker marks as
// breaches within a second; the few it has not marked yet are all there is
// to count live.
const runningClocks = `k.id = ANY(ARRAY(SELECT r.id FROM case_clocks r WHERE r.status = 'running' AND r.due_at <= @now))`

var itemSources = map[string]itemSource{
	string(caseflow.IndicatorIntake): {sql: `SELECT 'intake' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.started_at AS at, k.started_at AS pt, k.due_at, k.stopped_at AS done_at,
		` + hasRole("k.stop_roles", caseflow.EventPoliceAcceptance) + ` AS num, true AS den, k.status = 'running' AS open
		FROM case_clocks k
		WHERE k.role = '` + string(caseflow.ClockPoliceAcceptance) + `' AND k.started_at >= @start AND k.started_at < @end
			AND k.` + inCommunes + ` AND k.status <> 'cancelled' AND ` + notPending + ` AND ` + liveMarker + `
		UNION ALL
		SELECT 'intake', h.case_id, h.commune_id, h.agency_id, '', '', h.at, h.at, NULL::timestamptz, h.at, true, true, false
		FROM case_history h
		WHERE ` + receivedByPolice + ` AND h.at >= @start AND h.at < @end AND h.` + inCommunes + ` AND ` + settledMarker,
		live: runningClocks},

	string(caseflow.IndicatorResolution): {sql: `SELECT 'resolution' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.due_at AS at, ` + dueInstant + ` AS pt, k.due_at, k.stopped_at AS done_at,
		` + hasRole("k.stop_roles", caseflow.EventResolution) + ` AS num, true AS den, k.status = 'running' AS open
		FROM case_clocks k
		WHERE k.role = '` + string(caseflow.ClockResolution) + `' AND ` + dueInPeriod + ` AND k.` + inCommunes + `
			AND k.status <> 'cancelled' AND ` + notPending + ` AND ` + liveMarker + `
			AND NOT (` + hasRole("k.stop_roles", caseflow.EventHandOff) + ` AND k.stopped_at <= k.due_at)`,
		live: runningClocks},

	string(caseflow.IndicatorOnTimeResolution): {sql: `SELECT 'on_time_resolution' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.stopped_at AS at, k.stopped_at AS pt, k.due_at, k.stopped_at AS done_at, k.stopped_at <= k.due_at AS num, true AS den, false AS open
		FROM case_clocks k
		WHERE k.role = '` + string(caseflow.ClockResolution) + `' AND k.stopped_at >= @start AND k.stopped_at < @end
			AND k.` + inCommunes + ` AND ` + hasRole("k.stop_roles", caseflow.EventResolution)},

	string(caseflow.IndicatorProsecutionOfCrimeSigns): {sql: `SELECT 'prosecution_of_crime_signs' AS ind, h.case_id, h.commune_id, h.agency_id, '' AS clock, '' AS key,
		h.at, h.at AS pt, NULL::timestamptz AS due_at, h.at AS done_at, ` + hasRole("h.roles", caseflow.EventProsecution) + ` AS num, true AS den, false AS open
		FROM case_history h
		WHERE ` + historyWithRoles + ` AND h.at >= @start AND h.at < @end AND h.` + inCommunes + `
			AND (` + hasRole("h.roles", caseflow.EventProsecution) + ` OR ` + hasRole("h.roles", caseflow.EventDeclinedDespiteCrimeSigns) + `)`},

	string(caseflow.IndicatorClearance): {sql: `SELECT 'clearance' AS ind, case_id, commune_id, agency_id, '' AS clock, '' AS key,
		at, at AS pt, NULL::timestamptz AS due_at, cleared_at AS done_at, cleared_at IS NOT NULL AS num, true AS den, open FROM clr`,
		live: clearanceLive},

	string(caseflow.IndicatorClearanceSerious): {sql: `SELECT 'clearance_serious' AS ind, case_id, commune_id, agency_id, '' AS clock, '' AS key,
		at, at AS pt, NULL::timestamptz AS due_at, cleared_at AS done_at, cleared_at IS NOT NULL AS num, true AS den, open FROM clr WHERE serious`,
		live: clearanceLive},

	string(caseflow.IndicatorIndictmentOnTime): {sql: `SELECT 'indictment_on_time' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.stopped_at AS at, k.stopped_at AS pt, k.due_at, k.stopped_at AS done_at, k.stopped_at <= k.due_at AS num, true AS den, false AS open
		FROM case_clocks k
		WHERE k.role = '` + string(caseflow.ClockIndictment) + `' AND k.stopped_at >= @start AND k.stopped_at < @end
			AND k.` + inCommunes + ` AND ` + hasRole("k.stop_roles", caseflow.EventIndictmentDecision)},

	// Per accused person and charge where the verdict lists them (workflow
	// v2's charges), else one item for the verdict as a whole.
	string(caseflow.IndicatorCorrectCharge): {sql: `SELECT 'correct_charge' AS ind, h.case_id, h.commune_id, h.agency_id, '' AS clock, '' AS key,
		h.at, h.at AS pt, NULL::timestamptz AS due_at, h.at AS done_at, coalesce((e->>'upheld')::boolean, false) AS num, true AS den, false AS open
		FROM case_history h
		CROSS JOIN LATERAL jsonb_array_elements(CASE WHEN jsonb_typeof(h.data->'charges') = 'array' AND jsonb_array_length(h.data->'charges') > 0
			THEN h.data->'charges' ELSE jsonb_build_array(jsonb_build_object('upheld', ` + hasRole("h.roles", caseflow.EventChargeUpheld) + `)) END) e
		WHERE ` + historyWithRoles + ` AND ` + hasRole("h.roles", caseflow.EventVerdict) + ` AND h.at >= @start AND h.at < @end
			AND h.` + inCommunes},

	// Per case: its first acceptance by the court, in the period it falls
	// due (so a case counts once, whatever the periods asked). Resolved: a
	// verdict or the court's disposal recorded since. Pending: neither, and a
	// court clock of the case still within its limit (preparation, or the
	// hearing after a decision to try).
	string(caseflow.IndicatorCourtResolution): {sql: `SELECT 'court_resolution' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.due_at AS at, ` + dueInstant + ` AS pt, k.due_at, d.at AS done_at, d.at IS NOT NULL AS num, true AS den,
		d.at IS NULL AND EXISTS (SELECT 1 FROM case_clocks o WHERE o.case_id = k.case_id AND o.responsible_type = 'court'
			AND o.status = 'running') AS open
		FROM case_clocks k
		LEFT JOIN LATERAL (SELECT min(h.at) AS at FROM case_history h WHERE h.case_id = k.case_id AND h.kind = 'transition'
			AND ` + outcomeRoles + ` AND h.roles && '{` + string(caseflow.EventVerdict) + `,` + string(caseflow.EventCourtDisposal) + `}'
			AND h.at >= k.started_at) d ON true
		WHERE k.role = '` + string(caseflow.ClockTrialPreparation) + `' AND ` + dueInPeriod + ` AND k.` + inCommunes + `
			AND k.status <> 'cancelled' AND ` + liveMarker + `
			AND NOT EXISTS (SELECT 1 FROM case_clocks e WHERE e.case_id = k.case_id AND e.role = k.role AND e.status <> 'cancelled'
				AND (e.due_at, e.id) < (k.due_at, k.id))
			AND NOT (d.at IS NULL AND EXISTS (SELECT 1 FROM case_clocks o WHERE o.case_id = k.case_id AND o.responsible_type = 'court'
				AND o.status = 'running' AND o.due_at > @now))`,
		// Counted only when no court clock of the case is within its limit,
		// so one of them is past due.
		live: `k.case_id = ANY(ARRAY(SELECT o.case_id FROM case_clocks o WHERE o.responsible_type = 'court' AND o.status = 'running'
			AND o.due_at <= @now))`},

	// Two index-only scans rather than one OR; the second leaves out what
	// the first already listed when a long period overlaps the year before.
	// Without @articles (the roll-up), every article is kept, by key.
	string(caseflow.IndicatorYearOnYear): {sql: `SELECT 'yoy_change' AS ind, h.case_id, h.commune_id, h.agency_id, '' AS clock,
		coalesce(substring(h.data->>'penal_code_article' from '[0-9]+'), '') AS key,
		h.at, h.at AS pt, NULL::timestamptz AS due_at, h.at AS done_at,
		h.at >= @start AND h.at < @end AS num, h.at >= @pstart AND h.at < @pend AS den, false AS open
		FROM case_history h
		WHERE ` + historyWithRoles + ` AND ` + hasRole("h.roles", caseflow.EventProsecution) + `
			AND ((h.at >= @start AND h.at < @end) OR (h.at >= @pstart AND h.at < @pend)) AND h.` + inCommunes + `
			AND (CAST(@articles AS text[]) IS NULL OR substring(h.data->>'penal_code_article' from '[0-9]+') = ANY(@articles))`},

	string(caseflow.IndicatorEmergencyResponse): {sql: `SELECT 'emergency_response' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.started_at AS at, k.started_at AS pt, k.due_at, k.stopped_at AS done_at,
		` + hasRole("k.stop_roles", caseflow.EventEmergencyMeasures) + ` AND k.stopped_at <= k.due_at AS num, true AS den, k.status = 'running' AS open
		FROM case_clocks k
		WHERE k.role = '` + string(caseflow.ClockEmergencyMeasures) + `' AND k.started_at >= @start AND k.started_at < @end
			AND k.` + inCommunes + ` AND k.status <> 'cancelled' AND ` + notPending + ` AND ` + liveMarker + `
			AND NOT (k.stopped_at IS NOT NULL AND NOT ` + hasRole("k.stop_roles", caseflow.EventEmergencyMeasures) + ` AND k.stopped_at <= k.due_at)`,
		live: runningClocks},

	string(caseflow.IndicatorSupportPlanOnTime): {sql: `SELECT 'support_plan_on_time' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, '' AS key,
		k.started_at AS at, k.started_at AS pt, k.due_at, coalesce(a.stopped_at, k.stopped_at) AS done_at,
		coalesce(` + hasRole("k.stop_roles", caseflow.EventSupportPlanDrafted) + ` AND k.stopped_at <= k.due_at
			AND ` + hasRole("a.stop_roles", caseflow.EventSupportPlanApproved) + ` AND a.stopped_at <= a.due_at, false) AS num, true AS den,
		k.status = 'running' OR coalesce(a.status = 'running' AND ` + hasRole("k.stop_roles", caseflow.EventSupportPlanDrafted) + `
			AND k.stopped_at <= k.due_at, false) AS open
		FROM case_clocks k
		LEFT JOIN case_clocks a ON a.role = '` + string(caseflow.ClockSupportPlanApproval) + `' AND a.commune_id = k.commune_id
			AND a.started_at = k.stopped_at AND a.case_id = k.case_id AND a.started_at >= @start
		WHERE k.role = '` + string(caseflow.ClockSupportPlanDraft) + `' AND k.started_at >= @start AND k.started_at < @end
			AND k.` + inCommunes + ` AND k.status <> 'cancelled' AND ` + notPending + ` AND ` + liveMarker + `
			AND NOT (k.stopped_at IS NOT NULL AND NOT ` + hasRole("k.stop_roles", caseflow.EventSupportPlanDrafted) + ` AND k.stopped_at <= k.due_at)
			AND NOT coalesce(` + hasRole("k.stop_roles", caseflow.EventSupportPlanDrafted) + ` AND k.stopped_at <= k.due_at
				AND a.stopped_at IS NULL AND a.due_at > @now, false)`,
		live: `(` + runningClocks + ` OR k.case_id = ANY(ARRAY(SELECT r.case_id FROM case_clocks r
			WHERE r.role = '` + string(caseflow.ClockSupportPlanApproval) + `' AND r.status = 'running' AND r.due_at <= @now)))`},

	string(caseflow.IndicatorSupportPlanShare): {sql: `SELECT 'support_plan_share' AS ind, c.case_id, c.commune_id, NULL::bigint AS agency_id, '' AS clock, '' AS key,
		c.received_at AS at, c.received_at AS pt, NULL::timestamptz AS due_at, pl.at AS done_at, pl.at IS NOT NULL AS num, true AS den, false AS open
		FROM (SELECT id AS case_id, commune_id, received_at, outcome FROM cases) c
		LEFT JOIN LATERAL (SELECT min(h.at) AS at FROM case_history h WHERE h.case_id = c.case_id AND h.kind = 'transition'
			AND ` + outcomeRoles + ` AND ` + hasRole("h.roles", caseflow.EventSupportPlanDrafted) + `) pl ON true
		WHERE c.received_at >= @start AND c.received_at < @end AND c.` + inCommunes + `
			AND c.outcome NOT IN ('duplicate', 'transferred_out')`},

	// Two index scans rather than one OR: the marked breaches, and the
	// clocks still running past their due time, which the worker has not
	// marked yet.
	caseflow.Breaches: {sql: `SELECT 'breaches' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, k.clock AS key,
		k.due_at AS at, ` + dueInstant + ` AS pt, k.due_at, k.stopped_at AS done_at, true AS num, true AS den, false AS open
		FROM case_clocks k
		WHERE k.status = 'breached' AND ` + dueInPeriod + ` AND k.` + inCommunes + ` AND ` + settledMarker + `
		UNION ALL
		SELECT 'breaches', k.case_id, k.commune_id, k.responsible_agency, k.clock, k.clock, k.due_at, ` + dueInstant + `, k.due_at, k.stopped_at, true, true, true
		FROM case_clocks k
		WHERE k.status = 'running' AND k.due_at <= @now AND ` + dueInPeriod + ` AND k.` + inCommunes,
		live: runningClocks},
}

// escalationSource lists the breaches that were escalated, by the period
// they were due in; settled (the rung is a write).
var escalationSource = itemSource{sql: `SELECT 'escalations' AS ind, k.case_id, k.commune_id, k.responsible_agency AS agency_id, k.clock, k.clock AS key,
		k.due_at AS at, ` + dueInstant + ` AS pt, k.due_at, k.stopped_at AS done_at, true AS num, true AS den, false AS open
		FROM case_clocks k
		WHERE k.escalation_level > 0 AND ` + dueInPeriod + ` AND k.` + inCommunes}

// The escalations have a drill-down like the breaches.
func init() { itemSources[caseflow.Escalations] = escalationSource }

// clearanceLive is the live driver of the clearance sources: the cases
// whose investigation clock runs past due (within its limit the case is
// pending).
const clearanceLive = `h.case_id = ANY(ARRAY(SELECT r.case_id FROM case_clocks r WHERE r.role = '` + string(caseflow.ClockInvestigation) + `'
	AND r.status = 'running' AND r.due_at <= @now))`

// childrenSource lists the cells of the 0101 breakdown each child of a
// case received in the period falls in: children under 16 (or of unknown
// age) of cases whose outcome does not rule abuse out, by sex, setting and
// abuse type; every child by age group (16- and 17-year-olds are counted
// apart, outside every other row). Its items are never open.
var childrenSource = itemSource{sql: `SELECT 'children' AS ind, p.case_id, p.commune_id, NULL::bigint AS agency_id, '' AS clock, d.key,
		p.received_at AS at, p.received_at AS pt, NULL::timestamptz AS due_at, NULL::timestamptz AS done_at, true AS num, true AS den, false AS open
		FROM case_people p
		CROSS JOIN LATERAL (
			SELECT 'age_group:' || ` + ageGroupCase("p.age_at_report") + ` AS key
			UNION ALL SELECT 'sex:' || CASE WHEN p.sex = '' THEN 'unknown' ELSE p.sex END WHERE ` + underChildAge + `
			UNION ALL SELECT 'setting:' || p.setting WHERE ` + underChildAge + `
			UNION ALL SELECT 'abuse_type:' || t FROM unnest(p.abuse_types) t WHERE ` + underChildAge + `) d
		WHERE p.kind = 'child' AND p.received_at >= @start AND p.received_at < @end AND p.` + inCommunes + `
			AND NOT EXISTS (SELECT 1 FROM cases c WHERE c.id = p.case_id AND c.outcome = ANY(@no_abuse))`}

// childIndicator is the roll-up's name for the 0101 breakdown.
const childIndicator = "children"

// runningSource lists the running clocks of the roles a report shows as
// pending, by the period they started in, keyed by role. A clock stops
// running only by a write, so these items are settled, and the roll-up
// holds them.
var runningSource = itemSource{sql: `SELECT '` + runningIndicator + `' AS ind, k.case_id, k.commune_id, NULL::bigint AS agency_id, '' AS clock, k.role AS key,
		k.started_at AS at, k.started_at AS pt, k.due_at, NULL::timestamptz AS done_at, true AS num, true AS den, false AS open
		FROM case_clocks k
		WHERE k.role = ANY(@pending_roles) AND k.started_at >= @start AND k.started_at < @end AND k.` + inCommunes + `
			AND k.status = 'running'`}

// runningIndicator is the roll-up's name for the running clocks.
const runningIndicator = "running"

var underChildAge = `(p.age_at_report IS NULL OR p.age_at_report < ` + strconv.Itoa(caseflow.ChildAgeLimit) + `)`

// ageGroupCase is the SQL naming the age group of an age column.
func ageGroupCase(column string) string {
	var b strings.Builder
	b.WriteString("CASE")
	for _, g := range caseflow.AgeGroups {
		fmt.Fprintf(&b, " WHEN %s BETWEEN %d AND %d THEN '%s'", column, g.Min, g.Max, g.Key)
	}
	fmt.Fprintf(&b, " ELSE '%s' END", caseflow.AgeUnknown)
	return b.String()
}

// complianceScope is the unit of a report, the units under it in the
// report's structure, and every commune whose cases count in it: its own
// communes and the former ones that became part of them.
type complianceScope struct {
	unit     unitRow
	units    []unitRow // every unit under unit in the structure, unit included
	communes array[int64]
	children []unitRow
	// childOf maps a commune id to the index of the child unit it counts under.
	childOf   map[int64]int
	split     []caseflow.UnitMapping
	unplaced  []caseflow.Unit
	structure string
}

func (db *DB) loadScope(tx *gorm.DB, u caseflow.Unit, structure string, p caseflow.Period) (*complianceScope, error) {
	s := &complianceScope{childOf: map[int64]int{}}
	province := provincePath(u.Path)
	if structure == "" {
		// The unit's own structure, or for a province the one in force now.
		structure = u.Structure
		if structure == "" {
			if err := tx.Raw(`SELECT id FROM structures WHERE valid_from <= @day AND (valid_to IS NULL OR valid_to >= @day)
				AND province_id = (SELECT id FROM units WHERE path = @path) LIMIT 1`,
				map[string]any{"day": caseflow.Day(db.now()), "path": province}).Scan(&structure).Error; err != nil {
				return nil, err
			}
		}
	}
	s.structure = structure
	var st structureRow
	if err := tx.Where("id = ? AND province_id = (SELECT id FROM units WHERE path = ?)", structure, province).Take(&st).Error; err != nil {
		if errors.Is(err, gorm.ErrRecordNotFound) {
			return nil, caseflow.Errorf(caseflow.ENotFound, "no structure %q", structure)
		}
		return nil, err
	}
	// The days of the period the structure covers: the units of the report
	// are those that existed then. A period before the structure began is
	// reported on its units as they began.
	from, to := caseflow.Day(p.Start()), caseflow.Day(p.End().Add(-time.Nanosecond))
	if from.Before(st.ValidFrom) {
		from = st.ValidFrom
	}
	if to.Before(from) {
		to = from
	}
	if st.ValidTo != nil && to.After(*st.ValidTo) {
		to = *st.ValidTo
	}
	if err := tx.Where("path LIKE ? AND ((structure = ? AND valid_from <= ? AND (valid_to IS NULL OR valid_to >= ?)) OR level = ?)",
		likePrefix(u.Path), structure, to, from, caseflow.LevelProvince).
		Order("path").Find(&s.units).Error; err != nil {
		return nil, err
	}
	found := false
	for _, r := range s.units {
		if r.Path == u.Path {
			s.unit, found = r, true
		}
	}
	if !found {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no unit with code %q in structure %s", u.Code, structure)
	}
	for _, r := range s.units {
		if r.ParentID != nil && *r.ParentID == s.unit.ID {
			s.children = append(s.children, r)
		}
	}
	s.communes = array[int64]{}
	place := func(id int64, path string) {
		s.communes = append(s.communes, id)
		for i, c := range s.children {
			if strings.HasPrefix(path, c.Path) {
				s.childOf[id] = i
			}
		}
	}
	inScope := map[int64]unitRow{}
	for _, r := range s.units {
		if r.Level == caseflow.LevelCommune {
			inScope[r.ID] = r
			place(r.ID, r.Path)
		}
	}
	return s, db.placeFormerCommunes(tx, s, structure, from, province, inScope, place)
}

// placeFormerCommunes adds the communes that ended before the report's days
// whose cases count in the scope: each follows its main successions to a
// commune of the report's structure that existed then. A former commune split between several counts under
// its main part, and the report says so; one whose successor is not
// established counts in a province's totals only, and the report lists it.
func (db *DB) placeFormerCommunes(tx *gorm.DB, s *complianceScope, structure string, from time.Time, province string,
	inScope map[int64]unitRow, place func(int64, string)) error {
	var rows []struct {
		Origin, Target int64
		Reached        bool
	}
	if err := tx.Raw(`WITH RECURSIVE chain AS (
			SELECT u.id AS origin, u.id AS cur, 0 AS depth FROM units u
			WHERE u.level = 'commune' AND u.path LIKE @province AND u.valid_to < @from
			UNION ALL
			SELECT c.origin, us.to_unit_id, c.depth + 1 FROM chain c
			JOIN unit_successions us ON us.from_unit_id = c.cur AND us.main WHERE c.depth < 10)
		SELECT c.origin, max(c.cur) FILTER (WHERE t.structure = @structure AND c.depth > 0 AND (t.valid_to IS NULL OR t.valid_to >= @from)) AS target,
			bool_or(t.structure = @structure AND c.depth > 0 AND (t.valid_to IS NULL OR t.valid_to >= @from)) AS reached
		FROM chain c JOIN units t ON t.id = c.cur GROUP BY c.origin`,
		map[string]any{"structure": structure, "province": likePrefix(province), "from": from}).Scan(&rows).Error; err != nil {
		return err
	}
	isProvince := s.unit.Level == caseflow.LevelProvince
	var unplaced []int64
	placed := map[int64]int64{}
	for _, r := range rows {
		if !r.Reached {
			if isProvince {
				s.communes = append(s.communes, r.Origin)
				unplaced = append(unplaced, r.Origin)
			}
			continue
		}
		if t, ok := inScope[r.Target]; ok {
			place(r.Origin, t.Path)
			placed[r.Origin] = r.Target
		}
	}
	if len(unplaced) > 0 {
		var us []unitRow
		if err := tx.Where("id IN ?", unplaced).Order("code, valid_from").Find(&us).Error; err != nil {
			return err
		}
		for _, u := range us {
			s.unplaced = append(s.unplaced, u.unit())
		}
	}
	if len(placed) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(placed))
	for id := range placed {
		ids = append(ids, id)
	}
	var splits []struct {
		FromUnitID, ToUnitID int64
		Portion              string
		Verified             bool
	}
	if err := tx.Raw(`SELECT from_unit_id, to_unit_id, portion, verified FROM unit_successions
		WHERE main AND portion <> 'full' AND from_unit_id IN ? ORDER BY from_unit_id`, ids).Scan(&splits).Error; err != nil {
		return err
	}
	for _, sp := range splits {
		var from, to unitRow
		if err := tx.Where("id = ?", sp.FromUnitID).Take(&from).Error; err != nil {
			return err
		}
		if err := tx.Where("id = ?", placed[sp.FromUnitID]).Take(&to).Error; err != nil {
			return err
		}
		s.split = append(s.split, caseflow.UnitMapping{From: from.unit(), To: to.unit(), Portion: sp.Portion, Verified: sp.Verified})
	}
	return nil
}

func (s *complianceScope) args(q caseflow.ComplianceQuery) map[string]any {
	prev := q.Period.YearEarlier()
	pend := prev.End()
	if q.Period.TimingAt(q.AsOf) != caseflow.PeriodEnded {
		// A period still running is compared with the same dates a year
		// earlier, today's included; one not begun has no figures (its items
		// are all in the future), and its base is empty too, never a fall of
		// 100%. Whole days, so that the roll-up's days answer it.
		today := caseflow.Day(q.AsOf)
		soFar := time.Date(today.Year()-1, today.Month(), today.Day()+1, 0, 0, 0, 0, caseflow.Zone).UTC()
		if soFar.Before(pend) {
			pend = soFar
		}
		if pend.Before(prev.Start()) {
			pend = prev.Start()
		}
	}
	articles := q.Articles
	if len(articles) == 0 {
		articles = caseflow.PlanCrimeArticles
	}
	return map[string]any{"start": q.Period.Start(), "end": q.Period.End(), "pstart": prev.Start(), "pend": pend,
		"now": q.AsOf.UTC(), "communes": s.communes, "articles": array[string](articles),
		"no_abuse": array[string](caseflow.OutcomesWithoutAbuse), "pending_roles": pendingRoles()}
}

// readOnly runs f in a read-only transaction that sees one snapshot, so
// that every figure of a report is counted over the same data, on the
// replica while it is within its bound (see reader), and says where it read.
// A replica that fails the read (it went down since it was measured) is
// left for the primary.
func (db *DB) readOnly(ctx context.Context, f func(tx *gorm.DB) error) (string, error) {
	g, from := db.reader()
	err := db.snapshot(ctx, g, f)
	if err != nil && from == caseflow.ReadReplica && ctx.Err() == nil && caseflow.ErrorCode(err) == caseflow.EInternal {
		db.Log.Warn("a read on the replica failed; reading from the primary", "err", err.Error())
		from, err = caseflow.ReadPrimary, db.snapshot(ctx, db.gorm, f)
	}
	return from, err
}

func (db *DB) snapshot(ctx context.Context, g *gorm.DB, f func(tx *gorm.DB) error) error {
	return g.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		// A report reads many index entries once: compiling it is wasted
		// time. Its plan depends on the period and the unit (which partial
		// indexes apply, how many rows a range holds), so a generic plan
		// cached from other values is never right. And hashing a year of a
		// province's items should stay off the disk.
		if err := tx.Exec("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL work_mem = '64MB'").Error; err != nil {
			return err
		}
		return f(tx)
	}, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true})
}

// Compliance counts every indicator of a unit over a period, with the units
// below it, the agencies, the breaches and the 0101 child breakdown, from
// the roll-up. The caller decides whether the viewer may see the unit.
func (db *DB) Compliance(ctx context.Context, q caseflow.ComplianceQuery) (*caseflow.ComplianceReport, error) {
	return db.compliance(ctx, q, false)
}

// ComplianceFromBase is Compliance counted from the base tables, item by
// item: what the roll-up must always equal.
func (db *DB) ComplianceFromBase(ctx context.Context, q caseflow.ComplianceQuery) (*caseflow.ComplianceReport, error) {
	return db.compliance(ctx, q, true)
}

func (db *DB) compliance(ctx context.Context, q caseflow.ComplianceQuery, fromBase bool) (*caseflow.ComplianceReport, error) {
	if q.AsOf.IsZero() {
		q.AsOf = db.now()
	}
	rep := &caseflow.ComplianceReport{Period: q.Period, AsOf: q.AsOf.UTC(), Timing: q.Period.TimingAt(q.AsOf)}
	from, err := db.readOnly(ctx, func(tx *gorm.DB) error {
		s, err := db.loadScope(tx, q.Unit, q.Structure, q.Period)
		if err != nil {
			return err
		}
		rep.Unit = s.unit.unit()
		rep.Structure, rep.Split, rep.Unplaced = s.structure, s.split, s.unplaced
		var rows []countRow
		if fromBase {
			rows, err = db.complianceCounts(tx, s, q)
		} else {
			rows, err = db.rolledUpCounts(tx, s, q)
		}
		if err != nil {
			return err
		}
		if err := db.fillReport(tx, rep, s, q, rows); err != nil {
			return err
		}
		rep.Children = childBreakdown(rows)
		return nil
	})
	if err != nil {
		return nil, err
	}
	rep.ReadFrom, rep.Replica = from, db.ReplicaState()
	return rep, nil
}

type countRow struct {
	Ind       string
	CommuneID int64
	AgencyID  *int64
	Clock     string
	Num       int64
	Den       int64
}

// complianceCounts counts every source from the base tables.
func (db *DB) complianceCounts(tx *gorm.DB, s *complianceScope, q caseflow.ComplianceQuery) ([]countRow, error) {
	var rows []countRow
	err := tx.Raw(countQuery(modeBase, false), s.args(q)).Scan(&rows).Error
	return rows, err
}

// countQuery counts the items of every source (with live, only those that
// have open items), one group per indicator, commune, agency and key. Each
// source is grouped on its own, so that only its counts, not its items,
// pass between the parts of the plan.
func countQuery(mode sourceMode, byCases bool) string {
	var parts []string
	for _, src := range reportSources() {
		if mode == modeLive && src.live == "" {
			continue
		}
		text := src.text(mode)
		if byCases {
			text = forCases(text, true)
		}
		parts = append(parts, `SELECT ind, commune_id, agency_id, key AS clock,
			count(*) FILTER (WHERE num) AS num, count(*) FILTER (WHERE den) AS den
			FROM (`+text+`) i WHERE `+mode.filter()+` GROUP BY 1, 2, 3, 4`)
	}
	clr := clearanceSQL(mode)
	if byCases {
		clr = forCases(clr, true)
	}
	return `WITH ` + clr + "\n" + strings.Join(parts, "\nUNION ALL\n")
}

// fillReport rolls the counts up into the unit's figures, its child units'
// and its agencies'.
func (db *DB) fillReport(tx *gorm.DB, rep *caseflow.ComplianceReport, s *complianceScope, q caseflow.ComplianceQuery, rows []countRow) error {
	total := map[string]caseflow.Figure{}
	byChild := make([]map[string]caseflow.Figure, len(s.children))
	childBreaches := make([]int64, len(s.children))
	childEscalations := make([]int64, len(s.children))
	escalations := map[string]int64{}
	agencyEscalations := map[int64]int64{}
	for i := range byChild {
		byChild[i] = map[string]caseflow.Figure{}
	}
	byAgency := map[int64]map[string]caseflow.Figure{}
	breaches := map[string]int64{}
	agencyBreaches := map[int64]map[string]int64{}
	for _, r := range rows {
		f := caseflow.Figure{Numerator: r.Num, Denominator: r.Den}
		child, underChild := s.childOf[r.CommuneID]
		if r.Ind == caseflow.Escalations {
			escalations[r.Clock] += r.Den
			if underChild {
				childEscalations[child] += r.Den
			}
			if r.AgencyID != nil {
				agencyEscalations[*r.AgencyID] += r.Den
			}
			continue
		}
		if r.Ind == caseflow.Breaches {
			breaches[r.Clock] += r.Den
			if underChild {
				childBreaches[child] += r.Den
			}
			if r.AgencyID != nil {
				if agencyBreaches[*r.AgencyID] == nil {
					agencyBreaches[*r.AgencyID] = map[string]int64{}
				}
				agencyBreaches[*r.AgencyID][r.Clock] += r.Den
			}
			continue
		}
		total[r.Ind] = total[r.Ind].Add(f)
		if underChild {
			byChild[child][r.Ind] = byChild[child][r.Ind].Add(f)
		}
		if r.AgencyID != nil {
			if byAgency[*r.AgencyID] == nil {
				byAgency[*r.AgencyID] = map[string]caseflow.Figure{}
			}
			byAgency[*r.AgencyID][r.Ind] = byAgency[*r.AgencyID][r.Ind].Add(f)
		}
	}

	overdue, err := anyOverdue(tx, q.AsOf)
	if err != nil {
		return err
	}
	pending, err := db.pendingCounts(tx, s, q, rows, overdue)
	if err != nil {
		return err
	}
	for _, ind := range caseflow.Indicators {
		r := ind.Result(total[string(ind.ID)])
		if role, ok := caseflow.PendingClockRoles[ind.ID]; ok {
			r.Pending = pending[string(role)]
		}
		rep.Indicators = append(rep.Indicators, r)
	}
	rep.Units = []caseflow.UnitResult{}
	for i, c := range s.children {
		ur := caseflow.UnitResult{Unit: c.unit(), Breaches: childBreaches[i], Escalations: childEscalations[i]}
		for _, ind := range caseflow.Indicators {
			ur.Indicators = append(ur.Indicators, ind.Result(byChild[i][string(ind.ID)]))
		}
		rep.Units = append(rep.Units, ur)
	}
	rep.Breaches = breachCounts(breaches)
	rep.Escalations = breachCounts(escalations)

	ids := make([]int64, 0, len(byAgency)+len(agencyBreaches))
	for id := range byAgency {
		ids = append(ids, id)
	}
	for id := range agencyBreaches {
		if byAgency[id] == nil {
			ids = append(ids, id)
		}
	}
	agencies, err := db.agenciesByID(tx, ids)
	if err != nil {
		return err
	}
	rep.Agencies = []caseflow.AgencyResult{}
	for _, a := range agencies {
		ar := caseflow.AgencyResult{Agency: a, Breaches: breachCounts(agencyBreaches[a.ID]), Escalations: agencyEscalations[a.ID],
			Indicators: []caseflow.IndicatorResult{}}
		for _, ind := range caseflow.Indicators {
			if f, ok := byAgency[a.ID][string(ind.ID)]; ok && f.Denominator > 0 {
				ar.Indicators = append(ar.Indicators, ind.Result(f))
			}
		}
		rep.Agencies = append(rep.Agencies, ar)
	}
	return nil
}

// breachCounts lists breaches per clock, most first, then by clock id.
func breachCounts(m map[string]int64) []caseflow.BreachCount {
	out := make([]caseflow.BreachCount, 0, len(m))
	for k, n := range m {
		out = append(out, caseflow.BreachCount{Clock: k, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Clock < out[j].Clock
	})
	return out
}

// agenciesByID loads agencies with their units, ordered by type and code.
func (db *DB) agenciesByID(tx *gorm.DB, ids []int64) ([]caseflow.Agency, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var rows []struct {
		ID       int64
		Code     string
		Name     string
		Type     string
		UnitCode string
		UnitName string
		Level    string
		Path     string
	}
	if err := tx.Raw(`SELECT a.id, a.code, a.name, a.type, u.code AS unit_code, u.name AS unit_name, u.level, u.path
		FROM agencies a JOIN units u ON u.id = a.unit_id WHERE a.id = ANY(?) ORDER BY a.type, a.code`, array[int64](ids)).
		Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := make([]caseflow.Agency, 0, len(rows))
	for _, r := range rows {
		out = append(out, caseflow.Agency{ID: r.ID, Code: r.Code, Name: r.Name, Type: caseflow.AgencyType(r.Type),
			Unit: caseflow.Unit{Code: r.UnitCode, Name: r.UnitName, Level: r.Level, Path: r.Path}})
	}
	return out, nil
}

// childBreakdown builds the 0101 breakdown of the children of the cases
// received in the period from the counts of childrenSource's cells.
func childBreakdown(rows []countRow) caseflow.ChildBreakdown {
	counts := map[string]map[string]int64{}
	var out caseflow.ChildBreakdown
	for _, r := range rows {
		if r.Ind != childIndicator {
			continue
		}
		dim, key, ok := strings.Cut(r.Clock, ":")
		if !ok {
			continue
		}
		if counts[dim] == nil {
			counts[dim] = map[string]int64{}
		}
		counts[dim][key] += r.Num
		if dim == "sex" {
			out.Total += r.Num
		}
		if dim == "age_group" && key == "16-17" {
			out.Aged16To17 += r.Num
		}
	}
	list := func(dim string) []caseflow.Count {
		keys := append([]string{}, caseflow.BreakdownKeys[dim]...)
		known := map[string]bool{}
		for _, k := range keys {
			known[k] = true
		}
		var extra []string
		for k, n := range counts[dim] {
			if !known[k] && n != 0 {
				extra = append(extra, k)
			}
		}
		sort.Strings(extra)
		var cs []caseflow.Count
		for _, k := range append(keys, extra...) {
			cs = append(cs, caseflow.Count{Key: k, Count: counts[dim][k]})
		}
		return cs
	}
	out.BySex, out.ByAgeGroup, out.BySetting, out.ByAbuseType = list("sex"), list("age_group"), list("setting"), list("abuse_type")
	return out
}

// placeholder matches the positional placeholders of a condition from visible.
var placeholder = regexp.MustCompile(`\?`)

// named turns a condition with positional placeholders into one with named
// ones, adding their values to args.
func named(cond string, vals []any, prefix string, args map[string]any) string {
	i := 0
	return placeholder.ReplaceAllStringFunc(cond, func(string) string {
		name := prefix + strconv.Itoa(i)
		args[name] = vals[i]
		i++
		return "@" + name
	})
}

// ComplianceCases lists the items behind one figure: the case codes, states,
// communes and dates, never personal data. Beyond the unit, the viewer's own
// need-to-know rule applies to every case listed.
func (db *DB) ComplianceCases(ctx context.Context, v caseflow.Viewer, q caseflow.ComplianceCaseQuery) (*caseflow.ComplianceItemPage, error) {
	src, ok := itemSources[q.Indicator]
	if !ok {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no indicator %q", q.Indicator)
	}
	if q.Limit <= 0 || q.Limit > 1000 {
		q.Limit = 200
	}
	if q.AsOf.IsZero() {
		q.AsOf = db.now()
	}
	page := &caseflow.ComplianceItemPage{Period: q.Period, AsOf: q.AsOf.UTC(), Items: []caseflow.ComplianceItem{}}
	_, err := db.readOnly(ctx, func(tx *gorm.DB) error {
		s, err := db.loadScope(tx, q.Unit, q.Structure, q.Period)
		if err != nil {
			return err
		}
		page.Unit = s.unit.unit()
		args := s.args(q.ComplianceQuery)
		cond, vals := visible(v)
		where := []string{"true"}
		switch q.Part {
		case caseflow.PartNumerator:
			where = append(where, "i.num")
		case caseflow.PartDenominator:
			where = append(where, "i.den")
		case caseflow.PartMissed:
			where = append(where, "i.den AND NOT coalesce(i.num, false)")
		}
		if q.AgencyID != 0 {
			where = append(where, "i.agency_id = @agency")
			args["agency"] = q.AgencyID
		}
		if q.Clock != "" {
			where = append(where, "i.clock = @clock")
			args["clock"] = q.Clock
		}
		if q.After != "" {
			at, caseID, clock, err := decodeItemCursor(q.After)
			if err != nil {
				return &caseflow.Error{Code: caseflow.EInvalid, Message: "bad cursor",
					Fields: map[string]caseflow.FieldError{"cursor": badCursor}}
			}
			where = append(where, "(i.at, i.case_id, i.clock) > (@aat, @aid, @aclock)")
			args["aat"], args["aid"], args["aclock"] = at, caseID, clock
		}
		args["limit"] = q.Limit + 1
		// The items are sorted on their own and the cases joined one by one
		// in that order, so a page stops after limit cases however many
		// items the figure has.
		query := `WITH ` + clearanceSQL(modeBase) + `,
			items AS MATERIALIZED (SELECT * FROM (` + src.text(modeBase) + `) i WHERE ` + strings.Join(where, " AND ") + `)
			SELECT p.code, p.state, p.received_at, u.code AS commune_code, u.name AS commune_name,
				coalesce(a.code, '') AS agency_code, p.case_id, p.clock, p.at, p.due_at, p.done_at,
				coalesce(p.num, false) AS num, coalesce(p.den, false) AS den
			FROM (
				SELECT i.*, c.code, c.state, c.received_at, c.commune_id AS case_commune
				FROM (SELECT * FROM items ORDER BY at, case_id, clock) i
				CROSS JOIN LATERAL (SELECT cases.code, cases.state, cases.received_at, cases.commune_id FROM cases
					WHERE cases.id = i.case_id AND ` + named(cond, vals, "vis", args) + `) c
				ORDER BY i.at, i.case_id, i.clock LIMIT @limit) p
			JOIN units u ON u.id = p.case_commune
			LEFT JOIN agencies a ON a.id = p.agency_id
			ORDER BY p.at, p.case_id, p.clock`
		var rows []struct {
			Code        string
			State       string
			ReceivedAt  time.Time
			CommuneCode string
			CommuneName string
			AgencyCode  string
			CaseID      int64
			Clock       string
			At          time.Time
			DueAt       *time.Time
			DoneAt      *time.Time
			Num         bool
			Den         bool
		}
		if err := tx.Raw(query, args).Scan(&rows).Error; err != nil {
			return err
		}
		for i, r := range rows {
			if i == q.Limit {
				last := rows[i-1]
				page.NextCursor = encodeItemCursor(last.At, last.CaseID, last.Clock)
				break
			}
			page.Items = append(page.Items, caseflow.ComplianceItem{Code: r.Code, State: r.State, ReceivedAt: r.ReceivedAt.UTC(),
				Commune:    caseflow.Unit{Code: r.CommuneCode, Name: r.CommuneName, Level: caseflow.LevelCommune},
				AgencyCode: r.AgencyCode, Clock: r.Clock, At: r.At.UTC(), DueAt: utcPtr(r.DueAt), DoneAt: utcPtr(r.DoneAt),
				InNumerator: r.Num, InDenominator: r.Den})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return page, nil
}

func encodeItemCursor(at time.Time, caseID int64, clock string) string {
	return base64.RawURLEncoding.EncodeToString([]byte("i" + strconv.FormatInt(at.UnixMicro(), 10) + "." +
		strconv.FormatInt(caseID, 10) + "." + clock))
}

func decodeItemCursor(s string) (time.Time, int64, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) < 2 || b[0] != 'i' {
		return time.Time{}, 0, "", errors.New("bad cursor")
	}
	parts := strings.SplitN(string(b[1:]), ".", 3)
	if len(parts) != 3 {
		return time.Time{}, 0, "", errors.New("bad cursor")
	}
	us, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, 0, "", errors.New("bad cursor")
	}
	return time.UnixMicro(us).UTC(), id, parts[2], nil
}

// personAtIntake is a person row as intake writes it: with the child's age
// in whole years on the day the report was received, which the 0101
// breakdown groups by while the date of birth stays encrypted.
type personAtIntake struct {
	Row         personRow `gorm:"embedded"`
	AgeAtReport *int
}

func (personAtIntake) TableName() string { return "case_people" }

// withAgeAtReport adds to each child's row its age on the day the report was
// received (in the province's time), from the date of birth or the age given.
func withAgeAtReport(rows []personRow, r *caseflow.Report) []personAtIntake {
	out := make([]personAtIntake, len(rows))
	for i, row := range rows {
		out[i].Row = row
		if row.Kind != caseflow.PersonChild || row.Position >= len(r.Children) {
			continue
		}
		out[i].AgeAtReport = ageAtReport(r.Children[row.Position], r.ReceivedAt)
	}
	return out
}

func ageAtReport(p caseflow.Person, receivedAt time.Time) *int {
	if p.DateOfBirth != "" {
		if dob, err := time.Parse("2006-01-02", p.DateOfBirth); err == nil {
			if age := caseflow.AgeOn(dob, receivedAt.In(caseflow.Zone)); age >= 0 && age <= 120 {
				return &age
			}
		}
	}
	if p.Age != nil && *p.Age >= 0 && *p.Age <= 120 {
		a := *p.Age
		return &a
	}
	return nil
}

// ComplianceTrend counts one indicator month by month over the query's
// period: the same items as the report, grouped by the month (in Vietnam)
// of the instant that puts each in the period, from the roll-up. The
// year-on-year change has no monthly trend.
func (db *DB) ComplianceTrend(ctx context.Context, q caseflow.ComplianceQuery, indicator string) ([]caseflow.MonthFigure, error) {
	return db.complianceTrend(ctx, q, indicator, false)
}

// ComplianceTrendFromBase is ComplianceTrend counted from the base tables.
func (db *DB) ComplianceTrendFromBase(ctx context.Context, q caseflow.ComplianceQuery, indicator string) ([]caseflow.MonthFigure, error) {
	return db.complianceTrend(ctx, q, indicator, true)
}

func (db *DB) complianceTrend(ctx context.Context, q caseflow.ComplianceQuery, indicator string, fromBase bool) ([]caseflow.MonthFigure, error) {
	src, ok := itemSources[indicator]
	if !ok || indicator == string(caseflow.IndicatorYearOnYear) {
		return nil, caseflow.Errorf(caseflow.ENotFound, "no monthly trend of %q", indicator)
	}
	if q.AsOf.IsZero() {
		q.AsOf = db.now()
	}
	var out []caseflow.MonthFigure
	_, err := db.readOnly(ctx, func(tx *gorm.DB) error {
		s, err := db.loadScope(tx, q.Unit, q.Structure, q.Period)
		if err != nil {
			return err
		}
		var rows []monthRow
		if fromBase {
			rows, err = trendFromBase(tx, s, q, src)
		} else {
			rows, err = db.rolledUpTrend(tx, s, q, src, indicator)
		}
		if err != nil {
			return err
		}
		for _, r := range rows {
			out = append(out, caseflow.MonthFigure{Month: r.Month, Figure: caseflow.Figure{Numerator: r.Num, Denominator: r.Den}})
		}
		return nil
	})
	return out, err
}

// pendingCounts counts, per clock role, the clocks started in the period
// that are still running within their limit: the work not yet due that a
// report of a running period cannot count yet. The running clocks are
// counted with the report's other items (runningSource); those of them
// already past due, which the worker has not marked yet and are few, are
// taken off here, only when there are any.
func (db *DB) pendingCounts(tx *gorm.DB, s *complianceScope, q caseflow.ComplianceQuery, rows []countRow, overdue bool) (map[string]int64, error) {
	out := map[string]int64{}
	for _, r := range rows {
		if r.Ind == runningIndicator {
			out[r.Clock] += r.Num
		}
	}
	if !overdue {
		return out, nil
	}
	args := s.args(q)
	args["pending_roles"] = pendingRoles()
	var late []struct {
		Role string
		N    int64
	}
	if err := tx.Raw(`SELECT k.role, count(*) AS n FROM case_clocks k
		WHERE k.id = ANY(ARRAY(SELECT r.id FROM case_clocks r WHERE r.status = 'running' AND r.due_at <= @now))
			AND k.role = ANY(@pending_roles) AND k.started_at >= @start AND k.started_at < @end AND k.`+inCommunes+`
		GROUP BY 1`, args).Scan(&late).Error; err != nil {
		return nil, err
	}
	for _, r := range late {
		out[r.Role] -= r.N
	}
	return out, nil
}

func pendingRoles() array[string] {
	roles := make([]string, 0, len(caseflow.PendingClockRoles))
	for _, r := range caseflow.PendingClockRoles {
		roles = append(roles, string(r))
	}
	sort.Strings(roles)
	return roles
}

// anyOverdue says whether a running clock is past due: then, and only then,
// a report has open items to count live.
func anyOverdue(tx *gorm.DB, now time.Time) (bool, error) {
	var yes bool
	err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM case_clocks WHERE status = 'running' AND due_at <= ?)`, now.UTC()).Scan(&yes).Error
	return yes, err
}
