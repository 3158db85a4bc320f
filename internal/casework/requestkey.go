package casework

import (
	"context"
	"time"

	"caseflow/internal/caseflow"
)

// ClaimRequestKey claims the Idempotency-Key of a write (see package
// replay).
func (s *Service) ClaimRequestKey(ctx context.Context, k caseflow.RequestKey, route, caseCode string, hash []byte, lease time.Duration) (*caseflow.KeyClaim, error) {
	return s.store.ClaimRequestKey(ctx, k, route, caseCode, hash, lease)
}

// SaveAnswer keeps the answer a keyed write got, for its retries.
func (s *Service) SaveAnswer(ctx context.Context, k caseflow.RequestKey, a caseflow.StoredAnswer) error {
	return s.store.SaveAnswer(ctx, k, a)
}

// ReleaseRequestKey lets the retry of a keyed write that failed run again.
func (s *Service) ReleaseRequestKey(ctx context.Context, k caseflow.RequestKey, refused bool) error {
	return s.store.ReleaseRequestKey(ctx, k, refused)
}

// StuckItems lists, for administrators, the items the worker set aside
// after they failed (a clock whose breach cannot be written, an outbox row
// the queue refused), tried again with backoff.
func (s *Service) StuckItems(ctx context.Context, v caseflow.Viewer) ([]caseflow.StuckItem, error) {
	if !v.Role.Administers() {
		return nil, caseflow.Errorf(caseflow.EForbidden, "only administrators see the worker's failures")
	}
	return s.store.ListStuckItems(ctx)
}
