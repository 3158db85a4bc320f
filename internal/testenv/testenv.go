// Package testenv builds the real dependencies for tests: a PostgreSQL
// database of the test package's own (created, migrated and seeded, then
// dropped), the Redis server, demo accounts, and the full HTTP API on an
// httptest server. Nothing here is faked.
package testenv

import (
	"bytes"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the raw SQL of tests
	"github.com/redis/go-redis/v9"

	"caseflow/internal/account"
	"caseflow/internal/clock"
	"caseflow/internal/postgres"
	"caseflow/internal/seal"
)

// Password is the password of every test account.
const Password = "demo1234!"

// FastParams makes password hashing cheap in tests.
var FastParams = account.Params{Time: 1, Memory: 1024, Threads: 1}

// AdminURL is the server-level database URL used to create test databases;
// TEST_DATABASE_URL overrides it.
func AdminURL() string {
	if v := os.Getenv("TEST_DATABASE_URL"); v != "" {
		return v
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisURL is the Redis used by tests; TEST_REDIS_URL overrides it.
func RedisURL() string {
	if v := os.Getenv("TEST_REDIS_URL"); v != "" {
		return v
	}
	return "redis://127.0.0.1:6379/0"
}

// Keys returns a fresh key ring for a test database.
func Keys() *seal.KeyRing {
	b, _ := hexKey()
	kr, err := seal.NewKeyRing("t1:"+seal.NewKey(), b)
	if err != nil {
		panic(err)
	}
	return kr
}

func hexKey() ([]byte, error) {
	b := make([]byte, 32)
	_, err := rand.Read(b)
	return b, err
}

// Suffix returns a short random string for unique names.
func Suffix() string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Database is a database of one test package.
type Database struct {
	URL  string
	DB   *postgres.DB
	Logs *LogBuffer

	sql *sql.DB // for the raw SQL of tests (sql.go)
}

// NewDatabase creates, migrates and seeds a database named after the test
// package, with demo accounts. Databases left by crashed runs more than an
// hour old are dropped first. Call Close when done.
func NewDatabase(ctx context.Context, pkg string) (*Database, error) {
	dropStale(ctx)
	name := fmt.Sprintf("caseflow_test_%s_%d_%s", pkg, clock.Now().Unix(), Suffix())
	admin := AdminURL()
	u := strings.Replace(admin, "/postgres?", "/"+name+"?", 1)
	if err := postgres.CreateDatabase(ctx, u); err != nil {
		return nil, err
	}
	logs := &LogBuffer{}
	db, err := postgres.Open(ctx, u, Keys(), slog.New(slog.NewJSONHandler(logs, nil)))
	if err != nil {
		return nil, err
	}
	if err := db.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := db.SeedReference(ctx); err != nil {
		return nil, err
	}
	hash, err := account.HashPassword(Password, FastParams)
	if err != nil {
		return nil, err
	}
	if _, err := db.SeedDemoUsers(ctx, hash); err != nil {
		return nil, err
	}
	raw, err := sql.Open("pgx", u)
	if err != nil {
		return nil, err
	}
	return &Database{URL: u, DB: db, Logs: logs, sql: raw}, nil
}

// Close closes and drops the database.
func (d *Database) Close() {
	d.DB.Close()
	_ = d.sql.Close()
	_ = postgres.DropDatabase(context.Background(), d.URL)
}

// dropStale drops test databases older than an hour, left by crashed runs.
func dropStale(ctx context.Context) {
	conn, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, `SELECT datname FROM pg_database WHERE datname LIKE 'caseflow\_test\_%'`)
	if err != nil {
		return
	}
	var stale []string
	cutoff := clock.Now().Add(-time.Hour).Unix()
	for rows.Next() {
		var n string
		if rows.Scan(&n) != nil {
			continue
		}
		parts := strings.Split(n, "_")
		if len(parts) < 5 {
			continue
		}
		var ts int64
		if _, err := fmt.Sscan(parts[len(parts)-2], &ts); err == nil && ts < cutoff {
			stale = append(stale, n)
		}
	}
	rows.Close()
	for _, n := range stale {
		_, _ = conn.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{n}.Sanitize()+" WITH (FORCE)")
	}
}

// Redis returns a client of the test Redis.
func Redis() (*redis.Client, error) {
	opt, err := redis.ParseURL(RedisURL())
	if err != nil {
		return nil, err
	}
	return redis.NewClient(opt), nil
}

// LogBuffer collects log output so tests can check it for personal data.
type LogBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

// Write implements io.Writer.
func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

// String returns everything logged so far.
func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}
