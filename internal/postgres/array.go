package postgres

import (
	"database/sql/driver"
	"fmt"

	"github.com/jackc/pgx/v5/pgtype"
)

// arrayTypes encodes and decodes Postgres arrays sent and read through
// database/sql.
var arrayTypes = pgtype.NewMap()

// array is a Postgres array column or argument (text[], bigint[], bytea[]).
// It is a driver.Valuer so that gorm passes it as one value rather than
// expanding it into a list.
type array[T string | int64 | []byte] []T

// Scan reads a Postgres array into the slice.
func (a *array[T]) Scan(src any) error {
	var out []T
	if err := arrayTypes.SQLScanner(&out).Scan(src); err != nil {
		return err
	}
	*a = out
	return nil
}

// Value writes the slice as a Postgres array literal.
func (a array[T]) Value() (driver.Value, error) {
	if a == nil {
		return nil, nil
	}
	var oid uint32
	switch any(*new(T)).(type) {
	case string:
		oid = pgtype.TextArrayOID
	case int64:
		oid = pgtype.Int8ArrayOID
	case []byte:
		oid = pgtype.ByteaArrayOID
	}
	buf, err := arrayTypes.Encode(oid, pgtype.TextFormatCode, []T(a), nil)
	if err != nil {
		return nil, fmt.Errorf("encoding an array: %w", err)
	}
	return string(buf), nil
}
