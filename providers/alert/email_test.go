package alert

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/roma-redis/roma/cluster"
)

const testPassword = "s3cret-Pa55word"

// testAlert has a non-ASCII subject and a body with a long line, a line
// that is a lone dot, and trailing spaces: what SMTP and RFC 5322 make
// hard to carry unchanged.
var testAlert = Alert{
	Cluster:  "shop",
	Kind:     KindHalt,
	Subject:  "[roma shop] HALT: a partition has no master — ünïcode",
	Body:     "Cluster shop is in HALT.\n.\nline with trailing spaces   \n" + strings.Repeat("long line ", 30) + "\n",
	Time:     time.Date(2026, 1, 2, 15, 4, 5, 0, time.UTC),
	Incident: "shop/halt/20260102T150405Z",
}

// gotMail is a received mail as the test checks it.
type gotMail struct {
	EnvFrom  string
	EnvTo    []string
	User     string
	TLS      bool
	Date     time.Time
	From     string
	To       string
	Subject  string
	Kind     string
	Incident string
	Body     string
}

func readMail(t *testing.T, m receivedMail) gotMail {
	t.Helper()
	msg, err := mail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("received mail does not parse: %v\n%s", err, m.Data)
	}
	h := msg.Header
	for _, name := range []string{"Date", "From", "To", "Subject", "Message-ID", "MIME-Version", "Content-Type"} {
		if len(h[textproto.CanonicalMIMEHeaderKey(name)]) != 1 {
			t.Errorf("header %s appears %d times, want once", name, len(h[name]))
		}
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{24}\.\d+@example\.com>$`).MatchString(id) {
		t.Errorf("Message-ID = %q, want <hex.unix@example.com>", id)
	}
	date, err := h.Date()
	if err != nil {
		t.Errorf("Date: %v", err)
	}
	subject, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil {
		t.Errorf("Subject: %v", err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Errorf("body: %v", err)
	}
	// RFC 5322 2.1.1: no line past 998 characters; RFC 2045 6.7: no
	// quoted-printable line past 76.
	head, text, _ := bytes.Cut(m.Data, []byte("\r\n\r\n"))
	for i, line := range bytes.Split(head, []byte("\r\n")) {
		if len(line) > 998 {
			t.Errorf("header line %d is %d bytes long: %q", i, len(line), line)
		}
	}
	for i, line := range bytes.Split(text, []byte("\r\n")) {
		if len(line) > 76 {
			t.Errorf("body line %d is %d bytes long: %q", i, len(line), line)
		}
	}
	return gotMail{
		EnvFrom: m.From, EnvTo: m.To, User: m.User, TLS: m.TLS,
		Date: date.UTC(), From: h.Get("From"), To: h.Get("To"), Subject: subject,
		Kind: h.Get("X-Roma-Kind"), Incident: h.Get("X-Roma-Incident"),
		Body: strings.ReplaceAll(string(body), "\r\n", "\n"),
	}
}

func wantMail(user string, tls bool) gotMail {
	return gotMail{
		EnvFrom: "roma@example.com", EnvTo: []string{"ops@example.com", "oncall@example.org"},
		User: user, TLS: tls,
		Date: testAlert.Time, From: `"Roma" <roma@example.com>`, To: "<ops@example.com>, <oncall@example.org>",
		Subject: testAlert.Subject, Kind: testAlert.Kind, Incident: testAlert.Incident, Body: testAlert.Body,
	}
}

func TestEmailDelivers(t *testing.T) {
	cert, roots := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	users := map[string]string{"roma": testPassword}

	tests := map[string]struct {
		server   mailServerOptions
		username string
		implicit bool
		want     gotMail
	}{
		"plain, no auth": {
			want: wantMail("", false),
		},
		"STARTTLS, no auth": {
			server: mailServerOptions{TLS: serverTLS},
			want:   wantMail("", true),
		},
		"STARTTLS, AUTH PLAIN": {
			server:   mailServerOptions{TLS: serverTLS, Users: users},
			username: "roma",
			want:     wantMail("roma", true),
		},
		"STARTTLS, AUTH LOGIN only": {
			server:   mailServerOptions{TLS: serverTLS, Users: users, Mechs: []string{"LOGIN"}},
			username: "roma",
			want:     wantMail("roma", true),
		},
		"implicit TLS, AUTH PLAIN": {
			server:   mailServerOptions{TLS: serverTLS, Implicit: true, Users: users},
			username: "roma",
			implicit: true,
			want:     wantMail("roma", true),
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ms := startMailServer(t, tt.server)
			e := newTestEmail(t, ms.Addr, tt.username)
			e.TLSConfig = &tls.Config{RootCAs: roots}
			e.ImplicitTLS = tt.implicit
			if err := e.Send(context.Background(), testAlert); err != nil {
				t.Fatalf("Send: %v", err)
			}
			mails := ms.mails()
			if len(mails) != 1 {
				t.Fatalf("server received %d mails, want 1", len(mails))
			}
			if diff := cmp.Diff(tt.want, readMail(t, mails[0])); diff != "" {
				t.Errorf("received mail (-want +got):\n%s", diff)
			}
		})
	}
}

// TestEmailPlaintextAuthOnLoopback: net/smtp's rule lets a password go
// in clear to 127.0.0.1, where no one else can listen.
func TestEmailPlaintextAuthOnLoopback(t *testing.T) {
	ms := startMailServer(t, mailServerOptions{Users: map[string]string{"roma": testPassword}, InsecureAuth: true})
	e := newTestEmail(t, ms.Addr, "roma")
	if err := e.Send(context.Background(), testAlert); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if diff := cmp.Diff(wantMail("roma", false), readMail(t, ms.mails()[0])); diff != "" {
		t.Errorf("received mail (-want +got):\n%s", diff)
	}
}

func TestEmailFails(t *testing.T) {
	cert, roots := testCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}
	users := map[string]string{"roma": testPassword}

	tests := map[string]struct {
		server    mailServerOptions
		trust     bool // the client trusts the test certificate
		username  string
		password  string
		permanent bool
		want      string // in the error; parts apart by |
	}{
		"password never in clear to a non-loopback name": {
			// 127.0.0.2 is loopback, but not by net/smtp's rule, which
			// looks at the name: it stands for a remote server here.
			server:    mailServerOptions{Host: "127.0.0.2", Users: users, InsecureAuth: true},
			username:  "roma",
			permanent: true,
			want:      "refusing to send the password over an unencrypted connection",
		},
		"untrusted certificate": {
			server:    mailServerOptions{TLS: serverTLS, Users: users},
			username:  "roma",
			permanent: true,
			want:      "STARTTLS: tls: failed to verify certificate",
		},
		"wrong password": {
			server:   mailServerOptions{TLS: serverTLS, Users: users},
			trust:    true,
			username: "roma",
			password: "not-" + testPassword,
			want:     "AUTH as roma: 454|invalid credentials",
		},
		"no AUTH offered": {
			server:    mailServerOptions{TLS: serverTLS},
			trust:     true,
			username:  "roma",
			permanent: true,
			want:      "server offers no AUTH",
		},
		"auth required": {
			server:    mailServerOptions{TLS: serverTLS, Users: users},
			trust:     true,
			permanent: true,
			want:      "MAIL FROM:<roma@example.com>: 502|Please authenticate first",
		},
		"recipient refused": {
			server:    mailServerOptions{RejectTo: "oncall@example.org"},
			permanent: true,
			want:      "RCPT TO:<oncall@example.org>: 550|no such user",
		},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			ms := startMailServer(t, tt.server)
			e := newTestEmail(t, ms.Addr, tt.username)
			if tt.password != "" {
				e.Password = cluster.NewSecret(tt.password)
			}
			if tt.trust {
				e.TLSConfig = &tls.Config{RootCAs: roots}
			}
			err := e.Send(context.Background(), testAlert)
			if err == nil {
				t.Fatal("Send succeeded, want an error")
			}
			checkEmailError(t, err, ms.Addr, tt.want, e.Password.Reveal())
			if got := errors.Is(err, ErrPermanent); got != tt.permanent {
				t.Errorf("errors.Is(err, ErrPermanent) = %v, want %v", got, tt.permanent)
			}
			if n := len(ms.mails()); n != 0 {
				t.Errorf("server received %d mails, want none", n)
			}
		})
	}
}

func TestEmailTimeout(t *testing.T) {
	addr := silentServer(t)
	e := newTestEmail(t, addr, "roma")
	e.Timeout = 200 * time.Millisecond
	start := time.Now()
	err := e.Send(context.Background(), testAlert)
	if err == nil {
		t.Fatal("Send to a silent server succeeded")
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %v with a 200ms timeout", took)
	}
	checkEmailError(t, err, addr, "greeting", testPassword)
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrPermanent) {
		t.Errorf("error %v: want a deadline, not permanent", err)
	}

	// Cancelling the context ends the conversation as soon.
	e.Timeout = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start = time.Now()
	err = e.Send(ctx, testAlert)
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Send after cancel: %v, want context.Canceled", err)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("Send took %v after cancel", took)
	}
}

func TestEmailConnectionRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	e := newTestEmail(t, addr, "roma")
	err = e.Send(context.Background(), testAlert)
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	checkEmailError(t, err, addr, "connection refused", testPassword)
	if errors.Is(err, ErrPermanent) {
		t.Errorf("a refused connection is worth a retry: %v", err)
	}
}

func TestNewEmail(t *testing.T) {
	good := cluster.Alert{Kind: "email", SMTP: "smtp.example.com:465", From: "roma@example.com", To: []string{"ops@example.com"}}
	e, err := NewEmail(good)
	if err != nil {
		t.Fatal(err)
	}
	if !e.ImplicitTLS {
		t.Error("port 465 should mean implicit TLS")
	}
	bad := map[string]func(a *cluster.Alert){
		"no port":      func(a *cluster.Alert) { a.SMTP = "smtp.example.com" },
		"bad from":     func(a *cluster.Alert) { a.From = "roma at example" },
		"bad to":       func(a *cluster.Alert) { a.To = []string{"ops@example.com", "nobody"} },
		"no recipient": func(a *cluster.Alert) { a.To = nil },
	}
	for name, change := range bad {
		t.Run(name, func(t *testing.T) {
			a := good
			change(&a)
			if _, err := New(a); !errors.Is(err, ErrPermanent) {
				t.Errorf("New: %v, want a permanent error", err)
			}
		})
	}
}

// newTestEmail returns an Email from Roma <roma@example.com> to two
// recipients, through addr, with testPassword when user is set.
func newTestEmail(t *testing.T, addr, user string) *Email {
	t.Helper()
	a := cluster.Alert{
		Kind: "email", SMTP: addr, From: "Roma <roma@example.com>",
		To: []string{"ops@example.com", "oncall@example.org"}, Username: user, DownFor: time.Minute,
	}
	if user != "" {
		a.Password = cluster.NewSecret(testPassword)
	}
	s, err := New(a)
	if err != nil {
		t.Fatal(err)
	}
	e := s.(*Email)
	e.Hostname = "romad.test"
	e.Timeout = 10 * time.Second
	return e
}

// checkEmailError checks that err names the server and says want (each
// of its parts apart by |), and that no form of the password is in it.
func checkEmailError(t *testing.T, err error, addr, want, password string) {
	t.Helper()
	msg := err.Error()
	if !strings.Contains(msg, "email alert via "+addr+": ") {
		t.Errorf("error %q does not name the server %s", msg, addr)
	}
	for _, part := range strings.Split(want, "|") {
		if !strings.Contains(msg, part) {
			t.Errorf("error %q does not say %q", msg, part)
		}
	}
	for _, secret := range []string{password, base64.StdEncoding.EncodeToString([]byte(password)),
		base64.StdEncoding.EncodeToString([]byte("\x00roma\x00" + password))} {
		if password != "" && strings.Contains(msg, secret) {
			t.Errorf("error %q holds the password", msg)
		}
	}
}
