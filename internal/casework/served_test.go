package casework_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// TestThePoliceFileForTheCommunesTheyServe: the communes the intake form
// offers the police are, in one query, those AgencyServes accepts one by one.
func TestThePoliceFileForTheCommunesTheyServe(t *testing.T) {
	ctx := context.Background()
	for _, username := range []string{"police1", "prosecutor1"} {
		v := viewer(t, username)
		offered, err := env.db.DB.CommunesServedBy(ctx, v.Agency.ID, v.Agency.Type, now)
		require.NoError(t, err)
		all, err := env.cases.UnitsOn(ctx, v, now, caseflow.LevelCommune)
		require.NoError(t, err)
		var want []string
		for _, u := range all {
			ok, err := env.db.DB.AgencyServes(ctx, u.ID, now, v.Agency.Type, v.Agency.Code)
			require.NoError(t, err)
			if ok {
				want = append(want, u.Code)
			}
		}
		var got []string
		for _, u := range offered {
			got = append(got, u.Code)
		}
		require.NotEmpty(t, want, username)
		require.ElementsMatch(t, want, got, "%s: the communes offered are those served", username)
	}
}
