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
)

// The compliance tests work in district 333 (Phù Cừ), commune 12030, where no
// other test files reports, so that every figure can be worked out from the
// cases filed here.

// cmpUsers creates the compliance tests' accounts once for the package.
var cmpUsers struct {
	once sync.Once
	err  error
}

// cmpSetUp creates the accounts of the compliance tests: the commune officer
// and police of Phù Cừ, and the supervisors of districts 333 and 325.
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
			{"cmp.officer12030", "CP-12030", caseflow.RoleCommuneOfficer},
			{"cmp.police333", "CA-333", caseflow.RolePolice},
			{"cmp.sup333", "LD-333", caseflow.RoleSupervisor},
			{"cmp.sup325", "LD-325", caseflow.RoleSupervisor},
		} {
			if err := env.db.DB.SeedUser(context.Background(), u.name, "Tài khoản kiểm thử", u.role, u.agency, hash); err != nil {
				cmpUsers.err = err
				return
			}
		}
	})
	require.NoError(t, cmpUsers.err)
}

// cmpReport is an intake body for commune 12030 received three hours ago.
func cmpReport(child map[string]any) map[string]any {
	name := fmt.Sprintf("Trẻ Hư Cấu Phù Cừ %s", testenv.Suffix())
	remember(name)
	child["full_name"] = name
	return map[string]any{
		"received_at": time.Now().Add(-3 * time.Hour).Format(time.RFC3339), "channel": "hotline_111", "commune_code": "12030",
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
	officer, police := login(t, "cmp.officer12030"), login(t, "cmp.police333")
	sup333, sup325, province := login(t, "cmp.sup333"), login(t, "cmp.sup325"), login(t, "supervisor1")

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
	with := func(k, v string) string {
		qq := url.Values{}
		for key, vals := range q {
			qq[key] = vals
		}
		qq.Set(k, v)
		return qq.Encode()
	}

	t.Run("FiguresOfTheDistrict", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?" + q.Encode(), token: sup333, status: []int{200}})
		require.Equal(t, "333", r.Body["unit"].(map[string]any)["code"], "a supervisor's own unit by default")
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
		require.Equal(t, "3/0", cmpFraction(ind["yoy_change"]), "three cases against none a year earlier")
		require.Nil(t, ind["yoy_change"]["value"])

		units := r.Body["units"].([]any)
		require.Len(t, units, 3, "the communes of Phù Cừ")
		first := units[0].(map[string]any)
		require.Equal(t, "12030", first["unit"].(map[string]any)["code"])
		require.Equal(t, "1/2", cmpFraction(first["indicators"].([]any)[0].(map[string]any)))

		agencies := map[string]map[string]any{}
		for _, x := range r.Body["agencies"].([]any) {
			ag := x.(map[string]any)
			agencies[ag["agency"].(map[string]any)["code"].(string)] = ag
		}
		require.Contains(t, agencies, "CA-333", "the police answer for the referrals")
		require.Equal(t, "intake", agencies["CA-333"]["indicators"].([]any)[0].(map[string]any)["id"])

		ch := r.Body["children"].(map[string]any)
		require.EqualValues(t, 3, ch["total"])
		ages := map[string]float64{}
		for _, x := range ch["by_age_group"].([]any) {
			g := x.(map[string]any)
			ages[g["key"].(string)] = g["count"].(float64)
		}
		// A was born on 2 March 2015, so is 11 now; B is 6; C is 16.
		require.Equal(t, map[string]float64{"0-5": 0, "6-10": 1, "11-15": 1, "16-17": 1, "unknown": 0}, ages)
	})

	t.Run("ProvinceSupervisorSeesTheDistrictAndItsCommune", func(t *testing.T) {
		r := call(t, http.MethodGet, "/api/v1/compliance?"+with("unit", "12030"), province, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "1/2", cmpFraction(cmpFigures(t, r.Body)["intake"]))
		require.Empty(t, r.Body["units"], "a commune has no units below it")
	})

	t.Run("ScopeRules", func(t *testing.T) {
		for _, tc := range []struct {
			name, token, unit string
			status            int
		}{
			{"DistrictSupervisorOwnCommune", sup333, "12030", 200},
			{"DistrictSupervisorAnotherDistrict", sup333, "325", 403},
			{"DistrictSupervisorTheProvince", sup333, "33", 403},
			{"OtherDistrictSupervisor", sup325, "333", 403},
			{"OtherDistrictSupervisorTheCommune", sup325, "12030", 403},
			{"CommuneOfficerOwnCommune", officer, "12030", 200},
			{"CommuneOfficerDefault", officer, "", 200},
			{"CommuneOfficerTheDistrict", officer, "333", 403},
			{"AnotherCommuneOfficer", login(t, "officer1"), "12030", 403},
			{"Police", police, "333", 403},
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
		t.Run("OtherDistrictSeesNoneOfTheseCases", func(t *testing.T) {
			r := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+q.Encode(), sup325, nil)
			require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
			require.Equal(t, "325", r.Body["unit"].(map[string]any)["code"])
			for _, code := range []string{a, b, c} {
				require.NotContains(t, string(r.Raw), code)
			}
		})
		t.Run("WithoutToken", func(t *testing.T) {
			oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance", status: []int{401}})
		})
	})

	t.Run("PeriodValidation", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2026-02-30", token: sup333, status: []int{422},
			outOfContract: true})
		_, fields := errorOf(t, response{Body: r.Body})
		require.Contains(t, fields, "from")
		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2026-03-01&to=2026-02-01", token: sup333, status: []int{422}})
		_, fields = errorOf(t, response{Body: r.Body})
		require.Contains(t, fields, "to")
		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance?from=2000-01-01&to=2026-02-01", token: sup333, status: []int{422}})
		_, fields = errorOf(t, response{Body: r.Body})
		require.Equal(t, "the period is longer than 3660 days", fields["to"])
	})

	t.Run("DrillDownListsCodesWithoutPersonalData", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + q.Encode(), token: sup333, status: []int{200}})
		cases := r.Body["cases"].([]any)
		require.Len(t, cases, 2)
		accepted, states := map[string]bool{}, map[string]string{}
		for _, x := range cases {
			it := x.(map[string]any)
			accepted[it["code"].(string)] = it["in_numerator"].(bool)
			states[it["code"].(string)] = it["state"].(string)
			require.Equal(t, "CA-333", it["agency_code"])
			require.Equal(t, "12030", it["commune"].(map[string]any)["code"])
			require.Equal(t, "transfer_to_police", it["clock"])
		}
		require.Equal(t, map[string]bool{a: true, b: false}, accepted)
		require.Equal(t, map[string]string{a: "police", b: "received"}, states, "B went back to the commune")
		for _, banned := range []string{"Trẻ Hư Cấu", "full_name", "narrative", "date_of_birth", "Câu chuyện"} {
			require.NotContains(t, string(r.Raw), banned)
		}

		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("part", "missed"),
			token: sup333, status: []int{200}})
		require.Len(t, r.Body["cases"], 1)
		require.Equal(t, b, r.Body["cases"].([]any)[0].(map[string]any)["code"])
		require.Equal(t, "missed", r.Body["part"])

		r = oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("limit", "1"),
			token: sup333, status: []int{200}})
		require.Len(t, r.Body["cases"], 1)
		next := r.Body["next_cursor"].(string)
		r2 := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+with("cursor", next), sup333, nil)
		require.Equal(t, http.StatusOK, r2.Status, string(r2.Raw))
		require.Len(t, r2.Body["cases"], 1)
		require.NotEqual(t, r.Body["cases"].([]any)[0].(map[string]any)["code"], r2.Body["cases"].([]any)[0].(map[string]any)["code"])

		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/breaches/cases?" + with("agency", "CA-333"),
			token: sup333, status: []int{200}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("agency", "NO-SUCH"),
			token: sup333, status: []int{422}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("part", "half"),
			token: sup333, status: []int{422}, outOfContract: true})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/intake/cases?" + with("unit", "325"),
			token: sup333, status: []int{403}})
		nf := call(t, http.MethodGet, "/api/v1/compliance/no_such_indicator/cases", sup333, nil)
		require.Equal(t, http.StatusNotFound, nf.Status, string(nf.Raw))
		bad := call(t, http.MethodGet, "/api/v1/compliance/intake/cases?"+with("cursor", "bm90LWEtY3Vyc29y"), sup333, nil)
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, string(bad.Raw))

		// A commune officer sees the same cases of their commune.
		own := call(t, http.MethodGet, "/api/v1/compliance/intake/cases", officer, nil)
		require.Equal(t, http.StatusOK, own.Status, string(own.Raw))
		require.Len(t, own.Body["cases"], 2)
	})

	t.Run("CSVExport", func(t *testing.T) {
		before := cmpAuditCount(t)
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.csv?" + q.Encode(), token: sup333, status: []int{200}})
		require.Equal(t, "text/csv; charset=utf-8", r.Header.Get("Content-Type"))
		require.Equal(t, fmt.Sprintf(`attachment; filename="bao-cao-chi-tieu-333-%s-%s.csv"`, q.Get("from"), q.Get("to")),
			r.Header.Get("Content-Disposition"))
		require.True(t, bytes.HasPrefix(r.Raw, []byte("\xef\xbb\xbf")), "UTF-8 byte-order mark")
		rows, err := csv.NewReader(bytes.NewReader(r.Raw[3:])).ReadAll()
		require.NoError(t, err)
		require.Equal(t, "BÁO CÁO KẾT QUẢ THỰC HIỆN CÁC CHỈ TIÊU VỀ PHÒNG CHỐNG XÂM HẠI TRẺ EM", rows[0][0])
		require.Contains(t, string(r.Raw), "Đơn vị: Huyện Phù Cừ (mã 333)")
		intake := cmpRow(rows, 1, "Tỷ lệ tin báo được cơ quan công an thụ lý")
		require.Equal(t, []string{"1", "2", "50,0%", "100%", "Không đạt"}, intake[2:7])
		require.Equal(t, []string{"Thị trấn Trần Cao"}, cmpRow(rows, 0, "Thị trấn Trần Cao")[:1])
		require.Equal(t, []string{"Nữ", "2"}, cmpRow(rows, 0, "Nữ")[:2])
		require.NotContains(t, string(r.Raw), "Trẻ Hư Cấu", "no personal data in the report")
		require.Equal(t, before+1, cmpAuditCount(t), "the export is audited")
	})

	t.Run("XLSXExport", func(t *testing.T) {
		r := oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.xlsx?" + with("unit", "12030"), token: officer,
			status: []int{200}})
		require.Equal(t, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", r.Header.Get("Content-Type"))
		f, err := excelize.OpenReader(bytes.NewReader(r.Raw))
		require.NoError(t, err)
		defer f.Close()
		require.Equal(t, []string{"Báo cáo"}, f.GetSheetList(), "a commune has no sheet of units")
		rows, err := f.GetRows("Báo cáo")
		require.NoError(t, err)
		require.Equal(t, "Đơn vị: Thị trấn Trần Cao (mã 12030)", rows[2][0])
		intake := cmpRow(rows, 1, "Tỷ lệ tin báo được cơ quan công an thụ lý")
		require.Equal(t, []string{"1", "2", "50.0%", "100%", "Không đạt"}, intake[2:7])
		require.Equal(t, "Chưa có số liệu", cmpRow(rows, 1, "Tỷ lệ giải quyết tin báo về tội phạm")[6])

		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.xlsx?" + with("unit", "333"), token: officer,
			status: []int{403}})
		oaRun(t, oaExchange{method: http.MethodGet, path: "/api/v1/compliance/export.csv", token: police, status: []int{403}})
	})
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
