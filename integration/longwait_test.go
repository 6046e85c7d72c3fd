package integration

import (
	"context"
	"fmt"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// longWaitProduct checks Sales every second (the server's shortest timer)
// and hands a waiting request to a new run after 120 events, so that a wait
// of many runs takes seconds. The 90 days at the default timing are the
// workflow test's (TestNinetyDayWaitStaysWithinTheRunBudget): this test
// measures on the real server what that test assumes, the events a Sales
// check adds and how far a run can overshoot its budget.
var longWaitProduct = lazyProduct{
	env: map[string]string{
		"SALES_CHECK_INTERVAL":   "1s",
		"HISTORY_EVENTS_PER_RUN": "120",
	},
}

// TestLongWaitKeepsEveryRunSmall: a lead waits through Sales checks until
// its request has handed over to new runs three times; no run grew beyond
// its budget by more than one check, and the request ends on the seller's
// decision.
func TestLongWaitKeepsEveryRunSmall(t *testing.T) {
	t.Parallel()
	p := longWaitProduct.get(t)
	r := p.submit(t, "long-wait")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	const budget = 120
	id := workflows.WorkflowID(r.id)

	var runs []runHistory
	poll(t, "three continued runs", func() (bool, string) {
		runs = p.runHistories(t, id)
		return len(runs) >= 4, fmt.Sprintf("%d runs", len(runs))
	})
	if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
		t.Fatal(err)
	}
	final := p.awaitCompletion(t, r)
	assertEqual(t, "status", final.Status, workflows.StatusRejected)
	assertEqual(t, "lead", final.LeadID, st.LeadID)
	p.assertEmails(t, r, "receipt", "decline")

	for i, run := range runs[:3] {
		if run.events > budget+run.perCheck {
			t.Errorf("run %d has %d events, beyond its budget of %d by more than a Sales check (%d events)",
				i+1, run.events, budget, run.perCheck)
		}
		if run.perCheck == 0 {
			t.Errorf("run %d made no Sales check", i+1)
		}
		t.Logf("run %d: %d events, %d Sales checks of %d events each", i+1, run.events, run.checks, run.perCheck)
	}
}

// runHistory is what one run of a workflow recorded.
type runHistory struct {
	events   int
	checks   int // CheckSales activities
	perCheck int // events from one timer firing to the next timer's start
}

// runHistories reads every run of a workflow, oldest first.
func (p *product) runHistories(t *testing.T, workflowID string) []runHistory {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	resp, err := p.temporal.ListWorkflow(ctx, workflowListRequest("WorkflowId = '"+workflowID+"'"))
	if err != nil {
		t.Fatal(err)
	}
	var out []runHistory
	execs := resp.Executions
	for i := len(execs) - 1; i >= 0; i-- {
		var h runHistory
		var fired int64
		it := p.temporal.GetWorkflowHistory(ctx, workflowID, execs[i].GetExecution().GetRunId(), false,
			enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
		for it.HasNext() {
			ev, err := it.Next()
			if err != nil {
				t.Fatal(err)
			}
			h.events++
			switch ev.GetEventType() {
			case enumspb.EVENT_TYPE_ACTIVITY_TASK_SCHEDULED:
				if ev.GetActivityTaskScheduledEventAttributes().GetActivityType().GetName() == workflows.ActivityCheckSales {
					h.checks++
				}
			case enumspb.EVENT_TYPE_TIMER_FIRED:
				fired = ev.GetEventId()
			case enumspb.EVENT_TYPE_TIMER_STARTED:
				if fired != 0 && h.perCheck == 0 {
					h.perCheck = int(ev.GetEventId()-fired) + 1
				}
			}
		}
		out = append(out, h)
	}
	return out
}
