package activities_test

import (
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestErasePersonalData: the activity erases the rejected request on the
// real store and leaves the approved and the pending one; an email resent
// for the erased request fails for good instead of going to an empty
// address.
func TestErasePersonalData(t *testing.T) {
	f := newFixture(t)
	rejected, _ := f.withLead("en")
	f.mustRun(workflows.ActivitySendEmail, workflows.Email{RequestID: rejected.RequestID, Kind: workflows.EmailDecline}, nil)
	f.mustRun(workflows.ActivitySetProspectStatus, workflows.ProspectStatus{RequestID: rejected.RequestID,
		Status: workflows.StatusRejected, Decision: workflows.DecisionDisqualified}, nil)
	approved := f.registered("en")
	f.mustRun(workflows.ActivitySetProspectStatus, workflows.ProspectStatus{RequestID: approved.RequestID,
		Status: workflows.StatusApproved, Decision: workflows.DecisionWon}, nil)
	pending := f.registered("en")

	batch := workflows.ErasureBatch{Before: time.Now().Add(time.Second), Limit: 10}
	var n int
	f.mustRun(workflows.ActivityErasePersonalData, batch, &n)
	if n != 1 {
		t.Errorf("erased %d requests, want the rejected one", n)
	}
	f.mustRun(workflows.ActivityErasePersonalData, batch, &n)
	if n != 0 {
		t.Errorf("a second run erased %d requests, want none", n)
	}

	p, err := f.store.GetProspect(f.ctx, rejected.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if p.Email != "" || p.FirstName != "" || p.Comments != "" || p.PersonalDataErasedAt.IsZero() {
		t.Errorf("rejected request after erasure: %+v", p)
	}
	if p.Status != string(workflows.StatusRejected) || p.Decision != string(workflows.DecisionDisqualified) || p.LeadID == "" {
		t.Errorf("rejected request lost its status, decision or lead: %+v", p)
	}
	for _, kept := range []workflows.Request{approved, pending} {
		if p, err := f.store.GetProspect(f.ctx, kept.RequestID); err != nil || p.Email != kept.Requester.Email {
			t.Errorf("request %s: email %q, %v; want it kept", kept.RequestID, p.Email, err)
		}
	}

	err = f.run(workflows.ActivitySendEmail, workflows.Email{RequestID: rejected.RequestID, Kind: workflows.EmailDecline,
		Resend: "resend-decline-1"}, nil)
	wantPermanent(t, err, activities.ErrorMailRejected)
	if err != nil && !strings.Contains(err.Error(), "erased") {
		t.Errorf("the error does not say the data was erased: %v", err)
	}
	// An email of the request's own that was still due is given up, so
	// that the request ends; it is not recorded as sent.
	f.mustRun(workflows.ActivitySendEmail, workflows.Email{RequestID: rejected.RequestID, Kind: workflows.EmailWelcome}, nil)
	if _, sent, err := f.store.EmailSent(f.ctx, rejected.RequestID, string(workflows.EmailWelcome)); err != nil || sent {
		t.Errorf("welcome recorded as sent: %v, %v", sent, err)
	}
	msgs, err := f.mailpit.WaitForMessages(f.ctx, "to:"+rejected.Requester.Email, 1)
	if err != nil || len(msgs) != 1 {
		t.Errorf("the requester got %d emails (%v), want the first decline only", len(msgs), err)
	}
}
