package main

import (
	"context"
	"fmt"
	"net"
	"net/smtp"
	"strconv"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/mail/mailpittest"
)

// send delivers one message as the worker would, with the product's
// Message-ID.
func send(t *testing.T, mp *mailpittest.Mailpit, to, messageID string) {
	t.Helper()
	msg := fmt.Sprintf("From: partners@shop.example\r\nTo: %s\r\nSubject: test\r\nMessage-ID: <%s>\r\n\r\nbody\r\n", to, messageID)
	addr := net.JoinHostPort(mp.SMTPHost, strconv.Itoa(mp.SMTPPort))
	if err := smtp.SendMail(addr, nil, "partners@shop.example", []string{to}, []byte(msg)); err != nil {
		t.Fatal(err)
	}
}

// TestMailCheckerCountsEachRequestAndDeletesOnlyItsOwn runs the email check
// against a real Mailpit: each request's two emails are found by its
// recipient and deleted once counted, a later duplicate is caught by the
// sweep, and messages of anybody else stay.
func TestMailCheckerCountsEachRequestAndDeletesOnlyItsOwn(t *testing.T) {
	mp := mailpittest.Start(t)
	ctx := context.Background()
	send(t, mp, "someone@else.example", "theirs@else.example")

	checker := newMailChecker(ctx, newMailpit(mp.APIURL), 2, 10)
	var samples []*sample
	for i := range 6 {
		s := &sample{i: i, email: fmt.Sprintf("load-run-c4-%d@load.example", i), id: fmt.Sprintf("r%d", i),
			outcome: won, completed: true, sellerDone: time.Now()}
		if i%2 == 1 {
			s.outcome = lost
		}
		kind := "welcome"
		if s.outcome != won {
			kind = "decline"
		}
		send(t, mp, s.email, "onboarding-"+s.id+"-receipt@shop.example")
		send(t, mp, s.email, "onboarding-"+s.id+"-"+kind+"@shop.example")
		samples = append(samples, s)
		checker.check(s)
	}
	checker.wait()
	for _, s := range samples {
		if !s.emailsOK || s.toEmail <= 0 {
			t.Errorf("request %d: ok %v (%s), webhook -> email %v", s.i, s.emailsOK, s.emailsProblem, s.toEmail)
		}
	}
	if n := checker.deleted.Load(); n != 12 {
		t.Errorf("checker deleted %d messages, want the 12 it counted", n)
	}

	send(t, mp, samples[2].email, "onboarding-r2-receipt@shop.example") // sent twice
	if err := checker.sweep("load-run-c4-", samples); err != nil {
		t.Fatal(err)
	}
	if samples[2].emailsOK || !samples[3].emailsOK {
		t.Errorf("after the sweep: request 2 ok %v, request 3 ok %v; want the duplicate to fail request 2 only", samples[2].emailsOK, samples[3].emailsOK)
	}
	if e := summariseEmails(samples, "test", 0); len(e.problems) != 1 || e.ok != 5 {
		t.Errorf("summary: %d ok, problems %v; want 5 and the duplicate", e.ok, e.problems)
	}
	left, err := newMailpit(mp.APIURL).searchAll(ctx, "to:@")
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 1 || left[0].MessageID != "theirs@else.example" {
		t.Errorf("Mailpit holds %v after the run, want only the message that was not the run's", left)
	}
}
