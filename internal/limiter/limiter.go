// Package limiter counts attempts in Redis, so that rate limits hold across
// every API process.
package limiter

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Redis is a fixed-window counter in Redis.
type Redis struct {
	Client *redis.Client
	// Prefix namespaces the keys (tests use their own).
	Prefix string
}

// Allow counts an attempt under key and reports whether the count is within
// limit for the current window.
func (r *Redis) Allow(ctx context.Context, key string, limit int, window time.Duration) (bool, error) {
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
	return r.Client.Del(ctx, r.Prefix+key).Err()
}
