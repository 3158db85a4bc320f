package queue

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"

	"caseflow/internal/postgres"
)

// RedisOpt turns a redis:// URL into asynq's connection option.
func RedisOpt(url string) (asynq.RedisConnOpt, error) {
	opt, err := asynq.ParseRedisURI(url)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %v", err)
	}
	return opt, nil
}

// PingRedis checks that Redis answers, with a message that says where it
// tried and how to start it.
func PingRedis(ctx context.Context, client *redis.Client) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	if err := client.Ping(ctx).Err(); err != nil {
		return fmt.Errorf("cannot reach Redis at %s: %v; start it with `redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save \"\" --appendonly no` or set REDIS_URL",
			client.Options().Addr, err)
	}
	return nil
}

// Worker runs the asynq server and the periodic jobs.
type Worker struct {
	DB    *postgres.DB
	Redis asynq.RedisConnOpt
	Log   *slog.Logger
	// SealInterval is how often audit entries are sealed; default 5s.
	SealInterval time.Duration
	// Queue is the asynq queue name; default "caseflow". Tests use their own.
	Queue string
	// Concurrency is the number of task handlers; default 10.
	Concurrency int

	mux *asynq.ServeMux
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
	if w.Log == nil {
		w.Log = slog.New(slog.DiscardHandler)
	}
}

// Run serves tasks and runs periodic jobs until ctx ends, then shuts down
// gracefully.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	w.mux = asynq.NewServeMux()
	srv := asynq.NewServer(w.Redis, asynq.Config{
		Concurrency:              w.Concurrency,
		Queues:                   map[string]int{w.Queue: 1},
		DelayedTaskCheckInterval: time.Second,
		ShutdownTimeout:          10 * time.Second,
		Logger:                   asynqLogger{w.Log},
	})
	if err := srv.Start(w.mux); err != nil {
		return fmt.Errorf("starting the worker: %w", err)
	}
	w.Log.Info("worker started", "queue", w.Queue)
	w.every(ctx, w.SealInterval, "audit seal", func(ctx context.Context) error {
		n, err := w.DB.SealAudit(ctx)
		if n > 0 {
			w.Log.Debug("audit sealed", "entries", n)
		}
		return err
	})
	srv.Shutdown()
	w.Log.Info("worker stopped")
	return nil
}

// every runs job at each interval until ctx ends.
func (w *Worker) every(ctx context.Context, interval time.Duration, name string, job func(context.Context) error) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := job(ctx); err != nil && ctx.Err() == nil {
				w.Log.Error("periodic job failed", "job", name, "err", err.Error())
			}
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
