package caseflow

import (
	"context"
	"time"
)

// RequestKey is the Idempotency-Key of a write, with its caller: a retry
// with the same key and request gets the answer the first one got, and the
// change is made once.
type RequestKey struct {
	UserID int64
	Key    string
}

type requestKeyCtx struct{}

// WithRequestKey returns ctx carrying the key of the request being served,
// so that the storage marks it applied in the transaction of its change.
func WithRequestKey(ctx context.Context, k RequestKey) context.Context {
	return context.WithValue(ctx, requestKeyCtx{}, k)
}

// RequestKeyOf returns the key ctx carries, if any.
func RequestKeyOf(ctx context.Context) (RequestKey, bool) {
	k, ok := ctx.Value(requestKeyCtx{}).(RequestKey)
	return k, ok && k.Key != ""
}

// KeyClaim is what claiming a request key found.
type KeyClaim struct {
	// New: the request is the first with this key (or takes over one that
	// failed before making its change); serve it.
	New bool
	// Reused: the key was used for a different request.
	Reused bool
	// Answer is the answer stored for the key (Status 0: none yet).
	Answer StoredAnswer
	// Applied: the change was made but its answer was not stored (the
	// process died in between).
	Applied bool
	// InFlight: the same request is being served now; RetryAfter says when
	// to look again.
	InFlight   bool
	RetryAfter time.Duration
}

// StoredAnswer is the answer given to a request, kept for its retries.
type StoredAnswer struct {
	Status      int    `json:"status"`
	ContentType string `json:"content_type,omitempty"`
	Location    string `json:"location,omitempty"`
	Body        []byte `json:"body,omitempty"`
}
