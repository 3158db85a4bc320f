package config

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/calendar"
)

const key = "QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUE=" // 32 bytes of 'A', test only

func env(m map[string]string) Getenv { return func(k string) string { return m[k] } }

func secrets() map[string]string {
	return map[string]string{"ENCRYPTION_KEYS": "k1:" + key, "BLIND_INDEX_KEY": key, "TOKEN_SECRET": key}
}

func TestLoad(t *testing.T) {
	t.Parallel()

	t.Run("DefaultsAreDocumented", func(t *testing.T) {
		c, err := Load(env(secrets()), true)
		require.NoError(t, err)
		require.Equal(t, "postgres://postgres@127.0.0.1:5432/caseflow?sslmode=disable", c.DatabaseURL)
		require.Equal(t, "redis://127.0.0.1:6379/0", c.RedisURL)
		require.Equal(t, "127.0.0.1:8080", c.HTTPAddr)
		require.Equal(t, 8*time.Hour, c.SessionTTL)
		require.Equal(t, 30*time.Second, c.SweepInterval)
		require.Equal(t, 200*time.Millisecond, c.TimerCheckInterval)
		require.Len(t, c.TokenSecret, 32)
	})

	t.Run("BadValuesNameTheVariable", func(t *testing.T) {
		for name, val := range map[string]string{
			"DATABASE_URL": "mysql://x", "REDIS_URL": "http://x", "HTTP_ADDR": "8080", "SESSION_TTL": "forever",
			"SWEEP_INTERVAL": "0s", "TIMER_CHECK_INTERVAL": "5s", "TRUST_PROXY": "maybe", "LOG_LEVEL": "loud",
			"CASE_CODE_PREFIX": "hy", "BLIND_INDEX_KEY": "short", "TOKEN_SECRET": "!!notbase64",
			"SMTP_ADDR": "mail.example.test", "NOTIFY_EMAIL_TO": "not-an-address", "SMTP_TLS": "maybe",
			"SMS_WEBHOOK_URL": "ftp://gateway.example.test", "DIGEST_HOUR": "25", "DATABASE_REPLICA_URL": "mysql://x", "REPLICA_MAX_LAG": "soon",
		} {
			m := secrets()
			m[name] = val
			_, err := Load(env(m), true)
			var ce *Error
			require.True(t, errors.As(err, &ce), "%s=%s should be refused", name, val)
			require.Equal(t, name, ce.Var)
		}
	})

	t.Run("ServeRefusesToStartWithoutKeys", func(t *testing.T) {
		_, err := Load(env(map[string]string{}), true)
		var ce *Error
		require.True(t, errors.As(err, &ce))
		require.Contains(t, []string{"ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "TOKEN_SECRET"}, ce.Var)
		c, err := Load(env(map[string]string{}), false)
		require.NoError(t, err, "migrate and seed need no keys")
		require.Empty(t, c.EncryptionKeys)
	})

	t.Run("SecretsComeFromFiles", func(t *testing.T) {
		dir := t.TempDir()
		f := filepath.Join(dir, "token")
		require.NoError(t, os.WriteFile(f, []byte(key+"\n"), 0o600))
		m := secrets()
		delete(m, "TOKEN_SECRET")
		m["TOKEN_SECRET_FILE"] = f
		c, err := Load(env(m), true)
		require.NoError(t, err)
		require.Len(t, c.TokenSecret, 32)

		m["TOKEN_SECRET"] = key
		_, err = Load(env(m), true)
		require.ErrorContains(t, err, "not both")

		delete(m, "TOKEN_SECRET")
		m["TOKEN_SECRET_FILE"] = filepath.Join(dir, "missing")
		_, err = Load(env(m), true)
		var ce *Error
		require.True(t, errors.As(err, &ce))
		require.Equal(t, "TOKEN_SECRET_FILE", ce.Var)
	})

	t.Run("RedactedHidesSecrets", func(t *testing.T) {
		m := secrets()
		m["DATABASE_URL"] = "postgres://app:s3cret@db:5432/caseflow"
		c, err := Load(env(m), true)
		require.NoError(t, err)
		for _, line := range c.Redacted() {
			require.NotContains(t, line, "s3cret")
			require.NotContains(t, line, key)
		}
	})
}

func TestCalendarPolicy(t *testing.T) {
	c, err := Load(env(map[string]string{}), false)
	require.NoError(t, err)
	require.Equal(t, calendar.Strict, c.CalendarPolicy, "the strict reading of Điều 134 by default")
	c, err = Load(env(map[string]string{"CALENDAR_POLICY": "lenient"}), false)
	require.NoError(t, err)
	require.Equal(t, calendar.Lenient, c.CalendarPolicy)
	c, err = Load(env(map[string]string{"CALENDAR_POLICY": "start_day=included"}), false)
	require.NoError(t, err)
	require.Equal(t, calendar.StartDayIncluded, c.CalendarPolicy.StartDay)
	_, err = Load(env(map[string]string{"CALENDAR_POLICY": "generous"}), false)
	var ce *Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, "CALENDAR_POLICY", ce.Var)
}
