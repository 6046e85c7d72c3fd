package activities_test

import (
	"errors"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/workflows"
)

func TestResolveSalesEvent(t *testing.T) {
	f := newFixture(t)
	resolve := func(ev workflows.SalesEvent) (workflows.ResolvedSalesEvent, error) {
		var r workflows.ResolvedSalesEvent
		err := f.run(workflows.ActivityResolveSalesEvent, ev, &r)
		return r, err
	}
	req, leadID, q := f.qualified()

	t.Run("a win names only its opportunity", func(t *testing.T) {
		r, err := resolve(workflows.SalesEvent{EventID: "e1", Signal: workflows.SignalOpportunityWon, OpportunityID: q.OpportunityID})
		if err != nil || r.RequestID != req.RequestID || r.LeadID != leadID {
			t.Errorf("resolved = %+v, %v; want the request of the opportunity's lead", r, err)
		}
	})
	t.Run("a qualification without its opportunity", func(t *testing.T) {
		r, err := resolve(workflows.SalesEvent{EventID: "e2", Signal: workflows.SignalLeadQualified, LeadID: leadID})
		if err != nil || r.RequestID != req.RequestID || r.OpportunityID != q.OpportunityID {
			t.Errorf("resolved = %+v, %v; want the lead's opportunity filled in", r, err)
		}
	})
	t.Run("not ours", func(t *testing.T) {
		other, err := f.sales.CreateLead(f.ctx, leadOfSomeoneElse())
		if err != nil {
			t.Fatal(err)
		}
		r, err := resolve(workflows.SalesEvent{EventID: "e3", Signal: workflows.SignalLeadDisqualified, LeadID: other})
		if err != nil || r.RequestID != "" || r.Reason != "lead "+other+" is not a Commerce B2B lead" {
			t.Errorf("resolved = %+v, %v", r, err)
		}
	})
	t.Run("unknown record", func(t *testing.T) {
		r, err := resolve(workflows.SalesEvent{EventID: "e4", Signal: workflows.SignalOpportunityLost,
			OpportunityID: "00000000-0000-0000-0000-000000000009"})
		if err != nil || r.RequestID != "" || r.Reason != "Sales has no opportunity 00000000-0000-0000-0000-000000000009" {
			t.Errorf("resolved = %+v, %v", r, err)
		}
	})
	// The client asks for a new token once on a 401, so the fault answers twice.
	t.Run("Sales refuses the app: retried, not dropped", func(t *testing.T) {
		if err := f.si.InjectFault(salesstandin.Fault{Kind: salesstandin.FaultFail, Count: 2, Status: 401, Code: "0x80072560"}); err != nil {
			t.Fatal(err)
		}
		_, err := resolve(workflows.SalesEvent{EventID: "e5", Signal: workflows.SignalOpportunityWon, OpportunityID: q.OpportunityID})
		wantRetryable(t, err)
	})
	t.Run("throttled: retried after the wait Sales asked for", func(t *testing.T) {
		if err := f.si.InjectFault(salesstandin.Fault{Kind: salesstandin.FaultThrottle, Count: 1, RetryAfter: 7 * time.Second}); err != nil {
			t.Fatal(err)
		}
		_, err := resolve(workflows.SalesEvent{EventID: "e6", Signal: workflows.SignalOpportunityWon, OpportunityID: q.OpportunityID})
		wantRetryable(t, err)
		var appErr *temporal.ApplicationError
		if errors.As(err, &appErr) && appErr.NextRetryDelay() < 7*time.Second {
			t.Errorf("next retry after %s, want at least Retry-After's 7s", appErr.NextRetryDelay())
		}
	})
}

func TestThrottledLeadCreationWaitsAsSalesAsks(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	if err := f.si.InjectFault(salesstandin.Fault{Kind: salesstandin.FaultThrottle, Count: 1, RetryAfter: 9 * time.Second}); err != nil {
		t.Fatal(err)
	}
	err := f.run(workflows.ActivityCreateLead, req, nil)
	appErr := applicationError(t, err)
	if appErr.NonRetryable() || appErr.Type() != activities.ErrorSalesThrottled || appErr.NextRetryDelay() != 9*time.Second {
		t.Errorf("err = %v (type %s, next retry %s), want a retry after 9s", err, appErr.Type(), appErr.NextRetryDelay())
	}
}

// leadOfSomeoneElse is a lead a seller made by hand: no Commerce prospect.
func leadOfSomeoneElse() sales.Lead {
	return sales.Lead{Subject: "Trade fair contact", FirstName: "Jon", LastName: "Doe", CompanyName: "Other Ltd"}
}

// TestLongSalesCallKeepsItsStepAlive: a lead create that Sales holds for 3
// seconds outlasts a 1-second heartbeat timeout, because the activity
// heartbeats while it waits: only a worker that died misses its heartbeats.
func TestLongSalesCallKeepsItsStepAlive(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	if err := f.si.HoldLeadCreates(1, 3*time.Second); err != nil {
		t.Fatal(err)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.SetTestTimeout(time.Minute)
	f.acts.Register(env)
	env.RegisterWorkflowWithOptions(func(ctx workflow.Context, in workflows.Request) (string, error) {
		ctx = workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: 30 * time.Second,
			HeartbeatTimeout:    time.Second,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 1},
		})
		var leadID string
		err := workflow.ExecuteActivity(ctx, workflows.ActivityCreateLead, in).Get(ctx, &leadID)
		return leadID, err
	}, workflow.RegisterOptions{Name: "CreateOneLead"})

	env.ExecuteWorkflow("CreateOneLead", req)

	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("the held create failed its step: %v", err)
	}
}
