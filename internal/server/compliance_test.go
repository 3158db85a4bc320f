package server_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/xuri/excelize/v2"

	"caseflow/internal/account"
	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
	"caseflow/seeds"
)

// The compliance tests work in commune 12391 (Xã Quang Hưng, formed on
// 1 July 2025 from Thị trấn Trần Cao and three communes of the former
// district of Phù Cừ), where no other test files reports, so that every
// figure of the commune can be worked out from the cases filed here.
// Supervisors of districts no longer exist: the district offices ended with
// the district level, so the province's supervisor reads the commune among
// the province's units, and the district of Phù Cừ is read on the earlier
// structure, for a period it covered.

// cmpCommune is the compliance tests' commune of today's structure;
// cmpOtherCommune is officer1's.
const (
	cmpCommune      = "12391"
	cmpCommuneName  = "Xã Quang Hưng"
	cmpOtherCommune = communeOfficer1
)

// cmpUsers creates the compliance tests' accounts once for the package.
var cmpUsers struct {
	once sync.Once
	err  error
}

// cmpSetUp creates the accounts of the compliance tests: the commune officer
// of Quang Hưng and an investigator of the provincial police, who answer for
// its referrals.
func cmpSetUp(t *testing.T) {
	t.Helper()
	cmpUsers.once.Do(func() {
		hash, err := account.HashPassword(testenv.Password, testenv.FastParams)
		if err != nil {
			cmpUsers.err = err
			return
		}
		for _, u := range []struct {
			name, agency string
			role         caseflow.Role
		}{
			{"cmp.officer12391", "CP-12391", caseflow.RoleCommuneOfficer},
			{"cmp.police33", "CSDT-33", caseflow.RolePolice},
		} {
			if err := env.db.DB.SeedUser(context.Background(), u.name, "Tài khoản kiểm thử", u.role, u.agency, hash); err != nil {
				cmpUsers.err = err
				return
			}
		}
	})
	require.NoError(t, cmpUsers.err)
}

// cmpReport is an intake body for the commune received three hours ago.
func cmpReport(child map[string]any) map[string]any {
	name := fmt.Sprintf("Trẻ Hư Cấu Quang Hưng %s", testenv.Suffix())
	remember(name)
	child["full_name"] = name
	return map[string]any{
		"received_at": time.Now().Add(-3 * time.Hour).Format(time.RFC3339), "channel": "hotline_111", "commune_code": cmpCommune,
		"abuse_types": []string{"sexual"}, "setting": "school", "immediate_danger": true,
		"children": []map[string]any{child}, "reporter": map[string]any{"anonymous": true},
		"narrative": "Câu chuyện hư cấu cho kiểm thử chỉ tiêu " + name,
	}
}

// cmpFire fires an event on a case at its current version.
func cmpFire(t *testing.T, tok, code, event string, data map[string]any) {
	t.Helper()
	c := call(t, http.MethodGet, "/api/v1/cases/"+code, tok, nil)
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	r := call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", tok,
		map[string]any{"event": event, "version": c.Body["version"], "data": data})
	require.Equal(t, http.StatusOK, r.Status, "%s: %s", event, r.Raw)
}

// cmpFigures returns a report's indicators by id.
func cmpFigures(t *testing.T, body map[string]any) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, x := range body["indicators"].([]any) {
		ind := x.(map[string]any)
		out[ind["id"].(string)] = ind
	}
	return out
}

func cmpFraction(ind map[string]any) string {
	return fmt.Sprintf("%v/%v", ind["numerator"], ind["denominator"])
}

func TestCompliance(t *testing.T) {
	cmpSetUp(t)
	officer, police := login(t, "cmp.officer12391"), login(t, "cmp.police33")
	other, province := login(t, "officer1"), login(t, "supervisor1")

	// Report A: measures taken at once, referred and accepted.
	a := mustFile(t, officer, cmpReport(map[string]any{"sex": "female", "date_of_birth": "2015-03-02"}))
	cmpFire(t, officer, a, "record_emergency_measures", map[string]any{"measures": "Đưa trẻ đến nơi an toàn"})
	cmpFire(t, officer, a, "refer_police", map[string]any{"remote_commune": false})
	cmpFire(t, police, a, "accept_referral", map[string]any{})
	// Report B: no measures needed; referred, and the police return it.
	b := mustFile(t, officer, cmpReport(map[string]any{"sex": "male", "age": 6}))
	cmpFire(t, officer, b, "emergency_not_needed", map[string]any{"reason": "Trẻ đã an toàn"})
	cmpFire(t, officer, b, "refer_police", map[string]any{"remote_commune": false})
	cmpFire(t, police, b, "return_referral", map[string]any{"reason": "Chưa đủ thông tin"})
	// Report C: nothing done yet; its 12 hours are still running.
	c := mustFile(t, officer, cmpReport(map[string]any{"sex": "female", "age": 16}))

	today := time.Now().In(hcmZone(t))
	q := url.Values{"from": {today.AddDate(0, 0, -7).Format("2006-01-02")}, "to": {today.Format("2006-01-02")}}
	with := func(kv ...string) string {
		qq := url.Values{}
		for key, vals := range q {
			qq[key] = vals
		}
		for i := 0; i+1 < len(kv); i += 2 {
			qq.Set(kv[i], kv[i+1])
		}
		return qq.Encode()
	}
	commune := with("unit", cmpCommune)

	t.Run("FiguresOfTheCommune", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + q.Encode(), token: officer, status: []int{200}})
		require.Equal(t, cmpCommune, r.Body["unit"].(map[string]any)["code"], "a commune officer's own commune by default")
		require.Equal(t, "2025", r.Body["structure"], "the structure in force today by default")
		require.Equal(t, q.Get("from"), r.Body["period"].(map[string]any)["from"])
		ind := cmpFigures(t, r.Body)
		require.Len(t, ind, len(caseflow.Indicators))
		// Referrals of A (accepted) and B (returned).
		require.Equal(t, "1/2", cmpFraction(ind["intake"]))
		require.Equal(t, 0.5, ind["intake"]["value"])
		require.Equal(t, false, ind["intake"]["met"])
		require.Equal(t, map[string]any{"op": "eq", "value": 1.0}, ind["intake"]["target"])
		require.Equal(t, map[string]any{"vi": "Tỷ lệ tin báo được cơ quan công an thụ lý", "en": "Reports accepted by the police"},
			ind["intake"]["label"])
		// A in time; B did not need measures; C is still within its 12 hours.
		require.Equal(t, "1/1", cmpFraction(ind["emergency_response"]))
		require.Nil(t, ind["emergency_response"]["met"], "shown without a target")
		// A's report is not due for 20 days: no data, never 0% or 100%.
		require.Equal(t, "0/0", cmpFraction(ind["resolution"]))
		require.Nil(t, ind["resolution"]["value"])
		require.Nil(t, ind["resolution"]["met"])
		require.Equal(t, "0/0", cmpFraction(ind["yoy_change"]), "reports are not crimes: nothing prosecuted in either year")
		require.Nil(t, ind["yoy_change"]["value"])

		require.Empty(t, r.Body["units"], "a commune has no units below it")

		agencies := map[string]map[string]any{}
		for _, x := range r.Body["agencies"].([]any) {
			ag := x.(map[string]any)
			agencies[ag["agency"].(map[string]any)["code"].(string)] = ag
		}
		require.Contains(t, agencies, "CSDT-33", "the provincial investigation police answer for the referrals")
		require.Equal(t, "intake", agencies["CSDT-33"]["indicators"].([]any)[0].(map[string]any)["id"])

		ch := r.Body["children"].(map[string]any)
		require.EqualValues(t, 2, ch["total"], "A and B; C is 16, not a child in law")
		require.EqualValues(t, 1, ch["aged_16_17"])
		ages := map[string]float64{}
		for _, x := range ch["by_age_group"].([]any) {
			g := x.(map[string]any)
			ages[g["key"].(string)] = g["count"].(float64)
		}
		// A was born on 2 March 2015, so is 11 now; B is 6; C is 16.
		require.Equal(t, map[string]float64{"0-5": 0, "6-10": 1, "11-15": 1, "16-17": 1, "unknown": 0}, ages)
	})

	t.Run("ProvinceSupervisorSeesTheCommuneAmongItsUnits", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + q.Encode(), token: province, status: []int{200}})
		require.Equal(t, "33", r.Body["unit"].(map[string]any)["code"], "a supervisor's own unit by default")
		require.Equal(t, "2025", r.Body["structure"])
		units := r.Body["units"].([]any)
		require.ElementsMatch(t, cmpCommunes(t, "33", today), cmpUnitNames(r.Body), "the communes of the province today")
		var mine map[string]any
		for _, x := range units {
			u := x.(map[string]any)
			require.Equal(t, "commune", u["unit"].(map[string]any)["level"])
			if u["unit"].(map[string]any)["code"] == cmpCommune {
				mine = u
			}
		}
		require.NotNil(t, mine, "the commune is one of the province's units")
		require.Equal(t, cmpCommuneName, mine["unit"].(map[string]any)["name"])
		require.Equal(t, "1/2", cmpFraction(mine["indicators"].([]any)[0].(map[string]any)))

		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + commune, token: province, status: []int{200}})
		require.Equal(t, cmpCommune, r.Body["unit"].(map[string]any)["code"])
		require.Equal(t, "1/2", cmpFraction(cmpFigures(t, r.Body)["intake"]))
		require.Empty(t, r.Body["units"], "a commune has no units below it")
	})

	t.Run("TheDistrictOnTheEarlierStructure", func(t *testing.T) {
		// Phù Cừ (333) was a district until 30 June 2025; its figures are
		// read on the 2021 structure for a period that structure covered.
		june := url.Values{"from": {"2025-06-01"}, "to": {"2025-06-30"}, "unit": {"333"}, "structure": {"2021"}}
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + june.Encode(), token: province, status: []int{200}})
		require.Equal(t, "333", r.Body["unit"].(map[string]any)["code"])
		require.Equal(t, "district", r.Body["unit"].(map[string]any)["level"])
		require.Equal(t, "2021", r.Body["structure"])
		require.Equal(t, "0/0", cmpFraction(cmpFigures(t, r.Body)["intake"]), "the cases of today are not in June 2025")
		require.Subset(t, cmpUnitNames(r.Body), cmpCommunes(t, "333", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)),
			"every commune of Phù Cừ in June 2025 is a unit of the district's report")

		t.Run("OnlyTheCommunesOfThePeriod", func(t *testing.T) {
			// Xã Tiền Tiến and Xã Minh Tiến ended on 30 November 2024, merged
			// into Xã Tiên Tiến (which kept the code 12424): they are no units
			// of a report for June 2025.
			require.ElementsMatch(t, cmpCommunes(t, "333", time.Date(2025, 6, 30, 0, 0, 0, 0, time.UTC)), cmpUnitNames(r.Body),
				"the communes of Phù Cừ in June 2025")
		})

		t.Run("NotForAPeriodAfterItEnded", func(t *testing.T) {
			r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + with("unit", "333", "structure", "2021"),
				token: province, status: []int{422}})
			e := r.Body["error"].(map[string]any)
			require.Contains(t, e["fields"], "structure")
			require.Equal(t, "outside_structure", e["field_codes"].(map[string]any)["structure"], "the 2021 structure ended on 30 June 2025")
		})

		t.Run("NoDistrictInTodaysStructure", func(t *testing.T) {
			r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + with("unit", "333"), token: province, status: []int{422}})
			_, fields := errorOf(t, response{Body: r.Body})
			require.Contains(t, fields, "unit", "a district is not a unit of today's structure")
		})
	})

	t.Run("ScopeRules", func(t *testing.T) {
		for _, tc := range []struct {
			name, token, unit string
			status            int
		}{
			{"ProvinceSupervisorTheCommune", province, cmpCommune, 200},
			{"CommuneOfficerOwnCommune", officer, cmpCommune, 200},
			{"CommuneOfficerDefault", officer, "", 200},
			{"CommuneOfficerAnotherCommune", officer, cmpOtherCommune, 403},
			{"CommuneOfficerTheProvince", officer, "33", 403},
			{"AnotherCommuneOfficer", other, cmpCommune, 403},
			{"Police", police, cmpCommune, 403},
			{"Prosecutor", login(t, "prosecutor1"), "", 403},
			{"Administrator", login(t, "admin1"), "", 403},
			{"UnknownUnit", province, "99999", 422},
		} {
			t.Run(tc.name, func(t *testing.T) {
				path := "/api/v1/compliance?" + q.Encode()
				if tc.unit != "" {
					path = "/api/v1/compliance?" + with("unit", tc.unit)
				}
				r := oaRun(t, oaExchange{method: http.MethodGet, path: path, token: tc.token, status: []int{tc.status}})
				if tc.status == 200 {
					require.Equal(t, "1/2", cmpFraction(cmpFigures(t, r.Body)["intake"]))
				}
			})
		}
		t.Run("AnotherCommuneSeesNoneOfTheseCases", func(t *testing.T) {
			r := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+q.Encode(), other, nil)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
			require.Equal(t, cmpOtherCommune, r.Body["unit"].(map[string]any)["code"])
			for _, code := range []string{a, b, c} {
				require.NotContains(t, string(r.Raw), code)
			}
		})
		t.Run("WithoutToken", func(t *testing.T) {
			oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance", status: []int{401}})
		})
	})

	t.Run("PeriodValidation", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2026-02-30", token: province, status: []int{422},
			outOfContract: true})
		_, fields := errorOf(t, response{Body: r.Body})
		require.Contains(t, fields, "from")
		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2026-03-01&to=2026-02-01", token: province, status: []int{422}})
		_, fields = errorOf(t, response{Body: r.Body})
		require.Contains(t, fields, "to")
		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2000-01-01&to=2026-02-01", token: province, status: []int{422}})
		_, fields = errorOf(t, response{Body: r.Body})
		require.Equal(t, "the period is longer than 3660 days", fields["to"])
	})

	t.Run("DrillDownListsCodesWithoutPersonalData", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + commune, token: province, status: []int{200}})
		cases := r.Body["cases"].([]any)
		require.Len(t, cases, 2)
		accepted, states := map[string]bool{}, map[string]string{}
		for _, x := range cases {
			it := x.(map[string]any)
			accepted[it["code"].(string)] = it["in_numerator"].(bool)
			states[it["code"].(string)] = it["state"].(string)
			require.Equal(t, "CSDT-33", it["agency_code"])
			require.Equal(t, cmpCommune, it["commune"].(map[string]any)["code"])
			require.Equal(t, "transfer_to_police", it["clock"])
		}
		require.Equal(t, map[string]bool{a: true, b: false}, accepted)
		require.Equal(t, map[string]string{a: "police", b: "received"}, states, "B went back to the commune")
		for _, banned := range []string{"Trẻ Hư Cấu", "full_name", "narrative", "date_of_birth", "Câu chuyện"} {
			require.NotContains(t, string(r.Raw), banned)
		}

		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", cmpCommune, "part", "missed"),
			token: province, status: []int{200}})
		require.Len(t, r.Body["cases"], 1)
		require.Equal(t, b, r.Body["cases"].([]any)[0].(map[string]any)["code"])
		require.Equal(t, "missed", r.Body["part"])

		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", cmpCommune, "limit", "1"),
			token: province, status: []int{200}})
		require.Len(t, r.Body["cases"], 1)
		next := r.Body["next_cursor"].(string)
		r2 := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+with("unit", cmpCommune, "limit", "1", "cursor", next), province, nil)
		require.Equal(t, http.StatusOK, r2.Status, string(r2.Raw))
		require.Len(t, r2.Body["cases"], 1)
		require.NotEqual(t, r.Body["cases"].([]any)[0].(map[string]any)["code"], r2.Body["cases"].([]any)[0].(map[string]any)["code"])

		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/breaches/cases?" + with("unit", cmpCommune, "agency", "CSDT-33"),
			token: province, status: []int{200}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", cmpCommune, "agency", "NO-SUCH"),
			token: province, status: []int{422}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", cmpCommune, "part", "half"),
			token: province, status: []int{422}, outOfContract: true})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", cmpOtherCommune),
			token: officer, status: []int{403}})
		nf := call(t, http.MethodGet, "/api/v1/compliance/no_such_indicator/cases", province, nil)
		require.Equal(t, http.StatusNotFound, nf.Status, string(nf.Raw))
		bad := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+with("unit", cmpCommune, "cursor", "bm90LWEtY3Vyc29y"), province, nil)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Raw))

		// A commune officer sees the same cases of their commune.
		own := call(t, http.MethodGet, "/api/v1/compliance/intake/cases", officer, nil)
		require.Equal(t, http.StatusOK, own.Status, string(own.Raw))
		require.Len(t, own.Body["cases"], 2)
	})

	t.Run("CSVExport", func(t *testing.T) {
		before := cmpAuditCount(t)
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.csv?" + commune, token: province, status: []int{200}})
		require.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
		require.Equal(t, fmt.Sprintf(`attachment; filename="bao-cao-chi-tieu-%s-%s-%s.csv"`, cmpCommune, q.Get("from"), q.Get("to")),
			r.Header.Get("Content-Disposition"))
		require.True(t, bytes.HasPrefix(r.Raw, []byte("\xef\xbb\xbf")), "UTF-8 byte-order mark")
		rows, err := csv.NewReader(bytes.NewReader(r.Raw[3:])).ReadAll()
		require.NoError(t, err)
		require.Equal(t, "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ PHÒNG CHỐNG XÂM HẠI TRẺ EM", rows[0][0])
		require.Contains(t, string(r.Raw), fmt.Sprintf("Đơn vị: %s (mã %s)", cmpCommuneName, cmpCommune))
		intake := cmpRow(rows, 1, "Tỷ lệ tin báo được cơ quan công an thụ lý")
		require.Equal(t, []string{"1", "2", "50,0%", "100%", "Không đạt"}, intake[2:7])
		require.Equal(t, []string{"Nữ", "1"}, cmpRow(rows, 0, "Nữ")[:2], "A; C, aged 16, is counted apart")
		require.NotContains(t, string(r.Raw), "Trẻ Hư Cấu", "no personal data in the report")
		require.Equal(t, before+1, cmpAuditCount(t), "the export is audited")

		// The province's report lists the commune among its units.
		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.csv?" + q.Encode(), token: province, status: []int{200}})
		rows, err = csv.NewReader(bytes.NewReader(r.Raw[3:])).ReadAll()
		require.NoError(t, err)
		require.Contains(t, string(r.Raw), "Đơn vị: Tỉnh Hưng Yên (mã 33)")
		row := cmpRow(rows, 0, cmpCommuneName)
		require.NotNil(t, row, "the commune is a row of the province's units")
		require.Contains(t, row[1], "(1/2)", "the commune's intake figure")
		require.NotContains(t, string(r.Raw), "Trẻ Hư Cấu", "no personal data in the report")
		require.Equal(t, before+2, cmpAuditCount(t), "the export is audited")
	})

	t.Run("TheNotMetBadgeLinksToTheFailingIndicator", func(t *testing.T) {
		page := webAs(t, "cmp.officer12391").get("/dashboard?" + q.Encode())
		require.Equal(t, http.StatusOK, page.Status)
		require.Contains(t, page.Body, `<a class="badge bad" href="#ind-intake">`, "intake (1/2) is the first indicator not met")
		require.Contains(t, page.Body, `id="ind-intake"`)
	})

	t.Run("PDFExport", func(t *testing.T) {
		before := cmpAuditCount(t)
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.pdf?" + commune, token: officer,
			status: []int{200}})
		require.Equal(t, "application/pdf", r.Header.Get("Content-Type"))
		require.True(t, bytes.HasPrefix(r.Raw, []byte("%PDF-")))
		require.Equal(t, fmt.Sprintf(`attachment; filename="bao-cao-chi-tieu-%s-%s-%s.pdf"`, cmpCommune, q.Get("from"), q.Get("to")),
			r.Header.Get("Content-Disposition"))
		require.Equal(t, before+1, cmpAuditCount(t), "the export is audited")
	})

	t.Run("XLSXExport", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.xlsx?" + commune, token: officer,
			status: []int{200}})
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.Header.Get("Content-Type"))
		f, err := excelize.OpenReader(bytes.NewReader(r.Raw))
		require.NoError(t, err)
		defer f.Close()
		require.Equal(t, []string{"Báo cáo"}, f.GetSheetList(), "a commune has no sheet of units")
		rows, err := f.GetRows("Báo cáo")
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("Đơn vị: %s (mã %s)", cmpCommuneName, cmpCommune), rows[2][0])
		intake := cmpRow(rows, 1, "Tỷ lệ tin báo được cơ quan công an thụ lý")
		require.Equal(t, []string{"1", "2", "50.0%", "100%", "Không đạt"}, intake[2:7])
		require.Equal(t, "Chưa có số liệu", cmpRow(rows, 1, "Tỷ lệ giải quyết tin báo về tội phạm")[6])

		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.xlsx?" + with("unit", "33"), token: officer,
			status: []int{403}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.csv", token: police, status: []int{403}})
	})
}

// cmpCommunes lists, as "code name", the communes under the unit with code
// (the province, or a district of the 2021 structure) on the day of d in
// the province, from the seeds.
func cmpCommunes(t *testing.T, code string, d time.Time) []string {
	t.Helper()
	y, m, dd := d.Date()
	d = time.Date(y, m, dd, 0, 0, 0, 0, time.UTC) // seed files write days
	provinces, err := seeds.Provinces()
	require.NoError(t, err)
	require.NotEmpty(t, provinces)
	p := provinces[0]
	parent := p.UnitAt(code, d)
	require.NotNil(t, parent, "no unit %s on %s", code, d.Format(seeds.DateLayout))
	var out []string
	for _, u := range p.Units {
		if u.Level != "commune" || !u.ValidOn(d) {
			continue
		}
		for k := u.ParentKey; k != ""; {
			if k == parent.Key() {
				out = append(out, u.Code+" "+u.Name)
				break
			}
			up := p.Unit(k)
			if up == nil {
				break
			}
			k = up.ParentKey
		}
	}
	require.NotEmpty(t, out)
	return out
}

// cmpUnitNames lists, as "code name", the units of a compliance report.
func cmpUnitNames(body map[string]any) []string {
	var out []string
	for _, x := range body["units"].([]any) {
		u := x.(map[string]any)["unit"].(map[string]any)
		out = append(out, fmt.Sprint(u["code"], " ", u["name"]))
	}
	return out
}

// cmpRow finds the row with a value at a column.
func cmpRow(rows [][]string, col int, value string) []string {
	for _, r := range rows {
		if len(r) > col && r[col] == value {
			return r
		}
	}
	return nil
}

func cmpAuditCount(t *testing.T) int {
	t.Helper()
	out, err := env.db.QueryStrings(context.Background(), "SELECT count(*)::text FROM audit_log WHERE action = 'compliance.export'")
	require.NoError(t, err)
	var n int
	_, err = fmt.Sscan(out[0], &n)
	require.NoError(t, err)
	return n
}

func hcmZone(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("Asia/Ho_Chi_Minh")
	require.NoError(t, err)
	return loc
}
