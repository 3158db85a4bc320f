package testenv

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
)

// The raw SQL tests use to look at stored values and to tamper with data
// on purpose, through a connection pool of the test's own: production code
// has no such door. Queries are written with ? placeholders, as storage
// writes them.

// RawCount counts the rows of a table; tests use it to check that a refused
// request wrote nothing. The table name must be one of the schema's.
func (d *Database) RawCount(ctx context.Context, table string, n *int64) error {
	switch table {
	case "cases", "case_people", "case_access", "case_history", "idempotency_keys", "audit_log", "sessions",
		"case_clocks", "outbox", "notifications", "referrals", "holidays", "users", "case_name_index", "jurisdiction":
	default:
		return fmt.Errorf("unknown table %q", table)
	}
	return d.sql.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(n)
}

// Exec runs a statement.
func (d *Database) Exec(ctx context.Context, query string, args ...any) error {
	_, err := d.sql.ExecContext(ctx, placeholders(query, len(args)), args...)
	return err
}

// QueryStrings runs a query returning one text column (NULL as "").
func (d *Database) QueryStrings(ctx context.Context, query string, args ...any) ([]string, error) {
	rows, err := d.sql.QueryContext(ctx, placeholders(query, len(args)), args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s sql.NullString
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s.String)
	}
	return out, rows.Err()
}

// placeholders numbers the ? placeholders of a query with arguments ($1,
// $2, …), leaving quoted text, quoted names and comments alone.
func placeholders(query string, args int) string {
	if args == 0 || !strings.Contains(query, "?") {
		return query
	}
	var b strings.Builder
	n := 0
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case c == '\'' || c == '"':
			j := strings.IndexByte(query[i+1:], c)
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j+2])
			i += j + 1
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			j := strings.IndexByte(query[i:], '\n')
			if j < 0 {
				b.WriteString(query[i:])
				return b.String()
			}
			b.WriteString(query[i : i+j])
			i += j - 1
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}
