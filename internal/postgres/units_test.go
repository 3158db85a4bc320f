package postgres_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"
)

// A code is reused over time: UnitByCode names the unit that has it today,
// and for a code no unit has today, the last one that had it.
func TestUnitByCodeIsTodaysUnit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, c := range []struct{ code, name, structure string }{
		{"12004", "Xã Như Quỳnh", "2025"},    // Xã Đình Dù until 30 June 2025
		{"11953", "Phường Phố Hiến", "2025"}, // Phường Hiến Nam until 30 June 2025
		{"11992", "Xã Lạc Đạo", "2025"},      // Xã Chỉ Đạo until 30 June 2025
		{"11986", "Thị trấn Như Quỳnh", "2021"},
		{"325", "Huyện Văn Lâm", "2021"},
	} {
		u, id, err := env.db.DB.UnitByCode(ctx, c.code)
		require.NoError(t, err, c.code)
		require.Equal(t, c.name, u.Name, c.code)
		require.Equal(t, c.structure, u.Structure, c.code)
		require.Equal(t, u.ID, id, c.code)
	}
}
