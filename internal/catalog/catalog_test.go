package catalog_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
)

func strs[T ~string](xs []T) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = string(x)
	}
	return out
}

// domainValues lists, for each kind of the catalogue, the values the domain
// declares.
func domainValues() map[string][]string {
	var ageGroups, services, indicators []string
	for _, g := range caseflow.AgeGroups {
		ageGroups = append(ageGroups, g.Key)
	}
	for s := range caseflow.Services {
		services = append(services, s)
	}
	for _, ind := range caseflow.Indicators {
		indicators = append(indicators, string(ind.ID))
	}
	return map[string][]string{
		catalog.AbuseType:            caseflow.AbuseTypes,
		catalog.Channel:              caseflow.Channels,
		catalog.Setting:              caseflow.Settings,
		catalog.Sex:                  caseflow.Sexes,
		catalog.AgeGroup:             append(ageGroups, caseflow.AgeUnknown),
		catalog.Role:                 strs(caseflow.Roles),
		catalog.AgencyType:           strs(caseflow.AgencyTypes),
		catalog.Access:               strs(caseflow.AccessLevels),
		catalog.ClockStatus:          caseflow.ClockStatuses,
		catalog.NotificationKind:     caseflow.NotificationKinds,
		catalog.ReferralStatus:       caseflow.ReferralStatuses,
		catalog.Service:              services,
		catalog.WorkReason:           caseflow.WorkReasons,
		catalog.UnitLevel:            caseflow.UnitLevels,
		catalog.Part:                 caseflow.Parts,
		catalog.Verdict:              caseflow.Verdicts,
		catalog.Indicator:            indicators,
		catalog.IndicatorShort:       indicators,
		catalog.IndicatorNumerator:   indicators,
		catalog.IndicatorDenominator: indicators,
		catalog.IndicatorTarget:      indicators,
	}
}

func TestEveryDomainValueHasBothLabels(t *testing.T) {
	t.Parallel()
	c := catalog.Default()
	want := domainValues()
	var kinds []string
	for kind, values := range want {
		kinds = append(kinds, kind)
		t.Run(kind, func(t *testing.T) {
			require.ElementsMatch(t, values, c.Values(kind), "every value the domain declares, and no other")
			for _, v := range values {
				l, ok := c.Lookup(kind, v)
				require.True(t, ok, v)
				require.NotEmpty(t, strings.TrimSpace(l.VI), v)
				require.NotEmpty(t, strings.TrimSpace(l.EN), v)
			}
		})
	}
	require.ElementsMatch(t, kinds, c.Kinds(), "every kind of the catalogue is checked against the domain")
	for dim := range caseflow.BreakdownKeys {
		require.Contains(t, kinds, dim, "a breakdown of indicator 0101 is labelled by the kind of its name")
		require.ElementsMatch(t, want[dim], caseflow.BreakdownKeys[dim], dim)
	}
}

func TestLabel(t *testing.T) {
	t.Parallel()
	require.Equal(t, "Xâm hại tình dục", catalog.Label("vi", catalog.AbuseType, "sexual"))
	require.Equal(t, "Sexual abuse", catalog.Label("en", catalog.AbuseType, "sexual"))
	require.Equal(t, "bullying", catalog.Label("vi", catalog.AbuseType, "bullying"), "a gap shows the value")
	require.Equal(t, catalog.Text{VI: "Nữ", EN: "Female"}, catalog.Labels(catalog.Sex, "female"))
}

func TestParse(t *testing.T) {
	t.Parallel()
	_, err := catalog.Parse([]byte("sex:\n  female: {vi: Nữ}\n  male: {vi: Nam, en: Male}\n"))
	require.ErrorContains(t, err, "sex.female")
	_, err = catalog.Parse([]byte("sex: [female]\n"))
	require.Error(t, err)
}

// TestNoOtherPackageDefinesLabels looks through the Go source of the module
// (tests aside) for a string that is one of the catalogue's labels: a label
// written anywhere else would be a second place to keep in step.
func TestNoOtherPackageDefinesLabels(t *testing.T) {
	t.Parallel()
	c := catalog.Default()
	labels := map[string]string{}
	for _, kind := range c.Kinds() {
		for _, v := range c.Values(kind) {
			l, _ := c.Lookup(kind, v)
			labels[l.VI] = kind + "." + v
			if strings.Contains(l.EN, " ") { // one English word ("Done") is as often a heading of the interface
				labels[l.EN] = kind + "." + v
			}
		}
	}
	root, err := filepath.Abs("../..")
	require.NoError(t, err)
	fset := token.NewFileSet()
	err = filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if strings.HasPrefix(d.Name(), ".") || path == filepath.Join(root, "internal", "catalog") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil {
				return true
			}
			if label, ok := labels[s]; ok {
				t.Errorf("%s: %q is the label %s of the catalogue", fset.Position(lit.Pos()), s, label)
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
}
