package queue_test

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/casework"
	"caseflow/internal/queue"
	"caseflow/internal/testenv"
	"caseflow/internal/workflow"
)

// The clock of the test workflow (testdata/workflows/test-clocks.v1.yaml):
// it starts when a report is received and falls due one hour later, so a
// report received an hour ago falls due within seconds. Time is moved by
// choosing received_at, never by waiting.
const (
	testWorkflow = "test-clocks"
	testClock    = "first_response"
	clockLimit   = time.Hour
	// officerAgency is officer1's agency, answerable for the test clock in
	// commune 12005.
	officerAgency = "CP-12004"
)

// fixture is one test's own database (a worker sweeps every clock of its
// database, so tests that run workers never share one), the case service on
// the test workflow and the accounts that look at the results.
type fixture struct {
	env        *testenv.Database
	cases      *casework.Service
	officer    caseflow.Viewer // officer1: files reports; its agency answers for the clock
	supervisor caseflow.Viewer // supervisor1: the province's supervisor

	filed atomic.Int64
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	ctx := context.Background()
	env, err := testenv.NewDatabase(ctx, "queue")
	require.NoError(t, err)
	t.Cleanup(env.Close)
	flows, err := workflow.LoadDir("testdata/workflows")
	require.NoError(t, err)
	f := &fixture{env: env,
		cases: casework.New(casework.Config{Store: env.DB, Workflows: flows, WorkflowID: testWorkflow, WorkflowVersion: 1})}
	f.officer = f.viewer(t, "officer1")
	f.supervisor = f.viewer(t, "supervisor1")
	// Every agency has a duty mailbox.
	require.NoError(t, env.Exec(ctx, `INSERT INTO contact_points (agency_id, channel, address, created_at)
		SELECT id, 'email', lower(code) || '@duty.example.test', now() FROM agencies`))
	return f
}

func (f *fixture) viewer(t *testing.T, username string) caseflow.Viewer {
	t.Helper()
	u, err := f.env.DB.UserByUsername(context.Background(), username)
	require.NoError(t, err)
	return caseflow.Viewer{UserID: u.ID, Username: u.Username, Role: u.Role, Agency: u.Agency}
}

// file files a report whose clock falls due at due, and returns the case
// code. The people are fictional.
func (f *fixture) file(t *testing.T, due time.Time) string {
	t.Helper()
	code, err := f.fileErr(due)
	require.NoError(t, err)
	return code
}

// fileErr is file for goroutines, which must not call require.
func (f *fixture) fileErr(due time.Time) (string, error) {
	n := f.filed.Add(1)
	age := 7 + int(n%10)
	r := &caseflow.Report{
		ReceivedAt:  due.Add(-clockLimit),
		Channel:     "hotline_111",
		CommuneCode: "12004",
		AbuseTypes:  []string{"neglect"},
		Setting:     "family",
		Children:    []caseflow.Person{{FullName: "Trẻ Thử Nghiệm " + strconv.FormatInt(n, 10), Sex: "female", Age: &age}},
		Narrative:   "Fictional report for a deadline test.",
	}
	res, err := f.cases.Intake(context.Background(), f.officer, r, "", nil)
	if err != nil {
		return "", err
	}
	return res.Case.Code, nil
}

// fileMany files n reports due at the same moment, eight at a time.
func (f *fixture) fileMany(t *testing.T, n int, due time.Time) []string {
	t.Helper()
	codes := make([]string, n)
	errs := make([]error, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				codes[i], errs[i] = f.fileErr(due)
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return codes
}

// clock returns the test clock of a case as the API shows it.
func (f *fixture) clock(t *testing.T, code string) caseflow.Clock {
	t.Helper()
	_, clocks, err := f.env.DB.Clocks(context.Background(), f.officer, code)
	require.NoError(t, err)
	require.Len(t, clocks, 1)
	require.Equal(t, testClock, clocks[0].Clock)
	return clocks[0]
}

// waitClock polls a case's clock until done says so or the time is up, and
// returns the clock as last read.
func (f *fixture) waitClock(t *testing.T, code string, until time.Time, done func(caseflow.Clock) bool) caseflow.Clock {
	t.Helper()
	for {
		k := f.clock(t, code)
		if done(k) || time.Now().After(until) {
			return k
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func breached(k caseflow.Clock) bool { return k.Status == "breached" }

// historyEvents counts the history rows of a case by event.
func (f *fixture) historyEvents(t *testing.T, code string) map[string]int {
	t.Helper()
	h, err := f.env.DB.History(context.Background(), f.officer, code)
	require.NoError(t, err)
	n := map[string]int{}
	for _, e := range h {
		n[e.Event]++
	}
	return n
}

// notifications counts a viewer's notifications of one kind, by case code.
func (f *fixture) notifications(t *testing.T, v caseflow.Viewer, kind string) map[string]int {
	t.Helper()
	ns, _, err := f.env.DB.Notifications(context.Background(), v, 10000)
	require.NoError(t, err)
	n := map[string]int{}
	for _, x := range ns {
		if x.Kind == kind {
			require.Equal(t, testClock, x.Clock)
			require.Contains(t, x.Message, x.CaseCode)
			n[x.CaseCode]++
		}
	}
	return n
}

// count runs a count(*) query.
func (f *fixture) count(t *testing.T, query string, args ...any) int {
	t.Helper()
	out, err := f.env.QueryStrings(context.Background(), "SELECT count(*)::text FROM "+query, args...)
	require.NoError(t, err)
	require.Len(t, out, 1)
	n, err := strconv.Atoi(out[0])
	require.NoError(t, err)
	return n
}

// payload is the timer payload of a clock.
func payload(k caseflow.Clock, kind string) caseflow.TimerPayload {
	return caseflow.TimerPayload{ClockID: k.ID, Generation: k.Generation, Kind: kind}
}

// newQueue returns a queue name of the test's own on the Redis at url, so
// that tests running at once never take each other's timers, and deletes
// the queue when the test ends (after its workers have stopped).
//
// The queue name is the whole of a test's isolation in Redis: every test
// of every package shares the one test database, and nothing ever empties
// it. A test that needs Redis to lose its data loses its own queue's
// (loseQueue).
func newQueue(t *testing.T, url string) string {
	t.Helper()
	name := "test-" + testenv.Suffix()
	opt, err := queue.RedisOpt(url)
	require.NoError(t, err)
	t.Cleanup(func() {
		in := asynq.NewInspector(opt)
		defer in.Close()
		_ = in.DeleteQueue(name, true)
		// DeleteQueue leaves the queue's processed and failed counters.
		if err := dropQueueKeys(url, name); err != nil {
			t.Logf("deleting the keys of queue %s: %v", name, err)
		}
	})
	return name
}

// dropQueueScript deletes the keys matching ARGV[1] in one step: Redis runs
// a script to the end before any other command, so a timer moving from one
// of the queue's keys to another (scheduled to pending, say) cannot slip
// past it as it could between a KEYS and a DEL.
var dropQueueScript = redis.NewScript(`
local keys = redis.call('KEYS', ARGV[1])
for i = 1, #keys, 500 do
	redis.call('DEL', unpack(keys, i, math.min(i + 499, #keys)))
end
return #keys`)

// dropQueueKeys deletes every key of one asynq queue (they all start with
// asynq:{name}:), and nothing of any other queue.
func dropQueueKeys(url, name string) error {
	if strings.ContainsAny(name, `*?[]\`) {
		return fmt.Errorf("queue name %q would match other queues' keys", name)
	}
	opt, err := redis.ParseURL(url)
	if err != nil {
		return err
	}
	c := redis.NewClient(opt)
	defer c.Close()
	return dropQueueScript.Run(context.Background(), c, nil, "asynq:{"+name+"}:*").Err()
}

// loseQueue makes Redis lose everything it holds of one queue: its timers,
// tasks, leases and counters. For the workers of that queue this is Redis
// restarted without its data; other tests and packages, which use other
// queues and keys, see nothing of it.
func loseQueue(t *testing.T, url, name string) {
	t.Helper()
	require.NoError(t, dropQueueKeys(url, name))
}

// workerOptions say how to run a test worker.
type workerOptions struct {
	queue string        // required
	sweep time.Duration // sweeper interval
	// retries is how often a failed delivery is retried; default the
	// worker's.
	retries int
	db      workerStore // default: the fixture's
}

// workerStore is what a test worker and its metrics read and write: the
// fixture's database, or another handle on it.
type workerStore interface {
	queue.Store
	queue.MetricsStore
}

// runningWorker is a worker started by a test, with what it measured.
type runningWorker struct {
	metrics  *queue.Metrics
	reg      *prometheus.Registry
	notifier *recordingSender
	stop     func()
}

// startWorker runs a worker until the test ends. Its timers are checked
// every second, as in production.
func (f *fixture) startWorker(t *testing.T, o workerOptions) *runningWorker {
	t.Helper()
	require.NotEmpty(t, o.queue)
	if o.db == nil {
		o.db = f.env.DB
	}
	opt, err := queue.RedisOpt(testenv.RedisURL())
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	rw := &runningWorker{reg: reg, metrics: queue.NewMetrics(reg, o.db), notifier: &recordingSender{}}
	logs := &testenv.LogBuffer{}
	w := &queue.Worker{DB: o.db, Redis: opt, Queue: o.queue, Log: newLogger(logs), Metrics: rw.metrics,
		Senders: map[string]caseflow.Sender{caseflow.ChannelEmail: rw.notifier}, TimerCheckInterval: time.Second, SweepInterval: o.sweep,
		DeliveryBackoff: func(int) time.Duration { return 200 * time.Millisecond }, DeliveryRetries: o.retries, DigestHour: &noDigests}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- w.Run(ctx) }()
	var once sync.Once
	rw.stop = func() {
		once.Do(func() {
			cancel()
			select {
			case err := <-done:
				require.NoError(t, err)
			case <-time.After(20 * time.Second):
				t.Error("the worker did not stop within 20s")
			}
			if t.Failed() {
				t.Logf("worker log:\n%s", logs.String())
			}
		})
	}
	t.Cleanup(rw.stop)
	// Run restores the timers, then starts the periodic jobs, each of which
	// runs once at once: let the first sweep pass before the test files
	// reports, so that what a test sees is the timers' doing.
	require.Eventually(t, func() bool {
		l := logs.String()
		return strings.Contains(l, "timers restored") || strings.Contains(l, "restoring timers failed")
	}, 10*time.Second, 10*time.Millisecond, "the worker did not start")
	require.Eventually(t, func() bool {
		return strings.Contains(logs.String(), `msg="periodic job ran at start" job=sweeper`)
	}, 10*time.Second, 10*time.Millisecond, "the first sweep did not run")
	return rw
}

// counter sums the values of a counter of the worker's registry over the
// series whose labels include the given ones.
// It may run inside require.Eventually's goroutine, so it does not stop the
// test on an error.
func (rw *runningWorker) counter(t *testing.T, name string, labels ...string) float64 {
	t.Helper()
	mfs, err := rw.reg.Gather()
	if err != nil {
		t.Errorf("gathering metrics: %v", err)
		return -1
	}
	var sum float64
	for _, mf := range mfs {
		if mf.GetName() != name {
			continue
		}
	series:
		for _, m := range mf.GetMetric() {
			for i := 0; i+1 < len(labels); i += 2 {
				found := false
				for _, lp := range m.GetLabel() {
					if lp.GetName() == labels[i] && lp.GetValue() == labels[i+1] {
						found = true
					}
				}
				if !found {
					continue series
				}
			}
			sum += m.GetCounter().GetValue()
		}
	}
	return sum
}

// recordingSender keeps what a worker sent on a channel, and can be told
// to fail or to hang.
type recordingSender struct {
	mu   sync.Mutex
	got  []caseflow.Delivery
	fail func(caseflow.Delivery) error // nil: every send succeeds
}

func (r *recordingSender) Send(ctx context.Context, d caseflow.Delivery) error {
	r.mu.Lock()
	fail := r.fail
	r.mu.Unlock()
	if fail != nil {
		if err := fail(d); err != nil {
			return err
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, d)
	return nil
}

// delivered counts the notifications of a kind that reached at least one
// address, by case code and audience.
func (r *recordingSender) delivered(kind string) map[string]int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[int64]bool{}
	n := map[string]int{}
	for _, d := range r.got {
		if d.Notification.Kind == kind && !seen[d.Notification.ID] {
			seen[d.Notification.ID] = true
			n[d.Notification.CaseCode+"/"+d.Notification.Audience]++
		}
	}
	return n
}

// repeats counts the sends of a delivery beyond its first.
func (r *recordingSender) repeats() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	seen := map[int64]bool{}
	n := 0
	for _, d := range r.got {
		if seen[d.ID] {
			n++
		}
		seen[d.ID] = true
	}
	return n
}

// newLogger logs to a buffer that a failed test prints.
func newLogger(buf *testenv.LogBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
}
