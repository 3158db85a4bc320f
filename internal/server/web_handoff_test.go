package server_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// After a save that ends the saver's access (the forensic centre records its
// conclusion and the case goes back to the police), the browser lands on the
// worklist with the save confirmed, never on a "not found" page.
func TestSaveThatEndsAccessLandsOnTheWorklist(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	c.fire(t, "police1", "accept_referral", "police", map[string]any{"intake_number": "TL-02/2026"})
	c.fire(t, "police1", "decide_prosecution", "investigation", map[string]any{"crime_category": "serious", "penal_code_article": "146"})
	c.fire(t, "police1", "record_exam_grounds", "investigation", map[string]any{"grounds": "Cần xác định dấu vết"})
	c.fire(t, "police1", "request_forensic_exam", "forensic_exam", map[string]any{"exam_kind": "sexual_abuse"})

	health := webAs(t, "health1")
	page := health.get("/cases/" + c.code)
	require.Equal(t, http.StatusOK, page.Status)
	saved := health.post("/cases/"+c.code+"/events", url.Values{"event": {"conclude_forensic_exam"},
		"version": {strconv.Itoa(c.version)}, "d_concluded_on": {"2026-11-29"}, "d_conclusion": {"Có dấu vết"}})
	require.Equal(t, http.StatusSeeOther, saved.Status, saved.Body)
	require.True(t, strings.HasPrefix(saved.Location, "/worklist?"), "redirected to %s", saved.Location)
	landed := health.get(saved.Location)
	require.Equal(t, http.StatusOK, landed.Status)
	require.Contains(t, landed.Body, c.code, "the worklist names the case saved")
	require.Contains(t, landed.Body, "Kết luận giám định", "and the step recorded")
	require.Equal(t, http.StatusNotFound, health.get("/cases/"+c.code).Status, "the access did end")
}

// The history names the steps the system records in words, not by id.
func TestHistoryNamesSystemStepsInWords(t *testing.T) {
	token := login(t, "officer1")
	body := report()
	body["received_at"] = "2026-11-20T08:00:00+07:00"
	code := mustFile(t, token, body)
	c := call(t, http.MethodGet, "/api/v1/cases/"+code, token, nil)
	require.Equal(t, http.StatusOK, c.Status, string(c.Raw))
	r := call(t, http.MethodPost, "/api/v1/cases/"+code+"/events", token, map[string]any{"event": "record_emergency_measures",
		"version": c.Body["version"], "data": map[string]any{"measures": "Trẻ ở với bà (hư cấu)"}})
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	page := webAs(t, "officer1").get("/cases/" + code)
	require.Equal(t, http.StatusOK, page.Status)
	require.NotContains(t, page.Body, ">clock_breached<")
	require.NotContains(t, page.Body, "clock_breached")
	require.Contains(t, page.Body, "Ghi nhận quá hạn")
}

// No form of the case page shows two fields with the same label.
func TestNoFormHasTwoNotes(t *testing.T) {
	code := mustFile(t, login(t, "officer1"), report())
	page := webAs(t, "officer1").get("/cases/" + code)
	require.Equal(t, http.StatusOK, page.Status)
	for _, form := range strings.Split(page.Body, "<form")[1:] {
		form = form[:strings.Index(form, "</form>")]
		seen := map[string]bool{}
		for _, part := range strings.Split(form, "<label")[1:] {
			text := part[strings.Index(part, ">")+1:]
			text = strings.TrimSpace(text[:strings.Index(text, "<")])
			if text == "" {
				continue
			}
			require.False(t, seen[text], "two fields labelled %q in one form", text)
			seen[text] = true
		}
	}
}

// Pages go compressed to a client that accepts it.
func TestPagesAreCompressed(t *testing.T) {
	req, err := http.NewRequest(http.MethodGet, env.srv.URL+"/login", nil)
	require.NoError(t, err)
	req.Header.Set("Accept-Encoding", "gzip")
	resp, err := (&http.Transport{DisableCompression: true}).RoundTrip(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.Equal(t, "gzip", resp.Header.Get("Content-Encoding"))
}

// The stylesheet, stored compressed, is compressed once.
func TestStylesheetIsCompressedOnce(t *testing.T) {
	page := webAs(t, "officer1").get("/contacts")
	css := regexp.MustCompile(`/static/app\.[0-9a-f]+\.css`).FindString(page.Body)
	require.NotEmpty(t, css)
	resp, err := http.Get(env.srv.URL + css) // the client asks for gzip and decodes it
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Contains(t, string(body), "fieldset.reporter", "the stylesheet reads as CSS")
}

// A case is found again by its code or the end of it, in the API and the
// list page; a search that is not a code is refused, naming the field.
func TestFindACaseByCode(t *testing.T) {
	token := login(t, "officer1")
	code := mustFile(t, token, report())
	end := code[strings.LastIndex(code, "-")+1:]
	r := call(t, http.MethodGet, "/api/v1/cases?code="+end, token, nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	found := r.Body["cases"].([]any)
	require.NotEmpty(t, found)
	for _, c := range found {
		require.True(t, strings.HasSuffix(c.(map[string]any)["code"].(string), end))
	}
	bad := call(t, http.MethodGet, "/api/v1/cases?code="+url.QueryEscape("x' OR 1=1"), token, nil)
	require.Equal(t, http.StatusUnprocessableEntity, bad.Status)
	_, fields := errorOf(t, bad)
	require.Contains(t, fields, "code")

	page := webAs(t, "officer1").get("/cases?code=" + strings.ToLower(code))
	require.Equal(t, http.StatusOK, page.Status)
	require.Contains(t, page.Body, `href="/cases/`+code+`"`)
	require.Equal(t, 1, strings.Count(page.Body, `<a href="/cases/HY-`), "only the case asked for")
}

// The worklist says which deadline each case is waiting on.
func TestWorklistNamesTheDeadline(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	r := call(t, http.MethodGet, "/api/v1/worklist", login(t, "police1"), nil)
	require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
	var clock string
	for _, it := range r.Body["items"].([]any) {
		if m := it.(map[string]any); m["code"] == c.code {
			clock, _ = m["due_clock"].(string)
		}
	}
	require.NotEmpty(t, clock, "the worklist item names its clock")
	def, ok := env.flows.Get("child-abuse", 1)
	require.True(t, ok)
	k, ok := def.Clock(clock)
	require.True(t, ok)
	audited := countAudit(t, "case.list_people")
	page := webAs(t, "police1").get("/worklist")
	require.Equal(t, http.StatusOK, page.Status)
	row := page.Body[strings.Index(page.Body, `href="/cases/`+c.code+`"`):]
	row = row[:strings.Index(row, "</tr>")]
	require.Contains(t, row, k.Label.VI)
	// The row names the child by initials and age, never in full.
	require.Contains(t, row, caseflow.Initials(c.child()))
	require.NotContains(t, row, c.child())
	require.Greater(t, countAudit(t, "case.list_people"), audited, "the worklist's read of the children is not audited")
}

// The steps that meet the viewer's running deadline come first, marked as
// what to do next; steps that meet none are not marked.
func TestCasePageMarksTheNextStep(t *testing.T) {
	c := newWFCase(t)
	c.fire(t, "officer1", "refer_police", "police", map[string]any{"remote_commune": false})
	page := webAs(t, "police1").get("/cases/" + c.code)
	require.Equal(t, http.StatusOK, page.Status)
	first := page.Body[strings.Index(page.Body, `<details class="action`):]
	require.True(t, strings.HasPrefix(first, `<details class="action next"`), "the first step is not marked next")
	require.Contains(t, first[:strings.Index(first, "</summary>")], "Việc cần làm tiếp")
	accept := page.Body[strings.Index(page.Body, `id="f-event-accept_referral"`)-40:]
	require.Contains(t, accept[:60], "next", "accepting the referral meets the acceptance deadline")
	requireNoMissingWords(t, page.Body)
}
