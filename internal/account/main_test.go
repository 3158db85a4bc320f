package account_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/limiter"
	"caseflow/internal/testenv"
)

// env is shared by the tests of this package: one database, one Redis client.
// Every test makes accounts and limiter keys of its own, so none sees
// another's.
var env struct {
	db    *testenv.Database
	redis *redis.Client
	// prefix namespaces this run's limiter keys, apart from other packages
	// and other runs using the same Redis at once.
	prefix string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "account")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer db.Close()
	rc, err := testenv.Redis()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis:", err)
		return 1
	}
	defer rc.Close()
	env.db, env.redis, env.prefix = db, rc, "test:account:"+testenv.Suffix()+":"
	code := m.Run()
	if err := deleteKeys(ctx, env.prefix); err != nil {
		fmt.Fprintln(os.Stderr, "redis cleanup:", err)
	}
	return code
}

// deleteKeys removes every Redis key under prefix.
func deleteKeys(ctx context.Context, prefix string) error {
	iter := env.redis.Scan(ctx, 0, prefix+"*", 100).Iterator()
	for iter.Next(ctx) {
		if err := env.redis.Del(ctx, iter.Val()).Err(); err != nil {
			return err
		}
	}
	return iter.Err()
}

// service returns an account service on the test database whose limiter keys
// are the test's own, so its counts start at zero.
func service(t *testing.T) *account.Service {
	t.Helper()
	prefix := env.prefix + testenv.Suffix() + ":"
	t.Cleanup(func() { _ = deleteKeys(context.Background(), prefix) })
	return &account.Service{Store: env.db.DB, Secret: []byte(strings.Repeat("a", 32)), Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: env.redis, Prefix: prefix}}
}

// agencies are demo agencies, one for each role the tests create accounts of.
var agencies = map[caseflow.Role]string{
	caseflow.RoleCommuneOfficer: "CP-12004",
	caseflow.RoleSocialWorker:   "CTXH-33",
	caseflow.RoleSupervisor:     "BCD-33",
	caseflow.RoleAdmin:          "UBND-33",
}

// newUser creates an account of its own for a test, with password
// testenv.Password, and returns it as stored.
func newUser(t *testing.T, role caseflow.Role) *caseflow.User {
	t.Helper()
	ctx := context.Background()
	agency, ok := agencies[role]
	require.True(t, ok, "no demo agency for role %s", role)
	name := strings.ReplaceAll(string(role), "_", "") + "-" + testenv.Suffix()
	hash, err := account.HashPassword(testenv.Password, testenv.FastParams)
	require.NoError(t, err)
	require.NoError(t, env.db.DB.SeedUser(ctx, name, "Tài khoản kiểm thử (demo)", role, agency, hash))
	u, err := env.db.DB.UserByUsername(ctx, name)
	require.NoError(t, err)
	return u
}

// viewer is the user as the one asking.
func viewer(u *caseflow.User) caseflow.Viewer {
	return caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency,
		IP: "192.0.2.1", RequestID: "req-" + u.Username}
}

// login logs a user in with testenv.Password and returns the token.
func login(t *testing.T, s *account.Service, username string) string {
	t.Helper()
	sess, _, err := s.Login(context.Background(), username, testenv.Password, "192.0.2.10", "req-login-"+username)
	require.NoError(t, err)
	return sess.Token
}

// failureReasons returns the reasons of the audited login failures of a
// username, oldest first.
func failureReasons(t *testing.T, username string) []string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(),
		`SELECT detail->>'reason' FROM audit_log WHERE action = 'auth.login_failed' AND username = ? ORDER BY id`, username)
	require.NoError(t, err)
	return rows
}

// auditCount counts the audit entries of an action by or about a username.
func auditCount(t *testing.T, action, username string) string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(),
		`SELECT count(*)::text FROM audit_log WHERE action = ? AND (username = ? OR detail->>'user' = ?)`,
		action, username, username)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]
}
