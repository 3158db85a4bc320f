package queue_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/testenv"
)

// The worker keeps the compliance roll-up current: what intake and
// breaches write is queued in their transactions and rolled up within
// seconds, and the cases' items land in the roll-up.
func TestWorkerRollsUpCompliance(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	f := newFixture(t)
	rw := f.startWorker(t, workerOptions{queue: newQueue(t, testenv.RedisURL()), sweep: time.Hour})
	codes := f.fileMany(t, 4, time.Now().Add(2*time.Second))
	for _, code := range codes {
		f.waitClock(t, code, time.Now().Add(lateness+3*time.Second), breached)
	}
	require.Eventually(t, func() bool {
		n, err := f.env.DB.ComplianceQueue(ctx)
		return err == nil && n == 0
	}, 10*time.Second, 50*time.Millisecond, "the compliance queue was not rolled up")
	require.Positive(t, rw.counter(t, "caseflow_compliance_rolled_up_total"))
	require.Positive(t, f.count(t, `compliance_case_items i JOIN cases c ON c.id = i.case_id
		WHERE c.code = ANY(CAST(? AS text[])) AND i.ind = 'breaches'`, "{"+strings.Join(codes, ",")+"}"))
}
