package activities_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/mail/mailpittest"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/workflows"
)

const (
	salesClientID     = "onboarding-worker"
	salesClientSecret = "local-secret"
	mailFrom          = "B2B Shop <partners@shop.example>"
	messageIDDomain   = "shop.example"
)

// testConfig gives the organization a credit limit of 2,500.00 EUR.
var testConfig = activities.Config{
	CreditLimit:         250000,
	CreditLimitCurrency: "EUR",
	ShopName:            "B2B Shop",
	MessageIDDomain:     messageIDDomain,
	SignInURL:           "https://shop.example/sign-in",
}

// fixture is the activities wired to real adapters: Commerce on SQLite, the
// Sales stand-in over HTTP and a Mailpit over SMTP.
type fixture struct {
	t       *testing.T
	ctx     context.Context
	store   *commerce.Store
	si      *salesstandin.Server
	standin *httptest.Server
	sales   *sales.Client
	mailpit *mailpittest.Mailpit
	mailer  *mail.Sender
	acts    *activities.Activities
	env     *testsuite.TestActivityEnvironment
}

func newFixture(t *testing.T, mailpitFlags ...string) *fixture {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	f := &fixture{t: t, ctx: ctx}

	store, err := commerce.Open(ctx, filepath.Join(t.TempDir(), "commerce.db"))
	if err != nil {
		t.Fatalf("open commerce: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	f.store = store

	si, err := salesstandin.New(salesstandin.Config{DataDir: t.TempDir(), ClientID: salesClientID,
		ClientSecret: salesClientSecret, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("sales stand-in: %v", err)
	}
	f.si = si
	f.standin = httptest.NewServer(si.Handler())
	t.Cleanup(func() { f.standin.Close(); si.Close() })
	f.sales = newSalesClient(t, f.standin.URL, salesClientSecret)

	f.mailpit = mailpittest.Start(t, mailpitFlags...)
	f.mailer = newMailer(t, f.mailpit.SMTPHost, f.mailpit.SMTPPort)

	f.acts, f.env = newActivities(t, f.store, f.sales, f.mailer)
	return f
}

func newSalesClient(t *testing.T, baseURL, secret string) *sales.Client {
	t.Helper()
	c, err := sales.New(sales.Config{EnvironmentURL: baseURL, TokenURL: baseURL + "/local/oauth2/v2.0/token",
		ClientID: salesClientID, ClientSecret: secret, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("sales client: %v", err)
	}
	return c
}

func newMailer(t *testing.T, host string, port int) *mail.Sender {
	t.Helper()
	m, err := mail.NewSender(mail.Config{Host: host, Port: port, TLS: mail.TLSNone, From: mailFrom, Timeout: 10 * time.Second})
	if err != nil {
		t.Fatalf("mail sender: %v", err)
	}
	return m
}

// newActivities registers the activities in their own test environment, so
// that activity.GetInfo works as under a worker.
func newActivities(t *testing.T, store *commerce.Store, s activities.Sales, m activities.Mailer) (*activities.Activities, *testsuite.TestActivityEnvironment) {
	t.Helper()
	acts, err := activities.New(store, s, m, testConfig)
	if err != nil {
		t.Fatalf("activities: %v", err)
	}
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestActivityEnvironment()
	acts.Register(env)
	return acts, env
}

// run executes the named activity and decodes its result into out, if given.
func run(env *testsuite.TestActivityEnvironment, name string, in any, out any) error {
	val, err := env.ExecuteActivity(name, in)
	if err != nil {
		return err
	}
	if out != nil {
		return val.Get(out)
	}
	return nil
}

func (f *fixture) run(name string, in any, out any) error { return run(f.env, name, in, out) }

// mustRun fails the test when the activity fails.
func (f *fixture) mustRun(name string, in any, out any) {
	f.t.Helper()
	if err := f.run(name, in, out); err != nil {
		f.t.Fatalf("%s: %v", name, err)
	}
}

// newRequest is a request with a fresh ID and requester email, so that
// requests in one test never count as pending duplicates of each other.
func newRequest(locale string) workflows.Request {
	id := uuid.NewString()
	return workflows.Request{
		RequestID: id,
		Company: workflows.Company{
			Name:  "Muster Werkzeuge GmbH",
			TaxID: "DE123456789",
			Address: workflows.Address{Street: "Hauptstraße 1", City: "Köln", PostalCode: "50667",
				CountryCode: "DE"},
		},
		Requester: workflows.Requester{FirstName: "Ada", LastName: "Muster", Email: "ada." + id[:8] + "@example.com",
			Phone: "+49 221 123456", JobTitle: "Head of Purchasing"},
		Locale:     locale,
		Comments:   "We buy tools for 40 workshops.",
		ReceivedAt: time.Date(2025, 3, 1, 9, 30, 0, 0, time.UTC),
	}
}

// registered registers the request as the workflow's first step does.
func (f *fixture) registered(locale string) workflows.Request {
	f.t.Helper()
	req := newRequest(locale)
	f.mustRun(workflows.ActivityRegisterProspect, req, nil)
	return req
}

// withLead registers the request and creates its lead.
func (f *fixture) withLead(locale string) (workflows.Request, string) {
	f.t.Helper()
	req := f.registered(locale)
	var leadID string
	f.mustRun(workflows.ActivityCreateLead, req, &leadID)
	return req, leadID
}

// qualified registers the request, creates its lead and qualifies it in Sales
// as a seller does.
func (f *fixture) qualified() (workflows.Request, string, sales.Qualification) {
	f.t.Helper()
	req, leadID := f.withLead("en")
	q, err := f.sales.QualifyLead(f.ctx, leadID)
	if err != nil {
		f.t.Fatalf("qualify lead: %v", err)
	}
	return req, leadID, q
}

// imported qualifies a request's lead in Sales, imports its contact and
// account as customers, and gives the hierarchy step's input for them.
func (f *fixture) imported() (workflows.Request, sales.Qualification, workflows.Customers, workflows.HierarchyInput) {
	f.t.Helper()
	req, _, q := f.qualified()
	var cs workflows.Customers
	f.mustRun(workflows.ActivityImportCustomers, workflows.ImportCustomersInput{RequestID: req.RequestID,
		OpportunityID: q.OpportunityID, ContactID: q.ContactID, AccountID: q.AccountID}, &cs)
	return req, q, cs, workflows.HierarchyInput{RequestID: req.RequestID, OrganizationCustomerID: cs.OrganizationCustomerID,
		PersonCustomerID: cs.PersonCustomerID}
}

// leadsOfProspect asks the stand-in's Web API directly, without the client
// under test, for every lead that carries the prospect ID.
func (f *fixture) leadsOfProspect(prospectID string) []map[string]any {
	f.t.Helper()
	filter := sales.DefaultProspectIDColumn + " eq '" + strings.ReplaceAll(prospectID, "'", "''") + "'"
	q := url.Values{"$filter": {filter}, "$select": {"leadid," + sales.DefaultProspectIDColumn}}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodGet,
		f.standin.URL+"/api/data/v9.2/leads?"+strings.ReplaceAll(q.Encode(), "+", "%20"), nil)
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.salesToken())
	var page struct {
		Value []map[string]any `json:"value"`
	}
	f.getJSON(req, &page)
	return page.Value
}

func (f *fixture) salesToken() string {
	f.t.Helper()
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {salesClientID},
		"client_secret": {salesClientSecret}, "scope": {f.standin.URL + "/.default"}}
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPost, f.standin.URL+"/local/oauth2/v2.0/token",
		strings.NewReader(form.Encode()))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	f.getJSON(req, &tok)
	return tok.AccessToken
}

func (f *fixture) getJSON(req *http.Request, out any) {
	f.t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		f.t.Fatalf("%s %s: %s: %s", req.Method, req.URL, resp.Status, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		f.t.Fatalf("%s %s: %v in %s", req.Method, req.URL, err, body)
	}
}

// sellerPage is the stand-in's page for sellers, which lists "All Commerce
// B2B leads".
func (f *fixture) sellerPage() string {
	f.t.Helper()
	resp, err := http.Get(f.standin.URL + "/")
	if err != nil {
		f.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(body)
}

// applicationError unwraps the error an activity returned to the workflow.
func applicationError(t *testing.T, err error) *temporal.ApplicationError {
	t.Helper()
	if err == nil {
		t.Fatal("the activity succeeded, want an error")
	}
	var appErr *temporal.ApplicationError
	if !errors.As(err, &appErr) {
		t.Fatalf("err = %v (%T), want a *temporal.ApplicationError inside", err, err)
	}
	return appErr
}

// wantPermanent asserts a non-retryable error of the given type.
func wantPermanent(t *testing.T, err error, errType string) {
	t.Helper()
	appErr := applicationError(t, err)
	if !appErr.NonRetryable() || appErr.Type() != errType {
		t.Errorf("err = %v (type %q, non-retryable %v), want a non-retryable %s", err, appErr.Type(),
			appErr.NonRetryable(), errType)
	}
}

// wantRetryable asserts an error that Temporal retries.
func wantRetryable(t *testing.T, err error) {
	t.Helper()
	appErr := applicationError(t, err)
	if appErr.NonRetryable() {
		t.Errorf("err = %v (type %q) is non-retryable, want a retryable error", err, appErr.Type())
	}
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

// closedURL is the URL of a server that has gone away.
func closedURL(t *testing.T) string {
	return "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(closedPort(t)))
}
