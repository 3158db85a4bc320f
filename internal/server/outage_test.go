package server_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/casework"
	"caseflow/internal/limiter"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
)

type redisPing struct{ c *redis.Client }

func (r redisPing) Ping(ctx context.Context) error { return r.c.Ping(ctx).Err() }

// TestOutages checks that a dependency that cannot be reached is an answer
// — 503 unavailable with Retry-After, /readyz 503 — not an error, that
// nothing is half-written, and that the service recovers by itself when
// the dependency is back. The dependencies are reached through proxies the
// test cuts, as a database or a Redis that went away.
func TestOutages(t *testing.T) {
	ctx := context.Background()
	pg := testenv.NewProxy(t, "127.0.0.1:5432")
	rd := testenv.NewProxy(t, "127.0.0.1:6379")
	db, err := testenv.OpenDB(ctx, strings.Replace(env.db.URL, "127.0.0.1:5432", pg.Addr, 1), env.db.DB.Keys)
	require.NoError(t, err)
	t.Cleanup(func() { _ = db.Close() })
	rc := redis.NewClient(&redis.Options{Addr: rd.Addr, MaxRetries: -1, DialTimeout: time.Second})
	t.Cleanup(func() { _ = rc.Close() })
	acc := &account.Service{Store: db, Secret: []byte(strings.Repeat("s", 32)), Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: rc, Prefix: "test:" + testenv.Suffix() + ":"}}
	srv := httptest.NewServer(server.New(server.Config{Accounts: acc, Workflows: env.flows,
		Cases: casework.New(casework.Config{Store: db, Workflows: env.flows, WorkflowID: "child-abuse", WorkflowVersion: 1}),
		Ready: map[string]server.Pinger{"postgres": db, "redis": redisPing{rc}}}))
	t.Cleanup(srv.Close)
	at := func(method, path, token string, body any, headers ...string) response {
		t.Helper()
		return callAt(t, srv.URL, method, path, token, body, headers...)
	}
	unavailable := func(r response, what string) {
		t.Helper()
		require.Equal(t, http.StatusServiceUnavailable, r.Status, "%s: %s", what, r.Raw)
		got, _ := errorOf(t, r)
		require.Equal(t, "unavailable", got, what)
		require.NotEmpty(t, r.Header.Get("Retry-After"), what)
	}

	login := func() response {
		return at(http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "officer1", "password": testenv.Password})
	}
	in := login()
	require.Equal(t, http.StatusOK, in.Status, "%s", in.Raw)
	tok := in.Body["token"].(string)
	code := mustFileAt(t, srv.URL, tok, report())
	require.Equal(t, http.StatusOK, at(http.MethodGet, "/readyz", "", nil).Status)

	t.Run("PostgresDown", func(t *testing.T) {
		before := rowCounts(t)
		pg.Cut()
		key, body := "outage-"+testenv.Suffix(), report()
		unavailable(at(http.MethodPost, "/api/v1/reports", tok, body, "Idempotency-Key", key), "intake")
		unavailable(at(http.MethodGet, "/api/v1/cases/"+code, tok, nil), "a case")
		unavailable(at(http.MethodGet, "/api/v1/cases", tok, nil), "the case list")
		ready := at(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, ready.Status)
		require.Equal(t, "unavailable", ready.Body["checks"].(map[string]any)["postgres"])
		web := webAt(t, srv.URL, tok, "/cases")
		require.Equal(t, http.StatusServiceUnavailable, web.StatusCode)
		require.NotEmpty(t, web.Header.Get("Retry-After"))
		requireNothingWritten(t, before)

		// Back: the same request goes through, once, without a restart.
		pg.Restore(t)
		back := time.Now()
		var r response
		require.Eventually(t, func() bool {
			r = at(http.MethodPost, "/api/v1/reports", tok, body, "Idempotency-Key", key)
			return r.Status == http.StatusCreated
		}, 10*time.Second, 50*time.Millisecond, "intake after the database came back")
		t.Logf("first intake %v after the database came back", time.Since(back).Round(time.Millisecond))
		again := at(http.MethodPost, "/api/v1/reports", tok, body, "Idempotency-Key", key)
		require.Equal(t, http.StatusOK, again.Status, "%s", again.Raw)
		require.Equal(t, r.Body["code"], again.Body["code"])
		require.Equal(t, http.StatusOK, at(http.MethodGet, "/readyz", "", nil).Status)
	})

	t.Run("RedisDown", func(t *testing.T) {
		rd.Cut()
		unavailable(login(), "login fails closed")
		ready := at(http.MethodGet, "/readyz", "", nil)
		require.Equal(t, http.StatusServiceUnavailable, ready.Status)
		require.Equal(t, "unavailable", ready.Body["checks"].(map[string]any)["redis"])
		rd.Restore(t)
		require.Eventually(t, func() bool { return login().Status == http.StatusOK }, 10*time.Second, 50*time.Millisecond)
	})
}

// mustFileAt files a report on the server at base and returns its code.
func mustFileAt(t *testing.T, base, tok string, body any) string {
	t.Helper()
	r := callAt(t, base, http.MethodPost, "/api/v1/reports", tok, body, "Idempotency-Key", "file-"+testenv.Suffix())
	require.Equal(t, http.StatusCreated, r.Status, "%s", r.Raw)
	return r.Body["code"].(string)
}

// webAt gets a web page of the server at base with a session.
func webAt(t *testing.T, base, tok, path string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, base+path, nil)
	require.NoError(t, err)
	req.Header.Set("Cookie", "cf_session="+tok)
	res, err := http.DefaultTransport.RoundTrip(req)
	require.NoError(t, err)
	res.Body.Close()
	return res
}
