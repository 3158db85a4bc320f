package account_test

import (
	"context"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

func TestLogin(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("SuccessReturnsATokenThatResolvesToTheUser", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		now := time.Now().UTC().Truncate(time.Second)
		s.Now = func() time.Time { return now }
		s.TTL = 2 * time.Hour

		sess, got, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.20", "req-ok")
		require.NoError(t, err)
		require.Equal(t, u.ID, got.ID)
		require.Equal(t, u.Username, got.Username)
		require.Equal(t, caseflow.RoleSocialWorker, got.Role)
		require.Equal(t, now.Add(2*time.Hour), sess.ExpiresAt)
		require.GreaterOrEqual(t, len(sess.Token), 43, "32 random bytes, base64url")

		who, err := s.Authenticate(ctx, sess.Token)
		require.NoError(t, err)
		require.Equal(t, u.ID, who.ID)
		require.Equal(t, u.Username, who.Username)
		require.Equal(t, u.Role, who.Role)
		require.Equal(t, u.Agency.Code, who.Agency.Code)
		require.Equal(t, "1", auditCount(t, "auth.login", u.Username))
	})

	t.Run("EachLoginHasItsOwnToken", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		require.NotEqual(t, login(t, s, u.Username), login(t, s, u.Username))
	})

	t.Run("OnlyTheKeyedHashOfTheTokenIsStored", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)
		rows, err := env.db.QueryStrings(ctx,
			`SELECT encode(s.token_hash, 'hex') FROM sessions s JOIN users u ON u.id = s.user_id WHERE u.username = ?`, u.Username)
		require.NoError(t, err)
		require.Len(t, rows, 1)
		require.NotContains(t, rows[0], tok)
		require.Equal(t, rows[0], hex.EncodeToString(s.TokenHash(tok)))
	})

	t.Run("WrongPasswordAndUnknownUserGetTheSameError", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		sess, who, wrong := s.Login(ctx, u.Username, "not the password 1", "192.0.2.21", "req-wrong")
		require.Nil(t, sess)
		require.Nil(t, who)
		_, _, unknown := s.Login(ctx, "nosuchuser-"+testenv.Suffix(), "not the password 1", "192.0.2.21", "req-unknown")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(wrong), "%v", wrong)
		require.Equal(t, wrong, unknown)
		require.Equal(t, []string{"wrong password"}, failureReasons(t, u.Username), "a known account's failure is audited")
	})

	t.Run("UsernameIsCaseSensitive", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		_, _, err := s.Login(ctx, strings.ToUpper(u.Username), testenv.Password, "192.0.2.22", "req-case")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("DisabledUserCannotLogIn", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		require.NoError(t, env.db.Exec(ctx, "UPDATE users SET disabled = true WHERE id = ?", u.ID))
		sess, who, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.23", "req-disabled")
		require.Nil(t, sess)
		require.Nil(t, who)
		_, _, unknown := s.Login(ctx, "nosuchuser-"+testenv.Suffix(), testenv.Password, "192.0.2.23", "req-disabled")
		require.Equal(t, unknown, err, "a disabled account answers like an unknown one")
		require.Equal(t, []string{"account disabled"}, failureReasons(t, u.Username))
		require.Equal(t, "0", auditCount(t, "auth.login", u.Username))
	})

	t.Run("MalformedStoredHashIsAWrongPassword", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		require.NoError(t, env.db.Exec(ctx, "UPDATE users SET password_hash = ? WHERE id = ?",
			"$argon2id$v=19$m=1024,t=0,p=1$c2FsdHNhbHRzYWx0c2FsdA$", u.ID))
		var err error
		require.NotPanics(t, func() {
			_, _, err = s.Login(ctx, u.Username, testenv.Password, "192.0.2.24", "req-malformed")
		})
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		require.Equal(t, []string{"wrong password"}, failureReasons(t, u.Username))
	})
}

func TestLoginAccountLock(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("LockedAfterTheConfiguredFailures", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.AccountLimit = 3
		u := newUser(t, caseflow.RoleSocialWorker)
		for i := range 3 {
			_, _, err := s.Login(ctx, u.Username, "not the password 1", "192.0.2.30", "req-lock")
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d: %v", i+1, err)
		}
		_, _, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.31", "req-lock")
		require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "the right password waits too, from any address: %v", err)
		require.Contains(t, caseflow.ErrorMessage(err), "this account")
		require.Len(t, failureReasons(t, u.Username), 3, "a refused attempt does not reach the password check")
		require.Equal(t, "0", auditCount(t, "auth.login", u.Username))

		other := newUser(t, caseflow.RoleSocialWorker)
		_, _, err = s.Login(ctx, other.Username, testenv.Password, "192.0.2.30", "req-lock")
		require.NoError(t, err, "the lock holds one account only")
	})

	t.Run("DefaultIsFiveFailures", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		for i := range 5 {
			_, _, err := s.Login(ctx, u.Username, "not the password 1", "192.0.2.32", "req-default")
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d: %v", i+1, err)
		}
		_, _, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.32", "req-default")
		require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("UnknownUsernamesAreLockedToo", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.AccountLimit = 2
		name := "nosuchuser-" + testenv.Suffix()
		for range 2 {
			_, _, err := s.Login(ctx, name, "guess 1", "192.0.2.33", "req-unknown")
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		}
		_, _, err := s.Login(ctx, name, "guess 1", "192.0.2.33", "req-unknown")
		require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "a lock does not tell which usernames exist: %v", err)
	})

	t.Run("SuccessClearsTheFailures", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.AccountLimit = 3
		u := newUser(t, caseflow.RoleSocialWorker)
		for range 2 {
			_, _, err := s.Login(ctx, u.Username, "not the password 1", "192.0.2.34", "req-clear")
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		}
		login(t, s, u.Username)
		for i := range 3 {
			_, _, err := s.Login(ctx, u.Username, "not the password 1", "192.0.2.34", "req-clear")
			require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d after success: %v", i+1, err)
		}
	})

	t.Run("LockEndsWithTheWindow", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.AccountLimit, s.Window = 1, time.Second
		u := newUser(t, caseflow.RoleSocialWorker)
		_, _, err := s.Login(ctx, u.Username, "not the password 1", "192.0.2.35", "req-window")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		_, _, err = s.Login(ctx, u.Username, testenv.Password, "192.0.2.35", "req-window")
		require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "%v", err)
		require.Eventually(t, func() bool {
			_, _, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.35", "req-window")
			return err == nil
		}, 5*time.Second, 250*time.Millisecond)
	})
}

func TestLoginAddressLimit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("LimitedAfterTheConfiguredAttempts", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.IPLimit, s.AccountLimit = 3, 100
		u := newUser(t, caseflow.RoleSocialWorker)
		const ip, otherIP = "203.0.113.7", "203.0.113.8"
		for i, name := range []string{"nosuchuser-" + testenv.Suffix(), u.Username, u.Username} {
			pw := "not the password 1"
			if i == 2 {
				pw = testenv.Password
			}
			_, _, err := s.Login(ctx, name, pw, ip, "req-ip")
			if i == 2 {
				require.NoError(t, err, "a success counts against the address as well")
			} else {
				require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "attempt %d: %v", i+1, err)
			}
		}
		_, _, err := s.Login(ctx, u.Username, testenv.Password, ip, "req-ip")
		require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "%v", err)
		require.Contains(t, caseflow.ErrorMessage(err), "this address")

		_, _, err = s.Login(ctx, u.Username, testenv.Password, otherIP, "req-ip")
		require.NoError(t, err, "another address is not limited")
	})

	t.Run("AddressLimitDoesNotLockTheAccount", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.IPLimit, s.AccountLimit = 1, 1
		u := newUser(t, caseflow.RoleSocialWorker)
		login(t, s, u.Username) // from 192.0.2.10, using its one attempt
		for range 3 {
			_, _, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.10", "req-ip")
			require.Equal(t, caseflow.ERateLimited, caseflow.ErrorCode(err), "%v", err)
		}
		_, _, err := s.Login(ctx, u.Username, testenv.Password, "192.0.2.40", "req-ip")
		require.NoError(t, err, "attempts refused by the address limit are not counted against the account")
	})
}

func TestAuthenticate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("EmptyTokenIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		_, err := service(t).Authenticate(ctx, "")
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("UnknownTokenIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		_, err := service(t).Authenticate(ctx, "not-a-token-"+testenv.Suffix())
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("TokenOfAnotherSecretIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		tok := login(t, s, newUser(t, caseflow.RoleSocialWorker).Username)
		other := service(t)
		other.Secret = []byte(strings.Repeat("b", 32))
		_, err := other.Authenticate(ctx, tok)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("ExpiredSessionIsUnauthorized", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		s.Now = func() time.Time { return time.Now().Add(-9 * time.Hour) }
		tok := login(t, s, newUser(t, caseflow.RoleSocialWorker).Username)
		_, err := s.Authenticate(ctx, tok)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})

	t.Run("SeesTheUserAsNowStored", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)
		require.NoError(t, env.db.Exec(ctx, "UPDATE users SET role = 'supervisor' WHERE id = ?", u.ID))
		who, err := s.Authenticate(ctx, tok)
		require.NoError(t, err)
		require.Equal(t, caseflow.RoleSupervisor, who.Role)
	})
}

func TestLogout(t *testing.T) {
	t.Parallel()
	ctx := context.Background()

	t.Run("RevokesTheToken", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok, other := login(t, s, u.Username), login(t, s, u.Username)
		require.NoError(t, s.Logout(ctx, viewer(u), tok))

		_, err := s.Authenticate(ctx, tok)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
		who, err := s.Authenticate(ctx, other)
		require.NoError(t, err, "logout ends only the session of its token")
		require.Equal(t, u.ID, who.ID)
		require.Equal(t, "1", auditCount(t, "auth.logout", u.Username))
	})

	t.Run("RevokedTokenStaysRevoked", func(t *testing.T) {
		t.Parallel()
		s := service(t)
		u := newUser(t, caseflow.RoleSocialWorker)
		tok := login(t, s, u.Username)
		require.NoError(t, s.Logout(ctx, viewer(u), tok))
		require.NoError(t, s.Logout(ctx, viewer(u), tok), "logging out twice is harmless")
		_, err := s.Authenticate(ctx, tok)
		require.Equal(t, caseflow.EUnauthorized, caseflow.ErrorCode(err), "%v", err)
	})
}
