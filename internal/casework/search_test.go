package casework_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// TestSearchByChildName: a child is found by name however it is typed,
// with or without the date of birth; children filed before the name index
// existed are found once the index is backfilled; a bad search is refused
// with its field.
func TestSearchByChildName(t *testing.T) {
	ctx := context.Background()
	v := viewer(t, "officer1")
	tag := testenv.Suffix()
	name := "Lê Văn Tìm Kiếm " + tag
	r := newReport(now.AddDate(0, 0, -1))
	r.Children[0].FullName = name
	res, err := intake(v, r)
	require.NoError(t, err)
	code := res.Case.Code

	find := func(name, dob string) []string {
		t.Helper()
		pg, err := env.cases.Cases(ctx, v, caseflow.CaseFilter{ChildName: name, ChildDOB: dob})
		require.NoError(t, err)
		var codes []string
		for _, c := range pg.Cases {
			codes = append(codes, c.Code)
		}
		return codes
	}
	require.Equal(t, []string{code}, find("  le van  TIM kiem "+tag, ""))
	require.Equal(t, []string{code}, find(name, "2015-03-02"))
	require.Empty(t, find(name, "2015-03-03"), "another birthday")
	require.Empty(t, find("Lê Văn Tìm", ""), "part of a name")
	// The list names the child by initials.
	pg, err := env.cases.Cases(ctx, v, caseflow.CaseFilter{Code: code})
	require.NoError(t, err)
	require.Len(t, pg.Cases, 1)
	require.Equal(t, caseflow.Initials(name), pg.Cases[0].Briefs[0].Initials)

	// Filed before the index: found after the backfill, which goes through
	// every case and ends.
	require.NoError(t, env.db.Exec(ctx, "DELETE FROM case_name_index WHERE case_id = (SELECT id FROM cases WHERE code = ?)", code))
	require.Empty(t, find(name, ""))
	total := 0
	for after := int64(0); ; {
		n, next, err := env.db.DB.IndexChildNames(ctx, after, 3)
		require.NoError(t, err)
		total += n
		if after = next; next == 0 {
			break
		}
	}
	require.GreaterOrEqual(t, total, 1)
	require.Equal(t, []string{code}, find(name, ""))

	// A supervisor sees no names, so finds nothing by one.
	sup, err := env.cases.Cases(ctx, viewer(t, "supervisor1"), caseflow.CaseFilter{ChildName: name})
	require.NoError(t, err)
	require.Empty(t, sup.Cases)

	_, err = env.cases.Cases(ctx, v, caseflow.CaseFilter{ChildName: name, ChildDOB: "02/03/2015"})
	require.Equal(t, caseflow.EInvalid, caseflow.ErrorCode(err))
	_, err = env.cases.Cases(ctx, v, caseflow.CaseFilter{ChildName: "   ", ChildDOB: "2015-03-02"})
	require.Equal(t, caseflow.EInvalid, caseflow.ErrorCode(err))
}
