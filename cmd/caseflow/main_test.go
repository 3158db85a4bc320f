package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/config"
	"caseflow/internal/seal"
	"caseflow/internal/testenv"
)

// stopWithin is how long a command may take to stop once its context ends.
const stopWithin = 5 * time.Second

// newDatabase creates a database of the test's own, migrated and seeded with
// the demo accounts, dropped when the test ends.
func newDatabase(t *testing.T) *testenv.Database {
	t.Helper()
	db, err := testenv.NewDatabase(context.Background(), "cmd")
	require.NoError(t, err)
	t.Cleanup(db.Close)
	return db
}

// newNamespace returns a Redis namespace of the test's own (the worker's
// queue name and the prefix of the rate-limit keys), and deletes what the
// commands left under it when the test ends.
func newNamespace(t *testing.T) string {
	t.Helper()
	ns := "test-cmd-" + testenv.Suffix()
	t.Cleanup(func() {
		rc, err := testenv.Redis()
		if err != nil {
			t.Logf("redis: %v", err)
			return
		}
		defer rc.Close()
		ctx := context.Background()
		for _, pattern := range []string{"asynq:{" + ns + "}:*", ns + ":*"} {
			if err := dropKeys.Run(ctx, rc, nil, pattern).Err(); err != nil {
				t.Logf("deleting the keys %s: %v", pattern, err)
			}
		}
		_ = rc.SRem(ctx, "asynq:queues", ns).Err()
	})
	return ns
}

// dropKeys deletes the keys matching ARGV[1] in one step, so that no key
// moves from one of the namespace's keys to another between a KEYS and a DEL.
var dropKeys = redis.NewScript(`
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 500 do
	redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
return #keys`)

// env is a valid environment for serve and worker on db, with fresh keys;
// edit changes it before use. Nothing comes from the process's environment.
func env(db *testenv.Database, edit func(map[string]string)) config.Getenv {
	vars := map[string]string{
		"DATABASE_URL":     db.URL,
		"REDIS_URL":        testenv.RedisURL(),
		"HTTP_ADDR":        "127.0.0.1:0",
		"ENCRYPTION_KEYS":  "t1:" + seal.NewKey(),
		"BLIND_INDEX_KEY":  seal.NewKey(),
		"TOKEN_SECRET":     seal.NewKey(),
		"WORKFLOWS_DIR":    "../../workflows",
		"CASE_CODE_PREFIX": "MT",
	}
	if edit != nil {
		edit(vars)
	}
	return func(name string) string { return vars[name] }
}

// command is one caseflow command running in the background.
type command struct {
	main   *Main
	stdout *testenv.LogBuffer
	stderr *testenv.LogBuffer
	cancel context.CancelFunc
	done   chan error
}

// start runs a command with getenv as its environment until stop.
func start(t *testing.T, getenv config.Getenv, ns string, args ...string) *command {
	t.Helper()
	c := &command{stdout: &testenv.LogBuffer{}, stderr: &testenv.LogBuffer{}, done: make(chan error, 1)}
	c.main = NewMain(getenv, c.stdout, c.stderr)
	c.main.RedisNamespace = ns
	ctx, cancel := context.WithCancel(context.Background())
	c.cancel = cancel
	go func() {
		err := c.main.Run(ctx, args)
		c.main.Close()
		c.done <- err
	}()
	t.Cleanup(func() {
		cancel()
		<-c.done
		if t.Failed() {
			t.Logf("%s log:\n%s", args[0], c.stderr.String())
		}
	})
	return c
}

// stop ends the command's context and requires it to return without an
// error within stopWithin.
func (c *command) stop(t *testing.T) {
	t.Helper()
	c.cancel()
	select {
	case err := <-c.done:
		c.done <- err // for the cleanup
		require.NoError(t, err)
	case <-time.After(stopWithin):
		t.Fatalf("the command did not stop within %s", stopWithin)
	}
}

// waitLog waits for a log line with the message msg and returns it decoded.
// It fails at once if the command ends instead.
func (c *command) waitLog(t *testing.T, msg string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		sc := bufio.NewScanner(strings.NewReader(c.stderr.String()))
		for sc.Scan() {
			var line map[string]any
			if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == msg {
				return line
			}
		}
		select {
		case err := <-c.done:
			c.done <- err
			t.Fatalf("the command ended before logging %q: %v", msg, err)
		case <-time.After(20 * time.Millisecond):
		}
	}
	t.Fatalf("no %q log line within 15s", msg)
	return nil
}

// client talks to a running serve command.
type client struct {
	base  string
	token string
	http  *http.Client
}

// call sends a JSON request and returns the status and decoded body.
func (c *client) call(t *testing.T, method, path string, body any, headers ...string) (int, map[string]any) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		raw, err := json.Marshal(body)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, c.base+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	var out map[string]any
	if len(raw) > 0 {
		require.NoError(t, json.Unmarshal(raw, &out), "%s %s: %s", method, path, raw)
	}
	return res.StatusCode, out
}

// fictionalReport is a valid intake body for officer1's commune (12004)
// about a fictional child.
func fictionalReport(child string, receivedAt time.Time) map[string]any {
	return map[string]any{
		"received_at": receivedAt.In(caseflow.Zone).Format(time.RFC3339), "channel": "hotline_111", "commune_code": "12004",
		"abuse_types": []string{"physical"}, "setting": "family", "immediate_danger": true,
		"children":  []map[string]any{{"full_name": child, "sex": "female", "date_of_birth": "2015-03-02", "address": "Thôn Giả Định"}},
		"reporter":  map[string]any{"anonymous": true},
		"narrative": "Câu chuyện hư cấu dùng cho kiểm thử lệnh.",
	}
}

func TestServeAndWorker(t *testing.T) {
	t.Parallel()
	db := newDatabase(t)
	ns := newNamespace(t)
	getenv := env(db, nil)

	t.Run("MigrateLeavesACurrentSchemaAsItIs", func(t *testing.T) {
		var stdout, stderr bytes.Buffer
		m := NewMain(getenv, &stdout, &stderr)
		err := m.Run(context.Background(), []string{"migrate"})
		m.Close()
		require.NoError(t, err, stderr.String())
	})

	serve := start(t, getenv, ns, "serve")
	worker := start(t, getenv, ns, "worker")
	worker.waitLog(t, "timers restored")
	url, _ := serve.waitLog(t, "listening")["url"].(string)
	require.True(t, strings.HasPrefix(url, "http://127.0.0.1:"), "listening on %q", url)
	require.NotEqual(t, "http://127.0.0.1:0", url, "the log names the bound port, not the one asked for")
	api := &client{base: url, http: &http.Client{Timeout: 10 * time.Second}}

	status, body := api.call(t, http.MethodGet, "/readyz", nil)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, map[string]any{"postgres": "ok", "redis": "ok"}, body["checks"])

	status, body = api.call(t, http.MethodPost, "/api/v1/auth/login", map[string]string{"username": "officer1", "password": testenv.Password})
	require.Equal(t, http.StatusOK, status, body)
	api.token, _ = body["token"].(string)
	require.NotEmpty(t, api.token)

	child := "Bé Hư Cấu Lệnh " + testenv.Suffix()
	receivedAt := time.Now().Add(-time.Hour).Truncate(time.Second)
	status, body = api.call(t, http.MethodPost, "/api/v1/reports", fictionalReport(child, receivedAt), "Idempotency-Key", "cmd-"+testenv.Suffix())
	require.Equal(t, http.StatusCreated, status, body)
	code := fmt.Sprintf("MT-%d-000001", receivedAt.In(caseflow.Zone).Year())
	require.Equal(t, code, body["code"], "the first case of a fresh database, with CASE_CODE_PREFIX")

	status, body = api.call(t, http.MethodGet, "/api/v1/cases/"+code, nil)
	require.Equal(t, http.StatusOK, status, body)
	require.Equal(t, "received", body["state"])
	require.Equal(t, "full", body["access"])
	kids, _ := body["children"].([]any)
	require.Len(t, kids, 1)
	require.Equal(t, child, kids[0].(map[string]any)["full_name"], "the worker and API share the key ring: names decrypt")
	require.NotEmpty(t, body["available_events"])

	status, body = api.call(t, http.MethodGet, "/api/v1/cases/"+code+"/clocks", nil)
	require.Equal(t, http.StatusOK, status, body)
	clocks, _ := body["clocks"].([]any)
	require.Len(t, clocks, 1)
	k := clocks[0].(map[string]any)
	require.Equal(t, "emergency_measures", k["clock"])
	require.Equal(t, "running", k["status"])

	// The worker is alive: it relays the clock's warning and breach timers
	// from the outbox to its own queue.
	rc, err := testenv.Redis()
	require.NoError(t, err)
	defer rc.Close()
	require.Eventually(t, func() bool {
		n, err := db.DB.OutboxBacklog(context.Background())
		if err != nil || n != 0 {
			return false
		}
		scheduled, err := rc.ZCard(context.Background(), "asynq:{"+ns+"}:scheduled").Result()
		return err == nil && scheduled == 2
	}, 10*time.Second, 50*time.Millisecond, "the worker did not move the timers to queue %s", ns)

	api.http.CloseIdleConnections()
	serve.stop(t)
	worker.stop(t)
	serve.waitLog(t, "shutting down the API")
	worker.waitLog(t, "worker stopped")
	for name, c := range map[string]*command{"serve": serve, "worker": worker} {
		require.NotContains(t, c.stderr.String(), child, "%s logged a child's name", name)
	}
	_, err = (&http.Client{Timeout: time.Second}).Get(url + "/healthz")
	require.Error(t, err, "serve still answers after it stopped")
}

func TestServeRefusesBadConfig(t *testing.T) {
	t.Parallel()
	// These stop in configuration, before any database or Redis is reached.
	offline := &testenv.Database{URL: "postgres://postgres@127.0.0.1:1/none?sslmode=disable"}
	for _, tc := range []struct {
		name     string
		command  string
		edit     func(map[string]string)
		variable string
		message  string
	}{
		{"HTTPAddrNotAnAddress", "serve", func(v map[string]string) { v["HTTP_ADDR"] = "not-an-address" },
			"HTTP_ADDR", "must be host:port"},
		{"NoEncryptionKeys", "serve", func(v map[string]string) { delete(v, "ENCRYPTION_KEYS") },
			"ENCRYPTION_KEYS", "is required"},
		{"NoBlindIndexKey", "serve", func(v map[string]string) { delete(v, "BLIND_INDEX_KEY") },
			"BLIND_INDEX_KEY", "is required"},
		{"NoTokenSecret", "serve", func(v map[string]string) { delete(v, "TOKEN_SECRET") },
			"TOKEN_SECRET", "is required"},
		{"ShortBlindIndexKey", "serve", func(v map[string]string) { v["BLIND_INDEX_KEY"] = "c2hvcnQ=" },
			"BLIND_INDEX_KEY", "at least 32 bytes"},
		{"EncryptionKeyNotBase64", "serve", func(v map[string]string) { v["ENCRYPTION_KEYS"] = "t1:not base64!" },
			"ENCRYPTION_KEYS", ""},
		{"WorkerWithoutEncryptionKeys", "worker", func(v map[string]string) { delete(v, "ENCRYPTION_KEYS") },
			"ENCRYPTION_KEYS", "is required"},
		{"WorkerWithoutBlindIndexKey", "worker", func(v map[string]string) { delete(v, "BLIND_INDEX_KEY") },
			"BLIND_INDEX_KEY", "is required"},
		{"UnknownReading", "serve", func(v map[string]string) { v["WORKFLOW_READINGS"] = "emergency_clok=every_report" },
			"WORKFLOW_READINGS", `declares a reading "emergency_clok"`},
		{"UnknownReadingOption", "serve", func(v map[string]string) { v["WORKFLOW_READINGS"] = "emergency_clock=always" },
			"WORKFLOW_READINGS", `has no option "always"`},
		{"ReadingsNotPairs", "serve", func(v map[string]string) { v["WORKFLOW_READINGS"] = "emergency_clock" },
			"WORKFLOW_READINGS", "id=option pairs"},
		{"NoSuchWorkflowVersion", "serve", func(v map[string]string) { v["WORKFLOW_VERSION"] = "9" },
			"WORKFLOW_VERSION", "no version 9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			m := NewMain(env(offline, tc.edit), &stdout, &stderr)
			ctx, cancel := context.WithTimeout(context.Background(), stopWithin)
			defer cancel()
			err := m.Run(ctx, []string{tc.command})
			m.Close()
			var ce *config.Error
			require.True(t, errors.As(err, &ce), "want a configuration error, got %v", err)
			require.Equal(t, tc.variable, ce.Var, err.Error())
			require.True(t, strings.HasPrefix(err.Error(), tc.variable+": "), "the message names the variable: %s", err)
			require.Contains(t, ce.Msg, tc.message)
			require.NotContains(t, stdout.String()+stderr.String(), "listening")
		})
	}

	t.Run("AddressInUse", func(t *testing.T) {
		t.Parallel()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer ln.Close()
		db := newDatabase(t)
		var stdout, stderr bytes.Buffer
		m := NewMain(env(db, func(v map[string]string) { v["HTTP_ADDR"] = ln.Addr().String() }), &stdout, &stderr)
		m.RedisNamespace = newNamespace(t)
		ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
		defer cancel()
		err = m.Run(ctx, []string{"serve"})
		m.Close()
		var ce *config.Error
		require.True(t, errors.As(err, &ce), "want a configuration error, got %v", err)
		require.Equal(t, "HTTP_ADDR", ce.Var, err.Error())
		require.Contains(t, ce.Msg, "address already in use")
	})
}

// The key commands on cases filed with the key ring alone (synthetic cases
// are): verify counts them, rotate gives each a data key wrapped by the new
// master key, the old key can then leave the ring, and a shred erases one.
func TestKeysRotateVerifyAndShred(t *testing.T) {
	t.Parallel()
	db := newDatabase(t)
	oldKey, newKey := "old1:"+seal.NewKey(), "new2:"+seal.NewKey()
	blind := seal.NewKey()
	retention := ""
	run := func(keys string, args ...string) (string, error) {
		t.Helper()
		var stdout, stderr bytes.Buffer
		m := NewMain(env(db, func(v map[string]string) {
			v["ENCRYPTION_KEYS"], v["BLIND_INDEX_KEY"], v["RETENTION"] = keys, blind, retention
		}), &stdout, &stderr)
		err := m.Run(context.Background(), args)
		m.Close()
		return stdout.String() + stderr.String(), err
	}
	out, err := run(oldKey, "seed", "--synthetic", "30", "--from", "2025-01-01")
	require.NoError(t, err, out)
	out, err = run(oldKey, "keys", "verify")
	require.NoError(t, err, out)
	require.Contains(t, out, "30 cases still without a data key")

	out, err = run(newKey+","+oldKey, "keys", "rotate")
	require.NoError(t, err, out)
	require.Contains(t, out, "30 cases given a data key")
	require.Contains(t, out, `master key "new2" wraps 30 data keys`)
	require.Contains(t, out, "0 cases still without a data key")
	// Run again: nothing left to do.
	out, err = run(newKey+","+oldKey, "keys", "rotate")
	require.NoError(t, err, out)
	require.Contains(t, out, "0 cases given a data key, 0 data keys wrapped again")
	// The old key may leave.
	out, err = run(newKey, "keys", "verify")
	require.NoError(t, err, out)
	require.Contains(t, out, "30 data keys open")
	// Without the new key nothing opens: verify fails.
	out, err = run(oldKey, "keys", "verify")
	require.Error(t, err, out)

	codes, err := db.QueryStrings(context.Background(), `SELECT code FROM cases ORDER BY id LIMIT 1`)
	require.NoError(t, err)
	out, err = run(newKey, "cases", "shred", codes[0], "retention ended (test)")
	require.NoError(t, err, out)
	require.Contains(t, out, "personal data erased")
	out, err = run(newKey, "keys", "verify")
	require.NoError(t, err, out)
	require.Contains(t, out, "29 data keys open, 1 cases shredded")
	_, err = run(newKey, "cases", "shred", codes[0], "again")
	require.Error(t, err, "shredded twice")

	// Retention: not set, nothing is erased; set, a dry run lists and
	// changes nothing, then a run erases what it listed.
	out, err = run(newKey, "retention", "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "RETENTION is not set")
	retention = "default=0"
	out, err = run(newKey, "retention", "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "(dry run: nothing changed)")
	listed := strings.Count(out, "\tdue ")
	require.Positive(t, listed, "no synthetic case is closed: %s", out)
	out, err = run(newKey, "keys", "verify")
	require.NoError(t, err, out)
	require.Contains(t, out, "1 cases shredded", "the dry run erased something")
	out, err = run(newKey, "retention")
	require.NoError(t, err, out)
	require.Contains(t, out, fmt.Sprintf("retention: %d cases had their personal data erased", listed))
	out, err = run(newKey, "retention", "--dry-run")
	require.NoError(t, err, out)
	require.Contains(t, out, "retention: 0 cases would")
}
