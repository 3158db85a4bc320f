package server_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

// The intake story on a phone with a poor connection: what is typed is
// kept on the device, a report filed offline is sent once when the
// connection returns, and a lost answer does not make a second case.

// link sets the tab's connection: offline, throttled like a slow 3G link,
// or as it is.
func (b *browserTab) link(state string) {
	b.t.Helper()
	cond := &network.Conditions{Latency: 0, DownloadThroughput: -1, UploadThroughput: -1}
	offline := false
	switch state {
	case "offline":
		cond.Offline, offline = true, true
	case "3g":
		// 400 ms and 50 KB/s each way, Chromium's "Slow 3G".
		cond.Latency, cond.DownloadThroughput, cond.UploadThroughput = 400, 50*1024, 50*1024
	}
	b.do("connection "+state, chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		if _, err := chromedp.Call(ctx, network.Enable, network.EnableParams{}); err != nil {
			return err
		}
		sw := true
		if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule, network.EmulateNetworkConditionsByRuleParams{
			EmulateOfflineServiceWorker: &sw, MatchedNetworkConditions: []*network.Conditions{cond}}); err != nil {
			return err
		}
		_, err := chromedp.Call(ctx, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline,
			Latency: cond.Latency, DownloadThroughput: cond.DownloadThroughput, UploadThroughput: cond.UploadThroughput})
		return err
	}))
}

// acceptDialogs accepts every confirm() of the tab and counts them.
func (b *browserTab) acceptDialogs() *atomic.Int32 {
	b.t.Helper()
	var n atomic.Int32
	opened := make(chan struct{}, 8)
	if err := chromedp.Listen(b.ctx, func(ev any) {
		if _, ok := ev.(*page.EventJavascriptDialogOpening); ok {
			n.Add(1)
			select {
			case opened <- struct{}{}:
			default:
			}
		}
	}); err != nil {
		b.t.Fatalf("%s: listening for dialogs: %v", b.name, err)
	}
	go func() {
		for {
			select {
			case <-b.ctx.Done():
				return
			case <-opened:
				_, _ = chromedp.Call(b.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
			}
		}
	}()
	return &n
}

// waitFor polls a script until it answers "true".
func (b *browserTab) waitFor(step, js string, timeout time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if b.eval(step, `(async () => String(await (`+js+`)))()`) == "true" {
			return
		}
		if time.Now().After(deadline) {
			b.fail(step, fmt.Errorf("still not true after %s: %s", timeout, js))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// pick chooses an option of a select as a tap would, with its change event.
func pick(id, value string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](fmt.Sprintf(`(() => { const s = document.getElementById(%q); s.value = %q;
		s.dispatchEvent(new Event("change", {bubbles: true})); })()`, id, value))
}

// screens is how many 740 px screens the page is tall.
func (b *browserTab) screens(step string) string {
	return b.eval(step, `(document.documentElement.scrollHeight / 740).toFixed(1)`)
}

func TestBrowserOfflineIntakeOnAPhone(t *testing.T) {
	open := newBrowser(t, 3*time.Minute)
	officer := open("officer1")
	officer.do("phone", chromedp.EmulateViewport(360, 740))
	officer.link("3g")
	officer.login("officer1")
	officer.do("open the form", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	// The service worker keeps the form for use with no connection.
	officer.waitFor("form kept", `caches.open("caseflow-shell").then(c => c.match("/reports/new")).then(r => !!r)`, 20*time.Second)

	// The form comes in steps on a phone, each about three screens or less.
	child := fmt.Sprintf("Bé Ngoại Tuyến Hư Cấu %d", time.Now().UnixNano()%100000)
	reporter := "Người Báo Ngoại Tuyến Hư Cấu"
	remember(child, reporter)
	officer.expect("steps", strings.HasPrefix(officer.text("steps", "p.stepat"), "Bước 1/4"), "no step 1: %q", officer.text("steps", "p.stepat"))
	var heights []string
	heights = append(heights, officer.screens("step 1"))
	// The connection drops as the officer starts; everything from here on
	// is done with none: a second child, the steps, the filing.
	before := countRows(t, "cases")
	officer.link("offline")
	officer.waitFor("offline", `!navigator.onLine`, 5*time.Second)
	sibling := child + " Em"
	officer.do("step 1: the child",
		chromedp.SendKeys(chromedp.ID("c0_full_name"), child),
		pick("c0_sex", "female"),
		chromedp.SendKeys(chromedp.ID("c0_age"), "9"))
	slots := officer.eval("slots", `document.querySelector("input[name=children_n]").value`)
	officer.do("add a child", chromedp.Click(chromedp.CSS(`button[data-slot=c]`)),
		chromedp.WaitVisible(chromedp.ID("c"+slots+"_full_name")))
	officer.expect("offline add", officer.eval("where", `location.pathname`) == "/reports/new", "adding a child left the form")
	officer.do("the second child",
		chromedp.SendKeys(chromedp.ID("c"+slots+"_full_name"), sibling),
		pick("c"+slots+"_sex", "male"),
		chromedp.SendKeys(chromedp.ID("c"+slots+"_age"), "6"),
		chromedp.Click(chromedp.CSS(".stepnav .primary")))
	officer.expect("step 2", strings.HasPrefix(officer.text("step 2", "p.stepat"), "Bước 2/4"), "not on step 2")
	heights = append(heights, officer.screens("step 2"))
	officer.do("step 2: what happened",
		pick("channel", "phone_call"),
		pick("setting", "family"),
		chromedp.Click(chromedp.CSS(`input[name=abuse_types][value=neglect]`)),
		chromedp.Click(chromedp.CSS(`input[name=immediate_danger][value=no]`)),
		chromedp.SendKeys(chromedp.ID("narrative"), "Hàng xóm gọi điện báo (hư cấu, ngoại tuyến)."),
		chromedp.Click(chromedp.CSS(".stepnav .primary")))
	heights = append(heights, officer.screens("step 3"))
	officer.do("step 3: who reported",
		chromedp.SendKeys(chromedp.ID("r_relationship"), "Hàng xóm"),
		chromedp.SendKeys(chromedp.ID("r_full_name"), reporter),
		chromedp.Click(chromedp.CSS(".stepnav .primary")),
		chromedp.WaitVisible(chromedp.CSS(`button[name=op][value=file]`)))
	heights = append(heights, officer.screens("step 4"))
	officer.expect("review", strings.Contains(officer.text("review", ".step.review"), child), "the review does not show the child")
	t.Logf("intake on a 360×740 phone, screens per step: %s", strings.Join(heights, ", "))
	for i, h := range heights {
		var f float64
		fmt.Sscanf(h, "%g", &f)
		officer.expect("step height", f <= 3.2, "step %d is %s screens tall", i+1, h)
	}

	// The report is filed with no connection and waits.
	officer.do("file offline", chromedp.Click(chromedp.CSS(`button[name=op][value=file]`)),
		chromedp.WaitVisible(chromedp.CSS("#cf-outbox li.waiting")))
	officer.expect("queued", strings.Contains(officer.text("queued", "#main"), "Chưa có kết nối"), "no word that the report waits")
	officer.expect("queued", strings.Contains(officer.text("queued", "#cf-outbox"), "Chờ gửi"), "the report is not shown as waiting")
	require.Equal(t, before, countRows(t, "cases"), "nothing reached the server")
	// What waits on the device is sealed: the child's name is not in it.
	plain := officer.eval("sealed", `(async () => {
		const db = await new Promise((ok, no) => { const r = indexedDB.open("caseflow"); r.onsuccess = () => ok(r.result); r.onerror = () => no(r.error); });
		const all = await new Promise(ok => { const r = db.transaction("outbox").objectStore("outbox").getAll(); r.onsuccess = () => ok(r.result); });
		return all.map(v => new TextDecoder().decode(v.box.ct)).join("|") + JSON.stringify(all);
	})()`)
	officer.expect("sealed", !strings.Contains(plain, child) && !strings.Contains(plain, "Ngoại Tuyến"), "the waiting report is stored in clear")

	// Reloaded with no connection, the form comes from the device and the
	// report still waits.
	officer.do("reload offline", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS("#cf-outbox li.waiting")))

	// The connection returns: the report is sent, once.
	officer.link("3g")
	officer.do("sent", chromedp.WaitVisible(chromedp.CSS(`#main p.notice.ok a[href^="/cases/HY-"]`)))
	officer.expect("sent", strings.Contains(officer.text("sent", "#main p.notice.ok"), "Đã gửi báo cáo"), "no word that it was sent")
	require.Equal(t, before+1, countRows(t, "cases"), "the waiting report made other than one case")
	code := strings.TrimPrefix(officer.eval("code", `document.querySelector('#main p.notice.ok a[href^="/cases/HY-"]').getAttribute("href")`), "/cases/")
	filed := call(t, http.MethodGet, "/api/v1/cases/"+code, login(t, "officer1"), nil)
	require.Equal(t, http.StatusOK, filed.Status, string(filed.Raw))
	var names []string
	for _, c := range filed.Body["children"].([]any) {
		names = append(names, c.(map[string]any)["full_name"].(string))
	}
	require.Equal(t, []string{child, sibling}, names, "the child added offline")
	officer.do("reload", chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	officer.waitFor("nothing waits", `document.getElementById("cf-outbox").hidden`, 5*time.Second)
	time.Sleep(time.Second)
	require.Equal(t, before+1, countRows(t, "cases"), "a reload sent the report again")
}

func TestBrowserLostAnswerFilesOneCase(t *testing.T) {
	open := newBrowser(t, 2*time.Minute)
	officer := open("officer1")
	officer.login("officer1")
	officer.do("open the form", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	child := fmt.Sprintf("Bé Mất Trả Lời Hư Cấu %d", time.Now().UnixNano()%100000)
	remember(child)
	officer.fillIntake(child, "", "Người Báo Mất Trả Lời Hư Cấu")

	// The server gets the report and files it, but its answer never comes
	// back: the connection is reset after the response arrived.
	var posts, failed atomic.Int32
	paused := make(chan *fetch.EventRequestPaused, 8)
	require.NoError(t, chromedp.Listen(officer.ctx, func(ev any) {
		if e, ok := ev.(*fetch.EventRequestPaused); ok {
			paused <- e
		}
	}))
	go func() {
		for {
			select {
			case <-officer.ctx.Done():
				return
			case e := <-paused:
				posts.Add(1)
				if failed.CompareAndSwap(0, 1) {
					_, _ = chromedp.Call(officer.ctx, fetch.FailRequest, fetch.FailRequestParams{RequestID: e.RequestID,
						ErrorReason: network.ErrorReasonConnectionReset})
				} else {
					_, _ = chromedp.Call(officer.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: e.RequestID})
				}
			}
		}
	}()
	officer.do("intercept", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.Call(ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{
			{URLPattern: "*/reports", RequestStage: fetch.RequestStageResponse}}})
		return err
	}))
	before := countRows(t, "cases")
	officer.do("file", chromedp.Click(chromedp.CSS(`button[name=op][value=file]`)),
		chromedp.WaitVisible(chromedp.CSS("#cf-outbox li.waiting")))
	require.Equal(t, before+1, countRows(t, "cases"), "the server filed the report whose answer was lost")
	// Sent again by itself, the same report is recognised.
	officer.do("sent again", chromedp.WaitVisible(chromedp.CSS(`#main p.notice.ok a[href^="/cases/HY-"]`)))
	require.GreaterOrEqual(t, posts.Load(), int32(2), "the report was not sent again")
	require.Equal(t, before+1, countRows(t, "cases"), "the lost answer made a second case")
}

func TestBrowserDraftSurvivesLanguageAndExpiry(t *testing.T) {
	open := newBrowser(t, 2*time.Minute)
	officer := open("officer1")
	dialogs := officer.acceptDialogs()
	officer.login("officer1")
	officer.do("open the form", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	child := fmt.Sprintf("Bé Bản Nháp Hư Cấu %d", time.Now().UnixNano()%100000)
	remember(child)
	officer.do("type", chromedp.SendKeys(chromedp.ID("c0_full_name"), child), chromedp.SendKeys(chromedp.ID("c0_age"), "7"))
	// A suspect slot added in the page is in the draft, and is there again
	// when the draft comes back into a form that has one slot fewer.
	slot := "s" + officer.eval("slots", `document.querySelector("input[name=suspects_n]").value`)
	suspect := "Người Bị Nghi Thêm Hư Cấu"
	remember(suspect)
	officer.do("add a suspect", chromedp.Click(chromedp.CSS(`button[data-slot=s]`)), chromedp.WaitVisible(chromedp.ID(slot+"_full_name")),
		chromedp.SendKeys(chromedp.ID(slot+"_full_name"), suspect))
	time.Sleep(600 * time.Millisecond) // the draft is kept after a pause in typing

	// Switching the language warns, and the form comes back in English
	// with what was typed.
	officer.do("english", chromedp.Click(chromedp.CSS("a.lang")), chromedp.WaitVisible(chromedp.CSS(`html[lang=en] #c0_full_name`)))
	officer.expect("warned", dialogs.Load() >= 1, "no warning before the language switch")
	officer.waitFor("restored", `document.getElementById("c0_full_name").value === `+fmt.Sprintf("%q", child), 5*time.Second)
	officer.expect("restored", strings.Contains(officer.text("restored", "main"), "Restored the draft"), "no word that the draft came back")
	officer.expect("age", officer.eval("age", `document.getElementById("c0_age").value`) == "7", "the age was lost")
	officer.expect("added slot", officer.eval("added slot", `(document.getElementById("`+slot+`_full_name") || {}).value`) == suspect,
		"the suspect of the added slot was lost")

	// The session ends while the form is open; sending it leads to the
	// login page, and after logging in the form and its draft are back.
	officer.do("the rest", pick("c0_sex", "male"), pick("channel", "hotline_111"), pick("setting", "school"),
		chromedp.Click(chromedp.CSS(`input[name=abuse_types][value=emotional]`)),
		chromedp.Click(chromedp.CSS(`input[name=immediate_danger][value=no]`)),
		chromedp.SendKeys(chromedp.ID("narrative"), "Nội dung hư cấu trước khi hết phiên."))
	time.Sleep(600 * time.Millisecond)
	endSession(t, officer)
	officer.do("send after expiry", chromedp.Click(chromedp.CSS(`button[name=op][value=file]`)),
		chromedp.WaitVisible(chromedp.ID("username")))
	officer.expect("login", strings.HasPrefix(officer.location(), "/login"), "not on the login page: %s", officer.location())
	officer.do("log in again",
		chromedp.SendKeys(chromedp.ID("username"), "officer1"),
		chromedp.SendKeys(chromedp.ID("password"), testenv.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	officer.expect("back on the form", strings.HasPrefix(officer.location(), "/reports/new"), "after login: %s", officer.location())
	officer.waitFor("draft back", `document.getElementById("c0_full_name").value === `+fmt.Sprintf("%q", child), 5*time.Second)
	officer.expect("narrative back", strings.Contains(officer.eval("narrative", `document.getElementById("narrative").value`), "trước khi hết phiên"),
		"the narrative was lost")
	officer.expect("choices back", officer.eval("choices", `document.getElementById("setting").value + document.querySelector("input[name=abuse_types]:checked").value`) == "schoolemotional",
		"the choices were lost")

	// Sent, the report is filed and its draft is gone.
	before := countRows(t, "cases")
	officer.do("file", chromedp.Click(chromedp.CSS(`button[name=op][value=file]`)), chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	require.Equal(t, before+1, countRows(t, "cases"))
	officer.do("a new form", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	time.Sleep(500 * time.Millisecond)
	officer.expect("no draft", officer.eval("empty", `document.getElementById("c0_full_name").value`) == "", "the filed report's draft came back")
}

// endSession ends the tab's session on the server, as an expiry would.
func endSession(t *testing.T, b *browserTab) {
	t.Helper()
	var token string
	b.do("session", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		res, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{env.srv.URL + "/"}})
		if err != nil {
			return err
		}
		for _, k := range res.Cookies {
			if k.Name == "cf_session" {
				token = k.Value
			}
		}
		return nil
	}))
	require.NotEmpty(t, token)
	r := call(t, http.MethodPost, "/api/v1/auth/logout", token, nil)
	require.Less(t, r.Status, 300, string(r.Raw))
}

// TestBrowserFindACaseAgain: officer1 finds her case by its code and by the
// child's name typed without diacritics; officer2's case of a child with
// the same name is not found; the search is audited without the name.
func TestBrowserFindACaseAgain(t *testing.T) {
	open := newBrowser(t, 2*time.Minute)
	name := fmt.Sprintf("Trần Thị Tìm Lại %d", time.Now().UnixNano()%100000)
	remember(name)
	mine := report()
	mine["children"] = []map[string]any{{"full_name": name, "sex": "female", "age": 8}}
	code := mustFile(t, login(t, "officer1"), mine)
	theirs := report()
	theirs["commune_code"] = communeOfficer2
	theirs["children"] = []map[string]any{{"full_name": name, "sex": "female", "age": 8}}
	other := mustFile(t, login(t, "officer2"), theirs)

	officer := open("officer1")
	officer.useSession(login(t, "officer1"))
	officer.do("phone", chromedp.EmulateViewport(360, 740))
	officer.do("by code", chromedp.Navigate(env.srv.URL+"/cases"),
		chromedp.SendKeys(chromedp.ID("code"), code[len(code)-6:]),
		// The list before the search may show the case too: the old page is
		// marked, so that what is awaited is the page the search loads.
		chromedp.Evaluate[chromedp.Void](`document.body.dataset.before = "1"`),
		chromedp.Click(chromedp.CSS(`form[action="/cases"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS(`body:not([data-before]) a[href="/cases/`+code+`"]`)))
	// The row names the child by initials and age.
	officer.expect("initials", strings.Contains(officer.text("initials", "table.list tbody"), "T.T.T.L."), "no initials in the row")
	officer.expect("initials", strings.Contains(officer.text("initials", "table.list tbody"), "8 tuổi"), "no age in the row")

	typed := strings.ToLower(strings.NewReplacer("ầ", "a", "ị", "i", "ì", "i", "ạ", "a").Replace(name))
	before := countAudit(t, "case.search_by_name")
	officer.do("by name", chromedp.Navigate(env.srv.URL+"/cases"),
		chromedp.SendKeys(chromedp.ID("child_name"), typed),
		chromedp.Click(chromedp.CSS(`form[action="/cases/search"] button[type=submit]`)))
	// The list before the search shows the case too: wait for the answer.
	officer.waitFor("search answered", `location.pathname === "/cases/search" && document.readyState === "complete"`, 20*time.Second)
	officer.do("found", chromedp.WaitVisible(chromedp.CSS(`a[href="/cases/`+code+`"]`)))
	officer.expect("by name", !strings.Contains(officer.location(), "child_name") && !strings.Contains(officer.location(), "Tìm"),
		"the name is in the address: %s", officer.location())
	n := officer.eval("not theirs", `String(document.querySelectorAll('a[href="/cases/`+other+`"]').length)`)
	officer.expect("not theirs", n == "0", "officer2's case is found by officer1")
	require.Equal(t, before+1, countAudit(t, "case.search_by_name"), "the search is not audited")
	detail, err := env.db.QueryStrings(context.Background(), `SELECT detail::text FROM audit_log WHERE action = 'case.search_by_name' ORDER BY id DESC LIMIT 1`)
	require.NoError(t, err)
	require.NotContains(t, strings.ToLower(detail[0]), "tim lai", "the audit holds the name")
	require.Contains(t, detail[0], `"found": 1`)

	// The case page names the child at the top, with the step and the most
	// urgent deadline.
	officer.do("case page", chromedp.Click(chromedp.CSS(`a[href="/cases/`+code+`"]`)), chromedp.WaitVisible(chromedp.CSS("dl.casehead")))
	top := officer.eval("child on top", `String(document.querySelector(".who-child").getBoundingClientRect().top)`)
	var y float64
	fmt.Sscanf(top, "%g", &y)
	officer.expect("child on top", y < 740, "the child's name is %s px down", top)
	officer.expect("child on top", strings.Contains(officer.text("head", "dl.casehead"), name), "the header does not name the child")
	officer.expect("deadline on top", strings.Contains(officer.text("head", "dl.casehead"), "Hạn gần nhất"), "the header shows no deadline")
}

func countAudit(t *testing.T, action string) int64 {
	t.Helper()
	n, err := env.db.QueryStrings(context.Background(), `SELECT count(*)::text FROM audit_log WHERE action = ?`, action)
	require.NoError(t, err)
	var c int64
	fmt.Sscan(n[0], &c)
	return c
}
