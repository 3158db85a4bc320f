// Command caseflow runs the child-abuse case workflow service: the HTTP API,
// the background worker, migrations, seeds and maintenance commands.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/clock"
	"caseflow/internal/config"
	"caseflow/internal/gateway"
	"caseflow/internal/limiter"
	"caseflow/internal/mail"
	"caseflow/internal/postgres"
	"caseflow/internal/queue"
	"caseflow/internal/seal"
	"caseflow/internal/server"
	"caseflow/internal/synthetic"
	"caseflow/internal/workflow"
)

const usage = `caseflow — child-abuse case workflow service

Usage:
  caseflow dev                      create, migrate and seed the local database, then run API and worker
  caseflow serve                    run the HTTP API
  caseflow worker                   run the background worker
  caseflow migrate                  apply pending schema migrations
  caseflow seed                     load reference data (units, agencies, holidays)
  caseflow seed --synthetic N       ... and N fictional cases with histories since 2021 (for demos and measurement;
                                    flags --from YYYY-MM-DD, --seed S, --writers W; needs ENCRYPTION_KEYS)
  caseflow audit verify             verify the audit trail's hash chain
  caseflow notifications retry-dead put every dead delivery (all its retries failed) back on the queue
  caseflow compliance rollup        roll every queued case up into the compliance roll-up now (the worker does
                                    it continuously)
  caseflow compliance rebuild       count the compliance roll-up afresh from the cases, set-wise (after a bulk
                                    load or a restore; writes to cases wait while it runs)
  caseflow units remap [--dry-run]  hand the open cases of communes that have ended to today's agencies
                                    (--dry-run: report what it would do, change nothing)
  caseflow workflows check [DIR]    validate workflow definitions
  caseflow keys generate            print fresh ENCRYPTION_KEYS, BLIND_INDEX_KEY and TOKEN_SECRET
  caseflow keys rotate              wrap every case's data key with the first key of ENCRYPTION_KEYS (resumable, online)
  caseflow keys verify              open every wrapped data key; fails if one does not open
  caseflow retention [--dry-run]    erase the personal data of the cases whose retention (RETENTION) has ended; --dry-run lists them
  caseflow cases shred CODE REASON  erase a case's personal data for good (its data key); codes, dates and figures stay
`

// DemoPassword is the password of every demo account; dev mode only.
const DemoPassword = "demo1234!"

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := NewMain(os.Getenv, os.Stdout, os.Stderr)
	err := m.Run(ctx, os.Args[1:])
	m.Close()
	if err != nil {
		fmt.Fprintln(os.Stderr, "caseflow:", err)
		os.Exit(1)
	}
}

// Main wires the program together; it holds no globals.
type Main struct {
	// RedisNamespace names the worker's asynq queue and prefixes the API's
	// rate-limit keys in Redis; default "caseflow". Tests set their own, so
	// that they share a Redis with nothing else.
	RedisNamespace string

	getenv config.Getenv
	stdout io.Writer
	stderr io.Writer
	log    *slog.Logger

	cfg   *config.Config
	db    *postgres.DB
	redis *redis.Client
	flows *workflow.Registry
	reg   *prometheus.Registry
	// metrics are the worker's; registered once so that dev mode, which
	// runs API and worker together, serves them on the API's /metrics.
	metrics *queue.Metrics
}

// NewMain returns a Main reading its environment through getenv.
func NewMain(getenv config.Getenv, stdout, stderr io.Writer) *Main {
	return &Main{getenv: getenv, stdout: stdout, stderr: stderr}
}

// Close releases what Run opened.
func (m *Main) Close() {
	if m.db != nil {
		m.db.Close()
	}
	if m.redis != nil {
		m.redis.Close()
	}
}

// Run executes one command.
func (m *Main) Run(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		fmt.Fprint(m.stdout, usage)
		return nil
	}
	switch args[0] {
	case "keys":
		if len(args) != 2 || (args[1] != "generate" && args[1] != "rotate" && args[1] != "verify") {
			return errors.New("usage: caseflow keys generate|rotate|verify")
		}
		if args[1] == "generate" {
			fmt.Fprintf(m.stdout, "ENCRYPTION_KEYS=k%s:%s\nBLIND_INDEX_KEY=%s\nTOKEN_SECRET=%s\n",
				clock.Now().UTC().Format("20060102"), seal.NewKey(), seal.NewKey(), seal.NewKey())
			return nil
		}
	case "workflows":
		if len(args) < 2 || args[1] != "check" {
			return errors.New("usage: caseflow workflows check [DIR]")
		}
		dir := or(m.getenv("WORKFLOWS_DIR"), "workflows")
		if len(args) > 2 {
			dir = args[2]
		}
		reg, err := workflow.LoadDir(dir)
		if err != nil {
			return err
		}
		for _, d := range reg.All() {
			fmt.Fprintf(m.stdout, "%s v%d: ok (%d states, %d events, %d clocks)\n", d.ID, d.Version, len(d.States), len(d.Events), len(d.Clocks))
		}
		return nil
	case "serve", "worker", "migrate", "seed", "audit", "dev", "units", "compliance", "notifications", "cases", "retention":
	default:
		return fmt.Errorf("unknown command %q\n\n%s", args[0], usage)
	}

	dev := args[0] == "dev"
	getenv := m.getenv
	if dev {
		var err error
		if getenv, err = devEnv(m.getenv, m.stderr); err != nil {
			return err
		}
	}
	needsSecrets := args[0] == "serve" || args[0] == "worker" || args[0] == "dev"
	cfg, err := config.Load(getenv, needsSecrets)
	if err != nil {
		return err
	}
	m.cfg = cfg
	m.log = newLogger(m.stderr, cfg.LogLevel)

	var keys *seal.KeyRing
	if cfg.EncryptionKeys != "" && cfg.BlindIndexKey != nil {
		if keys, err = seal.NewKeyRing(cfg.EncryptionKeys, cfg.BlindIndexKey); err != nil {
			return &config.Error{Var: "ENCRYPTION_KEYS", Msg: err.Error()}
		}
	}
	if needsSecrets {
		// The workflows, and the configuration that names parts of them,
		// are checked before anything is reached over the network.
		if err := m.loadWorkflows(); err != nil {
			return err
		}
	}
	if dev {
		if err := postgres.CreateDatabase(ctx, cfg.DatabaseURL); err != nil {
			return err
		}
	}
	if m.db, err = postgres.Open(ctx, cfg.DatabaseURL, keys, m.log); err != nil {
		return err
	}
	m.db.CodePrefix = cfg.CodePrefix
	m.db.DutyEmails = cfg.NotifyEmailTo

	switch args[0] {
	case "migrate":
		return m.migrate(ctx)
	case "keys":
		if keys == nil {
			return &config.Error{Var: "ENCRYPTION_KEYS", Msg: "is required (with BLIND_INDEX_KEY) to open the data keys"}
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		if args[1] == "rotate" {
			return m.rotateKeys(ctx)
		}
		return m.verifyKeys(ctx)
	case "retention":
		if len(args) > 2 || (len(args) == 2 && args[1] != "--dry-run") {
			return errors.New("usage: caseflow retention [--dry-run]")
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		return m.retention(ctx, len(args) == 2)
	case "cases":
		if len(args) != 4 || args[1] != "shred" || strings.TrimSpace(args[3]) == "" {
			return errors.New("usage: caseflow cases shred CODE REASON")
		}
		if keys == nil {
			return &config.Error{Var: "ENCRYPTION_KEYS", Msg: "is required (with BLIND_INDEX_KEY)"}
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		v := caseflow.Viewer{Username: "caseflow cases shred", RequestID: "cli"}
		if err := m.db.ShredCase(ctx, v, args[2], args[3]); err != nil {
			return err
		}
		fmt.Fprintf(m.stdout, "case %s: personal data erased (its data key is destroyed); its code, dates and figures remain\n", args[2])
		return nil
	case "seed":
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		if err := m.db.SeedReference(ctx); err != nil {
			return err
		}
		return m.seedSynthetic(ctx, args[1:])
	case "audit":
		if len(args) < 2 || args[1] != "verify" {
			return errors.New("usage: caseflow audit verify")
		}
		return m.auditVerify(ctx)
	case "notifications":
		if len(args) != 2 || args[1] != "retry-dead" {
			return errors.New("usage: caseflow notifications retry-dead")
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		n, err := m.db.RetryDeadDeliveries(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.stdout, "notifications: %d dead deliveries queued again (the worker sends them)\n", n)
		return nil
	case "compliance":
		if len(args) != 2 || (args[1] != "rollup" && args[1] != "rebuild") {
			return errors.New("usage: caseflow compliance rollup|rebuild")
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		if args[1] == "rebuild" {
			return m.rebuildRollUp(ctx)
		}
		return m.rollUp(ctx)
	case "units":
		if len(args) < 2 || args[1] != "remap" || (len(args) > 2 && (len(args) > 3 || args[2] != "--dry-run")) {
			return errors.New("usage: caseflow units remap [--dry-run]")
		}
		if err := m.db.CheckSchema(ctx); err != nil {
			return err
		}
		return m.remap(ctx, len(args) == 3)
	}

	// serve, worker, dev: the workflows were loaded and checked above.
	rconn, err := queue.ParseRedis(cfg.RedisURL)
	if err != nil {
		return &config.Error{Var: "REDIS_URL", Msg: err.Error()}
	}
	m.redis = rconn.NewClient()
	if err := queue.PingRedis(ctx, m.redis, rconn.Where()); err != nil {
		return err
	}
	if dev {
		if err := m.devSetup(ctx); err != nil {
			return err
		}
	}
	if err := m.db.CheckSchema(ctx); err != nil {
		return err
	}
	if err := m.db.CheckKeys(ctx); err != nil {
		return err
	}

	m.reg = prometheus.NewRegistry()
	m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	m.metrics = queue.NewMetrics(m.reg, m.db)
	g, gctx := errgroup.WithContext(ctx)
	if cfg.ReplicaURL != "" && (args[0] == "serve" || dev) {
		if err := m.db.UseReplica(gctx, cfg.ReplicaURL, cfg.ReplicaMaxLag); err != nil {
			return &config.Error{Var: "DATABASE_REPLICA_URL", Msg: err.Error()}
		}
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "caseflow_replica_lag_seconds",
			Help: "How far the replica that serves compliance figures is behind the primary (-1: not answering)."}, func() float64 {
			st := m.db.ReplicaState()
			if !st.Up {
				return -1
			}
			return st.Lag.Seconds()
		}))
	}
	if args[0] == "serve" || dev {
		g.Go(func() error { return m.serve(gctx) })
	}
	if args[0] == "worker" || dev {
		g.Go(func() error { return m.worker(gctx) })
	}
	return g.Wait()
}

func (m *Main) services() (*account.Service, *casework.Service) {
	acc := &account.Service{Store: m.db, Limiter: &limiter.Redis{Client: m.redis, Prefix: m.namespace() + ":"},
		Secret: m.cfg.TokenSecret, TTL: m.cfg.SessionTTL}
	cw := casework.New(casework.Config{Store: m.db, Workflows: m.flows, WorkflowID: m.cfg.WorkflowID, WorkflowVersion: m.cfg.WorkflowVersion, CalendarPolicy: m.cfg.CalendarPolicy,
		Readings: m.cfg.WorkflowReadings, ComplianceArticles: m.cfg.ComplianceArticles, Retention: m.cfg.Retention,
		SubjectRequestDays: m.cfg.SubjectRequestDays})
	return acc, cw
}

func (m *Main) serve(ctx context.Context) error {
	acc, cw := m.services()
	opt, err := queue.RedisOpt(m.cfg.RedisURL)
	if err != nil {
		return err
	}
	srv := server.New(server.Config{Accounts: acc, Cases: cw, Workflows: m.flows, Log: m.log, Metrics: m.reg,
		TrustProxy: m.cfg.TrustProxy, QueueMonitor: queue.Monitor(opt), MonitorPath: queue.MonitorPath,
		Ready: map[string]server.Pinger{"postgres": m.db, "redis": redisPinger{m.redis}}})
	ln, err := net.Listen("tcp", m.cfg.HTTPAddr)
	if err != nil {
		return &config.Error{Var: "HTTP_ADDR", Msg: err.Error()}
	}
	hs := &http.Server{Handler: srv, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	m.log.Info("listening", "url", "http://"+ln.Addr().String())
	errc := make(chan error, 1)
	go func() { errc <- hs.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	m.log.Info("shutting down the API")
	return hs.Shutdown(sctx)
}

func (m *Main) worker(ctx context.Context) error {
	opt, err := queue.RedisOpt(m.cfg.RedisURL)
	if err != nil {
		return err
	}
	w := &queue.Worker{DB: m.db, Redis: opt, Queue: m.namespace(), Log: m.log, Metrics: m.metrics,
		SweepInterval: m.cfg.SweepInterval, TimerCheckInterval: m.cfg.TimerCheckInterval}
	w.DigestHour = &m.cfg.DigestHour
	if m.cfg.Retention.Enabled() {
		cw := casework.New(casework.Config{Store: m.db, Retention: m.cfg.Retention})
		w.Retention = func(ctx context.Context) error {
			done, failed, err := cw.ApplyRetention(ctx, 500)
			for _, c := range done {
				m.log.Info("retention: personal data erased", "case", c.Code, "outcome", c.Outcome)
			}
			for _, e := range failed {
				m.log.Error("retention: a case could not be erased", "err", e.Error())
			}
			return err
		}
	}
	w.Senders = map[string]caseflow.Sender{}
	if m.cfg.SMTPAddr != "" {
		w.Senders[caseflow.ChannelEmail] = &mail.Mailer{Addr: m.cfg.SMTPAddr, From: m.cfg.SMTPFrom, TLS: mail.TLS(m.cfg.SMTPTLS),
			Username: m.cfg.SMTPUsername, Password: m.cfg.SMTPPassword}
	}
	if m.cfg.SMSWebhookURL != "" {
		w.Senders[caseflow.ChannelSMS] = &gateway.Webhook{URL: m.cfg.SMSWebhookURL, Secret: m.cfg.SMSWebhookSecret}
	}
	return w.Run(ctx)
}

// remap reports, and unless dryRun carries out, the handover of open cases
// of communes that have ended.
func (m *Main) remap(ctx context.Context, dryRun bool) error {
	cw := casework.New(casework.Config{Store: m.db})
	v := caseflow.Viewer{Username: "caseflow units remap", RequestID: "cli"}
	rep, err := cw.RemapOpenCases(ctx, v, !dryRun)
	if err != nil {
		return err
	}
	moves, problems := 0, 0
	for _, c := range rep.Cases {
		today := "successor not established"
		if c.Today != nil {
			today = fmt.Sprintf("now part of %s %s", c.Today.Code, c.Today.Name)
		}
		if c.Split {
			today += " (split: follows the main part"
			if !c.SplitVerified {
				today += ", unverified"
			}
			today += ")"
		}
		fmt.Fprintf(m.stdout, "%s  %s  %s %s (%s) → %s\n", c.Code, c.State, c.Commune.Code, c.Commune.Name, c.Commune.Structure, today)
		for _, mv := range c.Moves {
			fmt.Fprintf(m.stdout, "    %s %s: %s → %s\n", mv.Kind, mv.What, mv.From, mv.To)
		}
		for _, p := range c.Problems {
			fmt.Fprintf(m.stdout, "    to settle: %s\n", p)
		}
		moves += len(c.Moves)
		problems += len(c.Problems)
	}
	verb := "would hand over"
	if rep.Applied {
		verb = "handed over"
	}
	fmt.Fprintf(m.stdout, "%d open cases of communes that ended; %s %d grants and clocks; %d to settle by hand (as of %s)\n",
		len(rep.Cases), verb, moves, problems, rep.On.Format("2006-01-02"))
	return nil
}

func (m *Main) auditVerify(ctx context.Context) error {
	if _, err := m.db.SealAudit(ctx); err != nil {
		return err
	}
	rep, err := m.db.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	if rep.Broken != "" {
		return fmt.Errorf("audit chain broken after %d good seals: %s", rep.Seals-1, rep.Broken)
	}
	fmt.Fprintf(m.stdout, "audit chain intact: %d seals, %d entries, %d not yet sealed\n", rep.Seals, rep.Entries, rep.Unsealed)
	return nil
}

// migrate applies the pending migrations, then derives the roles of rows
// recorded before roles were stored, from the loaded workflow definitions.
func (m *Main) migrate(ctx context.Context) error {
	if err := m.db.Migrate(ctx); err != nil {
		return err
	}
	flows := m.flows
	if flows == nil {
		var err error
		if flows, err = workflow.LoadDir(m.cfg.WorkflowsDir); err != nil {
			return fmt.Errorf("WORKFLOWS_DIR %s: %w", m.cfg.WorkflowsDir, err)
		}
	}
	var vocab []caseflow.Vocabulary
	for _, d := range flows.All() {
		vocab = append(vocab, d.Vocabulary())
	}
	n, err := m.db.DeriveRoles(ctx, vocab)
	if err != nil {
		return fmt.Errorf("deriving the roles of recorded events and clocks: %w", err)
	}
	if n > 0 {
		m.log.Info("derived the roles of rows recorded before roles were stored", "rows", n)
	}
	return nil
}

// devSetup migrates, seeds reference and demo data, and prints how to log in.
func (m *Main) devSetup(ctx context.Context) error {
	if err := m.migrate(ctx); err != nil {
		return err
	}
	if err := m.db.CheckKeys(ctx); err != nil {
		return fmt.Errorf("%w\nthe dev keys in %s do not match the database %s: restore the file, or start afresh with `dropdb -h 127.0.0.1 -U postgres caseflow`",
			err, devKeyFile, postgres.Where(m.cfg.DatabaseURL))
	}
	if err := m.db.SeedReference(ctx); err != nil {
		return err
	}
	hash, err := account.HashPassword(DemoPassword, account.DefaultParams)
	if err != nil {
		return err
	}
	users, err := m.db.SeedDemoUsers(ctx, hash)
	if err != nil {
		return err
	}
	_, cw := m.services()
	n, err := cw.SeedDemoCases(ctx)
	if err != nil {
		return err
	}
	names := make([]string, 0, len(users))
	for _, u := range users {
		if !u.Disabled { // accounts of agencies that ended keep their history only
			names = append(names, fmt.Sprintf("%s (%s, %s)", u.Username, u.Role, u.Agency))
		}
	}
	fmt.Fprintf(m.stdout, "\ncaseflow is running at http://%s\n  API: http://%s/api/v1   OpenAPI: http://%s/api/openapi.yaml\n"+
		"  demo logins (password %s): %s\n  demo cases created now: %d\n\n",
		m.cfg.HTTPAddr, m.cfg.HTTPAddr, m.cfg.HTTPAddr, DemoPassword, strings.Join(names, ", "), n)
	return nil
}

// namespace is RedisNamespace or its default.
func (m *Main) namespace() string { return or(m.RedisNamespace, "caseflow") }

type redisPinger struct{ c *redis.Client }

func (r redisPinger) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

func newLogger(w io.Writer, level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: l}))
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// seedSynthetic handles the seed command's flags: --synthetic N generates
// N fictional cases after the reference data, on the newest version of the
// intake workflow.
func (m *Main) seedSynthetic(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("seed", flag.ContinueOnError)
	fs.SetOutput(m.stderr)
	n := fs.Int("synthetic", 0, "generate this many fictional cases with realistic histories")
	from := fs.String("from", "2021-01-01", "earliest day a synthetic report is received (YYYY-MM-DD)")
	seed := fs.Uint64("seed", 1, "random seed: the same seed gives the same cases, up to the moment they reach now")
	writers := fs.Int("writers", 2, "connections writing at once")
	checkRefs := fs.Bool("check-references", false, "keep foreign-key checks on while loading (a superuser skips them by default)")
	version := fs.Int("workflow-version", synthetic.WalkedVersion, "the workflow version the cases are written on (the generator walks version 1)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *n <= 0 {
		return nil
	}
	start, err := time.ParseInLocation("2006-01-02", *from, caseflow.Zone)
	if err != nil {
		return fmt.Errorf("--from: must be a date YYYY-MM-DD")
	}
	flows, err := workflow.LoadDir(m.cfg.WorkflowsDir)
	if err != nil {
		return fmt.Errorf("WORKFLOWS_DIR %s: %w", m.cfg.WorkflowsDir, err)
	}
	def, ok := flows.Get(m.cfg.WorkflowID, *version)
	if !ok {
		return &config.Error{Var: "WORKFLOW_ID", Msg: fmt.Sprintf("no definition %q v%d in %s", m.cfg.WorkflowID, *version, m.cfg.WorkflowsDir)}
	}
	// The generator allocates many short-lived rows; collecting garbage
	// less often leaves the processor to the database.
	debug.SetGCPercent(400)
	res, err := synthetic.Generate(ctx, m.db, def, synthetic.Options{Cases: *n, From: start, Seed: *seed, Writers: *writers,
		CheckReferences: *checkRefs, Now: m.db.Now, Progress: func(done int) {
			if done%100000 == 0 || done == *n {
				fmt.Fprintf(m.stderr, "synthetic: %d of %d cases\n", done, *n)
			}
		}})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "synthetic: %d cases, %d children, %d access grants, %d history rows, %d clocks in %s\n",
		res.Cases, res.People, res.Access, res.History, res.Clocks, res.Elapsed.Round(time.Millisecond))
	// Its children become searchable by name.
	start = time.Now()
	indexed := 0
	for after := int64(0); ; {
		n, next, err := m.db.IndexChildNames(ctx, after, 10000)
		if err != nil {
			return err
		}
		if indexed, after = indexed+n, next; next == 0 {
			break
		}
	}
	fmt.Fprintf(m.stdout, "name index: %d children in %s\n", indexed, time.Since(start).Round(time.Millisecond))
	return m.rebuildRollUp(ctx)
}

// rebuildRollUp counts the compliance roll-up afresh.
func (m *Main) rebuildRollUp(ctx context.Context) error {
	start := time.Now()
	if err := m.db.RebuildComplianceRollUp(ctx); err != nil {
		return err
	}
	fmt.Fprintf(m.stdout, "compliance roll-up rebuilt in %s\n", time.Since(start).Round(time.Millisecond))
	return nil
}

// rollUp rolls the whole compliance queue up, with progress.
func (m *Main) rollUp(ctx context.Context) error {
	queued, err := m.db.ComplianceQueue(ctx)
	if err != nil {
		return err
	}
	start, cases, next := time.Now(), 0, 100000
	for {
		n, err := m.db.RollUpCompliance(ctx, 2000)
		if err != nil {
			return err
		}
		cases += n
		if cases >= next {
			fmt.Fprintf(m.stderr, "compliance roll-up: %d cases\n", cases)
			next += 100000
		}
		if n == 0 {
			break
		}
	}
	fmt.Fprintf(m.stdout, "compliance roll-up: %d changes of %d cases rolled up in %s\n", queued, cases, time.Since(start).Round(time.Millisecond))
	return nil
}

// loadWorkflows loads WORKFLOWS_DIR and checks that WORKFLOW_ID,
// WORKFLOW_VERSION and WORKFLOW_READINGS name what it holds.
func (m *Main) loadWorkflows() error {
	cfg := m.cfg
	var err error
	if m.flows, err = workflow.LoadDir(cfg.WorkflowsDir); err != nil {
		return fmt.Errorf("WORKFLOWS_DIR %s: %w", cfg.WorkflowsDir, err)
	}
	if _, ok := m.flows.Latest(cfg.WorkflowID); !ok {
		return &config.Error{Var: "WORKFLOW_ID", Msg: fmt.Sprintf("no definition %q in %s", cfg.WorkflowID, cfg.WorkflowsDir)}
	}
	if _, ok := m.flows.Get(cfg.WorkflowID, cfg.WorkflowVersion); cfg.WorkflowVersion > 0 && !ok {
		return &config.Error{Var: "WORKFLOW_VERSION", Msg: fmt.Sprintf("no version %d of %q in %s", cfg.WorkflowVersion, cfg.WorkflowID, cfg.WorkflowsDir)}
	}
	return checkReadings(m.flows, cfg)
}

// checkReadings refuses a WORKFLOW_READINGS entry that no loaded definition
// declares, or an option its reading does not have: a misspelt switch would
// otherwise leave the province on the default without a word.
func checkReadings(flows *workflow.Registry, cfg *config.Config) error {
	for id, opt := range cfg.WorkflowReadings {
		known := false
		for _, d := range flows.All() {
			if r, ok := d.Reading(id); ok && d.ID == cfg.WorkflowID {
				if _, ok := r.Options[opt]; !ok {
					return &config.Error{Var: "WORKFLOW_READINGS", Msg: fmt.Sprintf("reading %s of %s v%d has no option %q", id, d.ID, d.Version, opt)}
				}
				known = true
			}
		}
		if !known {
			return &config.Error{Var: "WORKFLOW_READINGS", Msg: fmt.Sprintf("no loaded definition of %s declares a reading %q", cfg.WorkflowID, id)}
		}
	}
	return nil
}

// rotateKeys makes the first key of ENCRYPTION_KEYS wrap every case's data
// key: the cases filed before data keys get theirs first, then every data
// key wrapped by another master key is wrapped again, a case at a time, in
// short transactions, so it may run while the service does and be stopped
// and run again. The old master key may leave ENCRYPTION_KEYS once
// `caseflow keys verify` shows it wraps nothing.
func (m *Main) rotateKeys(ctx context.Context) error {
	start := time.Now()
	adopted, failed := 0, 0
	for after := int64(0); ; {
		n, next, err := m.db.AdoptCaseKeys(ctx, after, 500)
		adopted += n
		if err != nil {
			failed++
			fmt.Fprintf(m.stderr, "keys rotate: case id %d could not be given its data key: %v\n", next, err)
		}
		if next == 0 {
			break
		}
		after = next
	}
	rewrapped := 0
	for after := int64(0); ; {
		n, next, err := m.db.RewrapKeys(ctx, after, 500)
		if err != nil {
			return fmt.Errorf("after %d data keys: %w (run it again to go on)", rewrapped, err)
		}
		rewrapped += n
		if n > 0 {
			fmt.Fprintf(m.stderr, "keys rotate: %d data keys wrapped again\n", rewrapped)
		}
		if next == 0 {
			break
		}
		after = next
	}
	fmt.Fprintf(m.stdout, "keys rotate: %d cases given a data key, %d data keys wrapped again with %q in %s\n",
		adopted, rewrapped, m.db.Keys.ActiveKeyID(), time.Since(start).Round(time.Millisecond))
	if failed > 0 {
		return fmt.Errorf("%d cases could not be given a data key (see above)", failed)
	}
	return m.verifyKeys(ctx)
}

// verifyKeys opens every wrapped data key and says which master keys wrap
// them; it fails if one does not open.
func (m *Main) verifyKeys(ctx context.Context) error {
	ok := 0
	var bad []string
	for after := int64(0); ; {
		n, b, next, err := m.db.VerifyKeys(ctx, after, 2000)
		if err != nil {
			return err
		}
		ok, bad = ok+n, append(bad, b...)
		if next == 0 {
			break
		}
		after = next
	}
	by, shredded, without, err := m.db.KeyCounts(ctx)
	if err != nil {
		return err
	}
	ids := make([]string, 0, len(by))
	for id := range by {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(m.stdout, "keys verify: master key %q wraps %d data keys\n", id, by[id])
	}
	fmt.Fprintf(m.stdout, "keys verify: %d data keys open, %d cases shredded, %d cases still without a data key\n", ok, shredded, without)
	if len(bad) > 0 {
		return fmt.Errorf("%d data keys do not open with ENCRYPTION_KEYS: %s", len(bad), strings.Join(bad, ", "))
	}
	return nil
}

// retention erases the personal data of the cases whose retention under
// RETENTION has ended, or with dryRun lists them and changes nothing.
func (m *Main) retention(ctx context.Context, dryRun bool) error {
	if !m.cfg.Retention.Enabled() {
		fmt.Fprintln(m.stdout, "retention: RETENTION is not set: personal data is kept with no end, nothing is erased")
		return nil
	}
	cw := casework.New(casework.Config{Store: m.db, Retention: m.cfg.Retention})
	fmt.Fprintf(m.stdout, "retention: policy %s\n", m.cfg.Retention)
	if dryRun {
		due, err := cw.DueForErasure(ctx, 0, 1_000_000)
		if err != nil {
			return err
		}
		for _, c := range due {
			fmt.Fprintf(m.stdout, "%s\t%s\tclosed %s\tdue %s\n", c.Code, c.Outcome,
				caseflow.Local(c.ClosedAt).Format("2006-01-02"), caseflow.Local(c.ShredAfter).Format("2006-01-02"))
		}
		fmt.Fprintf(m.stdout, "retention: %d cases would have their personal data erased (dry run: nothing changed)\n", len(due))
		return nil
	}
	total, failures := 0, 0
	for {
		done, failed, err := cw.ApplyRetention(ctx, 500)
		if err != nil {
			return err
		}
		for _, c := range done {
			fmt.Fprintf(m.stdout, "%s\t%s\tclosed %s\terased\n", c.Code, c.Outcome, caseflow.Local(c.ClosedAt).Format("2006-01-02"))
		}
		for _, e := range failed {
			fmt.Fprintln(m.stderr, "retention:", e)
		}
		total, failures = total+len(done), failures+len(failed)
		if len(done) == 0 {
			break
		}
	}
	fmt.Fprintf(m.stdout, "retention: %d cases had their personal data erased\n", total)
	if failures > 0 {
		return fmt.Errorf("%d cases could not be erased (see above)", failures)
	}
	return nil
}
