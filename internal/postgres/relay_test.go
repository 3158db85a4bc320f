package postgres_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for the second connection
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// addOutbox writes n outbox rows and returns their task ids in order.
func addOutbox(t *testing.T, db *testenv.Database, prefix string, n int) []string {
	t.Helper()
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("%s-%d", prefix, i)
		require.NoError(t, db.Exec(context.Background(),
			`INSERT INTO outbox (kind, task_id, payload, run_at, created_at) VALUES ('test', ?, '{}', now(), now())`, ids[i]))
	}
	return ids
}

func TestRelayOutbox(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("HoldsNoTransactionWhileSending", func(t *testing.T) {
		t.Parallel()
		db := freshDatabase(t)
		ids := addOutbox(t, db, "a", 3)
		other, err := sql.Open("pgx", db.URL)
		require.NoError(t, err)
		t.Cleanup(func() { _ = other.Close() })

		var sent []string
		// The queue cannot be reached: the batch stops, and what was not sent
		// waits for the next round.
		fail := fmt.Errorf("enqueueing: %w", &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED})
		n, err := db.DB.RelayOutbox(ctx, 10, func(it caseflow.OutboxItem) error {
			// Another session can lock the row being sent: the relay holds
			// no lock on it, and no transaction is open on the database.
			var id int64
			require.NoError(t, other.QueryRowContext(ctx, "SELECT id FROM outbox WHERE id = $1 FOR UPDATE NOWAIT", it.ID).Scan(&id))
			var open int
			require.NoError(t, other.QueryRowContext(ctx, `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND state LIKE 'idle in transaction%'`).Scan(&open))
			require.Zero(t, open, "a transaction is open while sending to the queue")
			if len(sent) == 2 {
				return fail
			}
			sent = append(sent, it.TaskID)
			return nil
		})
		require.ErrorIs(t, err, fail)
		require.Equal(t, 2, n)
		require.Equal(t, ids[:2], sent, "in order")
		left, err := db.QueryStrings(ctx, "SELECT task_id || ' ' || (claimed_until IS NULL) FROM outbox WHERE relayed_at IS NULL ORDER BY id")
		require.NoError(t, err)
		require.Equal(t, []string{ids[2] + " true"}, left, "the row not sent is released for the next round at once")

		sent = nil
		n, err = db.DB.RelayOutbox(ctx, 10, func(it caseflow.OutboxItem) error { sent = append(sent, it.TaskID); return nil })
		require.NoError(t, err)
		require.Equal(t, 1, n)
		require.Equal(t, ids[2:], sent)
	})

	t.Run("AQueueDownSetsNothingAside", func(t *testing.T) {
		t.Parallel()
		db := freshDatabase(t)
		addOutbox(t, db, "e", 3)
		// As the queue's client reports a Redis it cannot reach.
		down := errors.New("UNKNOWN: redis eval error: dial tcp 127.0.0.1:6379: connect: connection refused")
		n, err := db.DB.RelayOutbox(ctx, 10, func(caseflow.OutboxItem) error { return down })
		require.ErrorIs(t, err, down)
		require.Zero(t, n)
		stuck, err := db.DB.StuckItems(ctx)
		require.NoError(t, err)
		require.Zero(t, stuck["outbox"], "rows waiting for Redis are not the rows' fault")
		backlog, err := db.DB.OutboxBacklog(ctx)
		require.NoError(t, err)
		require.EqualValues(t, 3, backlog)
	})

	t.Run("ARowTheQueueRefusesIsSetAside", func(t *testing.T) {
		t.Parallel()
		db := freshDatabase(t)
		ids := addOutbox(t, db, "d", 4)
		var sent []string
		n, err := db.DB.RelayOutbox(ctx, 10, func(it caseflow.OutboxItem) error {
			if it.TaskID == ids[1] {
				return errors.New("the task payload is refused")
			}
			sent = append(sent, it.TaskID)
			return nil
		})
		require.NoError(t, err, "one row does not stop the relay")
		require.Equal(t, 3, n)
		require.Equal(t, []string{ids[0], ids[2], ids[3]}, sent)
		stuck, err := db.DB.StuckItems(ctx)
		require.NoError(t, err)
		require.Equal(t, int64(1), stuck["outbox"])
		// Left out until its backoff ends, then sent and cleared.
		n, err = db.DB.RelayOutbox(ctx, 10, func(caseflow.OutboxItem) error { return nil })
		require.NoError(t, err)
		require.Zero(t, n)
		db.DB.Now = func() time.Time { return time.Now().Add(time.Minute) }
		n, err = db.DB.RelayOutbox(ctx, 10, func(caseflow.OutboxItem) error { return nil })
		require.NoError(t, err)
		require.Equal(t, 1, n)
		stuck, err = db.DB.StuckItems(ctx)
		require.NoError(t, err)
		require.Zero(t, stuck["outbox"])
	})

	t.Run("RelaysShareTheRowsOnce", func(t *testing.T) {
		t.Parallel()
		db := freshDatabase(t)
		ids := addOutbox(t, db, "b", 40)
		var mu sync.Mutex
		count := map[string]int{}
		var wg sync.WaitGroup
		for range 4 {
			wg.Go(func() {
				for {
					n, err := db.DB.RelayOutbox(ctx, 3, func(it caseflow.OutboxItem) error {
						time.Sleep(2 * time.Millisecond) // a slow queue: the relays overlap
						mu.Lock()
						count[it.TaskID]++
						mu.Unlock()
						return nil
					})
					if err != nil {
						t.Error(err)
						return
					}
					if n == 0 {
						return
					}
				}
			})
		}
		wg.Wait()
		require.Len(t, count, len(ids))
		for id, c := range count {
			require.Equal(t, 1, c, id)
		}
		backlog, err := db.DB.OutboxBacklog(ctx)
		require.NoError(t, err)
		require.Zero(t, backlog)
	})

	t.Run("ACommitWakesTheListener", func(t *testing.T) {
		t.Parallel()
		db := freshDatabase(t)
		lctx, cancel := context.WithCancel(ctx)
		wakes := make(chan struct{}, 16)
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = db.DB.ListenOutbox(lctx, func() { wakes <- struct{}{} })
		}()
		t.Cleanup(func() { cancel(); <-done })
		select {
		case <-wakes: // listening: one wake for what was written before
		case <-time.After(10 * time.Second):
			t.Fatal("the listener did not start")
		}

		tx, err := sql.Open("pgx", db.URL)
		require.NoError(t, err)
		t.Cleanup(func() { _ = tx.Close() })
		conn, err := tx.Conn(ctx)
		require.NoError(t, err)
		defer conn.Close()
		_, err = conn.ExecContext(ctx, "BEGIN")
		require.NoError(t, err)
		_, err = conn.ExecContext(ctx, `INSERT INTO outbox (kind, task_id, payload, run_at, created_at) VALUES ('test', 'c', '{}', now(), now())`)
		require.NoError(t, err)
		select {
		case <-wakes:
			t.Fatal("woken before the commit")
		case <-time.After(300 * time.Millisecond):
		}
		_, err = conn.ExecContext(ctx, "COMMIT")
		require.NoError(t, err)
		select {
		case <-wakes:
		case <-time.After(10 * time.Second):
			t.Fatal("the commit did not wake the listener")
		}
	})
}
