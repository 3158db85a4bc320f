package server_test

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/limiter"
	"caseflow/internal/testenv"
)

// Logins through the test server count against the per-address limit that
// every test of this package shares (all come from 127.0.0.1), so these tests
// log in through it sparingly; limits that need many attempts are tested on
// an account.Service of their own, with its own limiter keys.

// loginAs posts a login without caching the token.
func loginAs(t *testing.T, user, password string) response {
	t.Helper()
	return call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": user, "password": password})
}

// withoutRequestID returns an error body with its request id removed.
func withoutRequestID(t *testing.T, r response) map[string]any {
	t.Helper()
	e, ok := r.Body["error"].(map[string]any)
	require.True(t, ok, "not an error body: %s", r.Raw)
	out := map[string]any{}
	for k, v := range e {
		if k != "request_id" {
			out[k] = v
		}
	}
	return out
}

func TestLoginFailuresLookAlike(t *testing.T) {
	t.Parallel()
	wrong := "Sai-Mat-Khau-" + testenv.Suffix()
	known := loginAs(t, "health1", wrong)
	unknown := loginAs(t, "nosuchuser-"+testenv.Suffix(), wrong)

	require.Equal(t, http.StatusUnauthorized, known.Status, string(known.Raw))
	require.Equal(t, known.Status, unknown.Status)
	require.Equal(t, withoutRequestID(t, known), withoutRequestID(t, unknown))
	require.Equal(t, "unauthorized", withoutRequestID(t, known)["code"])

	t.Run("FailureOfAKnownAccountIsAudited", func(t *testing.T) {
		rows, err := env.db.QueryStrings(context.Background(),
			`SELECT username FROM audit_log WHERE action = 'auth.login_failed' AND request_id = ?`,
			known.Header.Get("X-Request-Id"))
		require.NoError(t, err)
		require.Equal(t, []string{"health1"}, rows)
	})

	t.Run("PasswordIsNeverStored", func(t *testing.T) {
		require.NotContains(t, env.logs.String(), wrong)
		rows, err := env.db.QueryStrings(context.Background(),
			`SELECT count(*)::text FROM audit_log WHERE strpos(detail::text, ?) > 0`, wrong)
		require.NoError(t, err)
		require.Equal(t, []string{"0"}, rows)
	})
}

func TestLoginNeedsUsernameAndPassword(t *testing.T) {
	t.Parallel()
	r := call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": "officer1"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	code, fields := errorOf(t, r)
	require.Equal(t, "invalid", code)
	require.Contains(t, fields, "password")
}

func TestLogoutRevokesTheToken(t *testing.T) {
	t.Parallel()
	first := loginAs(t, "court1", testenv.Password)
	require.Equal(t, http.StatusOK, first.Status, string(first.Raw))
	second := loginAs(t, "court1", testenv.Password)
	require.Equal(t, http.StatusOK, second.Status, string(second.Raw))
	tok, other := first.Body["token"].(string), second.Body["token"].(string)
	require.NotEqual(t, tok, other)

	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "/api/v1/me", tok, nil).Status)
	out := call(t, http.MethodPost, "/api/v1/auth/logout", tok, nil)
	require.Equal(t, http.StatusNoContent, out.Status, string(out.Raw))

	r := call(t, http.MethodGet, "/api/v1/me", tok, nil)
	require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
	code, _ := errorOf(t, r)
	require.Equal(t, "unauthorized", code)
	again := call(t, http.MethodPost, "/api/v1/auth/logout", tok, nil)
	require.Equal(t, http.StatusUnauthorized, again.Status, string(again.Raw))

	require.Equal(t, http.StatusOK, call(t, http.MethodGet, "/api/v1/me", other, nil).Status,
		"logout ends only the session of its token")
}

func TestLoginRateLimitPerAccount(t *testing.T) {
	t.Parallel()
	user := "nosuchuser-" + testenv.Suffix()
	for i := range 5 {
		r := loginAs(t, user, "wrong password")
		require.Equal(t, http.StatusUnauthorized, r.Status, "attempt %d: %s", i+1, r.Raw)
	}
	r := loginAs(t, user, "wrong password")
	require.Equal(t, http.StatusTooManyRequests, r.Status, string(r.Raw))
	code, _ := errorOf(t, r)
	require.Equal(t, "rate_limited", code)
	wait, err := strconv.Atoi(r.Header.Get("Retry-After"))
	require.NoError(t, err, "Retry-After: %q", r.Header.Get("Retry-After"))
	require.Positive(t, wait)
}

// accounts returns an account service on the test database with limiter keys
// of its own, so its counts start at zero and touch no other test.
func accounts(t *testing.T) *account.Service {
	t.Helper()
	rc, err := testenv.Redis()
	require.NoError(t, err)
	t.Cleanup(func() { rc.Close() })
	return &account.Service{Store: env.db.DB, Secret: []byte(strings.Repeat("k", 32)), Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: rc, Prefix: "test:" + testenv.Suffix() + ":"}}
}

func TestLoginRateLimitPerAddress(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := accounts(t)
	s.IPLimit, s.AccountLimit = 3, 100
	const ip, otherIP = "203.0.113.7", "203.0.113.8"

	for i, u := range []string{"nosuchuser-a", "nosuchuser-b", "social1"} {
		_, _, err := s.Login(ctx, u, "wrong password", ip, "req-ip-"+u)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d: %v", i+1, err)
	}
	_, _, err := s.Login(ctx, "social1", testenv.Password, ip, "req-ip-limited")
	require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "even the right password waits: %v", err)

	sess, u, err := s.Login(ctx, "social1", testenv.Password, otherIP, "req-ip-other")
	require.NoError(t, err, "another address is not limited")
	require.Equal(t, "social1", u.Username)
	require.NotEmpty(t, sess.Token)
}

func TestLoginRateLimitPerAccountHoldsAcrossAddresses(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := accounts(t)
	s.AccountLimit = 2

	for i, ip := range []string{"198.51.100.1", "198.51.100.2"} {
		_, _, err := s.Login(ctx, "social1", "wrong password", ip, "req-acct")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d: %v", i+1, err)
	}
	_, _, err := s.Login(ctx, "social1", testenv.Password, "198.51.100.3", "req-acct")
	require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "the account is locked for every address: %v", err)
}

func TestSuccessfulLoginClearsAccountFailures(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := accounts(t)
	s.AccountLimit = 3
	const ip = "198.51.100.20"

	for range 2 {
		_, _, err := s.Login(ctx, "social1", "wrong password", ip, "req-clear")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	}
	_, _, err := s.Login(ctx, "social1", testenv.Password, ip, "req-clear")
	require.NoError(t, err)
	for i := range 3 {
		_, _, err := s.Login(ctx, "social1", "wrong password", ip, "req-clear")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d after success: %v", i+1, err)
	}
}

func TestExpiredSessionIsRefused(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := accounts(t)
	s.TTL = 8 * time.Hour
	s.Now = func() time.Time { return time.Now().Add(-9 * time.Hour) }

	sess, _, err := s.Login(ctx, "social1", testenv.Password, "198.51.100.30", "req-expired")
	require.NoError(t, err)
	require.True(t, sess.ExpiresAt.Before(time.Now()))
	_, err = s.Authenticate(ctx, sess.Token)
	require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "an expired session is refused: %v", err)

	t.Run("LiveSessionOfTheSameServiceIsAccepted", func(t *testing.T) {
		s.Now = time.Now
		sess, _, err := s.Login(ctx, "social1", testenv.Password, "198.51.100.30", "req-live")
		require.NoError(t, err)
		u, err := s.Authenticate(ctx, sess.Token)
		require.NoError(t, err)
		require.Equal(t, "social1", u.Username)
	})

	t.Run("TokenOfAnotherSecretIsRefused", func(t *testing.T) {
		other := accounts(t)
		other.Secret = []byte(strings.Repeat("o", 32))
		sess, _, err := s.Login(ctx, "social1", testenv.Password, "198.51.100.30", "req-secret")
		require.NoError(t, err)
		_, err = other.Authenticate(ctx, sess.Token)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})
}

func TestDisabledAccountIsRefused(t *testing.T) {
	ctx := context.Background()
	user := "disabled-" + testenv.Suffix()
	hash, err := account.HashPassword(testenv.Password, testenv.FastParams)
	require.NoError(t, err)
	require.NoError(t, env.db.DB.SeedUser(ctx, user, "Tài khoản thử nghiệm (demo)", caseflow.RoleCommuneOfficer, "CP-12004", hash))
	t.Parallel()

	s := accounts(t)
	sess, _, err := s.Login(ctx, user, testenv.Password, "198.51.100.40", "req-disabled")
	require.NoError(t, err)
	require.NoError(t, env.db.Exec(ctx, "UPDATE users SET disabled = true WHERE username = ?", user))

	_, err = s.Authenticate(ctx, sess.Token)
	require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "a disabled account's sessions end: %v", err)
	_, _, err = s.Login(ctx, user, testenv.Password, "198.51.100.40", "req-disabled")
	require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	_, _, wrong := s.Login(ctx, "nosuchuser-"+testenv.Suffix(), testenv.Password, "198.51.100.40", "req-disabled")
	require.Equal(t, caseflow.ErrorMessage(wrong), caseflow.ErrorMessage(err), "a disabled account answers like an unknown one")
}
