package postgres

import (
	"testing"

	"github.com/stretchr/testify/require"
)

func TestRenumber(t *testing.T) {
	got, err := renumber(`INSERT INTO "t" ("a","b$1") VALUES ($1,$2) ON CONFLICT (a) WHERE note <> '$3' DO NOTHING`, 4, 2)
	require.NoError(t, err)
	require.Equal(t, `INSERT INTO "t" ("a","b$1") VALUES ($5,$6) ON CONFLICT (a) WHERE note <> '$3' DO NOTHING`, got)

	got, err = renumber(`UPDATE "t" SET "x"=$1 WHERE id = $2 AND k = $10`, 0, 10)
	require.Error(t, err, "fewer placeholders than values")
	require.Empty(t, got)

	_, err = renumber(`SELECT $3`, 0, 2)
	require.ErrorContains(t, err, "unexpected placeholder")
	_, err = renumber(`SELECT $ 1`, 0, 1)
	require.ErrorContains(t, err, "unexpected placeholder")
	_, err = renumber(`SELECT '$1`, 0, 1)
	require.Error(t, err, "an unclosed literal")
}
