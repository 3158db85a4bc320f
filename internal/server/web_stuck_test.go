package server_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWebStuckItems shows administrators the items the worker set aside,
// with the case of a clock, and nobody else.
func TestWebStuckItems(t *testing.T) {
	t.Parallel()
	code := mustFile(t, login(t, "officer1"), report())
	require.NoError(t, env.db.Exec(context.Background(), `INSERT INTO stuck_items (kind, item_id, failures, last_error, first_failed_at, next_attempt_at)
		SELECT 'clock', k.id, 3, 'the history row was refused', now(), now() + interval '2 minutes'
		FROM case_clocks k JOIN cases c ON c.id = k.case_id WHERE c.code = ? LIMIT 1`, code))
	admin := webAs(t, "admin1")
	page := admin.get("/admin/stuck")
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, code)
	require.Contains(t, page.Body, "the history row was refused")
	require.Contains(t, admin.get("/admin/users").Body, `href="/admin/stuck"`, "linked from the administrators' menu")
	require.Equal(t, http.StatusForbidden, webAs(t, "officer1").get("/admin/stuck").Status)
	require.NoError(t, env.db.Exec(context.Background(), `DELETE FROM stuck_items WHERE last_error = 'the history row was refused'`))
}
