package server_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"caseflow/internal/account"
	"caseflow/internal/casework"
	"caseflow/internal/limiter"
	"caseflow/internal/server"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// env is shared by the tests of this package: one database, one server,
// set up by TestMain and never changed afterwards. What a test makes (its
// sessions, its reports) it makes for itself, through the fixture builders
// of fixture_test.go.
var env struct {
	db    *testenv.Database
	srv   *httptest.Server
	logs  *testenv.LogBuffer
	flows *workflow.Registry
	// accounts opens the tests' sessions directly, with the server's token
	// secret, so that they do not share the login endpoint's per-address
	// limit (the endpoint is tested in auth_test.go).
	accounts *account.Service
}

// names collects every personal name the tests submit, so that TestMain can
// check that none of them reached the logs. Tests only add to it.
var names struct {
	mu   sync.Mutex
	list []string
}

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	db, err := testenv.NewDatabase(ctx, "server")
	if err != nil {
		fmt.Fprintln(os.Stderr, "test database:", err)
		return 1
	}
	defer db.Close()
	flows, err := workflow.LoadDir("../../workflows")
	if err != nil {
		fmt.Fprintln(os.Stderr, "workflows:", err)
		return 1
	}
	rc, err := testenv.Redis()
	if err != nil {
		fmt.Fprintln(os.Stderr, "redis:", err)
		return 1
	}
	defer rc.Close()
	logs := db.Logs
	log := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	acc := &account.Service{Store: db.DB, Limiter: &limiter.Redis{Client: rc, Prefix: "test:" + testenv.Suffix() + ":"},
		Secret: []byte(strings.Repeat("s", 32)), Params: testenv.FastParams,
		// Every test logs in from 127.0.0.1: the per-address limit is
		// tested on a service of its own (auth_test.go), not through this one.
		IPLimit: 1000}
	cw := casework.New(casework.Config{Store: db.DB, Workflows: flows, WorkflowID: "child-abuse", WorkflowVersion: 1})
	srv := server.New(server.Config{Accounts: acc, Cases: cw, Workflows: flows, Log: log,
		Ready: map[string]server.Pinger{"postgres": db.DB}})
	env.db, env.srv, env.logs, env.flows = db, httptest.NewServer(srv), logs, flows
	env.accounts = &account.Service{Store: db.DB, Secret: acc.Secret, Params: testenv.FastParams,
		Limiter: &limiter.Redis{Client: rc, Prefix: "test:sessions:" + testenv.Suffix() + ":"}, IPLimit: 1 << 30}
	defer env.srv.Close()

	code := m.Run()
	if code == 0 {
		all := logs.String()
		for _, n := range names.list {
			if strings.Contains(all, n) {
				fmt.Fprintf(os.Stderr, "FAIL: a submitted personal name reached the logs\n")
				return 1
			}
		}
		if len(all) == 0 {
			fmt.Fprintln(os.Stderr, "FAIL: the server logged nothing; the log check would be empty")
			return 1
		}
	}
	return code
}

// remember records personal names the log check must not find.
func remember(n ...string) {
	names.mu.Lock()
	defer names.mu.Unlock()
	names.list = append(names.list, n...)
}

// response is a decoded API answer.
type response struct {
	Status int
	Header http.Header
	Body   map[string]any
	Raw    []byte
}

// call sends a request to the test server.
func call(t *testing.T, method, path, token string, body any, headers ...string) response {
	t.Helper()
	return callAt(t, env.srv.URL, method, path, token, body, headers...)
}

// callAt sends a request to the server at base.
func callAt(t *testing.T, base, method, path, token string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		raw, err := json.Marshal(b)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	out := response{Status: res.StatusCode, Header: res.Header, Raw: raw}
	if len(raw) > 0 && strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		require.NoError(t, json.Unmarshal(raw, &out.Body), string(raw))
	}
	return out
}

// errorOf returns the error code and fields of an error response.
func errorOf(t *testing.T, r response) (string, map[string]any) {
	t.Helper()
	e, ok := r.Body["error"].(map[string]any)
	require.True(t, ok, "not an error body: %s", r.Raw)
	fields, _ := e["fields"].(map[string]any)
	return e["code"].(string), fields
}

// Commune codes of the demo officers.
const (
	communeOfficer1 = "12004"
	communeOfficer2 = "11953"
)

// report returns a valid intake body for officer1's commune with a unique
// fictional child name, recorded for the log check.
func report() map[string]any {
	n := nextSeq()
	child := fmt.Sprintf("Bé Hư Cấu Số %d", n)
	suspect := fmt.Sprintf("Nghi Phạm Hư Cấu %d", n)
	reporter := fmt.Sprintf("Người Báo Hư Cấu %d", n)
	remember(child, suspect, reporter)
	return map[string]any{
		"received_at": "2026-11-29T08:00:00+07:00", "channel": "hotline_111", "commune_code": communeOfficer1,
		"abuse_types": []string{"sexual"}, "setting": "family", "immediate_danger": true,
		"children":  []map[string]any{{"full_name": child, "sex": "female", "date_of_birth": "2015-03-02", "address": "Thôn Giả Định"}},
		"suspects":  []map[string]any{{"full_name": suspect, "relationship": "relative"}},
		"reporter":  map[string]any{"full_name": reporter, "phone": "0900 000 111", "relationship": "neighbour", "anonymous": false},
		"narrative": "Câu chuyện hư cấu dùng cho kiểm thử " + child,
	}
}

// countRows counts rows of a table, to check that a refused request wrote nothing.
func countRows(t *testing.T, table string) int64 {
	t.Helper()
	var n int64
	require.NoError(t, env.db.RawCount(context.Background(), table, &n))
	return n
}
