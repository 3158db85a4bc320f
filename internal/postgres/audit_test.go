package postgres_test

import (
	"context"
	"fmt"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/postgres"
	"caseflow/internal/testenv"
)

// auditor is a fictional officer whose actions are audited.
var auditor = caseflow.Viewer{UserID: 1, Username: "officer1", Role: caseflow.RoleCommuneOfficer,
	IP: "192.0.2.10", RequestID: "req-audit"}

// writeAudit appends n entries with a given action and returns their ids.
func writeAudit(t *testing.T, d *testenv.Database, action string, n int) []int64 {
	t.Helper()
	ctx := context.Background()
	for i := range n {
		require.NoError(t, d.DB.Audit(ctx, auditor, action, fmt.Sprintf("HY-2026-%06d", i+1), map[string]any{"n": i}))
	}
	return auditIDs(t, d, action)
}

// auditIDs returns the ids of the entries with an action, in order.
func auditIDs(t *testing.T, d *testenv.Database, action string) []int64 {
	t.Helper()
	rows, err := d.QueryStrings(context.Background(), "SELECT id::text FROM audit_log WHERE action = ? ORDER BY id", action)
	require.NoError(t, err)
	ids := make([]int64, len(rows))
	for i, r := range rows {
		ids[i], err = strconv.ParseInt(r, 10, 64)
		require.NoError(t, err)
	}
	return ids
}

// sealAll seals until want entries have been sealed. A seal covers only
// transactions that have finished everywhere on the server, so a transaction
// of another test database can hold an entry back for a moment.
func sealAll(t *testing.T, db *postgres.DB, want int) {
	t.Helper()
	got := 0
	deadline := time.Now().Add(10 * time.Second)
	for got < want {
		require.True(t, time.Now().Before(deadline), "sealed %d of %d entries", got, want)
		n, err := db.SealAudit(context.Background())
		require.NoError(t, err)
		got += n
		if got < want {
			time.Sleep(10 * time.Millisecond)
		}
	}
	require.Equal(t, want, got, "sealed more entries than were written")
}

// verify runs VerifyAudit and fails on an error.
func verify(t *testing.T, db *postgres.DB) *postgres.AuditReport {
	t.Helper()
	rep, err := db.VerifyAudit(context.Background())
	require.NoError(t, err)
	return rep
}

func TestAuditChain(t *testing.T) {
	t.Parallel()
	d := freshDatabase(t)
	db := d.DB

	require.Equal(t, &postgres.AuditReport{}, verify(t, db), "an empty trail verifies")

	writeAudit(t, d, "case.read", 3)
	require.Equal(t, &postgres.AuditReport{Unsealed: 3}, verify(t, db), "entries are unsealed until a seal")

	sealAll(t, db, 3)
	rep := verify(t, db)
	require.Empty(t, rep.Broken)
	require.Equal(t, 3, rep.Entries)
	require.Zero(t, rep.Unsealed)
	seals := rep.Seals
	require.GreaterOrEqual(t, seals, 1)

	t.Run("NothingNewMakesNoSeal", func(t *testing.T) {
		n, err := db.SealAudit(context.Background())
		require.NoError(t, err)
		require.Zero(t, n)
		require.Equal(t, seals, verify(t, db).Seals)
	})

	t.Run("LaterEntriesAreUnsealedThenChained", func(t *testing.T) {
		writeAudit(t, d, "case.create", 2)
		rep := verify(t, db)
		require.Empty(t, rep.Broken)
		require.Equal(t, 3, rep.Entries)
		require.Equal(t, 2, rep.Unsealed)

		sealAll(t, db, 2)
		rep = verify(t, db)
		require.Empty(t, rep.Broken)
		require.Equal(t, 5, rep.Entries)
		require.Zero(t, rep.Unsealed)
		require.Greater(t, rep.Seals, seals)
	})
}

func TestAuditSealWaitsForOpenTransactions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	db := d.DB

	conn, err := pgx.Connect(ctx, d.URL)
	require.NoError(t, err)
	defer conn.Close(ctx)
	tx, err := conn.Begin(ctx)
	require.NoError(t, err)
	defer tx.Rollback(ctx) //nolint:errcheck // committed below; rollback is a no-op then
	_, err = tx.Exec(ctx, "INSERT INTO audit_log (at, username, action) VALUES (now(), 'officer1', 'slow.write')")
	require.NoError(t, err)

	// Written and committed while the slow transaction is still open.
	writeAudit(t, d, "fast.write", 1)
	n, err := db.SealAudit(ctx)
	require.NoError(t, err)
	require.Zero(t, n, "nothing after an open transaction is sealed, or its entry could be skipped")

	require.NoError(t, tx.Commit(ctx))
	sealAll(t, db, 2)
	rep := verify(t, db)
	require.Empty(t, rep.Broken)
	require.Equal(t, 2, rep.Entries, "the late entry is sealed, not lost")
	require.Zero(t, rep.Unsealed)
}

func TestAuditLogIsAppendOnly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := env.db
	db := d.DB
	action := "append.only." + testenv.Suffix()
	ids := writeAudit(t, d, action, 1)
	require.Len(t, ids, 1)
	id := ids[0]

	for name, stmt := range map[string]string{
		"Update":   "UPDATE audit_log SET action = 'changed' WHERE id = ?",
		"Delete":   "DELETE FROM audit_log WHERE id = ?",
		"Truncate": "TRUNCATE audit_log",
	} {
		t.Run(name+"IsRefused", func(t *testing.T) {
			var err error
			if name == "Truncate" {
				err = d.Exec(ctx, stmt)
			} else {
				err = d.Exec(ctx, stmt, id)
			}
			require.Error(t, err)
			require.Contains(t, err.Error(), "append-only")
			require.Equal(t, []int64{id}, auditIDs(t, d, action), "the entry is unchanged")
		})
	}

	t.Run("SealsCannotBeChanged", func(t *testing.T) {
		deadline := time.Now().Add(10 * time.Second)
		for {
			_, err := db.SealAudit(ctx)
			require.NoError(t, err)
			rows, err := d.QueryStrings(ctx, "SELECT count(*)::text FROM audit_seals")
			require.NoError(t, err)
			if rows[0] != "0" {
				break
			}
			require.True(t, time.Now().Before(deadline), "no seal was made")
			time.Sleep(10 * time.Millisecond)
		}
		err := d.Exec(ctx, "UPDATE audit_seals SET hash = '\\x00'")
		require.Error(t, err)
		require.Contains(t, err.Error(), "append-only")
		err = d.Exec(ctx, "DELETE FROM audit_seals")
		require.Error(t, err)
		require.Contains(t, err.Error(), "append-only")
	})
}

// tamper runs statements with the append-only triggers off, as a superuser
// could, and turns them back on.
func tamper(t *testing.T, d *testenv.Database, stmt string, args ...any) {
	t.Helper()
	ctx := context.Background()
	require.NoError(t, d.Exec(ctx, "ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only"))
	require.NoError(t, d.Exec(ctx, "ALTER TABLE audit_seals DISABLE TRIGGER audit_seals_append_only"))
	require.NoError(t, d.Exec(ctx, stmt, args...))
	require.NoError(t, d.Exec(ctx, "ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only"))
	require.NoError(t, d.Exec(ctx, "ALTER TABLE audit_seals ENABLE TRIGGER audit_seals_append_only"))
}

// sealedTrail returns a fresh database with two seals of three entries each
// and the ids of the entries, in order.
func sealedTrail(t *testing.T) (*testenv.Database, []int64) {
	t.Helper()
	d := freshDatabase(t)
	writeAudit(t, d, "case.read", 3)
	sealAll(t, d.DB, 3)
	writeAudit(t, d, "case.create", 3)
	sealAll(t, d.DB, 3)
	rep := verify(t, d.DB)
	require.Empty(t, rep.Broken)
	require.Equal(t, 6, rep.Entries)
	ids := append(auditIDs(t, d, "case.read"), auditIDs(t, d, "case.create")...)
	require.Len(t, ids, 6)
	return d, ids
}

func sealIDs(t *testing.T, d *testenv.Database) []string {
	t.Helper()
	rows, err := d.QueryStrings(context.Background(), "SELECT id::text FROM audit_seals ORDER BY id")
	require.NoError(t, err)
	return rows
}

func TestAuditVerifyFindsTampering(t *testing.T) {
	t.Parallel()

	t.Run("AlteredEntry", func(t *testing.T) {
		t.Parallel()
		d, ids := sealedTrail(t)
		tamper(t, d, "UPDATE audit_log SET action = 'case.export' WHERE id = ?", ids[1])
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, fmt.Sprintf("audit entry %d ", ids[1]))
		require.Contains(t, rep.Broken, "altered")
	})

	t.Run("AlteredDetail", func(t *testing.T) {
		t.Parallel()
		d, ids := sealedTrail(t)
		tamper(t, d, `UPDATE audit_log SET detail = '{"n": 99}' WHERE id = ?`, ids[4])
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, fmt.Sprintf("audit entry %d ", ids[4]))
		require.Contains(t, rep.Broken, "altered")
	})

	t.Run("DeletedEntry", func(t *testing.T) {
		t.Parallel()
		d, ids := sealedTrail(t)
		tamper(t, d, "DELETE FROM audit_log WHERE id = ?", ids[2])
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, fmt.Sprintf("audit entry %d ", ids[2]))
		require.Contains(t, rep.Broken, "missing")
	})

	t.Run("EntryForgedInsideASeal", func(t *testing.T) {
		t.Parallel()
		d, ids := sealedTrail(t)
		// Inserting needs no trigger off; the forged entry claims the
		// transaction of a sealed one.
		require.NoError(t, d.Exec(context.Background(),
			`INSERT INTO audit_log (at, username, action, xid) SELECT now(), 'officer1', 'case.read', xid FROM audit_log WHERE id = ?`, ids[0]))
		forged := auditIDs(t, d, "case.read")
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, fmt.Sprintf("audit entry %d ", forged[len(forged)-1]))
		require.Contains(t, rep.Broken, "added")
	})

	t.Run("AlteredSeal", func(t *testing.T) {
		t.Parallel()
		d, _ := sealedTrail(t)
		seals := sealIDs(t, d)
		tamper(t, d, "UPDATE audit_seals SET entry_hashes[1] = sha256('forged') WHERE id = ?", seals[0])
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, "seal "+seals[0]+" ")
	})

	t.Run("DeletedSeal", func(t *testing.T) {
		t.Parallel()
		d, _ := sealedTrail(t)
		seals := sealIDs(t, d)
		tamper(t, d, "DELETE FROM audit_seals WHERE id = ?", seals[0])
		rep := verify(t, d.DB)
		require.Contains(t, rep.Broken, "seal "+seals[1]+" does not continue", "removing a seal breaks the chain")
	})
}
