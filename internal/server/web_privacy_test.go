package server_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// The privacy pages driven through their forms: the register of
// personal-data breaches, and the decisions on requests about a child's
// data on the case page.

// breachNotifiedAt reads when the notice of a breach was recorded, empty
// while it is not.
func breachNotifiedAt(t *testing.T, id string) string {
	t.Helper()
	out, err := env.db.QueryStrings(context.Background(), `SELECT coalesce(notified_at::text, '') FROM data_breaches WHERE id = ?`, id)
	require.NoError(t, err)
	require.Len(t, out, 1, "no breach %s", id)
	return out[0]
}

// countBreaches counts the recorded breaches.
func countBreaches(t *testing.T) int64 {
	t.Helper()
	out, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM data_breaches`)
	require.NoError(t, err)
	var n int64
	_, err = fmt.Sscan(out[0], &n)
	require.NoError(t, err)
	return n
}

func TestWebBreachRegister(t *testing.T) {
	admin := webAs(t, "admin1")
	description := fmt.Sprintf("Thẻ nhớ của phòng công tác xã hội bị thất lạc (hư cấu) %d", nextSeq())

	t.Run("LinkedFromTheAdministratorsNavigation", func(t *testing.T) {
		users := admin.get("/admin/users")
		require.Equal(t, http.StatusOK, users.Status)
		nav := users.Body[strings.Index(users.Body, "<nav"):]
		nav = nav[:strings.Index(nav, "</nav>")]
		require.Regexp(t, `href="/admin/users"[^<]*>[^<]*</a></li>\s*<li><a href="/admin/breaches"`, nav, "the register is not next to the users page")
		p := admin.get("/admin/breaches")
		require.Equal(t, http.StatusOK, p.Status)
		requireSecurityHeaders(t, "/admin/breaches", p)
		require.Contains(t, p.Body, `href="/admin/breaches" aria-current="page"`)
		require.Contains(t, p.Body, `action="/admin/breaches"`)
		requireNoMissingWords(t, p.Body)
		require.NotRegexp(t, `\bbreach\.[a-z_]+`, p.Body, "a text is missing from the dictionary")
		en := admin.getIn("en", "/admin/breaches")
		require.Contains(t, en.Body, "Register of personal-data breaches")
		require.NotRegexp(t, `\bbreach\.[a-z_]+`, en.Body)
	})

	t.Run("BadInputIsShownAgainAndWritesNothing", func(t *testing.T) {
		before := countBreaches(t)
		p := admin.post("/admin/breaches", url.Values{"detected_at": {time.Now().Add(48 * time.Hour).In(caseflow.Zone).Format("2006-01-02T15:04")},
			"description": {" "}, "data_categories": {"identity", "health"}, "measures": {"Đổi mật khẩu các tài khoản (hư cấu)"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
		require.Contains(t, p.Body, `id="b-detected_at-err">Thời điểm này ở tương lai.</span>`)
		require.Contains(t, p.Body, `id="b-description-err">Bắt buộc nhập.</span>`)
		require.Contains(t, p.Body, "Đổi mật khẩu các tài khoản (hư cấu)", "what was typed is kept")
		require.Contains(t, p.Body, `value="identity" checked`)
		require.Contains(t, p.Body, `value="health" checked`)
		require.NotContains(t, p.Body, `value="contact" checked`)

		// A count that is not a number is named before anything is stored,
		// even when the rest of the breach would be recorded.
		p = admin.post("/admin/breaches", url.Values{"detected_at": {time.Now().In(caseflow.Zone).Format("2006-01-02T15:04")},
			"description": {description}, "subjects_estimate": {"ba"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status, p.Body)
		require.Contains(t, p.Body, `id="b-subjects_estimate-err">Nhập một số nguyên.</span>`)
		require.Contains(t, p.Body, `value="ba"`)
		require.Equal(t, before, countBreaches(t), "a refused form recorded a breach")
	})

	t.Run("RecordedListedAndNotified", func(t *testing.T) {
		before := countBreaches(t)
		detected := time.Now().Add(-80 * time.Hour).In(caseflow.Zone).Truncate(time.Minute)
		p := admin.post("/admin/breaches", url.Values{"detected_at": {detected.Format("2006-01-02T15:04")}, "description": {description},
			"data_categories": {"identity", "contact"}, "subjects_estimate": {"4"}, "contact": {"Cán bộ bảo vệ dữ liệu tỉnh (hư cấu)"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		m := regexp.MustCompile(`^/admin/breaches\?msg=breach_recorded#breach-(\d+)$`).FindStringSubmatch(p.Location)
		require.NotNil(t, m, p.Location)
		id := m[1]
		require.Equal(t, before+1, countBreaches(t))

		page := admin.get(p.Location)
		require.Equal(t, http.StatusOK, page.Status)
		require.Contains(t, page.Body, "Đã ghi nhận sự cố.")
		item := page.Body[strings.Index(page.Body, `id="breach-`+id+`"`):]
		item = item[:strings.Index(item, "</li>")]
		require.Contains(t, item, description)
		require.Contains(t, item, "Phát hiện lúc "+detected.Format("02/01/2006 15:04"))
		require.Contains(t, item, detected.Add(72*time.Hour).Format("02/01/2006 15:04"), "the notice is due 72 hours after detection")
		require.Contains(t, item, `<span class="badge bad">Quá hạn thông báo</span>`)
		require.Contains(t, item, "Thông tin định danh (họ tên, ngày sinh), Địa chỉ, số điện thoại")
		require.Contains(t, item, `action="/admin/breaches/`+id+`/notified"`)

		// The notice needs its reference; refused, the form is open again.
		bad := admin.post("/admin/breaches/"+id+"/notified", url.Values{"authority_reference": {" "}})
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
		require.Contains(t, bad.Body, `<details class="action" open id="f-notify-`+id+`">`)
		require.Contains(t, bad.Body, `id="n`+id+`-authority_reference-err"`)
		require.Empty(t, breachNotifiedAt(t, id))

		ok := admin.post("/admin/breaches/"+id+"/notified", url.Values{"authority_reference": {"CV-7/2026 (hư cấu)"}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		require.Equal(t, "/admin/breaches?msg=breach_notified#breach-"+id, ok.Location)
		require.NotEmpty(t, breachNotifiedAt(t, id))
		page = admin.get(ok.Location)
		require.Contains(t, page.Body, "Đã ghi nhận việc thông báo")
		item = page.Body[strings.Index(page.Body, `id="breach-`+id+`"`):]
		item = item[:strings.Index(item, "</li>")]
		require.Contains(t, item, "CV-7/2026 (hư cấu)")
		require.Contains(t, item, "Đã thông báo lúc")
		require.NotContains(t, item, `/notified"`, "a notified breach still offers the notice form")

		// A second click is answered by the register, not an error page.
		again := admin.post("/admin/breaches/"+id+"/notified", url.Values{"authority_reference": {"CV-8/2026"}})
		require.Equal(t, http.StatusConflict, again.Status)
		require.Contains(t, again.Body, "đã được ghi nhận trước đó")
		require.Contains(t, again.Body, "CV-7/2026 (hư cấu)")

		// The API reads the same register.
		list := call(t, http.MethodGet, "/api/v1/admin/breaches", login(t, "admin1"), nil)
		require.Equal(t, http.StatusOK, list.Status)
		require.Contains(t, string(list.Raw), `"authority_reference":"CV-7/2026 (hư cấu)"`)
	})

	t.Run("OnlyAdministrators", func(t *testing.T) {
		before := countBreaches(t)
		for _, user := range []string{"officer1", "supervisor1"} {
			w := webAs(t, user)
			require.Equal(t, http.StatusForbidden, w.get("/admin/breaches").Status, user)
			p := w.post("/admin/breaches", url.Values{"detected_at": {time.Now().In(caseflow.Zone).Format("2006-01-02T15:04")}, "description": {description}})
			require.Equal(t, http.StatusForbidden, p.Status, user)
			require.Equal(t, http.StatusForbidden, w.post("/admin/breaches/1/notified", url.Values{"authority_reference": {"x"}}).Status, user)
			require.NotContains(t, w.get("/cases").Body, `href="/admin/breaches"`, user)
		}
		require.Equal(t, before, countBreaches(t))
		anon := newWebSession(t).get("/admin/breaches")
		require.Equal(t, http.StatusSeeOther, anon.Status)
		require.Equal(t, "/login?next=%2Fadmin%2Fbreaches", anon.Location)
	})
}

// addRequest records a request about a case's child's data through the API
// and returns its id.
func addRequest(t *testing.T, c *wfCase, kind string) string {
	t.Helper()
	requester := "Bố của trẻ (hư cấu)"
	remember(requester)
	r := call(t, http.MethodPost, c.path("/subject-requests"), login(t, "officer1"), map[string]any{"kind": kind,
		"requested_at": time.Now().Format(time.RFC3339), "requester": requester, "details": "Yêu cầu " + kind + " (hư cấu)"})
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	return fmt.Sprint(int64(r.Body["id"].(float64)))
}

// requestDecision reads a request's decision, empty while it is open.
func requestDecision(t *testing.T, id string) string {
	t.Helper()
	out, err := env.db.QueryStrings(context.Background(), `SELECT coalesce(decision, '') FROM subject_requests WHERE id = ?`, id)
	require.NoError(t, err)
	require.Len(t, out, 1, "no request %s", id)
	return out[0]
}

// requestItem cuts one request's entry out of a case page.
func requestItem(t *testing.T, body, id string) string {
	t.Helper()
	i := strings.Index(body, `<li id="req-`+id+`">`)
	require.GreaterOrEqual(t, i, 0, "request %s is not listed", id)
	item := body[i:]
	return item[:strings.Index(item, "</li>")]
}

func TestWebRequestsAboutTheChildsData(t *testing.T) {
	c := newWFCase(t)
	officer := webAs(t, "officer1")
	casePath := "/cases/" + c.code
	reqPath := func(id, s string) string { return casePath + "/subject-requests/" + id + s }

	t.Run("RefusedWithAReasonAndARefusalWithoutOneIsAFieldError", func(t *testing.T) {
		id := addRequest(t, c, "erasure")
		item := requestItem(t, officer.get(casePath).Body, id)
		require.Contains(t, item, `action="`+reqPath(id, "/approve")+`"`)
		require.Contains(t, item, `action="`+reqPath(id, "/refuse")+`"`)
		require.Contains(t, item, "Yêu cầu erasure (hư cấu)", "what was asked is shown to whom decides")

		bad := officer.post(reqPath(id, "/refuse"), url.Values{"reason": {" "}})
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
		require.Contains(t, bad.Body, `<details class="action" open id="f-request-`+id+`-refuse">`)
		require.Contains(t, bad.Body, `id="req-`+id+`-reason-err">Bắt buộc nhập.</span>`)
		require.Empty(t, requestDecision(t, id), "a refusal without a reason was recorded")

		reason := "Hồ sơ đang được điều tra (hư cấu)"
		ok := officer.post(reqPath(id, "/refuse"), url.Values{"reason": {reason}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		require.Equal(t, casePath+"?msg=req_refused&req="+id, ok.Location)
		require.Equal(t, caseflow.GrantRefused, requestDecision(t, id))
		page := officer.get(ok.Location)
		require.Contains(t, page.Body, "Đã từ chối yêu cầu và ghi lý do.")
		item = requestItem(t, page.Body, id)
		require.Contains(t, item, `<span class="badge ok">Đã từ chối</span>`)
		require.Contains(t, item, "Lý do: "+reason)
		require.Contains(t, item, "bởi officer1")
		require.NotContains(t, item, `action="`+reqPath(id, "/approve")+`"`, "a decided request offers a decision")

		// A second decision is explained on the case page.
		again := officer.post(reqPath(id, "/approve"), url.Values{})
		require.Equal(t, http.StatusConflict, again.Status)
		require.Contains(t, again.Body, "vừa được quyết định")
		require.Equal(t, caseflow.GrantRefused, requestDecision(t, id))
	})

	t.Run("TheServiceDecidesWhoMayDecide", func(t *testing.T) {
		id := addRequest(t, c, "access")
		sup := webAs(t, "supervisor1")
		require.NotContains(t, sup.get(casePath).Body, reqPath(id, "/approve"), "a supervisor is offered the decision")
		p := sup.post(reqPath(id, "/approve"), url.Values{})
		require.Equal(t, http.StatusForbidden, p.Status, p.Body)
		require.Equal(t, http.StatusForbidden, sup.get(reqPath(id, "/export")).Status)
		require.Equal(t, http.StatusNotFound, webAs(t, "officer2").post(reqPath(id, "/approve"), url.Values{}).Status)
		require.Empty(t, requestDecision(t, id))
	})

	t.Run("AnApprovedAccessRequestIsAnsweredWithTheFile", func(t *testing.T) {
		id := addRequest(t, c, "access")
		require.NotContains(t, requestItem(t, officer.get(casePath).Body, id), "/export", "an open request offers the file")
		early := officer.get(reqPath(id, "/export"))
		require.Equal(t, http.StatusUnprocessableEntity, early.Status, "exported before approval")

		ok := officer.post(reqPath(id, "/approve"), url.Values{})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		require.Equal(t, casePath+"?msg=req_approved&req="+id, ok.Location)
		require.Equal(t, caseflow.GrantApproved, requestDecision(t, id))
		page := officer.get(ok.Location)
		require.Contains(t, page.Body, "Đã chấp nhận yêu cầu.")
		require.Contains(t, requestItem(t, page.Body, id), `href="`+reqPath(id, "/export")+`" download`)

		audited := countAudit(t, "subject_request.export")
		x := officer.get(reqPath(id, "/export"))
		require.Equal(t, http.StatusOK, x.Status, x.Body)
		require.Equal(t, `attachment; filename="`+c.code+`-request-`+id+`.json"`, x.Header.Get("Content-Disposition"))
		require.Contains(t, x.Header.Get("Content-Type"), "application/json")
		require.Contains(t, x.Body, c.child())
		for _, v := range []string{c.suspect(), c.reporter(), c.body["narrative"].(string)} {
			require.NotContains(t, x.Body, v, "the file hands out a third party's data")
		}
		require.Equal(t, audited+1, countAudit(t, "subject_request.export"), "the download is not audited")
		api := call(t, http.MethodGet, c.path("/subject-requests/"+id+"/export"), login(t, "officer1"), nil)
		require.Equal(t, http.StatusOK, api.Status, string(api.Raw))
		require.Equal(t, string(api.Raw), x.Body, "the page and the API hand out different files")
		require.Contains(t, requestItem(t, officer.get(casePath).Body, id), "đã tải lúc")
	})

	t.Run("AnApprovedCorrectionRequestCorrectsTheChild", func(t *testing.T) {
		id := addRequest(t, c, "correction")
		newName := fmt.Sprintf("Bé Sửa Tên Trên Trang Hư Cấu %d", nextSeq())
		remember(newName)
		require.NotContains(t, requestItem(t, officer.get(casePath).Body, id), reqPath(id, "/correction"), "an open request offers the correction")
		early := officer.post(reqPath(id, "/correction"), url.Values{"child": {"0"}, "field": {"full_name"}, "value": {newName}})
		require.Equal(t, http.StatusUnprocessableEntity, early.Status, "corrected before approval")
		require.Contains(t, early.Body, `class="notice bad"`, "the refusal is not said")

		require.Equal(t, http.StatusSeeOther, officer.post(reqPath(id, "/approve"), url.Values{}).Status)
		item := requestItem(t, officer.get(casePath).Body, id)
		require.Contains(t, item, `action="`+reqPath(id, "/correction")+`"`)
		require.Contains(t, item, "Trẻ 1: "+c.child())

		bad := officer.post(reqPath(id, "/correction"), url.Values{"child": {"0"}, "field": {"full_name"}, "value": {" "}})
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
		require.Contains(t, bad.Body, `<details class="action" open id="f-request-`+id+`-correct">`)
		require.Contains(t, bad.Body, `id="req-`+id+`-value-err"`)

		ok := officer.post(reqPath(id, "/correction"), url.Values{"child": {"0"}, "field": {"full_name"}, "value": {newName}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		require.Equal(t, casePath+"?msg=corrected&req="+id, ok.Location)
		page := officer.get(ok.Location)
		require.Contains(t, page.Body, "Đã chỉnh sửa dữ liệu của trẻ")
		require.Contains(t, page.Body, newName)
		got := call(t, http.MethodGet, c.path(""), login(t, "officer1"), nil)
		require.Equal(t, newName, got.Body["children"].([]any)[0].(map[string]any)["full_name"])

		// A date of birth is typed as the page's other dates are.
		ok = officer.post(reqPath(id, "/correction"), url.Values{"child": {"0"}, "field": {"date_of_birth"}, "value": {"03/04/2015"}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		got = call(t, http.MethodGet, c.path(""), login(t, "officer1"), nil)
		require.Equal(t, "2015-04-03", got.Body["children"].([]any)[0].(map[string]any)["date_of_birth"])
	})
}
