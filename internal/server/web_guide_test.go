package server_test

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// Screens that say what to do: the steps come in the order of the
// procedure with the next expected one first, a step done is not offered
// again, and the support referral lists the providers of the service chosen.

// actionsOf returns the ids of the action forms of a case page, in order,
// and which of them are marked as the next step.
func actionsOf(t *testing.T, body string) (ids []string, next map[string]bool) {
	t.Helper()
	next = map[string]bool{}
	re := regexp.MustCompile(`<details class="action( next)?"[^>]* id="f-event-([a-z0-9_]+)"`)
	for _, m := range re.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[2])
		if m[1] != "" {
			next[m[2]] = true
		}
	}
	return ids, next
}

func TestCasePageOffersTheProcedureInOrder(t *testing.T) {
	base := v2Server(t)
	c := v2File(t, base, "officer1", time.Now().Add(-time.Hour).Format(time.RFC3339), nil)
	c.fire("officer1", "refer_police", "", map[string]any{})
	police := newWebSessionOn(t, base)
	police.client.Jar.SetCookies(police.base, []*http.Cookie{{Name: "cf_session", Value: login(t, "police1"), Path: "/"}})

	page := police.get("/cases/" + c.code)
	require.Equal(t, http.StatusOK, page.Status)
	ids, next := actionsOf(t, page.Body)
	require.NotEmpty(t, ids)
	require.Equal(t, "record_receipt", ids[0], "the receipt comes first: %v", ids)
	require.True(t, next["record_receipt"], "the receipt is not marked as the next step")
	for _, id := range []string{"decide_prosecution", "decline_prosecution", "suspend_resolution", "resume_resolution", "notify_procuracy"} {
		require.NotContains(t, ids, id, "offered before the receipt")
	}

	c.fire("police1", "record_receipt", "", map[string]any{})
	page = police.get("/cases/" + c.code)
	ids, _ = actionsOf(t, page.Body)
	require.NotContains(t, ids, "record_receipt", "a step done is offered again")
	require.Contains(t, ids, "decide_prosecution")
	require.Contains(t, ids, "notify_procuracy")
	require.NotContains(t, ids, "resume_resolution", "nothing is suspended")
	// The rest keep the order of the procedure.
	require.Less(t, slices.Index(ids, "notify_procuracy"), slices.Index(ids, "decide_prosecution"))
}

// On a phone, the referral form is near the top of the support section,
// which comes right after the actions, and choosing a service lists only
// the providers that give it.
func TestBrowserReferralListsTheProvidersOfTheService(t *testing.T) {
	c := newWFCase(t)
	open := newBrowser(t, 2*time.Minute)
	officer := open("officer1")
	officer.do("phone", chromedp.EmulateViewport(360, 740))
	officer.login("officer1")
	officer.do("open the case", chromedp.Navigate(env.srv.URL+"/cases/"+c.code), chromedp.WaitVisible(chromedp.ID("f-refer")))
	down := officer.eval("where", `((document.getElementById("f-refer").getBoundingClientRect().top + scrollY) / 740).toFixed(1)`)
	t.Logf("the referral form starts %s screens down the case page at 360×740 (before: 3.6)", down)
	var screens float64
	fmt.Sscanf(down, "%g", &screens)
	officer.expect("near the top", screens > 0 && screens <= 2.5, "the referral form is %s screens down", down)
	officer.expect("order", officer.eval("order", `(() => {
		const refer = document.getElementById("f-refer"), facts = document.getElementById("h-facts");
		return String(!!(refer.compareDocumentPosition(facts) & Node.DOCUMENT_POSITION_FOLLOWING));
	})()`) == "true", "the referral form comes after the case's facts")

	visible := `Array.from(document.getElementById("ref-agency").options).filter(o => o.value && !o.hidden && !o.disabled).map(o => o.dataset.for).join("|")`
	all := officer.eval("all", visible)
	officer.do("open the form", chromedp.Click(chromedp.CSS("#f-refer > summary")), pick("ref-service", "medical_care"))
	medical := officer.eval("medical", visible)
	officer.expect("medical", medical != "" && len(medical) < len(all), "providers for medical care: %q of %q", medical, all)
	for _, gives := range strings.Split(medical, "|") {
		officer.expect("medical fits", strings.Contains(" "+gives+" ", " medical_care "), "a provider of %q offered for medical care", gives)
	}
	officer.do("choose a provider", chromedp.Evaluate[chromedp.Void](`(() => { const s = document.getElementById("ref-agency");
		s.value = Array.from(s.options).find(o => o.value && !o.hidden).value; })()`))
	officer.do("another service", pick("ref-service", "legal_aid"))
	officer.expect("reset", officer.eval("reset", `document.getElementById("ref-agency").value`) == "",
		"a provider of medical care stays chosen for legal aid")
	for _, gives := range strings.Split(officer.eval("legal", visible), "|") {
		officer.expect("legal fits", strings.Contains(" "+gives+" ", " legal_aid "), "a provider of %q offered for legal aid", gives)
	}
}

// The dashboard's count of targets not met leads to the first of them, and
// the web says "Không đạt" as the exports do.
func TestWebDashboardNamesUnmetTargetsOneWay(t *testing.T) {
	// A report the police return misses the target of 100% accepted.
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	c.fire(t, "police1", "return_referral", "received", map[string]any{"reason": "Chưa đủ thông tin (kiểm thử)"})
	sup := webAs(t, "supervisor1")
	page := sup.get("/dashboard")
	require.Equal(t, http.StatusOK, page.Status)
	m := regexp.MustCompile(`<a class="badge bad" href="#ind-([a-z0-9_]+)">\d+ chỉ tiêu không đạt</a>`).FindStringSubmatch(page.Body)
	require.NotNil(t, m, "the count of targets not met is not a link")
	card := page.Body[strings.Index(page.Body, `id="ind-`+m[1]+`"`):]
	card = card[:strings.Index(card, "</article>")]
	require.Contains(t, card, "✗ Không đạt")
	drill := sup.get("/dashboard/indicators/" + m[1])
	require.Equal(t, http.StatusOK, drill.Status)
	require.Contains(t, drill.Body, ">Không đạt<")
	for _, p := range []webPage{page, drill} {
		require.NotContains(t, strings.ToLower(p.Body), "chưa đạt")
	}
}

// On a phone, the forensic centre finds the case on its worklist by the
// step that is due, records its conclusion, and lands on the worklist with
// the save confirmed, never on a "not found" page.
func TestBrowserConclusionLandsOnTheWorklist(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	c.fire(t, "police1", "accept_referral", "police", map[string]any{"intake_number": "TL-03/2026"})
	c.fire(t, "police1", "decide_prosecution", "investigation", map[string]any{"crime_category": "serious", "penal_code_article": "146"})
	c.fire(t, "police1", "record_exam_grounds", "investigation", map[string]any{"grounds": "Cần xác định dấu vết"})
	c.fire(t, "police1", "request_forensic_exam", "forensic_exam", map[string]any{"exam_kind": "sexual_abuse"})
	def, ok := env.flows.Get("child-abuse", 1)
	require.True(t, ok)

	open := newBrowser(t, 2*time.Minute)
	health := open("health1")
	health.do("phone", chromedp.EmulateViewport(360, 740))
	health.login("health1")
	row := `document.querySelector('a[href="/cases/` + c.code + `"]').closest("tr")`
	health.do("worklist", chromedp.Navigate(env.srv.URL+"/worklist"), chromedp.WaitVisible(chromedp.CSS(`a[href="/cases/`+c.code+`"]`)))
	text := health.eval("row", row+`.innerText`)
	var due string
	r := call(t, http.MethodGet, "/api/v1/worklist", login(t, "health1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	for _, it := range r.Body["items"].([]any) {
		if m := it.(map[string]any); m["code"] == c.code {
			due, _ = m["due_clock"].(string)
		}
	}
	k, ok := def.Clock(due)
	health.expect("due step", ok && strings.Contains(text, k.Label.VI), "the row does not name the step due (%s): %q", due, text)
	health.expect("initials", strings.Contains(text, caseflow.Initials(c.child())+" (") && strings.Contains(text, " tuổi)") && !strings.Contains(text, c.child()),
		"the row does not name the child by initials only: %q", text)

	health.do("open the case", chromedp.Click(chromedp.CSS(`a[href="/cases/`+c.code+`"]`)),
		chromedp.WaitVisible(chromedp.ID("f-event-conclude_forensic_exam")))
	health.expect("next", health.eval("next", `String(document.getElementById("f-event-conclude_forensic_exam").classList.contains("next"))`) == "true",
		"the conclusion is not marked as the next step")
	health.do("conclude", chromedp.Click(chromedp.CSS("#f-event-conclude_forensic_exam > summary")),
		chromedp.SetValue(chromedp.ID("ev-conclude_forensic_exam-concluded_on"), time.Now().Format("2006-01-02")),
		chromedp.SendKeys(chromedp.ID("ev-conclude_forensic_exam-conclusion"), "Có dấu vết (hư cấu)"),
		chromedp.Click(chromedp.CSS(`#f-event-conclude_forensic_exam button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	health.expect("worklist", strings.HasPrefix(health.location(), "/worklist"), "landed on %s", health.location())
	notice := health.text("notice", "p.notice.ok")
	health.expect("notice", strings.Contains(notice, "Đã thực hiện") && strings.Contains(notice, c.code), "the notice reads %q", notice)
	health.expect("no 404", !strings.Contains(health.text("page", "h1"), "Không tìm thấy"), "a not-found page after the save")
}

// In the web, an officer account an administrator creates waits; the users
// page shows the grant to every administrator, offers its decision only to
// another one, and the approval lets the account in.
func TestWebFourEyesOnAnOfficersAccount(t *testing.T) {
	admin := webAs(t, "admin1")
	name := "canbo" + testenv.Suffix()
	r := admin.post("/admin/users", url.Values{"username": {name}, "role": {"commune_officer"}, "agency_code": {"CP-12004"},
		"password": {"mat-khau-dai-web-1"}})
	require.Equal(t, http.StatusSeeOther, r.Status, r.Body)
	page := admin.get("/admin/users")
	require.Equal(t, http.StatusOK, page.Status)
	row := page.Body[strings.Index(page.Body, `href="/admin/users/`+name+`"`):]
	require.Contains(t, row[:strings.Index(row, "</tr>")], "Chờ quản trị viên thứ hai duyệt")
	id := regexp.MustCompile(`<li id="grant-(\d+)"><strong>` + name + `</strong>`).FindStringSubmatch(page.Body)
	require.NotNil(t, id, "the grant is not listed")
	item := page.Body[strings.Index(page.Body, `id="grant-`+id[1]+`"`):]
	item = item[:strings.Index(item, "</li>")]
	require.NotContains(t, item, "/approve", "the administrator who asked is offered the approval")
	require.Equal(t, http.StatusForbidden, admin.post("/admin/grants/"+id[1]+"/approve", url.Values{}).Status)

	second := "quantri" + testenv.Suffix()
	require.Equal(t, http.StatusCreated, call(t, http.MethodPost, "/api/v1/admin/users", login(t, "admin1"),
		map[string]any{"username": second, "role": "admin", "agency_code": "UBND-33", "password": "mat-khau-dai-web-2"}).Status)
	tok := call(t, http.MethodPost, "/api/v1/auth/login", "", map[string]string{"username": second, "password": "mat-khau-dai-web-2"}).Body["token"].(string)
	other := newWebSession(t)
	other.client.Jar.SetCookies(other.base, []*http.Cookie{{Name: "cf_session", Value: tok, Path: "/"}})
	page = other.get("/admin/users")
	require.Contains(t, page.Body, `action="/admin/grants/`+id[1]+`/approve"`)
	done := other.post("/admin/grants/"+id[1]+"/approve", url.Values{})
	require.Equal(t, http.StatusOK, done.Status, done.Body)
	require.Contains(t, done.Body, "Đã duyệt quyền cho tài khoản "+name)
	require.Equal(t, http.StatusOK, call(t, http.MethodPost, "/api/v1/auth/login", "",
		map[string]string{"username": name, "password": "mat-khau-dai-web-1"}).Status, "the approved account cannot log in")
}

// The officer who filed a case, and supervisors, see who read the child's
// data and when; the other agencies do not.
func TestCasePageShowsWhoReadTheChildsData(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	police := webAs(t, "police1")
	require.Equal(t, http.StatusOK, police.get("/cases/"+c.code).Status)

	for _, who := range []string{"officer1", "supervisor1"} {
		page := webAs(t, who).get("/cases/" + c.code)
		require.Equal(t, http.StatusOK, page.Status)
		i := strings.Index(page.Body, `id="h-reads"`)
		require.Positive(t, i, "%s does not see who read the data", who)
		reads := page.Body[i:]
		reads = reads[:strings.Index(reads, "</table>")]
		require.Contains(t, reads, "police1", "%s: the police's read is not listed", who)
	}
	require.NotContains(t, police.get("/cases/"+c.code).Body, `id="h-reads"`, "another agency sees who read the data")
	r := call(t, http.MethodGet, "/api/v1/cases/"+c.code+"/reads", login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	require.Contains(t, string(r.Raw), `"username":"police1"`)
	require.Equal(t, http.StatusForbidden, call(t, http.MethodGet, "/api/v1/cases/"+c.code+"/reads", login(t, "police1"), nil).Status)
	require.Equal(t, http.StatusNotFound, call(t, http.MethodGet, "/api/v1/cases/"+c.code+"/reads", login(t, "officer2"), nil).Status)
}
