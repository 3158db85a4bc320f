package postgres

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"caseflow/internal/clock"
	"caseflow/internal/seal"
	"caseflow/migrations"
)

// DB is the storage. Create it with Open; it is safe for concurrent use.
type DB struct {
	gorm *gorm.DB
	sql  *sql.DB
	url  string
	// counters hands out case numbers on connections of their own that do
	// not wait for the disk at commit (see nextCode).
	counters    *gorm.DB
	countersSQL *sql.DB
	// replica, when set, serves the reads that may be a little behind.
	replica *replica

	// Keys seals and opens personal data.
	Keys *seal.KeyRing
	// Now is the time source; tests move it. Defaults to time.Now.
	Now func() time.Time
	// Log receives operational messages; never personal data.
	Log *slog.Logger
	// CodePrefix starts every case code, e.g. "HY" for Hưng Yên.
	CodePrefix string
	// DutyEmails receive an e-mail of every breach the supervisors are
	// told of (NOTIFY_EMAIL_TO: a provincial duty desk), beside the
	// contact points.
	DutyEmails []string
}

// Where returns a safe description of a database URL (no password), for
// messages that say where a connection was tried.
func Where(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.Host == "" {
		return "the configured database"
	}
	return fmt.Sprintf("%s (database %q)", u.Host, strings.TrimPrefix(u.Path, "/"))
}

// Open connects to the database at dsn and checks that it answers.
func Open(ctx context.Context, dsn string, keys *seal.KeyRing, log *slog.Logger) (*DB, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	db := &DB{url: dsn, Keys: keys, Now: clock.Now, Log: log, CodePrefix: "HY"}
	g, err := gorm.Open(postgres.Open(dsn), &gorm.Config{
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true,
		// Rows stamped by gorm take the storage's own (injectable) clock.
		NowFunc: func() time.Time { return db.now() },
	})
	if err != nil {
		return nil, unreachable(dsn, err)
	}
	sqlDB, err := g.DB()
	if err != nil {
		return nil, err
	}
	sqlDB.SetMaxOpenConns(32)
	sqlDB.SetMaxIdleConns(32)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pctx); err != nil {
		sqlDB.Close()
		return nil, unreachable(dsn, err)
	}
	db.gorm, db.sql = g, sqlDB
	if err := db.openCounters(dsn); err != nil {
		sqlDB.Close()
		return nil, err
	}
	return db, nil
}

// openCounters opens the small pool the case numbers are drawn on, with
// synchronous_commit off: a number's commit need not wait for the disk,
// since the case that uses it commits after it and its flush carries the
// number's (an increment lost in a crash belonged to no stored case). The
// counter row is then locked for the statement only, not for an fsync, and
// concurrent intakes do not queue on it.
func (db *DB) openCounters(dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %v", err)
	}
	cfg.RuntimeParams["synchronous_commit"] = "off"
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(4)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard, TranslateError: true,
		SkipDefaultTransaction: true})
	if err != nil {
		sqlDB.Close()
		return err
	}
	db.counters, db.countersSQL = g, sqlDB
	return nil
}

func unreachable(dsn string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "3D000" {
		return fmt.Errorf("database %s does not exist: run `caseflow dev` or create it (%s)", Where(dsn), pgErr.Message)
	}
	return fmt.Errorf("cannot reach PostgreSQL at %s: %v; start it with `pg_ctlcluster --skip-systemctl-redirect 15 main start` or set DATABASE_URL", Where(dsn), err)
}

// Close releases the connections.
func (db *DB) Close() error {
	cerr := db.countersSQL.Close()
	if err := db.sql.Close(); err != nil {
		return err
	}
	return cerr
}

// Ping checks, for readiness probes, that the database answers and would
// take a write: not in recovery, not read-only, and the service's role may
// still write cases and their history (without writing anything).
func (db *DB) Ping(ctx context.Context) error {
	var writable bool
	if err := db.sql.QueryRowContext(ctx, `SELECT NOT pg_is_in_recovery() AND current_setting('transaction_read_only') = 'off'
		AND has_table_privilege(current_user, 'cases', 'INSERT,UPDATE') AND has_table_privilege(current_user, 'case_history', 'INSERT')
		AND has_table_privilege(current_user, 'case_clocks', 'INSERT,UPDATE')`).Scan(&writable); err != nil {
		return err
	}
	if !writable {
		return errors.New("the database does not take writes (read-only, a standby, or the service's role lost its privileges)")
	}
	return nil
}

func (db *DB) now() time.Time { return db.Now().UTC() }

// CurrentTime is the time by the storage's clock (Now), in UTC: the clock
// that decides whether a deadline has passed, for callers that must wait
// on the same clock.
func (db *DB) CurrentTime() time.Time { return db.now() }

// CreateDatabase creates the database named in dsn if it does not exist,
// connecting to the server's "postgres" database to do so.
func CreateDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_URL: %v", err)
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return unreachable(dsn, err)
	}
	defer conn.Close(ctx)
	var exists bool
	if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)", name).Scan(&exists); err != nil {
		return err
	}
	if exists {
		return nil
	}
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == "42P04" { // created concurrently
		return nil
	}
	return err
}

// DropDatabase drops the database named in dsn, for tests.
func DropDatabase(ctx context.Context, dsn string) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return err
	}
	name := cfg.Database
	cfg.Database = "postgres"
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

func newGoose(db *sql.DB) (*goose.Provider, error) {
	return goose.NewProvider(goose.DialectPostgres, db, migrations.FS)
}

// Migrate applies every pending migration. goose holds an advisory lock, so
// several processes may call it at once.
func (db *DB) Migrate(ctx context.Context) error {
	p, err := goose.NewProvider(goose.DialectPostgres, db.sql, migrations.FS,
		goose.WithSessionLocker(mustLocker()))
	if err != nil {
		return err
	}
	res, err := p.Up(ctx)
	for _, r := range res {
		db.Log.Info("migration applied", "version", r.Source.Version, "file", r.Source.Path)
	}
	return err
}

// SchemaStatus returns the database's schema version and the newest one this
// binary knows.
func (db *DB) SchemaStatus(ctx context.Context) (current, latest int64, err error) {
	p, err := newGoose(db.sql)
	if err != nil {
		return 0, 0, err
	}
	current, err = p.GetDBVersion(ctx)
	if err != nil {
		return 0, 0, err
	}
	srcs := p.ListSources()
	if len(srcs) > 0 {
		latest = srcs[len(srcs)-1].Version
	}
	return current, latest, nil
}

// CheckSchema refuses to run on a schema that is behind this binary.
func (db *DB) CheckSchema(ctx context.Context) error {
	current, latest, err := db.SchemaStatus(ctx)
	if err != nil {
		return fmt.Errorf("reading the schema version: %w", err)
	}
	if current < latest {
		return fmt.Errorf("the database schema is at version %d but this binary needs %d: run `caseflow migrate`", current, latest)
	}
	return nil
}

func mustLocker() lock.SessionLocker {
	l, err := lock.NewPostgresSessionLocker()
	if err != nil {
		panic(err) // only fails on invalid options, and none are given
	}
	return l
}
