package server_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// v2Paths bring a new case on version 2 to each state, the way the
// procedure goes: the police decide only after their receipt.
var v2Paths = map[string][]string{
	"received":              nil,
	"police":                {"refer_police"},
	"resolution_suspended":  {"refer_police", "record_receipt", "suspend_resolution"},
	"investigation":         {"refer_police", "record_receipt", "decide_prosecution"},
	"prosecution":           {"refer_police", "record_receipt", "decide_prosecution", "hand_to_procuracy"},
	"prosecution_suspended": {"refer_police", "record_receipt", "decide_prosecution", "hand_to_procuracy", "suspend_prosecution"},
	"trial":                 {"refer_police", "record_receipt", "decide_prosecution", "hand_to_procuracy", "indict"},
	"trial_suspended":       {"refer_police", "record_receipt", "decide_prosecution", "hand_to_procuracy", "indict", "accept_for_trial", "suspend_trial"},
	"support":               {"route_to_support"},
}

// v2Actor is the demo user who fires an event on a path.
var v2Actor = map[caseflow.Role]string{caseflow.RoleCommuneOfficer: "officer1", caseflow.RolePolice: "police1",
	caseflow.RoleProsecutor: "prosecutor1", caseflow.RoleCourt: "court1", caseflow.RoleHealth: "health1"}

// v2Data is valid data for an event of version 2.
func v2Data(ev *workflow.Event) map[string]any {
	data := wfValidData(ev)
	for _, f := range ev.Fields {
		if f.Type == workflow.FieldCharges {
			data[f.Name] = []map[string]any{{"suspect": 1, "article": "142", "upheld": true}}
		}
	}
	return data
}

// v2Bring files a case on version 2 and fires the path to state.
func v2Bring(t *testing.T, base string, def *workflow.Definition, state string) *v2Case {
	t.Helper()
	c := v2File(t, base, "officer1", time.Now().Add(-time.Hour).Format(time.RFC3339), nil)
	for _, id := range v2Paths[state] {
		ev, ok := def.Event(id)
		require.True(t, ok, id)
		c.fire(v2Actor[ev.Roles[0]], id, "", v2Data(ev))
	}
	require.Equal(t, state, c.get("officer1")["state"])
	return c
}

// TestV2EveryEventFromEveryState fires every event of version 2 as every
// demo user on a case in each state. The answer must be the one the
// workflow's rules give (state, guards against the events recorded, role,
// access), a refusal must change nothing, each allowed event must succeed on
// a case of its own, and available_events must list exactly the allowed
// ones, in the order of the file.
func TestV2EveryEventFromEveryState(t *testing.T) {
	base := v2Server(t)
	def, ok := env.flows.Get("child-abuse", 2)
	require.True(t, ok)
	require.Len(t, v2Paths, len(def.States)-1, "a path to every state but the final one")
	facts := def.ReadingFacts(nil)
	facts[workflow.FactImmediateDanger], facts[workflow.FactCommuneRemote] = true, false

	for _, st := range def.States {
		if st.Final {
			continue
		}
		t.Run(st.ID, func(t *testing.T) {
			shared := v2Bring(t, base, def, st.ID)
			cx := workflow.Context{State: st.ID, Fired: append([]string{def.IntakeEvent}, v2Paths[st.ID]...), Facts: facts, Now: time.Now()}
			before := wfStored(t, shared.code)
			version := shared.get("officer1")["version"]
			var successes [][2]string
			for _, u := range wfTableUsers {
				r := callAt(t, base, http.MethodGet, "/api/v1/cases/"+shared.code, login(t, u.name), nil)
				access := ""
				if r.Status == http.StatusOK {
					access, _ = r.Body["access"].(string)
				}
				var want []string
				for _, ev := range def.Events {
					expect := v2Expect(def, cx, ev, u, access)
					if expect == http.StatusOK {
						successes = append(successes, [2]string{ev.ID, u.name})
						if !ev.IsReferralStep() {
							want = append(want, ev.ID)
						}
						continue
					}
					got := callAt(t, base, http.MethodPost, "/api/v1/cases/"+shared.code+"/events", login(t, u.name),
						map[string]any{"event": ev.ID, "version": version, "data": v2Data(ev)})
					require.Equal(t, expect, got.Status, "%s as %s in %s: %s", ev.ID, u.name, st.ID, got.Raw)
					require.Equal(t, before, wfStored(t, shared.code), "a refused %s as %s changed the case", ev.ID, u.name)
				}
				if access != "" && access != string(caseflow.AccessSummary) && u.role != caseflow.RoleAdmin {
					require.Equal(t, want, availableEventNames(r.Body), "available_events of %s in %s", u.name, st.ID)
				}
			}
			for _, s := range successes {
				ev, _ := def.Event(s[0])
				if ev.IsReferralStep() {
					continue
				}
				c := v2Bring(t, base, def, st.ID)
				body := c.fire(s[1], s[0], "", v2Data(ev))
				require.Equal(t, ev.Destination(st.ID), body["state"], "%s as %s in %s", s[0], s[1], st.ID)
			}
		})
	}
}

// v2Expect is the status firing ev as u must answer on a case in cx: the
// access rules first, then the workflow's (state, guards, role, data).
func v2Expect(def *workflow.Definition, cx workflow.Context, ev *workflow.Event, u wfUser, access string) int {
	switch {
	case u.role == caseflow.RoleAdmin:
		return http.StatusForbidden
	case access == "":
		return http.StatusNotFound
	case access == string(caseflow.AccessSummary):
		return http.StatusForbidden
	case ev.IsReferralStep():
		return http.StatusUnprocessableEntity
	}
	_, err := def.FireIn(cx, ev.ID, u.role, v2Data(ev))
	switch caseflow.ErrorCode(err) {
	case "":
		return http.StatusOK
	case caseflow.EForbidden:
		return http.StatusForbidden
	case caseflow.EInvalid:
		return http.StatusUnprocessableEntity
	}
	panic(fmt.Sprintf("unexpected %v", err))
}
