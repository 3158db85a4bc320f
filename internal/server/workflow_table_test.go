package server_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/workflow"
)

// wfUser is a demo user of one role.
type wfUser struct {
	name   string
	role   caseflow.Role
	agency caseflow.AgencyType
}

// wfTableUsers are the demo users the table fires every event as, one per role.
var wfTableUsers = []wfUser{
	{"officer1", caseflow.RoleCommuneOfficer, caseflow.AgencyCommune},
	{"police1", caseflow.RolePolice, caseflow.AgencyPolice},
	{"health1", caseflow.RoleHealth, caseflow.AgencyHealth},
	{"prosecutor1", caseflow.RoleProsecutor, caseflow.AgencyProcuracy},
	{"court1", caseflow.RoleCourt, caseflow.AgencyCourt},
	{"social1", caseflow.RoleSocialWorker, caseflow.AgencySocial},
	{"supervisor1", caseflow.RoleSupervisor, caseflow.AgencySupervision},
	{"admin1", caseflow.RoleAdmin, caseflow.AgencySupervision},
}

// wfServiceEvents are driven by the referrals endpoints; POST .../events
// refuses them.
var wfServiceEvents = map[string]bool{"refer_service": true, "accept_service_referral": true, "decline_service_referral": true}

// wfUnknownEvent is an event no definition has.
const wfUnknownEvent = "no_such_event"

// wfValidData builds valid data for an event from its field declarations.
func wfValidData(ev *workflow.Event) map[string]any {
	data := map[string]any{}
	if ev == nil {
		return data
	}
	for _, f := range ev.Fields {
		switch f.Type {
		case workflow.FieldEnum:
			data[f.Name] = f.Values[0]
		case workflow.FieldBool:
			// remote_commune false picks the ordinary 24-hour clock; a
			// verdict upholds the charge.
			data[f.Name] = f.Name == "charge_upheld"
		case workflow.FieldDate:
			data[f.Name] = "2026-11-20"
		case workflow.FieldDatetime:
			data[f.Name] = "2026-11-20T08:00:00+07:00"
		case workflow.FieldInt:
			data[f.Name] = 1
		default:
			data[f.Name] = "x"
		}
	}
	return data
}

// wfBad is data that an event must refuse, naming the field to blame.
type wfBad struct {
	what  string
	field string
	data  map[string]any
}

// wfBadData builds, from an event's field declarations, data it must refuse:
// each required field left out, each field of the wrong type, an unknown
// field, and each of the event's set keys sent by the user.
func wfBadData(ev *workflow.Event) []wfBad {
	var out []wfBad
	with := func(name string, v any) map[string]any {
		d := wfValidData(ev)
		d[name] = v
		return d
	}
	for _, f := range ev.Fields {
		if f.Required {
			d := wfValidData(ev)
			delete(d, f.Name)
			out = append(out, wfBad{"no " + f.Name, f.Name, d})
			out = append(out, wfBad{"blank " + f.Name, f.Name, with(f.Name, "  ")})
		}
		wrong := map[workflow.FieldType]any{workflow.FieldString: "hai\ndòng", workflow.FieldText: 7,
			workflow.FieldBool: "yes", workflow.FieldInt: 1.5, workflow.FieldDate: "20/11/2026",
			workflow.FieldDatetime: "2026-11-20", workflow.FieldEnum: "not_a_value"}[f.Type]
		out = append(out, wfBad{fmt.Sprintf("%s = %v", f.Name, wrong), f.Name, with(f.Name, wrong)})
	}
	out = append(out, wfBad{"an unknown field", "bogus", with("bogus", "x")})
	for k, v := range ev.Set {
		out = append(out, wfBad{"set key " + k, k, with(k, v)})
	}
	return out
}

// wfShortestPaths finds, for every state, the shortest sequence of
// workflow events that brings a new case there.
func wfShortestPaths(def *workflow.Definition) map[string][]*workflow.Event {
	paths := map[string][]*workflow.Event{def.Initial: nil}
	queue := []string{def.Initial}
	for len(queue) > 0 {
		s := queue[0]
		queue = queue[1:]
		for _, ev := range def.Events {
			if wfServiceEvents[ev.ID] || !ev.FiresFrom(s) {
				continue
			}
			to := ev.Destination(s)
			if _, seen := paths[to]; seen {
				continue
			}
			paths[to] = append(slices.Clone(paths[s]), ev)
			queue = append(queue, to)
		}
	}
	return paths
}

// wfGrants are the agency types the workflow has referred a case to and not
// released, as refer and release of the fired events say.
type wfGrants map[caseflow.AgencyType]bool

func (g wfGrants) apply(ev *workflow.Event) {
	if ev.Refer != "" {
		g[ev.Refer] = true
	}
	for _, a := range ev.Release {
		delete(g, a)
	}
}

// access is what the user may see of a case of officer1's commune with these
// grants: "full", "service", "summary" or "" (nothing).
func (g wfGrants) access(u wfUser) string {
	switch {
	case u.name == "officer1":
		return string(caseflow.AccessFull)
	case u.role == caseflow.RoleSupervisor:
		return string(caseflow.AccessSummary)
	case u.role == caseflow.RoleAdmin || !g[u.agency]:
		return ""
	case u.agency == caseflow.AgencyPolice || u.agency == caseflow.AgencyProcuracy || u.agency == caseflow.AgencyCourt:
		return string(caseflow.AccessFull)
	}
	return string(caseflow.AccessService)
}

// wfExpect is the status firing event as u on a case in state must answer.
func wfExpect(def *workflow.Definition, state, event string, u wfUser, access string) int {
	switch {
	case u.role == caseflow.RoleAdmin:
		return http.StatusForbidden // administrators read no cases
	case access == "":
		return http.StatusNotFound
	case access == string(caseflow.AccessSummary):
		return http.StatusForbidden
	case wfServiceEvents[event]:
		return http.StatusUnprocessableEntity
	}
	ev, ok := def.Event(event)
	switch {
	case !ok || !ev.FiresFrom(state):
		return http.StatusUnprocessableEntity
	case !ev.Allows(u.role):
		return http.StatusForbidden
	}
	return http.StatusOK
}

// wfBring files a fresh case and fires the events of path, each as the
// first table user whose role may fire it and who sees the case; it
// returns the case and its grants.
func wfBring(t *testing.T, path []*workflow.Event) (*wfCase, wfGrants) {
	t.Helper()
	c := newWFCase(t)
	g := wfGrants{}
	for _, ev := range path {
		i := slices.IndexFunc(wfTableUsers, func(u wfUser) bool {
			a := g.access(u)
			return ev.Allows(u.role) && a != "" && a != string(caseflow.AccessSummary)
		})
		require.GreaterOrEqual(t, i, 0, "no demo user can fire %s", ev.ID)
		c.fire(t, wfTableUsers[i].name, ev.ID, ev.Destination(c.state), wfValidData(ev))
		g.apply(ev)
	}
	return c, g
}

// wfStored reads a case's state, version and number of transition rows
// straight from the database.
func wfStored(t *testing.T, code string) string {
	t.Helper()
	rows, err := env.db.QueryStrings(context.Background(), `SELECT c.state || ' v' || c.version || ' rows ' ||
		(SELECT count(*) FROM case_history h WHERE h.case_id = c.id AND h.event NOT LIKE 'clock\_%')
		FROM cases c WHERE c.code = ?`, code)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	return rows[0]
}

// wfSuccess is an event a user may fire from a state.
type wfSuccess struct {
	event string
	user  wfUser
}

func TestEveryEventFromEveryState(t *testing.T) {
	// The test server files new cases on version 1, which this table walks;
	// version 2's guards are tested in workflow_v2_test.go.
	def, ok := env.flows.Get("child-abuse", 1)
	require.True(t, ok)
	loaded, err := workflow.LoadDir("../../workflows")
	require.NoError(t, err)
	_, ok = loaded.Get("child-abuse", 1)
	require.True(t, ok, "the server runs the definitions in workflows/")

	paths := wfShortestPaths(def)
	events := []string{wfUnknownEvent}
	for _, ev := range def.Events {
		events = append(events, ev.ID)
	}

	for _, st := range def.States {
		path, reachable := paths[st.ID]
		require.True(t, reachable, "state %s cannot be reached", st.ID)

		t.Run(st.ID, func(t *testing.T) {
			shared, grants := wfBring(t, path)
			require.Equal(t, st.ID, shared.state)
			var successes []wfSuccess

			t.Run("AvailableEventsMatchTheRules", func(t *testing.T) {
				for _, u := range wfTableUsers {
					access := grants.access(u)
					if u.role == caseflow.RoleAdmin || access == "" {
						continue
					}
					body := shared.requireSees(t, u.name, access)
					var want []string
					for _, ev := range def.Events {
						if !wfServiceEvents[ev.ID] && wfExpect(def, st.ID, ev.ID, u, access) == http.StatusOK {
							want = append(want, ev.ID)
						}
					}
					require.Equal(t, want, availableEventNames(body), "available_events of %s in %s", u.name, st.ID)
				}
			})

			for _, u := range wfTableUsers {
				access := grants.access(u)
				t.Run("RefusedAs"+u.name, func(t *testing.T) {
					wrong := wfProblems{}
					for _, event := range events {
						want := wfExpect(def, st.ID, event, u, access)
						if want == http.StatusOK {
							successes = append(successes, wfSuccess{event, u})
							continue
						}
						before := wfStored(t, shared.code)
						ev, _ := def.Event(event)
						r := shared.send(t, u.name, event, shared.version, wfValidData(ev))
						wrong.add(event, wfRefusal(r, want), r.Raw)
						if after := wfStored(t, shared.code); after != before {
							wrong.add(event, fmt.Sprintf("a refused event changed the case from %q to %q", before, after), nil)
							shared, _ = wfBring(t, path) // the shared case is spoilt; go on with a new one
						}
					}
					require.Empty(t, wrong.String(), "%s in %s (access %q)", u.name, st.ID, access)
				})
			}

			t.Run("RefusalsLeaveTheCaseAsItWas", func(t *testing.T) {
				body := shared.requireSees(t, "officer1", "full")
				require.Equal(t, st.ID, body["state"])
				shared.requireHistory(t)
			})

			t.Run("BadDataIsRefusedFieldByField", func(t *testing.T) {
				wrong := wfProblems{}
				for _, s := range successes {
					ev, _ := def.Event(s.event)
					for _, bad := range wfBadData(ev) {
						before := wfStored(t, shared.code)
						r := shared.send(t, s.user.name, s.event, shared.version, bad.data)
						what := fmt.Sprintf("%s as %s with %s", s.event, s.user.name, bad.what)
						if r.Status != http.StatusUnprocessableEntity {
							wrong.add(what, fmt.Sprintf("want 422, got %d", r.Status), r.Raw)
						} else if e, _ := r.Body["error"].(map[string]any); e != nil {
							fields, _ := e["fields"].(map[string]any)
							if _, ok := fields["data."+bad.field]; !ok {
								wrong.add(what, "422 without fields.data."+bad.field, r.Raw)
							}
						}
						if after := wfStored(t, shared.code); after != before {
							wrong.add(what, "bad data changed the case", nil)
							shared, _ = wfBring(t, path)
						}
					}
				}
				require.Empty(t, wrong.String())
			})

			for _, s := range successes {
				t.Run(s.event+"As"+s.user.name, func(t *testing.T) {
					c, _ := wfBring(t, path)
					ev, _ := def.Event(s.event)
					c.fire(t, s.user.name, s.event, ev.Destination(st.ID), wfValidData(ev))
					rows := c.requireHistory(t)
					last := rows[len(rows)-1]
					for k, v := range ev.Set {
						require.Equal(t, v, last.Data[k], "%s records %s", s.event, k)
					}
				})
			}
		})
	}
}

// wfProblems groups wrong answers by what is wrong, so that one cause
// reads as one line naming every event it affects.
type wfProblems struct {
	order  []string
	events map[string][]string
	sample map[string]string
}

func (p *wfProblems) add(event, problem string, raw []byte) {
	if problem == "" {
		return
	}
	if p.events == nil {
		p.events, p.sample = map[string][]string{}, map[string]string{}
	}
	if _, ok := p.events[problem]; !ok {
		p.order = append(p.order, problem)
		p.sample[problem] = string(raw)
	}
	p.events[problem] = append(p.events[problem], event)
}

func (p *wfProblems) String() string {
	var b strings.Builder
	for _, pr := range p.order {
		fmt.Fprintf(&b, "%s, for %d events: %s (e.g. %s)\n", pr, len(p.events[pr]), strings.Join(p.events[pr], ", "), p.sample[pr])
	}
	return b.String()
}

// wfRefusal says what is wrong with a refused event's answer, or "" when
// it is right.
func wfRefusal(r response, want int) string {
	e, _ := r.Body["error"].(map[string]any)
	code, _ := e["code"].(string)
	if r.Status != want {
		return fmt.Sprintf("want %d, got %d %s", want, r.Status, code)
	}
	wantCode := map[int]string{http.StatusForbidden: "forbidden", http.StatusNotFound: "not_found",
		http.StatusUnprocessableEntity: "invalid"}[want]
	if code != wantCode {
		return fmt.Sprintf("want error code %s, got %q", wantCode, code)
	}
	if want == http.StatusUnprocessableEntity {
		fields, _ := e["fields"].(map[string]any)
		if _, ok := fields["event"]; !ok {
			return "422 without fields.event"
		}
		for k := range fields {
			if strings.HasPrefix(k, "data.") {
				return "valid data refused"
			}
		}
	}
	return ""
}
