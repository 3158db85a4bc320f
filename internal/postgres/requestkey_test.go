package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// TestRequestKeys walks a request key through what its retries may find:
// the first request still being served, its change made but its answer
// lost, its answer kept (sealed), another request under the key, and a
// claim whose request died before making its change.
func TestRequestKeys(t *testing.T) {
	t.Parallel()
	db := freshDatabase(t)
	ctx := context.Background()
	admin, err := db.DB.UserByUsername(ctx, "admin1")
	require.NoError(t, err)
	v := caseflow.Viewer{UserID: admin.ID, Username: admin.Username, Role: admin.Role, Agency: admin.Agency}
	k := caseflow.RequestKey{UserID: admin.ID, Key: "k-1"}
	hash := []byte("hash of the request")
	claim := func(k caseflow.RequestKey, hash []byte, lease time.Duration) *caseflow.KeyClaim {
		t.Helper()
		c, err := db.DB.ClaimRequestKey(ctx, k, "PUT /holidays/:date", "", hash, lease)
		require.NoError(t, err)
		return c
	}

	require.True(t, claim(k, hash, time.Minute).New)
	again := claim(k, hash, time.Minute)
	require.True(t, again.InFlight, "the first is being served")
	require.Positive(t, again.RetryAfter)

	// The change is made in the transaction that marks the key applied.
	day := time.Date(2026, 12, 24, 0, 0, 0, 0, time.UTC)
	require.NoError(t, db.DB.PutHoliday(caseflow.WithRequestKey(ctx, k), v, caseflow.Holiday{Date: day, Name: "Ngày nghỉ thử"}))
	require.True(t, claim(k, hash, time.Minute).Applied, "made, answer not yet kept")
	require.NoError(t, db.DB.ReleaseRequestKey(ctx, k, false))
	require.True(t, claim(k, hash, time.Minute).Applied, "a failure after the change does not let the change run again")

	answer := caseflow.StoredAnswer{Status: 200, ContentType: "application/json", Body: []byte(`{"name":"Ngày nghỉ thử"}`)}
	require.NoError(t, db.DB.SaveAnswer(ctx, k, answer))
	require.Equal(t, answer, claim(k, hash, time.Minute).Answer)
	require.True(t, claim(k, []byte("another request"), time.Minute).Reused)
	sealed, err := db.QueryStrings(ctx, "SELECT answer_enc FROM request_keys WHERE key = 'k-1'")
	require.NoError(t, err)
	require.NotContains(t, sealed[0], "Ngày nghỉ thử", "the answer is sealed")

	// A request that died before its change: once its lease ends, a retry
	// takes the key over; a refused one lets it go at once.
	gone := caseflow.RequestKey{UserID: admin.ID, Key: "k-2"}
	require.True(t, claim(gone, hash, 10*time.Millisecond).New)
	time.Sleep(30 * time.Millisecond)
	require.True(t, claim(gone, hash, time.Minute).New, "taken over")
	require.True(t, claim(gone, hash, time.Minute).InFlight)
	require.NoError(t, db.DB.ReleaseRequestKey(ctx, gone, true))
	require.True(t, claim(gone, []byte("corrected request"), time.Minute).New, "a refused request leaves its key free")
}
