package testenv

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"
)

// SMTPServer is a real SMTP server on loopback that keeps every message it
// accepts, for tests of e-mail delivery. Hang makes it stop answering after
// the greeting until Release, as a server that has stalled.
type SMTPServer struct {
	Addr string

	mu      sync.Mutex
	msgs    []SMTPMessage
	hang    chan struct{} // closed: not hanging
	srv     *smtp.Server
	started int // sessions begun
}

// SMTPMessage is one message the server accepted.
type SMTPMessage struct {
	From string
	To   []string
	Data string
}

// StartSMTP starts a server, closed when the test ends.
func StartSMTP(t testing.TB) *SMTPServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("smtp listener: %v", err)
	}
	s := &SMTPServer{Addr: ln.Addr().String(), hang: make(chan struct{})}
	close(s.hang)
	s.srv = smtp.NewServer(s)
	s.srv.Domain = "localhost"
	s.srv.AllowInsecureAuth = true
	s.srv.ReadTimeout = 30 * time.Second
	s.srv.WriteTimeout = 30 * time.Second
	go func() { _ = s.srv.Serve(ln) }()
	t.Cleanup(func() {
		s.Release()
		_ = s.srv.Close()
	})
	return s
}

// Hang makes every session stall at its first command until Release.
func (s *SMTPServer) Hang() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.hang:
		s.hang = make(chan struct{})
	default:
	}
}

// Release ends a Hang.
func (s *SMTPServer) Release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.hang:
	default:
		close(s.hang)
	}
}

// Messages returns the messages accepted so far.
func (s *SMTPServer) Messages() []SMTPMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]SMTPMessage(nil), s.msgs...)
}

// Sessions counts the sessions begun, hung ones included.
func (s *SMTPServer) Sessions() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.started
}

// NewSession implements smtp.Backend.
func (s *SMTPServer) NewSession(*smtp.Conn) (smtp.Session, error) {
	s.mu.Lock()
	s.started++
	hang := s.hang
	s.mu.Unlock()
	return &smtpSession{s: s, hang: hang}, nil
}

type smtpSession struct {
	s    *SMTPServer
	hang chan struct{}
	msg  SMTPMessage
}

func (x *smtpSession) Reset()        { x.msg = SMTPMessage{} }
func (x *smtpSession) Logout() error { return nil }

func (x *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	<-x.hang
	x.msg.From = from
	return nil
}

func (x *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.msg.To = append(x.msg.To, to)
	return nil
}

func (x *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	x.msg.Data = string(b)
	x.s.mu.Lock()
	x.s.msgs = append(x.s.msgs, x.msg)
	x.s.mu.Unlock()
	return nil
}
