package seeds

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestSeedFilesAreConsistent(t *testing.T) {
	t.Parallel()
	structures, err := Structures()
	require.NoError(t, err)
	require.NotEmpty(t, structures)
	units := map[string]string{}
	districts := 0
	for _, s := range structures {
		for _, u := range s.Units {
			_, dup := units[u.Code]
			require.False(t, dup, "unit %s twice", u.Code)
			if u.Parent != "" {
				require.Contains(t, units, u.Parent, "unit %s: parent must come first", u.Code)
			}
			units[u.Code] = u.Level
			if u.Level == "district" {
				districts++
			}
		}
	}
	require.Equal(t, 10, districts, "the 2021 plan names 10 district-level units")

	agencies, err := Agencies()
	require.NoError(t, err)
	codes := map[string]bool{}
	for _, a := range agencies {
		require.Contains(t, units, a.Unit, "agency %s", a.Code)
		require.False(t, codes[a.Code], "agency %s twice", a.Code)
		codes[a.Code] = true
	}
	for code, level := range units {
		if level == "commune" {
			require.True(t, codes["CP-"+code], "commune %s has no child-protection agency", code)
		}
	}

	users, err := DemoUsers()
	require.NoError(t, err)
	require.Len(t, users, 9)
	for _, u := range users {
		require.True(t, codes[u.Agency], "demo user %s: agency %s", u.Username, u.Agency)
	}

	hs, err := Holidays()
	require.NoError(t, err)
	for _, h := range hs {
		d, err := time.Parse("2006-01-02", h.Date)
		require.NoError(t, err)
		require.NotContains(t, []time.Weekday{time.Saturday, time.Sunday}, d.Weekday(), "holiday %s falls on a weekend: list the working day given instead", h.Date)
	}

	cases, err := DemoCases()
	require.NoError(t, err)
	require.NotEmpty(t, cases)
}
