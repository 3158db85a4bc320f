package queue

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/hibiken/asynq"
	"github.com/redis/go-redis/v9"
)

// RedisConn is where the queue lives, from REDIS_URL: one Redis
// (redis://host:port/db, rediss:// for TLS), or a master found through
// Sentinel (redis-sentinel://[:password@]host1:port,host2:port,host3:port[/db]?master=NAME
// [&sentinel_password=...]), which every client follows across a failover.
// The password is the master's; sentinel_password, when the sentinels ask
// for one.
type RedisConn struct {
	// Queue is asynq's connection option.
	Queue asynq.RedisConnOpt
	// Sentinel says the master is found through Sentinel.
	Sentinel bool

	single   *redis.Options
	failover *redis.FailoverOptions
}

// ParseRedis reads a REDIS_URL.
func ParseRedis(raw string) (*RedisConn, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("REDIS_URL: %v", err)
	}
	if u.Scheme != "redis-sentinel" {
		opt, err := redis.ParseURL(raw)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %v", err)
		}
		q, err := asynq.ParseRedisURI(raw)
		if err != nil {
			return nil, fmt.Errorf("REDIS_URL: %v", err)
		}
		return &RedisConn{Queue: q, single: opt}, nil
	}
	master := u.Query().Get("master")
	if master == "" {
		return nil, errors.New("REDIS_URL: a redis-sentinel:// URL needs ?master=NAME, the name the sentinels monitor")
	}
	var addrs []string
	for _, a := range strings.Split(u.Host, ",") {
		if a = strings.TrimSpace(a); a != "" {
			if !strings.Contains(a, ":") {
				a += ":26379"
			}
			addrs = append(addrs, a)
		}
	}
	if len(addrs) == 0 {
		return nil, errors.New("REDIS_URL: a redis-sentinel:// URL needs the sentinels' host:port, comma-separated")
	}
	db := 0
	if p := strings.Trim(u.Path, "/"); p != "" {
		if db, err = strconv.Atoi(p); err != nil || db < 0 {
			return nil, fmt.Errorf("REDIS_URL: the database %q is not a number", p)
		}
	}
	password, _ := u.User.Password()
	sentinelPassword := u.Query().Get("sentinel_password")
	f := &redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs, Password: password, SentinelPassword: sentinelPassword, DB: db}
	q := asynq.RedisFailoverClientOpt{MasterName: master, SentinelAddrs: addrs, Password: password, SentinelPassword: sentinelPassword, DB: db}
	return &RedisConn{Queue: q, Sentinel: true, failover: f}, nil
}

// NewClient opens a client of the Redis (through Sentinel, a client that
// follows the master).
func (r *RedisConn) NewClient() *redis.Client {
	if r.failover != nil {
		return redis.NewFailoverClient(r.failover)
	}
	return redis.NewClient(r.single)
}

// Where describes the Redis without its password, for messages.
func (r *RedisConn) Where() string {
	if r.failover != nil {
		return fmt.Sprintf("master %q through the sentinels at %s", r.failover.MasterName, strings.Join(r.failover.SentinelAddrs, ","))
	}
	return r.single.Addr
}
