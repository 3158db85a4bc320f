package server_test

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// drillDown returns the rows of an indicator's drill-down that belong to the
// case, reading every page.
func drillDown(t *testing.T, token, indicator string, q url.Values, code string) []map[string]any {
	t.Helper()
	var rows []map[string]any
	cursor := ""
	for {
		qq := url.Values{}
		for k, v := range q {
			qq[k] = v
		}
		qq.Set("limit", "1000")
		if cursor != "" {
			qq.Set("cursor", cursor)
		}
		r := call(t, http.MethodGet, "/api/v1/compliance/"+indicator+"/cases?"+qq.Encode(), token, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, it := range r.Body["cases"].([]any) {
			if m := it.(map[string]any); m["code"] == code {
				rows = append(rows, m)
			}
		}
		next, _ := r.Body["next_cursor"].(string)
		if next == "" {
			return rows
		}
		cursor = next
	}
}

// TestALateStopIsOneBreach files a report three days after it was received
// and records the emergency measures at once. No worker runs in these tests,
// so no timer ever fires: the breach is recorded by the stopping
// transaction itself, once, and counted once everywhere.
func TestALateStopIsOneBreach(t *testing.T) {
	officer := login(t, "officer1")
	received := time.Now().Add(-72 * time.Hour).In(caseflow.Zone).Truncate(time.Minute)
	body := report()
	body["received_at"] = received.Format(time.RFC3339)
	code := mustFile(t, officer, body)
	c := call(t, http.MethodGet, "/api/v1/cases/"+code, officer, nil)
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	r := call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", officer, map[string]any{"event": "record_emergency_measures",
		"version": c.Body["version"], "data": map[string]any{"measures": "Trẻ ở với bà (hư cấu)"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))

	k := clockNamed(t, officer, code, "emergency_measures")
	require.Equal(t, "breached", k["status"], "stopped after its due time: a breach")
	require.NotNil(t, k["stopped_at"], "and when it was finally met")
	h := call(t, http.MethodGet, "/api/v1/cases/"+code+"/history", officer, nil)
	breaches := 0
	for _, e := range h.Body["history"].([]any) {
		if m := e.(map[string]any); m["event"] == "clock_breached" {
			breaches++
			require.Equal(t, "record_emergency_measures", m["data"].(map[string]any)["stopped_late_by"])
		}
	}
	require.Equal(t, 1, breaches, "one breach in the history: %s", h.Raw)

	// A second late step on the case marks nothing again.
	c = call(t, http.MethodGet, "/api/v1/cases/"+code, officer, nil)
	r = call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", officer, map[string]any{"event": "record_emergency_measures",
		"version": c.Body["version"], "data": map[string]any{"measures": "Thêm biện pháp (hư cấu)"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))

	day := received.Format("2006-01-02")
	q := url.Values{"unit": {communeOfficer1}, "from": {day}, "to": {time.Now().In(caseflow.Zone).Format("2006-01-02")}}
	rows := drillDown(t, officer, "breaches", q, code)
	require.Len(t, rows, 1, "counted once among the breaches")
	require.Equal(t, "emergency_measures", rows[0]["clock"])
	require.Equal(t, "CP-12004", rows[0]["agency_code"], "the drill-down says who")
	late, _ := rows[0]["late_seconds"].(float64)
	require.InDelta(t, float64(60*3600), late, 120, "about 60 hours late: received 72 hours ago, 12 hours to act")
	rows = drillDown(t, officer, "emergency_response", q, code)
	require.Len(t, rows, 1)
	require.Equal(t, false, rows[0]["in_numerator"], "not a response within 12 hours")
	require.Equal(t, true, rows[0]["in_denominator"])

	// The supervisors heard of it.
	sup := login(t, "supervisor1")
	n := call(t, http.MethodGet, "/api/v1/notifications", sup, nil)
	require.Equal(t, http.StatusOK, n.Status, string(n.Raw))
	found := 0
	for _, it := range n.Body["notifications"].([]any) {
		if m := it.(map[string]any); m["case_code"] == code && m["kind"] == "breach" {
			found++
		}
	}
	require.Equal(t, 1, found, "one breach notification for the supervisors")
}

func clockNamed(t *testing.T, token, code, id string) map[string]any {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/cases/"+code+"/clocks", token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	for _, k := range r.Body["clocks"].([]any) {
		if m := k.(map[string]any); m["clock"] == id {
			return m
		}
	}
	t.Fatalf("no clock %s on %s: %s", id, code, r.Raw)
	return nil
}

// TestClocksAnswerToTheAgencyThatHoldsTheCase refers a report to the
// provincial police (not the investigation agency the jurisdiction table
// names first): the police's clocks, and the figures built on them, are
// theirs.
func TestClocksAnswerToTheAgencyThatHoldsTheCase(t *testing.T) {
	officer := login(t, "officer1")
	code := mustFile(t, officer, report())
	c := call(t, http.MethodGet, "/api/v1/cases/"+code, officer, nil)
	r := call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", officer, map[string]any{"event": "refer_police",
		"version": c.Body["version"], "data": map[string]any{"remote_commune": false}, "agency_code": "CA-33"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, "CA-33", clockNamed(t, officer, code, "transfer_to_police")["agency_code"])
	require.Equal(t, "CP-12004", clockNamed(t, officer, code, "emergency_measures")["agency_code"], "the filer's own clock")
}
