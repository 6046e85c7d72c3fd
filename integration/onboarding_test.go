// Package integration runs the whole product as a user runs it: the Temporal
// dev server, Mailpit, the Sales stand-in, the worker and the starter as
// processes, driven only through their public interfaces.
package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	enumspb "go.temporal.io/api/enums/v1"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/api/contract"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail/mailpittest"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

var (
	updateHistories = flag.Bool("update-histories", false,
		"write the histories of the three paths to workflows/testdata for the replay test")
	historyPrefix = flag.String("history-prefix", "v3",
		"file name prefix of the recorded histories: a new workflow shape gets a new prefix")
)

// product is one running stack and the clients that reach it.
type product struct {
	stack    *stack.Stack
	temporal client.Client
	sales    *sales.Client
	mailpit  *mailpittest.Mailpit
	intake   string
	logs     *syncBuffer
}

// webhookProduct is the stack most tests share: webhooks move its requests,
// as the Sales check waits an hour.
var webhookProduct = lazyProduct{env: map[string]string{"SALES_CHECK_INTERVAL": "1h"}}

type lazyProduct struct {
	env      map[string]string
	temporal map[string]string // the dev server's dynamic config
	webUI    bool              // run the Temporal Web UI too
	once     sync.Once
	p        *product
	err      error
}

// get starts the stack on first use; TestMain stops it.
func (l *lazyProduct) get(t *testing.T) *product {
	t.Helper()
	if testing.Short() {
		t.Skip("integration test: starts the whole product; run without -short")
	}
	l.once.Do(func() { l.p, l.err = startProduct(l.env, l.temporal, l.webUI) })
	if l.err != nil {
		t.Fatal(l.err)
	}
	return l.p
}

func (l *lazyProduct) stop(failed bool) {
	if l.p != nil {
		l.p.stop(failed)
	}
}

func TestMain(m *testing.M) {
	flag.Parse()
	code := m.Run()
	products := []*lazyProduct{&webhookProduct, &checkingProduct, &patientProduct, &webUIProduct, &longWaitProduct}
	// No line of our processes' logs carries a requester's personal data,
	// whatever the tests made them do (errors of Sales and SMTP included).
	for _, l := range products {
		if l.p == nil {
			continue
		}
		if found := personalDataIn(l.p.logs.String()); len(found) > 0 {
			fmt.Fprintf(os.Stderr, "FAIL: personal data in the product's logs:\n%s\n", strings.Join(found, "\n"))
			code = 1
		}
	}
	for _, l := range products {
		l.stop(code != 0)
	}
	os.Exit(code)
}

func startProduct(env, dynamicConfig map[string]string, webUI bool) (*product, error) {
	root, err := stack.FindRepoRoot()
	if err != nil {
		return nil, err
	}
	dataDir, err := os.MkdirTemp("", "onboarding-integration-")
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	logs := &syncBuffer{buf: &bytes.Buffer{}}
	s, err := stack.StartOnFreePorts(ctx, stack.Options{
		RepoRoot: root,
		DataDir:  dataDir,
		Headless: !webUI,
		Log:      logs,
		Env:      env,

		TemporalDynamicConfig: dynamicConfig,
	})
	if err != nil {
		os.RemoveAll(dataDir)
		return nil, fmt.Errorf("start the product: %w\n%s", err, logs.String())
	}
	c, err := s.Client(ctx)
	if err != nil {
		s.Stop()
		return nil, err
	}
	salesClient, err := sales.New(sales.Config{
		EnvironmentURL: fmt.Sprintf("http://127.0.0.1:%d", s.Ports.Standin),
		TokenURL:       fmt.Sprintf("http://127.0.0.1:%d/local/oauth2/v2.0/token", s.Ports.Standin),
		ClientID:       "onboarding-worker",
		ClientSecret:   "local-secret",
	})
	if err != nil {
		s.Stop()
		return nil, err
	}
	return &product{
		stack:    s,
		temporal: c,
		sales:    salesClient,
		mailpit:  mailpittest.Connect(fmt.Sprintf("http://127.0.0.1:%d", s.Ports.MailpitHTTP)),
		intake:   s.URLs().Intake,
		logs:     logs,
	}, nil
}

// stop ends the stack and, when a test failed, shows what the processes said.
func (p *product) stop(failed bool) {
	p.temporal.Close()
	if err := p.stack.Stop(); err != nil {
		fmt.Fprintln(os.Stderr, "stop the product:", err)
	}
	if failed {
		fmt.Fprintf(os.Stderr, "process output:\n%s\n", p.logs.String())
	}
	os.RemoveAll(p.stack.DataDir)
}

func TestOnboardingEndToEnd(t *testing.T) {
	p := webhookProduct.get(t)

	t.Run("won", func(t *testing.T) {
		t.Parallel()
		r := p.submit(t, "won")
		p.approve(t, r)

		st := p.awaitCompletion(t, r)
		assertEqual(t, "decision", st.Decision, workflows.DecisionWon)
		p.assertCustomers(t, r, true)
		p.assertEmails(t, r, "receipt", "welcome")
		p.assertSearchAttribute(t, r, workflows.StatusApproved)
		p.recordHistory(t, r, "approved")
		// The register knew the lead and the opportunity: the receiver
		// signalled both decisions itself, without a SalesEvent workflow.
		p.assertNoSalesEvents(t, st.LeadID, st.OpportunityID)
		// The stand-in sends two webhooks per decision, as Dataverse does
		// (the message's and the record's Update): one signal each.
		if got := p.signalsIn(t, workflows.WorkflowID(r.id)); fmt.Sprint(got) != "[lead-qualified opportunity-won]" {
			t.Errorf("signals in the history = %v, want one per decision", got)
		}
	})

	t.Run("disqualified", func(t *testing.T) {
		t.Parallel()
		r := p.submit(t, "disqualified")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
			t.Fatal(err)
		}
		st = p.awaitStatus(t, r, workflows.StatusRejected)

		st = p.awaitCompletion(t, r)
		assertEqual(t, "decision", st.Decision, workflows.DecisionDisqualified)
		p.assertCustomers(t, r, false)
		p.assertEmails(t, r, "receipt", "decline")
		p.assertSearchAttribute(t, r, workflows.StatusRejected)
		p.recordHistory(t, r, "disqualified")
	})

	t.Run("lost", func(t *testing.T) {
		t.Parallel()
		r := p.submit(t, "lost")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		p.qualify(t, st.LeadID)
		st = p.awaitStatus(t, r, workflows.StatusQualified)
		if err := p.sales.LoseOpportunity(context.Background(), st.OpportunityID, "Went with another supplier"); err != nil {
			t.Fatal(err)
		}
		st = p.awaitStatus(t, r, workflows.StatusRejected)

		st = p.awaitCompletion(t, r)
		assertEqual(t, "decision", st.Decision, workflows.DecisionLost)
		p.assertCustomers(t, r, false)
		p.assertEmails(t, r, "receipt", "decline")
		p.recordHistory(t, r, "lost")
	})

	t.Run("pending duplicate", func(t *testing.T) {
		t.Parallel()
		r := p.submit(t, "duplicate")
		again := p.post(t, requestBody("  DUPLICATE@Partner.example "), http.StatusOK)
		assertEqual(t, "id of the second request", again.ID, r.id)
		if !again.Duplicate {
			t.Errorf("second request not marked duplicate: %+v", again)
		}
	})

	t.Run("invalid request", func(t *testing.T) {
		t.Parallel()
		resp, body := p.do(t, http.MethodPost, p.intake, []byte(`{"company":{"name":""},"requester":{"email":"not-an-email"}}`))
		assertEqual(t, "status", resp.StatusCode, http.StatusBadRequest)
		for _, field := range []string{"company.name", "requester.email", "requester.firstName", "company.address.countryCode"} {
			if !strings.Contains(string(body), `"`+field+`"`) {
				t.Errorf("400 body does not name %s: %s", field, body)
			}
		}
	})
}

type submitted struct {
	id    string
	email string
}

type accepted struct {
	ID        string           `json:"id"`
	Status    workflows.Status `json:"status"`
	Duplicate bool             `json:"duplicate"`
}

func requestBody(email string) []byte {
	b, _ := json.Marshal(map[string]any{
		"company": map[string]any{
			"name":    "Fabrikam Tools GmbH",
			"taxId":   "DE123456789",
			"address": map[string]string{"street": "Industriestr. 5", "city": "Köln", "postalCode": "50667", "countryCode": "de"},
		},
		"requester": map[string]string{
			"firstName": "Ada", "lastName": "Lovelace", "email": email, "phone": "+49 221 1234567", "jobTitle": "Purchasing",
		},
		"locale":   "en-GB",
		"comments": "We buy tools for 40 workshops.",
	})
	return b
}

func (p *product) submit(t *testing.T, name string) submitted {
	t.Helper()
	email := name + "@partner.example"
	a := p.post(t, requestBody(email), http.StatusAccepted)
	assertEqual(t, "status of a new request", a.Status, workflows.StatusReceived)
	return submitted{id: a.ID, email: email}
}

func (p *product) post(t *testing.T, body []byte, want int) accepted {
	t.Helper()
	resp, out := p.do(t, http.MethodPost, p.intake, body)
	if resp.StatusCode != want {
		t.Fatalf("POST %s = %d, want %d: %s", p.intake, resp.StatusCode, want, out)
	}
	var a accepted
	if err := json.Unmarshal(out, &a); err != nil {
		t.Fatal(err)
	}
	return a
}

// do sends one request; one to an intake carries the stack's API key, as
// the B2B site's do.
func (p *product) do(t *testing.T, method, url string, body []byte) (*http.Response, []byte) {
	t.Helper()
	header := http.Header{"Content-Type": {"application/json"}}
	if strings.Contains(url, "/v1/onboarding-requests") {
		header.Set("Authorization", "Bearer "+p.stack.URLs().IntakeKey)
	}
	return p.doWith(t, method, url, body, header)
}

// doWith sends one request with exactly the headers given.
func (p *product) doWith(t *testing.T, method, url string, body []byte, header http.Header) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header = header
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out bytes.Buffer
	_, _ = out.ReadFrom(resp.Body)
	if strings.HasPrefix(url, p.intake) {
		p.checkContract(t, req, body, resp, out.Bytes())
	}
	return resp, out.Bytes()
}

// checkContract holds a call to the intake and its answer to the API's
// OpenAPI document, which the shops that integrate it build against.
func (p *product) checkContract(t *testing.T, req *http.Request, body []byte, resp *http.Response, answer []byte) {
	t.Helper()
	doc, err := contract.Shared()
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Check(req, body, resp.StatusCode, resp.Header, answer); err != nil {
		t.Errorf("the intake and its OpenAPI document disagree: %v", err)
	}
}

// awaitStatus polls the request's state through the intake's GET.
func (p *product) awaitStatus(t *testing.T, r submitted, want workflows.Status) workflows.State {
	t.Helper()
	var st workflows.State
	poll(t, fmt.Sprintf("request %s to reach %s", r.id, want), func() (bool, string) {
		resp, body := p.do(t, http.MethodGet, p.intake+"/"+r.id, nil)
		if resp.StatusCode != http.StatusOK {
			return false, fmt.Sprintf("GET answered %d: %s", resp.StatusCode, body)
		}
		st = workflows.State{}
		if err := json.Unmarshal(body, &st); err != nil {
			return false, err.Error()
		}
		return st.Status == want, string(body)
	})
	return st
}

// awaitCompletion waits through the Temporal client for the workflow's result.
func (p *product) awaitCompletion(t *testing.T, r submitted) workflows.State {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var st workflows.State
	if err := p.temporal.GetWorkflow(ctx, workflows.WorkflowID(r.id), "").Get(ctx, &st); err != nil {
		t.Fatalf("workflow of request %s: %v", r.id, err)
	}
	return st
}

// approve plays the seller who qualifies the request's lead and wins its
// opportunity, and waits until the register shows it Approved.
func (p *product) approve(t *testing.T, r submitted) workflows.State {
	t.Helper()
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	p.qualify(t, st.LeadID)
	st = p.awaitStatus(t, r, workflows.StatusQualified)
	if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "Partner contract signed"); err != nil {
		t.Fatal(err)
	}
	return p.awaitStatus(t, r, workflows.StatusApproved)
}

func (p *product) qualify(t *testing.T, leadID string) {
	t.Helper()
	if leadID == "" {
		t.Fatal("the request has no lead")
	}
	if _, err := p.sales.QualifyLead(context.Background(), leadID); err != nil {
		t.Fatal(err)
	}
}

// assertCustomers checks the Commerce rows: a qualified request has one
// Person and one Organization customer; an approved one also one hierarchy
// with the organization on top and the requester as Admin.
func (p *product) assertCustomers(t *testing.T, r submitted, approved bool) {
	t.Helper()
	ctx := context.Background()
	store, err := commerce.Open(ctx, filepath.Join(p.stack.DataDir, "commerce.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()

	prospect, err := store.GetProspect(ctx, r.id)
	if err != nil {
		t.Fatal(err)
	}
	want := commerce.StatusRejected
	if approved {
		want = commerce.StatusApproved
	}
	assertEqual(t, "prospect status", prospect.Status, want)

	customers, err := store.ListCustomersByRequest(ctx, r.id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, c := range customers {
		kinds = append(kinds, string(c.Kind))
	}
	sort.Strings(kinds)
	_, hierarchyErr := store.GetHierarchyByRequest(ctx, r.id)
	if !approved {
		if hierarchyErr == nil {
			t.Error("a rejected request has a customer hierarchy")
		}
		return
	}
	if !slices.Equal(kinds, []string{"Organization", "Person"}) {
		t.Fatalf("customers = %v, want one Organization and one Person", kinds)
	}
	h, err := store.GetHierarchyByRequest(ctx, r.id)
	if err != nil {
		t.Fatal(err)
	}
	assertEqual(t, "hierarchy purpose", h.Purpose, commerce.PurposeB2BOrganization)
	for _, c := range customers {
		if c.Kind == commerce.KindOrganization {
			assertEqual(t, "hierarchy top", h.RootCustomerID, c.ID)
		}
		if c.Kind == commerce.KindPerson {
			assertEqual(t, "person's email", c.Email, r.email)
			if len(h.Members) != 1 || h.Members[0].CustomerID != c.ID || h.Members[0].Role != commerce.RoleAdmin {
				t.Errorf("hierarchy members = %+v, want the requester as Admin", h.Members)
			}
		}
	}
	amount, currency, err := store.GetCreditLimit(ctx, h.RootCustomerID)
	if err != nil {
		t.Fatal(err)
	}
	if amount <= 0 || currency == "" {
		t.Errorf("credit limit = %d %s, want the configured limit", amount, currency)
	}
}

// assertEmails checks that Mailpit holds exactly the expected emails for the
// requester, one of each kind.
func (p *product) assertEmails(t *testing.T, r submitted, kinds ...string) {
	t.Helper()
	ctx := context.Background()
	query := "to:" + r.email
	msgs, err := p.mailpit.WaitForMessages(ctx, query, len(kinds))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range msgs {
		full, err := p.mailpit.Message(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.Join(full.Headers["X-Onboarding-Email"], ","))
		if full.Text == "" || full.HTML == "" {
			t.Errorf("%s email lacks a text or HTML body", got[len(got)-1])
		}
		if !strings.Contains(full.MessageID, r.id) {
			t.Errorf("Message-ID %q is not derived from the request", full.MessageID)
		}
	}
	sort.Strings(got)
	want := slices.Clone(kinds)
	sort.Strings(want)
	if !slices.Equal(got, want) {
		t.Errorf("emails to the requester = %v, want exactly %v", got, want)
	}
}

// assertSearchAttribute checks that operations find the request by status.
func (p *product) assertSearchAttribute(t *testing.T, r submitted, status workflows.Status) {
	t.Helper()
	query := fmt.Sprintf("WorkflowId = '%s' AND OnboardingStatus = '%s'", workflows.WorkflowID(r.id), status)
	poll(t, "visibility query "+query, func() (bool, string) {
		resp, err := p.temporal.ListWorkflow(context.Background(), workflowListRequest(query))
		if err != nil {
			return false, err.Error()
		}
		return len(resp.Executions) == 1, fmt.Sprintf("%d executions", len(resp.Executions))
	})
}

// recordHistory exports the finished workflow's history with the temporal
// CLI, as operators would, when -update-histories is set. The codec server
// decrypts it: the replay tests read plain histories.
func (p *product) recordHistory(t *testing.T, r submitted, name string) {
	t.Helper()
	p.recordRun(t, workflows.WorkflowID(r.id), "", name)
}

// recordRun exports one run's history (the latest when runID is empty).
func (p *product) recordRun(t *testing.T, workflowID, runID, name string) {
	t.Helper()
	if !*updateHistories {
		return
	}
	root, err := stack.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	args := []string{"workflow", "show", "--output", "json",
		"--address", p.stack.URLs().TemporalAddress, "--workflow-id", workflowID,
		"--codec-endpoint", p.stack.CodecEndpoint(), "--codec-auth", p.stack.CodecAuth()}
	if runID != "" {
		args = append(args, "--run-id", runID)
	}
	out, err := exec.Command(p.stack.Tools.Temporal, args...).Output()
	if err != nil {
		t.Fatalf("export history: %v", err)
	}
	path := filepath.Join(root, "workflows", "testdata", *historyPrefix+"-"+name+".json")
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// recordCompleted exports the history of the completed workflow of a type
// whose ID contains part, when -update-histories is set.
func (p *product) recordCompleted(t *testing.T, workflowType, part, name string) {
	t.Helper()
	if !*updateHistories {
		return
	}
	query := fmt.Sprintf("WorkflowType = '%s' AND ExecutionStatus = 'Completed'", workflowType)
	var id string
	poll(t, "the "+workflowType+" workflow of "+part, func() (bool, string) {
		resp, err := p.temporal.ListWorkflow(context.Background(), workflowListRequest(query))
		if err != nil {
			return false, err.Error()
		}
		for _, e := range resp.Executions {
			if strings.Contains(e.GetExecution().GetWorkflowId(), part) {
				id = e.GetExecution().GetWorkflowId()
				return true, id
			}
		}
		return false, fmt.Sprintf("%d completed %s workflows", len(resp.Executions), workflowType)
	})
	p.recordRun(t, id, "", name)
}

// signalsIn lists the signals in the history of a workflow's current run.
func (p *product) signalsIn(t *testing.T, workflowID string) []string {
	t.Helper()
	var names []string
	it := p.temporal.GetWorkflowHistory(context.Background(), workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		if a := ev.GetWorkflowExecutionSignaledEventAttributes(); a != nil {
			names = append(names, a.GetSignalName())
		}
	}
	return names
}

// assertNoSalesEvents checks that no SalesEvent workflow took over a
// decision about these Sales records.
func (p *product) assertNoSalesEvents(t *testing.T, records ...string) {
	t.Helper()
	query := fmt.Sprintf("WorkflowType = '%s'", workflows.SalesEventWorkflowName)
	resp, err := p.temporal.ListWorkflow(context.Background(), workflowListRequest(query))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range resp.Executions {
		for _, r := range records {
			if id := e.GetExecution().GetWorkflowId(); strings.Contains(id, r) {
				t.Errorf("SalesEvent workflow %s took over a decision the receiver could deliver", id)
			}
		}
	}
}

// poll checks cond until it holds, failing after two minutes with the last
// thing it saw.
func poll(t *testing.T, what string, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	interval := 20 * time.Millisecond
	for {
		ok, seen := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s; last seen: %s", what, seen)
		}
		time.Sleep(interval)
		interval = min(interval*2, 500*time.Millisecond)
	}
}

func assertEqual[T comparable](t *testing.T, what string, got, want T) {
	t.Helper()
	if got != want {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}
