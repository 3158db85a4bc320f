// Package mail delivers deadline notifications by e-mail over SMTP, for
// offices that watch a mailbox rather than the notification list. The
// database stays the record of every notification; mail is a copy.
package mail

import (
	"encoding/base64"
	"fmt"
	"net/smtp"
	"strings"
	"time"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
)

// SMTP sends each notification to a fixed list of addresses (a provincial
// duty desk, say). Messages carry the case code, the clock and the due time,
// never personal data.
type SMTP struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender address.
	From string
	// To lists the recipients.
	To []string
	// Auth authenticates to the server; nil sends without authentication.
	Auth smtp.Auth
	// Location is the zone due times are shown in.
	Location *time.Location
}

// Notify sends one notification.
func (s *SMTP) Notify(n caseflow.Notification) error {
	if len(s.To) == 0 {
		return nil
	}
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	l := catalog.Labels(catalog.NotificationKind, n.Kind)
	kind := l.VI + " / " + l.EN
	subject := fmt.Sprintf("[caseflow] %s: %s %s", kind, n.CaseCode, n.Clock)
	body := fmt.Sprintf("%s\r\n\r\nHồ sơ / Case: %s\r\nThời hạn / Clock: %s\r\nHạn / Due: %s\r\n",
		n.Message, n.CaseCode, n.Clock, n.DueAt.In(loc).Format("02/01/2006 15:04 MST"))
	msg := "From: " + s.From + "\r\n" +
		"To: " + strings.Join(s.To, ", ") + "\r\n" +
		"Subject: " + mimeWord(subject) + "\r\n" +
		"MIME-Version: 1.0\r\n" +
		"Content-Type: text/plain; charset=UTF-8\r\n" +
		"Content-Transfer-Encoding: 8bit\r\n\r\n" + body
	return smtp.SendMail(s.Addr, s.Auth, s.From, s.To, []byte(msg))
}

// mimeWord encodes a header value as an RFC 2047 encoded word when it is not
// plain ASCII, so Vietnamese subjects survive.
func mimeWord(s string) string {
	for _, r := range s {
		if r > 127 {
			return "=?UTF-8?B?" + base64.StdEncoding.EncodeToString([]byte(s)) + "?="
		}
	}
	return s
}
