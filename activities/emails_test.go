package activities_test

import (
	"bufio"
	"net"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/mail/mailpittest"
	"github.com/partner-onboarding/onboarding/workflows"
)

var allKinds = []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailWelcome, workflows.EmailDecline}

// caught waits for the one message of a request's kind in Mailpit and
// returns it with its bodies and headers.
func (f *fixture) caught(requestID string, kind workflows.EmailKind) mailpittest.Message {
	f.t.Helper()
	id := strings.Trim(activities.MessageID(requestID, kind, messageIDDomain), "<>")
	ms, err := f.mailpit.WaitForMessages(f.ctx, `message-id:"`+id+`"`, 1)
	if err != nil {
		f.t.Fatalf("%s email: %v", kind, err)
	}
	if len(ms) != 1 {
		f.t.Fatalf("%s email: Mailpit holds %d messages with Message-ID %s, want 1", kind, len(ms), id)
	}
	msg, err := f.mailpit.Message(f.ctx, ms[0].ID)
	if err != nil {
		f.t.Fatal(err)
	}
	return msg
}

func TestSendEmailOncePerKind(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en-GB")
	email := func(kind workflows.EmailKind) workflows.Email {
		return workflows.Email{RequestID: req.RequestID, Kind: kind}
	}
	for _, kind := range allKinds {
		f.mustRun(workflows.ActivitySendEmail, email(kind), nil)
		f.mustRun(workflows.ActivitySendEmail, email(kind), nil)
	}

	for _, kind := range allKinds {
		msg := f.caught(req.RequestID, kind)
		if got, want := "<"+msg.MessageID+">", activities.MessageID(req.RequestID, kind, messageIDDomain); got != want {
			t.Errorf("%s: Message-ID = %s, want %s", kind, got, want)
		}
		if len(msg.To) != 1 || msg.To[0].Address != req.Requester.Email || msg.To[0].Name != "Ada Muster" {
			t.Errorf("%s: To = %+v, want Ada Muster <%s>", kind, msg.To, req.Requester.Email)
		}
		if msg.From == nil || msg.From.Address != "partners@shop.example" {
			t.Errorf("%s: From = %+v", kind, msg.From)
		}
		for part, body := range map[string]string{"subject": msg.Subject, "text": msg.Text, "HTML": msg.HTML} {
			if !strings.Contains(body, req.Company.Name) {
				t.Errorf("%s %s does not name the company: %q", kind, part, body)
			}
			if part != "subject" && !strings.Contains(body, req.RequestID) {
				t.Errorf("%s %s does not carry the request ID: %q", kind, part, body)
			}
		}
		if h := msg.Headers["X-Onboarding-Request"]; len(h) != 1 || h[0] != req.RequestID {
			t.Errorf("%s: X-Onboarding-Request = %v", kind, h)
		}
		if h := msg.Headers["X-Onboarding-Email"]; len(h) != 1 || h[0] != string(kind) {
			t.Errorf("%s: X-Onboarding-Email = %v", kind, h)
		}
	}
	if all, err := f.mailpit.Messages(f.ctx, ""); err != nil || len(all) != len(allKinds) {
		t.Errorf("Mailpit holds %d messages, %v; want one per kind, %d", len(all), err, len(allKinds))
	}

	sent, err := f.store.ListSentEmails(f.ctx, req.RequestID)
	if err != nil || len(sent) != len(allKinds) {
		t.Fatalf("sent emails = %+v, %v; want one per kind", sent, err)
	}
	for _, s := range sent {
		if s.RequestID != req.RequestID || s.MessageID != activities.MessageID(req.RequestID, workflows.EmailKind(s.Kind), messageIDDomain) {
			t.Errorf("sent email record = %+v", s)
		}
	}

	// The record alone must stop a resend: with no SMTP server to reach, a
	// run that tried to send would fail.
	_, offline := newActivities(t, f.store, f.sales, newMailer(t, "127.0.0.1", closedPort(t)))
	for _, kind := range allKinds {
		if err := run(offline, workflows.ActivitySendEmail, email(kind), nil); err != nil {
			t.Errorf("resend of a recorded %s email tried to send: %v", kind, err)
		}
	}
}

func TestSendEmailLocale(t *testing.T) {
	f := newFixture(t)
	for _, tc := range []struct {
		locale, subject, greeting, lang string
	}{
		{"de-DE", "Ihre Partneranfrage für", "Guten Tag Ada Muster", `lang="de"`},
		{"de_AT", "Ihre Partneranfrage für", "Guten Tag Ada Muster", `lang="de"`},
		{"en-US", "We received your partner request", "Hello Ada Muster", `lang="en"`},
		{"fr-FR", "We received your partner request", "Hello Ada Muster", `lang="en"`},
		{"", "We received your partner request", "Hello Ada Muster", `lang="en"`},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			req := f.registered(tc.locale)
			f.mustRun(workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailReceipt}, nil)
			msg := f.caught(req.RequestID, workflows.EmailReceipt)
			if !strings.Contains(msg.Subject, tc.subject) || !strings.Contains(msg.Text, tc.greeting) ||
				!strings.Contains(msg.HTML, tc.greeting) || !strings.Contains(msg.HTML, tc.lang) {
				t.Errorf("locale %q: subject %q, text %q, HTML %q; want the template with %q",
					tc.locale, msg.Subject, msg.Text, msg.HTML, tc.subject)
			}
		})
	}
}

func TestSendEmailEscapesHTML(t *testing.T) {
	f := newFixture(t)
	req := newRequest("en")
	req.Company.Name = "<Tools & Co>"
	f.mustRun(workflows.ActivityRegisterProspect, req, nil)
	f.mustRun(workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailWelcome}, nil)

	msg := f.caught(req.RequestID, workflows.EmailWelcome)
	if !strings.Contains(msg.HTML, "&lt;Tools &amp; Co&gt;") || strings.Contains(msg.HTML, "<Tools") {
		t.Errorf("HTML does not escape the company name: %s", msg.HTML)
	}
	if !strings.Contains(msg.Text, "<Tools & Co>") || !strings.Contains(msg.Subject, "<Tools & Co>") {
		t.Errorf("text or subject altered the company name: %q / %q", msg.Subject, msg.Text)
	}
}

func TestSendEmailRejectedRecipientIsPermanent(t *testing.T) {
	// This Mailpit answers RCPT TO with a 5xx for every other address.
	f := newFixture(t, "--smtp-allowed-recipients", `^someone-else@shop\.example$`)
	req := f.registered("en")

	err := f.run(workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailWelcome}, nil)
	wantPermanent(t, err, activities.ErrorMailRejected)
	if strings.Contains(err.Error(), req.Requester.Email) {
		t.Errorf("the error carries the recipient's address: %v", err)
	}
	if sent, err := f.store.ListSentEmails(f.ctx, req.RequestID); err != nil || len(sent) != 0 {
		t.Errorf("sent emails = %+v, %v; want none recorded", sent, err)
	}
}

func TestSendEmailWithSMTPUnreachableRetries(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	_, offline := newActivities(t, f.store, f.sales, newMailer(t, "127.0.0.1", closedPort(t)))

	err := run(offline, workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailReceipt}, nil)
	wantRetryable(t, err)
	if sent, err := f.store.ListSentEmails(f.ctx, req.RequestID); err != nil || len(sent) != 0 {
		t.Errorf("sent emails = %+v, %v; want none recorded", sent, err)
	}

	// Once the server is back, the retry sends it.
	f.mustRun(workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailReceipt}, nil)
	f.caught(req.RequestID, workflows.EmailReceipt)
}

func TestSendEmailForUnknownRequestIsPermanent(t *testing.T) {
	f := newFixture(t)
	err := f.run(workflows.ActivitySendEmail, workflows.Email{RequestID: "no-such-request", Kind: workflows.EmailWelcome}, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
}

func TestSendEmailOfUnknownKindIsPermanent(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	err := f.run(workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: "reminder"}, nil)
	wantPermanent(t, err, activities.ErrorMailRejected)
}

func TestSendEmailRecipientDeferredRetries(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	host, port := deferringSMTP(t)
	_, deferring := newActivities(t, f.store, f.sales, newMailer(t, host, port))

	err := run(deferring, workflows.ActivitySendEmail, workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailDecline}, nil)
	wantRetryable(t, err)
	if strings.Contains(err.Error(), req.Requester.Email) {
		t.Errorf("the error carries the recipient's address: %v", err)
	}
	if sent, err := f.store.ListSentEmails(f.ctx, req.RequestID); err != nil || len(sent) != 0 {
		t.Errorf("sent emails = %+v, %v; want none recorded", sent, err)
	}
}

// deferringSMTP is an SMTP server on loopback that answers every RCPT TO
// with a temporary failure, as a full mailbox or greylisting does; Mailpit
// can only reject for good.
func deferringSMTP(t *testing.T) (string, int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer conn.Close()
				r := bufio.NewReader(conn)
				reply := func(s string) { conn.Write([]byte(s + "\r\n")) }
				reply("220 deferring.example ESMTP")
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					switch cmd := strings.ToUpper(strings.TrimSpace(line)); {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						reply("250 deferring.example")
					case strings.HasPrefix(cmd, "RCPT"):
						reply("450 4.2.1 Mailbox busy, try again later")
					case cmd == "QUIT":
						reply("221 Bye")
						return
					default:
						reply("250 OK")
					}
				}
			}()
		}
	}()
	addr := l.Addr().(*net.TCPAddr)
	return addr.IP.String(), addr.Port
}

func TestResendEmailSendsASecondCopy(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	welcome := workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailWelcome}
	resend := workflows.Email{RequestID: req.RequestID, Kind: workflows.EmailWelcome, Resend: "resend-welcome-1"}

	err := f.run(workflows.ActivitySendEmail, resend, nil)
	wantPermanent(t, err, activities.ErrorMailRejected) // nothing to send again yet

	f.mustRun(workflows.ActivitySendEmail, welcome, nil)
	f.mustRun(workflows.ActivitySendEmail, resend, nil)
	msgs, err := f.mailpit.WaitForMessages(f.ctx, "to:"+req.Requester.Email, 2)
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, m := range msgs {
		full, err := f.mailpit.Message(f.ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids[full.MessageID] = true
	}
	if len(msgs) != 2 || !ids["resend-welcome-1@"+messageIDDomain] {
		t.Errorf("Message-IDs = %v; want the first and the resent copy", ids)
	}
	if sent, _ := f.store.ListSentEmails(f.ctx, req.RequestID); len(sent) != 1 {
		t.Errorf("sent emails recorded = %+v; want the first only", sent)
	}
}
