package caseflow

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// RetentionPolicy says how long after a case is closed its personal data is
// kept, by outcome: whole years, or kept with no end (a conviction's file,
// kept under the archives law). An outcome not named follows Default. A
// policy with nothing set erases nothing: the province decides the periods
// with its archives office.
type RetentionPolicy struct {
	// Years by outcome; a negative value keeps the data with no end.
	Years map[string]int
	// Default applies to outcomes not in Years; nil keeps them.
	Default *int
}

// Keep is the value of Years that keeps an outcome's data with no end.
const Keep = -1

// Enabled reports whether the policy erases anything.
func (p RetentionPolicy) Enabled() bool {
	if p.Default != nil && *p.Default >= 0 {
		return true
	}
	for _, y := range p.Years {
		if y >= 0 {
			return true
		}
	}
	return false
}

// ShredAfter returns the moment from which a case closed at closedAt with
// the outcome may have its personal data erased, or false when it is kept.
// Years are counted on Vietnam's calendar.
func (p RetentionPolicy) ShredAfter(outcome string, closedAt time.Time) (time.Time, bool) {
	years, named := p.Years[outcome]
	if !named {
		if p.Default == nil {
			return time.Time{}, false
		}
		years = *p.Default
	}
	if years < 0 {
		return time.Time{}, false
	}
	return closedAt.In(Zone).AddDate(years, 0, 0), true
}

// Shortest is the shortest period the policy erases after, in years, or
// false when it erases nothing.
func (p RetentionPolicy) Shortest() (int, bool) {
	var all []int
	if p.Default != nil && *p.Default >= 0 {
		all = append(all, *p.Default)
	}
	for _, y := range p.Years {
		if y >= 0 {
			all = append(all, y)
		}
	}
	if len(all) == 0 {
		return 0, false
	}
	return slices.Min(all), true
}

// String writes the policy as ParseRetention reads it.
func (p RetentionPolicy) String() string {
	var parts []string
	if p.Default != nil {
		parts = append(parts, "default="+years(*p.Default))
	}
	keys := make([]string, 0, len(p.Years))
	for k := range p.Years {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		parts = append(parts, k+"="+years(p.Years[k]))
	}
	return strings.Join(parts, ",")
}

func years(n int) string {
	if n < 0 {
		return "keep"
	}
	return strconv.Itoa(n)
}

// ParseRetention reads a policy written outcome=years,…, with default= for
// the outcomes not named and keep for no end, e.g.
// "default=10,convicted=keep,duplicate=2". The empty string erases nothing.
func ParseRetention(s string) (RetentionPolicy, error) {
	p := RetentionPolicy{Years: map[string]int{}}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		k, v, ok := strings.Cut(part, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return p, fmt.Errorf("%q is not outcome=years", part)
		}
		n := Keep
		if v != "keep" {
			var err error
			if n, err = strconv.Atoi(v); err != nil || n < 0 || n > 100 {
				return p, fmt.Errorf("%s: %q must be a number of years from 0 to 100, or keep", k, v)
			}
		}
		if k == "default" {
			if p.Default != nil {
				return p, fmt.Errorf("default is given twice")
			}
			p.Default = &n
			continue
		}
		if _, dup := p.Years[k]; dup {
			return p, fmt.Errorf("%s is given twice", k)
		}
		p.Years[k] = n
	}
	return p, nil
}

// ClosedCase is a closed case whose personal data is not erased, as the
// retention job sees it.
type ClosedCase struct {
	ID       int64
	Code     string
	Outcome  string
	ClosedAt time.Time
	UnitPath string
	// ShredAfter is when its retention ends under the policy.
	ShredAfter time.Time
}
