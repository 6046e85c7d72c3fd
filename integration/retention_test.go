package integration

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestRetentionErasesRejectedRequests: with a retention period of a second,
// the schedule the worker set up erases the personal data of a disqualified
// and a lost request once triggered, and leaves an approved partner's and a
// waiting request's. The erased requests still answer the intake's GET, and
// an email resent for one fails instead of going nowhere.
func TestRetentionErasesRejectedRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts the whole product; run without -short")
	}
	t.Parallel()
	p, err := startProduct(map[string]string{"SALES_CHECK_INTERVAL": "1h", "RETENTION_PERIOD": "1s"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.stop(t.Failed()) })
	ctx := context.Background()

	disqualified, lost, won, waiting := p.submit(t, "disqualified"), p.submit(t, "lost"), p.submit(t, "won"), p.submit(t, "waiting")
	st := p.awaitStatus(t, disqualified, workflows.StatusAwaitingQualification)
	if err := p.sales.DisqualifyLead(ctx, st.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
		t.Fatal(err)
	}
	for _, r := range []submitted{lost, won} {
		p.qualify(t, p.awaitStatus(t, r, workflows.StatusAwaitingQualification).LeadID)
	}
	if err := p.sales.LoseOpportunity(ctx, p.awaitStatus(t, lost, workflows.StatusQualified).OpportunityID, "Went elsewhere"); err != nil {
		t.Fatal(err)
	}
	if err := p.sales.WinOpportunity(ctx, p.awaitStatus(t, won, workflows.StatusQualified).OpportunityID, "Signed"); err != nil {
		t.Fatal(err)
	}
	for _, r := range []submitted{disqualified, lost, won} {
		p.awaitCompletion(t, r)
	}
	p.awaitStatus(t, waiting, workflows.StatusAwaitingQualification)

	store, err := commerce.Open(ctx, filepath.Join(p.stack.DataDir, "commerce.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	// Each look triggers the schedule, as an operator does with `temporal
	// schedule trigger`, until the decisions are older than the period.
	schedule := p.temporal.ScheduleClient().GetHandle(ctx, workflows.RetentionScheduleID)
	poll(t, "the rejected requests' personal data to be erased", func() (bool, string) {
		if err := schedule.Trigger(ctx, client.ScheduleTriggerOptions{}); err != nil {
			return false, err.Error()
		}
		for _, r := range []submitted{disqualified, lost} {
			if pr, err := store.GetProspect(ctx, r.id); err != nil || pr.PersonalDataErasedAt.IsZero() {
				return false, fmt.Sprintf("request %s: erased at %v, %v", r.id, pr.PersonalDataErasedAt, err)
			}
		}
		return true, ""
	})

	for _, r := range []submitted{disqualified, lost} {
		pr, err := store.GetProspect(ctx, r.id)
		if err != nil {
			t.Fatal(err)
		}
		if pr.Email != "" || pr.FirstName != "" || pr.LastName != "" || pr.Phone != "" || pr.Street != "" || pr.Comments != "" {
			t.Errorf("request %s still holds personal data: %+v", r.id, pr)
		}
		customers, err := store.ListCustomersByRequest(ctx, r.id)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range customers {
			if c.Email != "" || c.FirstName != "" || c.Phone != "" {
				t.Errorf("customer %s of request %s still holds personal data: %+v", c.ID, r.id, c)
			}
		}
	}
	for _, r := range []submitted{won, waiting} {
		if pr, err := store.GetProspect(ctx, r.id); err != nil || pr.Email != r.email || !pr.PersonalDataErasedAt.IsZero() {
			t.Errorf("request %s: email %q, erased at %v, %v; want its data kept", r.id, pr.Email, pr.PersonalDataErasedAt, err)
		}
	}
	p.assertCustomers(t, won, true)

	// The intake still answers for the erased requests.
	st = p.awaitStatus(t, lost, workflows.StatusRejected)
	if st.Decision != workflows.DecisionLost || st.LeadID == "" || st.OpportunityID == "" || st.PersonCustomerID == "" {
		t.Errorf("GET of the erased lost request = %+v, want its decision and IDs", st)
	}
	st = p.awaitStatus(t, disqualified, workflows.StatusRejected)
	assertEqual(t, "decision of the erased disqualified request", st.Decision, workflows.DecisionDisqualified)

	// An operator's resend fails for good, and nothing is sent.
	in := workflows.ResendEmail{RequestID: disqualified.id, Kind: workflows.EmailDecline, Operator: "ops"}
	resendCtx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	run, err := p.temporal.ExecuteWorkflow(resendCtx, workflows.ResendEmailStartOptions(in, "after-erasure"), workflows.ResendEmailWorkflowName, in)
	if err != nil {
		t.Fatal(err)
	}
	var appErr *temporal.ApplicationError
	if err := run.Get(resendCtx, nil); !errors.As(err, &appErr) || appErr.Type() != activities.ErrorMailRejected {
		t.Errorf("resend of an erased request: %v, want it to fail with %s", err, activities.ErrorMailRejected)
	}
	p.assertEmails(t, disqualified, "receipt", "decline")
}
