package mail_test

import (
	"bufio"
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/mail/mailpittest"
)

func welcome(messageID string) mail.Message {
	return mail.Message{
		To:        "ada.muster@example.com",
		ToName:    "Ada Müster",
		Subject:   "Willkommen im B2B-Shop – Contoso Ltd",
		Text:      "Hello Ada,\n\nyour company is now a business partner.\n",
		HTML:      "<p>Hello Ada,</p><p>your company is now a <strong>business partner</strong>.</p>",
		MessageID: messageID,
		Headers:   map[string]string{"X-Onboarding-Request": "req-1"},
	}
}

func TestSendToMailpit(t *testing.T) {
	mp := mailpittest.Start(t)
	s, err := mail.NewSender(mail.Config{
		Host: mp.SMTPHost, Port: mp.SMTPPort, TLS: mail.TLSNone, From: "B2B Shop <partners@shop.example>",
		Timeout: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	for _, tc := range []struct{ name, given, want string }{
		{"bracketed Message-ID", "<onboarding-req-1-welcome@shop.example>", "onboarding-req-1-welcome@shop.example"},
		{"bare Message-ID", "onboarding-req-2-welcome@shop.example", "onboarding-req-2-welcome@shop.example"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			want := welcome(tc.given)
			if err := s.Send(ctx, want); err != nil {
				t.Fatalf("Send: %v", err)
			}
			found, err := mp.WaitForMessages(ctx, `message-id:"`+tc.want+`"`, 1)
			if err != nil {
				t.Fatal(err)
			}
			if len(found) != 1 {
				t.Fatalf("%d messages with Message-ID %s, want 1", len(found), tc.want)
			}
			got, err := mp.Message(ctx, found[0].ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.MessageID != tc.want {
				t.Errorf("Message-ID = %q, want %q", got.MessageID, tc.want)
			}
			if got.Subject != want.Subject {
				t.Errorf("Subject = %q, want %q", got.Subject, want.Subject)
			}
			if len(got.To) != 1 || got.To[0].Address != want.To || got.To[0].Name != want.ToName {
				t.Errorf("To = %+v, want %s <%s>", got.To, want.ToName, want.To)
			}
			if got.From == nil || got.From.Address != "partners@shop.example" || got.From.Name != "B2B Shop" {
				t.Errorf("From = %+v", got.From)
			}
			// SMTP carries lines ending in CRLF.
			if strings.ReplaceAll(got.Text, "\r\n", "\n") != want.Text {
				t.Errorf("Text = %q, want %q", got.Text, want.Text)
			}
			if !strings.Contains(got.HTML, "<strong>business partner</strong>") {
				t.Errorf("HTML = %q", got.HTML)
			}
			if time.Since(got.Date) > time.Minute || time.Until(got.Date) > time.Minute {
				t.Errorf("Date = %v, want about now", got.Date)
			}
			if v := got.Headers["X-Onboarding-Request"]; len(v) != 1 || v[0] != "req-1" {
				t.Errorf("X-Onboarding-Request = %v", v)
			}
			if ct := strings.Join(got.Headers["Content-Type"], ""); !strings.HasPrefix(ct, "multipart/alternative") {
				t.Errorf("Content-Type = %q, want multipart/alternative", ct)
			}
		})
	}

	textOnly := welcome("onboarding-req-3-decline@shop.example")
	textOnly.HTML = ""
	if err := s.Send(ctx, textOnly); err != nil {
		t.Fatal(err)
	}
	found, err := mp.WaitForMessages(ctx, `message-id:"onboarding-req-3-decline@shop.example"`, 1)
	if err != nil {
		t.Fatal(err)
	}
	got, err := mp.Message(ctx, found[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if ct := strings.Join(got.Headers["Content-Type"], ""); !strings.HasPrefix(ct, "text/plain") || got.HTML != "" {
		t.Errorf("text-only message: Content-Type %q, HTML %q", ct, got.HTML)
	}
}

func TestSendRejectsInvalidMessages(t *testing.T) {
	// Nothing listens here: a message that got past the checks would fail
	// with a network error, which is not permanent.
	s, err := mail.NewSender(mail.Config{Host: "127.0.0.1", Port: closedPort(t), TLS: mail.TLSNone, From: mail.DefaultFrom})
	if err != nil {
		t.Fatal(err)
	}
	cases := map[string]func(*mail.Message){
		"no recipient":         func(m *mail.Message) { m.To = "" },
		"bad recipient":        func(m *mail.Message) { m.To = "ada at example.com" },
		"named recipient":      func(m *mail.Message) { m.To = "Ada <ada@example.com>" },
		"no subject":           func(m *mail.Message) { m.Subject = " " },
		"no text":              func(m *mail.Message) { m.Text = "" },
		"no Message-ID":        func(m *mail.Message) { m.MessageID = "" },
		"Message-ID without @": func(m *mail.Message) { m.MessageID = "<onboarding-req-1>" },
		"reserved header":      func(m *mail.Message) { m.Headers = map[string]string{"Subject": "x"} },
		"header injection":     func(m *mail.Message) { m.Headers = map[string]string{"X-A": "a\r\nBcc: x@example.com"} },
	}
	for name, mutate := range cases {
		t.Run(name, func(t *testing.T) {
			m := welcome("<onboarding-req-1-welcome@shop.example>")
			mutate(&m)
			err := s.Send(context.Background(), m)
			if !errors.Is(err, mail.ErrInvalidMessage) || !mail.IsPermanent(err) {
				t.Errorf("err = %v, want a permanent ErrInvalidMessage", err)
			}
		})
	}
}

func TestIsPermanentForRejectedRecipient(t *testing.T) {
	for _, tc := range []struct {
		reply     string
		permanent bool
	}{
		{"550 5.1.1 <ada.muster@example.com>: mailbox unavailable", true},
		{"553 5.1.3 mailbox name not allowed", true},
		{"450 4.2.1 mailbox busy, try again later", false},
	} {
		t.Run(tc.reply[:3], func(t *testing.T) {
			addr := fakeSMTP(t, tc.reply)
			host, port := splitHostPort(t, addr)
			s, err := mail.NewSender(mail.Config{Host: host, Port: port, TLS: mail.TLSNone, From: mail.DefaultFrom, Timeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(context.Background(), welcome("<onboarding-req-1-welcome@shop.example>"))
			if err == nil {
				t.Fatal("Send succeeded against a server that rejects the recipient")
			}
			if got := mail.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent(%v) = %v, want %v", err, got, tc.permanent)
			}
			var de *mail.DeliveryError
			if !errors.As(err, &de) || de.Code != atoi(tc.reply[:3]) {
				t.Errorf("err = %#v, want a DeliveryError with code %s", err, tc.reply[:3])
			}
			if strings.Contains(err.Error(), "ada.muster@example.com") {
				t.Errorf("error text carries the recipient's address: %v", err)
			}
			if !strings.Contains(err.Error(), "onboarding-req-1-welcome@shop.example") {
				t.Errorf("error text does not name the message: %v", err)
			}
		})
	}
}

func TestIsPermanentFalseForNetworkErrors(t *testing.T) {
	s, err := mail.NewSender(mail.Config{Host: "127.0.0.1", Port: closedPort(t), TLS: mail.TLSNone, From: mail.DefaultFrom, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), welcome("<onboarding-req-1-welcome@shop.example>"))
	if err == nil {
		t.Fatal("Send to a closed port succeeded")
	}
	if mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true for a closed port", err)
	}

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	addr := fakeSMTP(t, "250 OK")
	host, port := splitHostPort(t, addr)
	s, _ = mail.NewSender(mail.Config{Host: host, Port: port, TLS: mail.TLSNone, From: mail.DefaultFrom})
	if err := s.Send(ctx, welcome("<a@b>")); err == nil || mail.IsPermanent(err) {
		t.Errorf("cancelled send: err = %v, want a transient error", err)
	}
	if mail.IsPermanent(nil) {
		t.Error("IsPermanent(nil) = true")
	}
}

// fakeSMTP serves a minimal SMTP dialogue that answers RCPT with rcptReply.
func fakeSMTP(t *testing.T, rcptReply string) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go serveSMTP(conn, rcptReply)
		}
	}()
	return l.Addr().String()
}

func serveSMTP(conn net.Conn, rcptReply string) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	reply := func(s string) { _, _ = conn.Write([]byte(s + "\r\n")) }
	reply("220 fake.test ESMTP")
	inData := false
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		if inData {
			if line == "." {
				inData = false
				reply("250 2.0.0 queued")
			}
			continue
		}
		cmd := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch cmd {
		case "EHLO":
			reply("250-fake.test")
			reply("250 ENHANCEDSTATUSCODES")
		case "HELO", "MAIL", "RSET", "NOOP":
			reply("250 2.0.0 OK")
		case "RCPT":
			reply(rcptReply)
		case "DATA":
			inData = true
			reply("354 go ahead")
		case "QUIT":
			reply("221 2.0.0 bye")
			return
		default:
			reply("502 5.5.2 command not implemented")
		}
	}
}

func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return port
}

func splitHostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return host, atoi(port)
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}
