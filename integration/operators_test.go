package integration

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/temporal"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// patientProduct waits for Sales in seconds instead of days: reminders to
// the sales inbox after 2 seconds, an operator after 20. Its dev server
// suggests continue-as-new after 60 events, so that long waits hand over.
var patientProduct = lazyProduct{
	env: map[string]string{
		"SALES_CHECK_INTERVAL":       "1s",
		"LEAD_REMINDER_AFTER":        "2s",
		"OPPORTUNITY_REMINDER_AFTER": "2s",
		"GIVE_UP_AFTER":              "20s",
		"SALES_INBOX":                salesInbox,
	},
	temporal: map[string]string{"limit.historyCount.suggestContinueAsNew": "60"},
}

const salesInbox = "sales-team@shop.example"

// temporalCLI runs the temporal CLI against the stack, as an operator
// does: through the codec server, which encrypts inputs and decrypts answers.
func (p *product) temporalCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	args = append(args, "--address", p.stack.URLs().TemporalAddress,
		"--codec-endpoint", p.stack.CodecEndpoint(), "--codec-auth", p.stack.CodecAuth())
	out, err := exec.Command(p.stack.Tools.Temporal, args...).CombinedOutput()
	return string(out), err
}

// starterCLI runs the starter binary's operator commands against the stack.
func (p *product) starterCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(filepath.Join(p.stack.DataDir, "bin", "starter"), args...)
	cmd.Env = append(os.Environ(), "TEMPORAL_ADDRESS="+p.stack.URLs().TemporalAddress, "TEMPORAL_NAMESPACE=default",
		"STARTER_URL="+strings.TrimSuffix(p.intake, "/v1/onboarding-requests"), "STARTER_API_KEY="+p.stack.URLs().IntakeKey,
		"PAYLOAD_KEYS_FILE="+p.stack.PayloadKeysFile())
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// liveState is the workflow's own state, as operators query it.
func (p *product) liveState(t *testing.T, r submitted) workflows.State {
	t.Helper()
	v, err := p.temporal.QueryWorkflow(context.Background(), workflows.WorkflowID(r.id), "", workflows.QueryState)
	if err != nil {
		t.Fatal(err)
	}
	var st workflows.State
	if err := v.Get(&st); err != nil {
		t.Fatal(err)
	}
	return st
}

// injectFault gives the Sales stand-in a misbehaviour (see salesstandin.Fault).
func (p *product) injectFault(t *testing.T, fault string) {
	t.Helper()
	if resp, out := p.do(t, http.MethodPost, p.standinURL("/standin/faults"), []byte(fault)); resp.StatusCode != http.StatusOK {
		t.Fatalf("inject fault %s: %d %s", fault, resp.StatusCode, out)
	}
}

func (p *product) clearFaults(t *testing.T) {
	t.Helper()
	if resp, out := p.do(t, http.MethodDelete, p.standinURL("/standin/faults"), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("clear faults: %d %s", resp.StatusCode, out)
	}
}

func (p *product) register(t *testing.T) *commerce.Store {
	t.Helper()
	store, err := commerce.Open(context.Background(), filepath.Join(p.stack.DataDir, "commerce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// salesAPI calls the stand-in's Web API directly, as a seller's other tools
// would, for what the product's client does not do (reopening a lead, or
// listing every lead of a prospect).
func (p *product) salesAPI(t *testing.T, method, path string, body any) []byte {
	t.Helper()
	base := p.standinURL("")
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"onboarding-worker"},
		"client_secret": {"local-secret"}, "scope": {base + "/.default"}}
	resp, err := http.PostForm(base+"/local/oauth2/v2.0/token", form)
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	err = json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if err != nil {
		t.Fatal(err)
	}
	var payload []byte
	if body != nil {
		payload = marshal(t, body)
	}
	req, err := http.NewRequest(method, base+"/api/data/v9.2/"+path, strings.NewReader(string(payload)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", "*")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode >= 300 {
		t.Fatalf("%s %s: %s %s", method, path, resp.Status, b)
	}
	return b
}

// leadsOf counts the leads in Sales that carry the request's prospect ID.
func (p *product) leadsOf(t *testing.T, requestID string) int {
	t.Helper()
	q := url.Values{"$filter": {sales.DefaultProspectIDColumn + " eq '" + requestID + "'"}, "$select": {"leadid"}}
	var page struct {
		Value []map[string]any `json:"value"`
	}
	if err := json.Unmarshal(p.salesAPI(t, http.MethodGet, "leads?"+strings.ReplaceAll(q.Encode(), "+", "%20"), nil), &page); err != nil {
		t.Fatal(err)
	}
	return len(page.Value)
}

// TestOperatorCorrectsARequest: Sales refuses a lead for its data, the
// request needs attention, and an operator corrects the data with the
// correct-request Update from the temporal CLI; the step runs again with the
// corrected data, which Sales and the register hold.
func TestOperatorCorrectsARequest(t *testing.T) {
	p := webhookProduct.get(t)
	p.injectFault(t, `{"kind":"fail","count":1,"method":"POST","entitySet":"leads","status":400,"code":"0x80044331",`+
		`"message":"A validation error occurred. The length of the 'lastname' attribute of the 'lead' entity exceeded the maximum allowed length."}`)
	defer p.clearFaults(t)

	r := p.submit(t, "correct")
	st := p.awaitStatus(t, r, workflows.StatusNeedsAttention)
	if st.Attention == nil || st.Attention.Step != "Create lead in Sales" || st.Attention.Error != "" {
		t.Fatalf("attention at the front door = %+v, want the step without the error's text", st.Attention)
	}
	if live := p.liveState(t, r); live.Attention == nil || !strings.Contains(live.Attention.Error, "0x80044331") {
		t.Fatalf("attention in the workflow = %+v, want what Sales answered", live.Attention)
	}

	// The validator refuses what the intake refuses, with its messages.
	out, err := p.temporalCLI(t, "workflow", "update", "execute", "--workflow-id", workflows.WorkflowID(r.id),
		"--name", workflows.UpdateCorrectRequest, "--input", `{"requester":{"email":"not-an-address"}}`)
	if err == nil || !strings.Contains(out, "requester.email must be a plain email address") {
		t.Errorf("invalid correction: %v\n%s", err, out)
	}
	out, err = p.temporalCLI(t, "workflow", "update", "execute", "--workflow-id", workflows.WorkflowID(r.id),
		"--name", workflows.UpdateCorrectRequest,
		"--input", `{"requester":{"lastName":"King"},"operator":"integration test","reason":"surname too long for Sales"}`)
	if err != nil {
		t.Fatalf("correct-request: %v\n%s", err, out)
	}

	st = p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	lead, err := p.sales.GetLead(context.Background(), st.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "last name in Sales", lead.LastName, "King")
	prospect, err := p.register(t).GetProspect(context.Background(), r.id)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "last name in the register", prospect.LastName, "King")

	// The starter CLI corrects an open lead too: Sales gets the new phone.
	file := filepath.Join(t.TempDir(), "correction.json")
	if err := os.WriteFile(file, []byte(`{"requester":{"phone":"+49 30 7654321"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := p.starterCLI(t, "correct", r.id, file, "-reason", "new phone number"); err != nil {
		t.Fatalf("starter correct: %v\n%s", err, out)
	}
	if lead, err = p.sales.GetLead(context.Background(), st.LeadID); err != nil || lead.Phone != "+49 30 7654321" {
		t.Errorf("phone in Sales = %q, %v", lead.Phone, err)
	}

	if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusCanceled); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	if len(st.Corrections) != 2 || st.Corrections[0].Fields[0] != "requester.lastName" {
		t.Errorf("corrections = %+v", st.Corrections)
	}
	p.recordHistory(t, r, "needs-attention-correct")
}

// TestOperatorAbandonsARequest ends a request with the starter CLI's abandon.
func TestOperatorAbandonsARequest(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "abandon")
	p.awaitStatus(t, r, workflows.StatusAwaitingQualification)

	if out, err := p.starterCLI(t, "abandon", r.id); err == nil {
		t.Errorf("abandon without a reason was accepted:\n%s", out)
	}
	out, err := p.starterCLI(t, "abandon", r.id, "-reason", "the requester withdrew", "-decline-email", "-operator", "ops")
	if err != nil {
		t.Fatalf("starter abandon: %v\n%s", err, out)
	}
	st := p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusRejected)
	assertEqual(t, "decision", st.Decision, workflows.DecisionAbandoned)
	p.assertEmails(t, r, "receipt", "decline")
	prospect, err := p.register(t).GetProspect(context.Background(), r.id)
	if err != nil || prospect.Status != commerce.StatusRejected || prospect.Decision != string(workflows.DecisionAbandoned) {
		t.Errorf("register = %+v, %v", prospect, err)
	}
	p.recordHistory(t, r, "abandon")

	// The requester says the decline never came: operations send it again.
	out, err = p.starterCLI(t, "resend", r.id, "decline", "-reason", "the requester asked")
	if err != nil {
		t.Fatalf("starter resend: %v\n%s", err, out)
	}
	msgs, err := p.mailpit.WaitForMessages(context.Background(), "to:"+r.email+` subject:"partner request"`, 3)
	if err != nil || len(msgs) != 3 {
		t.Errorf("emails to the requester = %d, %v; want the receipt and two declines", len(msgs), err)
	}
	p.recordCompleted(t, workflows.ResendEmailWorkflowName, "resend-decline-"+r.id, "resend-email")
}

// TestCancelledAndTerminatedRequests: a request cancelled from the Web UI
// (here the CLI) is cleaned up by its workflow; one terminated is noticed by
// the front door, which takes the requester's next submission as new.
func TestCancelledAndTerminatedRequests(t *testing.T) {
	p := webhookProduct.get(t)
	ctx := context.Background()

	cancelled := p.submit(t, "cancelled")
	p.awaitStatus(t, cancelled, workflows.StatusAwaitingQualification)
	if out, err := p.temporalCLI(t, "workflow", "cancel", "--workflow-id", workflows.WorkflowID(cancelled.id)); err != nil {
		t.Fatalf("cancel: %v\n%s", err, out)
	}
	p.awaitStatus(t, cancelled, workflows.StatusRejected)
	// The register shows Rejected while the clean-up may still send the
	// decline: the workflow's end is awaited before it is described.
	waitCtx, cancelWait := context.WithTimeout(ctx, 2*time.Minute)
	defer cancelWait()
	if err := p.temporal.GetWorkflow(waitCtx, workflows.WorkflowID(cancelled.id), "").Get(waitCtx, nil); !temporal.IsCanceledError(err) {
		t.Errorf("result of the cancelled workflow = %v, want cancelled", err)
	}
	desc, err := p.temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(cancelled.id), "")
	if err != nil || desc.GetWorkflowExecutionInfo().GetStatus() != enumspb.WORKFLOW_EXECUTION_STATUS_CANCELED {
		t.Errorf("workflow after cancel = %v, %v", desc.GetWorkflowExecutionInfo().GetStatus(), err)
	}
	prospect, _ := p.register(t).GetProspect(ctx, cancelled.id)
	assertEqual(t, "decision of the cancelled request", prospect.Decision, string(workflows.DecisionAbandoned))

	terminated := p.submit(t, "terminated")
	p.awaitStatus(t, terminated, workflows.StatusAwaitingQualification)
	if out, err := p.temporalCLI(t, "workflow", "terminate", "--workflow-id", workflows.WorkflowID(terminated.id),
		"--reason", "integration test"); err != nil {
		t.Fatalf("terminate: %v\n%s", err, out)
	}
	again := p.post(t, requestBody(terminated.email), http.StatusAccepted)
	if again.ID == terminated.id || again.Duplicate {
		t.Errorf("submission after termination = %+v; want a new request", again)
	}
	prospect, _ = p.register(t).GetProspect(ctx, terminated.id)
	if prospect.Status != commerce.StatusRejected || prospect.Decision != string(workflows.DecisionAbandoned) {
		t.Errorf("terminated request in the register = %s %s; want Rejected, Abandoned", prospect.Status, prospect.Decision)
	}
	p.awaitStatus(t, submitted{id: again.ID, email: terminated.email}, workflows.StatusAwaitingQualification)
}

// TestDecisionWhoseLookupFailsIsNotLost: Sales refuses the lookups a Win
// webhook needs (the app's secret expired, then throttling) when it arrives.
// The decision is taken over all the same and delivered once Sales answers,
// long before the hourly Sales check.
func TestDecisionWhoseLookupFailsIsNotLost(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "lookup")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	p.qualify(t, st.LeadID)
	st = p.awaitStatus(t, r, workflows.StatusQualified)

	p.injectFault(t, `[{"kind":"fail","count":3,"method":"GET","entitySet":"leads","status":401,"code":"0x80072560","message":"The user is not authenticated."},`+
		`{"kind":"throttle","count":2,"method":"GET","entitySet":"leads","retryAfter":"2s"}]`)
	defer p.clearFaults(t)
	if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "won"); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusApproved)
	if st.Closing == nil || st.Closing.EventID == "" {
		t.Errorf("closing = %+v, want it brought by the webhook", st.Closing)
	}
}

// TestCrashedWorkerCostsSeconds kills the worker with SIGKILL while it
// creates a lead that Sales is slow to commit. The step's retry comes at the
// heartbeat timeout, not at the end of a minute, and the lead is not made twice.
func TestCrashedWorkerCostsSeconds(t *testing.T) {
	p := webhookProduct.get(t)
	p.injectFault(t, `{"kind":"hold","count":1,"delay":"2m"}`)
	defer p.clearFaults(t)

	r := p.submit(t, "crash")
	poll(t, "the lead create to be held", func() (bool, string) {
		resp, body := p.do(t, http.MethodGet, p.standinURL("/standin/faults"), nil)
		var status struct{ HeldCreates int }
		_ = json.Unmarshal(body, &status)
		return resp.StatusCode == http.StatusOK && status.HeldCreates == 1, string(body)
	})
	killed := time.Now()
	if err := p.stack.KillProcess("worker"); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.stack.StartWorker(ctx); err != nil {
		t.Fatal(err)
	}
	p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	t.Logf("lead created %s after the worker was killed", time.Since(killed).Round(100*time.Millisecond))

	// The held create commits now, after its client gave up: Sales refuses
	// it, as the request's lead exists under the same ID.
	p.clearFaults(t)
	assertEqual(t, "leads of the request", p.leadsOf(t, r.id), 1)
}

// TestUndecidedLeadRemindsSalesThenNeedsAttention waits on the patient
// stack: a reminder reaches the sales inbox, then the request needs an
// operator, who sends it back to Sales with the starter's retry.
func TestUndecidedLeadRemindsSalesThenNeedsAttention(t *testing.T) {
	p := patientProduct.get(t)
	r := p.submit(t, "reminder")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)

	msgs, err := p.mailpit.WaitForMessages(context.Background(), "to:"+salesInbox+" subject:"+`"Lead waiting"`, 1)
	if err != nil {
		t.Fatal(err)
	}
	full, err := p.mailpit.Message(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(full.Text, "main.aspx?pagetype=entityrecord&etn=lead&id="+st.LeadID) || !strings.Contains(full.Text, r.id) {
		t.Errorf("reminder does not link the lead or name the request:\n%s", full.Text)
	}

	st = p.awaitStatus(t, r, workflows.StatusNeedsAttention)
	if live := p.liveState(t, r); live.Attention == nil || live.Attention.Error != "no lead decision in Sales after 20s" {
		t.Errorf("attention = %+v", live.Attention)
	}
	p.assertSearchAttribute(t, r, workflows.StatusNeedsAttention)
	if out, err := p.starterCLI(t, "retry", r.id, "-reason", "seller on holiday, asked again"); err != nil {
		t.Fatalf("starter retry: %v\n%s", err, out)
	}
	st = p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusCannotContact); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusRejected)
	p.assertEmails(t, r, "receipt", "decline")
	p.recordHistory(t, r, "reminder")
}

// TestLongWaitContinuesAsNew: on the patient stack a waiting request
// continues as new within seconds and still ends right.
func TestLongWaitContinuesAsNew(t *testing.T) {
	p := patientProduct.get(t)
	ctx := context.Background()
	r := p.submit(t, "continued")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	first, err := p.temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(r.id), "")
	if err != nil {
		t.Fatal(err)
	}
	firstRun := first.GetWorkflowExecutionInfo().GetExecution().GetRunId()
	poll(t, "the request to continue as new", func() (bool, string) {
		d, err := p.temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(r.id), "")
		if err != nil {
			return false, err.Error()
		}
		return d.GetWorkflowExecutionInfo().GetExecution().GetRunId() != firstRun, "same run"
	})
	p.qualify(t, st.LeadID)
	st = p.awaitStatus(t, r, workflows.StatusQualified)
	if err := p.sales.WinOpportunity(ctx, st.OpportunityID, "won"); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusApproved)
	p.assertEmails(t, r, "receipt", "welcome")
	p.recordRun(t, workflows.WorkflowID(r.id), firstRun, "continue-as-new")
}

// TestLeadQualifiedAgainIsFollowed: the seller reopens a qualified lead and
// qualifies it into another opportunity. The second qualification's webhook
// is recorded as ignored, and the Sales check it prompts follows the new
// opportunity, whose win approves the partner.
func TestLeadQualifiedAgainIsFollowed(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "requalified")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	p.qualify(t, st.LeadID)
	first := p.awaitStatus(t, r, workflows.StatusQualified).OpportunityID

	p.salesAPI(t, http.MethodPatch, "leads("+st.LeadID+")", map[string]int{"statecode": 0, "statuscode": 1})
	q, err := p.sales.QualifyLead(context.Background(), st.LeadID)
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "the request to follow the new opportunity", func() (bool, string) {
		st = p.state(t, r)
		return st.OpportunityID == q.OpportunityID, st.OpportunityID
	})
	if err := p.sales.WinOpportunity(context.Background(), q.OpportunityID, "won"); err != nil {
		t.Fatal(err)
	}
	st = p.awaitCompletion(t, r)
	assertEqual(t, "status", st.Status, workflows.StatusApproved)
	found := false
	for _, s := range st.IgnoredSignals {
		found = found || s.ID == q.OpportunityID || s.ID == first
	}
	if !found {
		t.Errorf("ignored signals = %+v; want the qualification the request did not take at once", st.IgnoredSignals)
	}
	// The partner is the account and contact of the second qualification.
	assertEqual(t, "account", st.AccountID, q.AccountID)
	assertEqual(t, "contact", st.ContactID, q.ContactID)
	h, err := p.register(t).GetHierarchyByRequest(context.Background(), r.id)
	if err != nil || h.RootCustomerID != st.OrganizationCustomerID {
		t.Errorf("hierarchy = %+v, %v; want the second account's organization on top", h, err)
	}
	p.recordHistory(t, r, "requalified")
}
