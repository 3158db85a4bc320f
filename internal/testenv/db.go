package testenv

import (
	"context"

	"caseflow/internal/postgres"
	"caseflow/internal/seal"
)

// OpenDB opens another handle on a test database, with connections and a
// clock of its own, as another process would have. Close it when done; the
// database itself belongs to the Database that made it.
func OpenDB(ctx context.Context, url string, keys *seal.KeyRing) (*postgres.DB, error) {
	return postgres.Open(ctx, url, keys, nil)
}
