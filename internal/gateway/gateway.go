// Package gateway delivers notifications as SMS or Zalo OA messages through
// the province's message gateway: one configurable webhook that receives a
// JSON body signed with HMAC-SHA256, since provinces contract different
// gateways. Messages are Vietnamese and short enough for one SMS.
package gateway

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"caseflow/internal/caseflow"
)

// SignatureHeader carries the body's HMAC-SHA256, hex, as "sha256=<hex>".
const SignatureHeader = "X-Caseflow-Signature"

// TimestampHeader carries the Unix time the request was signed at; the
// signature covers it ("<timestamp>.<body>"), so a replay is recognisable.
const TimestampHeader = "X-Caseflow-Timestamp"

// MaxSMS is the longest text sent, in characters.
const MaxSMS = 160

// Webhook posts deliveries to the gateway's URL.
type Webhook struct {
	URL    string
	Secret []byte
	// Timeout bounds each request; default 10s.
	Timeout time.Duration
	// Client is the HTTP client; default one with Timeout.
	Client *http.Client
}

// Message is the JSON body the gateway receives.
type Message struct {
	ID       string `json:"id"` // the same for every attempt at one delivery: the gateway may drop repeats
	To       string `json:"to"`
	Text     string `json:"text"`
	Kind     string `json:"kind"`
	CaseCode string `json:"case_code"`
}

// Send posts one delivery; a 2xx answer is success.
func (w *Webhook) Send(ctx context.Context, d caseflow.Delivery) error {
	body, err := json.Marshal(Message{ID: caseflow.DeliveryTaskID(d.ID), To: d.Address, Text: Text(d.Notification),
		Kind: d.Notification.Kind, CaseCode: d.Notification.CaseCode})
	if err != nil {
		return err
	}
	timeout := w.Timeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, w.URL, bytes.NewReader(body))
	if err != nil {
		return err
	}
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(TimestampHeader, ts)
	req.Header.Set(SignatureHeader, "sha256="+Sign(w.Secret, ts, body))
	client := w.Client
	if client == nil {
		client = &http.Client{Timeout: timeout}
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("gateway answered %s", resp.Status)
	}
	return nil
}

// Sign is the hex HMAC-SHA256 of "<timestamp>.<body>" under secret.
func Sign(secret []byte, timestamp string, body []byte) string {
	mac := hmac.New(sha256.New, secret)
	mac.Write([]byte(timestamp))
	mac.Write([]byte("."))
	mac.Write(body)
	return hex.EncodeToString(mac.Sum(nil))
}

// Text is a notification as one SMS: Vietnamese without diacritics, at most
// MaxSMS characters.
func Text(n caseflow.Notification) string {
	var s string
	due := ""
	if !n.DueAt.IsZero() {
		due = " han " + n.DueAt.In(caseflow.Zone).Format("15:04 02/01")
	}
	switch n.Kind {
	case caseflow.NotificationBreach:
		s = fmt.Sprintf("caseflow: Ho so %s QUA HAN %s%s. %s", n.CaseCode, n.Clock, due, n.LegalBasis)
	case caseflow.NotificationDigest:
		first, _, _ := strings.Cut(n.Message, " / ")
		s = "caseflow: " + first
	case caseflow.NotificationWarning:
		s = fmt.Sprintf("caseflow: Ho so %s sap den han %s%s. %s", n.CaseCode, n.Clock, due, n.LegalBasis)
	default:
		s = fmt.Sprintf("caseflow: Ho so %s chuyen den co quan: %s%s. %s", n.CaseCode, n.Clock, due, n.LegalBasis)
	}
	s = plain(s)
	for utf8.RuneCountInString(s) > MaxSMS {
		_, size := utf8.DecodeLastRuneInString(s)
		s = s[:len(s)-size]
	}
	return s
}

// plain writes Vietnamese without its diacritics, so that a message fits
// one GSM-7 SMS: đ becomes d, and every combining mark goes.
func plain(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
		case r == 'đ':
			b.WriteRune('d')
		case r == 'Đ':
			b.WriteRune('D')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
