// Package mailtest runs a real SMTP server on the loopback interface for
// tests: it records every message it accepts and can be told to refuse.
package mailtest

import (
	"errors"
	"io"
	"net"
	"net/mail"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Received is one message the server accepted.
type Received struct {
	From string
	To   []string
	// Raw is the message as sent, headers and body.
	Raw string
	// Msg is Raw parsed.
	Msg *mail.Message
	// Body is the message body as sent (transfer encoding untouched).
	Body string
}

// Server is a running SMTP server on 127.0.0.1.
type Server struct {
	// Addr is host:port to connect to.
	Addr string
	// User and Password are the credentials it accepts (AUTH PLAIN).
	User, Password string

	mu       sync.Mutex
	received []Received
	// refuse holds the replies for the next RCPT TO commands, used first.
	refuse []*smtp.SMTPError
	arrive chan struct{}
}

// Start runs a server until the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{Addr: ln.Addr().String(), User: "rapport", Password: "mail secret", arrive: make(chan struct{}, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) { return &session{s: s}, nil }))
	srv.Domain = "mail.test"
	srv.AllowInsecureAuth = true
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return s
}

// URL is the --smtp value for this server, with its credentials (AUTH
// PLAIN, which clients allow unencrypted to a loopback address only).
func (s *Server) URL() string {
	return "smtp://" + s.User + ":" + strings.ReplaceAll(s.Password, " ", "%20") + "@" + s.Addr + "?auth=plain"
}

// Refuse makes the next RCPT TO commands fail with these SMTP codes, one
// per command, e.g. Refuse(451) for a temporary and Refuse(550) for a
// permanent failure.
func (s *Server) Refuse(codes ...int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range codes {
		s.refuse = append(s.refuse, &smtp.SMTPError{Code: c, Message: "refused by the test server"})
	}
}

// Messages returns what arrived so far.
func (s *Server) Messages() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Received(nil), s.received...)
}

// Wait waits up to timeout for n messages in all and returns them.
func (s *Server) Wait(t testing.TB, n int, timeout time.Duration) []Received {
	t.Helper()
	deadline := time.After(timeout)
	for {
		if got := s.Messages(); len(got) >= n {
			return got
		}
		select {
		case <-s.arrive:
		case <-deadline:
			t.Fatalf("%d messages arrived within %s, want %d", len(s.Messages()), timeout, n)
		}
	}
}

type session struct {
	s      *Server
	authed bool
	from   string
	to     []string
}

func (x *session) AuthMechanisms() []string { return []string{sasl.Plain} }

func (x *session) Auth(mech string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(identity, user, pass string) error {
		if user != x.s.User || pass != x.s.Password {
			return errors.New("invalid credentials")
		}
		x.authed = true
		return nil
	}), nil
}

func (x *session) Mail(from string, _ *smtp.MailOptions) error {
	if !x.authed {
		return smtp.ErrAuthRequired
	}
	x.from = from
	return nil
}

func (x *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	x.s.mu.Lock()
	defer x.s.mu.Unlock()
	if len(x.s.refuse) > 0 {
		err := x.s.refuse[0]
		x.s.refuse = x.s.refuse[1:]
		return err
	}
	x.to = append(x.to, to)
	return nil
}

func (x *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	raw := string(b)
	msg, err := mail.ReadMessage(strings.NewReader(raw))
	if err != nil {
		return err
	}
	body, _ := io.ReadAll(msg.Body)
	msg, _ = mail.ReadMessage(strings.NewReader(raw))
	x.s.mu.Lock()
	x.s.received = append(x.s.received, Received{From: x.from, To: x.to, Raw: raw, Msg: msg, Body: string(body)})
	x.s.mu.Unlock()
	select {
	case x.s.arrive <- struct{}{}:
	default:
	}
	return nil
}

func (x *session) Reset()        { x.from, x.to = "", nil }
func (x *session) Logout() error { return nil }
