package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
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
		opt.From = time.Date(2021, 1, 1, 0, 0, 0, 0, caseflow.Zone)
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
	base := from.In(caseflow.Zone).Year()
	weight := func(t time.Time) float64 {
		lt := t.In(caseflow.Zone)
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
		perYear[t.In(caseflow.Zone).Year()]++
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
		y := t.In(caseflow.Zone).Year()
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
