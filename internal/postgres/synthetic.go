package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"golang.org/x/sync/errgroup"
	"gorm.io/gorm/clause"

	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
)

// Synthetic data: fictional cases with histories that follow the
// child-abuse v1 workflow (its events, clocks, limits and extensions), for
// demos and for measuring the compliance queries at scale. Rows are written
// with COPY in batches, several batches at once, each in its own
// transaction: a run is not atomic, so use a database of its own.
//
// What is simplified, and why:
//   - People: one child per case (two in about one case in seven), with a sex
//     and an age; the name is one of a small pool of fictional names sealed
//     once and reused (sealing a million names would dominate the run), and
//     no date of birth, suspect or reporter is written.
//   - Free-text event fields (reasons, notes, measures) are left out: only
//     the structured values the workflow stores in plain are written.
//   - Service referrals, notifications and outbox timers are not written.
//     Clocks already past due are written as breached; the worker's sweep
//     picks up the running ones when they fall due.
//   - When the database user is a superuser, the load skips the triggers
//     that check foreign keys (session_replication_role = replica), which
//     cost a lookup per row; the generator refers only to rows it has just
//     written or read. SyntheticOptions.CheckReferences keeps them.

// SyntheticOptions says what GenerateSynthetic makes.
type SyntheticOptions struct {
	// Cases is the number of cases to generate.
	Cases int
	// From is the earliest a report may have been received; default
	// 1 January 2021 in the province's time.
	From time.Time
	// To is the latest a report or event may happen; default now.
	To time.Time
	// Seed makes a run repeatable; default 1.
	Seed uint64
	// Writers is the number of connections writing batches at once; default 2.
	Writers int
	// BatchSize is the number of cases per transaction; default 5000.
	BatchSize int
	// Progress, when set, is told how many cases have been written so far.
	Progress func(done int)
	// CheckReferences keeps the foreign-key checks on while loading even
	// when the database user is a superuser (who skips them by default).
	CheckReferences bool
}

// SyntheticResult counts what GenerateSynthetic wrote.
type SyntheticResult struct {
	Cases, People, Access, History, Clocks int64
	Elapsed                                time.Duration
}

// syntheticUser files every synthetic case; it is disabled and has no
// usable password.
const syntheticUser = "synthetic"

// fictionalNames are the names sealed into the pool; none is a real person.
var fictionalNames = []string{"Bé Hư Cấu An", "Bé Hư Cấu Bình", "Bé Hư Cấu Chi", "Bé Hư Cấu Dung", "Bé Hư Cấu Giang",
	"Bé Hư Cấu Hà", "Bé Hư Cấu Khánh", "Bé Hư Cấu Lan", "Bé Hư Cấu Minh", "Bé Hư Cấu Ngọc", "Bé Hư Cấu Oanh",
	"Bé Hư Cấu Phúc", "Bé Hư Cấu Quân", "Bé Hư Cấu Sơn", "Bé Hư Cấu Thảo", "Bé Hư Cấu Uyên"}

// GenerateSynthetic writes opt.Cases fictional cases spread over the years
// from opt.From to opt.To, with their history, clocks, access and children.
func (db *DB) GenerateSynthetic(ctx context.Context, opt SyntheticOptions) (*SyntheticResult, error) {
	started := time.Now()
	if opt.Cases <= 0 {
		return nil, errors.New("synthetic: the number of cases must be positive")
	}
	if db.Keys == nil {
		return nil, errors.New("synthetic: ENCRYPTION_KEYS and BLIND_INDEX_KEY are needed to seal the fictional names")
	}
	if opt.From.IsZero() {
		opt.From = time.Date(2021, 1, 1, 0, 0, 0, 0, hcm)
	}
	if opt.To.IsZero() {
		opt.To = db.now()
	}
	if !opt.To.After(opt.From) {
		return nil, errors.New("synthetic: the period is empty")
	}
	if opt.Seed == 0 {
		opt.Seed = 1
	}
	if opt.Writers <= 0 {
		opt.Writers = 2
	}
	if opt.BatchSize <= 0 {
		opt.BatchSize = 5000
	}
	ref, err := db.synthReference(ctx)
	if err != nil {
		return nil, err
	}

	// A superuser may skip the foreign-key triggers while loading.
	var fast bool
	if err := db.gorm.WithContext(ctx).Raw("SELECT rolsuper FROM pg_roles WHERE rolname = current_user").Scan(&fast).Error; err != nil {
		return nil, err
	}
	fast = fast && !opt.CheckReferences

	rng := rand.New(rand.NewPCG(opt.Seed, 0x5eed))
	received := synthArrivals(rng, opt.Cases, opt.From, opt.To)
	codes, err := db.reserveCodes(ctx, received)
	if err != nil {
		return nil, err
	}

	res := &SyntheticResult{}
	batches := make(chan *synthBatch, opt.Writers)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		defer close(batches)
		for lo := 0; lo < len(received); lo += opt.BatchSize {
			hi := min(lo+opt.BatchSize, len(received))
			ids, err := db.reserveCaseIDs(gctx, hi-lo)
			if err != nil {
				return err
			}
			b := &synthBatch{}
			// Each case draws from a generator of its own, so that a case's
			// story depends on the seed and its place, not on its neighbours.
			pcg := rand.NewPCG(0, 0)
			r := rand.New(pcg)
			for i := lo; i < hi; i++ {
				pcg.Seed(opt.Seed, uint64(i)+1)
				s := synthCase{ref: ref, r: r, id: ids[i-lo], code: codes[i], now: opt.To, b: b,
					com: &ref.communes[r.IntN(len(ref.communes))]}
				s.run(received[i])
			}
			select {
			case batches <- b:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	done := make(chan int, 1)
	done <- 0
	for range opt.Writers {
		g.Go(func() error {
			for b := range batches {
				if err := db.copyBatch(gctx, b, fast); err != nil {
					return err
				}
				n := <-done + len(b.cases)
				res.Cases += int64(len(b.cases))
				res.People += int64(len(b.people))
				res.Access += int64(len(b.access))
				res.History += int64(len(b.history))
				res.Clocks += int64(len(b.clocks))
				done <- n
				if opt.Progress != nil {
					opt.Progress(n)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	// Fresh statistics, so the planner knows the tables' new sizes, and a
	// visibility map, so the compliance indexes are read without the table.
	for _, t := range []string{"cases", "case_people", "case_access", "case_history", "case_clocks"} {
		if err := db.gorm.WithContext(ctx).Exec("VACUUM ANALYZE " + t).Error; err != nil {
			return nil, err
		}
	}
	res.Elapsed = time.Since(started)
	return res, nil
}

// synthArrivals draws n report times between from and to, oldest first:
// fewer each year (about 6% a year, as the plan hopes), more in the summer
// holidays, mostly in the daytime.
func synthArrivals(r *rand.Rand, n int, from, to time.Time) []time.Time {
	span := to.Sub(from)
	base := from.In(hcm).Year()
	weight := func(t time.Time) float64 {
		lt := t.In(hcm)
		w := 1.0
		for y := base; y < lt.Year(); y++ {
			w *= 0.94
		}
		if m := lt.Month(); m >= time.June && m <= time.August {
			w *= 1.3
		}
		if h := lt.Hour(); h < 7 || h >= 21 {
			w *= 0.25
		}
		return w
	}
	out := make([]time.Time, 0, n)
	for len(out) < n {
		t := from.Add(time.Duration(r.Int64N(int64(span)))).Truncate(time.Minute)
		if r.Float64()*1.3 <= weight(t) {
			out = append(out, t.UTC())
		}
	}
	slices.SortFunc(out, func(a, b time.Time) int { return a.Compare(b) })
	return out
}

// reserveCodes takes a block of case numbers per year from the counters, so
// that cases filed later never reuse a synthetic code.
func (db *DB) reserveCodes(ctx context.Context, received []time.Time) ([]string, error) {
	perYear := map[int]int64{}
	for _, t := range received {
		perYear[t.In(hcm).Year()]++
	}
	next := map[int]int64{}
	for y, n := range perYear {
		var last int64
		if err := db.gorm.WithContext(ctx).Raw(`INSERT INTO case_counters (prefix, year, last) VALUES (?, ?, ?)
			ON CONFLICT (prefix, year) DO UPDATE SET last = case_counters.last + EXCLUDED.last RETURNING last`,
			db.CodePrefix, y, n).Scan(&last).Error; err != nil {
			return nil, err
		}
		next[y] = last - n + 1
	}
	codes := make([]string, len(received))
	for i, t := range received {
		y := t.In(hcm).Year()
		codes[i] = fmt.Sprintf("%s-%d-%06d", db.CodePrefix, y, next[y])
		next[y]++
	}
	return codes, nil
}

func (db *DB) reserveCaseIDs(ctx context.Context, n int) ([]int64, error) {
	var ids []int64
	err := db.gorm.WithContext(ctx).Raw("SELECT nextval('cases_id_seq') FROM generate_series(1, ?)", n).Scan(&ids).Error
	return ids, err
}

// synthRef is the reference data a synthetic case is built from.
type synthRef struct {
	communes   []synthCommune
	userID     int64
	cal        *calendar.Calendar
	names      []string // sealed
	narratives []string // sealed
}

// synthCommune is a commune with the agency of each type that has
// jurisdiction over it.
type synthCommune struct {
	id     int64
	path   string
	remote bool
	agency map[caseflow.AgencyType]int64
}

func (db *DB) synthReference(ctx context.Context) (*synthRef, error) {
	ref := &synthRef{}
	g := db.gorm.WithContext(ctx)
	var units []unitRow
	if err := g.Order("path").Find(&units).Error; err != nil {
		return nil, err
	}
	var agencies []agencyRow
	if err := g.Order("is_default DESC, id").Find(&agencies).Error; err != nil {
		return nil, err
	}
	byUnit := map[int64][]agencyRow{}
	for _, a := range agencies {
		byUnit[a.UnitID] = append(byUnit[a.UnitID], a)
	}
	unitByCode := map[string]unitRow{}
	for _, u := range units {
		unitByCode[u.Code] = u
	}
	needed := []caseflow.AgencyType{caseflow.AgencyCommune, caseflow.AgencyPolice, caseflow.AgencyProcuracy,
		caseflow.AgencyCourt, caseflow.AgencyHealth}
	for _, u := range units {
		if u.Level != caseflow.LevelCommune {
			continue
		}
		c := synthCommune{id: u.ID, path: u.Path, remote: u.Remote, agency: map[caseflow.AgencyType]int64{}}
		codes := strings.Split(strings.Trim(u.Path, "/"), "/")
		for i := len(codes) - 1; i >= 0; i-- { // nearest unit first
			for _, a := range byUnit[unitByCode[codes[i]].ID] {
				if _, ok := c.agency[caseflow.AgencyType(a.Type)]; !ok {
					c.agency[caseflow.AgencyType(a.Type)] = a.ID
				}
			}
		}
		complete := true
		for _, t := range needed {
			complete = complete && c.agency[t] != 0
		}
		if complete {
			ref.communes = append(ref.communes, c)
		}
	}
	if len(ref.communes) == 0 {
		return nil, errors.New("synthetic: no commune has every agency a case needs; run `caseflow seed` first")
	}

	user := userRow{Username: syntheticUser, DisplayName: "Dữ liệu tổng hợp (không đăng nhập)", PasswordHash: "!",
		Role: string(caseflow.RoleCommuneOfficer), AgencyID: ref.communes[0].agency[caseflow.AgencyCommune], Disabled: true,
		CreatedAt: db.now(), UpdatedAt: db.now()}
	if err := g.Clauses(clause.OnConflict{DoNothing: true}).Omit("ID").Create(&user).Error; err != nil {
		return nil, err
	}
	if err := g.Model(&userRow{}).Where("username = ?", syntheticUser).Pluck("id", &ref.userID).Error; err != nil {
		return nil, err
	}

	days, err := db.HolidayDates(ctx)
	if err != nil {
		return nil, err
	}
	var ds []calendar.Date
	for _, d := range days {
		ds = append(ds, calendar.DateOf(d))
	}
	ref.cal = calendar.New(ds)
	for _, n := range fictionalNames {
		s, err := db.Keys.Encrypt("person.full_name", n)
		if err != nil {
			return nil, err
		}
		ref.names = append(ref.names, s)
	}
	for i := range 8 {
		s, err := db.Keys.Encrypt("case.narrative", fmt.Sprintf("Tin báo hư cấu, dữ liệu tổng hợp để thử nghiệm (mẫu %d).", i+1))
		if err != nil {
			return nil, err
		}
		ref.narratives = append(ref.narratives, s)
	}
	return ref, nil
}

// synthBatch holds the rows of a batch of cases, ready for COPY.
type synthBatch struct {
	cases   []synthCaseRow
	people  []synthPersonRow
	access  []synthAccessRow
	history []synthHistoryRow
	clocks  []synthClockRow
}

// The rows below are written by COPY; each one hands pgx pointers to its
// fields (a nil pointer is NULL), so no value is copied into an interface.

type synthCaseRow struct {
	id, communeID, filedBy, agencyID                                            int64
	code, state, unitPath, channel, setting, category, outcome, narrative, data string
	version                                                                     int32
	abuse                                                                       []string
	danger                                                                      bool
	received, created, updated                                                  time.Time
	closed                                                                      *time.Time
}

var synthCaseCols = []string{"id", "code", "workflow_id", "workflow_version", "state", "version", "commune_id", "unit_path",
	"received_at", "channel", "abuse_types", "setting", "immediate_danger", "crime_category", "outcome", "narrative_enc",
	"data", "filed_by", "filing_agency_id", "created_at", "updated_at", "closed_at"}

var (
	workflowID      = "child-abuse"
	workflowVersion = int32(1)
)

func (r *synthCaseRow) values(v []any) []any {
	return append(v[:0], &r.id, &r.code, &workflowID, &workflowVersion, &r.state, &r.version, &r.communeID, &r.unitPath,
		&r.received, &r.channel, &r.abuse, &r.setting, &r.danger, &r.category, &r.outcome, &r.narrative,
		&r.data, &r.filedBy, &r.agencyID, &r.created, &r.updated, r.closed)
}

// synthPersonRow carries, like every person row, copies of its case's
// commune, day of receipt, setting and abuse types.
type synthPersonRow struct {
	caseID, communeID  int64
	position, age      int32
	name, sex, setting string
	received           time.Time
	abuse              []string
}

var (
	synthPeopleCols = []string{"case_id", "kind", "position", "full_name_enc", "age", "sex", "age_at_report",
		"commune_id", "received_at", "setting", "abuse_types"}
	personChild = caseflow.PersonChild
)

func (r *synthPersonRow) values(v []any) []any {
	return append(v[:0], &r.caseID, &personChild, &r.position, &r.name, &r.age, &r.sex, &r.age,
		&r.communeID, &r.received, &r.setting, &r.abuse)
}

type synthAccessRow struct {
	caseID, agencyID int64
	scope, reason    string
	granted          time.Time
	revoked          *time.Time
}

var synthAccessCols = []string{"case_id", "agency_id", "scope", "reason", "granted_at", "revoked_at"}

func (r *synthAccessRow) values(v []any) []any {
	return append(v[:0], &r.caseID, &r.agencyID, &r.scope, &r.reason, &r.granted, r.revoked)
}

type synthHistoryRow struct {
	caseID, communeID           int64
	version                     int32
	event, from, to, data, kind string
	actor, agency               *int64
	at                          time.Time
}

var synthHistoryCols = []string{"case_id", "version", "event", "from_state", "to_state", "actor_id", "agency_id", "data",
	"at", "kind", "commune_id"}

func (r *synthHistoryRow) values(v []any) []any {
	return append(v[:0], &r.caseID, &r.version, &r.event, &r.from, &r.to, r.actor, r.agency, &r.data, &r.at, &r.kind, &r.communeID)
}

type synthClockRow struct {
	caseID, agencyID, communeID                                       int64
	clock, status, responsible, category, rule, basis, by, extensions string
	generation, amount                                                int32
	started, due, warn                                                time.Time
	warned, stopped, breached                                         *time.Time
}

var synthClockCols = []string{"case_id", "clock", "generation", "status", "responsible_type", "responsible_agency", "category",
	"limit_rule", "limit_amount", "legal_basis", "started_at", "due_at", "warn_at", "warned_at", "stopped_at",
	"stopped_by_event", "breached_at", "extensions", "commune_id"}

func (r *synthClockRow) values(v []any) []any {
	return append(v[:0], &r.caseID, &r.clock, &r.generation, &r.status, &r.responsible, &r.agencyID, &r.category,
		&r.rule, &r.amount, &r.basis, &r.started, &r.due, &r.warn, r.warned, r.stopped, &r.by, r.breached, &r.extensions, &r.communeID)
}

// rows feeds a slice of rows to COPY.
type rows[T any] struct {
	all    []T
	i      int
	vals   []any
	values func(*T, []any) []any
}

func (r *rows[T]) Next() bool { r.i++; return r.i <= len(r.all) }
func (r *rows[T]) Values() ([]any, error) {
	r.vals = r.values(&r.all[r.i-1], r.vals)
	return r.vals, nil
}
func (r *rows[T]) Err() error { return nil }

// copyBatch writes a batch in one transaction with COPY, on a connection of
// its own. Commit need not wait for the disk: a lost batch is regenerated by
// running again on a fresh database.
func (db *DB) copyBatch(ctx context.Context, b *synthBatch, fast bool) error {
	conn, err := db.sql.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return conn.Raw(func(dc any) error {
		pc := dc.(*stdlib.Conn).Conn()
		tx, err := pc.BeginTx(ctx, pgx.TxOptions{})
		if err != nil {
			return err
		}
		defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
		if _, err := tx.Exec(ctx, "SET LOCAL synchronous_commit = off"); err != nil {
			return err
		}
		if fast {
			// Foreign keys are checked by triggers, one lookup per row; the
			// generator writes only references it has just made or read.
			if _, err := tx.Exec(ctx, "SET LOCAL session_replication_role = replica"); err != nil {
				return err
			}
		}
		for _, t := range []struct {
			name string
			cols []string
			src  pgx.CopyFromSource
		}{
			{"cases", synthCaseCols, &rows[synthCaseRow]{all: b.cases, values: (*synthCaseRow).values}},
			{"case_people", synthPeopleCols, &rows[synthPersonRow]{all: b.people, values: (*synthPersonRow).values}},
			{"case_access", synthAccessCols, &rows[synthAccessRow]{all: b.access, values: (*synthAccessRow).values}},
			{"case_history", synthHistoryCols, &rows[synthHistoryRow]{all: b.history, values: (*synthHistoryRow).values}},
			{"case_clocks", synthClockCols, &rows[synthClockRow]{all: b.clocks, values: (*synthClockRow).values}},
		} {
			if _, err := tx.CopyFrom(ctx, pgx.Identifier{t.name}, t.cols, t.src); err != nil {
				return fmt.Errorf("synthetic: copy into %s: %w", t.name, err)
			}
		}
		return tx.Commit(ctx)
	})
}

// synthClockSpec is a clock of the child-abuse v1 workflow: its limit
// (by crime category when it has one), responsible agency type and basis.
type synthClockSpec struct {
	responsible caseflow.AgencyType
	limit       calendar.Limit
	byCategory  map[string]calendar.Limit
	basis       string
}

func days(n int) calendar.Limit   { return calendar.Limit{Rule: calendar.CalendarDays, Amount: n} }
func months(n int) calendar.Limit { return calendar.Limit{Rule: calendar.Months, Amount: n} }

var synthClocks = map[string]synthClockSpec{
	"emergency_measures": {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.Hours, Amount: 12}, nil, "Nghị định 56/2017/NĐ-CP Điều 26.3"},
	"transfer_to_police": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 24}, nil,
		"BLTTHS 2015 Điều 146.3; Thông tư 43/2021/TT-BCA Điều 5"},
	"transfer_to_police_remote": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 48}, nil,
		"BLTTHS 2015 Điều 146.3; Thông tư 43/2021/TT-BCA Điều 5"},
	"procuracy_notice": {caseflow.AgencyPolice, days(3), nil, "BLTTHS 2015 Điều 146.5"},
	"resolve_report":   {caseflow.AgencyPolice, days(20), nil, "BLTTHS 2015 Điều 147"},
	"tell_reporter":    {caseflow.AgencyPolice, days(3), nil, "BLTTHS 2015 Điều 145.4"},
	"exam_request": {caseflow.AgencyPolice, calendar.Limit{Rule: calendar.Hours, Amount: 24}, nil,
		"BLTTHS 2015 Điều 205; Thông tư 43/2021/TT-BCA Điều 21"},
	"forensic_conclusion_sexual_abuse": {caseflow.AgencyHealth, days(5), nil,
		"BLTTHS 2015 Điều 208; Thông tư liên tịch 01/2022 Điều 13.2a"},
	"forensic_conclusion": {caseflow.AgencyHealth, days(9), nil, "BLTTHS 2015 Điều 208"},
	"investigation": {caseflow.AgencyPolice, calendar.Limit{}, map[string]calendar.Limit{"less_serious": months(2), "serious": months(3),
		"very_serious": months(4), "especially_serious": months(4)}, "BLTTHS 2015 Điều 172"},
	"indictment": {caseflow.AgencyProcuracy, calendar.Limit{}, map[string]calendar.Limit{"less_serious": days(20), "serious": days(20),
		"very_serious": days(30), "especially_serious": days(30)}, "BLTTHS 2015 Điều 240"},
	"trial_preparation": {caseflow.AgencyCourt, calendar.Limit{}, map[string]calendar.Limit{"less_serious": days(30), "serious": days(45),
		"very_serious": months(2), "especially_serious": months(3)}, "BLTTHS 2015 Điều 277.1–2"},
	"open_hearing":          {caseflow.AgencyCourt, days(15), nil, "BLTTHS 2015 Điều 277.3"},
	"support_plan_drafted":  {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.WorkingDays, Amount: 5}, nil, "Nghị định 56/2017/NĐ-CP Điều 28.1"},
	"support_plan_approved": {caseflow.AgencyCommune, calendar.Limit{Rule: calendar.WorkingDays, Amount: 2}, nil, "Nghị định 56/2017/NĐ-CP Điều 28.4"},
}

// synthStops lists the clocks each event stops, as the workflow says.
var synthStops = map[string][]string{
	"record_emergency_measures": {"emergency_measures"}, "emergency_not_needed": {"emergency_measures"},
	"accept_referral":    {"transfer_to_police", "transfer_to_police_remote"},
	"return_referral":    {"transfer_to_police", "transfer_to_police_remote", "procuracy_notice", "resolve_report"},
	"notify_procuracy":   {"procuracy_notice"},
	"decide_prosecution": {"resolve_report"}, "decline_prosecution": {"resolve_report"}, "suspend_resolution": {"resolve_report"},
	"inform_reporter":        {"tell_reporter"},
	"request_forensic_exam":  {"exam_request"},
	"conclude_forensic_exam": {"forensic_conclusion_sexual_abuse", "forensic_conclusion"},
	"hand_to_procuracy":      {"investigation"},
	"indict":                 {"indictment"}, "dismiss_case": {"indictment"}, "return_for_investigation": {"indictment"},
	"decide_to_try": {"trial_preparation"}, "suspend_trial": {"trial_preparation"},
	"return_to_procuracy": {"trial_preparation", "open_hearing"},
	"hold_hearing":        {"open_hearing"}, "record_verdict": {"open_hearing"},
	"draft_support_plan": {"support_plan_drafted"}, "approve_support_plan": {"support_plan_approved"},
}

// synthStarts lists the clocks each event starts (conditions aside).
var synthStarts = map[string][]string{
	"accept_referral":     {"procuracy_notice", "resolve_report"},
	"decide_prosecution":  {"tell_reporter", "investigation"},
	"decline_prosecution": {"tell_reporter", "support_plan_drafted"},
	"suspend_resolution":  {"tell_reporter"},
	"record_exam_grounds": {"exam_request"},
	"hand_to_procuracy":   {"indictment"},
	"accept_for_trial":    {"trial_preparation"},
	"decide_to_try":       {"open_hearing"},
	"route_to_support":    {"support_plan_drafted"}, "dismiss_case": {"support_plan_drafted"}, "record_verdict": {"support_plan_drafted"},
	"draft_support_plan": {"support_plan_approved"},
}

// synthClock is a clock being simulated.
type synthClock struct {
	id         string
	agency     int64
	category   string
	limit      calendar.Limit
	generation int
	started    time.Time
	due, warn  time.Time
	stopped    *time.Time
	by         string
	breached   *time.Time
	exts       []caseflow.Extension
}

// synthCase simulates one case from its report to now and writes its rows
// into the batch.
type synthCase struct {
	ref  *synthRef
	r    *rand.Rand
	b    *synthBatch
	com  *synthCommune
	id   int64
	code string
	now  time.Time

	state    string
	version  int
	t        time.Time // the last event
	stopped  bool      // the next event would be after now: the story ends here
	category string
	outcome  string
	closedAt *time.Time
	data     map[string]string // the case's structured data, raw JSON values
	clocks   []*synthClock
	hist     []synthHistoryRow // put in time order when the case is done
	abuse    []string
	access   map[string]int // "agency/reason" → index in b.access
}

// between is a random duration from lo to hi.
func (s *synthCase) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.r.Int64N(int64(hi-lo)+1))
}

func (s *synthCase) chance(p float64) bool { return s.r.Float64() < p }

func (s *synthCase) pick(d []choice) string {
	x := s.r.Float64()
	for _, c := range d {
		if x -= c.p; x < 0 {
			return c.key
		}
	}
	return d[len(d)-1].key
}

// choice is one outcome of a random draw and its probability.
type choice struct {
	key string
	p   float64
}

// The distributions of the synthetic cases: plausible, not measured.
var (
	synthSettings = []choice{{"family", 0.55}, {"school", 0.15}, {"online", 0.12}, {"public", 0.12}, {"other", 0.06}}
	synthAbuse    = []choice{{"sexual", 0.45}, {"physical", 0.30}, {"emotional", 0.10}, {"neglect", 0.08}, {"online", 0.04},
		{"trafficking", 0.01}, {"child_labour", 0.01}, {"child_marriage", 0.01}}
	synthChannels = []choice{{"hotline_111", 0.30}, {"walk_in", 0.20}, {"school", 0.15}, {"health_facility", 0.10},
		{"police", 0.15}, {"online", 0.05}, {"other", 0.05}}
	synthSexes      = []choice{{"female", 0.62}, {"male", 0.36}, {"unknown", 0.02}}
	synthRisk       = []choice{{"low", 0.3}, {"medium", 0.4}, {"high", 0.3}}
	synthDecisions  = []choice{{"decide_prosecution", 0.50}, {"decline_prosecution", 0.38}, {"suspend_resolution", 0.12}}
	synthCategories = []choice{{"less_serious", 0.30}, {"serious", 0.35}, {"very_serious", 0.25}, {"especially_serious", 0.10}}
	// synthClearance is the chance a prosecuted case is cleared, by category.
	synthClearance = map[string]float64{"less_serious": 0.80, "serious": 0.86, "very_serious": 0.92, "especially_serious": 0.94}
	// Extensions by category, as the workflow allows them.
	synthInvestigationExt = map[string]int{"less_serious": 2, "serious": 3, "very_serious": 4, "especially_serious": 4}
	synthIndictmentExt    = map[string]int{"less_serious": 10, "serious": 10, "very_serious": 15, "especially_serious": 30}
	synthTrialExt         = map[string]int{"less_serious": 15, "serious": 15, "very_serious": 30, "especially_serious": 30}
)

func (s *synthCase) agency(t caseflow.AgencyType) int64 { return s.com.agency[t] }

func (s *synthCase) run(received time.Time) {
	s.version, s.state, s.t, s.data = 0, "received", received, map[string]string{}
	s.access = map[string]int{}
	setting := s.pick(synthSettings)
	s.abuse = []string{s.pick(synthAbuse)}
	if s.chance(0.1) {
		if second := s.pick(synthAbuse); second != s.abuse[0] {
			s.abuse = append(s.abuse, second)
		}
	}
	danger := s.chance(0.3)
	channel := s.pick(synthChannels)

	cp := s.agency(caseflow.AgencyCommune)
	filed := received.Add(s.between(2*time.Minute, 2*time.Hour))
	if filed.After(s.now) {
		filed = s.now
	}
	s.version = 1
	s.history("report_received", "", "received", cp, filed, "{}", "transition")
	s.t = filed
	s.grant(cp, "full", "intake", filed)
	s.start("emergency_measures", received)
	s.children(received, setting)

	s.story(danger)

	s.finish()
	s.b.cases = append(s.b.cases, synthCaseRow{id: s.id, code: s.code, state: s.state, version: int32(s.version),
		communeID: s.com.id, unitPath: s.com.path, received: received, channel: channel, abuse: s.abuse, setting: setting,
		danger: danger, category: s.category, outcome: s.outcome, narrative: s.ref.narratives[s.r.IntN(len(s.ref.narratives))],
		data: s.dataJSON(), filedBy: s.ref.userID, agencyID: cp, created: filed, updated: s.t, closed: s.closedAt})
}

// children writes the case's children: one, or two in one case in seven.
func (s *synthCase) children(received time.Time, setting string) {
	n := 1
	if s.chance(0.14) {
		n = 2
	}
	for i := range n {
		sex := s.pick(synthSexes)
		// Ages lean towards early adolescence, as in the reports.
		age := int32(min(17, max(0, int(s.r.NormFloat64()*3.8+11.5))))
		s.b.people = append(s.b.people, synthPersonRow{caseID: s.id, position: int32(i), name: s.ref.names[s.r.IntN(len(s.ref.names))],
			age: age, sex: sex, communeID: s.com.id, received: received, setting: setting, abuse: s.abuse})
	}
}

// story plays the case through the workflow until it closes or reaches now.
func (s *synthCase) story(danger bool) {
	cp := s.agency(caseflow.AgencyCommune)
	s.fire("assess_risk", "", cp, s.t.Add(s.between(10*time.Minute, 4*time.Hour)),
		`"risk_level"`, strconv.Quote(s.pick(synthRisk)))
	measures := s.chance(0.35)
	if danger {
		measures = s.chance(0.95)
	}
	within := s.between(30*time.Minute, 11*time.Hour+30*time.Minute)
	if s.chance(0.12) {
		within = s.between(13*time.Hour, 60*time.Hour)
	}
	at := s.clock("emergency_measures").started.Add(within)
	if measures {
		s.fire("record_emergency_measures", "", cp, at)
	} else {
		s.fire("emergency_not_needed", "", cp, at)
	}

	switch x := s.r.Float64(); {
	case x < 0.05:
		s.fire("close_case", "closed", cp, s.t.Add(s.between(time.Hour, 3*24*time.Hour)), `"outcome"`, `"duplicate"`)
		s.outcome = "duplicate"
	case x < 0.27:
		if s.fire("route_to_support", "support", cp, s.t.Add(s.between(time.Hour, 2*24*time.Hour)), `"crime_signs"`, "false") {
			s.support("no_crime_support_only")
		}
	default:
		s.police()
	}
}

func (s *synthCase) police() {
	cp, police := s.agency(caseflow.AgencyCommune), s.agency(caseflow.AgencyPolice)
	for attempt := 0; ; attempt++ {
		remote := "false"
		if s.com.remote {
			remote = "true"
		}
		if !s.fire("refer_police", "police", cp, s.t.Add(s.between(time.Hour, 36*time.Hour)), `"remote_commune"`, remote) {
			return
		}
		s.grant(police, "full", "workflow:police", s.t)
		if s.com.remote {
			s.start("transfer_to_police_remote", s.t)
		} else {
			s.start("transfer_to_police", s.t)
		}
		if !s.chance(0.06) {
			break
		}
		if !s.fire("return_referral", "received", police, s.t.Add(s.between(2*time.Hour, 20*time.Hour))) {
			return
		}
		s.revoke(police, "workflow:police")
		s.revoke(s.agency(caseflow.AgencyProcuracy), "workflow:procuracy")
		switch x := s.r.Float64(); {
		case x < 0.4 && attempt == 0:
			continue
		case x < 0.8:
			if s.fire("route_to_support", "support", cp, s.t.Add(s.between(time.Hour, 3*24*time.Hour)), `"crime_signs"`, "false") {
				s.support("no_crime_support_only")
			}
		default:
			s.close(cp, "transferred_out")
		}
		return
	}
	lag := s.between(time.Hour, 23*time.Hour)
	if s.chance(0.08) {
		lag = s.between(25*time.Hour, 72*time.Hour)
	}
	if !s.fire("accept_referral", "", police, s.t.Add(lag), `"intake_number"`, strconv.Quote(fmt.Sprintf("TL-%d", s.id))) {
		return
	}
	accepted := s.t
	notify := s.between(4*time.Hour, 60*time.Hour)
	if s.chance(0.1) {
		notify = s.between(4*24*time.Hour, 7*24*time.Hour)
	}
	if !s.fire("notify_procuracy", "", police, s.t.Add(notify), `"notified_on"`, s.dateJSON(s.t.Add(notify))) {
		return
	}
	s.grant(s.agency(caseflow.AgencyProcuracy), "full", "workflow:procuracy", s.t)

	// Resolving the report: 20 days, extended by the procuracy for about a
	// quarter of reports (to 2 months, and for some to 4).
	k := s.clock("resolve_report")
	if s.chance(0.25) {
		s.extend(k, accepted.Add(s.between(12*24*time.Hour, 19*24*time.Hour)), days(40), "BLTTHS 2015 Điều 147.2")
		if s.chance(0.12) {
			s.extend(k, k.due.Add(-s.between(3*24*time.Hour, 10*24*time.Hour)), days(55), "BLTTHS 2015 Điều 147.3")
		}
	}
	if s.chance(0.03) {
		return // never resolved: the report sits with the police past its limit
	}
	decided := s.onTime(k, 0.92, 30)
	decision := s.pick(synthDecisions)
	switch decision {
	case "decide_prosecution":
		cat := s.pick(synthCategories)
		s.category = cat // known before the clocks it decides start
		if !s.fire(decision, "investigation", police, decided, `"decision"`, `"prosecute"`, `"crime_signs"`, "true",
			`"crime_category"`, strconv.Quote(cat), `"penal_code_article"`, `"146"`) {
			s.category = ""
			return
		}
		s.tellReporter()
		s.investigation()
	case "decline_prosecution":
		signs := "false"
		if s.chance(0.2) {
			signs = "true"
		}
		if !s.fire(decision, "support", police, decided, `"decision"`, `"decline"`, `"crime_signs"`, signs) {
			return
		}
		s.tellReporter()
		s.support("not_prosecuted")
	default:
		if s.fire(decision, "", police, decided, `"decision"`, `"suspend"`) {
			s.tellReporter()
		}
	}
}

func (s *synthCase) tellReporter() {
	lag := s.between(4*time.Hour, 70*time.Hour)
	if s.chance(0.2) {
		lag = s.between(4*24*time.Hour, 10*24*time.Hour)
	}
	s.fire("inform_reporter", "", s.agency(caseflow.AgencyPolice), s.t.Add(lag), `"informed_on"`, s.dateJSON(s.t.Add(lag)))
}

func (s *synthCase) investigation() {
	police := s.agency(caseflow.AgencyPolice)
	k := s.clock("investigation")
	clear := synthClearance[s.category]
	cleared := s.chance(clear)
	if s.chance(0.55) {
		if !s.fire("record_exam_grounds", "", police, s.t.Add(s.between(24*time.Hour, 10*24*time.Hour))) {
			return
		}
		kind, clock := "injury", "forensic_conclusion"
		if slices.Contains(s.abuse, "sexual") {
			kind, clock = "sexual_abuse", "forensic_conclusion_sexual_abuse"
		}
		lag := s.between(2*time.Hour, 20*time.Hour)
		if s.chance(0.05) {
			lag = s.between(25*time.Hour, 72*time.Hour)
		}
		if !s.fire("request_forensic_exam", "forensic_exam", police, s.t.Add(lag), `"exam_kind"`, strconv.Quote(kind)) {
			return
		}
		health := s.agency(caseflow.AgencyHealth)
		s.grant(health, "service", "workflow:health", s.t)
		s.start(clock, s.t)
		done := s.onTime(s.clock(clock), 0.85, 10)
		if !s.fire("conclude_forensic_exam", "investigation", health, done, `"concluded_on"`, s.dateJSON(done)) {
			return
		}
		s.revoke(health, "workflow:health")
	}
	if !cleared {
		if s.chance(0.15) {
			at := s.t.Add(s.between(10*24*time.Hour, 60*24*time.Hour))
			if s.fire("transfer_out", "closed", police, at, `"outcome"`, `"transferred_out"`, `"transferred_to"`, `"Công an tỉnh khác"`) {
				s.outcome = "transferred_out"
			}
		}
		return // the investigation stalls; its clock runs out
	}
	clearedOn := s.t.Add(s.between(3*24*time.Hour, 40*24*time.Hour))
	if !s.fire("record_case_cleared", "", police, clearedOn, `"cleared_on"`, s.dateJSON(clearedOn)) {
		return
	}
	if s.chance(0.15) && k != nil && k.stopped == nil {
		max := synthInvestigationExt[s.category]
		s.extend(k, k.due.Add(-s.between(5*24*time.Hour, 15*24*time.Hour)), months(max), "BLTTHS 2015 Điều 172.2")
	}
	s.handToProcuracy(0)
}

func (s *synthCase) handToProcuracy(returns int) {
	police := s.agency(caseflow.AgencyPolice)
	var at time.Time
	if k := s.clock("investigation"); k != nil && k.stopped == nil {
		at = s.onTime(k, 0.90, 30)
	} else {
		at = s.t.Add(s.between(15*24*time.Hour, 60*24*time.Hour))
	}
	if !s.fire("hand_to_procuracy", "prosecution", police, at, `"proposed_article"`, `"146"`) {
		return
	}
	s.prosecution(returns)
}

func (s *synthCase) prosecution(returns int) {
	vks := s.agency(caseflow.AgencyProcuracy)
	s.grant(vks, "full", "workflow:procuracy", s.t)
	k := s.clock("indictment")
	if s.chance(0.07) {
		ext := synthIndictmentExt[s.category]
		s.extend(k, k.due.Add(-s.between(24*time.Hour, 5*24*time.Hour)), days(ext), "BLTTHS 2015 Điều 240")
	}
	at := s.onTime(k, 0.96, 15)
	switch x := s.r.Float64(); {
	case x < 0.10 && returns == 0:
		if s.fire("return_for_investigation", "investigation", vks, at) {
			s.handToProcuracy(returns + 1)
		}
	case x < 0.15:
		if s.fire("dismiss_case", "support", vks, at) {
			s.support("not_prosecuted")
		}
	default:
		if s.fire("indict", "trial", vks, at, `"charge_article"`, `"146"`, `"indicted_on"`, s.dateJSON(at)) {
			s.grant(s.agency(caseflow.AgencyCourt), "full", "workflow:court", s.t)
			s.trial(returns)
		}
	}
}

func (s *synthCase) trial(returns int) {
	court := s.agency(caseflow.AgencyCourt)
	if !s.fire("accept_for_trial", "", court, s.t.Add(s.between(24*time.Hour, 10*24*time.Hour))) {
		return
	}
	k := s.clock("trial_preparation")
	if s.chance(0.07) {
		ext := synthTrialExt[s.category]
		s.extend(k, k.due.Add(-s.between(24*time.Hour, 7*24*time.Hour)), days(ext), "BLTTHS 2015 Điều 277.2")
	}
	if s.chance(0.03) {
		return // the court has not decided
	}
	at := s.onTime(k, 0.93, 20)
	switch x := s.r.Float64(); {
	case x < 0.05 && returns == 0:
		if s.fire("return_to_procuracy", "prosecution", court, at) {
			s.revoke(court, "workflow:court")
			s.prosecution(returns + 1)
		}
		return
	case x < 0.08:
		s.fire("suspend_trial", "", court, at)
		return
	}
	if !s.fire("decide_to_try", "", court, at, `"hearing_date"`, s.dateJSON(at.Add(10*24*time.Hour))) {
		return
	}
	held := s.onTime(s.clock("open_hearing"), 0.90, 25)
	if !s.fire("hold_hearing", "", court, held, `"held_on"`, s.dateJSON(held)) {
		return
	}
	verdict, outcome := `"convicted"`, "convicted"
	if s.chance(0.06) {
		verdict, outcome = `"acquitted"`, "acquitted"
	}
	upheld := "true"
	if s.chance(0.08) {
		upheld = "false"
	}
	at = s.t.Add(s.between(0, 7*24*time.Hour))
	if s.fire("record_verdict", "support", court, at, `"verdict"`, verdict, `"charge_upheld"`, upheld, `"verdict_date"`, s.dateJSON(at)) {
		s.support(outcome)
	}
}

// support drafts, approves and reviews the child's support plan, then closes.
func (s *synthCase) support(outcome string) {
	cp := s.agency(caseflow.AgencyCommune)
	if !s.fire("draft_support_plan", "", cp, s.onTime(s.clock("support_plan_drafted"), 0.85, 12)) {
		return
	}
	if !s.fire("approve_support_plan", "", cp, s.onTime(s.clock("support_plan_approved"), 0.88, 6),
		`"approved_by"`, `"Chủ tịch UBND xã"`) {
		return
	}
	if s.chance(0.5) && !s.fire("review_support_plan", "", cp, s.t.Add(s.between(20*24*time.Hour, 90*24*time.Hour))) {
		return
	}
	s.close(cp, outcome)
}

func (s *synthCase) close(agency int64, outcome string) {
	if s.fire("close_case", "closed", agency, s.t.Add(s.between(30*24*time.Hour, 270*24*time.Hour)), `"outcome"`, strconv.Quote(outcome)) {
		s.outcome = outcome
	}
}

// onTime returns when the event that stops clock k happens: within its
// (extended) limit with probability p, otherwise up to lateDays late.
func (s *synthCase) onTime(k *synthClock, p float64, lateDays int) time.Time {
	if k == nil {
		return s.t.Add(s.between(time.Hour, 5*24*time.Hour))
	}
	from := s.t
	if k.started.After(from) {
		from = k.started
	}
	if s.chance(p) && k.due.After(from) {
		span := k.due.Sub(from)
		return from.Add(time.Duration(float64(span) * (0.1 + 0.88*s.r.Float64())))
	}
	late := k.due.Add(s.between(time.Hour, time.Duration(lateDays)*24*time.Hour))
	if late.Before(from) {
		return from.Add(time.Hour)
	}
	return late
}

// fire records an event at a time, stopping and starting the clocks the
// workflow ties to it, unless that time is after now: then the story ends.
// kv are key and value pairs of raw JSON for the event's data.
func (s *synthCase) fire(event, to string, agency int64, at time.Time, kv ...string) bool {
	if s.stopped || at.After(s.now) {
		s.stopped = true
		return false
	}
	if !at.After(s.t) {
		at = s.t.Add(time.Minute)
		if at.After(s.now) {
			s.stopped = true
			return false
		}
	}
	from := s.state
	if to == "" {
		to = from
	}
	var data strings.Builder
	data.WriteByte('{')
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			data.WriteByte(',')
		}
		data.WriteString(kv[i] + ":" + kv[i+1])
		s.data[kv[i]] = kv[i+1]
	}
	data.WriteByte('}')
	s.version++
	s.history(event, from, to, agency, at, data.String(), "transition")
	s.state, s.t = to, at
	for _, id := range synthStops[event] {
		s.stop(id, event, at)
	}
	if to == "closed" {
		closed := at
		s.closedAt = &closed
		for _, k := range s.clocks {
			s.stop(k.id, event, at)
		}
		return true
	}
	for _, id := range synthStarts[event] {
		s.start(id, at)
	}
	return true
}

func (s *synthCase) history(event, from, to string, agency int64, at time.Time, data, kind string) {
	h := synthHistoryRow{caseID: s.id, communeID: s.com.id, version: int32(s.version), event: event, from: from, to: to,
		data: data, kind: kind, at: at}
	if event != "clock_breached" { // breaches are recorded by the timer, not a person
		h.actor = &s.ref.userID
		if agency != 0 {
			h.agency = &agency
		}
	}
	s.hist = append(s.hist, h)
}

func (s *synthCase) clock(id string) *synthClock {
	for i := len(s.clocks) - 1; i >= 0; i-- {
		if s.clocks[i].id == id {
			return s.clocks[i]
		}
	}
	return nil
}

// start starts a clock unless one of that kind is running; a clock whose
// limit depends on the crime category needs the category.
func (s *synthCase) start(id string, at time.Time) {
	if k := s.clock(id); k != nil && k.stopped == nil && k.breached == nil {
		return
	}
	spec := synthClocks[id]
	lim := spec.limit
	if spec.byCategory != nil {
		var ok bool
		if lim, ok = spec.byCategory[s.category]; !ok {
			return
		}
	}
	due := s.ref.cal.Due(at, lim)
	s.clocks = append(s.clocks, &synthClock{id: id, agency: s.agency(spec.responsible), category: s.category, limit: lim,
		generation: 1, started: at, due: due, warn: s.ref.cal.WarnAt(at, due, 0)})
}

// stop stops a running clock (or records when a breached one was met).
func (s *synthCase) stop(id, event string, at time.Time) {
	k := s.clock(id)
	if k == nil || k.stopped != nil {
		return
	}
	if k.breached == nil && at.After(k.due) {
		s.breach(k)
	}
	t := at
	k.stopped, k.by = &t, event
}

// breach records the breach of a clock a moment after its due time, as the
// timer would have.
func (s *synthCase) breach(k *synthClock) {
	b := k.due.Add(time.Duration(200+s.r.IntN(1500)) * time.Millisecond)
	k.breached = &b
	s.history("clock_breached", s.state, s.state, 0, b,
		`{"clock":`+strconv.Quote(k.id)+`,"due_at":"`+k.due.UTC().Format(time.RFC3339)+`"}`, "clock")
}

// extend records an extension of a running clock, made at a time before
// its due time.
func (s *synthCase) extend(k *synthClock, at time.Time, by calendar.Limit, basis string) {
	if k == nil || k.stopped != nil || k.breached != nil || at.After(s.now) || !at.Before(k.due) || at.Before(k.started) {
		return
	}
	limits := make([]calendar.Limit, 0, len(k.exts)+1)
	for _, e := range k.exts {
		limits = append(limits, calendar.Limit{Rule: calendar.Rule(e.Rule), Amount: e.Amount})
	}
	limits = append(limits, by)
	due := s.ref.cal.Extend(k.started, k.limit, limits)
	k.exts = append(k.exts, caseflow.Extension{Rule: string(by.Rule), Amount: by.Amount, LegalBasis: basis, By: syntheticUser,
		At: at.UTC(), DueBefore: k.due.UTC(), DueAfter: due.UTC()})
	extender := s.agency(caseflow.AgencyProcuracy)
	if k.id == "trial_preparation" {
		extender = s.agency(caseflow.AgencyCourt)
	}
	s.history("clock_extended", s.state, s.state, extender, at,
		`{"clock":`+strconv.Quote(k.id)+`,"rule":"`+string(by.Rule)+`","amount":`+strconv.Itoa(by.Amount)+
			`,"legal_basis":`+strconv.Quote(basis)+`,"due_before":"`+k.due.UTC().Format(time.RFC3339)+
			`","due_after":"`+due.UTC().Format(time.RFC3339)+`"}`, "clock")
	k.due, k.warn = due, s.ref.cal.WarnAt(k.started, due, 0)
	k.generation++
}

func (s *synthCase) grant(agency int64, scope, reason string, at time.Time) {
	key := strconv.FormatInt(agency, 10) + "/" + scope + "/" + reason
	if i, ok := s.access[key]; ok && s.b.access[i].revoked == nil {
		return
	}
	s.access[key] = len(s.b.access)
	s.b.access = append(s.b.access, synthAccessRow{caseID: s.id, agencyID: agency, scope: scope, reason: reason, granted: at})
}

func (s *synthCase) revoke(agency int64, reason string) {
	for _, scope := range []string{"full", "service"} {
		if i, ok := s.access[strconv.FormatInt(agency, 10)+"/"+scope+"/"+reason]; ok && s.b.access[i].revoked == nil {
			t := s.t
			s.b.access[i].revoked = &t
		}
	}
}

// finish marks the clocks whose limit passed by now as breached, records
// the warnings the timers would have given, and writes the clock and
// history rows (history in time order, as the service would have written it).
func (s *synthCase) finish() {
	defer func() {
		sort.SliceStable(s.hist, func(i, j int) bool { return s.hist[i].at.Before(s.hist[j].at) })
		// A clock event belongs to the version the case was at when it happened.
		version := int32(1)
		for i := range s.hist {
			if s.hist[i].kind == "transition" {
				version = s.hist[i].version
			} else {
				s.hist[i].version = version
			}
		}
		s.b.history = append(s.b.history, s.hist...)
	}()
	for _, k := range s.clocks {
		if k.stopped == nil && k.breached == nil && k.due.Before(s.now) {
			s.breach(k)
		}
		var warned *time.Time
		if (k.stopped == nil || k.stopped.After(k.warn)) && k.warn.Before(s.now) {
			w := k.warn.Add(time.Second)
			warned = &w
		}
		status := "running"
		switch {
		case k.breached != nil:
			status = "breached"
		case k.stopped != nil:
			status = "stopped"
		}
		exts := "[]"
		if len(k.exts) > 0 {
			raw, _ := json.Marshal(k.exts)
			exts = string(raw)
		}
		spec := synthClocks[k.id]
		s.b.clocks = append(s.b.clocks, synthClockRow{caseID: s.id, clock: k.id, generation: int32(k.generation), status: status,
			responsible: string(spec.responsible), agencyID: k.agency, category: k.category, rule: string(k.limit.Rule),
			amount: int32(k.limit.Amount), basis: spec.basis, started: k.started, due: k.due, warn: k.warn, warned: warned,
			stopped: k.stopped, by: k.by, breached: k.breached, extensions: exts, communeID: s.com.id})
	}
}

func (s *synthCase) dataJSON() string {
	if len(s.data) == 0 {
		return "{}"
	}
	keys := make([]string, 0, len(s.data))
	for k := range s.data {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteByte('{')
	for i, k := range keys {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(k + ":" + s.data[k])
	}
	b.WriteByte('}')
	return b.String()
}

func (s *synthCase) dateJSON(t time.Time) string { return `"` + t.In(hcm).Format("2006-01-02") + `"` }
