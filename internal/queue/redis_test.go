package queue_test

import (
	"testing"

	"github.com/hibiken/asynq"
	"github.com/stretchr/testify/require"

	"caseflow/internal/queue"
)

func TestParseRedis(t *testing.T) {
	t.Parallel()

	r, err := queue.ParseRedis("redis://127.0.0.1:6379/3")
	require.NoError(t, err)
	require.False(t, r.Sentinel)
	require.Equal(t, asynq.RedisClientOpt{Addr: "127.0.0.1:6379", DB: 3}, r.Queue)
	require.Equal(t, "127.0.0.1:6379", r.Where())

	r, err = queue.ParseRedis("redis-sentinel://:s3cret@10.0.0.1:26379,10.0.0.2,10.0.0.3:26380/2?master=caseflow&sentinel_password=watch")
	require.NoError(t, err)
	require.True(t, r.Sentinel)
	require.Equal(t, asynq.RedisFailoverClientOpt{MasterName: "caseflow", SentinelAddrs: []string{"10.0.0.1:26379", "10.0.0.2:26379", "10.0.0.3:26380"},
		Password: "s3cret", SentinelPassword: "watch", DB: 2}, r.Queue)
	require.NotContains(t, r.Where(), "s3cret")
	c := r.NewClient()
	require.NoError(t, c.Close())

	for raw, want := range map[string]string{
		"redis-sentinel://10.0.0.1:26379":             "master=NAME",
		"redis-sentinel:///0?master=caseflow":         "host:port",
		"redis-sentinel://10.0.0.1/x?master=caseflow": "not a number",
		"redis://127.0.0.1:6379/notadb":               "REDIS_URL",
	} {
		_, err := queue.ParseRedis(raw)
		require.ErrorContains(t, err, want, raw)
	}
}
