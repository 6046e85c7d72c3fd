package saleshooks_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

const hookKey = "k3y-2024-primary"

type receiverFixture struct {
	starter *fakeStarter
	server  *httptest.Server
}

// newReceiver serves a Receiver that starts its SalesEvent workflows on a fake.
func newReceiver(t *testing.T, configure func(*saleshooks.Receiver)) *receiverFixture {
	t.Helper()
	f := &receiverFixture{starter: newStarter()}
	rc := &saleshooks.Receiver{Temporal: f.starter, Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
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

func (f *receiverFixture) expectNoStart(t *testing.T) {
	t.Helper()
	if s := f.starter.all(); len(s) != 0 {
		t.Errorf("starts = %+v; want none", s)
	}
}

func TestReceiverHandsTheDecisionOver(t *testing.T) {
	f := newReceiver(t, nil)
	if code := f.post(t, hookKey, readBody(t, "qualifylead.json"), nil); code != http.StatusOK {
		t.Fatalf("status = %d", code)
	}
	want := workflows.SalesEvent{EventID: "10000000-0000-4000-8000-000000000001", CorrelationID: "c0000000-0000-4000-8000-000000000001",
		Signal: workflows.SignalLeadQualified, Message: "QualifyLead", LeadID: fileLead, OpportunityID: fileOpp,
		ContactID: fileContact, AccountID: fileAccount}
	got := f.starter.all()
	if len(got) != 1 || got[0].Event != want {
		t.Fatalf("starts = %+v\nwant one of %+v", got, want)
	}
	want.CorrelationID = "c0000000-0000-4000-8000-000000000001"
	if got[0].WorkflowID != "sales-event-lead-qualified-"+fileLead+"-c0000000-0000-4000-8000-000000000001" {
		t.Errorf("workflow ID = %s; want one derived from the decision and its Dataverse operation", got[0].WorkflowID)
	}
}

// IDs no Dataverse writes would make a SalesEvent workflow ID past
// Temporal's limit: such a body is refused for good, not answered 503 on
// every retry.
func TestReceiverRefusesOverlongIDs(t *testing.T) {
	f := newReceiver(t, nil)
	long := strings.Repeat("5a6b7c8d", 17)
	for _, body := range [][]byte{
		bodyWith(t, "win-opportunity.json", fileOpp, long),
		bodyWith(t, "qualifylead.json", "c0000000-0000-4000-8000-000000000001", long),
	} {
		if code := f.post(t, hookKey, body, nil); code != http.StatusBadRequest {
			t.Errorf("status = %d; want 400", code)
		}
	}
	f.expectNoStart(t)
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
	if got := f.starter.all(); len(got) != 2 || got[0].Event.Signal != workflows.SignalLeadDisqualified ||
		got[1].Event.EventID != "10000000-0000-4000-8000-000000000103" || got[1].Event.ProspectID != fileProspect {
		t.Errorf("starts = %+v", got)
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
	if got := f.starter.all(); len(got) != 2 {
		t.Errorf("starts = %d; want 2", len(got))
	}
}

func TestReceiverRefusesWithoutKey(t *testing.T) {
	f := newReceiver(t, nil)
	body := readBody(t, "win-opportunity.json")
	for name, key := range map[string]string{"missing": "", "wrong": "k3y-2024-primarY", "prefix": hookKey[:5]} {
		if code := f.post(t, key, body, nil); code != http.StatusUnauthorized {
			t.Errorf("%s key: status = %d; want 401", name, code)
		}
	}
	f.expectNoStart(t)
}

func TestReceiverRefusesLargeBody(t *testing.T) {
	body := readBody(t, "qualifylead.json")
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.MaxBody = int64(len(body)) - 1 })
	if code := f.post(t, hookKey, body, nil); code != http.StatusRequestEntityTooLarge {
		t.Errorf("status = %d; want 413", code)
	}
	f.expectNoStart(t)
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
	f.expectNoStart(t)
}

func TestReceiverIgnoresOtherMessages(t *testing.T) {
	f := newReceiver(t, nil)
	for _, file := range []string{"create-account.json", "update-contact.json", "update-lead-subject.json",
		"trimmed-update-lead.json", "setstate-opportunity-reopen.json"} {
		if code := f.post(t, hookKey, readBody(t, file), nil); code != http.StatusOK {
			t.Errorf("%s: status = %d; want 200", file, code)
		}
	}
	f.expectNoStart(t)
}

// TestReceiverTakesOverWhatItCannotCheck: the receiver no longer asks
// Sales, so no Sales failure (an expired secret answered 401, an outage) can
// make it drop a decision: every authenticated decision is handed over.
func TestReceiverTakesOverWhatItCannotCheck(t *testing.T) {
	f := newReceiver(t, nil)
	for _, file := range []string{"win-opportunity.json", "trimmed-win.json", "update-opportunity-lost.json",
		"setstate-lead-disqualified.json", "trimmed-qualifylead.json"} {
		if code := f.post(t, hookKey, readBody(t, file), nil); code != http.StatusOK {
			t.Errorf("%s: status = %d; want 200", file, code)
		}
	}
	if got := f.starter.all(); len(got) != 5 {
		t.Errorf("starts = %d; want every decision handed over", len(got))
	}
}

func TestReceiverStartFailureIsRetriedByDataverse(t *testing.T) {
	f := newReceiver(t, nil)
	f.starter.err = serviceerror.NewUnavailable("connection refused")
	body := readBody(t, "update-lead-disqualified.json")
	// Dataverse retries a 503 once; a 2xx would lose the decision.
	if code := f.post(t, hookKey, body, nil); code != http.StatusServiceUnavailable {
		t.Fatalf("status = %d; want 503", code)
	}
	f.starter.err = nil
	if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
		t.Fatalf("retry: status = %d; want 200", code)
	}
	if got := f.starter.all(); len(got) != 1 {
		t.Errorf("starts = %+v; want the retry's", got)
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
	if got := f.starter.all(); len(got) != 1 {
		t.Errorf("starts = %+v; want one for the same Dataverse operation delivered twice", got)
	}
}

func TestReceiverEventIDWithoutRequestID(t *testing.T) {
	f := newReceiver(t, nil)
	var c map[string]any
	if err := json.Unmarshal(readBody(t, "win-opportunity.json"), &c); err != nil {
		t.Fatal(err)
	}
	c["RequestId"] = nil
	withOperation, _ := json.Marshal(c)
	c["OperationId"] = nil
	c["CorrelationId"] = nil
	withNeither, _ := json.Marshal(c)
	for _, body := range [][]byte{withOperation, withNeither, withNeither} {
		if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
			t.Fatalf("status = %d", code)
		}
	}
	got := f.starter.all()
	if len(got) != 2 || got[0].Event.EventID != "00000000-0000-4000-8000-000000000005" || len(got[1].Event.EventID) != 32 {
		t.Errorf("starts = %+v; want the OperationId, then a digest of the body (once for two identical deliveries)", got)
	}
}

// TestOneDecisionIsHandedOverOnce: the QualifyLead webhook and the lead
// Update webhook it causes share their correlation: one SalesEvent.
func TestOneDecisionIsHandedOverOnce(t *testing.T) {
	f := newReceiver(t, nil)
	qualify := readBody(t, "qualifylead.json")
	var update map[string]any
	if err := json.Unmarshal(readBody(t, "update-lead-qualified.json"), &update); err != nil {
		t.Fatal(err)
	}
	update["CorrelationId"] = "c0000000-0000-4000-8000-000000000001" // QualifyLead's
	for _, body := range [][]byte{qualify, marshalJSON(t, update)} {
		if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
			t.Fatalf("status = %d", code)
		}
	}
	if got := f.starter.all(); len(got) != 1 {
		t.Errorf("starts = %+v; want one for one decision", got)
	}
}

func marshalJSON(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestStandinWebhooksAreHandedOver sends the stand-in's own webhooks to the
// receiver: a seller's decisions arrive as SalesEvent workflows.
func TestStandinWebhooksAreHandedOver(t *testing.T) {
	starter := newStarter()
	rc := &saleshooks.Receiver{Temporal: starter, Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
	hooks := httptest.NewServer(rc)
	defer hooks.Close()
	srv, _, c := standin(t, hooks.URL+"/v1/hooks/dataverse", hookKey)

	prospect := "2e4a6c8e-0b1d-4f3a-8c5e-7a9b1d3f5e7c"
	lead := newLead(t, c, prospect)
	q, err := c.QualifyLead(context.Background(), lead)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.LoseOpportunity(context.Background(), q.OpportunityID, "No credit approval"); err != nil {
		t.Fatal(err)
	}
	srv.Close() // waits for the webhooks in flight
	signals := map[string]int{}
	for _, s := range starter.all() {
		signals[s.Event.Signal]++
		switch s.Event.Signal {
		case workflows.SignalLeadQualified:
			if s.Event.LeadID != lead || s.Event.EventID == "" {
				t.Errorf("qualified: %+v", s.Event)
			}
		case workflows.SignalOpportunityLost:
			if s.Event.OpportunityID != q.OpportunityID {
				t.Errorf("lost: %+v", s.Event)
			}
		}
	}
	if signals[workflows.SignalLeadQualified] < 1 || signals[workflows.SignalOpportunityLost] < 1 {
		t.Errorf("signals handed over = %v; want the qualification and the loss", signals)
	}
	for _, d := range srv.Deliveries() {
		if d.StatusCode != http.StatusOK || d.Attempts != 1 {
			t.Errorf("delivery %+v; want accepted at once", d)
		}
	}
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
	c["CorrelationId"] = fmt.Sprintf("c0000000-0000-4000-8000-%012d", n*100+3)
	out, err := json.Marshal(c)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
