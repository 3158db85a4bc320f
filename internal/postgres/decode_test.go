package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// Stored JSON that is valid jsonb but not the shape the service wrote must
// fail the read with an error that says which row, never show as empty.
func TestUndecodableStoredData(t *testing.T) {
	t.Parallel()
	d := freshDatabase(t)
	db := d.DB
	f := newFixture(t, d)
	ctx := context.Background()
	const code = "HY-DECODE-1"
	id := f.kase(code, "12004", at(2026, 3, 2, 9, 0), "")
	u, err := db.UserByUsername(ctx, "officer1")
	require.NoError(t, err)
	officer := caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency}
	require.NoError(t, d.Exec(ctx, `INSERT INTO case_access (case_id, agency_id, scope, reason, granted_at)
		VALUES (?, ?, 'full', 'test', now())`, id, u.Agency.ID))

	t.Run("ClockExtensionsAreAnError", func(t *testing.T) {
		f.clock(id, clk{clock: "first_response", agency: "CP-12004", started: at(2026, 3, 2, 9, 0), due: at(2026, 3, 3, 9, 0),
			extensions: `{"rule": "not a list"}`}, at(2026, 3, 2, 12, 0))
		_, _, err := db.Clocks(ctx, officer, code)
		require.ErrorContains(t, err, "decoding its extensions")
	})

	t.Run("HistoryDataIsAnError", func(t *testing.T) {
		f.event(id, "assess_risk", "CP-12004", at(2026, 3, 2, 10, 0), `["not an object"]`)
		_, err := db.History(ctx, officer, code)
		require.ErrorContains(t, err, "decoding the stored data")
	})
}
