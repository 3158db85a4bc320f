// Command load files reports against a running caseflow for the fault
// scripts in scripts/faults: C clients, each sending one report at a time
// and sending it again under the same Idempotency-Key, with the same body,
// after a connection error, a timeout or a 5xx answer, until it is
// acknowledged. It may also fire one event on some of the cases it filed,
// retrying it only where that is safe (see fireEvent).
//
// It knows only the public API. It writes every attempt and every outcome
// to CSV files in -out, so that the calling script can hold them against the
// database, and prints one line of figures. It exits non-zero only when it
// cannot start (no login); what the answers mean is for the script to judge.
//
//	go run ./scripts/faults/load -base http://127.0.0.1:28181 -c 8 -d 20s -out /tmp/x
package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// emergencyLimit is the limit of the emergency_measures clock, which a
// report flagged immediate_danger starts at its received_at.
const emergencyLimit = 12 * time.Hour

// options are the command-line flags.
type options struct {
	bases       []string
	user, pass  string
	commune     string
	clients     int
	n           int
	window      time.Duration
	drain       time.Duration
	prefix      string
	dangerEvery int
	dueIn       time.Duration
	dueAt       int64
	dueSpread   time.Duration
	eventEvery  int
	pause       time.Duration
	timeout     time.Duration
	out         string
}

func parseFlags() *options {
	o := &options{}
	base := flag.String("base", "http://127.0.0.1:28181", "caseflow base URLs, comma-separated; requests go round them in turn")
	flag.StringVar(&o.user, "user", "officer1", "demo user who files the reports")
	flag.StringVar(&o.pass, "pass", "demo1234!", "its password")
	flag.StringVar(&o.commune, "commune", "", "commune code of the reports (default: the user's unit)")
	flag.IntVar(&o.clients, "c", 8, "clients sending at once")
	flag.IntVar(&o.n, "n", 0, "reports to file in all (0: as many as the window allows)")
	flag.DurationVar(&o.window, "d", 20*time.Second, "new reports are begun during this long")
	flag.DurationVar(&o.drain, "drain", 60*time.Second, "after the window, a report not yet acknowledged is retried this much longer")
	flag.StringVar(&o.prefix, "prefix", "fault", "Idempotency-Key prefix of this run")
	flag.IntVar(&o.dangerEvery, "danger-every", 0, "one report in this many is flagged immediate_danger, starting a 12-hour clock (0: none)")
	flag.DurationVar(&o.dueIn, "due-in", 0, "a flagged report's clock falls due this long after its body is built (0: 12 h, received now)")
	flag.Int64Var(&o.dueAt, "due-at", 0, "a flagged report's clock falls due at this Unix second (overrides -due-in)")
	flag.DurationVar(&o.dueSpread, "due-spread", 0, "spread the due times uniformly over this much after -due-in or -due-at (whole seconds)")
	flag.IntVar(&o.eventEvery, "event-every", 0, "fire assess_risk on one acknowledged case in this many (0: none)")
	flag.DurationVar(&o.pause, "pause", 0, "pause of each client between reports")
	flag.DurationVar(&o.timeout, "timeout", 10*time.Second, "timeout of one request")
	flag.StringVar(&o.out, "out", ".", "directory for attempts.csv, reports.csv and events.csv")
	flag.Parse()
	for _, b := range strings.Split(*base, ",") {
		if b = strings.TrimRight(strings.TrimSpace(b), "/"); b != "" {
			o.bases = append(o.bases, b)
		}
	}
	if len(o.bases) == 0 || o.clients < 1 {
		fmt.Fprintln(os.Stderr, "load: -base and -c must be given")
		os.Exit(2)
	}
	return o
}

func main() {
	o := parseFlags()
	r, err := newRun(o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	defer r.close()
	if err := r.start(); err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		os.Exit(2)
	}
	r.loop()
	fmt.Println(r.figures())
}

// run is one load run: its clients share a token, the counters and the
// CSV files.
type run struct {
	o        *options
	http     *http.Client
	token    string
	commune  string
	begun    time.Time
	stopNew  time.Time // no report is begun after this
	giveUp   time.Time // no request is sent after this
	next     atomic.Int64
	rr       atomic.Int64
	attempts *table
	reports  *table
	events   *table
	counts   sync.Map // name -> *atomic.Int64
}

func newRun(o *options) (*run, error) {
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return nil, err
	}
	r := &run{o: o, http: &http.Client{Timeout: o.timeout, Transport: &http.Transport{MaxIdleConnsPerHost: o.clients * 2}}}
	var err error
	if r.attempts, err = newTable(filepath.Join(o.out, "attempts.csv"),
		"sent_ms", "done_ms", "op", "key", "status", "retry_after", "code", "detail"); err != nil {
		return nil, err
	}
	if r.reports, err = newTable(filepath.Join(o.out, "reports.csv"),
		"key", "outcome", "code", "attempts", "first_ms", "ack_ms", "danger", "due_unix"); err != nil {
		return nil, err
	}
	if r.events, err = newTable(filepath.Join(o.out, "events.csv"),
		"key", "code", "event", "from_version", "outcome", "attempts", "detail"); err != nil {
		return nil, err
	}
	return r, nil
}

func (r *run) close() {
	for _, t := range []*table{r.attempts, r.reports, r.events} {
		t.close()
	}
}

// start logs in and learns the commune, retrying while the service cannot
// answer, for at most the window and the drain.
func (r *run) start() error {
	r.begun = time.Now()
	r.stopNew = r.begun.Add(r.o.window)
	r.giveUp = r.stopNew.Add(r.o.drain)
	body, _ := json.Marshal(map[string]string{"username": r.o.user, "password": r.o.pass})
	for {
		a := r.send("login", "", "POST", "/api/v1/auth/login", body, "", "")
		if a.status == 200 {
			var out struct{ Token string }
			if err := json.Unmarshal(a.body, &out); err != nil || out.Token == "" {
				return fmt.Errorf("login answered 200 without a token")
			}
			r.token = out.Token
			break
		}
		if !a.retryable() || time.Now().After(r.giveUp) {
			return fmt.Errorf("login: status %d %s %s", a.status, a.code, a.detail)
		}
		r.backoff(1, a)
	}
	if r.commune = r.o.commune; r.commune != "" {
		return nil
	}
	for {
		a := r.send("me", "", "GET", "/api/v1/me", nil, "", "")
		if a.status == 200 {
			var out struct{ Unit struct{ Code string } }
			_ = json.Unmarshal(a.body, &out)
			if r.commune = out.Unit.Code; r.commune == "" {
				return fmt.Errorf("/me names no unit")
			}
			return nil
		}
		if !a.retryable() || time.Now().After(r.giveUp) {
			return fmt.Errorf("/me: status %d %s", a.status, a.code)
		}
		r.backoff(1, a)
	}
}

// loop runs the clients until the window has passed (or -n reports were
// begun) and every report begun is acknowledged or given up.
func (r *run) loop() {
	var wg sync.WaitGroup
	for w := 0; w < r.o.clients; w++ {
		wg.Go(func() {
			for {
				i := r.next.Add(1) - 1
				if (r.o.n > 0 && i >= int64(r.o.n)) || time.Now().After(r.stopNew) {
					return
				}
				r.report(int(i))
				if r.o.pause > 0 {
					time.Sleep(r.o.pause)
				}
			}
		})
	}
	wg.Wait()
}

// report files report i until it is acknowledged or the run gives up.
func (r *run) report(i int) {
	key := fmt.Sprintf("%s-%06d", r.o.prefix, i)
	danger := r.o.dangerEvery > 0 && i%r.o.dangerEvery == 0
	received := time.Now()
	var due time.Time
	if danger && (r.o.dueIn > 0 || r.o.dueAt > 0) {
		due = time.Now().Add(r.o.dueIn)
		if r.o.dueAt > 0 {
			due = time.Unix(r.o.dueAt, 0)
		}
		if r.o.dueSpread >= time.Second {
			due = due.Add(time.Duration(rand.Int64N(int64(r.o.dueSpread/time.Second))) * time.Second)
		}
		received = due.Add(-emergencyLimit)
	}
	received = received.Truncate(time.Second)
	if danger {
		due = received.Add(emergencyLimit)
	}
	body := reportBody(r.commune, key, received, danger)
	first := time.Now()
	for n := 1; ; n++ {
		a := r.send("report", key, "POST", "/api/v1/reports", body, key, "")
		switch {
		case a.status == 201 || a.status == 200:
			var c struct {
				Code    string
				Version int
			}
			_ = json.Unmarshal(a.body, &c)
			r.add("report_acked", 1)
			r.reports.row(key, "acked", c.Code, n, first.UnixMilli(), a.done.UnixMilli(), b2i(danger), dueUnix(due))
			if r.o.eventEvery > 0 && i%r.o.eventEvery == 0 && c.Code != "" {
				r.fireEvent(key, c.Code, c.Version)
			}
			return
		case !a.retryable() || time.Now().After(r.giveUp):
			outcome := "gave_up"
			if !a.retryable() {
				outcome = "refused"
			}
			r.add("report_"+outcome, 1)
			r.reports.row(key, outcome, "", n, first.UnixMilli(), 0, b2i(danger), dueUnix(due))
			return
		}
		r.backoff(n, a)
	}
}

// fireEvent fires assess_risk on a case just filed, at the version its
// acknowledgement named. The body carries that version, so a repeat of an
// event that was applied but whose answer was lost is refused 409 (stale
// version). After a lost answer, a 409 counts as "applied" only if the case
// is now at exactly the next version; otherwise the event is not retried.
// The request carries an Idempotency-Key too: where the service keeps
// answers by key, a retry gets the first answer, and a 409 with Retry-After
// (the same request still being served) is waited out and sent again.
func (r *run) fireEvent(key, code string, version int) {
	const event = "assess_risk"
	body, _ := json.Marshal(map[string]any{"event": event, "version": version, "data": map[string]any{"risk_level": "low"}})
	path := "/api/v1/cases/" + code + "/events"
	lost := false
	for n := 1; ; n++ {
		a := r.send("event", key, "POST", path, body, "ev-"+key, "")
		switch {
		case a.status == 201 || a.status == 200:
			r.events.row(key, code, event, version, "acked", n, "")
			return
		case a.status == 409 && lost && !a.inFlight():
			v, ok := r.caseVersion(key, code)
			switch {
			case ok && v == version+1:
				r.events.row(key, code, event, version, "applied", n, "409 after a lost answer; version moved by one")
			case ok:
				r.events.row(key, code, event, version, "unknown", n, fmt.Sprintf("409 after a lost answer; version %d", v))
			default:
				r.events.row(key, code, event, version, "unknown", n, "409 after a lost answer; version unreadable")
			}
			return
		case !a.retryable() || time.Now().After(r.giveUp):
			outcome := "gave_up"
			if !a.retryable() {
				outcome = "refused"
			}
			r.events.row(key, code, event, version, outcome, n, fmt.Sprintf("%d %s", a.status, a.code))
			return
		}
		lost = lost || !a.inFlight()
		r.backoff(n, a)
	}
}

// caseVersion reads a case's version, retrying while the service cannot
// answer.
func (r *run) caseVersion(key, code string) (int, bool) {
	for n := 1; ; n++ {
		a := r.send("case", key, "GET", "/api/v1/cases/"+code, nil, "", "")
		if a.status == 200 {
			var c struct{ Version int }
			if json.Unmarshal(a.body, &c) == nil && c.Version > 0 {
				return c.Version, true
			}
			return 0, false
		}
		if !a.retryable() || time.Now().After(r.giveUp) {
			return 0, false
		}
		r.backoff(n, a)
	}
}

// attempt is one request and what came of it; status 0 is a request that
// got no answer (connection refused or reset, timeout).
type attempt struct {
	sent, done time.Time
	status     int
	retryAfter string
	code       string
	detail     string
	body       []byte
}

// retryable says whether the request may be sent again as it is: no
// answer, an answer of the service being unavailable or overloaded, a 5xx
// (which the scripts count as a failure of the service, but which a keyed
// request survives), or a 409 with Retry-After (the same request is still
// being served under its key).
func (a attempt) retryable() bool {
	return a.status == 0 || a.status == 429 || a.status >= 500 || a.inFlight()
}

// inFlight says whether the answer is "the same request is still being
// served": 409 with Retry-After.
func (a attempt) inFlight() bool { return a.status == 409 && a.retryAfter != "" }

func (r *run) send(op, key, method, path string, body []byte, idemKey, token string) attempt {
	if token == "" {
		token = r.token
	}
	base := r.o.bases[int(r.rr.Add(1))%len(r.o.bases)]
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	a := attempt{sent: time.Now()}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		a.done, a.detail = time.Now(), err.Error()
		return a
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
		// No rewinding: net/http would otherwise send a request with an
		// Idempotency-Key again by itself after a lost connection, and the
		// lost answer would go uncounted.
		req.GetBody = nil
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if idemKey != "" {
		req.Header.Set("Idempotency-Key", idemKey)
	}
	resp, err := r.http.Do(req)
	if err != nil {
		a.done, a.detail = time.Now(), errClass(err)
	} else {
		a.body, _ = io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		a.done, a.status, a.retryAfter = time.Now(), resp.StatusCode, resp.Header.Get("Retry-After")
		if a.status >= 300 {
			var e struct {
				Error struct {
					Code      string `json:"code"`
					RequestID string `json:"request_id"`
				} `json:"error"`
			}
			_ = json.Unmarshal(a.body, &e)
			a.code, a.detail = e.Error.Code, e.Error.RequestID
		} else if op == "report" {
			var c struct{ Code string }
			_ = json.Unmarshal(a.body, &c)
			a.code = c.Code
		}
	}
	r.count(op, a)
	r.attempts.row(a.sent.UnixMilli(), a.done.UnixMilli(), op, key, a.status, a.retryAfter, a.code, a.detail)
	return a
}

// count keeps the figures printed at the end.
func (r *run) count(op string, a attempt) {
	r.add(op+"_sent", 1)
	switch {
	case a.status == 0:
		r.add(op+"_conn_err", 1)
	case a.status == 503 && a.retryAfter == "":
		r.add(op+"_s503_no_retry_after", 1)
		r.add(op+"_s503", 1)
	default:
		r.add(op+"_s"+strconv.Itoa(a.status), 1)
	}
}

func (r *run) add(name string, n int64) {
	c, _ := r.counts.LoadOrStore(name, new(atomic.Int64))
	c.(*atomic.Int64).Add(n)
}

func (r *run) get(name string) int64 {
	if c, ok := r.counts.Load(name); ok {
		return c.(*atomic.Int64).Load()
	}
	return 0
}

// figures is the one line printed at the end.
func (r *run) figures() string {
	var b strings.Builder
	fmt.Fprintf(&b, "reports=%d", r.reports.n.Load())
	names := []string{}
	r.counts.Range(func(k, _ any) bool { names = append(names, k.(string)); return true })
	slices.Sort(names)
	for _, n := range names {
		fmt.Fprintf(&b, " %s=%d", n, r.get(n))
	}
	fmt.Fprintf(&b, " seconds=%.1f", time.Since(r.begun).Seconds())
	return b.String()
}

// backoff waits before retry n after answer a: 100 ms doubling to 1 s,
// with jitter. The Retry-After of a 503 (5 s) is not waited out in full, so
// that the scripts see how soon the service serves again; that of a request
// still in flight or rate-limited is, since nothing changes before it ends.
func (r *run) backoff(n int, a attempt) {
	if a.inFlight() || a.status == 429 {
		if s, err := strconv.Atoi(a.retryAfter); err == nil && s > 0 {
			time.Sleep(min(time.Duration(s)*time.Second, time.Until(r.giveUp)+time.Millisecond))
			return
		}
	}
	d := min(100*time.Millisecond<<min(n-1, 4), time.Second)
	time.Sleep(d/2 + time.Duration(rand.Int64N(int64(d/2))))
}

func reportBody(commune, key string, received time.Time, danger bool) []byte {
	b, _ := json.Marshal(map[string]any{
		"received_at": received.Format(time.RFC3339), "channel": "hotline_111", "commune_code": commune,
		"abuse_types": []string{"physical"}, "setting": "family", "immediate_danger": danger,
		"children":  []map[string]any{{"full_name": "Trẻ Thử " + key, "sex": "female", "age": 9, "address": "Thôn Thử"}},
		"suspects":  []map[string]any{{"full_name": "Người Thử", "relationship": "relative"}},
		"reporter":  map[string]any{"full_name": "Người Báo", "phone": "0900000000", "relationship": "neighbour", "anonymous": false},
		"narrative": "Báo cáo thử nghiệm sự cố " + key + ".",
	})
	return b
}

// errClass names a request that got no answer in a few words.
func errClass(err error) string {
	var ue interface{ Timeout() bool }
	if errors.As(err, &ue) && ue.Timeout() {
		return "timeout"
	}
	s := err.Error()
	for _, w := range []string{"connection refused", "connection reset", "EOF", "broken pipe"} {
		if strings.Contains(s, w) {
			return w
		}
	}
	if i := strings.LastIndex(s, ": "); i >= 0 {
		return s[i+2:]
	}
	return s
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

func dueUnix(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// table is a CSV file written by many clients.
type table struct {
	mu sync.Mutex
	f  *os.File
	w  *csv.Writer
	n  atomic.Int64
}

func newTable(path string, header ...string) (*table, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	t := &table{f: f, w: csv.NewWriter(f)}
	_ = t.w.Write(header)
	return t, nil
}

func (t *table) row(vals ...any) {
	rec := make([]string, len(vals))
	for i, v := range vals {
		rec[i] = fmt.Sprint(v)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	_ = t.w.Write(rec)
	t.n.Add(1)
	if t.n.Load()%200 == 0 {
		t.w.Flush()
	}
}

func (t *table) close() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.w.Flush()
	t.f.Close()
}
