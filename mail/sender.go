package mail

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// ErrInvalidMessage is wrapped by errors about a Message that cannot be sent
// as it is; sending it again will not help.
var ErrInvalidMessage = errors.New("mail: invalid message")

// Message is one email to one recipient.
type Message struct {
	To      string // address only
	ToName  string
	Subject string
	Text    string
	HTML    string // optional; with it the email is multipart/alternative
	// MessageID is required, with or without angle brackets. Derive it from
	// the business event so that a resent email is recognisably the same one.
	MessageID string
	Headers   map[string]string
}

// Sender sends email through one SMTP server. It is safe for concurrent use.
type Sender struct {
	cfg Config
}

// NewSender checks cfg and returns a Sender for it. It does not connect.
func NewSender(cfg Config) (*Sender, error) {
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Sender{cfg: cfg}
	if _, err := s.client(context.Background()); err != nil {
		return nil, err
	}
	return s, nil
}

// client makes a go-mail client per send: it is cheap, and no connection
// state is shared between concurrent sends. With a context, the session ends
// by the context's deadline: go-mail itself takes the context for dialling
// only, and bounds each later command by the timeout alone.
func (s *Sender) client(ctx context.Context) (*gomail.Client, error) {
	timeout := s.cfg.Timeout
	deadline, bounded := ctx.Deadline()
	if bounded {
		timeout = max(min(timeout, time.Until(deadline)), time.Millisecond)
	}
	opts := []gomail.Option{gomail.WithPort(s.cfg.Port), gomail.WithTimeout(timeout)}
	// Implicit TLS needs go-mail's own dialer, which knows the connection
	// is encrypted; there each command is bounded by the time left instead.
	if bounded && s.cfg.TLS != TLSImplicit {
		opts = append(opts, gomail.WithDialContextFunc(deadlineDialer(ctx, deadline)))
	}
	switch s.cfg.TLS {
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
	case TLSOpportunistic:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSOpportunistic))
	case TLSMandatory:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
	}
	if s.cfg.Username != "" {
		// Auto-discovery picks the strongest mechanism the server offers and
		// never sends PLAIN or LOGIN over an unencrypted connection.
		opts = append(opts, gomail.WithSMTPAuth(gomail.SMTPAuthAutoDiscover),
			gomail.WithUsername(s.cfg.Username), gomail.WithPassword(s.cfg.Password))
	}
	c, err := gomail.NewClient(s.cfg.Host, opts...)
	if err != nil {
		return nil, fmt.Errorf("mail client for %s:%d: %w", s.cfg.Host, s.cfg.Port, err)
	}
	return c, nil
}

// Send delivers m, giving up by ctx's deadline. Its errors are classified
// by IsPermanent. A server may still deliver a message whose session was
// cut short: sending is at least once, and m.MessageID tells the copies apart.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, id, err := s.build(m)
	if err != nil {
		return err
	}
	c, err := s.client(ctx)
	if err != nil {
		return err
	}
	err = c.DialAndSendWithContext(ctx, msg)
	if err == nil {
		return nil
	}
	// Once the server has accepted the message, a failure while closing the
	// session must not make the caller send it a second time.
	if msg.IsDelivered() {
		return nil
	}
	code, permanent := classify(err)
	return &DeliveryError{
		MessageID: id, Code: code, Permanent: permanent,
		msg: redact(err.Error(), m.To), err: err,
	}
}

func (s *Sender) build(m Message) (*gomail.Msg, string, error) {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(m.MessageID), "<"), ">")
	switch {
	case strings.TrimSpace(m.To) == "":
		return nil, "", fmt.Errorf("%w: To is empty", ErrInvalidMessage)
	case strings.TrimSpace(m.Subject) == "":
		return nil, "", fmt.Errorf("%w: Subject is empty", ErrInvalidMessage)
	case strings.TrimSpace(m.Text) == "":
		return nil, "", fmt.Errorf("%w: Text is empty", ErrInvalidMessage)
	case !validMessageID(id):
		return nil, "", fmt.Errorf("%w: MessageID %q is not of the form left@right", ErrInvalidMessage, m.MessageID)
	}
	// The address is personal data: errors say what is wrong, not what it is.
	if a, err := mail.ParseAddress(m.To); err != nil || a.Address != strings.TrimSpace(m.To) {
		return nil, "", fmt.Errorf("%w: To is not a bare email address", ErrInvalidMessage)
	}
	for name, value := range m.Headers {
		if err := checkHeader(name, value); err != nil {
			return nil, "", err
		}
	}

	msg := gomail.NewMsg()
	if err := msg.From(s.cfg.From); err != nil {
		return nil, "", fmt.Errorf("mail config: From: %w", err)
	}
	if err := msg.AddToFormat(m.ToName, strings.TrimSpace(m.To)); err != nil {
		return nil, "", fmt.Errorf("%w: To is not a valid address", ErrInvalidMessage)
	}
	for name, value := range m.Headers {
		msg.SetGenHeader(gomail.Header(name), value)
	}
	msg.Subject(m.Subject)
	msg.SetMessageIDWithValue(id)
	msg.SetDate()
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, "<" + id + ">", nil
}

func validMessageID(id string) bool {
	left, right, ok := strings.Cut(id, "@")
	return ok && left != "" && right != "" && !strings.ContainsAny(id, "<> \t\r\n") && strings.Count(id, "@") == 1
}

// The message's own structure is set by Send; extra headers may not change it.
var reservedHeaders = map[string]bool{
	"from": true, "to": true, "cc": true, "bcc": true, "subject": true, "message-id": true, "date": true,
	"mime-version": true, "content-type": true, "content-transfer-encoding": true,
}

func checkHeader(name, value string) error {
	if name == "" || reservedHeaders[strings.ToLower(name)] {
		return fmt.Errorf("%w: header %q cannot be set through Headers", ErrInvalidMessage, name)
	}
	for _, r := range name {
		if r <= ' ' || r > '~' || r == ':' {
			return fmt.Errorf("%w: header name %q is not a header field name", ErrInvalidMessage, name)
		}
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("%w: header %s has a line break in its value", ErrInvalidMessage, name)
	}
	return nil
}

// redact keeps the recipient's address out of error text, which ends up in
// logs and workflow histories.
func redact(s, addr string) string {
	addr = strings.TrimSpace(addr)
	if addr == "" {
		return s
	}
	s = strings.ReplaceAll(s, addr, "<recipient>")
	return strings.ReplaceAll(s, strings.ToLower(addr), "<recipient>")
}

// deadlineDialer dials connections that never wait past deadline, whatever
// deadline go-mail sets per command, and that close when ctx ends.
func deadlineDialer(ctx context.Context, deadline time.Time) gomail.DialContextFunc {
	return func(dialCtx context.Context, network, address string) (net.Conn, error) {
		var d net.Dialer
		conn, err := d.DialContext(dialCtx, network, address)
		if err != nil {
			return nil, err
		}
		dc := &deadlineConn{Conn: conn, limit: deadline}
		if err := dc.SetDeadline(deadline); err != nil {
			conn.Close()
			return nil, err
		}
		stop := context.AfterFunc(ctx, func() { conn.Close() })
		dc.stop = stop
		return dc, nil
	}
}

type deadlineConn struct {
	net.Conn
	limit time.Time
	stop  func() bool
}

func earliest(t, limit time.Time) time.Time {
	if t.IsZero() || t.After(limit) {
		return limit
	}
	return t
}

func (c *deadlineConn) SetDeadline(t time.Time) error {
	return c.Conn.SetDeadline(earliest(t, c.limit))
}
func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	return c.Conn.SetReadDeadline(earliest(t, c.limit))
}
func (c *deadlineConn) SetWriteDeadline(t time.Time) error {
	return c.Conn.SetWriteDeadline(earliest(t, c.limit))
}

func (c *deadlineConn) Close() error {
	if c.stop != nil {
		c.stop()
	}
	return c.Conn.Close()
}
