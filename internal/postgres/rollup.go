package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// The compliance roll-up. Every write to a case's rows (cases, case_people,
// case_clocks, case_history) queues the case, by the triggers of migration
// 00012, in the same transaction. The worker rolls the queue up: for each
// queued case it counts the case's settled items (itemSource) per
// indicator, commune, agency, key and day into compliance_case_items, and
// adds the difference from what was there before to compliance_rollup, by
// day, month and year, in one transaction.
//
// A report then adds up, in one snapshot:
//   - the roll-up's years and months wholly in the period and its days at
//     the edges;
//   - the open items, counted live from the running clocks past due (none
//     when the worker is up to date: then nothing is counted live);
//   - for the cases still queued, their settled items counted afresh, less
//     what the roll-up holds for them.
//
// So a figure is exact at every moment, whether the worker is late, down or
// caught up: the worker only decides how much is read from the roll-up
// rather than counted. A report falls back to the base tables when the queue
// is longer than maxQueuedCases (after a bulk load, before the roll-up has
// caught up).

// maxQueuedCases bounds the queued cases a report corrects for; beyond it,
// the report counts from the base tables.
const maxQueuedCases = 20000

// sourceMode says which of a source's items are wanted.
type sourceMode int

const (
	// modeBase: every item.
	modeBase sourceMode = iota
	// modeLive: the open items, from the running clocks.
	modeLive
	// modeSettled: the settled items.
	modeSettled
)

func (m sourceMode) filter() string {
	switch m {
	case modeLive:
		return "i.open"
	case modeSettled:
		return "NOT i.open"
	}
	return "true"
}

// text is the source's SQL for a mode.
func (s itemSource) text(mode sourceMode) string {
	live, settled := "true", "true"
	if mode == modeLive {
		live, settled = s.live, "false"
	}
	return strings.NewReplacer(liveMarker, live, settledMarker, settled).Replace(s.sql)
}

// clearanceSQL is the clearance CTE for a mode.
func clearanceSQL(mode sourceMode) string {
	live := "true"
	if mode == modeLive {
		live = clearanceLive
	}
	return strings.ReplaceAll(clearanceCTE, clrLiveMarker, live)
}

// reportSources are the sources a report counts: every indicator, the
// breaches, the 0101 breakdown, the running clocks and the escalations.
func reportSources() []itemSource {
	out := make([]itemSource, 0, len(caseflow.Indicators)+2)
	for _, ind := range caseflow.Indicators {
		out = append(out, itemSources[string(ind.ID)])
	}
	return append(out, itemSources[caseflow.Breaches], childrenSource, runningSource, escalationSource)
}

var communeScope = regexp.MustCompile(`(\w+)\.commune_id = ANY\(CAST\(@communes AS bigint\[\]\)\)`)

// forCases narrows a source from the communes of @communes to the cases of
// @cases, within those communes or not.
func forCases(sql string, withinCommunes bool) string {
	repl := `$1.case_id = ANY(CAST(@cases AS bigint[]))`
	if withinCommunes {
		repl += ` AND $1.commune_id = ANY(CAST(@communes AS bigint[]))`
	}
	return communeScope.ReplaceAllString(sql, repl)
}

// rollUpLock is the advisory lock key that lets one worker at a time roll
// the queue up.
const rollUpLock = 7300112

// RollUpCompliance rolls up to limit queued cases into the roll-up, in one
// transaction, and says how many cases it rolled up (0: the queue is empty
// or another worker holds it). An empty queue costs one read, no
// transaction. A batch that fails is rolled up case by case, so that one
// case whose rows cannot be counted holds up no other: it goes back to the
// end of the queue (where reports keep counting it afresh) and the error is
// returned once the others are done.
func (db *DB) RollUpCompliance(ctx context.Context, limit int) (int, error) {
	if limit <= 0 {
		limit = 1000
	}
	var queued bool
	if err := db.gorm.WithContext(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM compliance_queue)`).Scan(&queued).Error; err != nil || !queued {
		return 0, err
	}
	n, ids, err := db.rollUpBatch(ctx, limit, nil)
	if err == nil || len(ids) == 0 {
		return n, err
	}
	var failed []int64
	for _, id := range ids {
		if _, _, err := db.rollUpBatch(ctx, 1, []int64{id}); err != nil {
			failed = append(failed, id)
			continue
		}
		n++
	}
	if len(failed) == 0 {
		return n, nil
	}
	if qerr := db.gorm.WithContext(ctx).Exec(`WITH d AS (DELETE FROM compliance_queue WHERE case_id = ANY(CAST(? AS bigint[])) RETURNING case_id)
		INSERT INTO compliance_queue (case_id) SELECT DISTINCT case_id FROM d`, array[int64](failed)).Error; qerr != nil {
		return n, qerr
	}
	return n, fmt.Errorf("compliance roll-up: %d of %d cases could not be counted and wait at the end of the queue: %w", len(failed), len(ids), err)
}

// rollUpBatch claims up to limit queued cases (only those of only, when
// set) and rolls them up in one transaction. On failure it returns the
// cases it tried, so that the caller can try them one by one.
func (db *DB) rollUpBatch(ctx context.Context, limit int, only []int64) (int, []int64, error) {
	var ids []int64
	err := db.write(ctx, func(tx *gorm.DB) error {
		var got bool
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(?)`, rollUpLock).Scan(&got).Error; err != nil || !got {
			return err
		}
		if err := tx.Exec("SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan").Error; err != nil {
			return err
		}
		var claimed []int64
		if only != nil {
			if err := tx.Raw(`DELETE FROM compliance_queue WHERE case_id = ANY(CAST(? AS bigint[])) RETURNING case_id`,
				array[int64](only)).Scan(&claimed).Error; err != nil {
				return err
			}
		} else if err := tx.Raw(`DELETE FROM compliance_queue WHERE id IN (SELECT id FROM compliance_queue ORDER BY id LIMIT ?)
			RETURNING case_id`, limit).Scan(&claimed).Error; err != nil {
			return err
		}
		if len(claimed) == 0 {
			return nil
		}
		ids = distinct(claimed)
		return tx.Exec(rollUpQuery, map[string]any{
			"cases": array[int64](ids), "start": farPast, "end": farFuture, "pstart": farPast, "pend": farFuture,
			"now": db.now(), "articles": nil, "no_abuse": array[string](caseflow.OutcomesWithoutAbuse),
			"pending_roles": pendingRoles()}).Error
	})
	if err != nil {
		return 0, ids, err
	}
	return len(ids), nil, nil
}

// farPast and farFuture bound the "period" of a roll-up: all time.
var (
	farPast   = time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC)
	farFuture = time.Date(3000, 1, 1, 0, 0, 0, 0, time.UTC)
)

func distinct(ids []int64) []int64 {
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	out := ids[:0]
	for i, id := range ids {
		if i == 0 || id != ids[i-1] {
			out = append(out, id)
		}
	}
	return out
}

// rollUpQuery replaces the stored items of @cases with their settled items
// now and adds the difference to the roll-up. The DELETE and the INSERT of
// compliance_case_items see the same snapshot, so the one never touches the
// rows of the other.
var rollUpQuery = func() string {
	var srcs []string
	for _, src := range reportSources() {
		srcs = append(srcs, `SELECT ind, case_id, commune_id, agency_id, key, pt, num, den FROM (`+forCases(src.text(modeSettled), false)+`) i WHERE NOT i.open`)
	}
	return `WITH ` + forCases(clearanceSQL(modeSettled), false) + `,
	items AS MATERIALIZED (
		SELECT case_id, ind, commune_id, coalesce(agency_id, 0) AS agency_id, key,
			(pt AT TIME ZONE '` + caseflow.ZoneName + `')::date AS day,
			count(*) FILTER (WHERE num) AS num, count(*) FILTER (WHERE den) AS den
		FROM (` + strings.Join(srcs, "\nUNION ALL\n") + `) i
		GROUP BY 1, 2, 3, 4, 5, 6),
	old AS (DELETE FROM compliance_case_items WHERE case_id = ANY(CAST(@cases AS bigint[]))
		RETURNING ind, commune_id, agency_id, key, day, num, den),
	ins AS (INSERT INTO compliance_case_items (case_id, ind, commune_id, agency_id, key, day, num, den)
		SELECT case_id, ind, commune_id, agency_id, key, day, num, den FROM items),
	delta AS (SELECT ind, commune_id, agency_id, key, day, sum(num) AS num, sum(den) AS den
		FROM (SELECT ind, commune_id, agency_id, key, day, num, den FROM items
			UNION ALL SELECT ind, commune_id, agency_id, key, day, -num, -den FROM old) x
		GROUP BY 1, 2, 3, 4, 5 HAVING sum(num) <> 0 OR sum(den) <> 0)
	INSERT INTO compliance_rollup AS r (commune_id, grain, bucket, ind, agency_id, key, num, den)
	SELECT commune_id, grain, bucket, ind, agency_id, key, num, den FROM (
		SELECT commune_id, 'd' AS grain, day AS bucket, ind, agency_id, key, num, den FROM delta
		UNION ALL
		SELECT commune_id, 'm', date_trunc('month', day)::date, ind, agency_id, key, sum(num), sum(den) FROM delta GROUP BY 1, 3, 4, 5, 6
		UNION ALL
		SELECT commune_id, 'y', date_trunc('year', day)::date, ind, agency_id, key, sum(num), sum(den) FROM delta GROUP BY 1, 3, 4, 5, 6) x
	ORDER BY 1, 2, 3, 4, 5, 6
	ON CONFLICT (commune_id, grain, bucket, ind, agency_id, key)
	DO UPDATE SET num = r.num + excluded.num, den = r.den + excluded.den`
}()

// ComplianceQueue counts the cases waiting to be rolled up.
func (db *DB) ComplianceQueue(ctx context.Context) (int64, error) {
	var n int64
	err := db.gorm.WithContext(ctx).Raw(`SELECT count(*) FROM compliance_queue`).Scan(&n).Error
	return n, err
}

// dayRange is a span of days, from inclusive, to exclusive (dates in
// Vietnam).
type dayRange struct{ from, to time.Time }

func daysOf(start, end time.Time) dayRange {
	return dayRange{caseflow.Day(start), caseflow.Day(end)}
}

// bucketsIn is the condition that a roll-up row (alias r) falls in the
// range: the years wholly inside it by their yearly rows (unless byMonth),
// the months by their monthly rows, the days at its edges by their daily
// rows. Its dates are added to args under prefix.
func bucketsIn(rg dayRange, prefix string, args map[string]any, byMonth bool) string {
	type span struct {
		grain    string
		from, to time.Time
	}
	var spans []span
	add := func(grain string, from, to time.Time) {
		if from.Before(to) {
			spans = append(spans, span{grain, from, to})
		}
	}
	m1 := time.Date(rg.from.Year(), rg.from.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !m1.Equal(rg.from) {
		m1 = m1.AddDate(0, 1, 0)
	}
	m2 := time.Date(rg.to.Year(), rg.to.Month(), 1, 0, 0, 0, 0, time.UTC)
	if !m1.Before(m2) {
		add("d", rg.from, rg.to)
	} else {
		add("d", rg.from, m1)
		y1 := time.Date(m1.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		if !y1.Equal(m1) {
			y1 = y1.AddDate(1, 0, 0)
		}
		y2 := time.Date(m2.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
		if !byMonth && y1.Before(y2) {
			add("m", m1, y1)
			add("y", y1, y2)
			add("m", y2, m2)
		} else {
			add("m", m1, m2)
		}
		add("d", m2, rg.to)
	}
	if len(spans) == 0 {
		return "false"
	}
	conds := make([]string, len(spans))
	for i, sp := range spans {
		from, to := prefix+strconv.Itoa(2*i), prefix+strconv.Itoa(2*i+1)
		args[from], args[to] = sp.from.Format("2006-01-02"), sp.to.Format("2006-01-02")
		conds[i] = "(r.grain = '" + sp.grain + "' AND r.bucket >= CAST(@" + from + " AS date) AND r.bucket < CAST(@" + to + " AS date))"
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// daysIn is the condition that a stored item (alias s) falls in the range.
func daysIn(rg dayRange, prefix string, args map[string]any) string {
	args[prefix+"from"], args[prefix+"to"] = rg.from.Format("2006-01-02"), rg.to.Format("2006-01-02")
	return "(s.day >= CAST(@" + prefix + "from AS date) AND s.day < CAST(@" + prefix + "to AS date))"
}

// periodRanges are the days of the period and of the base the year-on-year
// change compares it with.
func periodRanges(args map[string]any) (cur, prev dayRange) {
	return daysOf(args["start"].(time.Time), args["end"].(time.Time)), daysOf(args["pstart"].(time.Time), args["pend"].(time.Time))
}

// queuedCases lists the queued cases, or says there are too many to correct
// for.
func queuedCases(tx *gorm.DB) ([]int64, bool, error) {
	var ids []int64
	if err := tx.Raw(`SELECT case_id FROM compliance_queue ORDER BY id LIMIT ?`, maxQueuedCases+1).Scan(&ids).Error; err != nil {
		return nil, false, err
	}
	if len(ids) > maxQueuedCases {
		return nil, false, nil
	}
	return distinct(ids), true, nil
}

const yoy = string(caseflow.IndicatorYearOnYear)

// rolledUpCounts counts every source as complianceCounts does, from the
// roll-up, the open items and the queued cases.
func (db *DB) rolledUpCounts(tx *gorm.DB, s *complianceScope, q caseflow.ComplianceQuery) ([]countRow, error) {
	queued, ok, err := queuedCases(tx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return db.complianceCounts(tx, s, q)
	}
	args := s.args(q)
	cur, prev := periodRanges(args)
	var all []countRow
	add := func(query string) error {
		rows, err := scanCounts(tx, query, args, all)
		all = rows
		return err
	}
	// The year-on-year change counts the period in its numerator and the
	// year before in its denominator; every other indicator the period in
	// both.
	inCur, inPrev := bucketsIn(cur, "c", args, false), bucketsIn(prev, "p", args, false)
	// The base of the change is read on its own, so that its scan of the
	// year before reads that indicator's rows only (the partial index
	// compliance_rollup_yoy_idx).
	// The communes that count under the same unit below are grouped as
	// one (under the first of them): a province's year is then a third of
	// the rows it would be commune by commune.
	args["reps"] = s.representatives()
	const rep = `JOIN unnest(CAST(@communes AS bigint[]), CAST(@reps AS bigint[])) AS m(commune_id, rep) ON m.commune_id = r.commune_id`
	if err := add(`SELECT r.ind, m.rep, nullif(r.agency_id, 0) AS agency_id, r.key AS clock,
			sum(r.num) AS num, sum(CASE WHEN r.ind = '` + yoy + `' THEN 0 ELSE r.den END) AS den
		FROM compliance_rollup r ` + rep + `
		WHERE r.commune_id = ANY(CAST(@communes AS bigint[])) AND ` + inCur + `
			AND (r.ind <> '` + yoy + `' OR r.key = ANY(@articles))
		GROUP BY 1, 2, 3, 4`); err != nil {
		return nil, err
	}
	if err := add(`SELECT r.ind, m.rep, nullif(r.agency_id, 0) AS agency_id, r.key AS clock, 0 AS num, sum(r.den) AS den
		FROM compliance_rollup r ` + rep + `
		WHERE r.ind = '` + yoy + `' AND r.commune_id = ANY(CAST(@communes AS bigint[])) AND ` + inPrev + ` AND r.key = ANY(@articles)
		GROUP BY 1, 2, 3, 4`); err != nil {
		return nil, err
	}
	overdue, err := anyOverdue(tx, q.AsOf)
	if err != nil {
		return nil, err
	}
	if overdue {
		if err := add(countQuery(modeLive, false)); err != nil {
			return nil, err
		}
	}
	if len(queued) > 0 {
		args["cases"] = array[int64](queued)
		sCur, sPrev := daysIn(cur, "sc", args), daysIn(prev, "sp", args)
		if err := add(countQuery(modeSettled, true)); err != nil {
			return nil, err
		}
		if err := add(`SELECT s.ind, s.commune_id, nullif(s.agency_id, 0) AS agency_id, s.key AS clock,
				-coalesce(sum(s.num) FILTER (WHERE ` + sCur + `), 0) AS num,
				-coalesce(sum(s.den) FILTER (WHERE CASE WHEN s.ind = '` + yoy + `' THEN ` + sPrev + ` ELSE ` + sCur + ` END), 0) AS den
			FROM compliance_case_items s
			WHERE s.case_id = ANY(CAST(@cases AS bigint[])) AND s.commune_id = ANY(CAST(@communes AS bigint[]))
				AND (s.ind <> '` + yoy + `' OR s.key = ANY(@articles))
			GROUP BY 1, 2, 3, 4`); err != nil {
			return nil, err
		}
	}
	return sumCounts(all), nil
}

// scanCounts runs a query of counts and appends its rows to out, scanned
// by hand: a province's year is some twenty thousand rows, which reflection
// would take longer to fill than the database takes to count.
func scanCounts(tx *gorm.DB, query string, args map[string]any, out []countRow) ([]countRow, error) {
	rows, err := tx.Raw(query, args).Rows()
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var r countRow
		var agency sql.NullInt64
		if err := rows.Scan(&r.Ind, &r.CommuneID, &agency, &r.Clock, &r.Num, &r.Den); err != nil {
			return out, err
		}
		if agency.Valid {
			r.AgencyID = &agency.Int64
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// representatives names, for each commune of the scope (in order), the
// commune its figures can be counted under: the first commune of the same
// unit below, or itself when it counts under none.
func (s *complianceScope) representatives() array[int64] {
	first := map[int]int64{}
	out := make(array[int64], len(s.communes))
	for i, id := range s.communes {
		out[i] = id
		child, ok := s.childOf[id]
		if !ok {
			continue
		}
		if r, seen := first[child]; seen {
			out[i] = r
		} else {
			first[child] = id
		}
	}
	return out
}

// sumCounts adds up the rows of the same indicator, commune, agency and key.
func sumCounts(rows []countRow) []countRow {
	type key struct {
		ind, clock string
		commune    int64
		agency     int64
		hasAgency  bool
	}
	idx := map[key]int{}
	var out []countRow
	for _, r := range rows {
		k := key{ind: r.Ind, clock: r.Clock, commune: r.CommuneID}
		if r.AgencyID != nil {
			k.agency, k.hasAgency = *r.AgencyID, true
		}
		if i, ok := idx[k]; ok {
			out[i].Num += r.Num
			out[i].Den += r.Den
			continue
		}
		idx[k] = len(out)
		out = append(out, r)
	}
	kept := out[:0]
	for _, r := range out {
		if r.Num != 0 || r.Den != 0 {
			kept = append(kept, r)
		}
	}
	return kept
}

// monthRow is one month of a trend.
type monthRow struct {
	Month string
	Num   int64
	Den   int64
}

// rolledUpTrend counts one indicator month by month, as trendFromBase does,
// from the roll-up, the open items and the queued cases.
func (db *DB) rolledUpTrend(tx *gorm.DB, s *complianceScope, q caseflow.ComplianceQuery, src itemSource, indicator string) ([]monthRow, error) {
	queued, ok, err := queuedCases(tx)
	if err != nil {
		return nil, err
	}
	if !ok {
		return trendFromBase(tx, s, q, src)
	}
	args := s.args(q)
	cur, _ := periodRanges(args)
	args["indicator"] = indicator
	var all []monthRow
	add := func(query string) error {
		var rows []monthRow
		if err := tx.Raw(query, args).Scan(&rows).Error; err != nil {
			return err
		}
		all = append(all, rows...)
		return nil
	}
	if err := add(`SELECT to_char(r.bucket, 'YYYY-MM') AS month, sum(r.num) AS num, sum(r.den) AS den
		FROM compliance_rollup r
		WHERE r.commune_id = ANY(CAST(@communes AS bigint[])) AND r.ind = @indicator AND ` + bucketsIn(cur, "c", args, true) + `
		GROUP BY 1`); err != nil {
		return nil, err
	}
	overdue, err := anyOverdue(tx, q.AsOf)
	if err != nil {
		return nil, err
	}
	if src.live != "" && overdue {
		if err := add(trendQuery(src, modeLive, false)); err != nil {
			return nil, err
		}
	}
	if len(queued) > 0 {
		args["cases"] = array[int64](queued)
		if err := add(trendQuery(src, modeSettled, true)); err != nil {
			return nil, err
		}
		if err := add(`SELECT to_char(s.day, 'YYYY-MM') AS month, -sum(s.num) AS num, -sum(s.den) AS den
			FROM compliance_case_items s
			WHERE s.case_id = ANY(CAST(@cases AS bigint[])) AND s.commune_id = ANY(CAST(@communes AS bigint[]))
				AND s.ind = @indicator AND ` + daysIn(cur, "sc", args) + `
			GROUP BY 1`); err != nil {
			return nil, err
		}
	}
	byMonth := map[string]*monthRow{}
	var out []monthRow
	for _, r := range all {
		if m, ok := byMonth[r.Month]; ok {
			m.Num += r.Num
			m.Den += r.Den
			continue
		}
		byMonth[r.Month] = &monthRow{Month: r.Month, Num: r.Num, Den: r.Den}
	}
	for _, m := range byMonth {
		if m.Num != 0 || m.Den != 0 {
			out = append(out, *m)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Month < out[j].Month })
	return out, nil
}

// trendQuery counts one source's items month by month (in Vietnam) of the
// instant that puts each in the period.
func trendQuery(src itemSource, mode sourceMode, byCases bool) string {
	text, clr := src.text(mode), clearanceSQL(mode)
	if byCases {
		text, clr = forCases(text, true), forCases(clr, true)
	}
	return `WITH ` + clr + `
		SELECT to_char(i.pt AT TIME ZONE '` + caseflow.ZoneName + `', 'YYYY-MM') AS month,
			count(*) FILTER (WHERE num) AS num, count(*) FILTER (WHERE den) AS den
		FROM (` + text + `) i WHERE ` + mode.filter() + ` GROUP BY 1`
}

func trendFromBase(tx *gorm.DB, s *complianceScope, q caseflow.ComplianceQuery, src itemSource) ([]monthRow, error) {
	var rows []monthRow
	err := tx.Raw(trendQuery(src, modeBase, false)+" ORDER BY 1", s.args(q)).Scan(&rows).Error
	return rows, err
}

// RebuildComplianceRollUp counts the roll-up afresh from the base tables,
// set-wise, and empties the queue: for a bulk load (synthetic data, a
// restore), many times faster than rolling the cases up one batch at a
// time. Writes to cases wait while it runs (the queue is locked), so that
// nothing written meanwhile is lost.
func (db *DB) RebuildComplianceRollUp(ctx context.Context) error {
	return db.write(ctx, func(tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL jit = off; SET LOCAL plan_cache_mode = force_custom_plan; SET LOCAL work_mem = '256MB'`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(?)`, rollUpLock).Error; err != nil {
			return err
		}
		if err := tx.Exec(`LOCK TABLE compliance_queue IN EXCLUSIVE MODE`).Error; err != nil {
			return err
		}
		if err := tx.Exec(`TRUNCATE compliance_queue, compliance_case_items, compliance_rollup`).Error; err != nil {
			return err
		}
		var srcs []string
		for _, src := range reportSources() {
			srcs = append(srcs, `SELECT ind, case_id, commune_id, agency_id, key, pt, num, den FROM (`+
				everywhere(src.text(modeSettled))+`) i WHERE NOT i.open`)
		}
		args := map[string]any{"start": farPast, "end": farFuture, "pstart": farPast, "pend": farFuture,
			"now": db.now(), "articles": nil, "no_abuse": array[string](caseflow.OutcomesWithoutAbuse),
			"pending_roles": pendingRoles()}
		if err := tx.Exec(`WITH `+everywhere(clearanceSQL(modeSettled))+`
			INSERT INTO compliance_case_items (case_id, ind, commune_id, agency_id, key, day, num, den)
			SELECT case_id, ind, commune_id, coalesce(agency_id, 0), key, (pt AT TIME ZONE '`+caseflow.ZoneName+`')::date,
				count(*) FILTER (WHERE num), count(*) FILTER (WHERE den)
			FROM (`+strings.Join(srcs, "\nUNION ALL\n")+`) i
			GROUP BY 1, 2, 3, 4, 5, 6`, args).Error; err != nil {
			return err
		}
		return tx.Exec(`INSERT INTO compliance_rollup (commune_id, grain, bucket, ind, agency_id, key, num, den)
			SELECT commune_id, 'd', day, ind, agency_id, key, sum(num), sum(den) FROM compliance_case_items GROUP BY 1, 3, 4, 5, 6
			UNION ALL
			SELECT commune_id, 'm', date_trunc('month', day)::date, ind, agency_id, key, sum(num), sum(den)
			FROM compliance_case_items GROUP BY 1, 3, 4, 5, 6
			UNION ALL
			SELECT commune_id, 'y', date_trunc('year', day)::date, ind, agency_id, key, sum(num), sum(den)
			FROM compliance_case_items GROUP BY 1, 3, 4, 5, 6`).Error
	})
}

// everywhere widens a source from the communes of @communes to every case.
func everywhere(sql string) string {
	return communeScope.ReplaceAllString(sql, "true")
}
