package activities_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// A request's claim carries no personal data: the lead's step reads it
// from the register.
func TestCreateLeadFromTheClaimReadsTheRegister(t *testing.T) {
	f := newFixture(t)
	req := f.registered("de")

	var leadID string
	f.mustRun(workflows.ActivityCreateLead, req.Claim(), &leadID)

	lead, found, err := f.sales.FindLeadByProspect(f.ctx, req.RequestID)
	if err != nil || !found || lead.ID != leadID {
		t.Fatalf("FindLeadByProspect = %+v, %v, %v; want lead %s", lead, found, err, leadID)
	}
	if lead.Email != req.Requester.Email || lead.LastName != req.Requester.LastName ||
		lead.CompanyName != req.Company.Name || lead.Street != req.Company.Address.Street || lead.Description != req.Comments {
		t.Errorf("lead = %+v; want the registered request's data", lead)
	}
}

func TestCreateLeadOfAClaimNotRegisteredIsPermanent(t *testing.T) {
	f := newFixture(t)
	err := f.run(workflows.ActivityCreateLead, workflows.Request{RequestID: uuid.NewString()}, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
}

// A claim's correction is applied to the register's data, validated, and
// written to the open lead and the register; the answer names the fields.
func TestCorrectionOfAClaimReadsAndWritesTheRegister(t *testing.T) {
	f := newFixture(t)
	req, leadID := f.withLead("en")
	correct := func(c workflows.Correction) ([]string, error) {
		var fields []string
		err := f.run(workflows.ActivityCorrectRequest,
			workflows.CorrectRequestInput{Request: req.Claim(), Correction: &c, LeadID: leadID}, &fields)
		return fields, err
	}

	_, err := correct(workflows.Correction{Requester: workflows.Requester{Email: "not-an-address"}})
	wantPermanent(t, err, activities.ErrorCommerceRejected)
	if !strings.Contains(err.Error(), "requester.email must be a plain email address") {
		t.Errorf("invalid correction: %v; want the field's message", err)
	}
	_, err = correct(workflows.Correction{Requester: workflows.Requester{LastName: req.Requester.LastName}})
	wantPermanent(t, err, activities.ErrorCommerceRejected)
	if p, _ := f.store.GetProspect(f.ctx, req.RequestID); p.Email != req.Requester.Email {
		t.Errorf("register after refused corrections: email %q; want it unchanged", p.Email)
	}

	fields, err := correct(workflows.Correction{Requester: workflows.Requester{LastName: "Lovelace", Phone: "+49 221 999999"}})
	if err != nil {
		t.Fatalf("correction: %v", err)
	}
	if !slices.Equal(fields, []string{"requester.lastName", "requester.phone"}) {
		t.Errorf("fields = %v", fields)
	}
	p, err := f.store.GetProspect(f.ctx, req.RequestID)
	if err != nil || p.LastName != "Lovelace" || p.Phone != "+49 221 999999" || p.FirstName != req.Requester.FirstName ||
		p.CompanyName != req.Company.Name {
		t.Errorf("register = %+v, %v; want the correction on the request's data", p, err)
	}
	lead, err := f.sales.GetLead(f.ctx, leadID)
	if err != nil || lead.LastName != "Lovelace" || lead.Phone != "+49 221 999999" || lead.Email != req.Requester.Email {
		t.Errorf("lead = %+v, %v; want the correction", lead, err)
	}
}

// quotingSales refuses every lead with a message that quotes the lead's
// personal data, as a system's validation message may.
type quotingSales struct{ *sales.Client }

func (q quotingSales) EnsureLead(_ context.Context, l sales.Lead) (string, bool, error) {
	return "", false, fmt.Errorf("refused lead of %s %s <%s>, phone %s, %s", l.FirstName, l.LastName, l.Email, l.Phone, l.Street)
}

func (q quotingSales) UpdateLead(_ context.Context, _ string, l sales.Lead) error {
	return fmt.Errorf("refused update to %s %s <%s>", l.FirstName, l.LastName, l.Email)
}

// What a step fails with reaches Temporal's history and the worker's logs:
// the request's personal data is taken out of it.
func TestStepErrorsLeaveThePersonalDataOut(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	_, env := newActivities(t, f.store, quotingSales{f.sales}, f.mailer)

	errs := map[string]error{
		"create lead": run(env, workflows.ActivityCreateLead, req.Claim(), nil),
		"correct lead": run(env, workflows.ActivityCorrectRequest, workflows.CorrectRequestInput{
			Request: req.Claim(), LeadID: "lead-1",
			Correction: &workflows.Correction{Requester: workflows.Requester{LastName: "Lovelace"}}}, nil),
	}
	for step, err := range errs {
		if err == nil {
			t.Fatalf("%s: no error", step)
		}
		wantRetryable(t, err)
		for _, personal := range []string{req.Requester.Email, req.Requester.FirstName, req.Requester.LastName,
			"Lovelace", req.Requester.Phone, req.Company.Address.Street} {
			if strings.Contains(err.Error(), personal) {
				t.Errorf("%s: error %q holds %q", step, err, personal)
			}
		}
		if !strings.Contains(err.Error(), "[redacted]") {
			t.Errorf("%s: error %q; want the refusal with its values redacted", step, err)
		}
	}
}
