package postgres_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

// env is the database shared by the tests of this package that neither
// tamper with it nor count what the others write.
var env struct {
	db *testenv.Database
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	db, err := testenv.NewDatabase(context.Background(), "postgres")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer db.Close()
	env.db = db
	return m.Run()
}

// freshDatabase returns a database of the test's own, dropped when it ends,
// for tests that tamper with data or need exact counts.
func freshDatabase(t *testing.T) *testenv.Database {
	t.Helper()
	db, err := testenv.NewDatabase(context.Background(), "postgres")
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}
