package server_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/casework"
	"caseflow/internal/limiter"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
)

// The due times below are written out by hand from the statutes, on the
// strict reading of Điều 134 (the default): a day limit ends at 24:00 of
// its last day, the day of the act not counted, with no move off a day off;
// a month limit ends on the same date, moved to the next working day.

var (
	v2Once sync.Once
	v2URL  string
)

// v2Server is a server that files new cases on the newest workflow version,
// shared by the tests of this file and open until the package's tests end.
func v2Server(t *testing.T) string {
	t.Helper()
	v2Once.Do(func() {
		rc, err := testenv.Redis()
		require.NoError(t, err)
		acc := &account.Service{Store: env.db.DB, Secret: []byte(strings.Repeat("s", 32)), Params: testenv.FastParams,
			Limiter: &limiter.Redis{Client: rc, Prefix: "test:v2:" + testenv.Suffix() + ":"}}
		srv := httptest.NewServer(server.New(server.Config{Accounts: acc, Workflows: env.flows,
			Cases: casework.New(casework.Config{Store: env.db.DB, Workflows: env.flows, WorkflowID: "child-abuse"})}))
		v2URL = srv.URL
	})
	require.NotEmpty(t, v2URL)
	return v2URL
}

// v2Case is a case on version 2, driven through the API.
type v2Case struct {
	t    *testing.T
	base string
	code string
}

// v2File files a report as user, received at the given time (RFC 3339).
func v2File(t *testing.T, base, user, receivedAt string, edit func(map[string]any)) *v2Case {
	t.Helper()
	body := report()
	body["received_at"] = receivedAt
	if edit != nil {
		edit(body)
	}
	r := callAt(t, base, http.MethodPost, "/api/v1/reports", login(t, user), body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	wf, _ := r.Body["workflow"].(map[string]any)
	require.EqualValues(t, 2, wf["version"], "new cases start on version 2: %s", r.Raw)
	return &v2Case{t: t, base: base, code: r.Body["code"].(string)}
}

func (c *v2Case) get(user string) map[string]any {
	c.t.Helper()
	r := callAt(c.t, c.base, http.MethodGet, "/api/v1/cases/"+c.code, login(c.t, user), nil)
	require.Equal(c.t, http.StatusOK, r.Status, string(r.Raw))
	return r.Body
}

// send fires an event as user, dated at (RFC 3339 or a date; "" for now).
func (c *v2Case) send(user, event, at string, data map[string]any) response {
	c.t.Helper()
	v := c.get(user)["version"]
	body := map[string]any{"event": event, "version": v, "data": data}
	if at != "" {
		body["occurred_at"] = at
		body["late_reason"] = "Nhập lại hồ sơ giấy (kiểm thử)"
	}
	return callAt(c.t, c.base, http.MethodPost, "/api/v1/cases/"+c.code+"/events", login(c.t, user), body)
}

func (c *v2Case) fire(user, event, at string, data map[string]any) map[string]any {
	c.t.Helper()
	r := c.send(user, event, at, data)
	require.Equal(c.t, http.StatusOK, r.Status, "%s as %s: %s", event, user, r.Raw)
	return r.Body
}

// clock returns the newest clock of the case with the given id.
func (c *v2Case) clock(user, id string) map[string]any {
	c.t.Helper()
	r := callAt(c.t, c.base, http.MethodGet, "/api/v1/cases/"+c.code+"/clocks", login(c.t, user), nil)
	require.Equal(c.t, http.StatusOK, r.Status, string(r.Raw))
	for _, k := range r.Body["clocks"].([]any) {
		if m := k.(map[string]any); m["clock"] == id {
			return m
		}
	}
	c.t.Fatalf("case %s has no clock %s: %s", c.code, id, r.Raw)
	return nil
}

func (c *v2Case) noClock(user, id string) {
	c.t.Helper()
	r := callAt(c.t, c.base, http.MethodGet, "/api/v1/cases/"+c.code+"/clocks", login(c.t, user), nil)
	require.Equal(c.t, http.StatusOK, r.Status, string(r.Raw))
	for _, k := range r.Body["clocks"].([]any) {
		require.NotEqual(c.t, id, k.(map[string]any)["clock"], "case %s should have no clock %s", c.code, id)
	}
}

func (c *v2Case) extend(user, clock string, body map[string]any) response {
	c.t.Helper()
	if _, ok := body["reason"]; !ok {
		body["reason"] = "Vụ việc phức tạp, cần xác minh thêm (kiểm thử)"
	}
	return callAt(c.t, c.base, http.MethodPost, "/api/v1/cases/"+c.code+"/clocks/"+clock+"/extensions", login(c.t, user), body)
}

func requireDue(t *testing.T, k map[string]any, due, status string) {
	t.Helper()
	require.Equal(t, due, k["due_at"], "%s due", k["clock"])
	if status != "" {
		require.Equal(t, status, k["status"], "%s status", k["clock"])
	}
}

// fieldError returns the code of a 422's error on field.
func fieldError(t *testing.T, r response, field string) map[string]any {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	e, _ := r.Body["error"].(map[string]any)
	codes, _ := e["field_codes"].(map[string]any)
	code, ok := codes[field].(string)
	require.True(t, ok, "no error on %s: %s", field, r.Raw)
	return map[string]any{"code": code}
}

// prosecutedByPolice files a report received by the police directly and
// prosecutes it as a serious crime.
func prosecuted(t *testing.T, base string) *v2Case {
	c := v2File(t, base, "police1", "2026-10-05T09:00:00+07:00", nil)
	c.fire("police1", "notify_procuracy", "2026-10-06T09:00:00+07:00", map[string]any{"notified_on": "2026-10-06"})
	c.fire("police1", "decide_prosecution", "2026-10-12T09:00:00+07:00",
		map[string]any{"crime_category": "serious", "penal_code_article": "142"})
	return c
}

func TestV2SupportPlanRunsBesideTheInvestigation(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "officer1", "2026-11-23T08:00:00+07:00", nil)
	// Monday 23/11/2026: five working days after it end on Monday 30/11 at 24:00.
	c.fire("officer1", "assess_risk", "2026-11-23T10:00:00+07:00", map[string]any{"risk_level": "high", "crime_signs": true})
	requireDue(t, c.clock("officer1", "support_plan_drafted"), "2026-12-01T00:00:00+07:00", "running")
	c.fire("officer1", "record_emergency_measures", "2026-11-23T11:00:00+07:00", map[string]any{"measures": "Đưa trẻ đến nhà người thân (hư cấu)"})
	c.fire("officer1", "refer_police", "2026-11-23T12:00:00+07:00", nil)
	c.fire("police1", "record_receipt", "2026-11-23T18:00:00+07:00", nil)
	body := c.fire("police1", "decide_prosecution", "2026-11-25T09:00:00+07:00",
		map[string]any{"crime_category": "very_serious", "penal_code_article": "142"})
	require.Equal(t, "investigation", body["state"])
	// The police owe the commune that referred the report the result.
	requireDue(t, c.clock("police1", "tell_child_protection"), "2026-11-29T00:00:00+07:00", "running")

	// While the police investigate, the plan is still due and the commune
	// officer may draft it.
	k := c.clock("officer1", "support_plan_drafted")
	requireDue(t, k, "2026-12-01T00:00:00+07:00", "running")
	officerSees := availableEventNames(c.get("officer1"))
	require.Contains(t, officerSees, "draft_support_plan")
	require.NotContains(t, officerSees, "approve_support_plan", "approval comes after a draft")
	require.NotContains(t, officerSees, "assess_risk", "the assessment is recorded once")
	c.fire("officer1", "draft_support_plan", "2026-11-27T09:00:00+07:00", map[string]any{"plan": "Tư vấn tâm lý hằng tuần (hư cấu)"})
	k = c.clock("officer1", "support_plan_drafted")
	require.Equal(t, "stopped", k["status"])
	require.Equal(t, "2026-11-27T09:00:00+07:00", k["stopped_at"], "stopped when the plan was drafted, not when it was typed")
	// Approval: two working days after Friday 27/11 end on Tuesday 1/12 at 24:00.
	requireDue(t, c.clock("officer1", "support_plan_approved"), "2026-12-02T00:00:00+07:00", "running")
	require.Equal(t, "investigation", c.get("officer1")["state"], "the support track does not move the criminal case")
	// The commune's worklist shows the case it must act on while the police hold it.
	r := callAt(t, base, http.MethodGet, "/api/v1/worklist", login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.True(t, slices.ContainsFunc(r.Body["items"].([]any), func(it any) bool {
		m := it.(map[string]any)
		return m["code"] == c.code && m["reason"] == "clock"
	}), "the commune's worklist lists %s for its plan: %s", c.code, r.Raw)
	// The emergency clock ran from the report (the child was in danger) and
	// was met by the measures.
	require.Equal(t, "stopped", c.clock("officer1", "emergency_measures")["status"])
	requireDue(t, c.clock("officer1", "police_receipt"), "2026-11-24T00:00:00+07:00", "stopped")
}

func TestV2ReportReceivedByThePolice(t *testing.T) {
	base := v2Server(t)
	// Monday 16/11/2026: 20 days end on Sunday 6/12 at 24:00 (strict).
	c := v2File(t, base, "police1", "2026-11-16T09:00:00+07:00", func(b map[string]any) { b["immediate_danger"] = false })
	body := c.get("police1")
	require.Equal(t, "police", body["state"])
	require.Equal(t, "full", body["access"])
	names := availableEventNames(body)
	require.Contains(t, names, "decide_prosecution")
	require.NotContains(t, names, "record_receipt", "the police's own receipt is the intake")
	require.NotContains(t, names, "resume_resolution", "nothing is suspended")
	require.Less(t, slices.Index(names, "notify_procuracy"), slices.Index(names, "decide_prosecution"), "offered in the order of the procedure")
	requireDue(t, c.clock("police1", "resolve_report"), "2026-12-07T00:00:00+07:00", "running")
	require.Equal(t, "2026-11-16T09:00:00+07:00", c.clock("police1", "resolve_report")["started_at"], "from the police's receipt")
	requireDue(t, c.clock("police1", "procuracy_notice"), "2026-11-20T00:00:00+07:00", "running")
	c.noClock("police1", "emergency_measures") // not in danger: the assessment decides
	// The commune's child protection has the case for the support track.
	officer := c.get("officer1")
	require.Equal(t, "full", officer["access"])
	require.Contains(t, availableEventNames(officer), "assess_risk")
	// A commune officer may not record the police's steps, and the police
	// may not file for a commune they do not serve.
	r := c.send("officer1", "decide_prosecution", "", map[string]any{"crime_category": "serious", "penal_code_article": "142"})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	// The police received it: it counts in the intake figure as received.
	q := url.Values{"unit": {communeOfficer1}, "from": {"2026-11-16"}, "to": {"2026-11-16"}, "limit": {"1000"}}
	found := 0
	for {
		r := callAt(t, base, http.MethodGet, "/api/v1/compliance/intake/cases?"+q.Encode(), login(t, "officer1"), nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, it := range r.Body["cases"].([]any) {
			if m := it.(map[string]any); m["code"] == c.code {
				found++
				require.Equal(t, true, m["in_numerator"])
				require.Equal(t, "CSDT-33", m["agency_code"])
			}
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	require.Equal(t, 1, found, "a report the police received counts once in the intake figure")
	// A high-risk assessment of a report not flagged urgent starts the 12 hours.
	c.fire("officer1", "assess_risk", "2026-11-17T08:00:00+07:00", map[string]any{"risk_level": "high"})
	requireDue(t, c.clock("officer1", "emergency_measures_after_assessment"), "2026-11-17T20:00:00+07:00", "running")
}

func TestV2ReportReceivedByTheProcuracy(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "prosecutor1", "2026-11-16T09:00:00+07:00", nil)
	require.Equal(t, "police", c.get("police1")["state"])
	require.Equal(t, "full", c.get("police1")["access"], "the report goes to the investigation agency")
	requireDue(t, c.clock("prosecutor1", "procuracy_forwarding"), "2026-11-17T09:00:00+07:00", "running")
	c.noClock("police1", "resolve_report")
	c.fire("police1", "record_receipt", "2026-11-16T16:00:00+07:00", nil)
	require.Equal(t, "stopped", c.clock("police1", "procuracy_forwarding")["status"])
	// The 20 days run from the investigation agency's receipt: Sunday 6/12.
	k := c.clock("police1", "resolve_report")
	requireDue(t, k, "2026-12-07T00:00:00+07:00", "running")
	require.Equal(t, "2026-11-16T16:00:00+07:00", k["started_at"])
}

func TestV2ResolutionExtensions(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "police1", "2026-11-16T09:00:00+07:00", nil)
	c.fire("police1", "notify_procuracy", "2026-11-17T09:00:00+07:00", map[string]any{"notified_on": "2026-11-17"})

	// The procuracy may not extend before the investigation agency's
	// prolongation.
	fe := fieldError(t, c.extend("prosecutor1", "resolve_report", map[string]any{"duration": "2 months"}), "step")
	require.Equal(t, "not_yet", fe["code"])

	// More than 2 months in all is beyond the head of the agency's power.
	fe = fieldError(t, c.extend("police1", "resolve_report", map[string]any{"total": "3 months"}), "total")
	require.Equal(t, "beyond_legal_maximum", fe["code"])

	// The prolongation is a total: 2 months from 16/11/2026 end on
	// Saturday 16/1/2027, moved to Monday 18/1/2027, at 24:00.
	r := c.extend("police1", "resolve_report", map[string]any{"total": "2 months", "decision": "12/QĐ-CSĐT"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	requireDue(t, r.Body, "2027-01-19T00:00:00+07:00", "running")
	ext := r.Body["extensions"].([]any)[0].(map[string]any)
	require.Equal(t, "prolongation", ext["step"])
	require.Equal(t, "2 months", ext["total"])
	require.Contains(t, ext["granted_by"], "Thủ trưởng")
	require.Contains(t, ext["legal_basis"], "Điều 147.2", "the step's basis by default")

	// A second prolongation is refused, naming the limit.
	fe = fieldError(t, c.extend("police1", "resolve_report", map[string]any{"total": "2 months"}), "step")
	require.Equal(t, "limit_reached", fe["code"])

	// The procuracy may add at most 2 months, once.
	fe = fieldError(t, c.extend("prosecutor1", "resolve_report", map[string]any{"duration": "3 months"}), "duration")
	require.Equal(t, "beyond_legal_maximum", fe["code"])
	r = c.extend("prosecutor1", "resolve_report", map[string]any{"duration": "2 months", "decision": "05/QĐ-VKS"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	// 4 months from 16/11/2026: Tuesday 16/3/2027 at 24:00.
	requireDue(t, r.Body, "2027-03-17T00:00:00+07:00", "running")
	require.Equal(t, "procuracy_extension", r.Body["extensions"].([]any)[1].(map[string]any)["step"])

	r = c.extend("prosecutor1", "resolve_report", map[string]any{"duration": "1 month"})
	fe = fieldError(t, r, "step")
	require.Equal(t, "limit_reached", fe["code"])
	e, _ := r.Body["error"].(map[string]any)
	require.Contains(t, e["message"], "Điều 147.3", "the refusal names the limit: %s", r.Raw)
	requireDue(t, c.clock("police1", "resolve_report"), "2027-03-17T00:00:00+07:00", "running")
}

func TestV2SuspensionAndResumption(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "police1", "2026-11-16T09:00:00+07:00", nil)
	require.NotContains(t, availableEventNames(c.get("police1")), "resume_resolution")
	body := c.fire("police1", "suspend_resolution", "2026-11-20T10:00:00+07:00",
		map[string]any{"ground": "exam_pending", "reason": "Chờ kết luận giám định (hư cấu)"})
	require.Equal(t, "resolution_suspended", body["state"])
	names := availableEventNames(body)
	require.Contains(t, names, "resume_resolution")
	require.NotContains(t, names, "decide_prosecution", "a suspended report is resumed before it is decided")

	k := c.clock("police1", "resolve_report")
	require.Equal(t, "stopped", k["status"])
	// The suspension goes to the procuracy and the reporter within 24 hours.
	requireDue(t, c.clock("police1", "suspension_to_procuracy"), "2026-11-21T10:00:00+07:00", "running")
	requireDue(t, c.clock("police1", "suspension_to_reporter"), "2026-11-21T10:00:00+07:00", "running")
	// Sending another decision does not stop the suspension's clock.
	c.fire("police1", "send_decision_to_procuracy", "2026-11-20T11:00:00+07:00", map[string]any{"sent_on": "2026-11-20", "decision": "resumption"})
	require.Equal(t, "running", c.clock("police1", "suspension_to_procuracy")["status"], "the clock of the decision that was sent stops")
	c.fire("police1", "send_decision_to_procuracy", "2026-11-21T08:00:00+07:00", map[string]any{"sent_on": "2026-11-21", "decision": "suspension"})
	require.Equal(t, "stopped", c.clock("police1", "suspension_to_procuracy")["status"])
	require.Equal(t, "running", c.clock("police1", "suspension_to_reporter")["status"], "the reporter is still owed the decision")

	// Resumption: one month from Wednesday 25/11/2026 ends on Friday
	// 25/12/2026 at 24:00; its decision goes out within 3 days (Saturday
	// 28/11 at 24:00, strict).
	body = c.fire("police1", "resume_resolution", "2026-11-25T09:00:00+07:00", map[string]any{"reason": "Đã có kết luận giám định (hư cấu)"})
	require.Equal(t, "police", body["state"])
	requireDue(t, c.clock("police1", "resolve_after_resumption"), "2026-12-26T00:00:00+07:00", "running")
	requireDue(t, c.clock("police1", "resumption_to_procuracy"), "2026-11-29T00:00:00+07:00", "running")
	requireDue(t, c.clock("police1", "resumption_to_reporter"), "2026-11-29T00:00:00+07:00", "running")
	c.fire("police1", "decline_prosecution", "2026-11-30T09:00:00+07:00",
		map[string]any{"crime_signs": false, "ground": "not_a_crime", "reason": "Không cấu thành tội phạm (hư cấu)"})
	require.Equal(t, "stopped", c.clock("police1", "resolve_after_resumption")["status"])
}

func TestV2CourtReturnGetsFifteenDays(t *testing.T) {
	base := v2Server(t)
	c := prosecuted(t, base)
	c.fire("police1", "hand_to_procuracy", "2026-10-20T09:00:00+07:00", nil)
	c.fire("prosecutor1", "indict", "2026-10-26T09:00:00+07:00", map[string]any{"charge_article": "142", "indicted_on": "2026-10-26"})
	c.fire("court1", "accept_for_trial", "2026-10-27T09:00:00+07:00", nil)
	// Serious crime: 45 days from 27/10/2026 end on Friday 11/12/2026 at 24:00.
	requireDue(t, c.clock("court1", "trial_preparation"), "2026-12-12T00:00:00+07:00", "running")
	// Presiding judge within 3 days: Friday 30/10 at 24:00.
	requireDue(t, c.clock("court1", "judge_assignment"), "2026-10-31T00:00:00+07:00", "running")
	c.fire("court1", "return_to_procuracy", "2026-11-02T09:00:00+07:00",
		map[string]any{"returned_by": "presiding_judge", "reason": "Cần giám định bổ sung (hư cấu)"})
	c.fire("prosecutor1", "return_for_investigation", "2026-11-03T09:00:00+07:00",
		map[string]any{"returned_for": "court_request", "what_to_investigate": "Giám định bổ sung (hư cấu)"})
	// Supplementary investigation at the court's request: one month from
	// 3/11/2026, Thursday 3/12/2026 at 24:00.
	requireDue(t, c.clock("police1", "supplementary_investigation_court"), "2026-12-04T00:00:00+07:00", "running")
	c.noClock("police1", "supplementary_investigation")
	c.fire("police1", "hand_to_procuracy", "2026-11-16T09:00:00+07:00", nil)
	c.fire("prosecutor1", "indict", "2026-11-18T09:00:00+07:00", map[string]any{"charge_article": "142", "indicted_on": "2026-11-18"})
	c.fire("court1", "accept_for_trial", "2026-11-19T09:00:00+07:00", nil)
	// Re-submitted: 15 days from Thursday 19/11/2026, Friday 4/12 at 24:00,
	// not a new 45 days.
	requireDue(t, c.clock("court1", "trial_re_preparation"), "2026-12-05T00:00:00+07:00", "running")
	r := callAt(t, base, http.MethodGet, "/api/v1/cases/"+c.code+"/clocks", login(t, "court1"), nil)
	running := 0
	for _, k := range r.Body["clocks"].([]any) {
		if m := k.(map[string]any); m["clock"] == "trial_preparation" && m["status"] == "running" {
			running++
		}
	}
	require.Zero(t, running, "no full preparation limit after a return")
	// The presiding judge may return the file once and the panel once.
	c.fire("court1", "return_to_procuracy", "2026-11-20T09:00:00+07:00", map[string]any{"returned_by": "trial_panel", "reason": "x"})
	c.fire("prosecutor1", "indict", "2026-11-21T09:00:00+07:00", map[string]any{"charge_article": "142", "indicted_on": "2026-11-21"})
	c.fire("court1", "accept_for_trial", "2026-11-22T09:00:00+07:00", nil)
	r = c.send("court1", "return_to_procuracy", "", map[string]any{"returned_by": "trial_panel", "reason": "x"})
	fe := fieldError(t, r, "event")
	require.Equal(t, "already_done", fe["code"])
}

func TestV2ExamDuringReportResolution(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "police1", "2026-11-16T09:00:00+07:00", nil)
	body := c.fire("police1", "request_forensic_exam", "2026-11-16T11:00:00+07:00", map[string]any{"exam_kind": "sexual_abuse"})
	require.Equal(t, "police", body["state"], "the exam runs beside the resolution")
	k := c.clock("police1", "exam_delivery")
	requireDue(t, k, "2026-11-17T11:00:00+07:00", "running")
	require.Equal(t, "sexual_abuse", k["instance"])
	c.fire("police1", "deliver_exam_file", "2026-11-16T15:00:00+07:00", map[string]any{"exam_kind": "sexual_abuse"})
	// From the examiner's receipt: 9 days from 16/11, Wednesday 25/11 at 24:00.
	requireDue(t, c.clock("health1", "forensic_conclusion_sexual_abuse"), "2026-11-26T00:00:00+07:00", "running")
	c.noClock("health1", "forensic_conclusion_sexual_abuse_5d")
	// A second exam, of another kind, at the same time.
	c.fire("police1", "request_forensic_exam", "2026-11-17T09:00:00+07:00", map[string]any{"exam_kind": "mental_health_damage"})
	c.fire("police1", "deliver_exam_file", "2026-11-17T10:00:00+07:00", map[string]any{"exam_kind": "mental_health_damage"})
	r := callAt(t, base, http.MethodGet, "/api/v1/worklist", login(t, "health1"), nil)
	require.True(t, strings.Contains(string(r.Raw), c.code), "the forensic centre's worklist lists the case: %s", r.Raw)
	c.fire("health1", "conclude_forensic_exam", "2026-11-20T09:00:00+07:00",
		map[string]any{"exam_kind": "sexual_abuse", "concluded_on": "2026-11-20", "conclusion": "Có dấu hiệu (hư cấu)"})
	require.Equal(t, "stopped", c.clock("health1", "forensic_conclusion_sexual_abuse")["status"])
	// The centre keeps the case while the second exam is pending.
	require.Equal(t, "running", c.clock("health1", "forensic_conclusion")["status"])
	require.Equal(t, "police", c.get("health1")["state"])
}

func TestV2EventDatesAndGuards(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "officer1", "2026-11-20T08:00:00+07:00", nil)
	// Future act dates are refused, and so is a date before the previous step.
	r := c.send("officer1", "assess_risk", "2099-01-01T00:00:00+07:00", map[string]any{"risk_level": "low"})
	require.Equal(t, "in_future", fieldError(t, r, "occurred_at")["code"])
	r = c.send("officer1", "assess_risk", "2026-11-19T08:00:00+07:00", map[string]any{"risk_level": "low"})
	require.Equal(t, "before_previous", fieldError(t, r, "occurred_at")["code"])
	// Dated long ago without a reason.
	v := c.get("officer1")["version"]
	r = callAt(t, base, http.MethodPost, "/api/v1/cases/"+c.code+"/events", login(t, "officer1"),
		map[string]any{"event": "assess_risk", "version": v, "data": map[string]any{"risk_level": "low"}, "occurred_at": "2026-11-25T09:00:00+07:00"})
	require.Equal(t, "late_without_reason", fieldError(t, r, "occurred_at")["code"])
	c.fire("officer1", "assess_risk", "2026-11-25T09:00:00+07:00", map[string]any{"risk_level": "low"})
	// Recorded once.
	r = c.send("officer1", "assess_risk", "", map[string]any{"risk_level": "low"})
	require.Equal(t, "already_done", fieldError(t, r, "event")["code"])
	// A verdict date in the future is refused like any past-only date.
	c.fire("officer1", "refer_police", "", nil)
	r = c.send("police1", "notify_procuracy", "", map[string]any{"notified_on": "2099-01-01"})
	require.Equal(t, "not_yet", fieldError(t, r, "event")["code"], "notify comes after the receipt")
	c.fire("police1", "record_receipt", "", nil)
	r = c.send("police1", "notify_procuracy", "", map[string]any{"notified_on": "2099-01-01"})
	require.Equal(t, "in_future", fieldError(t, r, "data.notified_on")["code"])
	// The history keeps when it happened and when it was recorded.
	h := callAt(t, base, http.MethodGet, "/api/v1/cases/"+c.code+"/history", login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, h.Status, string(h.Raw))
	found := false
	for _, e := range h.Body["history"].([]any) {
		m := e.(map[string]any)
		if m["event"] == "assess_risk" {
			found = true
			require.Equal(t, "2026-11-25T09:00:00+07:00", m["at"])
			require.Equal(t, true, m["late_entry"])
			require.NotEqual(t, m["at"], m["recorded_at"])
			require.NotEmpty(t, m["late_reason"])
		}
	}
	require.True(t, found, fmt.Sprintf("no assess_risk in %s", h.Raw))
}

// TestV2SuspensionIsNotAResolution: a report suspended before its 20 days
// ran out counts in the resolution figure as not resolved, and its
// resumption is a report to resolve again.
func TestV2SuspensionIsNotAResolution(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "police1", "2026-10-01T09:00:00+07:00", nil)
	c.fire("police1", "suspend_resolution", "2026-10-10T09:00:00+07:00",
		map[string]any{"ground": "documents_pending", "reason": "Chờ tài liệu (hư cấu)"})
	c.fire("police1", "resume_resolution", "2026-10-20T09:00:00+07:00", map[string]any{"reason": "Đã có tài liệu (hư cấu)"})
	c.fire("police1", "decide_prosecution", "2026-11-05T09:00:00+07:00", map[string]any{"crime_category": "serious", "penal_code_article": "146"})

	rows := func(from, to string) []map[string]any {
		q := url.Values{"unit": {communeOfficer1}, "from": {from}, "to": {to}, "limit": {"1000"}}
		var out []map[string]any
		for {
			r := callAt(t, base, http.MethodGet, "/api/v1/compliance/resolution/cases?"+q.Encode(), login(t, "officer1"), nil)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
			for _, it := range r.Body["cases"].([]any) {
				if m := it.(map[string]any); m["code"] == c.code {
					out = append(out, m)
				}
			}
			next, _ := r.Body["next_cursor"].(string)
			if next == "" {
				return out
			}
			q.Set("cursor", next)
		}
	}
	// Due on 21/10 (20 days from 1/10): suspended on 10/10, not resolved.
	first := rows("2026-10-01", "2026-10-31")
	require.Len(t, first, 1)
	require.Equal(t, "resolve_report", first[0]["clock"])
	require.Equal(t, false, first[0]["in_numerator"], "a suspension is not a resolution")
	// Resumed on 20/10: due on 20/11, resolved on 5/11.
	again := rows("2026-11-01", "2026-11-30")
	require.Len(t, again, 1)
	require.Equal(t, "resolve_after_resumption", again[0]["clock"])
	require.Equal(t, true, again[0]["in_numerator"], "the resumed report counts again, resolved")
}

// TestV2ChargesPerAccused: the verdict says, per accused person, whether the
// court upheld the charge; correct charge counts each of them.
func TestV2ChargesPerAccused(t *testing.T) {
	base := v2Server(t)
	c := prosecuted(t, base)
	c.fire("police1", "hand_to_procuracy", "2026-10-20T09:00:00+07:00", nil)
	c.fire("prosecutor1", "indict", "2026-10-26T09:00:00+07:00", map[string]any{"charge_article": "142", "indicted_on": "2026-10-26",
		"charges": []map[string]any{{"suspect": 1, "article": "142"}, {"suspect": 2, "article": "146"}}})
	c.fire("court1", "accept_for_trial", "2026-10-27T09:00:00+07:00", nil)
	c.fire("court1", "decide_to_try", "2026-11-10T09:00:00+07:00", nil)
	r := c.send("court1", "record_verdict", "2026-11-20T09:00:00+07:00", map[string]any{"verdict": "convicted", "charge_upheld": false,
		"verdict_date": "2026-11-20", "charges": []map[string]any{{"suspect": 1, "article": "142", "upheld": true}, {"suspect": 1, "article": "142"}}})
	require.Equal(t, "duplicate", fieldError(t, r, "data.charges")["code"], "one charge of one accused once")
	c.fire("court1", "record_verdict", "2026-11-20T09:00:00+07:00", map[string]any{"verdict": "convicted", "charge_upheld": false,
		"verdict_date": "2026-11-20", "charges": []map[string]any{{"suspect": 1, "article": "142", "upheld": true}, {"suspect": 2, "article": "146", "upheld": false}}})

	q := url.Values{"unit": {communeOfficer1}, "from": {"2026-11-20"}, "to": {"2026-11-20"}, "limit": {"1000"}}
	var mine []map[string]any
	for {
		r := callAt(t, base, http.MethodGet, "/api/v1/compliance/correct_charge/cases?"+q.Encode(), login(t, "officer1"), nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, it := range r.Body["cases"].([]any) {
			if m := it.(map[string]any); m["code"] == c.code {
				mine = append(mine, m)
			}
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			break
		}
		q.Set("cursor", next)
	}
	require.Len(t, mine, 2, "one item per accused and charge")
	upheld := 0
	for _, m := range mine {
		if m["in_numerator"] == true {
			upheld++
		}
	}
	require.Equal(t, 1, upheld)
}

// TestV2BadInputIsRefusedByField: hostile values of the new inputs answer
// 422 naming the field, and change nothing.
func TestV2BadInputIsRefusedByField(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "police1", "2026-11-16T09:00:00+07:00", nil)
	version := c.get("police1")["version"]
	before := wfStored(t, c.code)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"event": "notify_procuracy", "version": version, "data": map[string]any{"notified_on": "2026-11-17"}, "occurred_at": "yesterday"}, "occurred_at"},
		{map[string]any{"event": "notify_procuracy", "version": version, "data": map[string]any{"notified_on": "2026-11-17"}, "occurred_at": "2026-13-40"}, "occurred_at"},
		{map[string]any{"event": "notify_procuracy", "version": version, "data": map[string]any{"notified_on": "2026-11-17"},
			"occurred_at": "2026-11-17T09:00:00+07:00", "late_reason": strings.Repeat("x", 9000)}, "late_reason"},
	} {
		r := callAt(t, base, http.MethodPost, "/api/v1/cases/"+c.code+"/events", login(t, "police1"), tc.body)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		fieldError(t, r, tc.field)
	}
	r := callAt(t, base, http.MethodPost, "/api/v1/cases/"+c.code+"/events", login(t, "police1"),
		map[string]any{"event": "notify_procuracy", "version": version, "data": map[string]any{"notified_on": "2026-11-17"}, "occurred_at": 12})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, "a number where a time is expected: %s", r.Raw)
	for _, tc := range []struct {
		body  map[string]any
		field string
	}{
		{map[string]any{"total": "-1 months", "reason": "x"}, "total"},
		{map[string]any{"total": "2 months", "duration": "1 month", "reason": "x"}, "total"},
		{map[string]any{"total": "2 months", "step": "nope", "reason": "x"}, "step"},
		{map[string]any{"total": "2 months", "requested_on": "2099-01-01", "reason": "x"}, "requested_on"},
		{map[string]any{"total": "2 months", "requested_on": "01/12/2026", "reason": "x"}, "requested_on"},
		{map[string]any{"total": "2 months", "decision": "12\n34", "reason": "x"}, "decision"},
	} {
		r := c.extend("police1", "resolve_report", tc.body)
		fieldError(t, r, tc.field)
	}
	require.Equal(t, before, wfStored(t, c.code), "nothing was written")
	require.Equal(t, "running", c.clock("police1", "resolve_report")["status"])
	require.Empty(t, c.clock("police1", "resolve_report")["extensions"])
}
