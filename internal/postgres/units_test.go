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

// A database seeded by an earlier version holds units and agencies the
// official lists do not have (placeholder communes): seeding removes those
// nothing refers to and keeps the others for a person to review.
func TestSeedingRetiresUnlistedUnits(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	d := freshDatabase(t)
	for _, q := range []string{
		`INSERT INTO units (code, name, level, parent_id, path, structure, valid_from, valid_to)
			SELECT '19001', 'Xã Giữ Chỗ Một', 'commune', id, path, '2021', '2008-08-01', '2025-06-30' FROM units WHERE code = '325'`,
		`INSERT INTO units (code, name, level, parent_id, path, structure, valid_from, valid_to)
			SELECT '19002', 'Xã Giữ Chỗ Hai', 'commune', id, path, '2021', '2008-08-01', '2025-06-30' FROM units WHERE code = '325'`,
		`INSERT INTO agencies (code, name, type, unit_id, valid_from) SELECT 'CP-19001', 'UBND Xã Giữ Chỗ Một', 'commune_child_protection', id, '2008-08-01' FROM units WHERE code = '19001'`,
		`INSERT INTO agencies (code, name, type, unit_id, valid_from) SELECT 'CP-19002', 'UBND Xã Giữ Chỗ Hai', 'commune_child_protection', id, '2008-08-01' FROM units WHERE code = '19002'`,
		// An account still works for the second one.
		`INSERT INTO users (username, password_hash, role, agency_id) SELECT 'giu-cho-hai', '!', 'commune_officer', id FROM agencies WHERE code = 'CP-19002'`,
	} {
		require.NoError(t, d.Exec(ctx, q))
	}
	require.NoError(t, d.DB.SeedReference(ctx))
	left, err := d.QueryStrings(ctx, `SELECT code FROM units WHERE code IN ('19001', '19002') UNION ALL
		SELECT code FROM agencies WHERE code IN ('CP-19001', 'CP-19002') ORDER BY 1`)
	require.NoError(t, err)
	require.Equal(t, []string{"19002", "CP-19002"}, left, "the unreferenced placeholder goes, the referenced one stays")
	n, err := d.QueryStrings(ctx, `SELECT count(*)::text FROM units`)
	require.NoError(t, err)
	require.Equal(t, []string{"292"}, n, "the 291 official units and the one kept")
}
