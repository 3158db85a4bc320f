package mail

import (
	"bufio"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"caseflow/internal/caseflow"
)

// smtpSink is a minimal SMTP server on loopback that records one message.
func smtpSink(t *testing.T) (string, <-chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { ln.Close() })
	got := make(chan string, 1)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		r := bufio.NewReader(conn)
		say := func(s string) { conn.Write([]byte(s + "\r\n")) }
		say("220 sink")
		var data strings.Builder
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			cmd := strings.ToUpper(strings.TrimSpace(line))
			switch {
			case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
				say("250 sink")
			case strings.HasPrefix(cmd, "DATA"):
				say("354 go on")
				for {
					l, err := r.ReadString('\n')
					if err != nil {
						return
					}
					if l == ".\r\n" {
						break
					}
					data.WriteString(l)
				}
				got <- data.String()
				say("250 queued")
			case strings.HasPrefix(cmd, "QUIT"):
				say("221 bye")
				return
			default:
				say("250 ok")
			}
		}
	}()
	return ln.Addr().String(), got
}

func TestSMTPNotify(t *testing.T) {
	t.Parallel()
	addr, got := smtpSink(t)
	loc := time.FixedZone("ICT", 7*3600)
	s := &SMTP{Addr: addr, From: "caseflow@example.test", To: []string{"duty@example.test"}, Location: loc}
	n := caseflow.Notification{Kind: "breach", CaseCode: "HY-2026-000042", Clock: "resolve_report",
		DueAt: time.Date(2026, 12, 1, 17, 0, 0, 0, time.UTC), Message: "Hồ sơ HY-2026-000042: quá hạn resolve_report"}
	require.NoError(t, s.Notify(n))
	select {
	case msg := <-got:
		require.Contains(t, msg, "HY-2026-000042")
		require.Contains(t, msg, "02/12/2026 00:00", "due time in the province's zone")
		require.Contains(t, msg, "Subject: =?UTF-8?B?")
		require.Contains(t, msg, mimeWord("[caseflow] Quá hạn / Overdue: HY-2026-000042 resolve_report"), "the kind as the catalogue labels it")
		require.Contains(t, msg, "quá hạn", "Vietnamese body intact")
	case <-time.After(5 * time.Second):
		t.Fatal("no message reached the server")
	}
}

func TestSMTPWithoutRecipientsSendsNothing(t *testing.T) {
	t.Parallel()
	s := &SMTP{Addr: "127.0.0.1:1", From: "caseflow@example.test"}
	require.NoError(t, s.Notify(caseflow.Notification{CaseCode: "HY-2026-000001"}))
}
