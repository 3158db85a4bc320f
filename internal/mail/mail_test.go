package mail_test

import (
	"context"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
	"caseflow/internal/mail"
	"caseflow/internal/testenv"
)

func delivery() caseflow.Delivery {
	return caseflow.Delivery{ID: 7, Channel: caseflow.ChannelEmail, Address: "ca-33@duty.example.test",
		Notification: caseflow.Notification{ID: 3, Kind: caseflow.NotificationBreach, CaseCode: "HY-2026-000042",
			Clock: "resolve_report", DueAt: time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), LegalBasis: "BLTTHS Điều 147",
			Message: "Hồ sơ HY-2026-000042: quá hạn resolve_report"}}
}

func TestMailerSendsToARealSMTPServer(t *testing.T) {
	t.Parallel()
	srv := testenv.StartSMTP(t)
	m := &mail.Mailer{Addr: srv.Addr, From: "caseflow@example.test", TLS: mail.TLSNone, Timeout: 5 * time.Second}
	require.NoError(t, m.Send(context.Background(), delivery()))
	msgs := srv.Messages()
	require.Len(t, msgs, 1)
	require.Equal(t, []string{"ca-33@duty.example.test"}, msgs[0].To)
	parsed, err := netmail.ReadMessage(strings.NewReader(msgs[0].Data))
	require.NoError(t, err)
	subject, err := new(mime.WordDecoder).DecodeHeader(parsed.Header.Get("Subject"))
	require.NoError(t, err)
	require.Equal(t, "[caseflow] Quá hạn / Overdue: HY-2026-000042 resolve_report", subject)
	_, text := mail.Text(delivery().Notification)
	require.Contains(t, text, "02/12/2026 00:00", "the due time in the province's zone")
	require.Contains(t, text, "BLTTHS Điều 147", "the legal basis")
}

func TestMailerGivesUpOnAHungServerWithinItsContext(t *testing.T) {
	t.Parallel()
	srv := testenv.StartSMTP(t)
	srv.Hang()
	m := &mail.Mailer{Addr: srv.Addr, From: "caseflow@example.test", TLS: mail.TLSNone, Timeout: 5 * time.Second}
	ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := m.Send(ctx, delivery())
	require.Error(t, err)
	require.Less(t, time.Since(start), 3*time.Second, "the context, not the server, ended the attempt")
	require.Empty(t, srv.Messages())
}

func TestMailerRefusesPlainTextWhenTLSIsRequired(t *testing.T) {
	t.Parallel()
	srv := testenv.StartSMTP(t)
	m := &mail.Mailer{Addr: srv.Addr, From: "caseflow@example.test", TLS: mail.TLSStart, Timeout: 5 * time.Second}
	require.Error(t, m.Send(context.Background(), delivery()), "a server without STARTTLS is refused")
	require.Empty(t, srv.Messages())
}
