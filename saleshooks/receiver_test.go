package saleshooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

const hookKey = "k3y-2024-primary"

type receiverFixture struct {
	events   *commerce.Store
	signaler *fakeSignaler
	resolver *countingResolver
	sales    *sales.Client
	server   *httptest.Server
}

// newReceiver serves a Receiver whose Resolver is the Sales stand-in.
func newReceiver(t *testing.T, configure func(*saleshooks.Receiver)) *receiverFixture {
	t.Helper()
	_, _, c := standin(t, "", "")
	f := &receiverFixture{events: openEvents(t), signaler: newSignaler(), resolver: &countingResolver{sales: c}, sales: c}
	rc := &saleshooks.Receiver{Temporal: f.signaler, Sales: f.resolver, Events: f.events,
		Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
	if configure != nil {
		configure(rc)
	}
	mux := http.NewServeMux()
	rc.Routes(mux)
	f.server = httptest.NewServer(mux)
	t.Cleanup(f.server.Close)
	return f
}

// post sends body as Dataverse does, with the key as the code query parameter when key is set.
func (f *receiverFixture) post(t *testing.T, key string, body []byte, header http.Header) int {
	t.Helper()
	target := f.server.URL + "/v1/hooks/dataverse"
	if key != "" {
		target += "?code=" + url.QueryEscape(key)
	}
	req, err := http.NewRequest(http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("x-ms-dynamics-organization", "unq2c3d4e5f60714829")
	for k, v := range header {
		req.Header[k] = v
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var answer map[string]string
	if err := json.NewDecoder(resp.Body).Decode(&answer); err != nil || answer["result"] == "" {
		t.Errorf("answer is not the receiver's JSON: %v %v", answer, err)
	}
	return resp.StatusCode
}

func (f *receiverFixture) expectNoSignal(t *testing.T) {
	t.Helper()
	if s := f.signaler.all(); len(s) != 0 {
		t.Errorf("signals = %+v; want none", s)
	}
}

// qualifiedLead makes a Commerce B2B lead in Sales and qualifies it.
func (f *receiverFixture) qualifiedLead(t *testing.T, prospect string) (string, sales.Qualification) {
	t.Helper()
	lead := newLead(t, f.sales, prospect)
	q, err := f.sales.QualifyLead(context.Background(), lead)
	if err != nil {
		t.Fatal(err)
	}
	return lead, q
}

func TestReceiverDeliversQualification(t *testing.T) {
	f := newReceiver(t, nil)
	if code := f.post(t, hookKey, readBody(t, "qualifylead.json"), nil); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	want := signal{WorkflowID: workflows.WorkflowID(fileProspect), Name: workflows.SignalLeadQualified,
		Arg: workflows.LeadQualified{LeadID: fileLead, OpportunityID: fileOpp, ContactID: fileContact,
			AccountID: fileAccount, EventID: "10000000-0000-4000-8000-000000000001"}}
	if got := f.signaler.all(); len(got) != 1 || got[0] != want {
		t.Errorf("signals = %+v\nwant [%+v]", got, want)
	}
	// The body carried all it needs: Sales was not asked.
	if n := f.resolver.calls.Load(); n != 0 {
		t.Errorf("Sales calls = %d; want 0", n)
	}
}

func TestReceiverKeyRotation(t *testing.T) {
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.Auth.Keys = []string{"old-key", "new-key"} })
	body := readBody(t, "update-lead-disqualified.json")
	for i, key := range []string{"old-key", "new-key"} {
		if code := f.post(t, key, redelivered(t, body, i), nil); code != http.StatusOK {
			t.Errorf("key %s: status = %d", key, code)
		}
	}
	if code := f.post(t, "old-key-2", body, nil); code != http.StatusUnauthorized {
		t.Errorf("a third key: status = %d", code)
	}
	if got := f.signaler.all(); len(got) != 2 || got[0].Name != workflows.SignalLeadDisqualified ||
		got[1].Arg != (workflows.LeadDisqualified{LeadID: fileLead, EventID: "10000000-0000-4000-8000-000000000103"}) {
		t.Errorf("signals = %+v", got)
	}
}

func TestReceiverHeaderAuth(t *testing.T) {
	f := newReceiver(t, func(rc *saleshooks.Receiver) {
		rc.Auth = saleshooks.Auth{HeaderName: "X-Onboarding-Hook-Secret", HeaderValues: []string{"s3cret-a", "s3cret-b"}}
	})
	body := readBody(t, "update-lead-disqualified.json")
	for i, v := range []string{"s3cret-a", "s3cret-b"} {
		// Header names are case-insensitive on the wire.
		h := http.Header{}
		h.Set("x-onboarding-hook-secret", v)
		if code := f.post(t, "", redelivered(t, body, i), h); code != http.StatusOK {
			t.Errorf("header %s: status = %d", v, code)
		}
	}
	for name, h := range map[string]http.Header{
		"no header":        nil,
		"wrong value":      {"X-Onboarding-Hook-Secret": {"s3cret-c"}},
		"other header":     {"X-Other": {"s3cret-a"}},
		"value as prefix":  {"X-Onboarding-Hook-Secret": {"s3cret-a-and-more"}},
		"empty value only": {"X-Onboarding-Hook-Secret": {""}},
	} {
		if code := f.post(t, "", body, h); code != http.StatusUnauthorized {
			t.Errorf("%s: status = %d; want 401", name, code)
		}
	}
	// A header value is not a WebhookKey.
	if code := f.post(t, "s3cret-a", body, nil); code != http.StatusUnauthorized {
		t.Errorf("header value as code: status = %d; want 401", code)
	}
	if got := f.signaler.all(); len(got) != 2 {
		t.Errorf("signals = %d; want 2", len(got))
	}
}

func TestReceiverRefusesWithoutKey(t *testing.T) {
	f := newReceiver(t, nil)
	// A Win without its lead would need Sales: a refused one must not reach it.
	body := readBody(t, "win-opportunity.json")
	for name, key := range map[string]string{"missing": "", "wrong": "k3y-2024-primarY", "prefix": hookKey[:5]} {
		if code := f.post(t, key, body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s key: status = %d; want 401", name, code)
		}
	}
	f.expectNoSignal(t)
	if n := f.resolver.calls.Load(); n != 0 {
		t.Errorf("Sales calls = %d; want 0", n)
	}
}

func TestReceiverRefusesLargeBody(t *testing.T) {
	body := readBody(t, "qualifylead.json")
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.MaxBody = int64(len(body)) - 1 })
	if code := f.post(t, hookKey, body, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d; want 413", code)
	}
	f.expectNoSignal(t)
}

func TestReceiverMalformedBody(t *testing.T) {
	f := newReceiver(t, nil)
	body := readBody(t, "qualifylead.json")
	for name, b := range map[string][]byte{
		"cut off":            body[:len(body)/2],
		"not JSON":           []byte("MessageName=QualifyLead"),
		"parameters objects": []byte(`{"MessageName":"QualifyLead","PrimaryEntityName":"lead","InputParameters":{"LeadId":"x"}}`),
		"date not a date":    []byte(`{"MessageName":"Win","PrimaryEntityName":"opportunity","OperationCreatedOn":"2024-06-20T08:50:00Z"}`),
	} {
		if code := f.post(t, hookKey, b, nil); code != http.StatusBadRequest {
			t.Errorf("%s: status = %d; want 400", name, code)
		}
	}
	f.expectNoSignal(t)
}

func TestReceiverIgnoresOtherMessages(t *testing.T) {
	f := newReceiver(t, nil)
	for _, file := range []string{"create-account.json", "update-contact.json", "update-lead-subject.json",
		"trimmed-update-lead.json", "setstate-opportunity-reopen.json"} {
		if code := f.post(t, hookKey, readBody(t, file), nil); code != http.StatusOK {
			t.Errorf("%s: status = %d; want 200", file, code)
		}
	}
	f.expectNoSignal(t)
	if n := f.resolver.calls.Load(); n != 0 {
		t.Errorf("Sales calls = %d; want 0", n)
	}
}

func TestReceiverFindsLeadOfOpportunity(t *testing.T) {
	f := newReceiver(t, nil)
	prospect := "6a1d8c3e-2b5f-4e7a-9c0d-4f6b8a2c1e3d"
	_, q := f.qualifiedLead(t, prospect)
	for _, tc := range []struct {
		file, signal, event string
	}{
		{"win-opportunity.json", workflows.SignalOpportunityWon, "10000000-0000-4000-8000-000000000005"},
		{"trimmed-win.json", workflows.SignalOpportunityWon, "10000000-0000-4000-8000-000000000015"},
		{"update-opportunity-lost.json", workflows.SignalOpportunityLost, "10000000-0000-4000-8000-000000000008"},
	} {
		f.signaler.reset()
		if code := f.post(t, hookKey, bodyWith(t, tc.file, fileOpp, q.OpportunityID), nil); code != http.StatusOK {
			t.Errorf("%s: status = %d", tc.file, code)
		}
		want := signal{WorkflowID: workflows.WorkflowID(prospect), Name: tc.signal,
			Arg: workflows.OpportunityClosed{OpportunityID: q.OpportunityID, EventID: tc.event}}
		if got := f.signaler.all(); len(got) != 1 || got[0] != want {
			t.Errorf("%s: signals = %+v\nwant [%+v]", tc.file, got, want)
		}
	}
}

func TestReceiverFillsQualificationFromSales(t *testing.T) {
	f := newReceiver(t, nil)
	prospect := "8c3f0e5a-4d7b-4a9c-8e2f-6b8d0c4e3a5f"
	lead, q := f.qualifiedLead(t, prospect)
	if code := f.post(t, hookKey, bodyWith(t, "trimmed-qualifylead.json", fileLead, lead), nil); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	want := signal{WorkflowID: workflows.WorkflowID(prospect), Name: workflows.SignalLeadQualified,
		Arg: workflows.LeadQualified{LeadID: lead, OpportunityID: q.OpportunityID, EventID: "10000000-0000-4000-8000-000000000017"}}
	if got := f.signaler.all(); len(got) != 1 || got[0] != want {
		t.Errorf("signals = %+v\nwant [%+v]", got, want)
	}
}

func TestReceiverIgnoresLeadsItDoesNotOwn(t *testing.T) {
	f := newReceiver(t, nil)
	// Sales has no such lead.
	if code := f.post(t, hookKey, readBody(t, "setstate-lead-disqualified.json"), nil); code != http.StatusOK {
		t.Errorf("unknown lead: status = %d; want 200", code)
	}
	// A lead that Sales has, but no Commerce prospect made.
	lead := newLead(t, f.sales, "")
	if code := f.post(t, hookKey, bodyWith(t, "setstate-lead-disqualified.json", fileLead, lead), nil); code != http.StatusOK {
		t.Errorf("not a Commerce lead: status = %d; want 200", code)
	}
	f.expectNoSignal(t)
	if n := f.resolver.calls.Load(); n != 2 {
		t.Errorf("Sales calls = %d; want one look-up each", n)
	}
}

func TestReceiverSignalFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want int
	}{
		{"request closed", serviceerror.NewNotFound("workflow execution already completed"), http.StatusOK},
		// Dataverse retries a 503 once; a 2xx would lose the decision.
		{"Temporal unavailable", serviceerror.NewUnavailable("connection refused"), http.StatusServiceUnavailable},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newReceiver(t, nil)
			f.signaler.err = tc.err
			if code := f.post(t, hookKey, readBody(t, "update-lead-disqualified.json"), nil); code != tc.want {
				t.Errorf("status = %d; want %d", code, tc.want)
			}
			if got := f.signaler.all(); len(got) != 1 || got[0].WorkflowID != workflows.WorkflowID(fileProspect) {
				t.Errorf("signals = %+v; want one attempt", got)
			}
		})
	}
}

func TestReceiverRecognisesARepeatedWebhook(t *testing.T) {
	f := newReceiver(t, nil)
	body := readBody(t, "update-lead-disqualified.json")
	for i := range 2 {
		if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
			t.Fatalf("delivery %d: status = %d; want 200", i+1, code)
		}
	}
	if got := f.signaler.all(); len(got) != 1 {
		t.Errorf("signals = %+v; want one for the same Dataverse operation delivered twice", got)
	}
	events, err := f.events.ListSalesEvents(context.Background(), fileProspect)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Outcome != commerce.EventDelivered || events[0].Signal != workflows.SignalLeadDisqualified {
		t.Errorf("recorded events = %+v; want the one delivered disqualification", events)
	}
}

func TestReceiverRecordsDecisionForClosedRequest(t *testing.T) {
	f := newReceiver(t, nil)
	f.signaler.err = serviceerror.NewNotFound("workflow execution already completed")
	if code := f.post(t, hookKey, readBody(t, "update-lead-disqualified.json"), nil); code != http.StatusOK {
		t.Fatalf("status = %d; want 200", code)
	}
	events, err := f.events.ListSalesEvents(context.Background(), fileProspect)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 1 || events[0].Outcome != commerce.EventRequestClosed {
		t.Errorf("recorded events = %+v; want the late decision recorded as not applied", events)
	}
}

func TestReceiverDoesNotRecordUndeliveredDecision(t *testing.T) {
	f := newReceiver(t, nil)
	f.signaler.err = serviceerror.NewUnavailable("connection refused")
	body := readBody(t, "update-lead-disqualified.json")
	if code := f.post(t, hookKey, body, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d; want 503", code)
	}
	// Dataverse's retry of the same operation must get through.
	f.signaler.err = nil
	if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
		t.Fatalf("retry: status = %d; want 200", code)
	}
	if got := f.signaler.all(); len(got) != 2 {
		t.Errorf("signal attempts = %d; want the retry to signal again", len(got))
	}
}

func TestReceiverSalesUnreachable(t *testing.T) {
	_, ts, c := standin(t, "", "")
	ts.Close()
	sig := newSignaler()
	rc := &saleshooks.Receiver{Temporal: sig, Sales: c, Events: openEvents(t), Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
	for _, file := range []string{"win-opportunity.json", "setstate-lead-disqualified.json"} {
		req := httptest.NewRequest(http.MethodPost, "/v1/hooks/dataverse?code="+hookKey, bytes.NewReader(readBody(t, file)))
		rec := httptest.NewRecorder()
		rc.ServeHTTP(rec, req)
		if rec.Code != http.StatusServiceUnavailable {
			t.Errorf("%s: status = %d; want 503 so that Dataverse retries", file, rec.Code)
		}
	}
	if len(sig.all()) != 0 {
		t.Errorf("signals = %+v", sig.all())
	}
}

// TestStandinWebhooksReachWorkflows sends the stand-in's own webhooks to the
// receiver: a seller's decisions arrive as the right signals.
func TestStandinWebhooksReachWorkflows(t *testing.T) {
	sig := newSignaler()
	rc := &saleshooks.Receiver{Temporal: sig, Events: openEvents(t), Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	srv, _, c := standin(t, hooks.URL+"/v1/hooks/dataverse", hookKey)
	rc.Sales = c

	wait := func() signal {
		t.Helper()
		select {
		case <-sig.got:
		case <-time.After(10 * time.Second):
			t.Fatal("no signal")
		}
		all := sig.all()
		return all[len(all)-1]
	}
	prospect := "2e4a6c8e-0b1d-4f3a-8c5e-7a9b1d3f5e7c"
	lead := newLead(t, c, prospect)
	q, err := c.QualifyLead(context.Background(), lead)
	if err != nil {
		t.Fatal(err)
	}
	got := wait()
	arg, _ := got.Arg.(workflows.LeadQualified)
	if got.WorkflowID != workflows.WorkflowID(prospect) || got.Name != workflows.SignalLeadQualified ||
		arg.LeadID != lead || arg.OpportunityID != q.OpportunityID || arg.ContactID != q.ContactID ||
		arg.AccountID != q.AccountID || arg.EventID == "" {
		t.Errorf("qualified: %+v", got)
	}
	if err := c.LoseOpportunity(context.Background(), q.OpportunityID, "No credit approval"); err != nil {
		t.Fatal(err)
	}
	got = wait()
	if got.WorkflowID != workflows.WorkflowID(prospect) || got.Name != workflows.SignalOpportunityLost ||
		got.Arg.(workflows.OpportunityClosed).OpportunityID != q.OpportunityID {
		t.Errorf("lost: %+v", got)
	}
	srv.Close()
	for _, d := range srv.Deliveries() {
		if d.StatusCode != http.StatusOK || d.Attempts != 1 {
			t.Errorf("delivery %+v; want accepted at once", d)
		}
	}
	if n := len(srv.Deliveries()); n != 2 {
		t.Errorf("deliveries = %d; want 2", n)
	}
}

// openEvents is the event record on a real Commerce store.
func openEvents(t *testing.T) *commerce.Store {
	t.Helper()
	store, err := commerce.Open(context.Background(), t.TempDir()+"/commerce.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// redelivered gives the n-th copy of a body its own Dataverse RequestId, as a
// new operation has; the first copy keeps the file's.
func redelivered(t *testing.T, body []byte, n int) []byte {
	t.Helper()
	var c map[string]any
	if err := json.Unmarshal(body, &c); err != nil {
		t.Fatal(err)
	}
	if n == 0 {
		return body
	}
	c["RequestId"] = fmt.Sprintf("10000000-0000-4000-8000-%012d", n*100+3)
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
