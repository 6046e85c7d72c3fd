package integration

import (
	"context"
	"fmt"
	"os/exec"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestOperatorRepairsARequestThatNeedsAttention walks the operations path of
// the README: a step fails in a way retrying cannot fix (Sales refuses the
// worker's credentials), the request shows NeedsAttention with the reason,
// operations fix the cause and send the retry signal with the temporal CLI,
// and the request goes on where it stopped.
func TestOperatorRepairsARequestThatNeedsAttention(t *testing.T) {
	p := checkingProduct.get(t)
	restartWorker := func(secret string) {
		t.Helper()
		if err := p.stack.StopProcess("worker"); err != nil {
			t.Fatal(err)
		}
		p.stack.SetEnv("SALES_CLIENT_SECRET", secret)
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.stack.StartWorker(ctx); err != nil {
			t.Fatal(err)
		}
	}
	restartWorker("a-secret-Sales-does-not-know")
	defer func() {
		if t.Failed() {
			restartWorker("local-secret") // leave the stack usable for other tests
		}
	}()

	r := p.submit(t, "attention")
	st := p.awaitStatus(t, r, workflows.StatusNeedsAttention)
	if st.Attention == nil || st.Attention.Step != "Create lead in Sales" {
		t.Fatalf("attention = %+v, want the lead step and its reason", st.Attention)
	}
	p.assertSearchAttribute(t, r, workflows.StatusNeedsAttention)

	restartWorker("local-secret")
	out, err := exec.Command(p.stack.Tools.Temporal, "workflow", "signal",
		"--address", p.stack.URLs().TemporalAddress, "--workflow-id", workflows.WorkflowID(r.id),
		"--name", workflows.SignalRetry, "--input", `{"operator":"integration test"}`).CombinedOutput()
	if err != nil {
		t.Fatalf("temporal workflow signal: %v\n%s", err, out)
	}

	st = p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	if st.Attention != nil || st.LeadID == "" {
		t.Errorf("state after the retry = %+v, want the lead and no attention", st)
	}
	if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusCanceled); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusRejected)
	var history []workflows.Status
	for _, c := range st.StatusHistory {
		history = append(history, c.Status)
	}
	assertEqual(t, "status history", fmt.Sprint(history),
		fmt.Sprint([]workflows.Status{workflows.StatusReceived, workflows.StatusNeedsAttention, workflows.StatusReceived,
			workflows.StatusAwaitingQualification, workflows.StatusRejected}))
	p.assertEmails(t, r, "receipt", "decline")
	p.recordHistory(t, r, "needs-attention-retry")
}
