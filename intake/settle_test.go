package intake_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/workflows"
)

// A request whose workflow was terminated (or failed) is not pending any
// more: the requester may apply again, and the register is brought in line.
func TestSubmitAfterTheWorkflowWasTerminated(t *testing.T) {
	for _, status := range []enumspb.WorkflowExecutionStatus{
		enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED, enumspb.WORKFLOW_EXECUTION_STATUS_FAILED,
	} {
		t.Run(status.String(), func(t *testing.T) {
			f := newFixture(t)
			code, first := f.submit(t, requestJSON("mia.jansen@contoso.example"))
			if code != http.StatusAccepted {
				t.Fatalf("first = %d", code)
			}
			f.temporal.mu.Lock()
			f.temporal.closed[workflows.WorkflowID(first.ID)] = status
			f.temporal.mu.Unlock()

			code, again := f.submit(t, requestJSON("mia.jansen@contoso.example"))
			if code != http.StatusAccepted || again.ID == first.ID || again.Duplicate {
				t.Fatalf("submission after %s = %d %+v; want a new request", status, code, again)
			}
			old, err := f.store.GetProspect(context.Background(), first.ID)
			if err != nil || old.Status != commerce.StatusRejected || old.Decision != string(workflows.DecisionAbandoned) {
				t.Errorf("old request = %+v, %v; want Rejected, Abandoned", old, err)
			}
			if ids := f.temporal.startedIDs(); !slices.Equal(ids, []string{first.ID, again.ID}) {
				t.Errorf("started = %v", ids)
			}
		})
	}
}

func TestSubmitAfterAWorkflowCompletedTheRegisterDidNotKnow(t *testing.T) {
	f := newFixture(t)
	_, first := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	f.temporal.mu.Lock()
	f.temporal.closed[workflows.WorkflowID(first.ID)] = enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	f.temporal.results[workflows.WorkflowID(first.ID)] = workflows.State{Status: workflows.StatusRejected, Decision: workflows.DecisionLost}
	f.temporal.mu.Unlock()

	if code, again := f.submit(t, requestJSON("mia.jansen@contoso.example")); code != http.StatusAccepted || again.ID == first.ID {
		t.Fatalf("submission = %d %+v; want a new request", code, again)
	}
	old, _ := f.store.GetProspect(context.Background(), first.ID)
	if old.Status != commerce.StatusRejected || old.Decision != string(workflows.DecisionLost) {
		t.Errorf("old request = %+v; want the workflow's result", old)
	}
}

// The restart loop never starts a request whose workflow closed, brings its
// register in line instead, and is not held up by many such old rows.
func TestResumeUnstartedIsNotStarvedByClosedRequests(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	var old []string
	for i := range 120 {
		if code, _ := f.submit(t, requestJSON(fmt.Sprintf("buyer%d@contoso.example", i))); code != http.StatusServiceUnavailable {
			t.Fatalf("submit = %d", code)
		}
	}
	f.temporal.mu.Lock()
	for _, s := range f.temporal.starts {
		old = append(old, s.Args[0].(workflows.Request).RequestID)
		// Each had a workflow after all, terminated since.
		f.temporal.closed[s.Options.ID] = enumspb.WORKFLOW_EXECUTION_STATUS_TERMINATED
	}
	f.temporal.starts = nil
	f.temporal.mu.Unlock()
	// The newest request, whose start failed too.
	f.submit(t, requestJSON("newest@contoso.example"))
	newest := f.temporal.startedIDs()[0]
	f.temporal.mu.Lock()
	f.temporal.starts, f.temporal.startErr = nil, nil
	f.temporal.mu.Unlock()

	service := f.service()
	for range 2 {
		if _, err := service.ResumeUnstarted(ctx, -time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	if ids := f.temporal.startedIDs(); !slices.Equal(ids, []string{newest}) {
		t.Errorf("started %d workflows (%v); want only the newest request's", len(ids), ids)
	}
	for _, id := range old[:3] {
		p, _ := f.store.GetProspect(ctx, id)
		if p.Status != commerce.StatusRejected || p.StartedAt.IsZero() {
			t.Errorf("closed request %s = %s, started %v; want Rejected and left alone", id, p.Status, p.StartedAt)
		}
	}
	if ids, _ := f.store.UnstartedProspects(ctx, time.Now().Add(time.Minute), 200); len(ids) != 0 {
		t.Errorf("%d requests still wait to be started", len(ids))
	}
}

// While the workflow cannot be queried, GET answers from the register:
// status, decision, Sales records and emails.
func TestShowFromTheRegister(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, a := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	for _, step := range []error{
		f.store.SetProspectLead(ctx, a.ID, "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60"),
		f.store.SetProspectOpportunity(ctx, a.ID, "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"),
		f.store.RecordEmailSent(ctx, commerce.SentEmail{RequestID: a.ID, Kind: "receipt", MessageID: "<m1@shop.example>"}),
		f.store.RecordEmailSent(ctx, commerce.SentEmail{RequestID: a.ID, Kind: "decline", MessageID: "<m2@shop.example>"}),
		f.store.SetProspectStatus(ctx, a.ID, commerce.StatusRejected, "OpportunityLost"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	f.temporal.queryErr = serviceerror.NewUnavailable("connection refused")
	code, _, raw := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+a.ID, "", "")
	var st workflows.State
	if err := jsonValueOf(raw, &st); err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d %s", code, raw)
	}
	if st.Status != workflows.StatusRejected || st.Decision != workflows.DecisionLost ||
		st.OpportunityID != "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d" || st.LeadID != "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60" ||
		!slices.Equal(st.EmailsSent, []workflows.EmailKind{"decline", "receipt"}) && !slices.Equal(st.EmailsSent, []workflows.EmailKind{"receipt", "decline"}) {
		t.Errorf("state from the register = %+v", st)
	}
}

// The restart loop runs as soon as the starter starts, not an interval later.
func TestKeepResumingStartsAtOnce(t *testing.T) {
	f := newFixture(t)
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	f.submit(t, requestJSON("mia.jansen@contoso.example"))
	id := f.temporal.startedIDs()[0]
	f.temporal.mu.Lock()
	f.temporal.starts, f.temporal.startErr = nil, nil
	f.temporal.mu.Unlock()

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { f.service().KeepResuming(ctx, time.Hour, -time.Minute); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(f.temporal.startedIDs()) == 0 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if ids := f.temporal.startedIDs(); !slices.Equal(ids, []string{id}) {
		t.Errorf("started = %v; want the registered request at once, with the next pass an hour away", ids)
	}
}
