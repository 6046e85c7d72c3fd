package workflows

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"
)

const day = 24 * time.Hour

func TestUndecidedLeadGetsAReminderThenAnOperator(t *testing.T) {
	r := newTestRun(t)
	req := testRequest()
	req.SalesCheckInterval = 6 * time.Hour
	afterReminder := r.stateAt(4 * day)
	stuck := r.stateAt(31 * day)
	r.signalAt(32*day, SignalRetry, Retry{Operator: "ops"})
	again := r.stateAt(33 * day)
	r.signalAt(34*day, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(req)

	if len(afterReminder.Reminders) != 1 || afterReminder.Reminders[0].Kind != EmailLeadReminder {
		t.Errorf("reminders after 4 days = %+v, want one lead reminder", afterReminder.Reminders)
	}
	if got := afterReminder.Reminders; len(got) == 1 && got[0].At.Sub(afterReminder.StatusHistory[1].At) != 3*day {
		t.Errorf("reminder sent %s after the lead was created, want 3 days", got[0].At.Sub(afterReminder.StatusHistory[1].At))
	}
	assertEqual(t, "status after 31 days", stuck.Status, StatusNeedsAttention)
	if stuck.Attention == nil || stuck.Attention.Error != "no lead decision in Sales after 30 days" {
		t.Errorf("attention after 31 days = %+v", stuck.Attention)
	}
	assertEqual(t, "status after the operator's retry", again.Status, StatusAwaitingQualification)
	assertEqual(t, "status", st.Status, StatusRejected)
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailLeadReminder, EmailDecline})
	if len(r.fake.reminders) != 1 || r.fake.reminders[0].LeadID != "lead-1" || r.fake.reminders[0].WaitingSince.IsZero() {
		t.Errorf("reminder asked for = %+v, want the lead and since when it waits", r.fake.reminders)
	}
}

func TestUndecidedOpportunityGetsItsOwnReminder(t *testing.T) {
	r := newTestRun(t)
	req := testRequest()
	req.LeadReminderAfter = 2 * day
	req.OpportunityReminderAfter = 5 * day
	r.signalAt(day, SignalLeadQualified, qualified)
	r.signalAt(10*day, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(req)

	assertEqual(t, "status", st.Status, StatusApproved)
	assertSlice(t, "emails", r.fake.emails, []EmailKind{EmailReceipt, EmailOpportunityReminder, EmailWelcome})
	if len(r.fake.reminders) != 1 || r.fake.reminders[0].OpportunityID != "opp-1" {
		t.Errorf("reminder asked for = %+v, want the opportunity", r.fake.reminders)
	}
}

func TestSalesStatesThatCannotMoveOnNeedAttentionAtTheFirstCheck(t *testing.T) {
	for _, stuck := range []string{
		"the lead was qualified without an opportunity",
		"opportunity opp-1 was deleted in Sales",
		"the lead was merged into lead lead-2",
	} {
		t.Run(stuck, func(t *testing.T) {
			r := newTestRun(t)
			r.fake.checks = []SalesCheck{{Stuck: stuck}, {LeadDisqualified: true}}
			req := testRequest()
			req.SalesCheckInterval = time.Hour
			first := r.stateAt(90 * time.Minute)
			r.signalAt(2*time.Hour, SignalRetry, Retry{})

			st := r.execute(req)

			assertEqual(t, "status after the first check", first.Status, StatusNeedsAttention)
			if first.Attention == nil || first.Attention.Error != stuck || first.Attention.Step != "Check Sales for a decision" {
				t.Errorf("attention = %+v", first.Attention)
			}
			assertEqual(t, "status", st.Status, StatusRejected)
			assertEqual(t, "checks", r.fake.count(ActivityCheckSales), 2)
		})
	}
}

func TestSalesCheckFollowsALeadQualifiedAgain(t *testing.T) {
	r := newTestRun(t)
	requalified := LeadQualified{LeadID: "lead-1", OpportunityID: "opp-2", ContactID: "contact-1", AccountID: "account-2"}
	r.fake.checks = []SalesCheck{{LeadQualified: &requalified, OpportunityID: "opp-2"},
		{LeadQualified: &requalified, OpportunityID: "opp-2", OpportunityWon: true}}
	req := testRequest()
	req.SalesCheckInterval = 3 * time.Hour
	r.signalAt(time.Hour, SignalLeadQualified, qualified)
	// The webhook of the second qualification: it asks for a check at once.
	r.signalAt(2*time.Hour, SignalLeadQualified, requalified)
	followed := r.stateAt(2*time.Hour + time.Minute)

	st := r.execute(req)

	assertEqual(t, "opportunity followed after the webhook", followed.OpportunityID, "opp-2")
	assertEqual(t, "status", st.Status, StatusApproved)
	assertEqual(t, "opportunity", st.OpportunityID, "opp-2")
	assertEqual(t, "account imported again", st.AccountID, "account-2")
	assertEqual(t, "customers imported", r.fake.count(ActivityImportCustomers), 2)
}

func TestIgnoredDecisionIsRecordedOnce(t *testing.T) {
	r := newTestRun(t)
	// Sales shows the lead disqualified on every tick, after the request
	// was qualified: one entry, however long it waits.
	r.fake.checks = []SalesCheck{{LeadDisqualified: true}}
	req := testRequest()
	req.SalesCheckInterval = time.Hour
	r.signalAt(30*time.Minute, SignalLeadQualified, qualified)
	r.signalAt(50*time.Hour, SignalOpportunityLost, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(req)

	if r.fake.count(ActivityCheckSales) < 40 {
		t.Fatalf("only %d checks ran", r.fake.count(ActivityCheckSales))
	}
	if len(st.IgnoredSignals) != 1 || st.IgnoredSignals[0].Signal != SignalLeadDisqualified {
		t.Errorf("ignored signals = %+v, want the disqualification once", st.IgnoredSignals)
	}
}

func TestIgnoredDecisionsStayBounded(t *testing.T) {
	r := newTestRun(t)
	r.signalAt(time.Minute, SignalLeadQualified, qualified)
	for i := range 30 {
		r.signalAt(time.Hour+time.Duration(i)*time.Minute, SignalOpportunityWon,
			OpportunityClosed{OpportunityID: "someone-elses-" + strings.Repeat("x", i)})
	}
	r.signalAt(2*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})

	st := r.execute(testRequest())

	assertEqual(t, "listed", len(st.IgnoredSignals), maxIgnoredSignals)
	assertEqual(t, "counted beyond the list", st.MoreIgnoredSignals, 30-maxIgnoredSignals)
}

func TestSignalInTheSameTaskAsContinueAsNewIsCarried(t *testing.T) {
	r := newTestRun(t)
	r.env.SetContinueAsNewSuggested(true)
	req := testRequest()
	req.SalesCheckInterval = time.Minute
	// The decision arrives while the check that leads to continue-as-new
	// runs, so the workflow gets both in one workflow task: the signal
	// listener has taken it but not yet applied it when the check returns.
	r.fake.onCheck = func() {
		r.env.SignalWorkflowSkippingWorkflowTask(SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})
	}

	r.env.ExecuteWorkflow(WorkflowName, req)

	var can *workflow.ContinueAsNewError
	if err := r.env.GetWorkflowError(); !errors.As(err, &can) {
		t.Fatalf("workflow error = %v, want continue-as-new", err)
	}
	var next Request
	if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
		t.Fatalf("decode next input: %v", err)
	}
	if next.Resume == nil || next.Resume.Disqualification == nil {
		t.Fatalf("the decision was lost in the hand-over: carried state = %+v", next.Resume)
	}
}

// TestHistoryBudgetContinuesAsNew: a v3 run whose history reached the
// budget continues as new at the next Sales check, without the server's
// suggestion.
func TestHistoryBudgetContinuesAsNew(t *testing.T) {
	for _, length := range []int{DefaultEventsPerRun - 1, DefaultEventsPerRun} {
		r := newTestRun(t)
		r.env.SetCurrentHistoryLength(length)
		req := testRequest()
		req.SalesCheckInterval = time.Hour
		r.signalAt(90*time.Minute, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

		r.env.ExecuteWorkflow(WorkflowName, req)

		var can *workflow.ContinueAsNewError
		continued := errors.As(r.env.GetWorkflowError(), &can)
		if continued != (length >= DefaultEventsPerRun) {
			t.Errorf("history of %d events: continued as new = %v (error %v)", length, continued, r.env.GetWorkflowError())
		}
	}
}

// TestNinetyDayWaitStaysWithinTheRunBudget waits 90 days, time-skipped, at
// the default timing: the lead gets one reminder, needs an operator after 30
// days twice, and is disqualified on day 90. The history grows by
// eventsPerCheck on every Sales check (as a recorded v3 history does), and
// the request continues as new run after run without losing anything.
func TestNinetyDayWaitStaysWithinTheRunBudget(t *testing.T) {
	const (
		eventsAtStart  = 20 // started, first tasks, version marker, status
		eventsPerCheck = 11 // timer fired, task, activity, task, timer started
	)
	type delivery struct {
		at      time.Duration
		name    string
		payload any
		done    bool
	}
	deliveries := []*delivery{
		{at: 31 * day, name: SignalRetry, payload: Retry{Operator: "ops"}},
		{at: 62 * day, name: SignalRetry, payload: Retry{Operator: "ops"}},
		{at: 90 * day, name: SignalLeadDisqualified, payload: LeadDisqualified{LeadID: "lead-1"}},
	}
	origin := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
	runStart := origin
	req := testRequest()
	req.Timing = Timing{}
	var emails []EmailKind
	leads, runs, checks := 0, 0, 0
	for {
		runs++
		r := newTestRun(t)
		r.env.SetStartTime(runStart)
		checksThisRun := 0
		r.fake.onCheck = func() {
			checksThisRun++
			r.env.SetCurrentHistoryLength(eventsAtStart + eventsPerCheck*checksThisRun)
		}
		for _, d := range deliveries {
			if d.done {
				continue
			}
			r.env.RegisterDelayedCallback(func() {
				d.done = true
				r.env.SignalWorkflow(d.name, d.payload)
			}, d.at-runStart.Sub(origin))
		}

		r.env.ExecuteWorkflow(WorkflowName, req)

		emails = append(emails, r.fake.emails...)
		leads += r.fake.count(ActivityCreateLead)
		checks += checksThisRun
		if events := eventsAtStart + eventsPerCheck*checksThisRun; events > 1000 {
			t.Errorf("run %d grew to about %d events", runs, events)
		}
		var can *workflow.ContinueAsNewError
		if err := r.env.GetWorkflowError(); errors.As(err, &can) {
			var next Request
			if err := converter.GetDefaultDataConverter().FromPayloads(can.Input, &next); err != nil {
				t.Fatalf("decode next input: %v", err)
			}
			req, runStart = next, r.env.Now()
			continue
		}
		var st State
		if err := r.env.GetWorkflowResult(&st); err != nil {
			t.Fatalf("run %d: %v", runs, err)
		}
		assertEqual(t, "status", st.Status, StatusRejected)
		assertEqual(t, "decided after", r.env.Now().Sub(origin).Round(time.Hour), 90*day)
		assertEqual(t, "times the request needed attention", strings.Count(fmt.Sprint(statuses(st)), string(StatusNeedsAttention)), 2)
		break
	}
	assertEqual(t, "leads created", leads, 1)
	assertSlice(t, "emails", emails, []EmailKind{EmailReceipt, EmailLeadReminder, EmailDecline})
	if runs < 20 {
		t.Errorf("%d runs for %d Sales checks: the history budget did not hold", runs, checks)
	}
	t.Logf("90 days: %d Sales checks in %d runs", checks, runs)
}

// TestDecisionAfterTheGiveUpNeedsNoOperator: a request that needed an
// operator because Sales did not decide moves on by itself when Sales does.
func TestDecisionAfterTheGiveUpNeedsNoOperator(t *testing.T) {
	r := newTestRun(t)
	req := testRequest()
	req.SalesCheckInterval = 6 * time.Hour
	stuck := r.stateAt(31 * day)
	r.signalAt(32*day, SignalLeadDisqualified, LeadDisqualified{LeadID: "lead-1"})

	st := r.execute(req)

	assertEqual(t, "status after 31 days", stuck.Status, StatusNeedsAttention)
	assertEqual(t, "status", st.Status, StatusRejected)
	assertEqual(t, "decision", st.Decision, DecisionDisqualified)
	assertSlice(t, "statuses", statuses(st), []Status{StatusReceived, StatusAwaitingQualification,
		StatusNeedsAttention, StatusAwaitingQualification, StatusRejected})
	if st.Attention != nil {
		t.Errorf("attention = %+v, want none", st.Attention)
	}
}
