package workflows

import (
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// salesFake stands in for the activities: the workflow's own logic is what
// these tests check. The activities are tested against their real adapters in
// package activities.
type salesFake struct {
	mu          sync.Mutex
	calls       []string
	statuses    []Status
	decisions   []Decision
	emails      []EmailKind
	leadInputs  []Request
	corrections []CorrectRequestInput
	checks      []SalesCheck // answers of successive CheckSales calls; the last repeats
	fail        map[string][]error
	// onCheck runs inside each CheckSales call, before it answers.
	onCheck   func()
	reminders []Email
	// registered is the register's copy of the request, which a claim's
	// steps read and a claim's corrections change.
	registered Request
}

func (f *salesFake) record(name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
	if errs := f.fail[name]; len(errs) > 0 {
		f.fail[name] = errs[1:]
		return errs[0]
	}
	return nil
}

func (f *salesFake) count(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *salesFake) RegisterProspect(_ context.Context, _ Request) error {
	return f.record(ActivityRegisterProspect)
}

// CreateLead also records the status it brings, as the real step does.
func (f *salesFake) CreateLead(_ context.Context, req Request) (string, error) {
	f.mu.Lock()
	if req.IsClaim() {
		req = f.registered
	}
	f.leadInputs = append(f.leadInputs, req)
	f.mu.Unlock()
	if err := f.record(ActivityCreateLead); err != nil {
		return "", err
	}
	f.writeStatus(StatusAwaitingQualification, DecisionNone)
	return "lead-1", nil
}

// writeStatus is a register write of a status, unless the last one was it.
func (f *salesFake) writeStatus(status Status, decision Decision) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.statuses) > 0 && f.statuses[len(f.statuses)-1] == status {
		return
	}
	f.statuses = append(f.statuses, status)
	if decision != DecisionNone {
		f.decisions = append(f.decisions, decision)
	}
}

func (f *salesFake) ApprovePartner(_ context.Context, _ HierarchyInput) (string, error) {
	if err := f.record(ActivityApprovePartner); err != nil {
		return "", err
	}
	f.writeStatus(StatusApproved, DecisionWon)
	return "hierarchy-1", nil
}

// CorrectRequest applies a claim's correction to the register's copy, as
// the real step does.
func (f *salesFake) CorrectRequest(_ context.Context, in CorrectRequestInput) ([]string, error) {
	if err := f.record(ActivityCorrectRequest); err != nil {
		return nil, err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.corrections = append(f.corrections, in)
	if in.Correction == nil {
		f.registered = in.Request
		return nil, nil
	}
	corrected, fields, err := ApplyCorrection(f.registered, *in.Correction)
	if err != nil {
		return nil, temporal.NewNonRetryableApplicationError(err.Error(), "CommerceRejected", nil)
	}
	f.registered = corrected
	return fields, nil
}

func (f *salesFake) SetProspectStatus(_ context.Context, in ProspectStatus) error {
	if err := f.record(ActivitySetProspectStatus); err != nil {
		return err
	}
	f.writeStatus(in.Status, in.Decision)
	return nil
}

func (f *salesFake) ImportCustomers(_ context.Context, in ImportCustomersInput) (Customers, error) {
	if err := f.record(ActivityImportCustomers); err != nil {
		return Customers{}, err
	}
	f.writeStatus(StatusQualified, DecisionNone)
	return Customers{
		PersonCustomerID: "person-1", OrganizationCustomerID: "org-1",
		ContactID: firstNonEmpty(in.ContactID, "contact-from-sales"), AccountID: firstNonEmpty(in.AccountID, "account-from-sales"),
	}, nil
}

func (f *salesFake) CreateCustomerHierarchy(_ context.Context, _ HierarchyInput) (string, error) {
	return "hierarchy-1", f.record(ActivityCreateCustomerHierarchy)
}

func (f *salesFake) SendEmail(_ context.Context, in Email) error {
	if err := f.record(ActivitySendEmail); err != nil {
		return err
	}
	f.mu.Lock()
	f.emails = append(f.emails, in.Kind)
	if in.LeadID != "" {
		f.reminders = append(f.reminders, in)
	}
	f.mu.Unlock()
	return nil
}

func (f *salesFake) CheckSales(_ context.Context, _ SalesCheckInput) (SalesCheck, error) {
	if err := f.record(ActivityCheckSales); err != nil {
		return SalesCheck{}, err
	}
	if f.onCheck != nil {
		f.onCheck()
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.checks) == 0 {
		return SalesCheck{}, nil
	}
	c := f.checks[0]
	if len(f.checks) > 1 {
		f.checks = f.checks[1:]
	}
	return c, nil
}

type testRun struct {
	t    *testing.T
	env  *testsuite.TestWorkflowEnvironment
	fake *salesFake
}

func newTestRun(t *testing.T) *testRun {
	var suite testsuite.WorkflowTestSuite
	env, f := newEnvironment(&suite)
	return &testRun{t: t, env: env, fake: f}
}

// newEnvironment is a test environment with the workflow and the fake
// activities registered under their names.
func newEnvironment(suite *testsuite.WorkflowTestSuite) (*testsuite.TestWorkflowEnvironment, *salesFake) {
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(PartnerOnboarding, workflow.RegisterOptions{Name: WorkflowName})
	f := &salesFake{fail: map[string][]error{}, registered: testRequest()}
	for name, fn := range map[string]any{
		ActivityRegisterProspect:        f.RegisterProspect,
		ActivityCreateLead:              f.CreateLead,
		ActivitySetProspectStatus:       f.SetProspectStatus,
		ActivityImportCustomers:         f.ImportCustomers,
		ActivityCreateCustomerHierarchy: f.CreateCustomerHierarchy,
		ActivitySendEmail:               f.SendEmail,
		ActivityCheckSales:              f.CheckSales,
		ActivityCorrectRequest:          f.CorrectRequest,
		ActivityApprovePartner:          f.ApprovePartner,
	} {
		env.RegisterActivityWithOptions(fn, activity.RegisterOptions{Name: name})
	}
	return env, f
}

func testRequest() Request {
	return Request{
		RequestID: "7d4c2a47-9a43-4c57-9a39-0f6a1b2c3d4e",
		Company: Company{Name: "Contoso Tools GmbH", Address: Address{
			Street: "Hauptstr. 1", City: "Berlin", PostalCode: "10115", CountryCode: "DE"}},
		Requester: Requester{FirstName: "Ada", LastName: "Example", Email: "ada@contoso.example"},
		Locale:    "en",
		Timing:    Timing{SalesCheckInterval: 24 * time.Hour},
	}
}

var qualified = LeadQualified{LeadID: "lead-1", OpportunityID: "opp-1", ContactID: "contact-1", AccountID: "account-1"}

func (r *testRun) signalAt(d time.Duration, name string, payload any) {
	r.env.RegisterDelayedCallback(func() { r.env.SignalWorkflow(name, payload) }, d)
}

// stateAt queries the workflow at a moment of the test clock.
func (r *testRun) stateAt(d time.Duration) *State {
	var st State
	r.env.RegisterDelayedCallback(func() {
		v, err := r.env.QueryWorkflow(QueryState)
		if err != nil {
			r.t.Errorf("query at %v: %v", d, err)
			return
		}
		if err := v.Get(&st); err != nil {
			r.t.Errorf("decode state at %v: %v", d, err)
		}
	}, d)
	return &st
}

func (r *testRun) execute(req Request) State {
	r.t.Helper()
	r.env.ExecuteWorkflow(WorkflowName, req)
	if !r.env.IsWorkflowCompleted() {
		r.t.Fatal("workflow did not complete")
	}
	if err := r.env.GetWorkflowError(); err != nil {
		r.t.Fatalf("workflow failed: %v", err)
	}
	var st State
	if err := r.env.GetWorkflowResult(&st); err != nil {
		r.t.Fatalf("workflow result: %v", err)
	}
	return st
}

func statuses(st State) []Status {
	var out []Status
	for _, c := range st.StatusHistory {
		out = append(out, c.Status)
	}
	return out
}

func assertEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func assertSlice[T comparable](t *testing.T, what string, got, want []T) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

func TestWonOpportunityApprovesThePartner(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Hour, SignalLeadQualified, qualified)
	r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
	waiting := r.stateAt(30 * time.Minute)
	between := r.stateAt(90 * time.Minute)

	st := r.execute(testRequest())

	assertEqual(t, "status while waiting", waiting.Status, StatusAwaitingQualification)
	assertEqual(t, "lead while waiting", waiting.LeadID, "lead-1")
	assertEqual(t, "status after qualification", between.Status, StatusQualified)
	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "decision", st.Decision, DecisionWon)
	assertEqual(t, "opportunity", st.OpportunityID, "opp-1")
	assertEqual(t, "contact", st.ContactID, "contact-1")
	assertEqual(t, "organization customer", st.OrganizationCustomerID, "org-1")
	assertEqual(t, "person customer", st.PersonCustomerID, "person-1")
	assertEqual(t, "hierarchy", st.HierarchyID, "hierarchy-1")
	assertSlice(t, "status history", statuses(st),
		[]Status{StatusReceived, StatusAwaitingQualification, StatusQualified, StatusApproved})
	assertSlice(t, "prospect statuses", r.fake.statuses,
		[]Status{StatusAwaitingQualification, StatusQualified, StatusApproved})
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailWelcome})
	assertSlice(t, "emails in state", st.EmailsSent, []EmailKind{EmailReceipt, EmailWelcome})
}

func TestDisqualifiedLeadRejectsTheProspect(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(testRequest())

	assertEqual(t, "status", st.Status, StatusRejected)
	assertEqual(t, "decision", st.Decision, DecisionDisqualified)
	assertSlice(t, "status history", statuses(st),
		[]Status{StatusReceived, StatusAwaitingQualification, StatusRejected})
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailDecline})
	assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 0)
	assertEqual(t, "hierarchies", r.fake.count(ActivityApprovePartner), 0)
}

func TestLostOpportunityRejectsTheProspect(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Hour, SignalLeadQualified, qualified)
	r.signalAt(2*time.Hour, SignalOpportunityLost, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(testRequest())

	assertEqual(t, "status", st.Status, StatusRejected)
	assertEqual(t, "decision", st.Decision, DecisionLost)
	assertSlice(t, "status history", statuses(st),
		[]Status{StatusReceived, StatusAwaitingQualification, StatusQualified, StatusRejected})
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailDecline})
	assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 1)
	assertEqual(t, "hierarchies", r.fake.count(ActivityApprovePartner), 0)
}

func TestDuplicateSignalsChangeNothing(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Hour, SignalLeadQualified, qualified)
	r.signalAt(time.Hour+time.Minute, SignalLeadQualified, qualified)
	r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
	r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(testRequest())

	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "duplicates counted", st.DuplicateSignals, 2)
	assertEqual(t, "ignored", len(st.IgnoredSignals), 0)
	assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 1)
	assertEqual(t, "hierarchies", r.fake.count(ActivityApprovePartner), 1)
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailWelcome})
}

func TestWonBeforeQualifiedWaitsForTheQualification(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
	r.signalAt(3*time.Hour, SignalLeadQualified, qualified)
	early := r.stateAt(2 * time.Hour)

	st := r.execute(testRequest())

	assertEqual(t, "status before qualification", early.Status, StatusAwaitingQualification)
	if early.Closing == nil || !early.Closing.Won {
		t.Errorf("the early win is not kept: %+v", early.Closing)
	}
	assertEqual(t, "status", st.Status, StatusApproved)
	assertSlice(t, "status history", statuses(st),
		[]Status{StatusReceived, StatusAwaitingQualification, StatusQualified, StatusApproved})
}

func TestFirstDecisionStands(t *testing.T) {
	t.Run("won then lost", func(t *testing.T) {
		r := newTestRun(t)
		r.signalAt(time.Hour, SignalLeadQualified, qualified)
		r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
		r.signalAt(2*time.Hour, SignalOpportunityLost, OpportunityClosed{OpportunityID: "opp-1"})

		st := r.execute(testRequest())

		assertEqual(t, "status", st.Status, StatusApproved)
		if len(st.IgnoredSignals) != 1 || st.IgnoredSignals[0].Signal != SignalOpportunityLost {
			t.Errorf("ignored signals = %+v, want the late loss", st.IgnoredSignals)
		}
		assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailWelcome})
	})
	t.Run("disqualified then qualified", func(t *testing.T) {
		r := newTestRun(t)
		r.signalAt(time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})
		r.signalAt(time.Hour, SignalLeadQualified, qualified)

		st := r.execute(testRequest())

		assertEqual(t, "status", st.Status, StatusRejected)
		if len(st.IgnoredSignals) != 1 || st.IgnoredSignals[0].Signal != SignalLeadQualified {
			t.Errorf("ignored signals = %+v, want the late qualification", st.IgnoredSignals)
		}
		assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 0)
	})
	t.Run("another lead's decision", func(t *testing.T) {
		r := newTestRun(t)
		r.signalAt(time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "someone-elses-lead"})
		r.signalAt(time.Hour, SignalLeadQualified, qualified)
		r.signalAt(2*time.Hour, SignalOpportunityLost, OpportunityClosed{OpportunityID: "someone-elses-opportunity"})
		r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

		st := r.execute(testRequest())

		assertEqual(t, "status", st.Status, StatusApproved)
		assertEqual(t, "ignored", len(st.IgnoredSignals), 2)
	})
}

func TestSalesCheckFindsDecisionsNoWebhookBrought(t *testing.T) {
	r := newTestRun(t)
	r.fake.checks = []SalesCheck{
		{},
		{LeadQualified: &LeadQualified{LeadID: "lead-1", OpportunityID: "opp-1"}},
		{LeadQualified: &LeadQualified{LeadID: "lead-1", OpportunityID: "opp-1"}, OpportunityWon: true},
	}
	req := testRequest()
	req.SalesCheckInterval = time.Minute

	st := r.execute(req)

	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "contact looked up by the import", st.ContactID, "contact-from-sales")
	assertEqual(t, "sales checks", r.fake.count(ActivityCheckSales), 3)
}

func TestFailedSalesCheckKeepsWaiting(t *testing.T) {
	r := newTestRun(t)
	r.fake.fail[ActivityCheckSales] = []error{
		temporal.NewNonRetryableApplicationError("sales unavailable", "SalesRejected", nil),
	}
	r.fake.checks = []SalesCheck{{LeadDisqualified: true}}
	req := testRequest()
	req.SalesCheckInterval = time.Minute

	st := r.execute(req)

	assertEqual(t, "status", st.Status, StatusRejected)
	assertEqual(t, "attention", st.Attention == nil, true)
}

func TestPermanentFailureWaitsForOperator(t *testing.T) {
	r := newTestRun(t)
	r.fake.fail[ActivityCreateLead] = []error{
		temporal.NewNonRetryableApplicationError("create lead: 400 Bad Request: column missing", "SalesRejected", nil),
	}
	stuck := r.stateAt(time.Hour)
	r.signalAt(2*time.Hour, SignalRetry, Retry{Operator: "ops"})
	r.signalAt(3*time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(testRequest())

	assertEqual(t, "status while stuck", stuck.Status, StatusNeedsAttention)
	if stuck.Attention == nil || stuck.Attention.Step != "Create lead in Sales" {
		t.Errorf("attention while stuck = %+v, want the lead step", stuck.Attention)
	}
	assertEqual(t, "status", st.Status, StatusRejected)
	assertEqual(t, "attention after retry", st.Attention == nil, true)
	assertEqual(t, "lead attempts", r.fake.count(ActivityCreateLead), 2)
	assertSlice(t, "status history", statuses(st), []Status{
		StatusReceived, StatusNeedsAttention, StatusReceived, StatusAwaitingQualification, StatusRejected})
	assertSlice(t, "prospect statuses", r.fake.statuses, []Status{
		StatusNeedsAttention, StatusReceived, StatusAwaitingQualification, StatusRejected})
}

func TestTransientFailuresRetryWithoutOperator(t *testing.T) {
	r := newTestRun(t)
	r.fake.fail[ActivitySendEmail] = []error{errors.New("smtp: connection refused"), errors.New("smtp: connection refused")}
	r.signalAt(time.Hour, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(testRequest())

	assertEqual(t, "status", st.Status, StatusRejected)
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailDecline})
	assertEqual(t, "email attempts", r.fake.count(ActivitySendEmail), 4)
	for _, c := range st.StatusHistory {
		if c.Status == StatusNeedsAttention {
			t.Errorf("a transient failure set NeedsAttention")
		}
	}
}

func TestLongWaitContinuesAsNewWithItsState(t *testing.T) {
	r := newTestRun(t)
	r.env.SetContinueAsNewSuggested(true)
	req := testRequest()
	req.SalesCheckInterval = time.Minute
	r.signalAt(0, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

	r.env.ExecuteWorkflow(WorkflowName, req)

	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next Request
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode next input: %v", err)
	}
	if next.Resume == nil || next.Resume.LeadID != "lead-1" || next.Resume.Closing == nil {
		t.Fatalf("carried state = %+v, want the lead and the early win", next.Resume)
	}
	// The next run carries the claim: the register holds the request's data.
	if !next.IsClaim() || next.RequestID != req.RequestID {
		t.Errorf("next run's input = %+v, want the claim of %s", next, req.RequestID)
	}

	second := newTestRun(t)
	second.signalAt(time.Hour, SignalLeadQualified, qualified)
	st := second.execute(next)

	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "prospect registered again", second.fake.count(ActivityRegisterProspect), 0)
	assertEqual(t, "lead created again", second.fake.count(ActivityCreateLead), 0)
	assertSlice(t, "emails of the continued run", second.fake.emails, []EmailKind{EmailWelcome})
	assertSlice(t, "emails in state", st.EmailsSent, []EmailKind{EmailReceipt, EmailWelcome})
}

func TestRequestWithoutIDFails(t *testing.T) {
	r := newTestRun(t)
	r.env.ExecuteWorkflow(WorkflowName, Request{})
	var appErr *temporal.ApplicationError
	if err := r.env.GetWorkflowError(); !errors.As(err, &appErr) || appErr.Type() != "InvalidRequest" {
		t.Fatalf("error = %v, want InvalidRequest", err)
	}
}
