// Package postgres is the storage of the service on PostgreSQL through gorm:
// schema migrations, units, agencies, users and sessions, cases with their
// encrypted people, need-to-know access, and the hash-chained audit trail.
// Every storage method owns its transaction, and every query that reads a
// case applies the caller's access rule in SQL.
package postgres
