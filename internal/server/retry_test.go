package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// TestRetriedWritesApplyOnce sends each kind of write twice with one
// Idempotency-Key, as a client does after losing the answer: the change is
// made once and both answers are the same; the same key with another
// request is refused.
func TestRetriedWritesApplyOnce(t *testing.T) {
	t.Parallel()
	officer, police, prosecutor := login(t, "officer1"), login(t, "police1"), login(t, "prosecutor1")
	c := newWFCase(t)
	twice := func(method, path, tok string, body any) (response, response) {
		t.Helper()
		key := "retry-" + testenv.Suffix()
		first := call(t, method, path, tok, body, "Idempotency-Key", key)
		again := call(t, method, path, tok, body, "Idempotency-Key", key)
		require.Equal(t, first.Status, again.Status, "%s %s: %s / %s", method, path, first.Raw, again.Raw)
		require.Equal(t, string(first.Raw), string(again.Raw), "%s %s", method, path)
		require.Empty(t, first.Header.Get("Idempotent-Replayed"))
		require.Equal(t, "true", again.Header.Get("Idempotent-Replayed"))
		other := call(t, method, path, tok, map[string]any{"something": "else"}, "Idempotency-Key", key)
		require.Equal(t, http.StatusConflict, other.Status, "%s", other.Raw)
		_, fields := errorOf(t, other)
		require.Contains(t, fields, "Idempotency-Key")
		return first, again
	}
	events := func() map[string]int {
		out := map[string]int{}
		for _, h := range c.history(t, "officer1") {
			out[h.Event]++
		}
		return out
	}

	t.Run("Event", func(t *testing.T) {
		first, _ := twice(http.MethodPost, c.path("/events"), officer,
			map[string]any{"event": "refer_police", "version": 1, "data": map[string]any{"remote_commune": false}})
		require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
		require.EqualValues(t, 2, first.Body["version"])
		require.Equal(t, 1, events()["refer_police"])
		c.record("officer1", "refer_police", "police")
	})

	t.Run("Referral", func(t *testing.T) {
		first, _ := twice(http.MethodPost, c.path("/referrals"), officer,
			map[string]any{"service": "counselling", "agency_code": "CTXH-33", "note": "Cần tư vấn (hư cấu)"})
		require.Equal(t, http.StatusCreated, first.Status, "%s", first.Raw)
		list := call(t, http.MethodGet, c.path("/referrals"), officer, nil)
		require.Equal(t, http.StatusOK, list.Status)
		n := 0
		for _, r := range list.Body["referrals"].([]any) {
			if r.(map[string]any)["service"] == "counselling" {
				n++
			}
		}
		require.Equal(t, 1, n, "one referral, one response clock")
		id := int64(first.Body["id"].(float64))
		accepted, _ := twice(http.MethodPost, fmt.Sprintf("/api/v1/referrals/%d/accept", id), login(t, "social1"), map[string]any{"note": "Nhận (hư cấu)"})
		require.Equal(t, http.StatusOK, accepted.Status, "%s", accepted.Raw)
	})

	t.Run("Extension", func(t *testing.T) {
		now := c.get(t, "officer1")
		accept := call(t, http.MethodPost, c.path("/events"), police,
			map[string]any{"event": "accept_referral", "version": now.Body["version"], "data": map[string]any{}})
		require.Equal(t, http.StatusOK, accept.Status, "%s", accept.Raw)
		notify := call(t, http.MethodPost, c.path("/events"), police, map[string]any{"event": "notify_procuracy", "version": accept.Body["version"],
			"data": map[string]any{"notified_on": time.Now().In(caseflow.Zone).Format("2006-01-02")}})
		require.Equal(t, http.StatusOK, notify.Status, "%s", notify.Raw)
		ext := map[string]any{"duration": "10 days", "reason": "Cần xác minh thêm (hư cấu)", "legal_basis": "BLTTHS 2015 Điều 147"}
		first, _ := twice(http.MethodPost, c.path("/clocks/resolve_report/extensions"), prosecutor, ext)
		require.Equal(t, http.StatusOK, first.Status, "%s", first.Raw)
		require.Len(t, first.Body["extensions"], 1)

		// Without a key, the same extension sent again is taken for a
		// repeat and refused; it is recorded once.
		again := call(t, http.MethodPost, c.path("/clocks/resolve_report/extensions"), prosecutor, ext)
		require.Equal(t, http.StatusConflict, again.Status, "%s", again.Raw)
		clocks := call(t, http.MethodGet, c.path("/clocks"), prosecutor, nil)
		for _, k := range clocks.Body["clocks"].([]any) {
			if k := k.(map[string]any); k["clock"] == "resolve_report" {
				require.Len(t, k["extensions"], 1)
			}
		}
		n, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM case_history h JOIN cases c ON c.id = h.case_id
			WHERE c.code = ? AND h.event = 'clock_extended'`, c.code)
		require.NoError(t, err)
		require.Equal(t, []string{"1"}, n, "one extension in the history")
	})

	t.Run("Acknowledgement", func(t *testing.T) {
		late := report()
		code := mustFile(t, officer, late)
		_, err := env.db.DB.SweepDue(context.Background(), 1000)
		require.NoError(t, err)
		// Read from the table: in a database other tests fill at the same
		// time, the newest page of the list may not reach it.
		ids, err := env.db.QueryStrings(context.Background(), `SELECT n.id::text FROM notifications n JOIN agencies a ON a.id = n.agency_id
			WHERE n.case_code = ? AND n.kind = 'breach' AND n.audience = 'agency' AND a.code = 'CP-12004'`, code)
		require.NoError(t, err)
		require.Len(t, ids, 1, "the breach notification of %s", code)
		id, err := strconv.ParseFloat(ids[0], 64)
		require.NoError(t, err)
		require.NotZero(t, id, "the breach notification of %s", code)
		first, _ := twice(http.MethodPost, fmt.Sprintf("/api/v1/notifications/%d/acknowledge", int64(id)), officer, map[string]any{"note": "Đã xử lý (hư cấu)"})
		require.Equal(t, http.StatusNoContent, first.Status, "%s", first.Raw)
		acks, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM audit_log WHERE action = 'notification.acknowledge' AND case_code = ?`, code)
		require.NoError(t, err)
		require.Equal(t, []string{"1"}, acks, "acknowledged once")
	})
}
