package workflow

import (
	"fmt"
	"slices"

	"go.yaml.in/yaml/v3"

	"caseflow/internal/caseflow"
)

// RoleDecl is one role an event declares (`counts_as`): always, or only when
// the fired data matches When.
type RoleDecl struct {
	Role caseflow.EventRole `json:"role"`
	When *Condition         `json:"when,omitempty"`
}

// UnmarshalYAML reads a role as a plain name or as {role: …, when: …}.
func (r *RoleDecl) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		r.Role = caseflow.EventRole(n.Value)
		return nil
	}
	if n.Kind != yaml.MappingNode {
		return fmt.Errorf("line %d: a role is a name or a mapping with role and when", n.Line)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if k := n.Content[i].Value; k != "role" && k != "when" {
			return fmt.Errorf("line %d: field %s not found in a role", n.Content[i].Line, k)
		}
	}
	var raw struct {
		Role string     `yaml:"role"`
		When *Condition `yaml:"when"`
	}
	if err := n.Decode(&raw); err != nil {
		return err
	}
	r.Role, r.When = caseflow.EventRole(raw.Role), raw.When
	return nil
}

// Matches reports whether the (normalised) data satisfies the condition: the
// field equals Equals, or is one of In. An absent field never matches.
func (c *Condition) Matches(data map[string]any) bool {
	if c == nil {
		return true
	}
	v, ok := data[c.Field]
	if !ok {
		return false
	}
	if c.Equals != nil {
		return v == c.Equals
	}
	return slices.Contains(c.In, v)
}

// RolesFor returns the roles the event has when fired with the given
// (normalised) data: its plain roles and the conditional ones that hold.
func (e *Event) RolesFor(data map[string]any) []caseflow.EventRole {
	var out []caseflow.EventRole
	for _, r := range e.CountsAs {
		if r.When.Matches(data) {
			out = append(out, r.Role)
		}
	}
	return out
}

// Declares reports whether the event declares the role, conditionally or not.
func (e *Event) Declares(role caseflow.EventRole) bool {
	for _, r := range e.CountsAs {
		if r.Role == role {
			return true
		}
	}
	return false
}

// IsReferralStep reports whether the referrals endpoints, not the events
// endpoint, fire the event.
func (e *Event) IsReferralStep() bool {
	for _, r := range caseflow.ReferralEventRoles {
		if e.Declares(r) {
			return true
		}
	}
	return false
}

// EventsWith returns the events that declare the role, in file order.
func (d *Definition) EventsWith(role caseflow.EventRole) []*Event {
	var out []*Event
	for _, e := range d.Events {
		if e.Declares(role) {
			out = append(out, e)
		}
	}
	return out
}

// EventWith returns the one event that declares a role the definition
// gives to a single event (the referral steps).
func (d *Definition) EventWith(role caseflow.EventRole) (*Event, bool) {
	es := d.EventsWith(role)
	if len(es) != 1 {
		return nil, false
	}
	return es[0], true
}

// ClocksWith returns the clocks that declare the role, in file order.
func (d *Definition) ClocksWith(role caseflow.ClockRole) []*Clock {
	var out []*Clock
	for _, c := range d.Clocks {
		if c.CountsAs == role {
			out = append(out, c)
		}
	}
	return out
}

// singleEventRoles are the roles a definition gives to exactly one event,
// because the service fires that event by its role.
var singleEventRoles = caseflow.ReferralEventRoles

// checkVocabulary checks the roles events and clocks declare and, for a
// definition counted in compliance, that it declares every role the service
// needs.
func (v *validator) checkVocabulary() {
	d := v.d
	for i, e := range d.Events {
		at := func(path ...any) int { return v.at(append([]any{"events", i, "counts_as"}, path...)...) }
		seen := map[caseflow.EventRole]bool{}
		for j, r := range e.CountsAs {
			switch {
			case !r.Role.Valid():
				v.add(at(j), "event %q: unknown role %q in counts_as", e.ID, r.Role)
				continue
			case seen[r.Role]:
				v.add(at(j), "event %q: role %q is declared twice", e.ID, r.Role)
			}
			seen[r.Role] = true
			if r.When != nil {
				v.checkRoleCondition(e, r.When, func(path ...any) int { return at(append([]any{j, "when"}, path...)...) })
			}
		}
	}
	for i, c := range d.Clocks {
		if c.CountsAs != "" && !c.CountsAs.Valid() {
			v.add(v.at("clocks", i, "counts_as"), "clock %q: unknown role %q in counts_as", c.ID, c.CountsAs)
		}
	}
	for _, r := range singleEventRoles {
		if es := d.EventsWith(r); len(es) > 1 {
			v.add(v.at("events"), "events %q and %q both count as %q; one event may", es[0].ID, es[1].ID, r)
		}
	}
	if !d.Compliance {
		return
	}
	for _, r := range caseflow.RequiredEventRoles {
		if len(d.EventsWith(r)) == 0 {
			v.add(v.at("compliance"), "no event counts as %q, which compliance and referrals need", r)
		}
	}
	for _, r := range caseflow.RequiredClockRoles {
		if len(d.ClocksWith(r)) == 0 {
			v.add(v.at("compliance"), "no clock counts as %q, which compliance needs", r)
		}
	}
}

// checkRoleCondition checks a conditional role's condition against the
// event's fields and set values, normalising its values.
func (v *validator) checkRoleCondition(e *Event, cond *Condition, at func(...any) int) {
	if cond.Field == "" {
		v.add(at(), "event %q: role condition has no field", e.ID)
		return
	}
	if (cond.Equals == nil) == (len(cond.In) == 0) {
		v.add(at(), "event %q: role condition needs exactly one of equals and in", e.ID)
		return
	}
	f, ok := e.Field(cond.Field)
	if !ok {
		if _, set := e.Set[cond.Field]; !set {
			v.add(at("field"), "event %q has no field %q", e.ID, cond.Field)
		}
		return
	}
	if cond.Equals != nil {
		if n, bad := normalise(f, cond.Equals); bad != nil {
			v.add(at("equals"), "event %q: condition value %v %s", e.ID, cond.Equals, bad.Message)
		} else {
			cond.Equals = n
		}
	}
	for k, val := range cond.In {
		if n, bad := normalise(f, val); bad != nil {
			v.add(at("in", k), "event %q: condition value %v %s", e.ID, val, bad.Message)
		} else {
			cond.In[k] = n
		}
	}
}

// Vocabulary returns what the definition's events and clocks mean, for
// storage to derive the roles of rows recorded before roles were stored.
func (d *Definition) Vocabulary() caseflow.Vocabulary {
	v := caseflow.Vocabulary{WorkflowID: d.ID, Version: d.Version, Events: map[string][]caseflow.RoleRule{},
		Clocks: map[string]caseflow.ClockRole{}}
	for _, e := range d.Events {
		for _, r := range e.CountsAs {
			rule := caseflow.RoleRule{Role: r.Role}
			if r.When != nil {
				rule.Field = r.When.Field
				vals := r.When.In
				if r.When.Equals != nil {
					vals = []any{r.When.Equals}
				}
				for _, x := range vals {
					rule.Values = append(rule.Values, fmt.Sprint(x))
				}
			}
			v.Events[e.ID] = append(v.Events[e.ID], rule)
		}
	}
	for _, c := range d.Clocks {
		if c.CountsAs != "" {
			v.Clocks[c.ID] = c.CountsAs
		}
	}
	return v
}
