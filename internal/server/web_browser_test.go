package server_test

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// chromiumPath is Debian's Chromium, which .ci/run installs. The browser
// tests fail without it rather than skip: the web interface is not tested
// otherwise.
const chromiumPath = "/usr/bin/chromium"

// browserTab is one user's tab, in a browser context of its own so that
// each user has their own cookies.
type browserTab struct {
	t     *testing.T
	name  string
	ctx   context.Context
	shots string
}

// newBrowser starts headless Chromium for the test and returns a func that
// opens a tab for a user. On failure every open tab is photographed.
func newBrowser(t *testing.T, timeout time.Duration) func(name string) *browserTab {
	t.Helper()
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Fatalf("Chromium is missing at %s (%v): install the chromium package; .ci/run does", chromiumPath, err)
	}
	profile := t.TempDir()
	shots, err := os.MkdirTemp("", "caseflow-browser-")
	require.NoError(t, err)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.UserDataDir(profile), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-default-apps", true), chromedp.Flag("lang", "vi"))
	root, cancelRoot := chromedp.NewContext(alloc)
	root, cancelTimeout := context.WithTimeout(root, timeout)
	var tabs []*browserTab
	var closeTabs []context.CancelFunc
	t.Cleanup(func() {
		if t.Failed() {
			for _, b := range tabs {
				b.screenshot("at-failure")
			}
		} else {
			os.RemoveAll(shots)
		}
		for _, c := range closeTabs {
			c()
		}
		cancelTimeout()
		cancelRoot()
		cancelAlloc()
	})
	if err := chromedp.Do(root); err != nil { // starts the browser
		t.Fatalf("starting Chromium: %v", err)
	}
	return func(name string) *browserTab {
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		closeTabs = append(closeTabs, cancel)
		b := &browserTab{t: t, name: name, ctx: ctx, shots: shots}
		tabs = append(tabs, b)
		// The first action opens the tab; it runs on the tab's own context,
		// which the tab then lives as long as.
		if err := chromedp.Do(ctx, chromedp.EmulateViewport(1280, 900)); err != nil {
			t.Fatalf("%s: opening a tab: %v", name, err)
		}
		return b
	}
}

// screenshot saves the tab's page and logs where.
func (b *browserTab) screenshot(step string) {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	buf, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("%s: no screenshot at %s: %v", b.name, step, err)
		return
	}
	path := filepath.Join(b.shots, b.name+"-"+step+".png")
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		b.t.Logf("%s: screenshot not saved: %v", b.name, err)
		return
	}
	b.t.Logf("%s: screenshot at %s: %s", b.name, step, path)
}

func (b *browserTab) fail(step string, err error) {
	b.t.Helper()
	b.screenshot(step)
	b.t.Fatalf("%s: %s: %v", b.name, step, err)
}

// stepTimeout bounds one step, so that a page that never shows what a step
// waits for fails the test quickly, with a screenshot.
const stepTimeout = 15 * time.Second

// do runs the actions of one step; a failure photographs the page.
func (b *browserTab) do(step string, actions ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, actions...); err != nil {
		b.fail(step, err)
	}
}

func (b *browserTab) text(step, css string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(css)))
	if err != nil {
		b.fail(step, err)
	}
	return s
}

func (b *browserTab) eval(step, js string) string {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.Evaluate[string](js, chromedp.EvalAwaitPromise))
	if err != nil {
		b.fail(step, err)
	}
	return s
}

func (b *browserTab) location() string {
	b.t.Helper()
	s, err := chromedp.Run(b.ctx, chromedp.Location())
	if err != nil {
		b.fail("location", err)
	}
	return strings.TrimPrefix(s, env.srv.URL)
}

// expect fails the step, with a screenshot, unless ok.
func (b *browserTab) expect(step string, ok bool, format string, args ...any) {
	b.t.Helper()
	if !ok {
		b.fail(step, fmt.Errorf(format, args...))
	}
}

// login signs in through the login form.
func (b *browserTab) login(user string) {
	b.t.Helper()
	b.do("login",
		chromedp.Navigate(env.srv.URL+"/login"),
		chromedp.SendKeys(chromedp.ID("username"), user),
		chromedp.SendKeys(chromedp.ID("password"), testenv.Password),
		chromedp.Click(chromedp.CSS(`form[action="/login"] button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.who")),
	)
}

// useSession puts an existing session token in the tab's cookie jar.
func (b *browserTab) useSession(token string) {
	b.t.Helper()
	b.do("session cookie", chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
		_, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: "cf_session", Value: token,
			URL: env.srv.URL + "/", HTTPOnly: new(true), SameSite: network.CookieSameSiteLax})
		return err
	}))
}

// fillIntake fills the intake form of the current page with a fictional report.
func (b *browserTab) fillIntake(child, suspect, reporter string) {
	b.t.Helper()
	at := time.Now().Add(-time.Hour).In(time.FixedZone("ICT", 7*3600))
	b.do("fill intake",
		chromedp.SetValue(chromedp.ID("received_date"), at.Format("2006-01-02")),
		chromedp.SetValue(chromedp.ID("received_time"), at.Format("15:04")),
		chromedp.SetValue(chromedp.ID("channel"), "hotline_111"),
		chromedp.SetValue(chromedp.ID("setting"), "family"),
		chromedp.Click(chromedp.CSS(`input[name=abuse_types][value=physical]`)),
		chromedp.Click(chromedp.CSS(`input[name=immediate_danger][value=yes]`)),
		chromedp.SendKeys(chromedp.ID("c0_full_name"), child),
		chromedp.SetValue(chromedp.ID("c0_sex"), "male"),
		chromedp.SetValue(chromedp.ID("c0_date_of_birth"), "2016-07-15"),
		chromedp.SendKeys(chromedp.ID("c0_address"), "Thôn Hư Cấu, trình duyệt"),
		chromedp.Evaluate[chromedp.Void](`document.getElementById("s0").open = true`),
		chromedp.SendKeys(chromedp.ID("s0_full_name"), suspect),
		chromedp.SendKeys(chromedp.ID("r_full_name"), reporter),
		chromedp.SendKeys(chromedp.ID("r_phone"), "0900 000 333"),
		chromedp.SendKeys(chromedp.ID("narrative"), "Tin báo hư cấu nhập qua trình duyệt."),
	)
}

var codeInPath = regexp.MustCompile(`^/cases/(HY-\d{4}-\d{6})`)

// indicator reads an indicator's numerator and denominator off the dashboard.
func (b *browserTab) indicator(id string) string {
	b.t.Helper()
	b.do("dashboard", chromedp.Navigate(env.srv.URL+"/dashboard"), chromedp.WaitVisible(chromedp.ID("ind-"+id)))
	return b.eval("read "+id, `(() => { const e = document.getElementById("ind-`+id+`"); return e.dataset.num + "/" + e.dataset.den })()`)
}

func TestBrowserCaseJourney(t *testing.T) {
	open := newBrowser(t, 3*time.Minute)
	officer, police, supervisor := open("officer1"), open("police1"), open("supervisor1")

	supervisor.login("supervisor1")
	intakeBefore := supervisor.indicator("intake")

	// A commune officer files a report through the form.
	officer.login("officer1")
	child := fmt.Sprintf("Bé Trình Duyệt Hư Cấu %d", time.Now().UnixNano()%100000)
	suspect, reporter := "Nghi Phạm Trình Duyệt Hư Cấu", "Người Báo Trình Duyệt Hư Cấu"
	remember(child, suspect, reporter)
	officer.do("open the form", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	// Asking to stay anonymous hides who the reporter is; a neighbour is
	// not asked an age or a sex.
	officer.expect("reporter fields", officer.eval("no age", `String(!!document.getElementById("r_age") || !!document.getElementById("r_sex"))`) == "false",
		"the reporter is asked an age or a sex")
	officer.do("anonymous", chromedp.Click(chromedp.ID("r_anonymous")))
	officer.expect("anonymous", officer.eval("hidden", `String(document.getElementById("r_full_name").offsetParent === null)`) == "true",
		"the reporter's name stays on screen")
	officer.do("not anonymous", chromedp.Click(chromedp.ID("r_anonymous")), chromedp.WaitVisible(chromedp.ID("r_full_name")))
	officer.fillIntake(child, suspect, reporter)
	officer.do("file", chromedp.Click(chromedp.CSS(`button[name=op][value=file]`)), chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	m := codeInPath.FindStringSubmatch(officer.location())
	officer.expect("file", m != nil, "not on a case page: %s", officer.location())
	code := m[1]
	officer.expect("file", strings.Contains(officer.text("file", "p.notice.ok"), "Đã lưu tin báo"), "no confirmation")
	title, _ := chromedp.Run(officer.ctx, chromedp.Title())
	officer.expect("title", !strings.Contains(title, child), "the child's name is in the title")

	// ... sees it in the list ...
	officer.do("list", chromedp.Navigate(env.srv.URL+"/cases"), chromedp.WaitVisible(chromedp.CSS(`a[href="/cases/`+code+`"]`)))

	// ... and refers it to the police from the case page.
	officer.do("refer to police",
		chromedp.Click(chromedp.CSS(`a[href="/cases/`+code+`"]`)),
		chromedp.WaitVisible(chromedp.ID("f-event-refer_police")),
		chromedp.Click(chromedp.CSS(`#f-event-refer_police > summary`)),
		chromedp.Click(chromedp.CSS(`#f-event-refer_police input[name=d_remote_commune][value=no]`)),
		chromedp.Click(chromedp.CSS(`#f-event-refer_police button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice.ok")),
	)
	officer.expect("refer to police", strings.Contains(officer.text("refer", "p.notice.ok"), "Chuyển cơ quan công an"), "no confirmation")

	// The police are told: the header counts it and their notifications
	// name the case as new work.
	police.login("police1")
	police.expect("alert count", police.text("alert count", `a[href="/notifications"]`) != "Thông báo", "no unread count in the header")
	police.do("alerts", chromedp.Navigate(env.srv.URL+"/notifications"), chromedp.WaitVisible(chromedp.CSS(`ul.notes a[href="/cases/`+code+`"]`)))
	police.expect("alerts", strings.Contains(police.text("alerts", "ul.notes"), "Việc mới"), "the referral is not listed as new work")

	// The police find it in their worklist and accept it.
	police.do("worklist", chromedp.Navigate(env.srv.URL+"/worklist"), chromedp.WaitVisible(chromedp.CSS(`a[href="/cases/`+code+`"]`)))
	police.do("accept",
		chromedp.Click(chromedp.CSS(`a[href="/cases/`+code+`"]`)),
		chromedp.WaitVisible(chromedp.ID("f-event-accept_referral")),
		chromedp.Click(chromedp.CSS(`#f-event-accept_referral > summary`)),
		chromedp.SendKeys(chromedp.ID("ev-accept_referral-intake_number"), "TL-123/CA"),
		chromedp.Click(chromedp.CSS(`#f-event-accept_referral button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice.ok")),
	)
	police.expect("accept", strings.Contains(police.text("accept", "p.notice.ok"), "Thụ lý tin báo"), "no confirmation")

	// The supervisor sees the intake indicator move and downloads the report.
	intakeAfter := supervisor.indicator("intake")
	var nb, db, na, da int
	fmt.Sscanf(intakeBefore, "%d/%d", &nb, &db)
	fmt.Sscanf(intakeAfter, "%d/%d", &na, &da)
	supervisor.expect("intake indicator", na == nb+1 && da == db+1, "intake went from %s to %s", intakeBefore, intakeAfter)
	supervisor.expect("no names", !strings.Contains(supervisor.text("dashboard", "main"), child), "a name on the dashboard")
	downloads := t.TempDir()
	supervisor.do("download", chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
		_, err := chromedp.CallBrowser(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
			Behavior: browser.SetDownloadBehaviorBehaviorAllow, DownloadPath: downloads,
			BrowserContextID: chromedp.FromContext(ctx).BrowserContextID})
		return err
	}), chromedp.Click(chromedp.ID("export-xlsx")))
	xlsx := waitForDownload(t, downloads, ".xlsx", 15*time.Second)
	if xlsx == nil {
		supervisor.fail("download", fmt.Errorf("no .xlsx file in %s", downloads))
	}
	require.True(t, bytes.HasPrefix(xlsx, []byte("PK")), "an XLSX file is a zip archive")

	// Another commune's officer cannot open the case by its address. Her
	// session is her API login's token: logins through the test server count
	// against one per-address limit that every test of the package shares.
	officer2 := open("officer2")
	officer2.useSession(login(t, "officer2"))
	officer2.do("open by url", chromedp.Navigate(env.srv.URL+"/cases/"+code), chromedp.WaitVisible(chromedp.CSS("h1")))
	h1 := officer2.text("open by url", "h1")
	officer2.expect("open by url", strings.Contains(h1, "Không tìm thấy"), "officer2 sees %q", h1)
	officer2.expect("open by url", !strings.Contains(officer2.text("page", "main"), child), "officer2 sees the child's name")

	// A double submit of the intake form files one case.
	before := countRows(t, "cases")
	child2 := child + " Lần Hai"
	remember(child2)
	officer.do("open the form again", chromedp.Navigate(env.srv.URL+"/reports/new"), chromedp.WaitVisible(chromedp.ID("c0_full_name")))
	officer.fillIntake(child2, suspect, reporter)
	// Two posts of the same form at once, as a double click without the
	// page script or a retry on a flaky connection would send them ...
	got := officer.eval("post twice", `(async () => {
		const body = new URLSearchParams(new FormData(document.querySelector("form.intake")));
		body.set("op", "file");
		const send = () => fetch("/reports", {method: "POST", body: body, redirect: "manual"}).then(r => r.type);
		return (await Promise.all([send(), send()])).join(",");
	})()`)
	officer.expect("post twice", got == "opaqueredirect,opaqueredirect", "answers: %s", got)
	// ... and two quick clicks on the button itself.
	officer.do("click twice",
		chromedp.Evaluate[chromedp.Void](`(() => { const b = document.querySelector("button[name=op][value=file]"); b.click(); b.click(); })()`),
		chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	officer.expect("click twice", strings.Contains(officer.text("again", "p.notice.ok"), "đã được lưu trước đó"), "the resubmission made a new case")
	require.Equal(t, before+1, countRows(t, "cases"), "a double submit made more than one case")
}

// waitForDownload waits for a finished file with the extension in dir.
func waitForDownload(t *testing.T, dir, ext string, timeout time.Duration) []byte {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		entries, _ := os.ReadDir(dir)
		for _, e := range entries {
			if strings.HasSuffix(e.Name(), ext) {
				raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
				if err == nil && len(raw) > 0 {
					return raw
				}
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	return nil
}

// TestBrowserAcknowledgeABreachOnAPhone: a report filed three days after it
// was received, with emergency measures recorded late, is a breach the
// commune officer is told of; on a 360 px screen she acknowledges it from
// the case page, with a note, and it leaves the page's alerts.
func TestBrowserAcknowledgeABreachOnAPhone(t *testing.T) {
	open := newBrowser(t, 2*time.Minute)
	token := login(t, "officer1")
	body := report()
	body["received_at"] = time.Now().Add(-72 * time.Hour).In(caseflow.Zone).Truncate(time.Minute).Format(time.RFC3339)
	code := mustFile(t, token, body)
	c := call(t, http.MethodGet, "/api/v1/cases/"+code, token, nil)
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	r := call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", token, map[string]any{"event": "record_emergency_measures",
		"version": c.Body["version"], "data": map[string]any{"measures": "Trẻ ở với bà (hư cấu)"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))

	officer := open("officer1")
	officer.useSession(token)
	officer.do("phone", chromedp.EmulateViewport(360, 740))
	form := `#h-alerts ~ ul form.ack`
	officer.do("case page", chromedp.Navigate(env.srv.URL+"/cases/"+code), chromedp.WaitVisible(chromedp.CSS(form)))
	width := officer.eval("fits", `String(document.documentElement.scrollWidth)`)
	officer.expect("fits", width == "360", "the page is %s px wide on a 360 px screen", width)
	officer.do("acknowledge",
		chromedp.SendKeys(chromedp.CSS(form+` input[name=note]`), "Đã liên hệ gia đình (hư cấu)"),
		chromedp.Click(chromedp.CSS(form+` button[type=submit]`)),
		chromedp.WaitVisible(chromedp.CSS("p.notice.ok")))
	officer.expect("acknowledged", strings.Contains(officer.text("acknowledged", "p.notice.ok"), "Đã xác nhận"), "no confirmation")
	officer.expect("acknowledged", strings.Contains(officer.location(), "/cases/"+code), "not back on the case page: %s", officer.location())
	n := officer.eval("gone", `String(document.querySelectorAll("#h-alerts").length)`)
	officer.expect("gone", n == "0", "the alert is still offered")
	h := call(t, http.MethodGet, "/api/v1/cases/"+code+"/history", token, nil)
	require.Equal(t, http.StatusOK, h.Status, string(h.Raw))
	require.Contains(t, string(h.Raw), "breach_acknowledged")
}
