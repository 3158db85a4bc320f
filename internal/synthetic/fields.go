package synthetic

import (
	"fmt"
	"slices"
	"strconv"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// fill returns the data of an event fired at a time: its required fields
// (and those that decide which clocks start) with plausible values of their
// type, in the form the definition normalises to. Text fields are left out:
// they would be sealed personal data. A conditional role holds as often as
// conditionalShares says, the field it reads set to match; an event that
// stops a clock of one instance names that instance. The map is reused by
// the next call.
func (s *story) fill(o *option, k *clock, at time.Time) map[string]any {
	data := s.scratch
	clear(data)
	for _, d := range o.ev.CountsAs {
		if d.When == nil {
			continue
		}
		f, ok := o.ev.Field(d.When.Field)
		if !ok {
			continue // a set value decides it
		}
		share, ok := conditionalShares[d.Role]
		if !ok {
			share = defaultConditionalShare
		}
		if v, ok := s.condition(f, d.When, s.chance(share), at); ok {
			data[f.Name] = v
		}
	}
	for _, f := range o.ev.Fields {
		if _, done := data[f.Name]; done || f.Type == workflow.FieldText {
			continue
		}
		switch {
		case k != nil && f.Name == k.def.InstanceField:
			data[f.Name] = k.instance
		case slices.Contains(o.instanceFields, f.Name):
			data[f.Name] = "SYN-" + strconv.FormatInt(s.id, 10) + "-" + strconv.Itoa(s.version+1)
		case f.Required || slices.Contains(o.condFields, f.Name):
			data[f.Name] = s.value(f, at)
		}
	}
	return data
}

// condition returns a value of field f that meets cond, or (when hold is
// false) one that does not; ok is false when leaving the field out does.
func (s *story) condition(f *workflow.Field, cond *workflow.Condition, hold bool, at time.Time) (any, bool) {
	if hold && cond.Equals != nil {
		return cond.Equals, true
	}
	if f.Type == workflow.FieldEnum {
		var vals []string
		for _, v := range f.Values {
			if cond.Matches(map[string]any{f.Name: v}) == hold {
				vals = append(vals, v)
			}
		}
		if len(vals) > 0 {
			return s.weighted(vals), true
		}
		return nil, false
	}
	if f.Type == workflow.FieldBool {
		if b, ok := cond.Equals.(bool); ok {
			return b == hold, true
		}
	}
	if hold && len(cond.In) > 0 {
		return cond.In[s.r.IntN(len(cond.In))], true
	}
	if !hold && !f.Required {
		return nil, false
	}
	for range 8 {
		if v := s.value(f, at); cond.Matches(map[string]any{f.Name: v}) == hold {
			return v, true
		}
	}
	return nil, false
}

// value is a plausible value of a field's type. A few fields mean something
// to the case itself, as they do to the service: the crime category stays
// the case's once known, the outcome follows the story, and a commune says
// whether it is remote.
func (s *story) value(f *workflow.Field, at time.Time) any {
	switch f.Type {
	case workflow.FieldEnum:
		switch {
		case f.Name == "crime_category" && s.category != "" && slices.Contains(f.Values, s.category):
			return s.category
		case f.Name == "outcome":
			return s.outcomeOf(f)
		}
		return s.weighted(f.Values)
	case workflow.FieldBool:
		if f.Name == "remote_commune" {
			return s.com.Remote
		}
		return s.r.IntN(2) == 1
	case workflow.FieldDate:
		return at.In(caseflow.Zone).Format(workflow.DateLayout)
	case workflow.FieldDatetime:
		return at.UTC().Format(time.RFC3339Nano)
	case workflow.FieldInt:
		return int64(1 + s.r.IntN(20))
	}
	if f.Name == "penal_code_article" {
		return "Điều " + s.pick(penalArticles)
	}
	// A one-line string: a number in a register of the year.
	return fmt.Sprintf("%d/%d", 1+s.r.IntN(999), at.In(caseflow.Zone).Year())
}

// weighted picks one of the values by valueWeights.
func (s *story) weighted(vals []string) string {
	total := 0.0
	for _, v := range vals {
		total += valueWeight(v)
	}
	x := s.r.Float64() * total
	for _, v := range vals {
		if x -= valueWeight(v); x < 0 {
			return v
		}
	}
	return vals[len(vals)-1]
}

func valueWeight(v string) float64 {
	if w, ok := valueWeights[v]; ok {
		return w
	}
	return 1
}

// outcomeOf is the outcome a closing case records: a value its data already
// holds (the verdict), else what its story says — not prosecuted after a
// decision not to prosecute or a prosecution without verdict, a duplicate
// when the case never left its first state, support only otherwise.
func (s *story) outcomeOf(f *workflow.Field) string {
	for _, v := range f.Values {
		for key, held := range s.data {
			if key != f.Name && held == v {
				return v
			}
		}
	}
	want := "no_crime_support_only"
	switch {
	case s.seen[caseflow.EventProsecutionDeclined] || s.seen[caseflow.EventProsecution]:
		want = "not_prosecuted"
	case s.state == s.w.def.Initial:
		want = "duplicate"
	}
	if slices.Contains(f.Values, want) {
		return want
	}
	return s.weighted(f.Values)
}
