package postgres

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"gorm.io/gorm"

	"caseflow/internal/caseflow"
)

// requestKeyRow is a request's Idempotency-Key with the answer it got.
type requestKeyRow struct {
	UserID       int64
	Key          string
	Route        string
	RequestHash  []byte
	CaseCode     string
	Applied      bool
	Status       *int
	AnswerEnc    string
	CreatedAt    time.Time
	ClaimedUntil time.Time
}

func (requestKeyRow) TableName() string { return "request_keys" }

// ClaimRequestKey claims a request's key for lease, or says what the key
// already stands for: the stored answer to replay, a different request, a
// change made whose answer was lost, or the same request being served. A
// claim whose lease ended without the change being made (the request
// failed, or its process died before its change committed) is taken over.
func (db *DB) ClaimRequestKey(ctx context.Context, k caseflow.RequestKey, route, caseCode string, hash []byte, lease time.Duration) (*caseflow.KeyClaim, error) {
	now := db.now()
	g := db.gorm.WithContext(ctx)
	res := g.Exec(`INSERT INTO request_keys (user_id, key, route, request_hash, case_code, created_at, claimed_until)
		VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, k.UserID, k.Key, route, hash, caseCode, now, now.Add(lease))
	if res.Error != nil {
		return nil, res.Error
	}
	if res.RowsAffected == 1 {
		return &caseflow.KeyClaim{New: true}, nil
	}
	var r requestKeyRow
	if err := g.Where("user_id = ? AND key = ?", k.UserID, k.Key).Take(&r).Error; err != nil {
		return nil, err
	}
	switch {
	case r.Route != route || !bytes.Equal(r.RequestHash, hash):
		return &caseflow.KeyClaim{Reused: true}, nil
	case r.Status != nil:
		var a caseflow.StoredAnswer
		plain, err := db.Keys.Decrypt("request_key.answer", r.AnswerEnc)
		if err == nil {
			err = json.Unmarshal([]byte(plain), &a)
		}
		if err != nil {
			return nil, fmt.Errorf("opening the stored answer of a request key: %w", err)
		}
		return &caseflow.KeyClaim{Answer: a}, nil
	case r.Applied:
		return &caseflow.KeyClaim{Applied: true}, nil
	case r.ClaimedUntil.After(now):
		return &caseflow.KeyClaim{InFlight: true, RetryAfter: r.ClaimedUntil.Sub(now)}, nil
	}
	take := g.Exec(`UPDATE request_keys SET claimed_until = ? WHERE user_id = ? AND key = ? AND NOT applied AND status IS NULL
		AND claimed_until <= ?`, now.Add(lease), k.UserID, k.Key, now)
	if take.Error != nil {
		return nil, take.Error
	}
	if take.RowsAffected == 0 { // another retry took it first
		return &caseflow.KeyClaim{InFlight: true, RetryAfter: time.Second}, nil
	}
	return &caseflow.KeyClaim{New: true}, nil
}

// SaveAnswer stores the answer a claimed request got, sealed (it may name
// a child).
func (db *DB) SaveAnswer(ctx context.Context, k caseflow.RequestKey, a caseflow.StoredAnswer) error {
	raw, err := json.Marshal(a)
	if err != nil {
		return err
	}
	sealed, err := db.Keys.Encrypt("request_key.answer", string(raw))
	if err != nil {
		return err
	}
	return db.gorm.WithContext(ctx).Exec("UPDATE request_keys SET status = ?, answer_enc = ? WHERE user_id = ? AND key = ?",
		a.Status, sealed, k.UserID, k.Key).Error
}

// ReleaseRequestKey lets a retry of a request that was refused, or that
// failed without making its change, run again at once. A refused request
// (refused: a 4xx answer) changed nothing, whatever it read; one that
// failed (5xx) is let go only if its change was not made.
func (db *DB) ReleaseRequestKey(ctx context.Context, k caseflow.RequestKey, refused bool) error {
	return db.gorm.WithContext(ctx).Exec("DELETE FROM request_keys WHERE user_id = ? AND key = ? AND (? OR NOT applied) AND status IS NULL",
		k.UserID, k.Key, refused).Error
}

// write runs f in a transaction; a request sent with a key is marked
// applied in it, so that its retries know the change was made even if its
// answer is lost.
func (db *DB) write(ctx context.Context, f func(tx *gorm.DB) error) error {
	return db.gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := f(tx); err != nil {
			return err
		}
		k, ok := caseflow.RequestKeyOf(ctx)
		if !ok {
			return nil
		}
		return tx.Exec("UPDATE request_keys SET applied = true WHERE user_id = ? AND key = ?", k.UserID, k.Key).Error
	})
}
