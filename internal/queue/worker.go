package queue

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"caseflow/internal/caseflow"
)

// RedisOpt turns a REDIS_URL (see ParseRedis) into asynq's connection
// option.
func RedisOpt(url string) (asynq.RedisConnOpt, error) {
	r, err := ParseRedis(url)
	if err != nil {
		return nil, err
	}
	return r.Queue, nil
}

// PingRedis checks that Redis answers, with a message that says where it
// tried and how to start it.
func PingRedis(ctx context.Context, client *redis.Client, where string) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis (%s): %v; start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no` or set REDIS_URL",
			where, err)
	}
	return nil
}

// Store is the storage the worker reads clocks and the outbox from and
// records warnings and breaches in; *postgres.DB is the one in production.
// Postgres is the record: the queue only says when to look.
type Store interface {
	// HandleTimer records the warning or breach a timer stands for, at
	// most once however often it runs, or says that it ran early.
	HandleTimer(ctx context.Context, p caseflow.TimerPayload) (*caseflow.TimerOutcome, error)
	// ClockDue reads, without locking, when the clock of timer p is due
	// and whether it still runs in the timer's generation.
	ClockDue(ctx context.Context, p caseflow.TimerPayload) (time.Time, bool, error)
	// BreachDue records, set-wise in one transaction, the breaches of up
	// to limit running clocks past their due time, and returns them.
	BreachDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error)
	// SweepDue records up to limit due warnings and breaches the timers
	// missed, and returns what it recorded.
	SweepDue(ctx context.Context, limit int) ([]*caseflow.TimerOutcome, error)
	// OpenDeliveries pages through the deliveries neither sent nor dead
	// that were due before before, after delivery id after.
	OpenDeliveries(ctx context.Context, before time.Time, after int64, limit int) ([]int64, int64, error)
	// RetryStuck tries again the clocks set aside after they failed, and
	// says how many went through.
	RetryStuck(ctx context.Context) (int, error)
	// PendingTimers pages through the timers every running clock should
	// have, with when each is due and the last clock id seen.
	PendingTimers(ctx context.Context, after int64, limit int) ([]caseflow.TimerPayload, []time.Time, int64, error)
	// RelayOutbox hands up to limit unrelayed outbox items to send, in
	// order, with no transaction open, and marks those it accepted as
	// relayed.
	RelayOutbox(ctx context.Context, limit int, send func(caseflow.OutboxItem) error) (int, error)
	// ListenOutbox calls wake whenever outbox items were committed, until
	// ctx ends.
	ListenOutbox(ctx context.Context, wake func()) error
	// SealAudit seals the audit entries not yet sealed.
	SealAudit(ctx context.Context) (int, error)
	// PruneOutbox deletes relayed outbox items older than age.
	PruneOutbox(ctx context.Context, age time.Duration) error
	// SendDigests writes the day's digests due from the digest hour on and
	// says how many.
	SendDigests(ctx context.Context, hour int) (int, error)
	// EscalateDue records up to limit escalation rungs that fell due and
	// says how many.
	EscalateDue(ctx context.Context, limit int) (int, error)
	// Delivery returns a delivery with its notification.
	Delivery(ctx context.Context, id int64) (*caseflow.Delivery, error)
	// DeliveryAttempted records how an attempt at a delivery went; last
	// says it was the last the queue will make.
	DeliveryAttempted(ctx context.Context, id int64, sendErr error, last bool) error
	// RollUpCompliance rolls up to limit queued cases into the compliance
	// roll-up and says how many it rolled up.
	RollUpCompliance(ctx context.Context, limit int) (int, error)
	// IndexChildNames indexes the children's names not yet in the name
	// index of the cases after case id after, and returns how many and the
	// case id to go on from (0 at the end).
	IndexChildNames(ctx context.Context, after int64, limit int) (int, int64, error)
	// AdoptCaseKeys gives cases filed before data keys (after case id
	// after) their data key, sealing their values again under it; it
	// returns how many and the case id to go on from (0 at the end).
	AdoptCaseKeys(ctx context.Context, after int64, limit int) (int, int64, error)
	// RemindBreaches reminds the supervisors of the notices of personal
	// data breaches that are due, once per reminder point.
	RemindBreaches(ctx context.Context) (int, error)
	// RemindSubjectRequests reminds the agencies of the requests about a
	// child's data due within a day or overdue, once per point.
	RemindSubjectRequests(ctx context.Context) (int, error)
	// CurrentTime is the store's clock, the one that decides whether a
	// timer ran early: the worker's waits are measured on it too.
	CurrentTime() time.Time
}

// Worker runs the asynq server and the periodic jobs.
type Worker struct {
	// DB is the storage; required.
	DB Store
	// Redis is where the queue lives; required.
	Redis asynq.RedisConnOpt
	// Log receives operational messages; default: discard them.
	Log *slog.Logger
	// SealInterval is how often audit entries are sealed; default 5s.
	SealInterval time.Duration
	// Queue is the asynq queue name; default "caseflow". Tests use their own.
	Queue string
	// Concurrency is the number of task handlers; default 10.
	Concurrency int
	// BreachBatch is how many due clocks a breach timer records at once:
	// its own and those due with it; default 1000.
	BreachBatch int
	// BreachSets is how many such sets one worker writes at once; default 2.
	BreachSets int
	// TimerCheckInterval is how often scheduled timers are moved to run;
	// default 200ms, at most 1s. The queue keeps whole seconds, so a timer
	// is moved up to a second early and waits for its time in the handler;
	// this interval bounds how late it can be.
	TimerCheckInterval time.Duration
	// SweepInterval is how often due clocks are swept; default 30s.
	SweepInterval time.Duration
	// RelayInterval is how often the outbox is relayed when no commit woke
	// the relay (a backstop: commits wake it at once); default 5s.
	RelayInterval time.Duration
	// RollUpInterval is how often the compliance queue is rolled up;
	// default 1s.
	RollUpInterval time.Duration
	// DigestHour is the hour (Vietnam time, 0–23) from which each agency's
	// daily digest is sent; default 7 (a negative value: no digests).
	DigestHour *int
	// EscalateInterval is how often unacknowledged breaches are escalated
	// up their ladder; default 10s.
	EscalateInterval time.Duration
	// Metrics, when set, receives the worker's measurements.
	Metrics *Metrics
	// Retention, when set, erases the personal data of cases whose
	// retention has ended; it runs every hour.
	Retention func(context.Context) error
	// Senders send deliveries, by channel (caseflow.ChannelEmail,
	// caseflow.ChannelSMS). A delivery on a channel without a sender is
	// dead at once, with the reason.
	Senders map[string]caseflow.Sender
	// DeliveryTimeout bounds one attempt at a delivery; default 30s.
	DeliveryTimeout time.Duration
	// DeliveryRetries is how often a failed delivery is tried again before
	// it is dead; default 12 (about a day with the backoff below).
	DeliveryRetries int
	// DeliveryBackoff is the wait before retry n (from 1); default
	// 10s·2^(n-1), at most 2h.
	DeliveryBackoff func(n int) time.Duration

	mux    *asynq.ServeMux
	client *asynq.Client
	sets   chan struct{} // one token per set being written
	// breached are the clocks this worker recorded in sets lately.
	breached recentClocks
}

func (w *Worker) defaults() {
	if w.SealInterval == 0 {
		w.SealInterval = 5 * time.Second
	}
	if w.Queue == "" {
		w.Queue = "caseflow"
	}
	if w.Concurrency == 0 {
		w.Concurrency = 10
	}
	if w.BreachBatch == 0 {
		w.BreachBatch = 1000
	}
	if w.BreachSets == 0 {
		w.BreachSets = 2
	}
	w.sets = make(chan struct{}, w.BreachSets)
	w.breached.limit = 100_000
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
	if w.TimerCheckInterval == 0 || w.TimerCheckInterval > time.Second {
		w.TimerCheckInterval = 200 * time.Millisecond
	}
	if w.SweepInterval == 0 {
		w.SweepInterval = 30 * time.Second
	}
	if w.RelayInterval == 0 {
		w.RelayInterval = 5 * time.Second
	}
	if w.RollUpInterval == 0 {
		w.RollUpInterval = time.Second
	}
	if w.EscalateInterval == 0 {
		w.EscalateInterval = 10 * time.Second
	}
	if w.DeliveryTimeout == 0 {
		w.DeliveryTimeout = 30 * time.Second
	}
	if w.DeliveryRetries == 0 {
		w.DeliveryRetries = 12
	}
	if w.DeliveryBackoff == nil {
		w.DeliveryBackoff = func(n int) time.Duration {
			d := 10 * time.Second << min(n-1, 10)
			return min(d, 2*time.Hour)
		}
	}
}

// Run serves tasks and runs periodic jobs until ctx ends, then shuts down
// gracefully.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	w.mux = asynq.NewServeMux()
	w.mux.HandleFunc(caseflow.TimerTaskType, w.handleTimer)
	w.mux.HandleFunc(caseflow.DeliveryTaskType, w.handleDelivery)
	w.client = asynq.NewClient(w.Redis)
	defer w.client.Close()
	srv := asynq.NewServer(w.Redis, asynq.Config{
		Concurrency:              w.Concurrency,
		Queues:                   map[string]int{w.Queue: 1},
		DelayedTaskCheckInterval: w.TimerCheckInterval,
		RetryDelayFunc: func(n int, err error, t *asynq.Task) time.Duration {
			if t.Type() == caseflow.DeliveryTaskType {
				return w.DeliveryBackoff(n)
			}
			return asynq.DefaultRetryDelayFunc(n, err, t)
		},
		// An idle server otherwise waits up to a second between looks at
		// the queue, on top of the forwarder's tick.
		TaskCheckInterval: 100 * time.Millisecond,
		ShutdownTimeout:   10 * time.Second,
		Logger:            asynqLogger{w.Log},
	})
	if err := srv.Start(w.mux); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	w.Log.Info("worker started", "queue", w.Queue)
	if n, err := w.restoreTimers(ctx); err != nil {
		w.Log.Error("restoring timers failed; the sweeper will still catch due clocks", "err", err.Error())
	} else {
		w.Log.Info("timers restored", "timers", n)
	}
	var wg sync.WaitGroup
	// The relay runs when a commit wrote outbox rows, and at its interval.
	wake := make(chan struct{}, 1)
	wg.Go(func() {
		_ = w.DB.ListenOutbox(ctx, func() {
			select {
			case wake <- struct{}{}:
			default:
			}
		})
	})
	wg.Go(func() { w.every(ctx, w.RelayInterval, "outbox relay", w.relay, wake) })
	for _, job := range []struct {
		name     string
		interval time.Duration
		run      func(context.Context) error
	}{
		{"sweeper", w.SweepInterval, w.sweep},
		{"audit seal", w.SealInterval, func(ctx context.Context) error { _, err := w.DB.SealAudit(ctx); return err }},
		{"compliance roll-up", w.RollUpInterval, w.rollUp},
		{"name index", 10 * time.Second, w.indexNames()},
		{"case keys", 10 * time.Second, w.adoptCaseKeys()},
		{"breach reminders", time.Minute, func(ctx context.Context) error { _, err := w.DB.RemindBreaches(ctx); return err }},
		{"request reminders", time.Minute, func(ctx context.Context) error { _, err := w.DB.RemindSubjectRequests(ctx); return err }},
		{"escalation", w.EscalateInterval, w.escalate},
		{"daily digest", 5 * time.Minute, w.digest},
		{"outbox prune", time.Hour, func(ctx context.Context) error { return w.DB.PruneOutbox(ctx, 24*time.Hour) }},
	} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.every(ctx, job.interval, job.name, job.run, nil)
		}()
	}
	if w.Retention != nil {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.every(ctx, time.Hour, "retention", w.Retention, nil)
		}()
	}
	wg.Wait()
	srv.Shutdown()
	w.Log.Info("worker stopped")
	return nil
}

// digest writes the day's digests once the digest hour has come.
func (w *Worker) digest(ctx context.Context) error {
	hour := 7
	if w.DigestHour != nil {
		hour = *w.DigestHour
	}
	if hour < 0 {
		return nil
	}
	_, err := w.DB.SendDigests(ctx, hour)
	return err
}

// escalate records every escalation rung that fell due, in batches.
func (w *Worker) escalate(ctx context.Context) error {
	for {
		n, err := w.DB.EscalateDue(ctx, 200)
		if err != nil || n < 200 {
			return err
		}
	}
}

// rollUpBatch is how many queued cases one roll-up transaction takes.
const rollUpBatch = 1000

// rollUp rolls the compliance queue up in batches until it is empty, for
// at most a few seconds, so that a long queue (after a bulk load) does not
// hold the job past its next turn by much. It gives way while sets of
// breaches are being written.
func (w *Worker) rollUp(ctx context.Context) error {
	until := time.Now().Add(5 * time.Second)
	for ctx.Err() == nil && time.Now().Before(until) {
		if len(w.sets) > 0 {
			// Breaches are being recorded: deadlines before statistics.
			return nil
		}
		n, err := w.DB.RollUpCompliance(ctx, rollUpBatch)
		if err != nil {
			return err
		}
		if w.Metrics != nil {
			w.Metrics.RolledUp.Add(float64(n))
		}
		if n < rollUpBatch {
			return nil
		}
	}
	return nil
}

// indexNames indexes the names of children filed before the name index
// existed; once it finds none left it has nothing more to do, since intake
// indexes every new child.
func (w *Worker) indexNames() func(context.Context) error {
	var after int64
	done := false
	return func(ctx context.Context) error {
		until := time.Now().Add(5 * time.Second)
		for !done && ctx.Err() == nil && time.Now().Before(until) {
			_, next, err := w.DB.IndexChildNames(ctx, after, 2000)
			if err != nil {
				return err
			}
			after, done = next, next == 0
		}
		return nil
	}
}

// adoptCaseKeys gives the cases filed before data keys their own key; once
// none is left it has nothing more to do, since intake gives every new case
// one. A case that cannot be adopted is logged and passed over, so that it
// does not stop the others (a shred adopts it again first).
func (w *Worker) adoptCaseKeys() func(context.Context) error {
	var after int64
	done := false
	return func(ctx context.Context) error {
		until := time.Now().Add(5 * time.Second)
		for !done && ctx.Err() == nil && time.Now().Before(until) {
			_, next, err := w.DB.AdoptCaseKeys(ctx, after, 200)
			if err != nil {
				w.Log.Error("a case could not be given its data key", "case_id", next, "err", err.Error())
			}
			after, done = next, next == 0 && err == nil
		}
		return nil
	}
}

// every runs job at once, then at each interval and whenever wake (if not
// nil) says so, until ctx ends.
func (w *Worker) every(ctx context.Context, interval time.Duration, name string, job func(context.Context) error, wake <-chan struct{}) {
	t := time.NewTicker(interval)
	defer t.Stop()
	run := func() {
		if err := job(ctx); err != nil && ctx.Err() == nil {
			w.Log.Error("periodic job failed", "job", name, "err", err.Error())
		}
	}
	run()
	w.Log.Debug("periodic job ran at start", "job", name)
	for {
		select {
		case <-ctx.Done():
			return
		case <-wake:
			run()
		case <-t.C:
			run()
		}
	}
}

// asynqLogger sends asynq's messages to slog.
type asynqLogger struct{ l *slog.Logger }

func (a asynqLogger) Debug(args ...any) { a.l.Debug(fmt.Sprint(args...)) }
func (a asynqLogger) Info(args ...any)  { a.l.Info(fmt.Sprint(args...)) }
func (a asynqLogger) Warn(args ...any)  { a.l.Warn(fmt.Sprint(args...)) }
func (a asynqLogger) Error(args ...any) { a.l.Error(fmt.Sprint(args...)) }
func (a asynqLogger) Fatal(args ...any) { a.l.Error(fmt.Sprint(args...)) }
