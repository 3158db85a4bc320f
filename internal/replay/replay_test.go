package replay_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/labstack/echo/v4"
	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/replay"
	"caseflow/internal/request"
)

// store is a key store whose writes at the end of a request fail while it
// is down, as Postgres does while it restarts.
type store struct {
	mu       sync.Mutex
	down     bool
	claim    caseflow.KeyClaim
	released int
	saved    []caseflow.StoredAnswer
	failed   int
}

func (s *store) ClaimRequestKey(context.Context, caseflow.RequestKey, string, string, []byte, time.Duration) (*caseflow.KeyClaim, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.claim
	return &c, nil
}

func (s *store) SaveAnswer(_ context.Context, _ caseflow.RequestKey, a caseflow.StoredAnswer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		s.failed++
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	s.saved = append(s.saved, a)
	return nil
}

func (s *store) ReleaseRequestKey(context.Context, caseflow.RequestKey, bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.down {
		s.failed++
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	s.released++
	return nil
}

func (s *store) set(f func(s *store)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *store) get(f func(s *store) bool) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f(s)
}

// serve sends one keyed POST through the middleware to a handler answering
// status.
func serve(t *testing.T, st *store, status int) *httptest.ResponseRecorder {
	t.Helper()
	e := echo.New()
	h := replay.Middleware(st, slog.New(slog.DiscardHandler), replay.HeaderKey, replay.KeepSuccess)(func(c echo.Context) error {
		if status >= 500 {
			return caseflow.Errorf(caseflow.EUnavailable, "the database is restarting")
		}
		return c.JSON(status, map[string]string{"code": "HY-2026-000001"})
	})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/cases/HY-2026-000001/events", strings.NewReader(`{"event":"x"}`))
	req.Header.Set("Idempotency-Key", "k1")
	rec := httptest.NewRecorder()
	c := e.NewContext(req, rec)
	request.SetViewer(c, caseflow.Viewer{UserID: 7, Username: "officer1"})
	require.NoError(t, h(c))
	return rec
}

func TestAKeyTheStoreCouldNotLetGoIsLetGoOnceItAnswers(t *testing.T) {
	st := &store{claim: caseflow.KeyClaim{New: true}, down: true}
	serve(t, st, http.StatusServiceUnavailable)
	require.True(t, st.get(func(s *store) bool { return s.failed >= 1 && s.released == 0 }), "the release failed in the request")
	st.set(func(s *store) { s.down = false })
	require.Eventually(t, func() bool { return st.get(func(s *store) bool { return s.released == 1 }) }, 10*time.Second, 20*time.Millisecond,
		"the key is let go once the store answers again")
}

func TestAnAnswerTheStoreCouldNotKeepIsKeptOnceItAnswers(t *testing.T) {
	st := &store{claim: caseflow.KeyClaim{New: true}, down: true}
	rec := serve(t, st, http.StatusOK)
	require.Equal(t, http.StatusOK, rec.Code)
	st.set(func(s *store) { s.down = false })
	require.Eventually(t, func() bool { return st.get(func(s *store) bool { return len(s.saved) == 1 }) }, 10*time.Second, 20*time.Millisecond,
		"the answer is kept once the store answers again")
	st.get(func(s *store) bool {
		require.Equal(t, http.StatusOK, s.saved[0].Status)
		require.JSONEq(t, `{"code":"HY-2026-000001"}`, string(s.saved[0].Body))
		return true
	})
}

// refused sends a keyed POST whose key the store says is taken and returns
// what the middleware answers; the handler must not run.
func refused(t *testing.T, st *store) *caseflow.Error {
	t.Helper()
	e := echo.New()
	h := replay.Middleware(st, slog.New(slog.DiscardHandler), replay.HeaderKey, replay.KeepAnswers)(func(c echo.Context) error {
		t.Fatal("a request whose key is taken must not be served")
		return nil
	})
	req := httptest.NewRequest(http.MethodPost, "/api/v1/cases/HY-2026-000001/events", strings.NewReader(`{}`))
	req.Header.Set("Idempotency-Key", "k2")
	c := e.NewContext(req, httptest.NewRecorder())
	request.SetViewer(c, caseflow.Viewer{UserID: 7})
	var ce *caseflow.Error
	require.ErrorAs(t, h(c), &ce)
	require.Equal(t, caseflow.EConflict, ce.Code)
	return ce
}

func TestARetryOfARequestBeingServedIsAskedBackSoon(t *testing.T) {
	// The first request holds the key for most of its lease; its retry is
	// told to ask again within seconds, not at the lease's end.
	ce := refused(t, &store{claim: caseflow.KeyClaim{InFlight: true, RetryAfter: 29 * time.Second}})
	require.Equal(t, 5*time.Second, ce.RetryAfter)
	require.Equal(t, caseflow.FieldInFlight, ce.Fields["Idempotency-Key"].Code)
}

func TestARetryOfARequestAppliedWithoutItsAnswerIsToldSo(t *testing.T) {
	ce := refused(t, &store{claim: caseflow.KeyClaim{Applied: true}})
	require.Equal(t, caseflow.FieldApplied, ce.Fields["Idempotency-Key"].Code)
}
