package catalog

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Kinds of labels: the enumerations of the domain, and the parts of a
// compliance indicator, each keyed by the indicator's id.
const (
	AbuseType            = "abuse_type"            // caseflow.AbuseTypes
	Channel              = "channel"               // caseflow.Channels
	Setting              = "setting"               // caseflow.Settings
	Sex                  = "sex"                   // caseflow.Sexes
	AgeGroup             = "age_group"             // caseflow.AgeGroups and caseflow.AgeUnknown
	Role                 = "role"                  // caseflow.Roles
	AgencyType           = "agency_type"           // caseflow.AgencyTypes
	Access               = "access"                // caseflow.AccessLevels
	ClockStatus          = "clock_status"          // caseflow.ClockStatuses
	NotificationKind     = "notification_kind"     // caseflow.NotificationKinds
	ReferralStatus       = "referral_status"       // caseflow.ReferralStatuses
	Service              = "service"               // caseflow.Services
	WorkReason           = "work_reason"           // caseflow.WorkReasons
	UnitLevel            = "unit_level"            // caseflow.UnitLevels
	Part                 = "part"                  // caseflow.Parts
	Verdict              = "verdict"               // caseflow.Verdicts
	Indicator            = "indicator"             // the name of each of caseflow.Indicators
	IndicatorShort       = "indicator_short"       // its name, short enough for a chart
	IndicatorNumerator   = "indicator_numerator"   // what its numerator counts
	IndicatorDenominator = "indicator_denominator" // what its denominator counts
	IndicatorTarget      = "indicator_target"      // its target as the plan states it
)

// Text is a label in both languages.
type Text struct {
	VI string `yaml:"vi" json:"vi"`
	EN string `yaml:"en" json:"en"`
}

// In returns the label in lang: "en" for English, Vietnamese otherwise.
func (t Text) In(lang string) string {
	if lang == "en" {
		return t.EN
	}
	return t.VI
}

// Catalog is a set of labels by kind and value.
type Catalog struct {
	kinds map[string]map[string]Text
}

// Parse reads a catalogue: kinds, each mapping values to {vi, en}. Every
// label needs both languages.
func Parse(b []byte) (*Catalog, error) {
	c := &Catalog{}
	if err := yaml.Unmarshal(b, &c.kinds); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	var missing []string
	for kind, values := range c.kinds {
		for v, t := range values {
			if strings.TrimSpace(t.VI) == "" || strings.TrimSpace(t.EN) == "" {
				missing = append(missing, kind+"."+v)
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("catalog: a label without vi or en: %s", strings.Join(missing, ", "))
	}
	return c, nil
}

// Lookup returns the labels of value in kind.
func (c *Catalog) Lookup(kind, value string) (Text, bool) {
	t, ok := c.kinds[kind][value]
	return t, ok
}

// Label returns the label of value in kind in lang; a value without a
// label shows itself, so that a gap is visible rather than blank.
func (c *Catalog) Label(lang, kind, value string) string {
	if t, ok := c.Lookup(kind, value); ok {
		return t.In(lang)
	}
	return value
}

// Kinds lists the kinds of the catalogue, sorted.
func (c *Catalog) Kinds() []string {
	out := make([]string, 0, len(c.kinds))
	for k := range c.kinds {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// Values lists the values of kind that have labels, sorted.
func (c *Catalog) Values(kind string) []string {
	out := make([]string, 0, len(c.kinds[kind]))
	for v := range c.kinds[kind] {
		out = append(out, v)
	}
	slices.Sort(out)
	return out
}

//go:embed labels.yaml
var labelsYAML []byte

// Default is the catalogue built into the binary, parsed on first use. It
// is read-only; a broken file is a mistake of the build, which the tests
// of this package catch, so it panics rather than return an error every
// caller would have to handle.
var Default = sync.OnceValue(func() *Catalog {
	c, err := Parse(labelsYAML)
	if err != nil {
		panic(err)
	}
	return c
})

// Label returns the label of value in kind in lang, from the default
// catalogue: catalog.Label("vi", catalog.AbuseType, "sexual").
func Label(lang, kind, value string) string { return Default().Label(lang, kind, value) }

// Labels returns both labels of value in kind, from the default catalogue;
// a value without a label shows itself in both.
func Labels(kind, value string) Text {
	if t, ok := Default().Lookup(kind, value); ok {
		return t
	}
	return Text{VI: value, EN: value}
}
