package workflows

import (
	"context"
	"errors"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// eventFake stands in for the Sales event activities.
type eventFake struct {
	mu       sync.Mutex
	resolved ResolvedSalesEvent
	resolve  []error // failures of successive resolutions
	records  []SalesEventRecord
}

func (f *eventFake) ResolveSalesEvent(_ context.Context, ev SalesEvent) (ResolvedSalesEvent, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.resolve) > 0 {
		err := f.resolve[0]
		f.resolve = f.resolve[1:]
		return ResolvedSalesEvent{}, err
	}
	r := f.resolved
	r.SalesEvent = ev
	return r, nil
}

func (f *eventFake) RecordSalesEvent(_ context.Context, r SalesEventRecord) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.records = append(f.records, r)
	return nil
}

func newEventEnvironment(t *testing.T) (*testsuite.TestWorkflowEnvironment, *eventFake) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(SalesEventWorkflow, workflow.RegisterOptions{Name: SalesEventWorkflowName})
	f := &eventFake{}
	env.RegisterActivityWithOptions(f.ResolveSalesEvent, activity.RegisterOptions{Name: ActivityResolveSalesEvent})
	env.RegisterActivityWithOptions(f.RecordSalesEvent, activity.RegisterOptions{Name: ActivityRecordSalesEvent})
	return env, f
}

var winEvent = SalesEvent{EventID: "op-1", Signal: SignalOpportunityWon, Message: "Win", OpportunityID: "opp-1"}

func runEvent(t *testing.T, env *testsuite.TestWorkflowEnvironment, ev SalesEvent) string {
	t.Helper()
	env.ExecuteWorkflow(SalesEventWorkflowName, ev)
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		t.Fatalf("workflow failed: %v", err)
	}
	var outcome string
	if err := env.GetWorkflowResult(&outcome); err != nil {
		t.Fatal(err)
	}
	return outcome
}

func TestSalesEventIsDeliveredToItsRequest(t *testing.T) {
	env, f := newEventEnvironment(t)
	// A lookup that failed (Sales down, or its secret expired) is tried
	// again: the decision is not lost.
	f.resolve = []error{errors.New("sales: get opportunity: 401 Unauthorized"), errors.New("sales: 503")}
	f.resolved = ResolvedSalesEvent{RequestID: "req-1"}
	f.resolved.LeadID = "lead-1"
	var signalled OpportunityClosed
	env.OnSignalExternalWorkflow("default-test-namespace", WorkflowID("req-1"), "", SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1", EventID: "op-1"}).
		Return(func(_, _, _, _ string, arg any) error {
			signalled = arg.(OpportunityClosed)
			return nil
		})

	outcome := runEvent(t, env, winEvent)

	assertEqual(t, "outcome", outcome, SalesEventDelivered)
	assertEqual(t, "signalled opportunity", signalled.OpportunityID, "opp-1")
	if len(f.records) != 1 || f.records[0].Outcome != SalesEventDelivered || f.records[0].RequestID != "req-1" ||
		f.records[0].RecordID != "opp-1" {
		t.Errorf("records = %+v", f.records)
	}
}

func TestSalesEventForAClosedRequestIsRecorded(t *testing.T) {
	env, f := newEventEnvironment(t)
	f.resolved = ResolvedSalesEvent{RequestID: "req-1"}
	env.OnSignalExternalWorkflow("default-test-namespace", WorkflowID("req-1"), "", SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1", EventID: "op-1"}).
		Return(&temporal.UnknownExternalWorkflowExecutionError{})

	outcome := runEvent(t, env, winEvent)

	assertEqual(t, "outcome", outcome, SalesEventRequestClosed)
	if len(f.records) != 1 || f.records[0].Outcome != SalesEventRequestClosed {
		t.Errorf("records = %+v", f.records)
	}
}

func TestSalesEventNotOursEndsQuietly(t *testing.T) {
	env, f := newEventEnvironment(t)
	f.resolved = ResolvedSalesEvent{Reason: "the lead is not a Commerce B2B lead"}

	outcome := runEvent(t, env, winEvent)

	assertEqual(t, "outcome", outcome, SalesEventNotOurs+": the lead is not a Commerce B2B lead")
	assertEqual(t, "records", len(f.records), 0)
}

func TestSalesEventWorkflowIDIsTheEvent(t *testing.T) {
	a := SalesEventStartOptions(winEvent).ID
	b := SalesEventStartOptions(winEvent).ID
	other := winEvent
	other.EventID = "op-2"
	assertEqual(t, "same event, same ID", a, b)
	if a == SalesEventStartOptions(other).ID {
		t.Errorf("two events share the workflow ID %s", a)
	}
	assertEqual(t, "ID", a, "sales-event-opportunity-won-opp-1-op-1")
	correlated := winEvent
	correlated.CorrelationID = "corr-1"
	update := correlated
	update.Message, update.EventID = "Update", "op-9"
	assertEqual(t, "one decision's two webhooks", SalesEventStartOptions(correlated).ID, SalesEventStartOptions(update).ID)
}

func TestResendEmailSendsTheKindAgain(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(ResendEmailWorkflow, workflow.RegisterOptions{Name: ResendEmailWorkflowName})
	var got []Email
	env.RegisterActivityWithOptions(func(_ context.Context, in Email) error {
		got = append(got, in)
		return nil
	}, activity.RegisterOptions{Name: ActivitySendEmail})

	env.ExecuteWorkflow(ResendEmailWorkflowName, ResendEmail{RequestID: "req-1", Kind: EmailWelcome, Operator: "ops"})

	if err := env.GetWorkflowError(); err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Kind != EmailWelcome || got[0].RequestID != "req-1" || got[0].Resend == "" {
		t.Errorf("emails asked for = %+v; want the welcome, marked as a resend", got)
	}
}
