// Command loadgen puts a bounded load on a caseflow API running on this
// machine and reports throughput and latency. It only talks to loopback
// addresses, sends fictional people only, and stops after -n requests or
// -duration, whichever comes first.
//
//	go run ./cmd/loadgen -url http://127.0.0.1:8080 -n 2000 -c 16
//
// Mode intake logs in once (logins are rate-limited per account) and files
// new reports with POST /api/v1/reports, each with its own Idempotency-Key.
package main

import (
	"caseflow/internal/clock"

	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		fmt.Fprintln(os.Stderr, "loadgen:", err)
		os.Exit(1)
	}
}

// options are the command-line flags.
type options struct {
	baseURL     string
	user        string
	password    string
	commune     string
	concurrency int
	total       int
	duration    time.Duration
	mode        string
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("loadgen", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&o.baseURL, "url", "http://127.0.0.1:8080", "base URL of the API (loopback only)")
	fs.StringVar(&o.user, "user", "officer1", "account to log in as")
	fs.StringVar(&o.password, "password", "demo1234!", "password of the account")
	fs.StringVar(&o.commune, "commune", "12005", "commune code the reports are filed for")
	fs.IntVar(&o.concurrency, "c", 16, "concurrent workers")
	fs.IntVar(&o.total, "n", 2000, "total requests to send")
	fs.DurationVar(&o.duration, "duration", 60*time.Second, "stop after this long even if -n is not reached")
	fs.StringVar(&o.mode, "mode", "intake", "what to load: intake (file reports) or events (fire workflow events on existing cases)")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
	}
	switch {
	case o.concurrency < 1 || o.concurrency > 1024:
		return nil, errors.New("-c must be between 1 and 1024")
	case o.total < 1 || o.total > 1_000_000:
		return nil, errors.New("-n must be between 1 and 1000000")
	case o.duration <= 0 || o.duration > time.Hour:
		return nil, errors.New("-duration must be positive and at most 1h")
	}
	u, err := loopbackURL(o.baseURL)
	if err != nil {
		return nil, err
	}
	o.baseURL = u
	return o, nil
}

// loopbackURL checks that raw names this machine and returns it without a
// trailing slash. Loading anything else is refused: this tool is for local
// measurement, never for someone else's server.
func loopbackURL(raw string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("-url %q: %v", raw, err)
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", fmt.Errorf("-url %q: scheme must be http or https", raw)
	}
	switch u.Hostname() {
	case "127.0.0.1", "localhost", "::1":
	default:
		return "", fmt.Errorf("-url %q: refusing to load host %q; only 127.0.0.1, localhost and [::1] are allowed", raw, u.Hostname())
	}
	if u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("-url %q: give only scheme, host, port and path", raw)
	}
	return strings.TrimRight(u.String(), "/"), nil
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	client := &http.Client{
		Timeout: 30 * time.Second,
		Transport: &http.Transport{
			Proxy:               nil, // never send loopback traffic through a proxy
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second}).DialContext,
			MaxIdleConns:        o.concurrency,
			MaxIdleConnsPerHost: o.concurrency,
			IdleConnTimeout:     30 * time.Second,
		},
	}
	// Redirects would leave the loopback host the URL was checked against.
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	var send sender
	switch o.mode {
	case "intake":
		token, err := login(ctx, client, o)
		if err != nil {
			return err
		}
		send = (&intake{client: client, opts: o, token: token, run: runID()}).send
	case "events":
		token, err := login(ctx, client, o)
		if err != nil {
			return err
		}
		ev := &events{client: client, opts: o, token: token, run: runID(), cases: make(chan *eventCase, o.concurrency)}
		if err := ev.prepare(ctx); err != nil {
			return err
		}
		send = ev.send
	default:
		return fmt.Errorf("-mode %q: unknown mode (known: intake, events)", o.mode)
	}

	fmt.Fprintf(stdout, "loadgen: mode=%s url=%s user=%s c=%d n=%d duration≤%s\n",
		o.mode, o.baseURL, o.user, o.concurrency, o.total, o.duration)
	res := drive(ctx, o, send)
	res.print(stdout)
	if res.ok == 0 {
		return errors.New("no request succeeded")
	}
	return nil
}

// sender sends request number i of the run and returns its HTTP status and
// the start of its body when the status is not 2xx.
type sender func(ctx context.Context, rng *mrand.Rand, i int) (status int, errBody string, err error)

// sample is the outcome of one request.
type sample struct {
	status  int // 0 when no response arrived
	latency time.Duration
	errText string
}

// drive runs the workers until o.total requests were sent or o.duration has
// passed, and gathers what they saw.
func drive(ctx context.Context, o *options, send sender) *result {
	ctx, cancel := context.WithTimeout(ctx, o.duration)
	defer cancel()

	var next atomic.Int64
	samples := make([][]sample, o.concurrency)
	seed := mrand.Uint64()
	start := clock.Now()
	var wg sync.WaitGroup
	for w := range o.concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := mrand.New(mrand.NewPCG(seed, uint64(w)))
			for ctx.Err() == nil {
				i := int(next.Add(1))
				if i > o.total {
					return
				}
				t0 := clock.Now()
				status, body, err := send(ctx, rng, i)
				s := sample{status: status, latency: clock.Since(t0), errText: body}
				if err != nil {
					if ctx.Err() != nil {
						return // cut off by -duration or an interrupt: not a measurement
					}
					s.errText = err.Error()
				}
				samples[w] = append(samples[w], s)
			}
		}()
	}
	wg.Wait()
	r := &result{elapsed: clock.Since(start), statuses: map[int]int{}, firstErr: map[int]string{}}
	r.stoppedEarly = ctx.Err() != nil
	for _, ws := range samples {
		for _, s := range ws {
			r.add(s)
		}
	}
	return r
}

// result summarises a run.
type result struct {
	elapsed      time.Duration
	stoppedEarly bool
	statuses     map[int]int
	firstErr     map[int]string
	ok           int
	all          []time.Duration // latency of every request that got a response
	okLat        []time.Duration // latency of the 2xx ones
}

func (r *result) add(s sample) {
	r.statuses[s.status]++
	if s.status >= 200 && s.status < 300 {
		r.ok++
		r.okLat = append(r.okLat, s.latency)
	} else if _, seen := r.firstErr[s.status]; !seen && s.errText != "" {
		r.firstErr[s.status] = s.errText
	}
	if s.status != 0 {
		r.all = append(r.all, s.latency)
	}
}

func (r *result) print(w io.Writer) {
	sent := 0
	codes := make([]int, 0, len(r.statuses))
	for code, n := range r.statuses {
		codes = append(codes, code)
		sent += n
	}
	sort.Ints(codes)
	parts := make([]string, 0, len(codes))
	for _, code := range codes {
		parts = append(parts, fmt.Sprintf("%s=%d", label(code), r.statuses[code]))
	}
	secs := r.elapsed.Seconds()
	note := ""
	if r.stoppedEarly {
		note = " (stopped by -duration or interrupt)"
	}
	fmt.Fprintf(w, "requests:   %d in %s%s\n", sent, r.elapsed.Round(time.Millisecond), note)
	fmt.Fprintf(w, "status:     %s\n", strings.Join(parts, " "))
	fmt.Fprintf(w, "throughput: %.1f successful req/s (%.1f req/s overall)\n", float64(r.ok)/secs, float64(sent)/secs)
	fmt.Fprintf(w, "latency ok: %s\n", percentiles(r.okLat))
	if len(r.all) != len(r.okLat) {
		fmt.Fprintf(w, "latency all: %s\n", percentiles(r.all))
	}
	for _, code := range codes {
		if text, ok := r.firstErr[code]; ok {
			fmt.Fprintf(w, "first %s: %s\n", label(code), text)
		}
	}
}

func label(code int) string {
	if code == 0 {
		return "no-response"
	}
	return fmt.Sprint(code)
}

// percentiles formats p50, p95, p99 and max by the nearest-rank method.
func percentiles(d []time.Duration) string {
	if len(d) == 0 {
		return "n/a"
	}
	s := slices.Clone(d)
	slices.Sort(s)
	at := func(p float64) time.Duration {
		k := int(p*float64(len(s))+0.999999) - 1
		return s[max(0, min(k, len(s)-1))]
	}
	ms := func(x time.Duration) string { return fmt.Sprintf("%.1fms", float64(x.Microseconds())/1000) }
	return fmt.Sprintf("p50=%s p95=%s p99=%s max=%s (n=%d)", ms(at(0.50)), ms(at(0.95)), ms(at(0.99)), ms(s[len(s)-1]), len(s))
}

// login obtains a session token; it is called once per run.
func login(ctx context.Context, client *http.Client, o *options) (string, error) {
	body, _ := json.Marshal(map[string]string{"username": o.user, "password": o.password})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.baseURL+"/api/v1/auth/login", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("login as %s: %s: %s", o.user, resp.Status, snippet(raw))
	}
	var out struct {
		Token string `json:"token"`
	}
	if err := json.Unmarshal(raw, &out); err != nil || out.Token == "" {
		return "", fmt.Errorf("login as %s: no token in the answer: %s", o.user, snippet(raw))
	}
	return out.Token, nil
}

// intake files fictional reports.
type intake struct {
	client *http.Client
	opts   *options
	token  string
	run    string
}

var (
	channels   = []string{"hotline_111", "walk_in", "school", "health_facility", "police", "online", "other"}
	abuseTypes = []string{"sexual", "physical", "emotional", "neglect", "trafficking", "child_labour", "child_marriage", "online", "other"}
	settings   = []string{"family", "school", "online", "public", "other"}
	ict        = time.FixedZone("ICT", 7*3600)
)

func (in *intake) send(ctx context.Context, rng *mrand.Rand, i int) (int, string, error) {
	body, err := json.Marshal(fictionalReport(rng, in.opts.commune, i, clock.Now()))
	if err != nil {
		return 0, "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.opts.baseURL+"/api/v1/reports", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+in.token)
	req.Header.Set("Idempotency-Key", fmt.Sprintf("loadgen-%s-%d", in.run, i))
	resp, err := in.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		_, err := io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, "", err
	}
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	return resp.StatusCode, snippet(raw), nil
}

// fictionalReport builds report number i. Every person in it is invented and
// named as test data.
func fictionalReport(rng *mrand.Rand, commune string, i int, now time.Time) map[string]any {
	first := time.Date(2012, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(time.Date(2018, 12, 31, 0, 0, 0, 0, time.UTC).Sub(first).Hours() / 24)
	dob := first.AddDate(0, 0, rng.IntN(days+1))
	received := now.Add(-time.Duration(1+rng.IntN(7*24*60)) * time.Minute).In(ict)

	types := []string{pick(rng, abuseTypes)}
	if rng.IntN(4) == 0 {
		if t := pick(rng, abuseTypes); t != types[0] {
			types = append(types, t)
		}
	}
	sex := "female"
	if rng.IntN(2) == 0 {
		sex = "male"
	}
	rep := map[string]any{
		"received_at":      received.Format(time.RFC3339),
		"channel":          pick(rng, channels),
		"commune_code":     commune,
		"abuse_types":      types,
		"setting":          pick(rng, settings),
		"immediate_danger": rng.IntN(10) == 0,
		"children": []map[string]any{{
			"full_name":     fmt.Sprintf("Trẻ Thử Tải %d", i),
			"sex":           sex,
			"date_of_birth": dob.Format("2006-01-02"),
			"address":       fmt.Sprintf("Thôn Thử Tải %d", 1+rng.IntN(20)),
		}},
		"narrative": fmt.Sprintf("Nội dung hư cấu dùng để thử tải, báo cáo số %d.", i),
	}
	if rng.IntN(2) == 0 {
		rep["suspects"] = []map[string]any{{"full_name": fmt.Sprintf("Người Thử Tải %d", i), "relationship": "neighbour"}}
	}
	if rng.IntN(3) != 0 {
		rep["reporter"] = map[string]any{"full_name": fmt.Sprintf("Người Báo Thử Tải %d", i),
			"phone": fmt.Sprintf("0900 %03d %03d", rng.IntN(1000), rng.IntN(1000)), "relationship": "neighbour"}
	}
	return rep
}

func pick(rng *mrand.Rand, from []string) string { return from[rng.IntN(len(from))] }

// runID tells this run's idempotency keys apart from every other run's.
func runID() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// snippet shortens a response body for one line of output.
func snippet(b []byte) string {
	s := strings.Join(strings.Fields(string(b)), " ")
	if r := []rune(s); len(r) > 200 {
		s = string(r[:200]) + "…"
	}
	return s
}

// events fires a workflow event (a risk assessment, which keeps the case in
// its state) on a pool of cases, one case per worker, so the run measures
// transitions rather than version conflicts.
type events struct {
	client *http.Client
	opts   *options
	token  string
	run    string
	cases  chan *eventCase
}

type eventCase struct {
	code    string
	version int
}

// prepare files one report per worker.
func (ev *events) prepare(ctx context.Context) error {
	in := &intake{client: ev.client, opts: ev.opts, token: ev.token, run: ev.run}
	rng := mrand.New(mrand.NewPCG(1, 2))
	for i := range ev.opts.concurrency {
		body, _ := json.Marshal(fictionalReport(rng, in.opts.commune, i, clock.Now()))
		var out struct {
			Code    string `json:"code"`
			Version int    `json:"version"`
		}
		if err := ev.post(ctx, "/api/v1/reports", body, &out); err != nil {
			return fmt.Errorf("preparing cases: %w", err)
		}
		ev.cases <- &eventCase{code: out.Code, version: out.Version}
	}
	return nil
}

func (ev *events) post(ctx context.Context, path string, body []byte, out any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.opts.baseURL+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ev.token)
	resp, err := ev.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s: %s", resp.Status, snippet(raw))
	}
	return json.Unmarshal(raw, out)
}

func (ev *events) send(ctx context.Context, rng *mrand.Rand, i int) (int, string, error) {
	var c *eventCase
	select {
	case c = <-ev.cases:
	case <-ctx.Done():
		return 0, "", ctx.Err()
	}
	defer func() { ev.cases <- c }()
	levels := []string{"low", "medium", "high"}
	body, _ := json.Marshal(map[string]any{"event": "assess_risk", "version": c.version,
		"data": map[string]any{"risk_level": pick(rng, levels)}})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, ev.opts.baseURL+"/api/v1/cases/"+c.code+"/events", bytes.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+ev.token)
	resp, err := ev.client.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode != http.StatusOK {
		return resp.StatusCode, snippet(raw), nil
	}
	var out struct {
		Version int `json:"version"`
	}
	if err := json.Unmarshal(raw, &out); err != nil {
		return resp.StatusCode, "", err
	}
	c.version = out.Version
	return resp.StatusCode, "", nil
}
