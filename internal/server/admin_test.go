package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

func TestAccountAdministration(t *testing.T) {
	admin := login(t, "admin1")
	name := "canbo" + testenv.Suffix()

	t.Run("OnlyAdministratorsManageAccounts", func(t *testing.T) {
		r := call(t, http.MethodGet, "/api/v1/admin/users", login(t, "supervisor1"), nil)
		require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))
	})
	t.Run("BadAccountsAreRefusedNamingTheField", func(t *testing.T) {
		for field, body := range map[string]map[string]any{
			"username":    {"username": "X!", "role": "police", "agency_code": "CSDT-33", "password": "mat-khau-dai-1"},
			"role":        {"username": name, "role": "chief", "agency_code": "CSDT-33", "password": "mat-khau-dai-1"},
			"password":    {"username": name, "role": "police", "agency_code": "CSDT-33", "password": "short"},
			"agency_code": {"username": name, "role": "police", "agency_code": "NO-SUCH", "password": "mat-khau-dai-1"},
		} {
			r := call(t, http.MethodPost, "/api/v1/admin/users", admin, body)
			code, fields := errorOf(t, r)
			require.Equal(t, "invalid", code, field)
			require.Contains(t, fields, field)
		}
	})
	t.Run("AnAgencyThatNoLongerActsIsRefused", func(t *testing.T) {
		r := call(t, http.MethodPost, "/api/v1/admin/users", admin,
			map[string]any{"username": name, "role": "police", "agency_code": "CA-325", "password": "mat-khau-dai-1"})
		require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
		code, fields := errorOf(t, r)
		require.Equal(t, "invalid", code)
		require.Contains(t, fields, "agency_code")
		require.Equal(t, "agency_ended", r.Body["error"].(map[string]any)["field_codes"].(map[string]any)["agency_code"], string(r.Raw))
	})
	t.Run("ATakenUsernameIsAConflict", func(t *testing.T) {
		r := call(t, http.MethodPost, "/api/v1/admin/users", admin,
			map[string]any{"username": "officer1", "role": "police", "agency_code": "CSDT-33", "password": "mat-khau-dai-1"})
		require.Equal(t, http.StatusConflict, r.Status, string(r.Raw))
	})
	t.Run("ACreatedPoliceAccountReadsNothingUntilASecondAdministratorApproves", func(t *testing.T) {
		c := newWFCase(t)
		c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
		me := call(t, http.MethodGet, "/api/v1/me", login(t, "police1"), nil)
		agency := me.Body["agency"].(map[string]any)["code"].(string)
		r := call(t, http.MethodPost, "/api/v1/admin/users", admin,
			map[string]any{"username": name, "role": "police", "agency_code": agency, "password": "mat-khau-dai-1"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, true, r.Body["awaiting_approval"], string(r.Raw))
		grant := r.Body["pending_grant"].(map[string]any)
		id := int64(grant["id"].(float64))
		logIn := func() response {
			return call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": name, "password": "mat-khau-dai-1"})
		}
		require.Equal(t, http.StatusForbidden, logIn().Status, "logged in before a second administrator approved")
		approve := func(tok string) response {
			return call(t, http.MethodPost, "/api/v1/admin/grants/"+strconv.FormatInt(id, 10)+"/approve", tok, nil)
		}
		require.Equal(t, http.StatusForbidden, approve(admin).Status, "the administrator who asked approved it")
		require.Equal(t, http.StatusForbidden, logIn().Status)

		// A second administrator (its role reads no case, so it needs no
		// approval) sees the grant waiting and approves it.
		second := "quantri" + testenv.Suffix()
		r = call(t, http.MethodPost, "/api/v1/admin/users", admin,
			map[string]any{"username": second, "role": "admin", "agency_code": "UBND-33", "password": "mat-khau-dai-2"})
		require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
		require.Equal(t, false, r.Body["awaiting_approval"])
		r = call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": second, "password": "mat-khau-dai-2"})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		admin2 := r.Body["token"].(string)
		r = call(t, http.MethodGet, "/api/v1/admin/grants", admin2, nil)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Contains(t, string(r.Raw), `"username":"`+name+`"`)
		notified := countNotifications(t, "supervisor1", "role_granted", "Account "+name+" (")
		r = approve(admin2)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, "approved", r.Body["decision"])
		require.Equal(t, http.StatusConflict, approve(admin2).Status, "approved twice")
		require.Greater(t, countNotifications(t, "supervisor1", "role_granted", "Account "+name+" ("), notified, "the supervisors are not told")
		require.Positive(t, countAudit(t, "user.grant_approved"))

		r = logIn()
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		tok := r.Body["token"].(string)
		require.Equal(t, http.StatusOK, call(t, http.MethodGet, "/api/v1/cases/"+c.code, tok, nil).Status)

		r = call(t, http.MethodPatch, "/api/v1/admin/users/"+name, admin, map[string]any{"disabled": true})
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		require.Equal(t, true, r.Body["disabled"])
		require.Equal(t, http.StatusUnauthorized, call(t, http.MethodGet, "/api/v1/me", tok, nil).Status)
	})
	t.Run("AdministratorCannotDisableThemself", func(t *testing.T) {
		r := call(t, http.MethodPatch, "/api/v1/admin/users/admin1", admin, map[string]any{"disabled": true})
		_, fields := errorOf(t, r)
		require.Contains(t, fields, "disabled")
	})
}

func TestHolidayAdministration(t *testing.T) {
	admin := login(t, "admin1")
	r := call(t, http.MethodPut, "/api/v1/holidays/2027-06-01", login(t, "officer1"), map[string]string{"name": "Ngày thử"})
	require.Equal(t, http.StatusForbidden, r.Status, string(r.Raw))

	r = call(t, http.MethodPut, "/api/v1/holidays/2027-06-01", admin, map[string]string{"name": "Ngày nghỉ thử nghiệm"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	r = call(t, http.MethodGet, "/api/v1/holidays", admin, nil)
	require.Contains(t, string(r.Raw), `"2027-06-01"`)
	require.Contains(t, string(r.Raw), "Ngày nghỉ thử nghiệm")

	r = call(t, http.MethodPut, "/api/v1/holidays/2027-06-01", admin, map[string]string{"name": " "})
	_, fields := errorOf(t, r)
	require.Contains(t, fields, "name")

	require.Equal(t, http.StatusNoContent, call(t, http.MethodDelete, "/api/v1/holidays/2027-06-01", admin, nil).Status)
	require.Equal(t, http.StatusNotFound, call(t, http.MethodDelete, "/api/v1/holidays/2027-06-01", admin, nil).Status)
}

func TestMakeUpWorkingDays(t *testing.T) {
	admin := login(t, "admin1")
	// Saturday 8 January 2028: far from every date the other tests use.
	const sat, tue = "2028-01-08", "2028-01-04"
	t.Cleanup(func() { call(t, http.MethodDelete, "/api/v1/holidays/"+sat, admin, nil) })

	r := call(t, http.MethodPut, "/api/v1/holidays/"+sat, admin, map[string]any{"name": "Làm bù thử nghiệm", "working": true,
		"source": "Thông báo thử nghiệm"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Equal(t, true, r.Body["working"])

	r = call(t, http.MethodGet, "/api/v1/holidays", admin, nil)
	require.Equal(t, http.StatusOK, r.Status)
	found := false
	for _, h := range r.Body["holidays"].([]any) {
		m := h.(map[string]any)
		if m["date"] == sat {
			found = true
			require.Equal(t, true, m["working"])
			require.Equal(t, "Thông báo thử nghiệm", m["source"])
		}
		if m["date"] == "2026-01-10" {
			require.Equal(t, true, m["working"], "the seeded make-up Saturday of 2026")
		}
	}
	require.True(t, found)

	r = call(t, http.MethodPut, "/api/v1/holidays/"+tue, admin, map[string]any{"name": "Sai", "working": true})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	_, fields := errorOf(t, r)
	require.Contains(t, fields, "working")
	r = call(t, http.MethodPut, "/api/v1/holidays/2028-01-09", admin, map[string]any{"name": "Chủ nhật"})
	require.Equal(t, http.StatusUnprocessableEntity, r.Status, string(r.Raw))
	_, fields = errorOf(t, r)
	require.Contains(t, fields, "date", "a weekend is already a day off")
}

// countNotifications counts the notifications of a kind a user sees whose
// message names about (an account, a breach, a case): the list holds the
// newest hundred, so counting a kind alone could miss one in a busy test
// database.
func countNotifications(t *testing.T, user, kind, about string) int {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/notifications", login(t, user), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	n := 0
	for _, x := range r.Body["notifications"].([]any) {
		if m := x.(map[string]any); m["kind"] == kind && strings.Contains(m["message"].(string), about) {
			n++
		}
	}
	return n
}

// A suspected breach: recorded with the notice's fields, due 72 hours after
// detection; the supervisors are reminded at each point once, however often
// the job runs, until the notice is recorded as sent.
func TestADataBreachIsRemindedUntilNotified(t *testing.T) {
	admin := login(t, "admin1")
	bad := call(t, http.MethodPost, "/api/v1/admin/breaches", admin, map[string]any{"detected_at": "2099-01-01T00:00:00+07:00", "description": " "})
	code, fields := errorOf(t, bad)
	require.Equal(t, "invalid", code)
	require.Contains(t, fields, "detected_at")
	require.Contains(t, fields, "description")
	require.Equal(t, http.StatusForbidden, call(t, http.MethodPost, "/api/v1/admin/breaches", login(t, "supervisor1"),
		map[string]any{"detected_at": time.Now().Format(time.RFC3339), "description": "x"}).Status)

	detected := time.Now().Add(-50 * time.Hour).Truncate(time.Second)
	r := call(t, http.MethodPost, "/api/v1/admin/breaches", admin, map[string]any{"detected_at": detected.Format(time.RFC3339),
		"description": "Máy tính bảng của xã bị mất (hư cấu)", "data_categories": []string{"identity", "case_narrative"},
		"subjects_estimate": 3, "measures": "Khóa tài khoản, đổi khóa", "contact": "Cán bộ bảo vệ dữ liệu tỉnh"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	id := int64(r.Body["id"].(float64))
	due, err := time.Parse(time.RFC3339, r.Body["notify_due_at"].(string))
	require.NoError(t, err)
	require.WithinDuration(t, detected.Add(72*time.Hour), due, time.Second)
	stored, err := env.db.QueryStrings(context.Background(), `SELECT description_enc FROM data_breaches WHERE id = ?`, id)
	require.NoError(t, err)
	require.NotContains(t, stored[0], "Máy tính bảng", "the description is stored in the clear")

	before := countNotifications(t, "supervisor1", "data_breach", fmt.Sprintf("breach %d:", id))
	for range 3 {
		_, err := env.db.DB.RemindBreaches(context.Background())
		require.NoError(t, err)
	}
	// 50 hours after detection: the 24-hour and 48-hour points have passed;
	// one reminder says so, however often the job ran.
	require.Equal(t, before+1, countNotifications(t, "supervisor1", "data_breach", fmt.Sprintf("breach %d:", id)))

	require.Equal(t, http.StatusUnprocessableEntity, call(t, http.MethodPost, fmt.Sprintf("/api/v1/admin/breaches/%d/notified", id), admin,
		map[string]any{"authority_reference": ""}).Status)
	r = call(t, http.MethodPost, fmt.Sprintf("/api/v1/admin/breaches/%d/notified", id), admin, map[string]any{"authority_reference": "CV-12/2026 (hư cấu)"})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.NotNil(t, r.Body["notified_at"])
	require.Equal(t, http.StatusConflict, call(t, http.MethodPost, fmt.Sprintf("/api/v1/admin/breaches/%d/notified", id), admin,
		map[string]any{"authority_reference": "again"}).Status)
	require.NoError(t, env.db.Exec(context.Background(), `UPDATE data_breaches SET detected_at = detected_at - interval '30 hours' WHERE id = ?`, id))
	_, err = env.db.DB.RemindBreaches(context.Background())
	require.NoError(t, err)
	require.Equal(t, before+1, countNotifications(t, "supervisor1", "data_breach", fmt.Sprintf("breach %d:", id)), "reminded after the notice was sent")
	list := call(t, http.MethodGet, "/api/v1/admin/breaches", admin, nil)
	require.Equal(t, http.StatusOK, list.Status)
	require.Contains(t, string(list.Raw), "CV-12/2026")
}
