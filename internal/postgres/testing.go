package postgres

import (
	"context"
	"fmt"
)

// RawCount counts the rows of a table; tests use it to check that a refused
// request wrote nothing. The table name must be one of the schema's.
func (db *DB) RawCount(ctx context.Context, table string, n *int64) error {
	switch table {
	case "cases", "case_people", "case_access", "case_history", "idempotency_keys", "audit_log", "sessions",
		"case_clocks", "outbox", "notifications", "referrals":
	default:
		return fmt.Errorf("unknown table %q", table)
	}
	return db.gorm.WithContext(ctx).Raw("SELECT count(*) FROM " + table).Scan(n).Error
}

// Exec runs a statement; tests use it to tamper with data on purpose.
func (db *DB) Exec(ctx context.Context, sql string, args ...any) error {
	return db.gorm.WithContext(ctx).Exec(sql, args...).Error
}

// QueryStrings runs a query returning one text column; tests use it to look
// at raw stored values.
func (db *DB) QueryStrings(ctx context.Context, sql string, args ...any) ([]string, error) {
	var out []string
	err := db.gorm.WithContext(ctx).Raw(sql, args...).Scan(&out).Error
	return out, err
}
