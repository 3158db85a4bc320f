package caseflow

import (
	"fmt"
	"time"
)

// TimerTaskType is the queue task type of clock timers.
const TimerTaskType = "clock:timer"

// TimerPayload is what a clock timer carries: which clock, which generation
// of its due time, and whether it is the warning or the breach. It is
// stored in the outbox as JSON and handed to the queue as is, so the tags
// are the wire format.
type TimerPayload struct {
	ClockID    int64  `json:"clock_id"`
	Generation int    `json:"generation"`
	Kind       string `json:"kind"` // "warning" or "breach"
}

// TimerTaskID is the queue task id of a timer: unique per clock, generation
// and kind, so relaying it twice enqueues it once.
func TimerTaskID(p TimerPayload) string {
	return fmt.Sprintf("clock-%d-g%d-%s", p.ClockID, p.Generation, p.Kind)
}

// TimerOutcome says what handling a timer did.
type TimerOutcome struct {
	// Early is set when the timer ran before its time; run it again then.
	Early *time.Time
	// Recorded is true when this call recorded the warning or breach.
	Recorded bool
	// Notified is how many notifications were created.
	Notified int
	// Lateness is how long after its time the warning or breach was recorded.
	Lateness time.Duration
	// ClockID is the clock recorded.
	ClockID int64
	// Kind is what was recorded: NotificationWarning or NotificationBreach.
	Kind string
	// Clock and Agency label the metrics of a breach.
	Clock  string
	Agency string
}

// OutboxItem is a task written in the same transaction as the change that
// called for it, waiting to be relayed to the queue.
type OutboxItem struct {
	ID      int64
	Kind    string
	TaskID  string
	Payload []byte
	RunAt   time.Time
}

// StuckItem is an item a batch job set aside after it failed — a clock
// whose warning or breach could not be written, an outbox row the queue
// refused — tried again with backoff.
type StuckItem struct {
	Kind          string // "clock" or "outbox"
	ID            int64
	CaseCode      string // a clock's case
	Failures      int
	LastError     string
	FirstFailedAt time.Time
	NextAttemptAt time.Time
}
