package queue

import (
	"net/http"

	"github.com/hibiken/asynq"
	"github.com/hibiken/asynqmon"
)

// MonitorPath is where the queue monitor is mounted.
const MonitorPath = "/admin/queues"

// Monitor returns the asynq web monitor, read-only. It has no
// authentication of its own: the HTTP API puts administrator login in front.
func Monitor(opt asynq.RedisConnOpt) http.Handler {
	return asynqmon.New(asynqmon.Options{RootPath: MonitorPath, RedisConnOpt: opt, ReadOnly: true})
}
