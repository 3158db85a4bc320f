package server_test

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// badIntake is one kind of bad input and the answer it must get.
type badIntake struct {
	name   string
	body   func() any // the request body: a map, or raw text
	status int
	code   string
	field  string // the key expected in error.fields; "" when none
	// fieldCode is the code expected in error.field_codes for field; ""
	// leaves it unchecked.
	fieldCode string
}

// editedReport returns a body builder that applies edit to a fresh valid report.
func editedReport(edit func(b map[string]any)) func() any {
	return func() any {
		b := report()
		edit(b)
		return b
	}
}

func TestIntakeRefusesBadInput(t *testing.T) {
	tok := login(t, "officer1")
	future := time.Now().Add(24 * time.Hour).Format(time.RFC3339)
	cases := []badIntake{
		{name: "MalformedJSON", status: http.StatusBadRequest, code: "malformed",
			body: func() any { return `{"channel": "hotline_111", "children": [` }},
		{name: "EmptyBody", status: http.StatusBadRequest, code: "malformed",
			body: func() any { return "" }},
		{name: "ArrayInsteadOfObject", status: http.StatusBadRequest, code: "malformed",
			body: func() any { return `[]` }},
		{name: "DataAfterTheObject", status: http.StatusBadRequest, code: "malformed",
			body: func() any {
				raw, _ := json.Marshal(report())
				return string(raw) + ` {}`
			}},
		{name: "UnknownChannel", status: http.StatusUnprocessableEntity, code: "invalid", field: "channel",
			body: editedReport(func(b map[string]any) { b["channel"] = "carrier_pigeon" })},
		{name: "UnknownAbuseType", status: http.StatusUnprocessableEntity, code: "invalid", field: "abuse_types",
			body: editedReport(func(b map[string]any) { b["abuse_types"] = []string{"physical", "bullying_by_aliens"} })},
		{name: "NoAbuseType", status: http.StatusUnprocessableEntity, code: "invalid", field: "abuse_types",
			body: editedReport(func(b map[string]any) { b["abuse_types"] = []string{} })},
		{name: "UnknownSetting", status: http.StatusUnprocessableEntity, code: "invalid", field: "setting",
			body: editedReport(func(b map[string]any) { b["setting"] = "spaceship" })},
		{name: "MissingChildren", status: http.StatusUnprocessableEntity, code: "invalid", field: "children",
			body: editedReport(func(b map[string]any) { delete(b, "children") })},
		{name: "EmptyChildren", status: http.StatusUnprocessableEntity, code: "invalid", field: "children",
			body: editedReport(func(b map[string]any) { b["children"] = []map[string]any{} })},
		{name: "ChildAged18", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].age",
			body: editedReport(func(b map[string]any) {
				delete(firstChild(b), "date_of_birth")
				firstChild(b)["age"] = 18
			})},
		{name: "NegativeAge", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].age",
			body: editedReport(func(b map[string]any) {
				delete(firstChild(b), "date_of_birth")
				firstChild(b)["age"] = -1
			})},
		{name: "DateOfBirthMakesChild18", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].date_of_birth",
			// received on 2026-11-29: born 2008-11-29 turns 18 that day.
			body: editedReport(func(b map[string]any) { firstChild(b)["date_of_birth"] = "2008-11-29" })},
		{name: "DateOfBirthAfterReceipt", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].date_of_birth",
			body: editedReport(func(b map[string]any) { firstChild(b)["date_of_birth"] = "2026-12-01" })},
		{name: "DateOfBirthNotADate", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].date_of_birth",
			body: editedReport(func(b map[string]any) { firstChild(b)["date_of_birth"] = "02/03/2015" })},
		{name: "NeitherDateOfBirthNorAge", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].date_of_birth",
			body: editedReport(func(b map[string]any) { delete(firstChild(b), "date_of_birth") })},
		{name: "AgeContradictsDateOfBirth", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].age",
			body: editedReport(func(b map[string]any) { firstChild(b)["age"] = 3 })},
		{name: "ChildWithoutName", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].full_name",
			body: editedReport(func(b map[string]any) { firstChild(b)["full_name"] = "   " })},
		{name: "ChildWithUnknownSex", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].sex",
			body: editedReport(func(b map[string]any) { firstChild(b)["sex"] = "x" })},
		{name: "SecondChildNamedByIndex", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[1].age",
			body: editedReport(func(b map[string]any) {
				b["children"] = append(b["children"].([]map[string]any),
					map[string]any{"full_name": "Bé Hư Cấu Thứ Hai", "sex": "male", "age": 30})
			})},
		{name: "CommuneOfAnotherOfficer", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code",
			body: editedReport(func(b map[string]any) { b["commune_code"] = communeOfficer2 })},
		{name: "UnknownCommune", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code",
			body: editedReport(func(b map[string]any) { b["commune_code"] = "99999" })},
		{name: "DistrictInsteadOfCommune", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code",
			body: editedReport(func(b map[string]any) { b["commune_code"] = "325" })},
		{name: "DistrictOfTheEarlierStructureInsteadOfCommune", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code",
			// Văn Lâm (325) was a district of the 2021 structure.
			body: editedReport(func(b map[string]any) {
				b["received_at"] = "2024-11-29T08:00:00+07:00"
				b["commune_code"] = "325"
			})},
		{name: "CommuneThatHasEnded", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code", fieldCode: "unit_ended",
			// Thị trấn Như Quỳnh (11986) is part of Xã Như Quỳnh (12004)
			// since 1 July 2025: a report received in 2026 names 12004.
			body: editedReport(func(b map[string]any) { b["commune_code"] = "11986" })},
		{name: "MissingCommune", status: http.StatusUnprocessableEntity, code: "invalid", field: "commune_code",
			body: editedReport(func(b map[string]any) { delete(b, "commune_code") })},
		{name: "UnknownJSONField", status: http.StatusUnprocessableEntity, code: "invalid", field: "nickname",
			body: editedReport(func(b map[string]any) { b["nickname"] = "Tí" })},
		{name: "AgeOfWrongJSONType", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].age",
			body: editedReport(func(b map[string]any) {
				delete(firstChild(b), "date_of_birth")
				firstChild(b)["age"] = "ten"
			})},
		{name: "SecondChildAgeOfWrongJSONType", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[1].age",
			body: editedReport(func(b map[string]any) {
				b["children"] = append(b["children"].([]map[string]any),
					map[string]any{"full_name": "Bé Hư Cấu Thứ Ba", "sex": "male", "age": "ten"})
			})},
		{name: "UnknownFieldOfChild", status: http.StatusUnprocessableEntity, code: "invalid", field: "children[0].eye_colour",
			body: editedReport(func(b map[string]any) { firstChild(b)["eye_colour"] = "brown" })},
		{name: "ImmediateDangerOfWrongJSONType", status: http.StatusUnprocessableEntity, code: "invalid", field: "immediate_danger",
			body: editedReport(func(b map[string]any) { b["immediate_danger"] = "yes" })},
		{name: "MissingImmediateDanger", status: http.StatusUnprocessableEntity, code: "invalid", field: "immediate_danger",
			body: editedReport(func(b map[string]any) { delete(b, "immediate_danger") })},
		{name: "MissingReceivedAt", status: http.StatusUnprocessableEntity, code: "invalid", field: "received_at",
			body: editedReport(func(b map[string]any) { delete(b, "received_at") })},
		{name: "ReceivedAtNotATime", status: http.StatusUnprocessableEntity, code: "invalid", field: "received_at",
			body: editedReport(func(b map[string]any) { b["received_at"] = "yesterday morning" })},
		{name: "ReceivedAtWithoutZone", status: http.StatusUnprocessableEntity, code: "invalid", field: "received_at",
			body: editedReport(func(b map[string]any) { b["received_at"] = "2026-11-29T08:00:00" })},
		{name: "ReceivedAtInTheFuture", status: http.StatusUnprocessableEntity, code: "invalid", field: "received_at",
			body: editedReport(func(b map[string]any) { b["received_at"] = future })},
		{name: "ReceivedAtMoreThanFiveYearsAgo", status: http.StatusUnprocessableEntity, code: "invalid", field: "received_at",
			body: editedReport(func(b map[string]any) {
				b["received_at"] = "2020-01-02T08:00:00+07:00"
				firstChild(b)["date_of_birth"] = "2015-03-02"
			})},
		{name: "ReporterPhoneWithLetters", status: http.StatusUnprocessableEntity, code: "invalid", field: "reporter.phone",
			body: editedReport(func(b map[string]any) { reporterOf(b)["phone"] = "call the shop" })},
		{name: "NarrativeOver64KiB", status: http.StatusUnprocessableEntity, code: "invalid", field: "narrative",
			body: editedReport(func(b map[string]any) { b["narrative"] = strings.Repeat("a", 64<<10+1) })},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := rowCounts(t)
			r := fileReport(t, tok, tc.body())
			require.Equal(t, tc.status, r.Status, string(r.Raw))
			code, fields := errorOf(t, r)
			require.Equal(t, tc.code, code)
			if tc.field != "" {
				require.Contains(t, fields, tc.field, string(r.Raw))
			}
			if tc.fieldCode != "" {
				codes, _ := r.Body["error"].(map[string]any)["field_codes"].(map[string]any)
				require.Equal(t, tc.fieldCode, codes[tc.field], string(r.Raw))
			}
			requireNothingWritten(t, before)
		})
	}

	t.Run("BodyOver1MiB", func(t *testing.T) {
		before := rowCounts(t)
		big := []byte(`{"narrative": "` + strings.Repeat("a", 2<<20) + `"}`)
		r := fileReport(t, tok, big)
		require.Equal(t, http.StatusRequestEntityTooLarge, r.Status, string(r.Raw))
		code, _ := errorOf(t, r)
		require.Equal(t, "too_large", code)
		requireNothingWritten(t, before)
	})

	t.Run("BodyOver1MBButUnder1MiBIsRead", func(t *testing.T) {
		before := rowCounts(t)
		b := report()
		b["narrative"] = strings.Repeat("a", 1_040_000)
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		require.Greater(t, len(raw), 1_000_000)
		require.Less(t, len(raw), 1<<20)
		r := fileReport(t, tok, raw)
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		_, fields := errorOf(t, r)
		require.Contains(t, fields, "narrative")
		requireNothingWritten(t, before)
	})

	t.Run("ChunkedBodyOver1MiB", func(t *testing.T) {
		before := rowCounts(t)
		big := `{"narrative": "` + strings.Repeat("a", 2<<20) + `"}`
		// A reader of unknown length makes the client send the body chunked,
		// without a Content-Length for the server to check up front.
		body := io.MultiReader(strings.NewReader(big))
		req, err := http.NewRequest(http.MethodPost, env.srv.URL+"/api/v1/reports", body)
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+tok)
		res, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer res.Body.Close()
		raw, err := io.ReadAll(res.Body)
		require.NoError(t, err)
		require.Equal(t, http.StatusRequestEntityTooLarge, res.StatusCode, string(raw))
		var out map[string]any
		require.NoError(t, json.Unmarshal(raw, &out))
		code, _ := errorOf(t, response{Status: res.StatusCode, Body: out, Raw: raw})
		require.Equal(t, "too_large", code)
		requireNothingWritten(t, before)
	})

	t.Run("NonOfficerIsForbidden", func(t *testing.T) {
		police := login(t, "police1")
		before := rowCounts(t)
		r := fileReport(t, police, report())
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
		code, _ := errorOf(t, r)
		require.Equal(t, "forbidden", code)
		requireNothingWritten(t, before)
	})

	t.Run("Unauthenticated", func(t *testing.T) {
		before := rowCounts(t)
		r := fileReport(t, "", report())
		require.Equal(t, http.StatusUnauthorized, r.Status, string(r.Raw))
		code, _ := errorOf(t, r)
		require.Equal(t, "unauthorized", code)
		requireNothingWritten(t, before)
	})
}

func TestIntakeErrorNamesEveryBadField(t *testing.T) {
	tok := login(t, "officer1")
	b := report()
	b["channel"] = "fax"
	b["setting"] = "moon"
	delete(b, "received_at")
	firstChild(b)["date_of_birth"] = "2001-01-01"
	before := rowCounts(t)
	r := fileReport(t, tok, b)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	_, fields := errorOf(t, r)
	for _, f := range []string{"channel", "setting", "received_at", "children[0].date_of_birth"} {
		require.Contains(t, fields, f, string(r.Raw))
	}
	requireNothingWritten(t, before)
}

func TestIntakeAcceptsAgeAndAnonymousReporter(t *testing.T) {
	tok := login(t, "officer1")
	body := report()
	delete(firstChild(body), "date_of_birth")
	firstChild(body)["age"] = 10
	rep := reporterOf(body)
	rep["anonymous"] = true
	reporterName, reporterPhone := rep["full_name"].(string), rep["phone"].(string)

	r := fileReport(t, tok, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	require.Equal(t, "/api/v1/cases/"+r.Body["code"].(string), r.Header.Get("Location"))
	kids := r.Body["children"].([]any)
	require.Len(t, kids, 1)
	kid := kids[0].(map[string]any)
	require.EqualValues(t, 10, kid["age"])
	require.NotContains(t, kid, "date_of_birth")
	require.Equal(t, firstChild(body)["full_name"], kid["full_name"])
	reporter, ok := r.Body["reporter"].(map[string]any)
	require.True(t, ok, "the reporter is missing: %s", r.Raw)
	require.Equal(t, true, reporter["anonymous"])
	require.NotContains(t, string(r.Raw), reporterName)
	require.NotContains(t, string(r.Raw), reporterPhone)

	got := call(t, http.MethodGet, "/api/v1/cases/"+r.Body["code"].(string), tok, nil)
	require.Equal(t, http.StatusOK, got.Status, string(got.Raw))
	require.Equal(t, "full", got.Body["access"])
	require.NotContains(t, string(got.Raw), reporterName)
	require.NotContains(t, string(got.Raw), reporterPhone)
	require.True(t, bytes.Contains(got.Raw, []byte(firstChild(body)["full_name"].(string))))
}

func TestIntakeAcceptsChildTurning18Tomorrow(t *testing.T) {
	tok := login(t, "officer1")
	body := report()
	firstChild(body)["date_of_birth"] = "2008-11-30" // 17 on 2026-11-29, the day received
	r := fileReport(t, tok, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
}
