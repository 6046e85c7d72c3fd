package intake_test

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	workflowpb "go.temporal.io/api/workflow/v1"
	"go.temporal.io/api/workflowservice/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/api/contract"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/workflows"
)

type start struct {
	Options  client.StartWorkflowOptions
	Workflow any
	Args     []any
}

// fakeTemporal is a Temporal client that records starts and answers queries
// from states set by the test.
type fakeTemporal struct {
	client.Client // any other call panics: the intake must not make it

	mu       sync.Mutex
	startErr error
	queryErr error
	starts   []start
	queries  []string
	states   map[string]workflows.State // by workflow ID
	// closed are workflows that ran and ended, by workflow ID; results are
	// the states the completed ones returned.
	closed  map[string]enumspb.WorkflowExecutionStatus
	results map[string]workflows.State
}

func newFakeTemporal() *fakeTemporal {
	return &fakeTemporal{states: map[string]workflows.State{}, closed: map[string]enumspb.WorkflowExecutionStatus{},
		results: map[string]workflows.State{}}
}

// ExecuteWorkflow records a start; like Temporal under the start options'
// reuse policy, it refuses to start a workflow that closed.
func (f *fakeTemporal) ExecuteWorkflow(_ context.Context, o client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.closed[o.ID]; ok {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "run-1")
	}
	f.starts = append(f.starts, start{o, wf, args})
	return nil, f.startErr
}

func (f *fakeTemporal) DescribeWorkflowExecution(_ context.Context, workflowID, _ string) (*workflowservice.DescribeWorkflowExecutionResponse, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	status, ok := f.closed[workflowID]
	if !ok {
		for _, s := range f.starts {
			if s.Options.ID == workflowID && f.startErr == nil {
				status, ok = enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING, true
			}
		}
	}
	if !ok {
		return nil, serviceerror.NewNotFound("workflow not found for ID: " + workflowID)
	}
	return &workflowservice.DescribeWorkflowExecutionResponse{WorkflowExecutionInfo: &workflowpb.WorkflowExecutionInfo{
		Execution: &commonpb.WorkflowExecution{WorkflowId: workflowID, RunId: "run-1"}, Status: status}}, nil
}

func (f *fakeTemporal) GetWorkflow(_ context.Context, workflowID, _ string) client.WorkflowRun {
	f.mu.Lock()
	defer f.mu.Unlock()
	return fakeRun{result: f.results[workflowID]}
}

type fakeRun struct {
	client.WorkflowRun
	result workflows.State
}

func (r fakeRun) Get(_ context.Context, ptr any) error { return jsonValue{r.result}.Get(ptr) }

func (f *fakeTemporal) startedIDs() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	var ids []string
	for _, s := range f.starts {
		ids = append(ids, strings.TrimPrefix(s.Options.ID, "onboarding-"))
	}
	return ids
}

func (f *fakeTemporal) QueryWorkflow(_ context.Context, workflowID, _ string, queryType string, _ ...any) (converter.EncodedValue, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.queries = append(f.queries, workflowID+" "+queryType)
	if f.queryErr != nil {
		return nil, f.queryErr
	}
	st, ok := f.states[workflowID]
	if !ok || queryType != workflows.QueryState {
		return nil, serviceerror.NewNotFound("workflow not found for ID: " + workflowID)
	}
	return jsonValue{st}, nil
}

func (f *fakeTemporal) recorded() []start {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]start(nil), f.starts...)
}

// jsonValue is a query result as the SDK's JSON converter would decode it.
type jsonValue struct{ v any }

func (j jsonValue) HasValue() bool { return j.v != nil }

func (j jsonValue) Get(ptr any) error {
	b, err := json.Marshal(j.v)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, ptr)
}

type fixture struct {
	temporal *fakeTemporal
	store    *commerce.Store
	db       *sql.DB
	server   *httptest.Server
	// configure changes the service the fixture serves.
	configure func(*intake.Service)
}

// The B2B site's API keys in the tests: two, as during a rotation.
const (
	siteKey    = "site-key-7Qx2"
	rotatedKey = "site-key-9Lm4"
)

const checkEvery = 90 * time.Minute

func newFixture(t *testing.T, configure ...func(*intake.Service)) *fixture {
	t.Helper()
	path := filepath.Join(t.TempDir(), "commerce.db")
	store, err := commerce.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	f := &fixture{temporal: newFakeTemporal(), store: store, db: db, configure: func(s *intake.Service) {
		for _, c := range configure {
			c(s)
		}
	}}
	mux := http.NewServeMux()
	f.service().Routes(mux)
	// Every call of every test, and its answer, is held to the OpenAPI
	// document the integrating shops build against.
	doc, err := contract.Shared()
	if err != nil {
		t.Fatal(err)
	}
	f.server = httptest.NewServer(doc.Handler(mux, func(err error) { t.Error(err) }))
	t.Cleanup(func() { f.server.Close(); db.Close(); store.Close() })
	return f
}

func (f *fixture) service() *intake.Service {
	s := &intake.Service{Temporal: f.temporal, Register: f.store, Partners: f.store, Users: f.store, Timing: workflows.Timing{SalesCheckInterval: checkEvery},
		Logger: slog.New(slog.DiscardHandler), Keys: []string{siteKey, rotatedKey}, ReceiptsPerAddress: 3}
	f.configure(s)
	return s
}

func (f *fixture) rows(t *testing.T) int {
	t.Helper()
	var n int
	if err := f.db.QueryRow(`SELECT COUNT(*) FROM prospects`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

type answer struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Duplicate bool   `json:"duplicate"`
	Error     string `json:"error"`
	Fields    []intake.FieldError
}

// do calls the intake as the B2B site does, with its API key.
func (f *fixture) do(t *testing.T, method, path, contentType, body string) (int, answer, []byte) {
	t.Helper()
	resp, a, raw := f.call(t, method, path, body, http.Header{"Content-Type": {contentType}, "Authorization": {"Bearer " + siteKey}})
	return resp.StatusCode, a, raw
}

// call sends one call with exactly the headers given.
func (f *fixture) call(t *testing.T, method, path, body string, header http.Header) (*http.Response, answer, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, f.server.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, vs := range header {
		for _, v := range vs {
			if v != "" {
				req.Header.Add(k, v)
			}
		}
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var raw bytes.Buffer
	if _, err := raw.ReadFrom(resp.Body); err != nil {
		t.Fatal(err)
	}
	var a answer
	if err := json.Unmarshal(raw.Bytes(), &a); err != nil {
		t.Fatalf("%s %s: answer is not JSON: %s", method, path, raw.Bytes())
	}
	return resp, a, raw.Bytes()
}

func (f *fixture) submit(t *testing.T, body string) (int, answer) {
	t.Helper()
	code, a, _ := f.do(t, http.MethodPost, "/v1/onboarding-requests", "application/json", body)
	return code, a
}

// requestJSON is a request as the B2B site sends it, with untrimmed text
// and the email in the form given.
func requestJSON(email string) string {
	return `{
  "company": {"name": " Contoso Supplies B.V.", "taxId": "NL123456789B01",
    "address": {"street": "Coolsingel 40", "city": "Rotterdam", "postalCode": "3011 AD", "countryCode": "nl"}},
  "requester": {"firstName": "Mia", "lastName": "Jansen", "email": "` + email + `",
    "phone": "+31 10 123 4567", "jobTitle": "Head of Purchasing"},
  "comments": "We buy about 400 units a month. "
}`
}

func TestSubmitStartsOnboarding(t *testing.T) {
	f := newFixture(t)
	before := time.Now().UTC()
	code, a := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	after := time.Now().UTC()
	if code != http.StatusAccepted || a.Status != "Received" || a.Duplicate {
		t.Fatalf("answer = %d %+v", code, a)
	}
	if _, err := uuid.Parse(a.ID); err != nil {
		t.Fatalf("id %q is not a UUID", a.ID)
	}

	if n := f.rows(t); n != 1 {
		t.Errorf("prospect rows = %d", n)
	}
	p, err := f.store.GetProspect(context.Background(), a.ID)
	if err != nil || p.Status != commerce.StatusReceived || p.CompanyName != "Contoso Supplies B.V." ||
		p.CountryCode != "NL" || p.Email != "mia.jansen@contoso.example" || p.Locale != "en" {
		t.Errorf("prospect = %+v, %v", p, err)
	}

	starts := f.temporal.recorded()
	if len(starts) != 1 {
		t.Fatalf("starts = %+v; want one", starts)
	}
	o := starts[0].Options
	if o.ID != workflows.WorkflowID(a.ID) || o.TaskQueue != workflows.TaskQueue ||
		o.WorkflowIDConflictPolicy != enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING ||
		starts[0].Workflow != workflows.WorkflowName {
		t.Errorf("start = %+v", starts[0])
	}
	if len(starts[0].Args) != 1 {
		t.Fatalf("args = %+v", starts[0].Args)
	}
	got, ok := starts[0].Args[0].(workflows.Request)
	if !ok {
		t.Fatalf("input is %T", starts[0].Args[0])
	}
	if got.ReceivedAt.Before(before) || got.ReceivedAt.After(after) {
		t.Errorf("ReceivedAt = %v; want between %v and %v", got.ReceivedAt, before, after)
	}
	// The workflow gets the claim; the register has the request, trimmed
	// and with its defaults.
	claim := workflows.Request{RequestID: a.ID, ReceivedAt: got.ReceivedAt}
	claim.SalesCheckInterval = checkEvery
	if !reflect.DeepEqual(got, claim) {
		t.Errorf("input = %+v\nwant    %+v", got, claim)
	}
	want := validRequest()
	want.RequestID, want.Locale, want.Comments = a.ID, "en", "We buy about 400 units a month."
	registered := activities.RequestOf(p)
	registered.ReceivedAt = time.Time{}
	if !reflect.DeepEqual(registered, want) {
		t.Errorf("registered = %+v\nwant         %+v", registered, want)
	}
}

func TestSubmitInvalid(t *testing.T) {
	f := newFixture(t)
	code, a := f.submit(t, `{"company": {"name": "", "address": {"street": "Coolsingel 40", "city": "Rotterdam",
		"postalCode": "3011 AD", "countryCode": "Netherlands"}},
		"requester": {"firstName": "Mia", "lastName": "Jansen", "email": "mia.jansen@", "phone": "n/a"}, "locale": "nl NL"}`)
	want := []intake.FieldError{
		{Field: "company.name"}, {Field: "company.address.countryCode"},
		{Field: "requester.email"}, {Field: "requester.phone"}, {Field: "locale"},
	}
	if code != http.StatusBadRequest || len(a.Fields) != len(want) {
		t.Fatalf("answer = %d %+v", code, a)
	}
	for i, e := range a.Fields {
		if e.Field != want[i].Field || e.Message == "" {
			t.Errorf("field %d = %+v; want %s", i, e, want[i].Field)
		}
	}
	if n := f.rows(t); n != 0 {
		t.Errorf("prospect rows = %d; want none", n)
	}
	if s := f.temporal.recorded(); len(s) != 0 {
		t.Errorf("starts = %+v; want none", s)
	}
}

func TestSubmitRefusesBadJSON(t *testing.T) {
	valid := requestJSON("mia.jansen@contoso.example")
	for _, tc := range []struct {
		name, contentType, body, field, message string
	}{
		{"unknown field", "application/json", strings.Replace(valid, `"comments"`, `"companyName": "Contoso", "comments"`, 1), "companyName", "not a known field"},
		{"unknown nested field", "application/json", strings.Replace(valid, `"jobTitle"`, `"title": "Ms", "jobTitle"`, 1), "title", "not a known field"},
		// The workflow's own fields are not the site's to set: a resumed state
		// would skip Sales' decision.
		{"resume", "application/json", strings.Replace(valid, `"comments"`, `"resume": {"status": "Approved", "decision": "OpportunityWon"}, "comments"`, 1), "resume", "not a known field"},
		{"id", "application/json", strings.Replace(valid, `"comments"`, `"id": "7d1e4f6a-0000-4000-8000-000000000001", "comments"`, 1), "id", "not a known field"},
		{"check interval", "application/json", strings.Replace(valid, `"comments"`, `"salesCheckInterval": 1, "comments"`, 1), "salesCheckInterval", "not a known field"},
		{"number for text", "application/json", strings.Replace(valid, `"postalCode": "3011 AD"`, `"postalCode": 3011`, 1), "company.address.postalCode", "string"},
		{"text for object", "application/json", strings.Replace(valid, `"requester": {`, `"requester": "Mia", "x": {`, 1), "requester", "object"},
		{"not JSON", "application/json", "company=Contoso", "body", "not valid JSON"},
		{"empty", "application/json", "", "body", "empty"},
		{"two objects", "application/json", valid + valid, "body", "extra data"},
		{"form", "application/x-www-form-urlencoded", valid, "body", "JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFixture(t)
			code, a, raw := f.do(t, http.MethodPost, "/v1/onboarding-requests", tc.contentType, tc.body)
			if code != http.StatusBadRequest || len(a.Fields) != 1 || a.Fields[0].Field != tc.field ||
				!strings.Contains(a.Fields[0].Message, tc.message) {
				t.Errorf("answer = %d %s; want 400 naming %s (%s)", code, raw, tc.field, tc.message)
			}
			if n := f.rows(t); n != 0 {
				t.Errorf("prospect rows = %d; want none", n)
			}
			if s := f.temporal.recorded(); len(s) != 0 {
				t.Errorf("starts = %+v; want none", s)
			}
		})
	}
}

func TestSubmitPendingDuplicate(t *testing.T) {
	f := newFixture(t)
	code, first := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusAccepted {
		t.Fatalf("first = %d %+v", code, first)
	}
	code, again := f.submit(t, strings.Replace(requestJSON("  Mia.Jansen@CONTOSO.example "), "Contoso Supplies", "Contoso Trading", 1))
	if code != http.StatusOK || again.ID != first.ID || !again.Duplicate || again.Status != "Received" {
		t.Errorf("duplicate = %d %+v; want 200 with %s", code, again, first.ID)
	}
	if n := f.rows(t); n != 1 {
		t.Errorf("prospect rows = %d; want 1", n)
	}
	// The start is repeated for the pending request only: it joins its workflow.
	starts := f.temporal.recorded()
	if len(starts) != 2 || starts[1].Options.ID != workflows.WorkflowID(first.ID) ||
		starts[1].Args[0].(workflows.Request).RequestID != first.ID {
		t.Errorf("starts = %+v", starts)
	}
	if p, err := f.store.GetProspect(context.Background(), first.ID); err != nil || p.CompanyName != "Contoso Supplies B.V." {
		t.Errorf("register = %+v, %v; want the first submission's company", p, err)
	}

	// A decided request lets the same requester apply again.
	if err := f.store.SetProspectStatus(context.Background(), first.ID, commerce.StatusRejected, "OpportunityLost"); err != nil {
		t.Fatal(err)
	}
	code, next := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusAccepted || next.ID == first.ID || next.Duplicate {
		t.Errorf("after rejection = %d %+v; want 202 with a new ID", code, next)
	}
	if n := f.rows(t); n != 2 {
		t.Errorf("prospect rows = %d; want 2", n)
	}
	if starts := f.temporal.recorded(); len(starts) != 3 || starts[2].Options.ID != workflows.WorkflowID(next.ID) {
		t.Errorf("starts = %+v", starts)
	}
}

func TestSubmitWhileTemporalIsDown(t *testing.T) {
	f := newFixture(t)
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	code, a := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusServiceUnavailable || a.ID != "" {
		t.Fatalf("answer = %d %+v; want 503", code, a)
	}
	if n := f.rows(t); n != 1 {
		t.Fatalf("prospect rows = %d; want the request kept", n)
	}
	first := f.temporal.recorded()[0].Args[0].(workflows.Request)
	registered, err := f.store.GetProspect(context.Background(), first.RequestID)
	if err != nil {
		t.Fatal(err)
	}

	f.temporal.startErr = nil
	code, again := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusOK || again.ID != first.RequestID || !again.Duplicate {
		t.Fatalf("resubmission = %d %+v; want the first request's ID %s", code, again, first.RequestID)
	}
	starts := f.temporal.recorded()
	if len(starts) != 2 || starts[1].Options.ID != workflows.WorkflowID(first.RequestID) {
		t.Fatalf("starts = %+v; want the same workflow started again", starts)
	}
	// The started input is the registered request, received when it was first sent.
	healed := starts[1].Args[0].(workflows.Request)
	want := first
	want.ReceivedAt = registered.CreatedAt
	if !reflect.DeepEqual(healed, want) {
		t.Errorf("healed input = %+v\nwant           %+v", healed, want)
	}
	if n := f.rows(t); n != 1 {
		t.Errorf("prospect rows = %d", n)
	}
}

func TestResumeUnstartedStartsRequestsWhoseStartFailed(t *testing.T) {
	f := newFixture(t)
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	if code, _ := f.submit(t, requestJSON("mia.jansen@contoso.example")); code != http.StatusServiceUnavailable {
		t.Fatalf("submit = %d; want 503", code)
	}
	id := f.temporal.recorded()[0].Args[0].(workflows.Request).RequestID
	// A request that moved on is not started again.
	f.temporal.startErr = nil
	if code, _ := f.submit(t, requestJSON("other@contoso.example")); code != http.StatusAccepted {
		t.Fatalf("second submit = %d", code)
	}
	other := f.temporal.recorded()[1].Args[0].(workflows.Request).RequestID
	if err := f.store.SetProspectStatus(context.Background(), other, commerce.StatusAwaitingQualification, ""); err != nil {
		t.Fatal(err)
	}

	if err := f.store.MarkProspectStarted(context.Background(), other); err != nil {
		t.Fatal(err)
	}
	service := f.service()
	n, err := service.ResumeUnstarted(context.Background(), -time.Minute)
	if err != nil || n != 1 {
		t.Fatalf("resumed %d, %v; want 1", n, err)
	}
	starts := f.temporal.recorded()
	last := starts[len(starts)-1]
	if len(starts) != 3 || last.Options.ID != workflows.WorkflowID(id) || last.Args[0].(workflows.Request).RequestID != id {
		t.Errorf("starts = %+v; want the failed request started again", starts)
	}
	if n, _ := service.ResumeUnstarted(context.Background(), time.Hour); n != 0 {
		t.Errorf("resumed %d requests registered less than an hour ago; want none", n)
	}
}

func TestSubmitRegisterFailure(t *testing.T) {
	f := newFixture(t)
	// A register that cannot write: the request must not be started unregistered.
	if _, err := f.db.Exec(`DROP TABLE prospects`); err != nil {
		t.Fatal(err)
	}
	if code, _ := f.submit(t, requestJSON("mia.jansen@contoso.example")); code != http.StatusServiceUnavailable {
		t.Errorf("status = %d; want 503", code)
	}
	if s := f.temporal.recorded(); len(s) != 0 {
		t.Errorf("starts = %+v; want none", s)
	}
}

func TestShow(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	get := func(id string) (int, []byte) {
		t.Helper()
		code, _, raw := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+id, "", "")
		return code, raw
	}
	state := func(raw []byte) map[string]any {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(raw, &m); err != nil {
			t.Fatal(err)
		}
		return m
	}

	for _, id := range []string{"42", "mia.jansen@contoso.example", "7d1e4f6a-0000-4000-8000"} {
		if code, _ := get(id); code != http.StatusBadRequest {
			t.Errorf("GET %s = %d; want 400", id, code)
		}
	}
	if code, _ := get(uuid.NewString()); code != http.StatusNotFound {
		t.Errorf("unknown = %d; want 404", code)
	}

	// Registered, not started.
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	f.submit(t, requestJSON("mia.jansen@contoso.example"))
	id := f.temporal.recorded()[0].Args[0].(workflows.Request).RequestID
	if code, raw := get(id); code != http.StatusOK || state(raw)["id"] != id || state(raw)["status"] != "Received" {
		t.Errorf("registered = %d %s", code, raw)
	}
	if err := f.store.SetProspectLead(ctx, id, "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60"); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetProspectStatus(ctx, id, commerce.StatusAwaitingQualification, ""); err != nil {
		t.Fatal(err)
	}
	// IDs in another form name the same request.
	code, raw := get(strings.ToUpper(id))
	if m := state(raw); code != http.StatusOK || m["id"] != id || m["status"] != "AwaitingQualification" ||
		m["leadId"] != "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60" {
		t.Errorf("registered, upper case = %d %s", code, raw)
	}

	// Running: the register answers, and the workflow is never queried,
	// whatever it holds.
	f.temporal.mu.Lock()
	f.temporal.states[workflows.WorkflowID(id)] = workflows.State{RequestID: id, Status: workflows.StatusQualified}
	f.temporal.mu.Unlock()
	for range 3 {
		code, raw = get(id)
		if m := state(raw); code != http.StatusOK || m["status"] != "AwaitingQualification" || m["leadId"] != "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60" {
			t.Errorf("running = %d %s; want the register's state", code, raw)
		}
	}
	f.temporal.mu.Lock()
	if len(f.temporal.queries) != 0 {
		t.Errorf("GET queried the workflow: %v", f.temporal.queries)
	}
	f.temporal.mu.Unlock()
	if code, _ := get(uuid.NewString()); code != http.StatusNotFound {
		t.Errorf("unknown request = %d; want 404", code)
	}
}

func TestShowAddsDecisionsThatCameAfterClosing(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, a := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	id := a.ID
	if err := f.store.SetProspectStatus(ctx, id, commerce.StatusApproved, "OpportunityWon"); err != nil {
		t.Fatal(err)
	}
	for _, e := range []commerce.SalesEvent{
		{EventID: "event-won", RequestID: id, Signal: workflows.SignalOpportunityWon, RecordID: "opp-1", Outcome: commerce.EventDelivered},
		{EventID: "event-lost", RequestID: id, Signal: workflows.SignalOpportunityLost, RecordID: "opp-1", Outcome: commerce.EventRequestClosed},
	} {
		if err := f.store.RecordSalesEvent(ctx, e); err != nil {
			t.Fatal(err)
		}
	}

	code, _, raw := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+id, "", "")
	var st workflows.State
	if err := json.Unmarshal(raw, &st); err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d %s (%v)", code, raw, err)
	}
	if len(st.IgnoredSignals) != 1 || st.IgnoredSignals[0].Signal != workflows.SignalOpportunityLost || st.IgnoredSignals[0].ID != "opp-1" {
		t.Errorf("ignored signals = %+v; want only the loss that came after closing", st.IgnoredSignals)
	}
}

func validRequest() workflows.Request {
	return workflows.Request{
		Company: workflows.Company{Name: "Contoso Supplies B.V.", TaxID: "NL123456789B01", Address: workflows.Address{
			Street: "Coolsingel 40", City: "Rotterdam", PostalCode: "3011 AD", CountryCode: "NL"}},
		Requester: workflows.Requester{FirstName: "Mia", LastName: "Jansen", Email: "mia.jansen@contoso.example",
			Phone: "+31 10 123 4567", JobTitle: "Head of Purchasing"},
		Locale:   "nl-NL",
		Comments: "We buy about 400 units a month.",
	}
}

func jsonValueOf(raw []byte, v any) error { return json.Unmarshal(raw, v) }

// The workflow's input is the request's claim: Temporal's history never
// holds the requester's data, which the register keeps.
func TestWorkflowStartsWithTheClaimOnly(t *testing.T) {
	f := newFixture(t)
	code, accepted := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusAccepted {
		t.Fatalf("submit = %d %+v", code, accepted)
	}
	starts := f.temporal.recorded()
	if len(starts) != 1 {
		t.Fatalf("starts = %+v", starts)
	}
	req := starts[0].Args[0].(workflows.Request)
	if req.RequestID != accepted.ID || !req.IsClaim() || req.ReceivedAt.IsZero() {
		t.Errorf("workflow input = %+v; want the claim of %s", req, accepted.ID)
	}
	input, err := json.Marshal(starts[0].Args)
	if err != nil {
		t.Fatal(err)
	}
	for _, personal := range []string{"mia.jansen", "Mia", "Jansen", "Contoso"} {
		if strings.Contains(string(input), personal) {
			t.Errorf("workflow input %s holds %q", input, personal)
		}
	}
	if p, err := f.store.GetProspect(context.Background(), accepted.ID); err != nil || p.Email != "mia.jansen@contoso.example" {
		t.Errorf("register = %+v, %v; want the request's data", p, err)
	}
}
