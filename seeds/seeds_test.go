package seeds

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func hungYen(t *testing.T) *Province {
	t.Helper()
	ps, err := Provinces()
	require.NoError(t, err)
	require.Len(t, ps, 1)
	require.Equal(t, "33", ps[0].Code)
	return ps[0]
}

func on(t *testing.T, s string) time.Time {
	t.Helper()
	d, err := time.Parse(DateLayout, s)
	require.NoError(t, err)
	return d
}

// readCSV reads one of the official lists shipped with the province.
func readCSV(t *testing.T, name string) [][]string {
	t.Helper()
	b, err := files.ReadFile("provinces/hung-yen/" + name)
	require.NoError(t, err)
	rows, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	require.NoError(t, err)
	return rows[1:]
}

func TestEveryOfficialCodeLoads(t *testing.T) {
	t.Parallel()
	p := hungYen(t)
	for _, tc := range []struct {
		file, structure, on string
		communes, districts int
	}{
		{"hung-yen-units-2021.csv", "2021", "2021-06-01", 161, 10},
		{"hung-yen-units-2025.csv", "2025", "2026-01-01", 104, 0},
	} {
		communes, districts := 0, 0
		for _, r := range readCSV(t, tc.file) {
			code, name, level := r[0], r[1], r[2]
			u := p.UnitAt(code, on(t, tc.on))
			require.NotNil(t, u, "%s %s %s", tc.file, code, name)
			require.Equal(t, name, u.Name, code)
			require.Equal(t, level, u.Level, code)
			if level != "province" {
				require.Equal(t, tc.structure, u.Structure, code)
			}
			switch level {
			case "commune":
				communes++
			case "district":
				districts++
			}
		}
		require.Equal(t, tc.communes, communes, tc.file)
		require.Equal(t, tc.districts, districts, tc.file)
	}
	kinds := map[string]int{}
	for _, u := range p.Units {
		if u.Structure == "2025" {
			kinds[strings.Fields(u.Name)[0]]++
		}
	}
	require.Equal(t, map[string]int{"Xã": 93, "Phường": 11}, kinds, "NQ 1666: 93 xã and 11 phường")
}

func TestTheDecember2024ChangesAreDated(t *testing.T) {
	t.Parallel()
	p := hungYen(t)
	for _, r := range readCSV(t, "hung-yen-changes-2024-12.csv") {
		old := p.UnitAt(r[0], on(t, "2024-11-30"))
		require.NotNil(t, old, r[0])
		require.Equal(t, r[1], old.Name)
		require.Equal(t, "2024-11-30", old.ValidTo.Format(DateLayout), "%s %s ended on 30 November 2024", r[0], r[1])
		if r[3] == "" {
			require.Contains(t, p.Unplaced, old.Key(), "%s has no known successor", r[0])
			continue
		}
		next := p.UnitAt(r[3], on(t, "2024-12-01"))
		require.NotNil(t, next, r[3])
		require.Equal(t, r[4], next.Name)
	}
	// 139 commune-level units on 30 June 2025, as NQ 1666 names them.
	n := 0
	for _, u := range p.Units {
		if u.Structure == "2021" && u.Level == "commune" && u.ValidOn(on(t, "2025-06-30")) {
			n++
		}
	}
	require.Equal(t, 139, n)
	require.Len(t, p.Unplaced, 10, "ten 2021 communes have no readable successor")
}

func TestEveryFormerCommuneHasOneMainSuccessor(t *testing.T) {
	t.Parallel()
	p := hungYen(t)
	main := map[string]int{}
	for _, s := range p.Successions {
		if s.Main {
			main[s.From]++
		}
	}
	for _, u := range p.Units {
		if u.Structure != "2021" || u.Level != "commune" {
			continue
		}
		if strings.Contains(strings.Join(p.Unplaced, ","), u.Key()) {
			require.Zero(t, main[u.Key()], u.Key())
			continue
		}
		require.Equal(t, 1, main[u.Key()], "unit %s %s", u.Key(), u.Name)
	}
	require.Equal(t, 242, p.OutOfScope, "rows of former Thái Bình are checked, not loaded")
}

func TestJurisdictionCoversEveryCommuneOfToday(t *testing.T) {
	t.Parallel()
	p := hungYen(t)
	today := on(t, "2026-12-02")
	unverified := 0
	for _, u := range p.Units {
		if u.Structure != "2025" {
			continue
		}
		for _, typ := range []string{"commune_child_protection", "police", "health", "procuracy", "court", "social_services", "legal_aid"} {
			var best *JurisdictionRow
			for i, j := range p.Jurisdiction {
				c := p.Unit(j.UnitKey)
				covers := j.UnitKey == u.Key() || c.Level == "province"
				if j.Structure == "2025" && j.Type == typ && j.Primary && covers && validOn(j.ValidFrom, j.ValidTo, today) {
					if best == nil || c.Level != "province" {
						best = &p.Jurisdiction[i]
					}
				}
			}
			require.NotNil(t, best, "commune %s %s: no primary %s", u.Code, u.Name, typ)
			if !best.Verified {
				unverified++
			}
		}
	}
	require.Equal(t, 102, unverified, "102 procuracy rows are inferred from the courts")
}

func TestGeneratedFilesAreCurrent(t *testing.T) {
	t.Parallel()
	gen, err := Generated(files, "provinces/hung-yen")
	require.NoError(t, err)
	require.NotEmpty(t, gen)
	for name, want := range gen {
		got, err := files.ReadFile("provinces/hung-yen/" + name)
		require.NoError(t, err)
		require.Equal(t, string(want), string(got), "%s is stale: run go generate ./seeds", name)
	}
}

func TestTheReadmeListsWhatIsUnverified(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("README.md")
	require.NoError(t, err)
	want := UnverifiedStart + "\n" + UnverifiedSection(hungYen(t)) + UnverifiedEnd
	require.Contains(t, string(readme), want, "seeds/README.md is stale: run go generate ./seeds")
	require.Contains(t, want, "verified: false` (102)")
}

func TestTheShippedListsAreTheOfficialOnes(t *testing.T) {
	t.Parallel()
	// Codes are loaded, never retyped: each copy is byte for byte the
	// reference list (SHA-256 of ../shared/data as received, SOURCES.md).
	// Where the reference folder is at hand, the copies are compared with
	// it too.
	for name, sum := range map[string]string{
		"hung-yen-units-2021.csv":        "0d9340d833cb2ef21dbdca877af6e1f87d0ae1c762c6d1fe93ec7f6d00b84950",
		"hung-yen-units-2025.csv":        "8ff8c528369e239d2b78dfff0402f46e0712a204f8052c4d44f35fcbd28d1f68",
		"hung-yen-merger-2025.csv":       "0ea33009f4a2098ba2721d8d83e0b783939e05c368cf5b50936284a4262f8e5f",
		"hung-yen-changes-2024-12.csv":   "1451d8acb052b7a8d82af0d084a733dc546a186cfbbf9466ffe6dd413cdd43db",
		"hung-yen-jurisdiction-2025.csv": "740e1717e75424b655507abb3525d9404e54c920c84f728e6e2b017819efaf32",
	} {
		ours, err := files.ReadFile("provinces/hung-yen/" + name)
		require.NoError(t, err)
		got := sha256.Sum256(ours)
		require.Equal(t, sum, hex.EncodeToString(got[:]), "%s is not the reference list", name)
		theirs, err := os.ReadFile("../../shared/data/" + name)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		require.Equal(t, string(theirs), string(ours), name)
	}
}

func TestOtherSeedFiles(t *testing.T) {
	t.Parallel()
	p := hungYen(t)
	users, err := DemoUsers()
	require.NoError(t, err)
	require.NotEmpty(t, users)
	today := on(t, "2026-12-02")
	for _, u := range users {
		a := p.Agency(u.Agency)
		require.NotNil(t, a, "demo user %s: agency %s", u.Username, u.Agency)
		if !u.Disabled {
			require.True(t, validOn(a.ValidFrom, a.ValidTo, today), "demo user %s works for %s, which no longer acts", u.Username, u.Agency)
		}
	}

	hs, err := Holidays()
	require.NoError(t, err)
	working := 0
	for _, h := range hs {
		d, err := time.Parse("2006-01-02", h.Date)
		require.NoError(t, err)
		require.NotEmpty(t, h.Source, "%s names its source", h.Date)
		require.NotNil(t, h.Verified, "%s says whether a source confirmed it", h.Date)
		weekend := d.Weekday() == time.Saturday || d.Weekday() == time.Sunday
		if h.Working {
			working++
			require.True(t, weekend, "%s is made a working day but is not a weekend day", h.Date)
			require.NotEmpty(t, h.Source, "%s: a swap cites its notice", h.Date)
			continue
		}
		require.False(t, weekend, "holiday %s falls on a weekend: list the working day given instead", h.Date)
	}
	require.Equal(t, 3, working, "the make-up Saturdays of 26/4/2025, 10/1/2026 and 22/8/2026")
	years := map[string]int{}
	for _, h := range hs {
		if !h.Working {
			years[h.Date[:4]]++
		}
	}
	// 11 days a year (Labour Code Điều 112) plus swapped and compensatory days.
	require.Equal(t, map[string]int{"2025": 12, "2026": 13, "2027": 11}, years)

	cases, err := DemoCases()
	require.NoError(t, err)
	require.NotEmpty(t, cases)
}
