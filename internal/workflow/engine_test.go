package workflow_test

import (
	"encoding/json"
	"path/filepath"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

func childAbuse(t *testing.T) *workflow.Definition {
	t.Helper()
	r, err := workflow.LoadDir(filepath.Join("..", "..", "workflows"))
	require.NoError(t, err)
	d, ok := r.Get("child-abuse", 1)
	require.True(t, ok)
	return d
}

// validData builds data that satisfies every field of e, optional ones
// included.
func validData(e *workflow.Event) map[string]any {
	data := map[string]any{}
	for _, f := range e.Fields {
		switch f.Type {
		case workflow.FieldString, workflow.FieldText:
			data[f.Name] = "x"
		case workflow.FieldBool:
			data[f.Name] = true
		case workflow.FieldInt:
			data[f.Name] = 1
		case workflow.FieldDate:
			data[f.Name] = "2026-03-01"
		case workflow.FieldDatetime:
			data[f.Name] = "2026-03-01T08:00:00+07:00"
		case workflow.FieldEnum:
			data[f.Name] = f.Values[0]
		}
	}
	return data
}

func requireCode(t *testing.T, err error, code string) *caseflow.Error {
	t.Helper()
	var ce *caseflow.Error
	require.ErrorAs(t, err, &ce)
	require.Equal(t, code, ce.Code, err.Error())
	return ce
}

// TestFire_EveryStateEventRole fires every event from every state with every
// role: an event that cannot fire from the state is invalid whatever the
// role, a role that may not fire it is forbidden, and otherwise valid data
// takes the case to the declared state.
func TestFire_EveryStateEventRole(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	for _, s := range d.States {
		for _, e := range d.Events {
			t.Run(s.ID+"/"+e.ID, func(t *testing.T) {
				for _, role := range caseflow.Roles {
					tr, err := d.Fire(s.ID, e.ID, role, validData(e))
					switch {
					case !e.FiresFrom(s.ID):
						ce := requireCode(t, err, caseflow.EInvalid)
						require.Contains(t, ce.Fields, "event")
					case !e.Allows(role):
						requireCode(t, err, caseflow.EForbidden)
					default:
						require.NoError(t, err, role)
						require.Equal(t, s.ID, tr.From)
						require.Equal(t, e.Destination(s.ID), tr.To)
						require.Same(t, e, tr.Event)
						if e.To != "" {
							require.Equal(t, e.To, tr.To)
						}
					}
				}
			})
		}
	}
}

func TestFire_GuardsRun(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	ev, _ := d.Event("decide_prosecution")
	fire := func(role caseflow.Role, edit func(map[string]any)) error {
		data := validData(ev)
		edit(data)
		_, err := d.Fire("police", "decide_prosecution", role, data)
		return err
	}
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
		msg   string
		code  caseflow.FieldCode
	}{
		{"MissingRequiredFieldRejected", func(m map[string]any) { delete(m, "crime_category") }, "data.crime_category", "is required",
			caseflow.FieldRequired},
		{"BlankRequiredFieldRejected", func(m map[string]any) { m["penal_code_article"] = "  " }, "data.penal_code_article", "is required",
			caseflow.FieldRequired},
		{"WrongEnumRejected", func(m map[string]any) { m["crime_category"] = "minor" }, "data.crime_category",
			"must be one of: less_serious, serious, very_serious, especially_serious", caseflow.FieldNotOneOf},
		{"WrongTypeRejected", func(m map[string]any) { m["penal_code_article"] = 142 }, "data.penal_code_article", "must be a string",
			caseflow.FieldWrongType},
		{"UnknownFieldRejected", func(m map[string]any) { m["victim_name"] = "A" }, "data.victim_name", "unknown field",
			caseflow.FieldUnknownField},
		{"SetKeyIsNotInput", func(m map[string]any) { m["decision"] = "decline" }, "data.decision", "unknown field",
			caseflow.FieldUnknownField},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			ce := requireCode(t, fire(caseflow.RolePolice, tt.edit), caseflow.EInvalid)
			require.Equal(t, map[string]string{tt.field: tt.msg}, ce.FieldMessages())
			require.Equal(t, map[string]caseflow.FieldCode{tt.field: tt.code}, ce.FieldCodes())
		})
	}
	t.Run("RoleCheckedBeforeData", func(t *testing.T) {
		t.Parallel()
		err := fire(caseflow.RoleCommuneOfficer, func(m map[string]any) { delete(m, "crime_category") })
		requireCode(t, err, caseflow.EForbidden)
	})
	t.Run("StateCheckedBeforeRole", func(t *testing.T) {
		t.Parallel()
		_, err := d.Fire("received", "decide_prosecution", caseflow.RoleCommuneOfficer, nil)
		ce := requireCode(t, err, caseflow.EInvalid)
		require.Equal(t, map[string]string{"event": `cannot be fired in state "received"`}, ce.FieldMessages())
		require.Equal(t, caseflow.FieldWrongState, ce.Fields["event"].Code)
	})
	t.Run("UnknownEventInvalid", func(t *testing.T) {
		t.Parallel()
		_, err := d.Fire("police", "arrest_everyone", caseflow.RolePolice, nil)
		ce := requireCode(t, err, caseflow.EInvalid)
		require.Equal(t, map[string]string{"event": "unknown event"}, ce.FieldMessages())
		require.Equal(t, caseflow.FieldNotFound, ce.Fields["event"].Code)
	})
	t.Run("UnknownStateInternal", func(t *testing.T) {
		t.Parallel()
		_, err := d.Fire("limbo", "refer_police", caseflow.RoleCommuneOfficer, nil)
		require.Error(t, err)
		require.Equal(t, caseflow.EInternal, caseflow.ErrorCode(err))
	})
	t.Run("FinalStateAcceptsNothing", func(t *testing.T) {
		t.Parallel()
		for _, e := range d.Events {
			_, err := d.Fire("closed", e.ID, caseflow.RoleAdmin, validData(e))
			requireCode(t, err, caseflow.EInvalid)
		}
	})
}

func TestFire_SelfTransitionRecordsData(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	tr, err := d.Fire("received", "record_emergency_measures", caseflow.RoleCommuneOfficer,
		map[string]any{"measures": "Tách trẻ khỏi người gây hại", "taken_at": "2026-03-01T20:30:00+07:00"})
	require.NoError(t, err)
	require.Equal(t, "received", tr.To)
	require.Equal(t, map[string]any{"measures": "Tách trẻ khỏi người gây hại", "taken_at": "2026-03-01T13:30:00Z"}, tr.Data)
	require.Equal(t, []string{"emergency_measures"}, clockIDs(tr.StopClocks))
	require.Empty(t, tr.StartClocks)
}

func TestFire_ReferralsAndClocks(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	fire := func(state, event string, role caseflow.Role, data map[string]any) *workflow.Transition {
		t.Helper()
		tr, err := d.Fire(state, event, role, data)
		require.NoError(t, err)
		return tr
	}

	tr := fire("received", "refer_police", caseflow.RoleCommuneOfficer, map[string]any{"remote_commune": false})
	require.Equal(t, caseflow.AgencyPolice, tr.Refer)
	require.Equal(t, []string{"transfer_to_police"}, clockIDs(tr.StartClocks))
	tr = fire("received", "refer_police", caseflow.RoleCommuneOfficer, map[string]any{"remote_commune": true})
	require.Equal(t, []string{"transfer_to_police_remote"}, clockIDs(tr.StartClocks))

	tr = fire("police", "accept_referral", caseflow.RolePolice, nil)
	require.Equal(t, []string{"procuracy_notice", "resolve_report"}, clockIDs(tr.StartClocks))
	require.Equal(t, []string{"transfer_to_police", "transfer_to_police_remote"}, clockIDs(tr.StopClocks))

	tr = fire("police", "return_referral", caseflow.RolePolice, map[string]any{"reason": "không thuộc thẩm quyền"})
	require.Equal(t, "received", tr.To)
	require.Equal(t, []caseflow.AgencyType{caseflow.AgencyPolice, caseflow.AgencyProcuracy}, tr.Release)

	tr = fire("police", "decide_prosecution", caseflow.RolePolice,
		map[string]any{"crime_category": "very_serious", "penal_code_article": "142"})
	require.Equal(t, "investigation", tr.To)
	require.Equal(t, map[string]any{"crime_category": "very_serious", "penal_code_article": "142",
		"decision": "prosecute", "crime_signs": true}, tr.Data)
	require.Equal(t, []string{"tell_reporter", "investigation"}, clockIDs(tr.StartClocks))
	require.Equal(t, []string{"resolve_report"}, clockIDs(tr.StopClocks))

	tr = fire("investigation", "request_forensic_exam", caseflow.RolePolice, map[string]any{"exam_kind": "sexual_abuse"})
	require.Equal(t, caseflow.AgencyHealth, tr.Refer)
	require.Equal(t, []string{"forensic_conclusion_sexual_abuse"}, clockIDs(tr.StartClocks))
	tr = fire("investigation", "request_forensic_exam", caseflow.RolePolice, map[string]any{"exam_kind": "age"})
	require.Equal(t, []string{"forensic_conclusion"}, clockIDs(tr.StartClocks))

	tr = fire("trial", "record_verdict", caseflow.RoleCourt,
		map[string]any{"verdict": "convicted", "charge_upheld": true, "verdict_date": "2026-09-30"})
	require.Equal(t, "support", tr.To)
	require.Equal(t, []string{"support_plan_drafted"}, clockIDs(tr.StartClocks))

	tr = fire("support", "refer_service", caseflow.RoleSocialWorker,
		map[string]any{"referral_id": "r-1", "service": "legal_aid", "agency": "legal_aid"})
	require.Equal(t, []string{"service_referral_response"}, clockIDs(tr.StartClocks))
	require.Equal(t, caseflow.AgencyLegalAid, tr.StartClocks[0].ResponsibleFor(tr.Data))
	require.Empty(t, tr.Refer, "a service referral does not open the whole case to the provider")

	tr = fire("support", "close_case", caseflow.RoleCommuneOfficer, map[string]any{"outcome": "convicted"})
	require.Equal(t, "closed", tr.To)
	require.Len(t, tr.StopClocks, len(d.Clocks), "closing stops every clock")
}

// TestFire_HappyPath walks one case from intake to closure.
func TestFire_HappyPath(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	steps := []struct {
		event string
		role  caseflow.Role
		to    string
	}{
		{"record_emergency_measures", caseflow.RoleCommuneOfficer, "received"},
		{"refer_police", caseflow.RoleCommuneOfficer, "police"},
		{"accept_referral", caseflow.RolePolice, "police"},
		{"notify_procuracy", caseflow.RolePolice, "police"},
		{"decide_prosecution", caseflow.RolePolice, "investigation"},
		{"inform_reporter", caseflow.RolePolice, "investigation"},
		{"record_exam_grounds", caseflow.RolePolice, "investigation"},
		{"request_forensic_exam", caseflow.RolePolice, "forensic_exam"},
		{"conclude_forensic_exam", caseflow.RoleHealth, "investigation"},
		{"hand_to_procuracy", caseflow.RolePolice, "prosecution"},
		{"return_for_investigation", caseflow.RoleProsecutor, "investigation"},
		{"hand_to_procuracy", caseflow.RolePolice, "prosecution"},
		{"indict", caseflow.RoleProsecutor, "trial"},
		{"accept_for_trial", caseflow.RoleCourt, "trial"},
		{"decide_to_try", caseflow.RoleCourt, "trial"},
		{"hold_hearing", caseflow.RoleCourt, "trial"},
		{"record_verdict", caseflow.RoleCourt, "support"},
		{"draft_support_plan", caseflow.RoleSocialWorker, "support"},
		{"approve_support_plan", caseflow.RoleCommuneOfficer, "support"},
		{"review_support_plan", caseflow.RoleSocialWorker, "support"},
		{"close_case", caseflow.RoleCommuneOfficer, "closed"},
	}
	state := d.Initial
	for _, st := range steps {
		e, ok := d.Event(st.event)
		require.True(t, ok, st.event)
		tr, err := d.Fire(state, st.event, st.role, validData(e))
		require.NoError(t, err, st.event)
		require.Equal(t, st.to, tr.To, st.event)
		state = tr.To
	}
}

func TestFire_NormalisesData(t *testing.T) {
	t.Parallel()
	d, err := workflow.Parse("types.yaml", []byte(`
id: types
version: 1
label: {vi: "Kiểu", en: "Types"}
initial: open
states:
  - {id: open, label: {vi: "Mở", en: "Open"}, agency: police}
  - {id: done, label: {vi: "Xong", en: "Done"}, final: true}
events:
  - id: record
    label: {vi: "Ghi", en: "Record"}
    from: [open]
    roles: [police]
    fields:
      - {name: s, type: string, required: true}
      - {name: n, type: int, required: true}
      - {name: b, type: bool, required: true}
      - {name: d, type: date, required: true}
      - {name: t, type: datetime, required: true}
      - {name: e, type: enum, required: true, values: [x, y]}
      - {name: o, type: text, required: false}
  - {id: finish, label: {vi: "Xong", en: "Finish"}, from: [open], to: done, roles: [police]}
`))
	require.NoError(t, err)
	var data map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"s":"a","n":42,"b":false,"d":"2026-02-28",
		"t":"2026-02-28T23:00:00+07:00","e":"y","o":""}`), &data))
	tr, err := d.Fire("open", "record", caseflow.RolePolice, data)
	require.NoError(t, err)
	require.Equal(t, map[string]any{"s": "a", "n": int64(42), "b": false, "d": "2026-02-28",
		"t": "2026-02-28T16:00:00Z", "e": "y"}, tr.Data, "an empty optional value counts as absent")

	bad := map[string]any{"s": "a\nb", "n": 4.5, "b": "yes", "d": "28/02/2026", "t": "2026-02-28 23:00", "e": "z"}
	_, err = d.Fire("open", "record", caseflow.RolePolice, bad)
	ce := requireCode(t, err, caseflow.EInvalid)
	require.Equal(t, map[string]string{
		"data.s": "must be a single line",
		"data.n": "must be a whole number",
		"data.b": "must be true or false",
		"data.d": "must be a date (YYYY-MM-DD)",
		"data.t": "must be a date and time (RFC 3339)",
		"data.e": "must be one of: x, y",
	}, ce.FieldMessages())
	require.Equal(t, map[string]caseflow.FieldCode{
		"data.s": caseflow.FieldNotSingleLine,
		"data.n": caseflow.FieldWrongType,
		"data.b": caseflow.FieldWrongType,
		"data.d": caseflow.FieldNotADate,
		"data.t": caseflow.FieldNotADatetime,
		"data.e": caseflow.FieldNotOneOf,
	}, ce.FieldCodes())
	require.Equal(t, []string{"x", "y"}, ce.Fields["data.e"].Allowed)
}

func TestAvailable(t *testing.T) {
	t.Parallel()
	d := childAbuse(t)
	ids := func(es []*workflow.Event) []string {
		out := make([]string, len(es))
		for i, e := range es {
			out[i] = e.ID
		}
		return out
	}
	require.Equal(t, []string{"assess_risk", "record_emergency_measures", "emergency_not_needed", "refer_police",
		"route_to_support", "close_case", "refer_service", "accept_service_referral", "decline_service_referral"},
		ids(d.Available("received", caseflow.RoleCommuneOfficer)))
	require.Equal(t, []string{"conclude_forensic_exam", "refer_service", "accept_service_referral", "decline_service_referral"},
		ids(d.Available("forensic_exam", caseflow.RoleHealth)))
	for _, s := range d.States {
		require.Empty(t, d.Available(s.ID, caseflow.RoleSupervisor), s.ID)
		for _, role := range caseflow.Roles {
			for _, e := range d.Available(s.ID, role) {
				require.True(t, e.FiresFrom(s.ID) && e.Allows(role))
			}
		}
	}
	require.Empty(t, d.Available("closed", caseflow.RoleAdmin))
	require.False(t, slices.ContainsFunc(d.Available("trial", caseflow.RolePolice), func(e *workflow.Event) bool {
		return e.ID == "record_verdict"
	}))
}
