// Package migrations holds the numbered SQL migrations of the schema,
// embedded so that the binary can migrate a database on its own.
package migrations

import "embed"

// FS holds every *.sql migration, applied in the order of their numbers.
//
//go:embed *.sql
var FS embed.FS
