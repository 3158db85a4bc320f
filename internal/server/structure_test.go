package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// seedAccount creates an account for this test on an agency, with the test
// password, and returns its username.
func seedAccount(t *testing.T, prefix string, role caseflow.Role, agency string) string {
	t.Helper()
	user := prefix + "-" + testenv.Suffix() + fmt.Sprint(nextSeq())
	hash, err := account.HashPassword(testenv.Password, testenv.FastParams)
	require.NoError(t, err)
	require.NoError(t, env.db.DB.SeedUser(context.Background(), user, "Tài khoản thử nghiệm (demo)", role, agency, hash))
	return user
}

// reportIn is a valid intake body for a commune, received at a time.
func reportIn(commune, receivedAt string) map[string]any {
	b := report()
	b["commune_code"], b["received_at"] = commune, receivedAt
	return b
}

// fieldCode is the code of one field of an error answer.
func fieldCode(t *testing.T, r response, field string) string {
	t.Helper()
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	errorOf(t, r)
	codes, _ := r.Body["error"].(map[string]any)["field_codes"].(map[string]any)
	code, _ := codes[field].(string)
	require.NotEmpty(t, code, "no field %s in %s", field, r.Raw)
	return code
}

// toProcuracy moves a case from intake to the point where the police hand
// the file to the procuracy, which is the next step.
func toProcuracy(t *testing.T, c *wfCase, officer string) {
	t.Helper()
	c.fire(t, officer, "refer_police", "police", map[string]any{"remote_commune": false})
	c.fire(t, "police1", "decide_prosecution", "investigation", map[string]any{"crime_category": "less_serious", "penal_code_article": "147"})
	c.fire(t, "police1", "skip_forensic_exam", "investigation", map[string]any{"reason": "Không cần"})
}

func TestAReportNamesTheCommuneAsItWasWhenReceived(t *testing.T) {
	officer := login(t, "officer1")

	t.Run("ACommuneOf2024StillNamedIn2026IsRefusedWithWhatItBecame", func(t *testing.T) {
		r := fileReport(t, officer, reportIn("11986", "2026-11-29T08:00:00+07:00"))
		require.Equal(t, string(caseflow.FieldUnitEnded), fieldCode(t, r, "commune_code"))
		require.Contains(t, string(r.Raw), "Xã Như Quỳnh (12004)", "the message names the unit it became part of")
	})

	t.Run("TheSameCommuneForAReportOf2024IsAccepted", func(t *testing.T) {
		r := fileReport(t, officer, reportIn("11986", "2024-10-07T15:00:00+07:00"))
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, "Thị trấn Như Quỳnh", r.Body["commune"].(map[string]any)["name"])
	})

	t.Run("ACodeNamesTheUnitThatHadItThatDay", func(t *testing.T) {
		// In 2024, 12004 was Xã Đình Dù, part of which became Xã Như Quỳnh.
		r := fileReport(t, officer, reportIn(communeOfficer1, "2024-10-07T15:00:00+07:00"))
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, "Xã Đình Dù", r.Body["commune"].(map[string]any)["name"])
	})

	t.Run("OnTheLastDayOfTheDistrictEraTheCodeIsTheOldUnit", func(t *testing.T) {
		// On 30 June 2025, 11953 was Phường Hiến Nam, which became part of
		// officer2's Phường Phố Hiến the next day.
		r := fileReport(t, login(t, "officer2"), reportIn(communeOfficer2, "2025-06-30T23:00:00+07:00"))
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, "Phường Hiến Nam", r.Body["commune"].(map[string]any)["name"])
	})

	t.Run("AFormerCommuneOfAnotherOfficerIsRefused", func(t *testing.T) {
		// 11965 Phường Quang Trung became part of Phố Hiến (officer2's), not Như Quỳnh.
		r := fileReport(t, officer, reportIn("11965", "2024-06-03T09:00:00+07:00"))
		require.Equal(t, string(caseflow.FieldNotInCommune), fieldCode(t, r, "commune_code"))
	})
}

func TestReferralsFollowTheJurisdictionTable(t *testing.T) {
	t.Run("ACaseOfTodayReachesTheRegionalBodiesOfItsCommune", func(t *testing.T) {
		c := newWFCase(t)
		c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
		require.Equal(t, "1", caseGrants(t, c.code, "CSDT-33"), "the provincial investigation agency")
		c.fire(t, "police1", "decide_prosecution", "investigation", map[string]any{"crime_category": "less_serious", "penal_code_article": "147"})
		c.fire(t, "police1", "skip_forensic_exam", "investigation", map[string]any{"reason": "Không cần"})
		c.fire(t, "police1", "hand_to_procuracy", "prosecution", nil)
		require.Equal(t, "1", caseGrants(t, c.code, "VKSKV4-33"), "regional procuracy 4 covers Xã Như Quỳnh")
		require.Equal(t, "0", caseGrants(t, c.code, "VKS-33"), "the provincial procuracy only by explicit choice")
		c.fire(t, "prosecutor1", "indict", "trial", map[string]any{"charge_article": "147", "indicted_on": "2026-11-29"})
		require.Equal(t, "1", caseGrants(t, c.code, "TAKV4-33"), "regional court 4 covers Xã Như Quỳnh")
	})

	t.Run("AnOpenCaseOfTheDistrictEraGoesToTodaysAgencies", func(t *testing.T) {
		c := fileWFCase(t, "officer1", reportIn("11986", "2024-10-07T15:00:00+07:00"))
		toProcuracy(t, c, "officer1")
		require.Equal(t, "1", caseGrants(t, c.code, "CSDT-33"))
		require.Equal(t, "0", caseGrants(t, c.code, "CA-325"), "the district police of Văn Lâm no longer act")
		c.fire(t, "police1", "hand_to_procuracy", "prosecution", nil)
		require.Equal(t, "1", caseGrants(t, c.code, "VKSKV4-33"), "Thị trấn Như Quỳnh is part of Xã Như Quỳnh today")
		require.Equal(t, "0", caseGrants(t, c.code, "VKS-325"))
	})

	t.Run("AnExplicitAgencyMustBeOneTheTableAllows", func(t *testing.T) {
		c := newWFCase(t)
		r := c.sendTo(t, "officer1", "refer_police", "CA-325", c.version, map[string]any{"remote_commune": false})
		require.Equal(t, string(caseflow.FieldNoJurisdiction), fieldCode(t, r, "agency_code"))
		c.fireTo(t, "officer1", "refer_police", "CA-33", "police", map[string]any{"remote_commune": false})
		require.Equal(t, "1", caseGrants(t, c.code, "CA-33"), "the provincial police, an alternative row")
	})
}

// jurisdictionRows lists the rows of the table as admin1.
func jurisdictionRows(t *testing.T, q url.Values) []map[string]any {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/jurisdiction?"+q.Encode(), login(t, "admin1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	var out []map[string]any
	for _, x := range r.Body["rows"].([]any) {
		out = append(out, x.(map[string]any))
	}
	return out
}

func TestAMissingJurisdictionRowRefusesTheStep(t *testing.T) {
	// Xã Hưng Phú (13066): regional procuracy 6, one of the two rows a
	// source places. No other test files reports there.
	const commune = "13066"
	officer := seedAccount(t, "officer-hungphu", caseflow.RoleCommuneOfficer, "CP-"+commune)
	admin := login(t, "admin1")
	q := url.Values{"structure": {"2025"}, "unit": {commune}, "type": {"procuracy"}}
	rows := jurisdictionRows(t, q)
	require.Len(t, rows, 1)
	require.Equal(t, "VKSKV6-33", rows[0]["agency"].(map[string]any)["code"])
	require.Equal(t, true, rows[0]["verified"])
	id := fmt.Sprint(rows[0]["id"])

	c := fileWFCase(t, officer, reportIn(commune, "2026-11-29T08:00:00+07:00"))
	toProcuracy(t, c, officer)

	r := call(t, http.MethodDelete, "/api/v1/jurisdiction/"+id, admin, nil)
	require.Equal(t, http.StatusNoContent, r.Status, string(r.Raw))

	t.Run("TheStepIsRefusedNamingTheMissingJurisdiction", func(t *testing.T) {
		r := c.send(t, "police1", "hand_to_procuracy", c.version, nil)
		require.Equal(t, string(caseflow.FieldMissingJurisdiction), fieldCode(t, r, "jurisdiction"))
		require.Contains(t, string(r.Raw), "procuracy")
		require.Contains(t, string(r.Raw), "Xã Hưng Phú (13066)")
		got := c.get(t, "police1")
		require.EqualValues(t, c.version, got.Body["version"], "nothing was written")
		require.Equal(t, "investigation", got.Body["state"])
		require.Equal(t, "0", caseGrants(t, c.code, "VKSKV6-33"))
		require.Equal(t, "0", caseGrants(t, c.code, "VKS-33"), "never a fallback to another procuracy")
	})

	t.Run("SeedingDoesNotBringTheRowBack", func(t *testing.T) {
		require.NoError(t, env.db.DB.SeedReference(context.Background()))
		require.Empty(t, jurisdictionRows(t, q))
		q := url.Values{"structure": {"2025"}, "unit": {commune}, "type": {"procuracy"}, "withdrawn": {"true"}}
		rows := jurisdictionRows(t, q)
		require.Len(t, rows, 1)
		require.Equal(t, true, rows[0]["withdrawn"])
	})

	t.Run("AnAdministratorAddsTheRowAndTheStepGoesThrough", func(t *testing.T) {
		r := call(t, http.MethodPost, "/api/v1/jurisdiction", admin, map[string]any{"structure": "2025", "unit_code": commune,
			"type": "procuracy", "agency_code": "VKSKV6-33", "valid_from": "2025-07-01", "source": "Kiểm thử: xác nhận lại"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, "admin", r.Body["row"].(map[string]any)["origin"])
		c.fire(t, "police1", "hand_to_procuracy", "prosecution", nil)
		require.Equal(t, "1", caseGrants(t, c.code, "VKSKV6-33"))
	})
}

func TestCorrectingAJurisdictionRow(t *testing.T) {
	// Xã Hiệp Cường (12322), an inferred procuracy row: regional court 3.
	const commune = "12322"
	admin := login(t, "admin1")
	q := url.Values{"structure": {"2025"}, "unit": {commune}, "type": {"procuracy"}}
	rows := jurisdictionRows(t, q)
	require.Len(t, rows, 1)
	require.Equal(t, false, rows[0]["verified"], "no source lists the regional procuracies' communes")
	old := rows[0]["id"]

	t.Run("ConfirmingIt", func(t *testing.T) {
		r := call(t, http.MethodPatch, fmt.Sprintf("/api/v1/jurisdiction/%v", old), admin,
			map[string]any{"verified": true, "source": "Kiểm thử: văn bản đã đọc"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, true, r.Body["verified"])
	})

	t.Run("AFromADateReplacesTheOldPrimaryRow", func(t *testing.T) {
		r := call(t, http.MethodPost, "/api/v1/jurisdiction", admin, map[string]any{"structure": "2025", "unit_code": commune,
			"type": "procuracy", "agency_code": "VKSKV2-33", "valid_from": "2026-01-01"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, []any{old}, r.Body["replaced"])
		rows := jurisdictionRows(t, q)
		require.Len(t, rows, 2)
		require.Equal(t, "2025-12-31", rows[0]["valid_to"], "the old row ends the day before")
		require.Equal(t, "VKSKV2-33", rows[1]["agency"].(map[string]any)["code"])
		on := jurisdictionRows(t, url.Values{"structure": {"2025"}, "unit": {commune}, "type": {"procuracy"}, "on": {"2026-06-01"}})
		require.Len(t, on, 1)
		require.Equal(t, "VKSKV2-33", on[0]["agency"].(map[string]any)["code"])
	})

	t.Run("BadRowsAreRefusedWithTheField", func(t *testing.T) {
		good := func() map[string]any {
			return map[string]any{"structure": "2025", "unit_code": commune, "type": "court", "agency_code": "TAKV3-33", "valid_from": "2025-07-01"}
		}
		for field, edit := range map[string]func(b map[string]any){
			"structure":   func(b map[string]any) { b["structure"] = "2030" },
			"unit_code":   func(b map[string]any) { b["unit_code"] = "325" },
			"agency_code": func(b map[string]any) { b["agency_code"] = "CSDT-33" },
			"type":        func(b map[string]any) { b["type"] = "army" },
			"valid_from":  func(b map[string]any) { b["valid_from"] = "1 July 2025" },
			"valid_to":    func(b map[string]any) { b["valid_to"] = "2025-01-01" },
			"source":      func(b map[string]any) { b["source"] = "two\nlines" },
			"extra":       func(b map[string]any) { b["extra"] = true },
		} {
			b := good()
			edit(b)
			before := len(jurisdictionRows(t, url.Values{"unit": {commune}, "withdrawn": {"true"}}))
			r := call(t, http.MethodPost, "/api/v1/jurisdiction", admin, b)
			require.Equal(t, http.StatusUnprocessableEntity, r.Status, "%s: %s", field, r.Raw)
			_, fields := errorOf(t, r)
			require.Contains(t, fields, field, "%s: %s", field, r.Raw)
			require.Len(t, jurisdictionRows(t, url.Values{"unit": {commune}, "withdrawn": {"true"}}), before, "%s: nothing written", field)
		}
		r := call(t, http.MethodPost, "/api/v1/jurisdiction", login(t, "police1"), good())
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
		r = call(t, http.MethodGet, "/api/v1/jurisdiction", login(t, "police1"), nil)
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
		r = call(t, http.MethodGet, "/api/v1/jurisdiction?unit=12004", login(t, "supervisor1"), nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.NotEmpty(t, r.Body["rows"])
	})
}

func TestUnitsOfADay(t *testing.T) {
	tok := login(t, "officer1")
	count := func(on string) (int, map[string]string) {
		r := call(t, http.MethodGet, "/api/v1/units?level=commune&on="+on, tok, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		names := map[string]string{}
		for _, u := range r.Body["units"].([]any) {
			m := u.(map[string]any)
			names[m["code"].(string)] = m["name"].(string)
		}
		return len(r.Body["units"].([]any)), names
	}
	n, names := count("2024-03-01")
	require.Equal(t, 161, n, "the 161 communes of the 2021 list")
	require.Equal(t, "Xã Đình Dù", names["12004"])
	n, _ = count("2025-06-30")
	require.Equal(t, 139, n, "after the changes of 1 December 2024")
	n, names = count("2026-12-01")
	require.Equal(t, 104, n)
	require.Equal(t, "Xã Như Quỳnh", names["12004"])
	require.NotContains(t, names, "11986")
	r := call(t, http.MethodGet, "/api/v1/units?on=yesterday", tok, nil)
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
}

func TestTextThatPostgresRefusesIsRefusedFirst(t *testing.T) {
	admin, sup := login(t, "admin1"), login(t, "supervisor1")
	for _, tc := range []struct {
		method, path, token, field string
		body                       any
	}{
		{http.MethodGet, "/api/v1/jurisdiction?unit=%00", admin, "unit", nil},
		{http.MethodGet, "/api/v1/jurisdiction?structure=%FF", admin, "structure", nil},
		{http.MethodGet, "/api/v1/compliance?unit=12004%00", sup, "unit", nil},
		{http.MethodGet, "/api/v1/units?level=commune%00", admin, "level", nil},
		{http.MethodPost, "/api/v1/jurisdiction", admin, "unit_code", map[string]any{"structure": "2025", "unit_code": "12004\x00",
			"type": "court", "agency_code": "TAKV4-33", "valid_from": "2025-07-01"}},
		{http.MethodPut, "/api/v1/holidays/2028-01-04", admin, "name", map[string]any{"name": "Nghỉ\x00"}},
	} {
		r := call(t, tc.method, tc.path, tc.token, tc.body)
		require.Equal(t, string(caseflow.FieldNotText), fieldCode(t, r, tc.field), "%s %s", tc.method, tc.path)
	}
}
