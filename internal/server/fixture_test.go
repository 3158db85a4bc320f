package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/testenv"
)

// seq numbers what tests make (fictional names, usernames), so that no two
// are alike even when tests run in parallel.
var seq atomic.Int64

func nextSeq() int64 { return seq.Add(1) }

// sessions are the sessions one test opened, by user; they end with it.
type sessions struct {
	mu     sync.Mutex
	tokens map[string]string
}

// testSessions holds each running test's sessions.
var testSessions sync.Map // *testing.T → *sessions

// login returns a bearer token for a demo user, opened for this test alone
// and ended when the test ends.
func login(t *testing.T, user string) string {
	t.Helper()
	v, loaded := testSessions.LoadOrStore(t, &sessions{tokens: map[string]string{}})
	ss := v.(*sessions)
	if !loaded {
		t.Cleanup(func() {
			testSessions.Delete(t)
			ss.mu.Lock()
			defer ss.mu.Unlock()
			for _, tok := range ss.tokens {
				_ = env.accounts.Logout(context.Background(), caseflow.Viewer{RequestID: "test-cleanup"}, tok)
			}
		})
	}
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if tok, ok := ss.tokens[user]; ok {
		return tok
	}
	sess, _, err := env.accounts.Login(context.Background(), user, testenv.Password, "192.0.2.10", "test-login")
	require.NoError(t, err, "logging in %s", user)
	ss.tokens[user] = sess.Token
	return sess.Token
}

// writeTables are the tables an intake writes to; a refused request must
// leave all of them as they were.
var writeTables = []string{"cases", "case_people", "idempotency_keys"}

// rowCounts counts the rows of the intake tables. Tests that compare counts
// must not run in parallel with tests that file reports.
func rowCounts(t *testing.T) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for _, tb := range writeTables {
		out[tb] = countRows(t, tb)
	}
	return out
}

// requireNothingWritten checks that the intake tables are as they were.
func requireNothingWritten(t *testing.T, before map[string]int64) {
	t.Helper()
	require.Equal(t, before, rowCounts(t), "a refused request wrote rows")
}

// fileReport posts an intake body as officer tok and returns the answer.
func fileReport(t *testing.T, tok string, body any, headers ...string) response {
	t.Helper()
	return call(t, http.MethodPost, "/api/v1/reports", tok, body, headers...)
}

// mustFile posts an intake body and requires it to be created; it returns
// the new case code.
func mustFile(t *testing.T, tok string, body any) string {
	t.Helper()
	r := fileReport(t, tok, body)
	require.Equal(t, http.StatusCreated, r.Status, string(r.Raw))
	code, _ := r.Body["code"].(string)
	require.NotEmpty(t, code)
	return code
}

// firstChild returns the first child of an intake body built by report.
func firstChild(body map[string]any) map[string]any {
	return body["children"].([]map[string]any)[0]
}

// reporterOf returns the reporter of an intake body built by report.
func reporterOf(body map[string]any) map[string]any {
	return body["reporter"].(map[string]any)
}

// forOfficer2 turns an intake body into one officer2 may file.
func forOfficer2(body map[string]any) map[string]any {
	body["commune_code"] = communeOfficer2
	return body
}

// casePage is one page of GET /api/v1/cases.
type casePage struct {
	Cases []struct {
		Code    string `json:"code"`
		State   string `json:"state"`
		Access  string `json:"access"`
		Commune struct {
			Code string `json:"code"`
		} `json:"commune"`
	} `json:"cases"`
	NextCursor string `json:"next_cursor"`
}

// listPage fetches one page of the case list with the given query.
func listPage(t *testing.T, tok string, q url.Values) (casePage, response) {
	t.Helper()
	r := call(t, http.MethodGet, "/api/v1/cases?"+q.Encode(), tok, nil)
	var p casePage
	if r.Status == http.StatusOK {
		require.NoError(t, json.Unmarshal(r.Raw, &p), string(r.Raw))
	}
	return p, r
}

// listAll follows next_cursor through every page of the case list and
// returns the codes in order, failing if a page repeats a code.
func listAll(t *testing.T, tok string, q url.Values) []string {
	t.Helper()
	if q == nil {
		q = url.Values{}
	}
	seen := map[string]bool{}
	var codes []string
	for pages := 0; ; pages++ {
		require.Less(t, pages, 10000, "pagination does not end")
		p, r := listPage(t, tok, q)
		require.Equal(t, http.StatusOK, r.Status, string(r.Raw))
		for _, c := range p.Cases {
			require.False(t, seen[c.Code], "case %s is on two pages", c.Code)
			seen[c.Code] = true
			codes = append(codes, c.Code)
		}
		if p.NextCursor == "" {
			return codes
		}
		q.Set("cursor", p.NextCursor)
	}
}

// rawAnswer is an answer received off the test goroutine.
type rawAnswer struct {
	Status int
	Body   map[string]any
	Raw    []byte
	Err    error
}

// postRaw posts raw bytes without a *testing.T, for use from goroutines; the
// caller checks Err.
func postRaw(path, token string, raw []byte, headers ...string) rawAnswer {
	req, err := http.NewRequest(http.MethodPost, env.srv.URL+path, bytes.NewReader(raw))
	if err != nil {
		return rawAnswer{Err: err}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return rawAnswer{Err: err}
	}
	defer res.Body.Close()
	out := rawAnswer{Status: res.StatusCode}
	if out.Raw, out.Err = io.ReadAll(res.Body); out.Err != nil {
		return out
	}
	if out.Err = json.Unmarshal(out.Raw, &out.Body); out.Err != nil {
		out.Err = fmt.Errorf("%w: %s", out.Err, out.Raw)
	}
	return out
}

// postAtOnce sends n requests at once, body i from raw(i), and returns the
// answers in order.
func postAtOnce(t *testing.T, n int, path, token string, raw func(i int) []byte, headers ...string) []rawAnswer {
	t.Helper()
	out := make([]rawAnswer, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		body := raw(i)
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i] = postRaw(path, token, body, headers...)
		}()
	}
	close(start)
	wg.Wait()
	for _, s := range out {
		require.NoError(t, s.Err)
	}
	return out
}
