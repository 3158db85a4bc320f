package workflow_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// lineOf returns the 1-based line of the first line of src starting with
// prefix.
func lineOf(t *testing.T, src, prefix string) int {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, prefix) {
			return i + 1
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return 0
}

// loadEdited writes the real workflow with edit applied to a directory of
// its own and loads it.
func loadEdited(t *testing.T, edit func(string) string) (string, string, error) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "..", "workflows", "child-abuse.v1.yaml"))
	require.NoError(t, err)
	edited := edit(string(src))
	require.NotEqual(t, string(src), edited, "the edit changed nothing")
	dir := t.TempDir()
	file := filepath.Join(dir, "child-abuse.v1.yaml")
	require.NoError(t, os.WriteFile(file, []byte(edited), 0o644))
	_, err = workflow.LoadDir(dir)
	return file, edited, err
}

func TestVocabulary(t *testing.T) {
	t.Parallel()
	reg, err := workflow.LoadDir(filepath.Join("..", "..", "workflows"))
	require.NoError(t, err)
	def, ok := reg.Latest("child-abuse")
	require.True(t, ok)

	t.Run("EveryRequiredRoleIsDeclared", func(t *testing.T) {
		for _, r := range caseflow.RequiredEventRoles {
			require.NotEmpty(t, def.EventsWith(r), "event role %s", r)
		}
		for _, r := range caseflow.RequiredClockRoles {
			require.NotEmpty(t, def.ClocksWith(r), "clock role %s", r)
		}
	})

	t.Run("ConditionalRolesHoldOnlyForMatchingData", func(t *testing.T) {
		es := def.EventsWith(caseflow.EventProsecutionOfSeriousCrime)
		require.Len(t, es, 1)
		e := es[0]
		require.ElementsMatch(t, []caseflow.EventRole{caseflow.EventResolution, caseflow.EventProsecution,
			caseflow.EventProsecutionOfSeriousCrime}, e.RolesFor(map[string]any{"crime_category": "very_serious"}))
		require.ElementsMatch(t, []caseflow.EventRole{caseflow.EventResolution, caseflow.EventProsecution},
			e.RolesFor(map[string]any{"crime_category": "serious"}))
		require.ElementsMatch(t, []caseflow.EventRole{caseflow.EventResolution, caseflow.EventProsecution}, e.RolesFor(nil))
	})

	t.Run("ReferralStepsAreOneEventEach", func(t *testing.T) {
		for _, r := range caseflow.ReferralEventRoles {
			e, ok := def.EventWith(r)
			require.True(t, ok, "role %s", r)
			require.True(t, e.IsReferralStep())
		}
	})

	t.Run("VocabularyListsRolesByID", func(t *testing.T) {
		v := def.Vocabulary()
		es := def.EventsWith(caseflow.EventChargeUpheld)
		require.Len(t, es, 1)
		var conditional *caseflow.RoleRule
		for i, r := range v.Events[es[0].ID] {
			if r.Role == caseflow.EventChargeUpheld {
				conditional = &v.Events[es[0].ID][i]
			}
		}
		require.NotNil(t, conditional)
		require.Equal(t, []string{"true"}, conditional.Values)
		require.NotEmpty(t, conditional.Field)
		for _, c := range def.ClocksWith(caseflow.ClockResolution) {
			require.Equal(t, caseflow.ClockResolution, v.Clocks[c.ID])
		}
	})
}

func TestVocabularyLoadErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		edit    func(string) string
		line    func(src string) string // the prefix of the reported line
		message string
	}{
		{"MissingRequiredRole",
			func(s string) string { return strings.Replace(s, "    counts_as: [police_acceptance]\n", "", 1) },
			func(string) string { return "compliance:" },
			`no event counts as "police_acceptance", which compliance and referrals need`},
		{"MissingRequiredClockRole",
			func(s string) string { return strings.Replace(s, "    counts_as: indictment_limit\n", "", 1) },
			func(string) string { return "compliance:" },
			`no clock counts as "indictment_limit", which compliance needs`},
		{"UnknownRole",
			func(s string) string {
				return strings.Replace(s, "    counts_as: [police_acceptance]\n", "    counts_as: [police_acceptance, arrest]\n", 1)
			},
			func(string) string { return "    counts_as: [police_acceptance, arrest]" },
			`event "accept_referral": unknown role "arrest" in counts_as`},
		{"ConditionOnUnknownField",
			func(s string) string {
				return strings.Replace(s, "{role: charge_upheld, when: {field: charge_upheld,", "{role: charge_upheld, when: {field: upheld,", 1)
			},
			func(string) string { return "      - {role: charge_upheld" },
			`event "record_verdict" has no field "upheld"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			file, src, err := loadEdited(t, tt.edit)
			var ve *workflow.ValidationError
			require.ErrorAs(t, err, &ve)
			require.Equal(t, []workflow.Problem{{File: file, Line: lineOf(t, src, tt.line(src)), Message: tt.message}}, ve.Problems)
		})
	}
}
