package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// TestReplicaFallsBackToThePrimary checks that figures are read from the
// primary whenever what is configured as the replica cannot serve them: not
// a streaming replica, or not answering. (scripts/cluster-demo reads them
// from a real streaming replica.)
func TestReplicaFallsBackToThePrimary(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	for name, c := range map[string]struct {
		url     string
		problem string
	}{
		"NotAStreamingReplica": {env.db.URL, "not a streaming replica"},
		"NotAnswering":         {"postgres://postgres@127.0.0.1:1/nowhere?sslmode=disable&connect_timeout=1", "not answering"},
	} {
		t.Run(name, func(t *testing.T) {
			db, err := testenv.OpenDB(ctx, env.db.URL, env.db.DB.Keys)
			require.NoError(t, err)
			t.Cleanup(func() { _ = db.Close() })
			require.Equal(t, caseflow.ReplicaState{}, db.ReplicaState(), "none configured")
			require.NoError(t, db.UseReplica(ctx, c.url, 10*time.Second))
			st := db.ReplicaState()
			require.True(t, st.Configured)
			require.False(t, st.Up)
			require.False(t, st.Serves())
			require.Equal(t, c.problem, st.Problem)

			rep, err := db.Compliance(ctx, caseflow.ComplianceQuery{Period: period(t, "2026-01-01", "2026-03-31"),
				Unit: unitCode(t, db, "33"), AsOf: time.Now(), Structure: "2021"})
			require.NoError(t, err)
			require.Equal(t, caseflow.ReadPrimary, rep.ReadFrom)
			require.Equal(t, c.problem, rep.Replica.Problem)
		})
	}
}
