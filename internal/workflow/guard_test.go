package workflow_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

const guarded = `
id: guarded
version: 1
label: {vi: "Thử", en: "Test"}
initial: open
intake_event: filed
intake_roles: [commune_officer]
intakes:
  - {event: filed_by_police, label: {vi: "CA", en: "Police"}, roles: [police], state: police, refer: [commune_child_protection]}
readings:
  - id: limit
    label: {vi: "Đọc", en: "Reading"}
    options: {short: {vi: "Ngắn", en: "Short"}, long: {vi: "Dài", en: "Long"}}
    default: short
    basis: "test"
states:
  - {id: open, label: {vi: "Mở", en: "Open"}, agency: commune_child_protection}
  - {id: police, label: {vi: "CA", en: "Police"}, agency: police}
  - {id: closed, label: {vi: "Đóng", en: "Closed"}, final: true}
events:
  - {id: assess, label: {vi: "a", en: "a"}, from: [open, police], roles: [commune_officer], once: true,
     fields: [{name: risk, type: enum, required: true, values: [low, high]}]}
  - {id: plan, label: {vi: "p", en: "p"}, from: [open, police], roles: [commune_officer], after: [assess]}
  - {id: not_needed, label: {vi: "n", en: "n"}, from: [open, police], roles: [commune_officer], unless: [measures]}
  - {id: measures, label: {vi: "m", en: "m"}, from: [open, police], roles: [commune_officer]}
  - {id: refer, label: {vi: "r", en: "r"}, from: [open], to: police, roles: [commune_officer]}
  - {id: return, label: {vi: "t", en: "t"}, from: [police], roles: [police], max_times: 2}
  - {id: decide, label: {vi: "d", en: "d"}, from: [police], to: closed, roles: [police], after: [refer, filed_by_police],
     fields: [{name: decided_on, type: date, required: true, past: true}]}
clocks:
  - {id: danger, label: {vi: "k", en: "k"}, start: [filed, filed_by_police], stop: [measures, not_needed], basis: "b",
     responsible: commune_child_protection, limit: {rule: hours, amount: 12},
     condition: {any: [{fact: immediate_danger, equals: true}, {fact: reading.limit, equals: long}]}}
  - {id: assessed_danger, label: {vi: "k", en: "k"}, start: [assess], stop: [measures], basis: "b", once: true, unless: [measures],
     responsible: commune_child_protection, limit: {rule: hours, amount: 12},
     condition: {all: [{field: risk, equals: high}, {fact: commune_remote, equals: false}]}}
  - {id: after_return, label: {vi: "k", en: "k"}, start: [refer], stop: [decide], after: [return], basis: "b",
     responsible: police, limit: {rule: calendar_days, amount: 15}}
  - id: resolve
    label: {vi: "k", en: "k"}
    start: [refer, filed_by_police]
    stop: [decide]
    basis: "b"
    responsible: police
    limit: {rule: calendar_days, amount: 20}
    extensions:
      - {id: first, label: {vi: "1", en: "1"}, roles: [police], granted_by: {vi: "TT", en: "Head"}, basis: "b", total: {rule: months, amount: 2}}
      - {id: second, label: {vi: "2", en: "2"}, roles: [prosecutor], granted_by: {vi: "VT", en: "Chief"}, basis: "b", after: [first],
         amount: {rule: months, amount: 2}, total: {rule: months, amount: 4}}
`

func TestGuards(t *testing.T) {
	t.Parallel()
	d, err := workflow.Parse("guarded.yaml", []byte(guarded))
	require.NoError(t, err)
	cx := workflow.Context{State: "open", Fired: []string{"filed"}}
	officer := caseflow.RoleCommuneOfficer

	_, err = d.FireIn(cx, "plan", officer, nil)
	require.Equal(t, caseflow.FieldNotYet, fieldCode(t, err, "event"), "plan needs assess")
	require.NotContains(t, names(d.AvailableIn(cx, officer)), "plan")

	cx.Fired = append(cx.Fired, "assess")
	_, err = d.FireIn(cx, "assess", officer, map[string]any{"risk": "low"})
	require.Equal(t, caseflow.FieldAlreadyDone, fieldCode(t, err, "event"), "assess is recorded once")
	_, err = d.FireIn(cx, "plan", officer, nil)
	require.NoError(t, err)
	require.Equal(t, []string{"plan", "not_needed", "measures", "refer"}, names(d.AvailableIn(cx, officer)))

	cx.Fired = append(cx.Fired, "measures")
	_, err = d.FireIn(cx, "not_needed", officer, nil)
	require.Equal(t, caseflow.FieldAlreadyDone, fieldCode(t, err, "event"), "not needed after measures were taken")

	// A guard is checked before the role: the step is not possible now,
	// whoever asks.
	_, err = d.FireIn(workflow.Context{State: "open"}, "plan", caseflow.RolePolice, nil)
	require.Equal(t, caseflow.FieldNotYet, fieldCode(t, err, "event"))

	police := workflow.Context{State: "police", Fired: []string{"filed", "refer", "return", "return"}}
	_, err = d.FireIn(police, "return", caseflow.RolePolice, nil)
	require.Equal(t, caseflow.FieldAlreadyDone, fieldCode(t, err, "event"), "max_times")

	now := time.Date(2026, 12, 2, 23, 0, 0, 0, time.UTC) // 3 December in Vietnam
	police.Now = now
	_, err = d.FireIn(police, "decide", caseflow.RolePolice, map[string]any{"decided_on": "2026-12-04"})
	require.Equal(t, caseflow.FieldInFuture, fieldCode(t, err, "data.decided_on"))
	tr, err := d.FireIn(police, "decide", caseflow.RolePolice, map[string]any{"decided_on": "2026-12-03"})
	require.NoError(t, err, "today in Vietnam is not the future")
	require.Equal(t, "closed", tr.To)
}

func TestClockConditionsOnFactsAndReadings(t *testing.T) {
	t.Parallel()
	d, err := workflow.Parse("guarded.yaml", []byte(guarded))
	require.NoError(t, err)
	facts := func(danger, remote bool, reading string) map[string]any {
		f := d.ReadingFacts(map[string]string{"limit": reading})
		f[workflow.FactImmediateDanger], f[workflow.FactCommuneRemote] = danger, remote
		return f
	}
	require.Equal(t, []string{"danger"}, clockIDs(d.ClocksOnIntake("filed", facts(true, false, ""))))
	require.Empty(t, clockIDs(d.ClocksOnIntake("filed", facts(false, false, ""))), "default reading: only a child in danger")
	require.Equal(t, []string{"danger"}, clockIDs(d.ClocksOnIntake("filed", facts(false, false, "long"))), "the other reading: every report")
	require.Empty(t, clockIDs(d.ClocksOnIntake("filed", facts(false, false, "unknown"))), "an unknown option is the default")
	require.Equal(t, []string{"danger", "resolve"}, clockIDs(d.ClocksOnIntake("filed_by_police", facts(true, false, ""))))

	cx := workflow.Context{State: "open", Fired: []string{"filed"}, Facts: facts(false, false, "")}
	tr, err := d.FireIn(cx, "assess", caseflow.RoleCommuneOfficer, map[string]any{"risk": "high"})
	require.NoError(t, err)
	require.Equal(t, []string{"assessed_danger"}, clockIDs(tr.StartClocks))
	cx.Facts = facts(false, true, "")
	tr, _ = d.FireIn(cx, "assess", caseflow.RoleCommuneOfficer, map[string]any{"risk": "high"})
	require.Empty(t, clockIDs(tr.StartClocks), "all: a remote commune does not match")

	tr, _ = d.FireIn(workflow.Context{State: "open", Fired: []string{"filed"}}, "refer", caseflow.RoleCommuneOfficer, nil)
	require.Equal(t, []string{"resolve"}, clockIDs(tr.StartClocks), "after: no return yet")
	tr, _ = d.FireIn(workflow.Context{State: "open", Fired: []string{"filed", "return"}}, "refer", caseflow.RoleCommuneOfficer, nil)
	require.Equal(t, []string{"after_return", "resolve"}, clockIDs(tr.StartClocks))
}

func TestIntakesAndSteps(t *testing.T) {
	t.Parallel()
	d, err := workflow.Parse("guarded.yaml", []byte(guarded))
	require.NoError(t, err)
	in, ok := d.IntakeFor(caseflow.RolePolice)
	require.True(t, ok)
	require.Equal(t, workflow.Intake{Event: "filed_by_police", Label: workflow.Label{VI: "CA", EN: "Police"}, Roles: []caseflow.Role{caseflow.RolePolice},
		State: "police", Refer: []caseflow.AgencyType{caseflow.AgencyCommune}}, in)
	in, ok = d.IntakeFor(caseflow.RoleCommuneOfficer)
	require.True(t, ok)
	require.Equal(t, "open", in.State)
	_, ok = d.IntakeFor(caseflow.RoleHealth)
	require.False(t, ok)
	require.True(t, d.IsIntakeEvent("filed_by_police"))

	k, _ := d.Clock("resolve")
	require.True(t, k.Extendable(caseflow.RolePolice))
	require.True(t, k.Extendable(caseflow.RoleProsecutor))
	require.False(t, k.Extendable(caseflow.RoleCourt))
	st, ok := k.Step("second")
	require.True(t, ok)
	require.Equal(t, 1, st.Times, "once unless the file says")
}

func TestGuardProblemsAreLoadErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, from, to, want string }{
		{"UnknownAfter", "after: [assess]}", "after: [asses]}", `event "plan": unknown event "asses" in after`},
		{"PastOnAnEnum", "values: [low, high]}]}", "values: [low, high], past: true}]}", `field "risk" is past-only but not a date or datetime`},
		{"UnknownFact", "fact: commune_remote", "fact: commune_far", `unknown fact "commune_far"`},
		{"UnknownReadingOption", "reading.limit, equals: long", "reading.limit, equals: longer", `condition value longer`},
		{"StepAfterLaterStep", "after: [first]", "after: [third]", `after names "third", which is not an earlier step`},
		{"IntakeRoleTwice", "roles: [police], state: police", "roles: [commune_officer], state: police", `role "commune_officer" already files reports`},
		{"BadDefault", "default: short", "default: medium", `default "medium" is not one of its options`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := replaceOnce(t, guarded, tc.from, tc.to)
			_, err := workflow.Parse("guarded.yaml", []byte(src))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

func replaceOnce(t *testing.T, s, from, to string) string {
	t.Helper()
	i := indexOf(s, from)
	require.GreaterOrEqual(t, i, 0, "no %q in the definition", from)
	return s[:i] + to + s[i+len(from):]
}

func indexOf(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if s[i:i+len(sub)] == sub {
			return i
		}
	}
	return -1
}

func names(es []*workflow.Event) []string {
	out := make([]string, len(es))
	for i, e := range es {
		out[i] = e.ID
	}
	return out
}

func fieldCode(t *testing.T, err error, field string) caseflow.FieldCode {
	t.Helper()
	var e *caseflow.Error
	require.ErrorAs(t, err, &e)
	fe, ok := e.Fields[field]
	require.True(t, ok, "no error on %s: %v", field, err)
	return fe.Code
}

func TestChargesAreCheckedOneByOne(t *testing.T) {
	t.Parallel()
	d, err := workflow.Parse("charges.yaml", []byte(`
id: charges
version: 1
label: {vi: "Thử", en: "Test"}
initial: open
states:
  - {id: open, label: {vi: "Mở", en: "Open"}, agency: court}
  - {id: closed, label: {vi: "Đóng", en: "Closed"}, final: true}
events:
  - {id: verdict, label: {vi: "v", en: "v"}, from: [open], to: closed, roles: [court],
     fields: [{name: charges, type: charges, required: true}]}
`))
	require.NoError(t, err)
	fire := func(v any) error {
		_, err := d.Fire("open", "verdict", caseflow.RoleCourt, map[string]any{"charges": v})
		return err
	}
	tr, err := d.Fire("open", "verdict", caseflow.RoleCourt, map[string]any{"charges": []any{
		map[string]any{"suspect": float64(1), "article": " 142 ", "upheld": true}, map[string]any{"suspect": 2, "article": "146"}}})
	require.NoError(t, err)
	require.Equal(t, []any{map[string]any{"suspect": int64(1), "article": "142", "upheld": true},
		map[string]any{"suspect": int64(2), "article": "146"}}, tr.Data["charges"], "normalised: whole numbers, trimmed articles")
	for _, bad := range []any{"x", []any{"x"}, []any{map[string]any{"suspect": "one", "article": "142"}},
		[]any{map[string]any{"suspect": 0, "article": "142"}}, []any{map[string]any{"suspect": 1, "article": ""}},
		[]any{map[string]any{"suspect": 1, "article": "14\n2"}}, []any{map[string]any{"suspect": 1, "article": "142", "upheld": "yes"}},
		[]any{map[string]any{"suspect": 1, "article": "142", "judge": "x"}}} {
		require.Equal(t, caseflow.FieldWrongType, fieldCode(t, fire(bad), "data.charges"), "%v", bad)
	}
	require.Equal(t, caseflow.FieldDuplicate, fieldCode(t, fire([]any{map[string]any{"suspect": 1, "article": "142"},
		map[string]any{"suspect": 1, "article": "142"}}), "data.charges"))
	many := make([]any, workflow.MaxCharges+1)
	for i := range many {
		many[i] = map[string]any{"suspect": 1, "article": fmt.Sprint(i)}
	}
	require.Equal(t, caseflow.FieldTooMany, fieldCode(t, fire(many), "data.charges"))
}

func TestStopConditionStopsOnlyItsDecision(t *testing.T) {
	t.Parallel()
	src := `
id: stops
version: 1
label: {vi: "Thử", en: "Test"}
initial: open
states:
  - {id: open, label: {vi: "Mở", en: "Open"}, agency: police}
  - {id: closed, label: {vi: "Đóng", en: "Closed"}, final: true}
events:
  - {id: suspend, label: {vi: "s", en: "s"}, from: [open], roles: [police]}
  - {id: send, label: {vi: "g", en: "g"}, from: [open], roles: [police],
     fields: [{name: decision, type: enum, required: true, values: [suspension, resumption]}]}
  - {id: close, label: {vi: "c", en: "c"}, from: [open], to: closed, roles: [police]}
clocks:
  - {id: sent, label: {vi: "k", en: "k"}, start: [suspend], stop: [send, close], basis: "b", responsible: police,
     limit: {rule: hours, amount: 24}, stop_condition: {field: decision, equals: suspension}}
`
	d, err := workflow.Parse("stops.yaml", []byte(src))
	require.NoError(t, err)
	tr, err := d.Fire("open", "send", caseflow.RolePolice, map[string]any{"decision": "resumption"})
	require.NoError(t, err)
	require.Empty(t, clockIDs(tr.StopClocks), "another decision sent")
	tr, _ = d.Fire("open", "send", caseflow.RolePolice, map[string]any{"decision": "suspension"})
	require.Equal(t, []string{"sent"}, clockIDs(tr.StopClocks))
	tr, _ = d.Fire("open", "close", caseflow.RolePolice, nil)
	require.Equal(t, []string{"sent"}, clockIDs(tr.StopClocks), "a stop event without the field stops it")

	_, err = workflow.Parse("stops.yaml", []byte(replaceOnce(t, src, "stop_condition: {field: decision,", "stop_condition: {field: decided,")))
	require.ErrorContains(t, err, `no stop event carries field "decided"`)
	_, err = workflow.Parse("stops.yaml", []byte(replaceOnce(t, src, "equals: suspension}}", "equals: pause}}")))
	require.ErrorContains(t, err, "condition value pause")
}
