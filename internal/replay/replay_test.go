package replay_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/postgres"
	"caseflow/internal/replay"
	"caseflow/internal/request"
	"caseflow/internal/testenv"
)

// env is this package's database, and a store on it reached through a
// proxy that a test cuts, as a Postgres that went away in the middle of a
// request.
var env struct {
	db     *testenv.Database
	proxy  *testenv.Proxy
	store  *postgres.DB
	userID int64
}

func TestMain(m *testing.M) { os.Exit(run(m)) }

func run(m *testing.M) int {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "replay")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer db.Close()
	u, err := db.DB.UserByUsername(ctx, "officer1")
	if err != nil {
		fmt.Fprintln(os.Stderr, "demo user:", err)
		return 1
	}
	env.db, env.userID = db, u.ID
	return m.Run()
}

// proxied opens a store on the test database through a proxy of the
// test's own.
func proxied(t *testing.T) (*postgres.DB, *testenv.Proxy) {
	t.Helper()
	p := testenv.NewProxy(t, "127.0.0.1:5432")
	st, err := testenv.OpenDB(context.Background(), strings.Replace(env.db.URL, "127.0.0.1:5432", p.Addr, 1), env.db.DB.Keys)
	require.NoError(t, err)
	t.Cleanup(func() { _ = st.Close() })
	return st, p
}

// send sends one POST with key through the middleware on store to handler
// and returns the middleware's error.
func send(t *testing.T, store replay.Store, key string, keep func(int) bool, handler echo.HandlerFunc) error {
	t.Helper()
	_, err := sendFor(t, store, key, keep, handler)
	return err
}

// sendFor is send, with what was answered.
func sendFor(t *testing.T, store replay.Store, key string, keep func(int) bool, handler echo.HandlerFunc) (*httptest.ResponseRecorder, error) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "/api/v1/cases/HY-2026-000001/events", strings.NewReader(`{"event":"x"}`))
	req.Header.Set("Idempotency-Key", key)
	c := echo.New().NewContext(req, rec)
	c.SetPath("/api/v1/cases/:code/events")
	request.SetViewer(c, caseflow.Viewer{UserID: env.userID, Username: "officer1"})
	return rec, replay.Middleware(store, slog.New(slog.DiscardHandler), replay.HeaderKey, keep)(handler)(c)
}

// keyRow is what request_keys holds for key: "" when it holds nothing.
func keyRow(t *testing.T, key string) string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(),
		`SELECT applied::text || ' ' || coalesce(status::text, '-') FROM request_keys WHERE user_id = ? AND key = ?`, env.userID, key)
	require.NoError(t, err)
	if len(rows) == 0 {
		return ""
	}
	return rows[0]
}

func TestAKeyTheStoreCouldNotLetGoIsLetGoOnceItAnswers(t *testing.T) {
	t.Parallel()
	st, p := proxied(t)
	key := "release-" + testenv.Suffix()
	// Postgres goes away while the request is served: it fails, and its
	// key cannot be let go at its end.
	require.NoError(t, send(t, st, key, replay.KeepSuccess, func(c echo.Context) error {
		p.Cut()
		return caseflow.Errorf(caseflow.EUnavailable, "the database went away")
	}))
	require.Equal(t, "false -", keyRow(t, key), "still claimed")
	p.Restore(t)
	require.Eventually(t, func() bool { return keyRow(t, key) == "" }, 10*time.Second, 20*time.Millisecond,
		"the key is let go once the store answers again")
}

func TestAnAnswerTheStoreCouldNotKeepIsKeptOnceItAnswers(t *testing.T) {
	t.Parallel()
	st, p := proxied(t)
	key := "save-" + testenv.Suffix()
	require.NoError(t, send(t, st, key, replay.KeepSuccess, func(c echo.Context) error {
		p.Cut()
		return c.JSON(http.StatusOK, map[string]string{"code": "HY-2026-000001"})
	}))
	require.Equal(t, "false -", keyRow(t, key), "its answer not kept yet")
	p.Restore(t)
	require.Eventually(t, func() bool { return keyRow(t, key) == "false 200" }, 10*time.Second, 20*time.Millisecond,
		"the answer is kept once the store answers again")
	// A retry now gets that answer.
	rec, err := sendFor(t, env.db.DB, key, replay.KeepSuccess, func(echo.Context) error {
		t.Fatal("a request whose answer is kept must not be served again")
		return nil
	})
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, rec.Code)
	require.JSONEq(t, `{"code":"HY-2026-000001"}`, rec.Body.String())
	require.Equal(t, "true", rec.Header().Get("Idempotent-Replayed"))
}

// taken sends again a request whose first sending was kept, after setting
// its key's row as set, and returns the conflict answered.
func taken(t *testing.T, set string) *caseflow.Error {
	t.Helper()
	key := "taken-" + testenv.Suffix()
	require.NoError(t, send(t, env.db.DB, key, replay.KeepSuccess, func(c echo.Context) error { return c.NoContent(http.StatusOK) }))
	require.NoError(t, env.db.Exec(context.Background(), "UPDATE request_keys SET "+set+" WHERE user_id = ? AND key = ?", env.userID, key))
	err := send(t, env.db.DB, key, replay.KeepSuccess, func(echo.Context) error {
		t.Fatal("a request whose key is taken must not be served")
		return nil
	})
	var ce *caseflow.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, caseflow.EConflict, ce.Code)
	return ce
}

func TestARetryOfARequestBeingServedIsAskedBackSoon(t *testing.T) {
	t.Parallel()
	// The first holds the key for most of its lease: its retry is told to
	// ask again within seconds, not at the lease's end.
	ce := taken(t, "status = NULL, answer_enc = '', applied = false, claimed_until = now() + interval '29 seconds'")
	require.Equal(t, 5*time.Second, ce.RetryAfter)
	require.Equal(t, caseflow.FieldInFlight, ce.Fields["Idempotency-Key"].Code)
}

func TestARetryOfARequestAppliedWithoutItsAnswerIsToldSo(t *testing.T) {
	t.Parallel()
	ce := taken(t, "status = NULL, answer_enc = '', applied = true")
	require.Equal(t, caseflow.FieldApplied, ce.Fields["Idempotency-Key"].Code)
}
