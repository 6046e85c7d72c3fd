package intake_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Every answer the intake gives, on each of its paths, is one the OpenAPI
// document describes, and every call it takes is one the document allows:
// the fixture holds each call to the document, and this test makes sure
// each kind of answer is among them.
func TestEveryAnswerIsInTheOpenAPIDocument(t *testing.T) {
	ctx := context.Background()
	f := newFixture(t, func(s *intake.Service) { s.ReceiptsPerAddress = 1 })
	withKey := func(name, value string) http.Header {
		return http.Header{"Content-Type": {"application/json"}, name: {value}}
	}
	site := withKey("Authorization", "Bearer "+siteKey)
	seen := map[int]bool{}
	var expectOf func(f *fixture, name, method, path, body string, header http.Header, want int) answer
	expect := func(name, method, path, body string, header http.Header, want int) answer {
		t.Helper()
		return expectOf(f, name, method, path, body, header, want)
	}
	expectOf = func(f *fixture, name, method, path, body string, header http.Header, want int) answer {
		t.Helper()
		resp, a, raw := f.call(t, method, path, body, header)
		if resp.StatusCode != want {
			t.Fatalf("%s: %s %s = %d %s; want %d", name, method, path, resp.StatusCode, raw, want)
		}
		seen[want] = true
		return a
	}
	const submit = "/v1/onboarding-requests"

	accepted := expect("new request", http.MethodPost, submit, requestJSON("mia.jansen@contoso.example"), site, http.StatusAccepted)
	expect("with X-API-Key", http.MethodPost, submit, requestJSON("lena.vos@contoso.example"), withKey("X-API-Key", siteKey), http.StatusAccepted)
	expect("pending request again", http.MethodPost, submit, requestJSON("mia.jansen@contoso.example"), site, http.StatusOK)
	expect("invalid request", http.MethodPost, submit, `{"company":{"name":""},"requester":{"email":"not-an-email"}}`, site, http.StatusBadRequest)
	expect("unknown field", http.MethodPost, submit, strings.Replace(requestJSON("a@contoso.example"), `"comments"`, `"resume": {}, "comments"`, 1), site, http.StatusBadRequest)
	expect("not JSON", http.MethodPost, submit, "company=Contoso", site, http.StatusBadRequest)
	expect("no key", http.MethodPost, submit, requestJSON("b@contoso.example"), http.Header{"Content-Type": {"application/json"}}, http.StatusUnauthorized)
	expect("wrong key", http.MethodGet, submit+"/"+accepted.ID, "", withKey("X-API-Key", "nobody"), http.StatusUnauthorized)
	expect("state", http.MethodGet, submit+"/"+accepted.ID, "", site, http.StatusOK)
	expect("not an ID", http.MethodGet, submit+"/42", "", site, http.StatusBadRequest)
	expect("unknown ID", http.MethodGet, submit+"/"+uuid.NewString(), "", site, http.StatusNotFound)

	// A request further on: Sales records, customers, an email, a step
	// that needs an operator, and a decision that came after it closed.
	id := accepted.ID
	for _, step := range []error{
		f.store.SetProspectLead(ctx, id, "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60"),
		f.store.SetProspectOpportunity(ctx, id, "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"),
		f.store.RecordEmailSent(ctx, commerce.SentEmail{RequestID: id, Kind: "receipt", MessageID: "<m1@shop.example>"}),
		f.store.MarkNeedsAttention(ctx, id, "Create customers in Commerce"),
	} {
		if step != nil {
			t.Fatal(step)
		}
	}
	if a := expect("needs attention", http.MethodGet, submit+"/"+id, "", site, http.StatusOK); a.Status != string(workflows.StatusNeedsAttention) {
		t.Errorf("status = %s; want NeedsAttention", a.Status)
	}
	if err := f.store.SetProspectStatus(ctx, id, commerce.StatusRejected, string(workflows.DecisionLost)); err != nil {
		t.Fatal(err)
	}
	if err := f.store.RecordSalesEvent(ctx, commerce.SalesEvent{RequestID: id, EventID: "evt-1", Signal: workflows.SignalOpportunityLost,
		RecordID: "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d", Outcome: commerce.EventRequestClosed}); err != nil {
		t.Fatal(err)
	}
	expect("closed, with a late decision", http.MethodGet, submit+"/"+id, "", site, http.StatusOK)

	// The address had its one new request of the day.
	expect("over the address's requests", http.MethodPost, submit, requestJSON("mia.jansen@contoso.example"), site, http.StatusTooManyRequests)
	f.temporal.mu.Lock()
	f.temporal.startErr = serviceerror.NewUnavailable("connection refused")
	f.temporal.mu.Unlock()
	expect("Temporal down", http.MethodPost, submit, requestJSON("c@contoso.example"), site, http.StatusServiceUnavailable)

	// One call, then one every 20 minutes: the test never waits.
	limited := newFixture(t, func(s *intake.Service) { s.RatePerKey, s.BurstPerKey = 1.0/1200, 1 })
	expectOf(limited, "the key's one call", http.MethodGet, submit+"/"+id, "", site, http.StatusNotFound)
	expectOf(limited, "over the key's rate", http.MethodPost, submit, requestJSON("d@contoso.example"), site, http.StatusTooManyRequests)

	for _, code := range []int{202, 200, 400, 401, 404, 429, 503} {
		if !seen[code] {
			t.Errorf("no answer %d was checked", code)
		}
	}
}
