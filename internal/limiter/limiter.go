// Package limiter counts attempts in Redis, so that rate limits hold across
// every API process.
package limiter

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// DefaultTimeout is how long a count may take before Redis is taken to be
// unavailable. A healthy Redis answers in a millisecond; without a budget
// the client's own dial retries and backoff keep a login waiting seconds
// before it can be told to try again.
const DefaultTimeout = 500 * time.Millisecond

// Redis is a fixed-window counter in Redis.
type Redis struct {
	Client *redis.Client
	// Prefix namespaces the keys (tests use their own).
	Prefix string
	// Timeout bounds each call (DefaultTimeout when zero).
	Timeout time.Duration
}

// Allow counts an attempt under key and reports whether the count is within
// limit for the current window.
func (r *Redis) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
	ctx, cancel := r.budget(ctx)
	defer cancel()
	k := r.Prefix + key
	pipe := r.Client.TxPipeline()
	incr := pipe.Incr(ctx, k)
	pipe.ExpireNX(ctx, k, window)
	if _, err := pipe.Exec(ctx); err != nil {
		return false, err
	}
	return incr.Val() <= int64(limit), nil
}

// Reset forgets the attempts under key.
func (r *Redis) Reset(ctx context.Context, key string) error {
	ctx, cancel := r.budget(ctx)
	defer cancel()
	return r.Client.Del(ctx, r.Prefix+key).Err()
}

func (r *Redis) budget(ctx context.Context) (context.Context, context.CancelFunc) {
	t := r.Timeout
	if t <= 0 {
		t = DefaultTimeout
	}
	return context.WithTimeout(ctx, t)
}
