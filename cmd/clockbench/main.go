// Command clockbench measures how late the worker records deadline breaches
// when many clocks fall due at the same moment, and how fast it gets through
// them. It builds a database of its own, files -n reports through the case
// service on the test workflow (one intake clock of one hour), moves all
// their clocks so they fall due -lead from now, runs -workers workers and
// waits until every clock is breached or -timeout passes.
//
//	go run ./cmd/clockbench -n 10000
//
// It reports breach detection lateness (breached_at - due_at) p50/p95/p99/
// max, breaches per second, how many breaches the sweeper caught rather than
// the timers, and whether each breach was recorded exactly once. It talks
// only to a Postgres and a Redis on this machine, empties its Redis database
// (FLUSHDB) first, and drops its database at the end unless -keep. The
// people in the reports are fictional.
package main

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the bench's own queries
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"caseflow/internal/account"
	"caseflow/internal/calendar"
	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/clock"
	"caseflow/internal/postgres"
	"caseflow/internal/queue"
	"caseflow/internal/seal"
	"caseflow/internal/workflow"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "clockbench:", err)
		os.Exit(1)
	}
}

// The workflow and clock the bench files reports on: the test workflow of
// internal/queue, whose one clock starts at intake and runs one hour.
const (
	workflowID = "test-clocks"
	clockID    = "first_response"
	queueName  = "clockbench"
)

// options are the command-line flags.
type options struct {
	n           int
	databaseURL string
	redisURL    string
	lead        time.Duration
	workers     int
	timeout     time.Duration
	sweep       time.Duration
	timerCheck  time.Duration
	batch       int
	sets        int
	filers      int
	workflows   string
	keep        bool
	warnings    bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("clockbench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&o.n, "n", 10000, "clocks falling due at the same moment")
	fs.StringVar(&o.databaseURL, "database-url", "postgres://postgres@127.0.0.1:5432/caseflow_clockbench?sslmode=disable",
		"database to create, use and drop (loopback only; its name must contain \"clockbench\")")
	fs.StringVar(&o.redisURL, "redis-url", "redis://127.0.0.1:6379/15", "Redis database for the queue (loopback only; emptied with FLUSHDB first)")
	fs.DurationVar(&o.lead, "lead", 10*time.Second, "how far ahead of the workers' start the clocks fall due")
	fs.IntVar(&o.workers, "workers", 1, "workers running at once, each with its own connections")
	fs.DurationVar(&o.timeout, "timeout", 5*time.Minute, "give up when filing, or breaching every clock after the workers start, takes longer")
	fs.DurationVar(&o.sweep, "sweep", 30*time.Second, "the workers' sweep interval, as SWEEP_INTERVAL")
	fs.DurationVar(&o.timerCheck, "timer-check", 200*time.Millisecond, "how often due timers are moved to run, as TIMER_CHECK_INTERVAL")
	fs.IntVar(&o.batch, "batch", 1000, "due clocks one breach set records at most")
	fs.IntVar(&o.sets, "sets", 2, "breach sets one worker writes at once")
	fs.IntVar(&o.filers, "filers", 8, "reports filed at once while preparing")
	fs.StringVar(&o.workflows, "workflows", "internal/queue/testdata/workflows", "directory holding the test-clocks workflow")
	fs.BoolVar(&o.keep, "keep", false, "keep the database at the end")
	fs.BoolVar(&o.warnings, "warnings", false, "leave the warnings to fire when the workers start, on top of the breaches")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case o.n < 1 || o.n > 1_000_000:
		return nil, errors.New("-n must be between 1 and 1000000")
	case o.lead < time.Second || o.lead > 30*time.Minute:
		return nil, errors.New("-lead must be between 1s and 30m")
	case o.workers < 1 || o.workers > 8:
		return nil, errors.New("-workers must be between 1 and 8")
	case o.timeout <= 0 || o.timeout > time.Hour:
		return nil, errors.New("-timeout must be positive and at most 1h")
	case o.timerCheck < 50*time.Millisecond || o.timerCheck > time.Second:
		return nil, errors.New("-timer-check must be between 50ms and 1s")
	case o.batch < 1 || o.batch > 10000 || o.sets < 1 || o.sets > 16:
		return nil, errors.New("-batch must be between 1 and 10000 and -sets between 1 and 16")
	case o.sweep < 100*time.Millisecond || o.sweep > time.Hour:
		return nil, errors.New("-sweep must be between 100ms and 1h")
	case o.filers < 1 || o.filers > 64:
		return nil, errors.New("-filers must be between 1 and 64")
	}
	if err := checkDatabaseURL(o.databaseURL); err != nil {
		return nil, err
	}
	if err := checkRedisURL(o.redisURL); err != nil {
		return nil, err
	}
	return o, nil
}

// loopback reports whether host names this machine.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// checkDatabaseURL refuses a database elsewhere, or one whose name does not
// say it belongs to this bench: the bench drops it.
func checkDatabaseURL(raw string) error {
	cfg, err := pgx.ParseConfig(raw)
	if err != nil {
		return fmt.Errorf("-database-url: %v", err)
	}
	if !loopback(cfg.Host) && !strings.HasPrefix(cfg.Host, "/") {
		return fmt.Errorf("-database-url: refusing host %q; only a Postgres on this machine is allowed", cfg.Host)
	}
	if !strings.Contains(cfg.Database, "clockbench") {
		return fmt.Errorf("-database-url: the database name %q must contain \"clockbench\": the bench drops and recreates it", cfg.Database)
	}
	return nil
}

// checkRedisURL refuses a Redis elsewhere: the bench empties the database.
func checkRedisURL(raw string) error {
	opt, err := redis.ParseURL(raw)
	if err != nil {
		return fmt.Errorf("-redis-url: %v", err)
	}
	host, _, err := net.SplitHostPort(opt.Addr)
	if err != nil {
		return fmt.Errorf("-redis-url: %v", err)
	}
	if !loopback(host) {
		return fmt.Errorf("-redis-url: refusing host %q; only a Redis on this machine is allowed", host)
	}
	return nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	b := &bench{o: o, out: stdout, log: slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}
	defer b.close()
	return b.run(ctx)
}

// bench holds what one run opened.
type bench struct {
	o   *options
	out io.Writer
	log *slog.Logger

	redis   *redis.Client
	db      *postgres.DB
	others  []*postgres.DB // the connections of workers after the first
	raw     *sql.DB
	created bool
}

func (b *bench) close() {
	for _, db := range b.others {
		db.Close()
	}
	if b.raw != nil {
		b.raw.Close()
	}
	if b.db != nil {
		b.db.Close()
	}
	if b.redis != nil {
		b.redis.Close()
	}
	if b.created && !b.o.keep {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := postgres.DropDatabase(ctx, b.o.databaseURL); err != nil {
			fmt.Fprintf(b.out, "could not drop the database %s: %v\n", postgres.Where(b.o.databaseURL), err)
		}
	}
}

func (b *bench) printf(format string, args ...any) { fmt.Fprintf(b.out, format, args...) }

func (b *bench) run(ctx context.Context) error {
	if err := b.setupRedis(ctx); err != nil {
		return err
	}
	if err := b.setupDatabase(ctx); err != nil {
		return err
	}
	flows, err := workflow.LoadDir(b.o.workflows)
	if err != nil {
		return fmt.Errorf("-workflows: %w", err)
	}
	def, ok := flows.Latest(workflowID)
	if !ok {
		return fmt.Errorf("-workflows %s: no workflow %q", b.o.workflows, workflowID)
	}
	wc, ok := def.Clock(clockID)
	if !ok || wc.Limit == nil || wc.Limit.Rule != workflow.RuleHours {
		return fmt.Errorf("workflow %s: want clock %q with a limit in hours", workflowID, clockID)
	}
	cases := casework.New(casework.Config{Store: b.db, Workflows: flows, WorkflowID: workflowID})
	if err := b.file(ctx, cases); err != nil {
		return err
	}
	limit := time.Duration(wc.Limit.Amount) * time.Hour
	due := clock.Now().Add(b.o.lead).Truncate(time.Millisecond)
	if err := b.moveClocks(ctx, due, limit, wc.WarnAt); err != nil {
		return err
	}
	return b.measure(ctx, due)
}

// setupRedis checks the queue's Redis and empties its database.
func (b *bench) setupRedis(ctx context.Context) error {
	opt, err := redis.ParseURL(b.o.redisURL)
	if err != nil {
		return err
	}
	b.redis = redis.NewClient(opt)
	if err := queue.PingRedis(ctx, b.redis, opt.Addr); err != nil {
		return err
	}
	return b.redis.FlushDB(ctx).Err()
}

// setupDatabase creates the bench's database afresh (dropping one left by
// an earlier run), migrates it and seeds reference data and demo accounts.
func (b *bench) setupDatabase(ctx context.Context) error {
	if err := postgres.DropDatabase(ctx, b.o.databaseURL); err != nil {
		return fmt.Errorf("dropping a stale %s: %w", postgres.Where(b.o.databaseURL), err)
	}
	if err := postgres.CreateDatabase(ctx, b.o.databaseURL); err != nil {
		return err
	}
	b.created = true
	keys, err := seal.NewKeyRing("b1:"+seal.NewKey(), randomBytes(32))
	if err != nil {
		return err
	}
	if b.db, err = postgres.Open(ctx, b.o.databaseURL, keys, b.log); err != nil {
		return err
	}
	if err := b.db.Migrate(ctx); err != nil {
		return err
	}
	if err := b.db.SeedReference(ctx); err != nil {
		return err
	}
	// Nobody logs in to the bench's database: the accounts get a password
	// nobody knows.
	hash, err := account.HashPassword(hex.EncodeToString(randomBytes(16)), account.Params{Time: 1, Memory: 1024, Threads: 1})
	if err != nil {
		return err
	}
	if _, err := b.db.SeedDemoUsers(ctx, hash); err != nil {
		return err
	}
	for range b.o.workers - 1 {
		db, err := postgres.Open(ctx, b.o.databaseURL, keys, b.log)
		if err != nil {
			return err
		}
		b.others = append(b.others, db)
	}
	b.raw, err = sql.Open("pgx", b.o.databaseURL)
	return err
}

func randomBytes(n int) []byte {
	p := make([]byte, n)
	_, _ = rand.Read(p)
	return p
}

// file files the reports through the case service, as officer1 would, each
// with its one clock (due an hour after it was received) and the clock's
// timers in the outbox. No worker runs yet.
func (b *bench) file(ctx context.Context, cases *casework.Service) error {
	u, err := b.db.UserByUsername(ctx, "officer1")
	if err != nil {
		return err
	}
	v := caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency}
	start := clock.Now()
	ctx, cancel := context.WithTimeout(ctx, b.o.timeout)
	defer cancel()
	var next, done atomic.Int64
	g, gctx := errgroup.WithContext(ctx)
	for range b.o.filers {
		g.Go(func() error {
			for i := next.Add(1); i <= int64(b.o.n); i = next.Add(1) {
				if _, err := cases.Intake(gctx, v, report(i, clock.Now()), "", nil); err != nil {
					return fmt.Errorf("filing report %d: %w", i, err)
				}
				if d := done.Add(1); d%2000 == 0 {
					b.printf("  filed %d of %d\n", d, b.o.n)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return fmt.Errorf("filing took longer than -timeout %v: %w", b.o.timeout, err)
		}
		return err
	}
	took := clock.Since(start)
	b.printf("filed %d reports in %v (%.0f/s, %d at once)\n", b.o.n, took.Round(time.Millisecond), float64(b.o.n)/took.Seconds(), b.o.filers)
	return nil
}

// report is a fictional report to the commune of officer1.
func report(i int64, received time.Time) *caseflow.Report {
	age := 3 + int(i%14)
	return &caseflow.Report{
		ReceivedAt:  received,
		Channel:     "hotline_111",
		CommuneCode: "12004",
		AbuseTypes:  []string{"neglect"},
		Setting:     "family",
		Children:    []caseflow.Person{{FullName: "Trẻ Đo Thử " + strconv.FormatInt(i, 10), Sex: "male", Age: &age}},
		Narrative:   "Fictional report filed by the clock benchmark.",
	}
}

// moveClocks makes every report look received one limit before due, so
// that all clocks fall due at due, with their warning times and outbox
// timers to match, in one transaction. Filing ten thousand reports takes
// longer than any lead worth measuring, so the due time is set afterwards.
//
// The warnings of such clocks were due long ago; in a steady state they
// were recorded then. Unless -warnings, the bench marks them recorded at
// their time and drops their timers, so that what is measured is the burst
// of breaches alone (their history rows and notifications are not made up).
func (b *bench) moveClocks(ctx context.Context, due time.Time, limit time.Duration, warnFraction float64) error {
	start := due.Add(-limit)
	warn := calendar.New(nil).WarnAt(start, due, warnFraction)
	tx, err := b.raw.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	type step struct {
		sql  string
		args []any
		want int64
	}
	n := int64(b.o.n)
	steps := []step{
		{`UPDATE cases SET received_at = $1`, []any{start}, n},
		{`UPDATE case_clocks SET started_at = $1, due_at = $2, warn_at = $3 WHERE status = 'running' AND clock = $4`,
			[]any{start, due, warn, clockID}, n},
		{`UPDATE outbox SET run_at = CASE WHEN payload->>'kind' = 'breach' THEN $1::timestamptz ELSE $2::timestamptz END
			WHERE relayed_at IS NULL`, []any{due, warn}, 2 * n},
	}
	if !b.o.warnings {
		steps = append(steps,
			step{`UPDATE case_clocks SET warned_at = warn_at WHERE status = 'running'`, nil, n},
			step{`DELETE FROM outbox WHERE relayed_at IS NULL AND payload->>'kind' = 'warning'`, nil, n})
	}
	for _, s := range steps {
		res, err := tx.ExecContext(ctx, s.sql, s.args...)
		if err != nil {
			return err
		}
		if got, _ := res.RowsAffected(); got != s.want {
			return fmt.Errorf("moving the clocks: %d rows changed, want %d (%s)", got, s.want, strings.Join(strings.Fields(s.sql)[:3], " "))
		}
	}
	if err := tx.Commit(); err != nil {
		return err
	}
	b.printf("moved the %d clocks: due %s (in %v)\n", b.o.n, due.Format(time.RFC3339Nano), time.Until(due).Round(time.Millisecond))
	if b.o.warnings {
		b.printf("their warnings were due at %s: they fire as the workers start\n", warn.Format(time.RFC3339))
	} else {
		b.printf("their warnings (due at %s) count as recorded then; only breaches are left\n", warn.Format(time.RFC3339))
	}
	return nil
}

// worker is one running worker and its measurements.
type worker struct {
	reg  *prometheus.Registry
	done chan error
}

// measure runs the workers until every clock is breached or the timeout,
// then reports.
func (b *bench) measure(ctx context.Context, due time.Time) error {
	opt, err := queue.RedisOpt(b.o.redisURL)
	if err != nil {
		return err
	}
	wctx, stop := context.WithCancel(ctx)
	defer stop()
	started := clock.Now()
	var workers []*worker
	for i := range b.o.workers {
		db := b.db
		if i > 0 {
			db = b.others[i-1]
		}
		w := &worker{reg: prometheus.NewRegistry(), done: make(chan error, 1)}
		qw := &queue.Worker{DB: db, Redis: opt, Log: b.log, Queue: queueName, Metrics: queue.NewMetrics(w.reg, db),
			TimerCheckInterval: b.o.timerCheck, SweepInterval: b.o.sweep, BreachBatch: b.o.batch, BreachSets: b.o.sets}
		go func() { w.done <- qw.Run(wctx) }()
		workers = append(workers, w)
	}
	b.printf("started %d worker(s); clocks due in %v; sweep every %v\n", b.o.workers, time.Until(due).Round(time.Millisecond), b.o.sweep)

	deadline := started.Add(b.o.timeout)
	var relayedAt, warnedAt, shown time.Time
	breachedN := 0
	for {
		var backlog, warned, breachedNow int
		if err := b.raw.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM outbox WHERE relayed_at IS NULL),
			(SELECT count(*) FROM case_clocks WHERE warned_at IS NOT NULL),
			(SELECT count(*) FROM case_clocks WHERE status = 'breached')`).Scan(&backlog, &warned, &breachedNow); err != nil {
			stop()
			return err
		}
		now := clock.Now()
		if backlog == 0 && relayedAt.IsZero() {
			relayedAt = now
			b.printf("  outbox relayed after %v\n", now.Sub(started).Round(time.Millisecond))
		}
		if b.o.warnings && warned == b.o.n && warnedAt.IsZero() {
			warnedAt = now
			b.printf("  all %d warnings recorded after %v (%v before the due time)\n", warned, now.Sub(started).Round(time.Millisecond),
				due.Sub(now).Round(time.Millisecond))
		}
		if breachedNow != breachedN && breachedNow > 0 && (now.Sub(shown) >= 2*time.Second || breachedNow == b.o.n) {
			shown = now
			b.printf("  %6d breached at due%+.1fs\n", breachedNow, now.Sub(due).Seconds())
		}
		breachedN = breachedNow
		if breachedN == b.o.n || now.After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	stop()
	for _, w := range workers {
		if err := <-w.done; err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := b.report(context.Background(), due, workers); err != nil {
		return err
	}
	if breachedN != b.o.n {
		return fmt.Errorf("only %d of %d clocks breached within -timeout %v", breachedN, b.o.n, b.o.timeout)
	}
	return nil
}

// report prints the lateness percentiles, the rate, who caught the
// breaches and whether each was recorded once.
func (b *bench) report(ctx context.Context, due time.Time, workers []*worker) error {
	rows, err := b.raw.QueryContext(ctx, `SELECT extract(epoch FROM breached_at - due_at) * 1000 FROM case_clocks
		WHERE status = 'breached' ORDER BY 1`)
	if err != nil {
		return err
	}
	var lates []float64
	for rows.Next() {
		var ms float64
		if err := rows.Scan(&ms); err != nil {
			rows.Close()
			return err
		}
		lates = append(lates, ms)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	var history, notes, agencyNotes int
	if err := b.raw.QueryRowContext(ctx, `SELECT (SELECT count(*) FROM case_history WHERE event = 'clock_breached'),
		(SELECT count(*) FROM notifications WHERE kind = 'breach'),
		(SELECT count(DISTINCT clock_id) FROM notifications WHERE kind = 'breach' AND audience = 'agency')`).
		Scan(&history, &notes, &agencyNotes); err != nil {
		return err
	}
	var recorded, bySweeper float64
	for _, w := range workers {
		recorded += sum(w.reg, "caseflow_clock_breaches_total", "")
		bySweeper += sum(w.reg, "caseflow_sweeper_catches_total", "breach")
	}

	b.printf("\nclockbench: n=%d workers=%d lead=%v sweep=%v timer-check=%v batch=%d sets=%d warnings=%v\n", b.o.n, b.o.workers, b.o.lead, b.o.sweep, b.o.timerCheck, b.o.batch, b.o.sets, b.o.warnings)
	if len(lates) == 0 {
		b.printf("no clock breached\n")
		return nil
	}
	b.printf("breached:        %d of %d\n", len(lates), b.o.n)
	b.printf("lateness (ms):   min %.0f  p50 %.0f  p95 %.0f  p99 %.0f  max %.0f\n",
		lates[0], percentile(lates, 50), percentile(lates, 95), percentile(lates, 99), lates[len(lates)-1])
	last := time.Duration(lates[len(lates)-1] * float64(time.Millisecond))
	b.printf("breaches/second: %.0f (%d breaches, the last %v after the due time)\n",
		float64(len(lates))/last.Seconds(), len(lates), last.Round(time.Millisecond))
	b.printf("caught by:       timers %.0f, sweeper %.0f\n", recorded-bySweeper, bySweeper)
	once := history == len(lates) && notes == 2*len(lates) && agencyNotes == len(lates) && int(recorded) == len(lates)
	b.printf("exactly once:    %v (history rows %d, breach notifications %d, recorded by workers %.0f)\n",
		once, history, notes, recorded)
	if !once {
		return errors.New("a breach was recorded more or less than once")
	}
	return nil
}

// percentile returns the p-th percentile of sorted values (nearest rank).
func percentile(sorted []float64, p float64) float64 {
	i := int(float64(len(sorted))*p/100+0.5) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// sum adds up a counter of a registry over its series, or over those whose
// kind label is kind when kind is not empty.
func sum(reg *prometheus.Registry, name, kind string) float64 {
	mfs, err := reg.Gather()
	if err != nil {
		return 0
	}
	var total float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
		for _, m := range mf.GetMetric() {
			match := kind == ""
			for _, l := range m.GetLabel() {
				if l.GetName() == "kind" && l.GetValue() == kind {
					match = true
				}
			}
			if !match {
				continue
			}
			total += m.GetCounter().GetValue()
		}
	}
	return total
}
