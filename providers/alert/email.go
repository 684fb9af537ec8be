package alert

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/roma-redis/roma/cluster"
)

// DefaultEmailTimeout bounds one whole SMTP conversation, from dialling
// to QUIT, when the Email sets no Timeout and the context no earlier
// deadline.
const DefaultEmailTimeout = 30 * time.Second

// Email sends alerts as mail through an SMTP server (alert "email" in
// roma.hcl).
//
// It uses STARTTLS whenever the server offers it, verifying the server's
// certificate against the system roots (or TLSConfig's), or implicit TLS
// (SMTPS) when ImplicitTLS is set, as NewEmail does for port 465. With a Username it authenticates with AUTH PLAIN,
// or LOGIN when the server offers only that, and it never sends the
// password over an unencrypted connection except to localhost, 127.0.0.1
// or ::1 (the rule of net/smtp's PlainAuth).
type Email struct {
	Server   string // host:port
	From     string // an RFC 5322 address: "roma@example.com" or "Roma <roma@example.com>"
	To       []string
	Username string
	Password cluster.Secret

	// TLSConfig, when set, is used (cloned, with ServerName filled in)
	// for STARTTLS and implicit TLS: tests trust their own CA through
	// its RootCAs.
	TLSConfig *tls.Config
	// ImplicitTLS speaks TLS from the first byte (SMTPS) rather than
	// upgrading with STARTTLS.
	ImplicitTLS bool
	// Timeout bounds one whole conversation; 0 means DefaultEmailTimeout.
	Timeout time.Duration
	// Hostname is the name given in EHLO; empty means this machine's.
	Hostname string
}

// NewEmail returns the Email sender for an alert "email" block.
func NewEmail(a cluster.Alert) (*Email, error) {
	e := &Email{Server: a.SMTP, From: a.From, To: a.To, Username: a.Username, Password: a.Password}
	if _, err := e.addresses(); err != nil {
		return nil, err
	}
	_, port, _ := net.SplitHostPort(a.SMTP)
	e.ImplicitTLS = port == "465"
	return e, nil
}

// envelope is a mail's sender and recipients, parsed.
type envelope struct {
	from mail.Address
	to   []mail.Address
}

// addresses checks the server and parses the addresses.
func (e *Email) addresses() (envelope, error) {
	if _, _, err := net.SplitHostPort(e.Server); err != nil {
		return envelope{}, fmt.Errorf("email alert: smtp must be host:port, got %q: %w", e.Server, ErrPermanent)
	}
	from, err := mail.ParseAddress(e.From)
	if err != nil {
		return envelope{}, fmt.Errorf("email alert: from address %q: %v (%w)", e.From, err, ErrPermanent)
	}
	if len(e.To) == 0 {
		return envelope{}, fmt.Errorf("email alert: no recipients: %w", ErrPermanent)
	}
	env := envelope{from: *from}
	for _, s := range e.To {
		addr, err := mail.ParseAddress(s)
		if err != nil {
			return envelope{}, fmt.Errorf("email alert: to address %q: %v (%w)", s, err, ErrPermanent)
		}
		env.to = append(env.to, *addr)
	}
	return env, nil
}

// Send mails a to the recipients through the SMTP server. Errors name the
// server and never hold the password.
func (e *Email) Send(ctx context.Context, a Alert) error {
	env, err := e.addresses()
	if err != nil {
		return err
	}
	msg := message(env, a)
	if err := e.send(ctx, env, msg); err != nil {
		pw := e.Password.Reveal()
		err = redactErr(err, pw, base64.StdEncoding.EncodeToString([]byte(pw)))
		return fmt.Errorf("email alert via %s: %w", e.Server, err)
	}
	return nil
}

// send runs one SMTP conversation that delivers msg.
func (e *Email) send(ctx context.Context, env envelope, msg []byte) error {
	timeout := e.Timeout
	if timeout <= 0 {
		timeout = DefaultEmailTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	host, _, _ := net.SplitHostPort(e.Server)

	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", e.Server)
	if err != nil {
		return err
	}
	defer conn.Close()
	// The deadline bounds every read and write; cancelling ctx ends a
	// conversation stuck on a silent server at once.
	dl, _ := ctx.Deadline()
	conn.SetDeadline(dl)
	stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	if e.ImplicitTLS {
		tc := tls.Client(conn, e.tlsConfig(host))
		if err := tc.HandshakeContext(ctx); err != nil {
			return fmt.Errorf("TLS: %w", err)
		}
		conn = tc
	}
	err = e.converse(conn, host, env, msg)
	if err != nil && ctx.Err() == nil && !time.Now().Before(dl) {
		<-ctx.Done() // the connection's deadline is ctx's: it ends now
	}
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("%w (%w)", context.Cause(ctx), err)
	}
	return err
}

// converse speaks SMTP over conn, from the greeting to QUIT.
func (e *Email) converse(conn net.Conn, host string, env envelope, msg []byte) error {
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		return classify("greeting", err)
	}
	defer c.Close()
	if err := c.Hello(e.hostname()); err != nil {
		return classify("EHLO", err)
	}
	_, isTLS := conn.(*tls.Conn)
	if ok, _ := c.Extension("STARTTLS"); ok && !isTLS {
		if err := c.StartTLS(e.tlsConfig(host)); err != nil {
			return classify("STARTTLS", err)
		}
		isTLS = true
	}
	if e.Username != "" {
		if err := e.auth(c, host, isTLS); err != nil {
			return err
		}
	}
	if err := c.Mail(env.from.Address); err != nil {
		return classify("MAIL FROM:<"+env.from.Address+">", err)
	}
	for _, to := range env.to {
		if err := c.Rcpt(to.Address); err != nil {
			return classify("RCPT TO:<"+to.Address+">", err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return classify("DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return classify("DATA", err)
	}
	if err := w.Close(); err != nil {
		return classify("end of DATA", err)
	}
	// The mail is accepted once DATA ends well; a failed QUIT loses nothing.
	_ = c.Quit()
	return nil
}

// auth authenticates as e.Username with the best mechanism the server
// offers, refusing to send the password in clear except to localhost.
func (e *Email) auth(c *smtp.Client, host string, isTLS bool) error {
	ok, mechs := c.Extension("AUTH")
	if !ok {
		return fmt.Errorf("server offers no AUTH, but a username is set: %w", ErrPermanent)
	}
	if !isTLS && !isLocalhost(host) {
		return fmt.Errorf("refusing to send the password over an unencrypted connection: the server offers no STARTTLS (%w)", ErrPermanent)
	}
	var a smtp.Auth
	switch offered := strings.Fields(strings.ToUpper(mechs)); {
	case slices.Contains(offered, "PLAIN"):
		a = smtp.PlainAuth("", e.Username, e.Password.Reveal(), host)
	case slices.Contains(offered, "LOGIN"):
		a = &loginAuth{user: e.Username, pass: e.Password.Reveal(), host: host}
	default:
		return fmt.Errorf("server offers AUTH %s, roma speaks PLAIN and LOGIN: %w", mechs, ErrPermanent)
	}
	if err := c.Auth(a); err != nil {
		return classify("AUTH as "+e.Username, err)
	}
	return nil
}

func (e *Email) tlsConfig(host string) *tls.Config {
	var cfg *tls.Config
	if e.TLSConfig != nil {
		cfg = e.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

func (e *Email) hostname() string {
	if e.Hostname != "" {
		return e.Hostname
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

// classify says which step failed, and marks a permanent (5xx) reply or
// a certificate the server cannot be trusted with as ErrPermanent.
func classify(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return fmt.Errorf("%s: %w (%w)", step, err, ErrPermanent)
	}
	var ce *tls.CertificateVerificationError
	if errors.As(err, &ce) {
		return fmt.Errorf("%s: %w (%w)", step, err, ErrPermanent)
	}
	return fmt.Errorf("%s: %w", step, err)
}

// isLocalhost is net/smtp's rule for where a password may go in clear.
func isLocalhost(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// loginAuth is the LOGIN SASL mechanism, which net/smtp lacks, under the
// same rules as its PlainAuth.
type loginAuth struct{ user, pass, host string }

func (a *loginAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if !server.TLS && !isLocalhost(server.Name) {
		return "", nil, errors.New("unencrypted connection")
	}
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "LOGIN", nil, nil
}

func (a *loginAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if !more {
		return nil, nil
	}
	switch strings.ToLower(strings.TrimSpace(string(fromServer))) {
	case "username:", "user name", "username":
		return []byte(a.user), nil
	case "password:", "password":
		return []byte(a.pass), nil
	}
	return nil, fmt.Errorf("unexpected LOGIN challenge %q", fromServer)
}
