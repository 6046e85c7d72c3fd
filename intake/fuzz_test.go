package intake_test

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/workflows"
)

// FuzzSubmit posts any body to the real front door, on a real register and a
// Temporal that is up. Every answer must be 2xx or 4xx: with both healthy,
// nothing a sender can write earns a 5xx. A refusal names each field once;
// an accepted request is registered and started with the fields it was
// sent, validated.
func FuzzSubmit(f *testing.F) {
	valid := requestJSON("mia.jansen@contoso.example")
	for _, seed := range []struct{ contentType, body string }{
		{"application/json", valid},
		{"application/json", strings.Replace(requestJSON("  Mia.Jansen@CONTOSO.example "), "Contoso Supplies", "Contoso Trading", 1)},
		{"application/json; charset=utf-8", requestJSON("other@contoso.example")},
		{"", requestJSON("newest@contoso.example")},
		{"application/json", `{"company": {"name": "", "address": {"street": "Coolsingel 40", "city": "Rotterdam",
		"postalCode": "3011 AD", "countryCode": "Netherlands"}},
		"requester": {"firstName": "Mia", "lastName": "Jansen", "email": "mia.jansen@", "phone": "n/a"}, "locale": "nl NL"}`},
		{"application/json", strings.Replace(valid, `"comments"`, `"companyName": "Contoso", "comments"`, 1)},
		{"application/json", strings.Replace(valid, `"jobTitle"`, `"title": "Ms", "jobTitle"`, 1)},
		{"application/json", strings.Replace(valid, `"comments"`, `"resume": {"status": "Approved", "decision": "OpportunityWon"}, "comments"`, 1)},
		{"application/json", strings.Replace(valid, `"postalCode": "3011 AD"`, `"postalCode": 3011`, 1)},
		{"application/json", strings.Replace(valid, `"requester": {`, `"requester": "Mia", "x": {`, 1)},
		{"application/json", "company=Contoso"},
		{"application/json", ""},
		{"application/json", valid + valid},
		{"application/x-www-form-urlencoded", valid},
	} {
		f.Add(seed.contentType, []byte(seed.body))
	}

	store, err := commerce.Open(context.Background(), filepath.Join(f.TempDir(), "commerce.db"))
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { store.Close() })

	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		temporal := newFakeTemporal()
		mux := http.NewServeMux()
		(&intake.Service{Temporal: temporal, Register: store, Timing: workflows.Timing{SalesCheckInterval: checkEvery},
			Logger: slog.New(slog.DiscardHandler), Keys: []string{siteKey}}).Routes(mux)
		req := httptest.NewRequest(http.MethodPost, "/v1/onboarding-requests", strings.NewReader(string(body)))
		req.Header.Set("Authorization", "Bearer "+siteKey)
		if contentType != "" {
			req.Header.Set("Content-Type", contentType)
		}
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)

		code := rec.Code
		if code >= 500 || code < 200 || code >= 300 && code < 400 {
			t.Fatalf("answer %d %s", code, rec.Body.Bytes())
		}
		var a answer
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil {
			t.Fatalf("answer %d is not JSON: %s", code, rec.Body.Bytes())
		}
		if code >= 400 {
			if code != http.StatusBadRequest || a.Error == "" || len(a.Fields) == 0 {
				t.Fatalf("refusal %d %s", code, rec.Body.Bytes())
			}
			seen := map[string]bool{}
			for _, e := range a.Fields {
				if e.Field == "" || e.Message == "" || seen[e.Field] {
					t.Fatalf("refusal names a field twice or without a message: %s", rec.Body.Bytes())
				}
				seen[e.Field] = true
			}
			if s := temporal.recorded(); len(s) != 0 {
				t.Fatalf("refused request started: %+v", s)
			}
			return
		}

		if _, err := uuid.Parse(a.ID); err != nil {
			t.Fatalf("answer %d with id %q", code, a.ID)
		}
		s := temporal.recorded()
		if len(s) != 1 || len(s[0].Args) != 1 || s[0].Options.ID != workflows.WorkflowID(a.ID) {
			t.Fatalf("starts for %s = %+v", a.ID, s)
		}
		if code == http.StatusOK {
			// The requester had a request pending: that one was started again.
			if !a.Duplicate {
				t.Fatalf("answer 200 is no duplicate: %s", rec.Body.Bytes())
			}
			return
		}
		if code != http.StatusAccepted || a.Duplicate || a.Status != string(workflows.StatusReceived) {
			t.Fatalf("acceptance %d %s", code, rec.Body.Bytes())
		}

		// What was accepted is what was sent, validated, in the register.
		var sent struct {
			Company   workflows.Company   `json:"company"`
			Requester workflows.Requester `json:"requester"`
			Locale    string              `json:"locale"`
			Comments  string              `json:"comments"`
		}
		if err := json.Unmarshal(body, &sent); err != nil {
			t.Fatalf("accepted body does not decode: %v", err)
		}
		want := workflows.Request{Company: sent.Company, Requester: sent.Requester, Locale: sent.Locale, Comments: sent.Comments}
		if errs := workflows.Validate(&want); len(errs) != 0 {
			t.Fatalf("accepted a request Validate refuses: %+v", errs)
		}
		want.RequestID = a.ID
		got, err := store.GetProspect(context.Background(), a.ID)
		if err != nil {
			t.Fatalf("accepted request not in the register: %v", err)
		}
		if w := activities.ProspectOf(want); !sameProspect(got, w) {
			t.Fatalf("registered %+v\nwant       %+v", got, w)
		}
		// The workflow starts with the request's claim: its ID, no data.
		started, ok := s[0].Args[0].(workflows.Request)
		if !ok || started.RequestID != a.ID || !started.IsClaim() {
			t.Fatalf("started with %+v\nwant the claim of %s", s[0].Args[0], a.ID)
		}
	})
}

// sameProspect compares the fields a request sets.
func sameProspect(a, b commerce.Prospect) bool {
	return a.RequestID == b.RequestID && a.CompanyName == b.CompanyName && a.TaxID == b.TaxID &&
		a.Street == b.Street && a.City == b.City && a.PostalCode == b.PostalCode && a.CountryCode == b.CountryCode &&
		a.FirstName == b.FirstName && a.LastName == b.LastName && a.Email == b.Email && a.Phone == b.Phone &&
		a.JobTitle == b.JobTitle && a.Locale == b.Locale && a.Comments == b.Comments
}
