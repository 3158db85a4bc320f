// Package replay makes every write a client may send again safe to send
// again: a request with an Idempotency-Key (a header on the API, a hidden
// field of each web form) is served once; a retry with the same key and
// request gets the first answer again, status and body, and a different
// request under the same key is refused. One middleware does it for every
// write route of the API and the web.
package replay

import (
	"bytes"
	"context"
	"crypto/sha256"

	"io"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"github.com/labstack/echo/v4"

	"caseflow/internal/caseflow"
	"caseflow/internal/request"
)

// Store keeps the keys and their answers; *postgres.DB is the one in
// production.
type Store interface {
	// ClaimRequestKey claims a key for lease, or says what it already
	// stands for.
	ClaimRequestKey(ctx context.Context, k caseflow.RequestKey, route, caseCode string, hash []byte, lease time.Duration) (*caseflow.KeyClaim, error)
	// SaveAnswer stores the answer a claimed request got.
	SaveAnswer(ctx context.Context, k caseflow.RequestKey, a caseflow.StoredAnswer) error
	// ReleaseRequestKey lets a retry of a request that was refused
	// (refused: a 4xx answer, which changed nothing), or that failed without
	// making its change, run again.
	ReleaseRequestKey(ctx context.Context, k caseflow.RequestKey, refused bool) error
}

// Lease is how long a request holds its key while it is served; a retry
// within it is told to wait.
const Lease = 30 * time.Second

// inFlightRetry is the longest a retry of a request still being served is
// told to wait before asking again.
const inFlightRetry = 5 * time.Second

// againFirst and againMost are the first and the longest waits between the
// background tries of again.
const (
	againFirst = 250 * time.Millisecond
	againMost  = 2 * time.Second
)

// leaseMargin is how long before a key's lease ends the background tries
// stop: room for a statement under way and for clocks a little apart.
const leaseMargin = 3 * time.Second

// maxKey is the longest key taken.
const maxKey = 200

// HeaderKey reads the key of an API request: the Idempotency-Key header.
func HeaderKey(c echo.Context, _ []byte) string { return c.Request().Header.Get("Idempotency-Key") }

// FormKey reads the key of a web form: its idempotency_key field.
func FormKey(c echo.Context, body []byte) string {
	if f := c.Request().PostForm; f != nil {
		return f.Get("idempotency_key")
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return q.Get("idempotency_key")
}

// KeepAnswers keeps every answer a client cannot change by sending the
// request again: all but 429 and 5xx (the API's).
func KeepAnswers(status int) bool { return status < 500 && status != http.StatusTooManyRequests }

// KeepSuccess keeps only the answers of writes that were made (2xx, and
// the redirect after a web form): a form shown again with its errors is
// corrected and sent again under its key (the web's).
func KeepSuccess(status int) bool { return status < 400 }

// Middleware serves each keyed write once. It runs after authentication
// (a key is its caller's) and needs keyOf to find the key; a write sent
// without a key is served as it comes. keep says which answers are kept
// for retries; a retry of one not kept runs again.
func Middleware(store Store, log *slog.Logger, keyOf func(echo.Context, []byte) string, keep func(status int) bool) echo.MiddlewareFunc {
	return func(next echo.HandlerFunc) echo.HandlerFunc {
		return func(c echo.Context) error {
			req := c.Request()
			v := request.Viewer(c)
			if req.Method == http.MethodGet || req.Method == http.MethodHead || v.UserID == 0 {
				return next(c)
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return err
			}
			req.Body = io.NopCloser(bytes.NewReader(body))
			if len(body) == 0 && req.PostForm != nil {
				// A form read already (by the CSRF check): its fields, in order.
				body = []byte(req.PostForm.Encode())
			}
			key := keyOf(c, body)
			if key == "" {
				return next(c)
			}
			if len(key) > maxKey {
				return caseflow.InvalidField("Idempotency-Key", caseflow.FieldError{Code: caseflow.FieldTooLong, Message: "is longer than 200 bytes", Max: maxKey})
			}
			k := caseflow.RequestKey{UserID: v.UserID, Key: key}
			route := req.Method + " " + c.Path()
			sum := sha256.Sum256([]byte(route + "\n" + req.URL.RequestURI() + "\n" + string(body)))
			// Before the claim: no retry can take the key over before the
			// lease counted from here ends (see again).
			claimedAt := time.Now()
			claim, err := store.ClaimRequestKey(req.Context(), k, route, c.Param("code"), sum[:], Lease)
			if err != nil {
				return err
			}
			switch {
			case claim.Reused:
				return &caseflow.Error{Code: caseflow.EConflict, Message: "this Idempotency-Key was already used for a different request",
					Fields: map[string]caseflow.FieldError{"Idempotency-Key": {Code: caseflow.FieldReused, Message: "reused with a different request"}}}
			case claim.Answer.Status != 0:
				return answer(c, claim.Answer)
			case claim.Applied:
				return &caseflow.Error{Code: caseflow.EConflict, Message: "this request was applied but its answer was lost: read the resource again",
					Fields: map[string]caseflow.FieldError{"Idempotency-Key": {Code: caseflow.FieldApplied, Message: "its request was applied; do not send it again"}}}
			case claim.InFlight:
				// Asked back soon rather than at the lease's end: a key a
				// failed request could not let go at once is let go as soon
				// as the store answers again (see again).
				return &caseflow.Error{Code: caseflow.EConflict, Message: "the same request is still being served: try again shortly",
					RetryAfter: min(max(claim.RetryAfter, time.Second), inFlightRetry),
					Fields:     map[string]caseflow.FieldError{"Idempotency-Key": {Code: caseflow.FieldInFlight, Message: "its request is still being served"}}}
			}
			c.SetRequest(req.WithContext(caseflow.WithRequestKey(req.Context(), k)))
			rec := &recorder{ResponseWriter: c.Response().Writer}
			c.Response().Writer = rec
			if err := next(c); err != nil {
				c.Error(err) // answered now, through the recorder
			}
			c.Response().Writer = rec.ResponseWriter
			// The answer is kept even if the client went away: that is when
			// it will ask again.
			ctx := context.WithoutCancel(req.Context())
			status := c.Response().Status
			id := request.ID(c)
			if status == 0 || !keep(status) {
				refused := status >= 400 && status < 500
				release := func(ctx context.Context) error { return store.ReleaseRequestKey(ctx, k, refused) }
				if err := release(ctx); err != nil {
					log.Warn("releasing a request key failed; trying again in the background", "request_id", id, "err", err.Error())
					later(log, id, "releasing a request key", claimedAt, release)
				}
				return nil
			}
			h := c.Response().Header()
			a := caseflow.StoredAnswer{Status: status, ContentType: h.Get("Content-Type"), Location: h.Get("Location"), Body: rec.body.Bytes()}
			save := func(ctx context.Context) error { return store.SaveAnswer(ctx, k, a) }
			if err := save(ctx); err != nil {
				log.Warn("keeping the answer of a request failed; trying again in the background", "request_id", id, "err", err.Error())
				later(log, id, "keeping the answer of a request", claimedAt, save)
			}
			return nil
		}
	}
}

// pending bounds the background tries running at once. Only a request
// whose store failed between its claim and its end needs one, a narrow
// window; past the bound the key's lease ends by itself.
var pending = make(chan struct{}, 256)

// later runs again in the background, if the bound allows, for the key
// claimed at claimedAt.
func later(log *slog.Logger, requestID, what string, claimedAt time.Time, f func(context.Context) error) {
	select {
	case pending <- struct{}{}:
	default:
		log.Warn(what+" is left to the key's lease: too many are being tried again", "request_id", requestID)
		return
	}
	go func() {
		defer func() { <-pending }()
		again(log, requestID, what, claimedAt.Add(Lease-leaseMargin), f)
	}()
}

// again tries f until it succeeds or until stop, after it failed at the
// end of a request: the store was down or restarting. A key a failed
// request could not let go is let go as soon as the store answers again,
// so that the request's retry is served then, not at the lease's end; an
// answer that could not be kept is kept, so that a retry gets it rather
// than being told only that the change was made. stop comes before the
// key's lease ends: after it a retry may take the key over, and a late
// release would then let go of the retry's claim. The process ending
// leaves the lease to end by itself.
func again(log *slog.Logger, requestID, what string, stop time.Time, f func(context.Context) error) {
	ctx, cancel := context.WithDeadline(context.Background(), stop)
	defer cancel()
	wait := againFirst
	for {
		select {
		case <-ctx.Done():
			log.Warn(what+" failed until the key's lease was about to end", "request_id", requestID)
			return
		case <-time.After(wait):
		}
		if ctx.Err() != nil {
			continue
		}
		if err := f(ctx); err == nil {
			log.Info(what+" went through", "request_id", requestID)
			return
		}
		wait = min(2*wait, againMost)
	}
}

// answer replays a stored answer.
func answer(c echo.Context, a caseflow.StoredAnswer) error {
	h := c.Response().Header()
	h.Set("Idempotent-Replayed", "true")
	if a.Location != "" {
		h.Set("Location", a.Location)
	}
	if len(a.Body) == 0 {
		return c.NoContent(a.Status)
	}
	return c.Blob(a.Status, a.ContentType, a.Body)
}

// recorder passes a response through and keeps a copy of its body.
type recorder struct {
	http.ResponseWriter
	body bytes.Buffer
}

func (r *recorder) Write(p []byte) (int, error) {
	r.body.Write(p)
	return r.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the writer beneath.
func (r *recorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }
