package server_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// The officer's and the agencies' pages, driven through their forms.

func TestWebIntakeForm(t *testing.T) {
	w := webAs(t, "officer1")

	t.Run("ValidationMessagesNextToFields", func(t *testing.T) {
		form, _ := intakeForm(t, w)
		form.Del("c0_full_name")
		form.Set("c0_date_of_birth", "31/02/2015")
		form.Del("immediate_danger")
		form.Set("r_phone", "gọi tôi")
		before := countRows(t, "cases")
		p := w.post("/reports", form)
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Equal(t, before, countRows(t, "cases"))
		require.Contains(t, p.Body, `id="c0_full_name-err">Bắt buộc nhập.</span>`)
		require.Contains(t, p.Body, `id="c0_date_of_birth-err">Ngày không hợp lệ`)
		require.Contains(t, p.Body, `id="immediate_danger-err">Hãy chọn Có hoặc Không.</span>`)
		require.Contains(t, p.Body, `id="r_phone-err">Số điện thoại chỉ gồm`)
		require.Contains(t, p.Body, `aria-invalid="true"`)
		require.Contains(t, p.Body, `value="`+form.Get("idempotency_key")+`"`, "the same key on the form shown again")
		require.Contains(t, p.Body, form.Get("narrative"), "what was typed is kept")
		// The summary follows the form's steps: the child, what happened,
		// who reported.
		summary := p.Body[strings.Index(p.Body, `id="errors"`):]
		summary = summary[:strings.Index(summary, "</ul>")]
		var links []string
		for _, m := range regexp.MustCompile(`href="#([a-z0-9_]+)"`).FindAllStringSubmatch(summary, -1) {
			links = append(links, m[1])
		}
		require.Equal(t, []string{"c0_full_name", "c0_date_of_birth", "immediate_danger", "r_phone"}, links)
	})

	t.Run("AddAChildSlotWithoutJavaScript", func(t *testing.T) {
		form, _ := intakeForm(t, w)
		form.Set("op", "add_child")
		p := w.post("/reports", form)
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, `id="c3_full_name"`)
		require.Contains(t, p.Body, `name="children_n" value="4"`)
		require.Contains(t, p.Body, form.Get("c0_full_name"))
	})

	t.Run("DoubleSubmitFilesOneCase", func(t *testing.T) {
		form, names := intakeForm(t, w)
		before := countRows(t, "cases")
		first := w.post("/reports", form)
		second := w.post("/reports", form)
		require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
		require.Equal(t, http.StatusSeeOther, second.Status, second.Body)
		require.Equal(t, before+1, countRows(t, "cases"))
		c1, c2 := caseURLRE.FindStringSubmatch(first.Location), caseURLRE.FindStringSubmatch(second.Location)
		require.Equal(t, c1[1], c2[1])
		require.Contains(t, second.Location, "filed=again")
		for _, n := range names {
			require.NotContains(t, first.Location, url.QueryEscape(n), "no personal data in the address")
		}
		page := w.get(second.Location)
		require.Contains(t, page.Body, "không tạo thêm hồ sơ mới")

		changed := cloneValues(form)
		changed.Set("narrative", "Nội dung đã sửa sau khi mất kết nối")
		p := w.post("/reports", changed)
		require.Equal(t, http.StatusConflict, p.Status)
		require.Contains(t, p.Body, "đã được gửi và lưu trước đó")
		require.Equal(t, before+1, countRows(t, "cases"))
	})

	t.Run("PossibleDuplicateWarning", func(t *testing.T) {
		form, _ := intakeForm(t, w)
		first := fileByForm(t, w, form)
		again, _ := intakeForm(t, w)
		again.Set("c0_full_name", form.Get("c0_full_name"))
		p := w.post("/reports", again)
		require.Equal(t, http.StatusSeeOther, p.Status)
		require.Contains(t, p.Location, "dup="+first)
		page := w.get(p.Location)
		require.Contains(t, page.Body, "Có thể trùng tin báo.")
		require.Contains(t, page.Body, `href="/cases/`+first+`"`)
	})

	t.Run("OnlyOfficersFile", func(t *testing.T) {
		require.Equal(t, http.StatusForbidden, webAs(t, "police1").get("/reports/new").Status)
	})
}

func TestWebCaseList(t *testing.T) {
	w := webAs(t, "officer1")
	form, _ := intakeForm(t, w)
	code := fileByForm(t, w, form)
	require.Contains(t, w.get("/cases").Body, `href="/cases/`+code+`"`)
	require.Contains(t, w.get("/cases?state=received").Body, code)
	require.NotContains(t, w.get("/cases?state=closed").Body, code)
	// The form's report was received a while before it was filed; the
	// day it was received, in the province's zone, is what the filter reads.
	require.Contains(t, w.get("/cases?from="+form.Get("received_date")).Body, code)
	require.NotContains(t, w.get("/cases?to=2020-01-01").Body, code)
	bad := w.get("/cases?from=not-a-date")
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	require.Contains(t, bad.Body, "Ngày không hợp lệ")
	// The emergency-measures clock of a case received long ago is overdue.
	old, _ := intakeForm(t, w)
	old.Set("received_date", time.Now().AddDate(0, 0, -3).Format("2006-01-02"))
	oldCode := fileByForm(t, w, old)
	overdue := w.get("/cases?overdue=1").Body
	require.Contains(t, overdue, oldCode)
	require.NotContains(t, overdue, `href="/cases/`+code+`"`)
}

func TestWebCaseActions(t *testing.T) {
	officer, police := webAs(t, "officer1"), webAs(t, "police1")
	form, _ := intakeForm(t, officer)
	code := fileByForm(t, officer, form)
	page := officer.get("/cases/" + code)
	require.Contains(t, page.Body, "Áp dụng biện pháp khẩn cấp", "the emergency clock is shown")
	require.Contains(t, page.Body, "Nghị định 56/2017/NĐ-CP Điều 26.3", "with its legal basis")
	require.Contains(t, page.Body, "Tiếp nhận tin báo", "the intake is in the history")

	t.Run("RequiredFieldNamedInVietnamese", func(t *testing.T) {
		p := officer.post("/cases/"+code+"/events", url.Values{"event": {"refer_police"}, "version": {"1"}})
		require.Equal(t, http.StatusUnprocessableEntity, p.Status)
		require.Contains(t, p.Body, `id="ev-refer_police-remote_commune-err">Bắt buộc nhập.</span>`)
		require.Contains(t, p.Body, `<details class="action" open id="f-event-refer_police">`)
	})

	t.Run("StaleVersionIsExplained", func(t *testing.T) {
		p := officer.post("/cases/"+code+"/events", url.Values{"event": {"assess_risk"}, "version": {"1"}, "d_risk_level": {"high"}})
		require.Equal(t, http.StatusSeeOther, p.Status, p.Body)
		stale := officer.post("/cases/"+code+"/events", url.Values{"event": {"assess_risk"}, "version": {"1"}, "d_risk_level": {"low"}})
		require.Equal(t, http.StatusConflict, stale.Status)
		require.Contains(t, stale.Body, "một người khác đã cập nhật hồ sơ này")
		require.Contains(t, stale.Body, `<a class="button primary" href="/cases/`+code+`">Tải lại hồ sơ</a>`)
	})

	t.Run("AFormSentTwiceWithItsKeyActsOnce", func(t *testing.T) {
		// The page gives every form a key of its own.
		page := officer.get("/cases/" + code)
		keys := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]{32})"`).FindAllStringSubmatch(page.Body, -1)
		require.GreaterOrEqual(t, len(keys), 2)
		require.NotEqual(t, keys[0][1], keys[1][1])
		v := regexp.MustCompile(`name="event" value="assess_risk">\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(page.Body)
		require.NotNil(t, v)
		events := func() string {
			n, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM audit_log WHERE action = 'case.event' AND case_code = ?`, code)
			require.NoError(t, err)
			return n[0]
		}
		before := events()
		form := url.Values{"event": {"assess_risk"}, "version": {v[1]}, "d_risk_level": {"medium"}, "idempotency_key": {keys[0][1]}}
		first := officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
		again := officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusSeeOther, again.Status, "the answer the first got, not a stale version: %s", again.Body)
		require.Equal(t, first.Location, again.Location)
		n, _ := strconv.Atoi(before)
		require.Equal(t, strconv.Itoa(n+1), events(), "the event was applied once")
		// A form shown again with its errors is corrected and sent again
		// under the same key.
		key := keys[1][1]
		bad := officer.post("/cases/"+code+"/events", url.Values{"event": {"refer_police"}, "version": {nextVersion(t, v[1])}, "idempotency_key": {key}})
		require.Equal(t, http.StatusUnprocessableEntity, bad.Status, bad.Body)
		ok := officer.post("/cases/"+code+"/events", url.Values{"event": {"assess_risk"}, "version": {nextVersion(t, v[1])},
			"d_risk_level": {"low"}, "idempotency_key": {key}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
	})

	t.Run("AFormWhoseAnswerWasLostSaysItWasSaved", func(t *testing.T) {
		page := officer.get("/cases/" + code)
		keys := regexp.MustCompile(`name="idempotency_key" value="([0-9a-f]{32})"`).FindAllStringSubmatch(page.Body, -1)
		require.GreaterOrEqual(t, len(keys), 2)
		v := regexp.MustCompile(`name="event" value="assess_risk">\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(page.Body)
		require.NotNil(t, v)
		ctx := context.Background()

		// Saved, and its answer lost on the way (the store failed after the
		// commit): sent again, it says so, and does not ask for it again.
		key := keys[0][1]
		form := url.Values{"event": {"assess_risk"}, "version": {v[1]}, "d_risk_level": {"medium"}, "idempotency_key": {key}}
		first := officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
		require.NoError(t, env.db.Exec(ctx, `UPDATE request_keys SET status = NULL, answer_enc = '' WHERE key = ?`, key))
		again := officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusConflict, again.Status)
		require.Contains(t, again.Body, "<h1>Đã lưu</h1>")
		require.Contains(t, again.Body, "Thay đổi của bạn đã được lưu, nhưng xác nhận không về tới máy của bạn. Đừng gửi lại")
		require.NotContains(t, again.Body, "thử lại")

		// Still being served elsewhere: wait a few seconds and send again.
		key = keys[1][1]
		form = url.Values{"event": {"assess_risk"}, "version": {nextVersion(t, v[1])}, "d_risk_level": {"low"}, "idempotency_key": {key}}
		first = officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusSeeOther, first.Status, first.Body)
		require.NoError(t, env.db.Exec(ctx, `UPDATE request_keys SET status = NULL, answer_enc = '', applied = false,
			claimed_until = now() + interval '1 minute' WHERE key = ?`, key))
		busy := officer.post("/cases/"+code+"/events", form)
		require.Equal(t, http.StatusConflict, busy.Status)
		require.Contains(t, busy.Body, "Thay đổi của bạn vẫn đang được lưu. Hãy chờ vài giây")
		require.Equal(t, "5", busy.Header.Get("Retry-After"))
	})

	t.Run("ReferToPoliceAndAccept", func(t *testing.T) {
		referToPolice(t, officer, code)
		work := police.get("/worklist")
		require.Contains(t, work.Body, code)
		p := police.get("/cases/" + code)
		require.Contains(t, p.Body, "Công an thụ lý tin báo")
		require.Contains(t, p.Body, "Thụ lý tin báo")
		v := regexp.MustCompile(`name="event" value="accept_referral">\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(p.Body)
		require.NotNil(t, v)
		r := police.post("/cases/"+code+"/events", url.Values{"event": {"accept_referral"}, "version": {v[1]}, "d_intake_number": {"TL-01"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		require.Contains(t, police.get(r.Location).Body, "Đã thực hiện: Thụ lý tin báo.")
	})

	t.Run("ProsecutorExtendsTheResolutionClock", func(t *testing.T) {
		p := police.get("/cases/" + code)
		v := regexp.MustCompile(`name="event" value="notify_procuracy">\s*<input type="hidden" name="version" value="(\d+)"`).FindStringSubmatch(p.Body)
		require.NotNil(t, v)
		today := time.Now().In(time.FixedZone("ICT", 7*3600)).Format("2006-01-02")
		r := police.post("/cases/"+code+"/events", url.Values{"event": {"notify_procuracy"}, "version": {v[1]}, "d_notified_on": {today}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		prosecutor := webAs(t, "prosecutor1")
		page := prosecutor.get("/cases/" + code)
		require.Contains(t, page.Body, `action="/cases/`+code+`/clocks/resolve_report/extend"`)
		require.Contains(t, page.Body, `value="BLTTHS 2015 Điều 147"`, "the legal basis is offered")
		tooLong := prosecutor.post("/cases/"+code+"/clocks/resolve_report/extend", url.Values{"amount": {"5"}, "unit": {"months"},
			"reason": {"Cần xác minh thêm"}, "legal_basis": {"BLTTHS 2015 Điều 147.2"}})
		require.Equal(t, http.StatusUnprocessableEntity, tooLong.Status)
		require.Contains(t, tooLong.Body, "Vượt quá thời hạn tối đa pháp luật cho phép.")
		ok := prosecutor.post("/cases/"+code+"/clocks/resolve_report/extend", url.Values{"amount": {"1"}, "unit": {"months"},
			"reason": {"Cần xác minh thêm"}, "legal_basis": {"BLTTHS 2015 Điều 147.2"}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		after := prosecutor.get(ok.Location)
		require.Contains(t, after.Body, "Đã gia hạn thời hạn.")
		require.Contains(t, after.Body, "Gia hạn 1 tháng bởi prosecutor1")
	})

	t.Run("ServiceReferral", func(t *testing.T) {
		r := officer.post("/cases/"+code+"/referrals", url.Values{"service": {"counselling"}, "agency_code": {"CTXH-33"}, "note": {"Cần tư vấn tâm lý"}})
		require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
		social := webAs(t, "social1")
		p := social.get("/cases/" + code)
		require.Equal(t, http.StatusOK, p.Status)
		require.Contains(t, p.Body, "Chờ tiếp nhận")
		id := regexp.MustCompile(`action="/referrals/(\d+)/accept"`).FindStringSubmatch(p.Body)
		require.NotNil(t, id, "the receiving agency can answer")
		declineNoReason := social.post("/referrals/"+id[1]+"/decline", url.Values{"code": {code}})
		require.Equal(t, http.StatusUnprocessableEntity, declineNoReason.Status)
		require.Contains(t, declineNoReason.Body, "Cần ghi lý do từ chối.")
		ok := social.post("/referrals/"+id[1]+"/accept", url.Values{"code": {code}})
		require.Equal(t, http.StatusSeeOther, ok.Status, ok.Body)
		require.Contains(t, officer.get("/cases/"+code).Body, "Đã tiếp nhận")
		// Finishing the service ends the provider's access: the worklist
		// confirms it, never a "not found" page.
		done := social.post("/referrals/"+id[1]+"/done", url.Values{"code": {code}, "note": {"Đã tư vấn (hư cấu)"}})
		require.Equal(t, http.StatusSeeOther, done.Status, done.Body)
		require.True(t, strings.HasPrefix(done.Location, "/worklist?"), "after done: %s", done.Location)
		landed := social.get(done.Location)
		require.Equal(t, http.StatusOK, landed.Status)
		require.Contains(t, landed.Body, "Đã ghi nhận hoàn thành dịch vụ")
		require.Contains(t, landed.Body, code)
		require.Equal(t, http.StatusNotFound, social.get("/cases/"+code).Status)
		wrongAgency := officer.post("/cases/"+code+"/referrals", url.Values{"service": {"legal_aid"}, "agency_code": {"CTXH-33"}})
		require.Equal(t, http.StatusUnprocessableEntity, wrongAgency.Status)
		require.Contains(t, wrongAgency.Body, "Cơ quan này không cung cấp dịch vụ đã chọn.")
		// Shown again, the form lists only the providers of the service chosen.
		agencies := wrongAgency.Body[strings.Index(wrongAgency.Body, `id="ref-agency"`):]
		agencies = agencies[:strings.Index(agencies, "</select>")]
		require.NotContains(t, agencies, `value="CTXH-33"`, "a social-work provider offered for legal aid")
		require.Contains(t, agencies, `data-for="legal_aid"`, "no legal-aid provider offered")
	})
}

func TestWebNotificationsAndWorklistOrder(t *testing.T) {
	w := webAs(t, "police1")
	p := w.get("/notifications")
	require.Equal(t, http.StatusOK, p.Status)
	require.Contains(t, p.Body, "thông báo chưa đọc")
	require.Equal(t, http.StatusOK, w.get("/worklist").Status)
	require.Equal(t, http.StatusForbidden, webAs(t, "supervisor1").get("/worklist").Status)
}

// serverWith builds another server on the test database, with the same
// token secret as the shared one (main_test.go), a limiter of its own and
// the given changes to its configuration.

// nextVersion is the case version after v.
func nextVersion(t *testing.T, v string) string {
	t.Helper()
	n, err := strconv.Atoi(v)
	require.NoError(t, err)
	return strconv.Itoa(n + 1)
}
