package server_test

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// Hostile input, one class at a time: each answers 400, 404 or 422 naming
// the field, and the database is as it was.

// stored counts the rows of the tables a write would touch.
func stored(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, table := range []string{"cases", "case_people", "case_history", "case_clocks", "case_access", "referrals",
		"holidays", "users", "idempotency_keys", "outbox", "notifications", "case_name_index", "jurisdiction"} {
		out[table] = countRows(t, table)
	}
	return out
}

// rawJSON is a report body as JSON text, with edit applied to the text.
func rawJSON(t *testing.T, body any, edit func(string) string) string {
	t.Helper()
	raw, err := json.Marshal(body)
	require.NoError(t, err)
	return edit(string(raw))
}

func TestHostileInputIsRefusedAndChangesNothing(t *testing.T) {
	officer, admin := login(t, "officer1"), login(t, "admin1")
	code := mustFile(t, officer, report())
	version := call(t, http.MethodGet, "/api/v1/cases/"+code, officer, nil).Body["version"]
	event := func(extra string) string {
		return `{"event": "record_emergency_measures", "version": ` + jsonText(version) + `, "data": {"measures": "Đưa trẻ đến nơi an toàn"}` + extra + `}`
	}
	child := func(edit func(map[string]any)) map[string]any {
		b := report()
		edit(firstChild(b))
		return b
	}
	swap := func(from, to string) func(string) string {
		return func(s string) string { return strings.Replace(s, from, to, 1) }
	}

	for _, tc := range []struct {
		name, method, path, token string
		body                      any
		headers                   []string
		status                    int
		field, code               string // the field named and its code ("" when the body is malformed)
	}{
		{"NUL in a child's name", http.MethodPost, "/api/v1/reports", officer,
			child(func(c map[string]any) { c["full_name"] = "Bé\x00" }), nil, 422, "children[0].full_name", string(caseflow.FieldNotText)},
		{"invalid UTF-8 in a child's name", http.MethodPost, "/api/v1/reports", officer,
			rawJSON(t, child(func(c map[string]any) { c["full_name"] = "Bé MARK" }), swap("MARK", "\xff\xfe")), nil, 422, "children[0].full_name", string(caseflow.FieldNotText)},
		{"invalid UTF-8 in the idempotency key", http.MethodPost, "/api/v1/reports", officer, report(),
			[]string{"Idempotency-Key", "key-\xff"}, 422, "Idempotency-Key", string(caseflow.FieldNotText)},
		{"NUL in a path value", http.MethodGet, "/api/v1/cases/%00", officer, nil, nil, 422, "code", string(caseflow.FieldNotText)},
		{"invalid UTF-8 in a path value", http.MethodGet, "/api/v1/cases/%FF", officer, nil, nil, 422, "code", string(caseflow.FieldNotText)},
		{"NUL in a query value", http.MethodGet, "/api/v1/cases?state=%00", officer, nil, nil, 422, "state", string(caseflow.FieldNotText)},
		{"NUL in a login name", http.MethodPost, "/api/v1/auth/login", "", map[string]any{"username": "officer1\x00", "password": "x"},
			nil, 422, "username", string(caseflow.FieldNotText)},
		{"invalid UTF-8 in a login name", http.MethodPost, "/api/v1/auth/login", "", `{"username": "off` + "\xc3\x28" + `", "password": "x"}`,
			nil, 422, "username", string(caseflow.FieldNotText)},
		{"NUL in a holiday's name", http.MethodPut, "/api/v1/holidays/2029-01-02", admin, map[string]any{"name": "Nghỉ\x00"},
			nil, 422, "name", string(caseflow.FieldNotText)},
		{"NUL in event data", http.MethodPost, "/api/v1/cases/" + code + "/events", officer,
			strings.Replace(event(""), "an toàn", `an toàn\u0000`, 1), nil, 422, "data.measures", string(caseflow.FieldNotText)},
		{"data after the JSON value", http.MethodPost, "/api/v1/cases/" + code + "/events", officer, event("") + "}}", nil, 400, "", ""},
		{"a second JSON value", http.MethodPost, "/api/v1/cases/" + code + "/events", officer, event("") + ` {"event": "x"}`, nil, 400, "", ""},
		{"a member name in capitals", http.MethodPost, "/api/v1/cases/" + code + "/events", officer,
			strings.Replace(event(""), `"event"`, `"EVENT"`, 1), nil, 422, "EVENT", string(caseflow.FieldUnknownField)},
		{"a person's member name in another case", http.MethodPost, "/api/v1/reports", officer,
			rawJSON(t, report(), swap(`"full_name"`, `"Full_Name"`)), nil, 422, "children[0].Full_Name", string(caseflow.FieldUnknownField)},
		{"a member given twice", http.MethodPost, "/api/v1/cases/" + code + "/events", officer,
			event(`, "event": "emergency_not_needed"`), nil, 422, "event", string(caseflow.FieldDuplicate)},
		{"a member given twice in a person", http.MethodPost, "/api/v1/reports", officer,
			rawJSON(t, report(), swap(`"sex":"female"`, `"sex":"female","sex":"male"`)), nil, 422, "children[0].sex", string(caseflow.FieldDuplicate)},
		{"a name of zero-width characters", http.MethodPost, "/api/v1/reports", officer,
			child(func(c map[string]any) { c["full_name"] = "\u200b\u200c\u200d\u2060" }), nil, 422, "children[0].full_name", string(caseflow.FieldRequired)},
		{"a name that is a byte order mark", http.MethodPost, "/api/v1/reports", officer,
			child(func(c map[string]any) { c["full_name"] = "\ufeff " }), nil, 422, "children[0].full_name", string(caseflow.FieldRequired)},
		// 20:30 UTC on 28 November is 03:30 on the 29th in Vietnam: the
		// child born on 29 November 2008 is 18 that day.
		{"an 18-year-old by Vietnam's calendar", http.MethodPost, "/api/v1/reports", officer,
			child(func(c map[string]any) { c["date_of_birth"] = "2008-11-29" }), nil, 422, "children[0].date_of_birth", string(caseflow.FieldNotAChild)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if b, ok := tc.body.(map[string]any); ok && tc.path == "/api/v1/reports" {
				b["received_at"] = "2026-11-28T20:30:00Z"
			}
			before := stored(t)
			r := call(t, tc.method, tc.path, tc.token, tc.body, tc.headers...)
			require.Equal(t, tc.status, r.Status, string(r.Raw))
			if tc.field != "" {
				require.Equal(t, tc.code, fieldCode(t, r, tc.field), string(r.Raw))
			} else {
				require.Equal(t, "malformed", r.Body["error"].(map[string]any)["code"], string(r.Raw))
			}
			require.Equal(t, before, stored(t), "the refused request changed the database")
		})
	}

	// The same moment, written in UTC or in Vietnam's offset, is the same
	// day for a child's age: a baby born that day in Vietnam is a child.
	for _, at := range []string{"2026-11-28T20:30:00Z", "2026-11-29T03:30:00+07:00"} {
		b := child(func(c map[string]any) { c["date_of_birth"] = "2026-11-29" })
		b["received_at"] = at
		r := fileReport(t, officer, b)
		require.Equal(t, http.StatusCreated, r.Status, "a baby born on the day received at %s: %s", at, r.Raw)
	}
}

func jsonText(v any) string {
	raw, _ := json.Marshal(v)
	return string(raw)
}
