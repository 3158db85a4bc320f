// Package mail delivers notifications by e-mail, through a kept mail
// library with timeouts and TLS. The database stays the record of every
// notification; a message is a copy, sent by the worker's delivery task,
// never inside a request, a transaction or a timer handler.
package mail

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"strconv"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"

	"caseflow/internal/caseflow"
	"caseflow/internal/catalog"
)

// TLS says how the connection to the mail server is protected.
type TLS string

// TLS modes.
const (
	TLSNone     TLS = "none"     // plain SMTP (a relay on the same host or network)
	TLSStart    TLS = "starttls" // STARTTLS required
	TLSImplicit TLS = "tls"      // TLS from the first byte (port 465)
)

// Mailer sends deliveries on the e-mail channel. Messages carry the case
// code, the step that is due, the deadline and its legal basis, never a
// child's name, address, phone or narrative.
type Mailer struct {
	// Addr is the server's host:port.
	Addr string
	// From is the sender address.
	From string
	// TLS is how the connection is protected; default starttls.
	TLS TLS
	// Username and Password authenticate (PLAIN over TLS) when set.
	Username, Password string
	// Timeout bounds the connection and each command; default 20s.
	Timeout time.Duration
	// InsecureSkipVerify accepts any certificate: tests only.
	InsecureSkipVerify bool
}

// Send sends one delivery, returning when the server accepted it or ctx
// ended.
func (m *Mailer) Send(ctx context.Context, d caseflow.Delivery) error {
	host, portText, err := net.SplitHostPort(m.Addr)
	if err != nil {
		return fmt.Errorf("mail server address %q: %w", m.Addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return fmt.Errorf("mail server port %q: %w", portText, err)
	}
	timeout := m.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	// The library stops waiting on a stalled server at its timeout, not at
	// the context's end: the timeout is the shorter of the two.
	if deadline, ok := ctx.Deadline(); ok {
		if left := time.Until(deadline); left < timeout {
			timeout = max(left, time.Millisecond)
		}
	}
	opts := []gomail.Option{gomail.WithPort(port), gomail.WithTimeout(timeout),
		gomail.WithTLSConfig(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12, InsecureSkipVerify: m.InsecureSkipVerify})} //nolint:gosec // tests only
	switch m.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPortPolicy(gomail.NoTLS))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	default:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	}
	if m.Username != "" {
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthPlain), gomail.WithUsername(m.Username), gomail.WithPassword(m.Password))
	}
	c, err := gomail.NewClient(host, opts...)
	if err != nil {
		return err
	}
	msg := gomail.NewMsg()
	if err := msg.From(m.From); err != nil {
		return err
	}
	if err := msg.To(d.Address); err != nil {
		return err
	}
	subject, body := Text(d.Notification)
	msg.Subject(subject)
	msg.SetBodyString(gomail.TypeTextPlain, body)
	msg.SetDate()
	msg.SetMessageID()
	return c.DialAndSendWithContext(ctx, msg)
}

// Text is the subject and body of a notification's e-mail, in Vietnamese
// then English.
func Text(n caseflow.Notification) (subject, body string) {
	l := catalog.Labels(catalog.NotificationKind, n.Kind)
	subject = strings.TrimSpace(fmt.Sprintf("[caseflow] %s / %s: %s %s", l.VI, l.EN, n.CaseCode, n.Clock))
	body = strings.ReplaceAll(n.Message, "\n", "\r\n") + "\r\n\r\n"
	if n.CaseCode != "" {
		body += "Hồ sơ / Case: " + n.CaseCode + "\r\n"
	}
	if n.Clock != "" {
		body += "Thời hạn / Deadline: " + n.Clock + "\r\n"
	}
	if !n.DueAt.IsZero() {
		body += "Hạn / Due: " + n.DueAt.In(caseflow.Zone).Format("02/01/2006 15:04") + " (giờ Việt Nam / Vietnam time)\r\n"
	}
	if n.LegalBasis != "" {
		body += "Căn cứ / Legal basis: " + n.LegalBasis + "\r\n"
	}
	return subject, body
}
