package server_test

import (
	"encoding/json"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// wfAgencyOf is the agency of each demo user (seeds/demo-users.yaml).
var wfAgencyOf = map[string]string{
	"officer1": "CP-12004", "officer2": "CP-11953", "police1": "CSDT-33", "health1": "PY-33",
	"prosecutor1": "VKSKV4-33", "court1": "TAKV4-33", "social1": "CTXH-33", "supervisor1": "BCD-33", "admin1": "UBND-33",
}

// wfStep is one transition a wfCase has recorded.
type wfStep struct {
	event, user, from, to string
}

// wfCase follows one case through the workflow over the API and remembers
// what it fired, so that the history can be checked against it.
type wfCase struct {
	code    string
	version int
	state   string
	owner   string         // the commune officer who filed it
	body    map[string]any // the intake body, for its personal values
	steps   []wfStep
}

// wfHistoryRow is one row of GET /api/v1/cases/{code}/history.
type wfHistoryRow struct {
	Version int       `json:"version"`
	Event   string    `json:"event"`
	From    string    `json:"from"`
	To      string    `json:"to"`
	At      time.Time `json:"at"`
	Actor   *struct {
		Username   string `json:"username"`
		AgencyCode string `json:"agency_code"`
	} `json:"actor"`
	Note string         `json:"note"`
	Data map[string]any `json:"data"`
}

// wfNote is the note every workflow test sends with an event.
const wfNote = "Ghi chú kiểm thử"

// newWFCase files a fresh report by officer1.
func newWFCase(t *testing.T) *wfCase {
	t.Helper()
	return fileWFCase(t, "officer1", report())
}

// fileWFCase files an intake body as a commune officer and requires a new
// case in the initial state at version 1.
func fileWFCase(t *testing.T, user string, body map[string]any) *wfCase {
	t.Helper()
	r := call(t, http.MethodPost, "/api/v1/reports", login(t, user), body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.Equal(t, "received", r.Body["state"])
	require.EqualValues(t, 1, r.Body["version"])
	code, _ := r.Body["code"].(string)
	require.NotEmpty(t, code)
	return &wfCase{owner: user, code: code, version: 1, state: "received", body: body}
}

func (c *wfCase) path(suffix string) string { return "/api/v1/cases/" + c.code + suffix }

// child is the full name of the case's child.
func (c *wfCase) child() string {
	return c.body["children"].([]map[string]any)[0]["full_name"].(string)
}

// suspect is the full name of the case's suspect.
func (c *wfCase) suspect() string {
	return c.body["suspects"].([]map[string]any)[0]["full_name"].(string)
}

// reporter is the full name of the case's reporter.
func (c *wfCase) reporter() string {
	return c.body["reporter"].(map[string]any)["full_name"].(string)
}

// send posts an event as user without checking the answer.
func (c *wfCase) send(t *testing.T, user, event string, version int, data map[string]any) response {
	t.Helper()
	return c.sendTo(t, user, event, "", version, data)
}

// sendTo posts an event as user naming the agency it refers the case to
// ("" leaves the choice to the jurisdiction table), without checking the
// answer.
func (c *wfCase) sendTo(t *testing.T, user, event, agency string, version int, data map[string]any) response {
	t.Helper()
	if data == nil {
		data = map[string]any{}
	}
	body := map[string]any{"event": event, "version": version, "note": wfNote, "data": data}
	if agency != "" {
		body["agency_code"] = agency
	}
	return call(t, http.MethodPost, c.path("/events"), login(t, user), body)
}

// fire fires an event as user on the current version and requires it to
// move the case to state to, one version up. When the answer is wrong but
// the filing officer sees that the transition was committed, the failure is
// recorded and the path goes on, so that one bug does not hide the rest.
func (c *wfCase) fire(t *testing.T, user, event, to string, data map[string]any) map[string]any {
	t.Helper()
	return c.fireTo(t, user, event, "", to, data)
}

// fireTo is fire for an event that refers the case to the agency named.
func (c *wfCase) fireTo(t *testing.T, user, event, agency, to string, data map[string]any) map[string]any {
	t.Helper()
	r := c.sendTo(t, user, event, agency, c.version, data)
	body := r.Body
	if r.Status != http.StatusOK {
		t.Errorf("%s by %s in %s: want 200, got %d: %s", event, user, c.state, r.Status, r.Raw)
		now := c.get(t, c.owner)
		require.Equal(t, http.StatusOK, now.Status, string(now.Raw))
		require.Equal(t, to, now.Body["state"], "%s by %s was not committed either", event, user)
		require.EqualValues(t, c.version+1, now.Body["version"], "%s by %s was not committed either", event, user)
		body = now.Body
	}
	require.Equal(t, c.code, body["code"], "%v", body)
	require.Equal(t, to, body["state"], "%s by %s in %s", event, user, c.state)
	require.EqualValues(t, c.version+1, body["version"], "%s must move the version up by exactly one", event)
	c.record(user, event, to)
	return body
}

// record notes a transition made other than through fire: one version up.
func (c *wfCase) record(user, event, to string) {
	c.steps = append(c.steps, wfStep{event: event, user: user, from: c.state, to: to})
	c.version++
	c.state = to
}

// get reads the case as user.
func (c *wfCase) get(t *testing.T, user string) response {
	t.Helper()
	return call(t, http.MethodGet, c.path(""), login(t, user), nil)
}

// requireSees requires user to read the case with the given access level.
func (c *wfCase) requireSees(t *testing.T, user, access string) map[string]any {
	t.Helper()
	r := c.get(t, user)
	require.Equal(t, http.StatusOK, r.Status, "%s must see %s in %s: %s", user, c.code, c.state, r.Raw)
	require.Equal(t, access, r.Body["access"], "%s's access in %s", user, c.state)
	require.Equal(t, c.state, r.Body["state"])
	require.EqualValues(t, c.version, r.Body["version"])
	return r.Body
}

// requireHidden requires user to get not_found for the case and its history,
// without any of its personal data.
func (c *wfCase) requireHidden(t *testing.T, user string) {
	t.Helper()
	for _, p := range []string{"", "/history"} {
		r := call(t, http.MethodGet, c.path(p), login(t, user), nil)
		require.Equal(t, http.StatusNotFound, r.Status, "%s must not see %s%s in %s: %s", user, c.code, p, c.state, r.Raw)
		code, _ := errorOf(t, r)
		require.Equal(t, "not_found", code)
		for _, v := range []string{c.child(), c.suspect(), c.reporter()} {
			require.NotContains(t, string(r.Raw), v)
		}
	}
}

// history reads the case's transitions as user. Clock warnings and breaches
// (events clock_*) are left out: they are not transitions.
func (c *wfCase) history(t *testing.T, user string) []wfHistoryRow {
	t.Helper()
	r := call(t, http.MethodGet, c.path("/history"), login(t, user), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	var out struct {
		History []wfHistoryRow `json:"history"`
	}
	require.NoError(t, json.Unmarshal(r.Raw, &out), string(r.Raw))
	rows := out.History[:0]
	for _, h := range out.History {
		if !strings.HasPrefix(h.Event, "clock_") {
			rows = append(rows, h)
		}
	}
	return rows
}

// requireHistory requires the history, as officer1 reads it, to be the
// intake followed by exactly the transitions fired through fire, in order,
// each one version up and signed by its actor.
func (c *wfCase) requireHistory(t *testing.T) []wfHistoryRow {
	t.Helper()
	rows := c.history(t, "officer1")
	require.Len(t, rows, 1+len(c.steps), "one history row per transition, after the intake")
	require.Equal(t, 1, rows[0].Version)
	require.Equal(t, "", rows[0].From)
	require.Equal(t, "received", rows[0].To)
	for i, s := range c.steps {
		h := rows[i+1]
		require.Equal(t, i+2, h.Version, "row %d", i+1)
		require.Equal(t, s.event, h.Event, "row %d", i+1)
		require.Equal(t, s.from, h.From, "row %d (%s)", i+1, s.event)
		require.Equal(t, s.to, h.To, "row %d (%s)", i+1, s.event)
		require.NotNil(t, h.Actor, "row %d (%s) has no actor", i+1, s.event)
		require.Equal(t, s.user, h.Actor.Username, "row %d (%s)", i+1, s.event)
		require.Equal(t, wfAgencyOf[s.user], h.Actor.AgencyCode, "row %d (%s)", i+1, s.event)
		require.Equal(t, wfNote, h.Note, "row %d (%s)", i+1, s.event)
		require.False(t, h.At.Before(rows[i].At), "row %d is older than the row before it", i+1)
	}
	return rows
}

// availableEventNames lists the names of a case answer's available_events.
func availableEventNames(body map[string]any) []string {
	var out []string
	evs, _ := body["available_events"].([]any)
	for _, e := range evs {
		out = append(out, e.(map[string]any)["name"].(string))
	}
	return out
}

// wfStage runs one stage of a path as a subtest. The path stops at the
// first stage that stops early, since every later stage builds on it; a
// stage that records a failure but completes lets the path go on.
func wfStage(t *testing.T, name string, f func(t *testing.T)) {
	t.Helper()
	completed := false
	t.Run(name, func(t *testing.T) {
		f(t)
		completed = true
	})
	if !completed {
		t.FailNow()
	}
}

// worklistHas reports whether user's worklist has the case for the reason.
func worklistHas(t *testing.T, user, code, reason string) bool {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/worklist", login(t, user), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	items, _ := r.Body["items"].([]any)
	for _, it := range items {
		m := it.(map[string]any)
		if m["code"] == code && m["reason"] == reason {
			return true
		}
	}
	return false
}

func TestWorkflowCriminalPath(t *testing.T) {
	c := newWFCase(t)

	wfStage(t, "PoliceDoNotSeeTheCaseBeforeTheReferral", func(t *testing.T) {
		c.requireHidden(t, "police1")
		require.False(t, worklistHas(t, "police1", c.code, "state"))
	})

	wfStage(t, "OfficerRecordsMeasuresAndRefers", func(t *testing.T) {
		c.fire(t, "officer1", "record_emergency_measures", "received", map[string]any{"measures": "Tách trẻ khỏi nơi nguy hiểm"})
		c.requireHidden(t, "police1")
		body := c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
		require.NotContains(t, availableEventNames(body), "refer_police")
		require.Contains(t, availableEventNames(body), "record_emergency_measures")
	})

	wfStage(t, "ReferredPoliceSeeEverything", func(t *testing.T) {
		body := c.requireSees(t, "police1", "full")
		require.Equal(t, c.body["narrative"], body["narrative"])
		require.Contains(t, string(mustJSON(t, body)), c.suspect())
		require.Contains(t, availableEventNames(body), "accept_referral")
		require.True(t, worklistHas(t, "police1", c.code, "state"), "the referred case is on the police's worklist")
		c.requireHidden(t, "health1")
		c.requireHidden(t, "prosecutor1")
		c.requireHidden(t, "court1")
	})

	wfStage(t, "PoliceResolveTheReport", func(t *testing.T) {
		c.fire(t, "police1", "accept_referral", "police", map[string]any{"intake_number": "TL-01/2026"})
		c.requireHidden(t, "prosecutor1")
		c.fire(t, "police1", "notify_procuracy", "police", map[string]any{"notified_on": "2026-11-29"})
		c.requireSees(t, "prosecutor1", "full") // the procuracy supervises the resolution from here on
		body := c.fire(t, "police1", "decide_prosecution", "investigation",
			map[string]any{"crime_category": "serious", "penal_code_article": "146"})
		require.Equal(t, "serious", body["crime_category"])
		c.fire(t, "police1", "record_exam_grounds", "investigation", map[string]any{"grounds": "Cần xác định dấu vết"})
		c.requireHidden(t, "health1")
		c.fire(t, "police1", "request_forensic_exam", "forensic_exam", map[string]any{"exam_kind": "sexual_abuse"})
	})

	wfStage(t, "ForensicCentreSeesTheChildButNotTheStory", func(t *testing.T) {
		r := c.get(t, "health1")
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "service", r.Body["access"])
		kids, _ := r.Body["children"].([]any)
		require.Len(t, kids, 1)
		require.Equal(t, c.child(), kids[0].(map[string]any)["full_name"])
		require.NotContains(t, r.Body, "narrative")
		require.NotContains(t, r.Body, "suspects")
		require.NotContains(t, r.Body, "reporter")
		for _, v := range []string{c.body["narrative"].(string), c.suspect(), c.reporter()} {
			require.NotContains(t, string(r.Raw), v)
		}
		require.Equal(t, []string{"conclude_forensic_exam"}, availableEventNames(r.Body))
	})

	wfStage(t, "ConcludingTheExamEndsTheForensicCentresAccess", func(t *testing.T) {
		c.fire(t, "health1", "conclude_forensic_exam", "investigation",
			map[string]any{"concluded_on": "2026-11-29", "conclusion": "Có dấu vết"})
		c.requireHidden(t, "health1")
		c.requireSees(t, "police1", "full")
	})

	wfStage(t, "ProcuracyReturnsTheFileOnce", func(t *testing.T) {
		c.fire(t, "police1", "hand_to_procuracy", "prosecution", map[string]any{"proposed_article": "146"})
		c.requireSees(t, "prosecutor1", "full")
		c.fire(t, "prosecutor1", "return_for_investigation", "investigation", map[string]any{"reason": "Bổ sung lời khai"})
		c.requireSees(t, "prosecutor1", "full")
		c.fire(t, "police1", "hand_to_procuracy", "prosecution", nil)
		c.requireHidden(t, "court1")
		c.fire(t, "prosecutor1", "indict", "trial", map[string]any{"charge_article": "146", "indicted_on": "2026-11-29"})
	})

	wfStage(t, "CourtTriesTheCase", func(t *testing.T) {
		c.requireSees(t, "court1", "full")
		c.fire(t, "court1", "accept_for_trial", "trial", map[string]any{"docket_number": "01/2026"})
		c.fire(t, "court1", "decide_to_try", "trial", map[string]any{"hearing_date": "2026-12-10"})
		c.fire(t, "court1", "hold_hearing", "trial", map[string]any{"held_on": "2026-12-10"})
		c.fire(t, "court1", "record_verdict", "support",
			map[string]any{"verdict": "convicted", "charge_upheld": true, "verdict_date": "2026-12-10"})
	})

	wfStage(t, "CommuneSupportsTheChildAndCloses", func(t *testing.T) {
		c.fire(t, "officer1", "draft_support_plan", "support", map[string]any{"plan": "Tư vấn tâm lý hằng tuần"})
		c.fire(t, "officer1", "approve_support_plan", "support", map[string]any{"approved_by": "Chủ tịch UBND xã"})
		c.fire(t, "officer1", "review_support_plan", "support", map[string]any{"review": "Trẻ ổn định"})
		body := c.fire(t, "officer1", "close_case", "closed", map[string]any{"outcome": "convicted"})
		require.Equal(t, "convicted", body["outcome"])
		require.Empty(t, availableEventNames(body))
	})

	wfStage(t, "HistoryHasOneRowPerTransitionInOrder", func(t *testing.T) {
		require.Equal(t, "closed", c.state)
		require.Len(t, c.steps, 20)
		require.Equal(t, 1+len(c.steps), c.version)
		rows := c.requireHistory(t)
		byEvent := map[string]wfHistoryRow{}
		for _, h := range rows {
			byEvent[h.Event] = h
		}
		require.Equal(t, "prosecute", byEvent["decide_prosecution"].Data["decision"])
		require.Equal(t, true, byEvent["decide_prosecution"].Data["crime_signs"])
		require.Equal(t, "convicted", byEvent["record_verdict"].Data["verdict"])
		require.Equal(t, true, byEvent["record_verdict"].Data["charge_upheld"])
		require.Equal(t, "Tư vấn tâm lý hằng tuần", byEvent["draft_support_plan"].Data["plan"])
	})

	wfStage(t, "ClosedCaseTakesNoEvent", func(t *testing.T) {
		r := c.send(t, "officer1", "draft_support_plan", c.version, map[string]any{"plan": "x"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		code, fields := errorOf(t, r)
		require.Equal(t, "invalid", code)
		require.Contains(t, fields, "event")
		require.Equal(t, "closed", c.requireSees(t, "officer1", "full")["state"])
	})
}

func TestWorkflowNoCrimeBranch(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "assess_risk", "received", map[string]any{"risk_level": "low", "crime_signs": false})
	c.fire(t, "officer1", "emergency_not_needed", "received", map[string]any{"reason": "Trẻ an toàn"})
	c.fire(t, "officer1", "route_to_support", "support", map[string]any{"reason": "Không có dấu hiệu tội phạm"})
	c.fire(t, "officer1", "draft_support_plan", "support", map[string]any{"plan": "Thăm nom định kỳ"})
	c.fire(t, "officer1", "approve_support_plan", "support", map[string]any{"approved_by": "Chủ tịch UBND xã"})
	c.fire(t, "officer1", "review_support_plan", "support", map[string]any{"review": "Tốt", "next_review_on": "2027-01-15"})
	body := c.fire(t, "officer1", "close_case", "closed", map[string]any{"outcome": "no_crime_support_only"})
	require.Equal(t, "no_crime_support_only", body["outcome"])

	rows := c.requireHistory(t)
	require.Equal(t, false, rows[3].Data["crime_signs"], "route_to_support records crime_signs false")
	c.requireHidden(t, "police1")
}

func TestWorkflowDeclinedProsecutionGoesToSupport(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": true})
	c.fire(t, "police1", "accept_referral", "police", nil)
	c.fire(t, "police1", "decline_prosecution", "support", map[string]any{"crime_signs": false, "reason": "Không đủ căn cứ"})
	c.fire(t, "police1", "inform_reporter", "support", map[string]any{"informed_on": "2026-11-29", "channel": "in_writing"})
	body := c.requireSees(t, "officer1", "full")
	require.Contains(t, availableEventNames(body), "draft_support_plan")
	c.requireSees(t, "police1", "full")

	rows := c.requireHistory(t)
	require.Equal(t, "decline", rows[3].Data["decision"])
	require.Equal(t, false, rows[3].Data["crime_signs"])
	require.Equal(t, "Không đủ căn cứ", rows[3].Data["reason"])
}

func TestWorkflowPoliceReturnTheReferral(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	c.requireSees(t, "police1", "full")

	wfStage(t, "ReturningEndsThePolicesAccess", func(t *testing.T) {
		c.fire(t, "police1", "return_referral", "received", map[string]any{"reason": "Không thuộc thẩm quyền"})
		c.requireHidden(t, "police1")
		require.False(t, worklistHas(t, "police1", c.code, "state"))
		r := c.send(t, "police1", "accept_referral", c.version, nil)
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	})

	wfStage(t, "HistoryIsKept", func(t *testing.T) {
		rows := c.requireHistory(t)
		require.Len(t, rows, 3)
		require.Equal(t, "police1", rows[2].Actor.Username)
		require.Equal(t, "Không thuộc thẩm quyền", rows[2].Data["reason"])
	})

	wfStage(t, "ReferringAgainGivesAccessBack", func(t *testing.T) {
		c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
		c.requireSees(t, "police1", "full")
		c.fire(t, "police1", "accept_referral", "police", nil)
		c.requireHistory(t)
	})
}

func TestWorkflowCourtReturnsTheFileToTheProcuracy(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	c.fire(t, "police1", "decide_prosecution", "investigation", map[string]any{"crime_category": "less_serious", "penal_code_article": "147"})
	c.fire(t, "police1", "skip_forensic_exam", "investigation", map[string]any{"reason": "Không cần"})
	c.fire(t, "police1", "hand_to_procuracy", "prosecution", nil)
	c.fire(t, "prosecutor1", "indict", "trial", map[string]any{"charge_article": "147", "indicted_on": "2026-11-29"})
	c.fire(t, "court1", "accept_for_trial", "trial", nil)
	c.requireSees(t, "court1", "full")

	wfStage(t, "ReturningEndsTheCourtsAccess", func(t *testing.T) {
		c.fire(t, "court1", "return_to_procuracy", "prosecution", map[string]any{"reason": "Thiếu chứng cứ"})
		c.requireHidden(t, "court1")
		require.False(t, worklistHas(t, "court1", c.code, "state"))
		c.requireSees(t, "prosecutor1", "full")
		c.requireSees(t, "police1", "full")
	})

	wfStage(t, "IndictingAgainGivesAccessBack", func(t *testing.T) {
		c.fire(t, "prosecutor1", "indict", "trial", map[string]any{"charge_article": "147", "indicted_on": "2026-12-01"})
		c.requireSees(t, "court1", "full")
		c.requireHistory(t)
	})
}

func TestPoliceSeeOnlyCasesReferredToTheirAgency(t *testing.T) {
	mine := newWFCase(t)
	other := fileWFCase(t, "officer2", forOtherCommune(report()))

	wfStage(t, "NotBeforeTheReferral", func(t *testing.T) {
		mine.requireHidden(t, "police1")
		r := mine.send(t, "police1", "accept_referral", mine.version, nil)
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
	})

	wfStage(t, "NotWhenReferredToAnotherPoliceAgency", func(t *testing.T) {
		// Phố Hiến's own commune police serve it too, as the officer may
		// choose instead of the provincial investigation police.
		other.fireTo(t, "officer2", "refer_police", "CAX-11953", "police", map[string]any{"remote_commune": false})
		require.Equal(t, "1", caseGrants(t, other.code, "CAX-11953"), "the chosen police have the case")
		require.Equal(t, "0", caseGrants(t, other.code, "CSDT-33"))
		other.requireHidden(t, "police1")
		r := other.send(t, "police1", "accept_referral", other.version, nil)
		require.Equal(t, http.StatusNotFound, r.Status, string(r.Raw))
		require.False(t, worklistHas(t, "police1", other.code, "state"))
		require.False(t, slices.Contains(listCodes(t, "police1"), other.code))
		other.requireHidden(t, "officer1")
	})

	wfStage(t, "NotToThePoliceOfAnotherCommune", func(t *testing.T) {
		r := mine.sendTo(t, "officer1", "refer_police", "CAX-11953", mine.version, map[string]any{"remote_commune": false})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		_, fields := errorOf(t, r)
		require.Contains(t, fields, "agency_code")
		require.Equal(t, "no_jurisdiction", r.Body["error"].(map[string]any)["field_codes"].(map[string]any)["agency_code"], string(r.Raw))
		require.Equal(t, "received", mine.requireSees(t, "officer1", "full")["state"])
	})

	wfStage(t, "YesOnceReferredToTheirAgency", func(t *testing.T) {
		mine.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
		mine.requireSees(t, "police1", "full")
		require.True(t, slices.Contains(listCodes(t, "police1"), mine.code))
		require.True(t, worklistHas(t, "police1", mine.code, "state"))
		other.requireHidden(t, "police1")
	})
}

// forOtherCommune moves an intake body to officer2's commune.
func forOtherCommune(body map[string]any) map[string]any {
	body["commune_code"] = communeOfficer2
	return body
}

// listCodes lists every case code user can list.
func listCodes(t *testing.T, user string) []string {
	t.Helper()
	var codes []string
	path := "/api/v1/cases?limit=200"
	for range 1000 {
		r := call(t, http.MethodGet, path, login(t, user), nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		cases, _ := r.Body["cases"].([]any)
		for _, c := range cases {
			codes = append(codes, c.(map[string]any)["code"].(string))
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			return codes
		}
		path = "/api/v1/cases?limit=200&cursor=" + next
	}
	t.Fatal("the case list does not end")
	return nil
}

func mustJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return b
}
