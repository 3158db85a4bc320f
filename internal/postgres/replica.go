package postgres

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"caseflow/internal/caseflow"
)

// Reads that may be a little behind — compliance figures, their drill-down
// and trend, and the exports made from them — go to a streaming replica
// while it is within the configured lag of the primary, and to the primary
// otherwise (the replica down, restarting, or behind). Writes, and reads
// that must see the latest write (a case page after a save, a worklist),
// always go to the primary.

// replica is the streaming replica and what was last measured of it.
type replica struct {
	gorm   *gorm.DB
	sql    *sql.DB
	maxLag time.Duration

	mu    sync.Mutex
	state caseflow.ReplicaState
}

// UseReplica opens the replica at dsn and measures its lag behind the
// primary every second until ctx ends; reads go to it while the lag is at
// most maxLag. It fails only on a malformed dsn: a replica that does not
// answer yet is measured as down, and the primary serves until it does.
func (db *DB) UseReplica(ctx context.Context, dsn string, maxLag time.Duration) error {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return fmt.Errorf("DATABASE_REPLICA_URL: %v", err)
	}
	sqlDB := stdlib.OpenDB(*cfg)
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(8)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), &gorm.Config{Logger: logger.Discard, TranslateError: true,
		SkipDefaultTransaction: true, DisableAutomaticPing: true})
	if err != nil {
		sqlDB.Close()
		return err
	}
	r := &replica{gorm: g, sql: sqlDB, maxLag: maxLag, state: caseflow.ReplicaState{Configured: true, MaxLag: maxLag}}
	db.replica = r
	r.measure(ctx, db)
	go func() {
		t := time.NewTicker(time.Second)
		defer t.Stop()
		defer sqlDB.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				r.measure(ctx, db)
			}
		}
	}()
	return nil
}

// measure compares the replica's replayed WAL with the primary's: a replica
// that has replayed everything is not behind, however long ago the last
// write was; one that has not is as far behind as its last replayed commit.
func (r *replica) measure(ctx context.Context, db *DB) {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	st := caseflow.ReplicaState{Configured: true, MaxLag: r.maxLag, MeasuredAt: db.now()}
	var primary string
	var replayed struct {
		Replay  *string
		Seconds *float64
		Standby bool
	}
	err := db.gorm.WithContext(ctx).Raw("SELECT pg_current_wal_lsn()::text").Scan(&primary).Error
	if err == nil {
		err = r.gorm.WithContext(ctx).Raw(`SELECT pg_is_in_recovery() AS standby, pg_last_wal_replay_lsn()::text AS replay,
			extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 AS seconds`).Scan(&replayed).Error
	}
	switch {
	case err != nil:
		st.Problem = "not answering"
	case !replayed.Standby || replayed.Replay == nil:
		st.Problem = "not a streaming replica"
	default:
		behind, perr := lsnBehind(primary, *replayed.Replay)
		switch {
		case perr != nil:
			st.Problem = perr.Error()
		case behind <= 0:
			st.Up = true
		case replayed.Seconds == nil:
			st.Problem = "has replayed no commit yet"
		default:
			st.Up, st.Lag = true, time.Duration(*replayed.Seconds*float64(time.Second))
		}
	}
	r.mu.Lock()
	r.state = st
	r.mu.Unlock()
}

// lsnBehind is how many bytes of WAL replay lags write, from their text
// forms ("16/B374D848").
func lsnBehind(write, replay string) (int64, error) {
	w, err := parseLSN(write)
	if err != nil {
		return 0, err
	}
	r, err := parseLSN(replay)
	if err != nil {
		return 0, err
	}
	return int64(w - r), nil
}

func parseLSN(s string) (uint64, error) {
	hi, lo, ok := strings.Cut(s, "/")
	h, err1 := strconv.ParseUint(hi, 16, 32)
	l, err2 := strconv.ParseUint(lo, 16, 32)
	if !ok || err1 != nil || err2 != nil {
		return 0, fmt.Errorf("unreadable WAL position %q", s)
	}
	return h<<32 | l, nil
}

// ReplicaState is what was last measured of the replica (zero when none is
// configured).
func (db *DB) ReplicaState() caseflow.ReplicaState {
	if db.replica == nil {
		return caseflow.ReplicaState{}
	}
	db.replica.mu.Lock()
	defer db.replica.mu.Unlock()
	return db.replica.state
}

// reader is where a read that may be a little behind goes: the replica when
// it was measured up within the bound in the last few seconds, else the
// primary.
func (db *DB) reader() (*gorm.DB, string) {
	if db.replica == nil {
		return db.gorm, caseflow.ReadPrimary
	}
	st := db.ReplicaState()
	if st.Up && st.Lag <= st.MaxLag && db.now().Sub(st.MeasuredAt) < 5*time.Second {
		return db.replica.gorm, caseflow.ReadReplica
	}
	return db.gorm, caseflow.ReadPrimary
}
