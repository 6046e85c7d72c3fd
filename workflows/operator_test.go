package workflows

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"
)

// updateResult is what an Update sent during a test answered.
type updateResult struct {
	rejected  error
	completed bool
	state     State
	err       error
}

// updateAt sends an Update at a moment of the test clock.
func (r *testRun) updateAt(d time.Duration, name string, arg any) *updateResult {
	res := &updateResult{}
	r.env.RegisterDelayedCallback(func() {
		r.env.UpdateWorkflow(name, name+"-"+d.String(), &updateCallbacks{res: res}, arg)
	}, d)
	return res
}

type updateCallbacks struct{ res *updateResult }

func (c *updateCallbacks) Accept()          {}
func (c *updateCallbacks) Reject(err error) { c.res.rejected = err }
func (c *updateCallbacks) Complete(v any, err error) {
	c.res.completed, c.res.err = true, err
	if st, ok := v.(State); ok {
		c.res.state = st
	}
}

func invalidLead() error {
	return temporal.NewNonRetryableApplicationError(
		"create lead: 400 Bad Request (0x80044331): The length of the 'lastname' attribute exceeded the maximum", "SalesRejected", nil)
}

func TestCorrectionFixesTheRequestAndRunsTheFailedStepAgain(t *testing.T) {
	r := newTestRun(t)
	r.fake.fail[ActivityCreateLead] = []error{invalidLead()}
	bad := r.updateAt(time.Hour, UpdateCorrectRequest, Correction{
		Requester: Requester{Email: "not-an-address", FirstName: strings.Repeat("x", 51)}})
	empty := r.updateAt(90*time.Minute, UpdateCorrectRequest, Correction{Requester: Requester{LastName: "Example"}})
	good := r.updateAt(2*time.Hour, UpdateCorrectRequest, Correction{
		Requester: Requester{LastName: "Lovelace"}, Company: Company{Name: "Contoso Tools AG"},
		Operator: "ops", Reason: "the surname was mistyped"})
	r.signalAt(3*time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})
	r.fake.fail[ActivitySendEmail] = []error{nil, errors.New("smtp: 421 try later")} // the decline is still going out
	late := r.updateAt(3*time.Hour+time.Millisecond, UpdateCorrectRequest, Correction{Requester: Requester{LastName: "Byron"}})

	st := r.execute(testRequest())

	if bad.rejected == nil ||
		!strings.Contains(bad.rejected.Error(), "requester.email must be a plain email address") ||
		!strings.Contains(bad.rejected.Error(), "requester.firstName must be at most 50 characters") {
		t.Errorf("invalid correction: rejected = %v, want the intake's per-field messages", bad.rejected)
	}
	if empty.rejected == nil || !strings.Contains(empty.rejected.Error(), "changes no field") {
		t.Errorf("correction that changes nothing: rejected = %v", empty.rejected)
	}
	if good.rejected != nil || !good.completed || good.err != nil {
		t.Fatalf("valid correction: rejected = %v, err = %v", good.rejected, good.err)
	}
	if late.rejected == nil || !strings.Contains(late.rejected.Error(), "cannot correct: the request was decided") {
		t.Errorf("correction after the decision: rejected = %v, want refused", late.rejected)
	}
	assertEqual(t, "lead attempts", r.fake.count(ActivityCreateLead), 2)
	if got := r.fake.leadInputs[1]; got.Requester.LastName != "Lovelace" || got.Company.Name != "Contoso Tools AG" {
		t.Errorf("the lead step ran again with %+v, want the corrected data", got.Requester)
	}
	if len(r.fake.corrections) != 1 || r.fake.corrections[0].Request.Requester.LastName != "Lovelace" ||
		r.fake.corrections[0].LeadID != "" {
		t.Errorf("corrections written = %+v, want one, to the register only (no lead yet)", r.fake.corrections)
	}
	if len(st.Corrections) != 1 || !slices.Equal(st.Corrections[0].Fields, []string{"company.name", "requester.lastName"}) ||
		st.Corrections[0].Operator != "ops" {
		t.Errorf("corrections in state = %+v", st.Corrections)
	}
	assertEqual(t, "status", st.Status, StatusRejected)
	assertSlice(t, "status history", statuses(st), []Status{
		StatusReceived, StatusNeedsAttention, StatusReceived, StatusAwaitingQualification, StatusRejected})
}

// A request started as its claim has no data in the workflow: its
// correction is validated field by field, applied to the register's data
// by the step, and the lead's step runs again on the corrected register.
func TestCorrectionOfAClaim(t *testing.T) {
	r := newTestRun(t)
	r.fake.fail[ActivityCreateLead] = []error{invalidLead()}
	bad := r.updateAt(time.Hour, UpdateCorrectRequest, Correction{
		Requester: Requester{Email: "not-an-address", FirstName: strings.Repeat("x", 51)}})
	empty := r.updateAt(80*time.Minute, UpdateCorrectRequest, Correction{Operator: "ops"})
	same := r.updateAt(90*time.Minute, UpdateCorrectRequest, Correction{Requester: Requester{LastName: "Example"}})
	good := r.updateAt(2*time.Hour, UpdateCorrectRequest, Correction{
		Requester: Requester{LastName: "Lovelace"}, Company: Company{Name: "Contoso Tools AG"},
		Operator: "ops", Reason: "the surname was mistyped"})
	r.signalAt(3*time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(testRequest().Claim())

	if bad.rejected == nil ||
		!strings.Contains(bad.rejected.Error(), "requester.email must be a plain email address") ||
		!strings.Contains(bad.rejected.Error(), "requester.firstName must be at most 50 characters") {
		t.Errorf("invalid correction: rejected = %v, want the intake's per-field messages", bad.rejected)
	}
	if empty.rejected == nil || !strings.Contains(empty.rejected.Error(), "changes no field") {
		t.Errorf("correction that gives no field: rejected = %v", empty.rejected)
	}
	// Only the register knows that this one changes nothing: the step says so.
	if same.rejected != nil || same.err == nil || !strings.Contains(same.err.Error(), "changes no field") {
		t.Errorf("correction that changes nothing: rejected = %v, err = %v", same.rejected, same.err)
	}
	if good.rejected != nil || !good.completed || good.err != nil {
		t.Fatalf("valid correction: rejected = %v, err = %v", good.rejected, good.err)
	}
	for _, c := range r.fake.corrections {
		if !c.Request.IsClaim() || c.Correction == nil {
			t.Errorf("correction step input = %+v, want the claim and the correction", c)
		}
	}
	assertEqual(t, "lead attempts", r.fake.count(ActivityCreateLead), 2)
	if got := r.fake.leadInputs[1]; got.Requester.LastName != "Lovelace" || got.Company.Name != "Contoso Tools AG" {
		t.Errorf("the lead step ran again on %+v, want the corrected register", got.Requester)
	}
	if len(st.Corrections) != 1 || !slices.Equal(st.Corrections[0].Fields, []string{"company.name", "requester.lastName"}) ||
		st.Corrections[0].Operator != "ops" {
		t.Errorf("corrections in state = %+v", st.Corrections)
	}
	assertEqual(t, "status", st.Status, StatusRejected)
}

func TestCorrectionWhileWaitingUpdatesTheOpenLead(t *testing.T) {
	r := newTestRun(t)
	r.updateAt(time.Hour, UpdateCorrectRequest, Correction{Requester: Requester{Phone: "+49 30 1234567"}})
	r.signalAt(2*time.Hour, SignalLeadQualified, qualified)
	r.signalAt(3*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(testRequest())

	if len(r.fake.corrections) != 1 || r.fake.corrections[0].LeadID != "lead-1" ||
		r.fake.corrections[0].Request.Requester.Phone != "+49 30 1234567" {
		t.Errorf("corrections written = %+v, want the open lead updated too", r.fake.corrections)
	}
	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "lead attempts", r.fake.count(ActivityCreateLead), 1)
}

func TestAbandonEndsTheRequest(t *testing.T) {
	t.Run("with the decline email", func(t *testing.T) {
		r := newTestRun(t)
		noReason := r.updateAt(time.Hour, UpdateAbandon, Abandon{SendDeclineEmail: true})
		done := r.updateAt(2*time.Hour, UpdateAbandon, Abandon{Reason: "duplicate of another request", SendDeclineEmail: true, Operator: "ops"})

		st := r.execute(testRequest())

		if noReason.rejected == nil || !strings.Contains(noReason.rejected.Error(), "reason is required") {
			t.Errorf("abandon without a reason: rejected = %v", noReason.rejected)
		}
		if done.rejected != nil || !done.completed || done.state.Status != StatusRejected {
			t.Errorf("abandon: rejected = %v, completed = %v, status %s", done.rejected, done.completed, done.state.Status)
		}
		assertEqual(t, "status", st.Status, StatusRejected)
		assertEqual(t, "decision", st.Decision, DecisionAbandoned)
		if st.Abandonment == nil || st.Abandonment.Reason != "duplicate of another request" || st.Abandonment.Operator != "ops" {
			t.Errorf("abandonment = %+v", st.Abandonment)
		}
		assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailDecline})
		assertSlice(t, "register decisions", r.fake.decisions, []Decision{DecisionAbandoned})
	})
	t.Run("without an email, while it needs attention", func(t *testing.T) {
		r := newTestRun(t)
		r.fake.fail[ActivityCreateLead] = []error{invalidLead()}
		r.updateAt(time.Hour, UpdateAbandon, Abandon{Reason: "the company closed"})

		st := r.execute(testRequest())

		assertEqual(t, "status", st.Status, StatusRejected)
		assertEqual(t, "decision", st.Decision, DecisionAbandoned)
		assertEqual(t, "attention", st.Attention == nil, true)
		assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt})
		assertEqual(t, "lead attempts", r.fake.count(ActivityCreateLead), 1)
	})
	t.Run("refused after a decision", func(t *testing.T) {
		r := newTestRun(t)
		r.signalAt(time.Hour, SignalLeadQualified, qualified)
		r.signalAt(2*time.Hour, SignalOpportunityLost, OpportunityClosed{OpportunityID: "opp-1"})
		r.fake.fail[ActivitySendEmail] = []error{nil, errors.New("smtp: 421 try later")}
		late := r.updateAt(2*time.Hour+time.Millisecond, UpdateAbandon, Abandon{Reason: "too late"})

		st := r.execute(testRequest())

		if late.rejected == nil {
			t.Error("abandon after the opportunity was lost was accepted")
		}
		assertEqual(t, "decision", st.Decision, DecisionLost)
	})
	t.Run("a decision after abandonment is ignored", func(t *testing.T) {
		r := newTestRun(t)
		r.fake.fail[ActivitySetProspectStatus] = []error{nil, errors.New("database busy")}
		r.updateAt(time.Hour, UpdateAbandon, Abandon{Reason: "requester withdrew"})
		r.signalAt(time.Hour+time.Millisecond, SignalLeadQualified, qualified)

		st := r.execute(testRequest())

		assertEqual(t, "decision", st.Decision, DecisionAbandoned)
		assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 0)
	})
}

func TestCancelledWorkflowEndsTheRequestCleanly(t *testing.T) {
	r := newTestRun(t)
	r.env.RegisterDelayedCallback(func() { r.env.CancelWorkflow() }, time.Hour)

	r.env.ExecuteWorkflow(WorkflowName, testRequest())

	if !r.env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := r.env.GetWorkflowError(); !temporal.IsCanceledError(err) {
		t.Fatalf("workflow error = %v, want cancelled", err)
	}
	assertSlice(t, "prospect statuses", r.fake.statuses, []Status{StatusAwaitingQualification, StatusRejected})
	assertSlice(t, "register decisions", r.fake.decisions, []Decision{DecisionAbandoned})
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt})
}
