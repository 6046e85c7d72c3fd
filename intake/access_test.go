package intake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/workflows"
)

// nothingWritten fails t when the register holds other than rows requests
// or Temporal was asked to start other than starts workflows.
func (f *fixture) nothingWritten(t *testing.T, rows, starts int) {
	t.Helper()
	if n := f.rows(t); n != rows {
		t.Errorf("prospect rows = %d; want %d", n, rows)
	}
	if s := f.temporal.recorded(); len(s) != starts {
		t.Errorf("starts = %d; want %d", len(s), starts)
	}
}

func TestCallsWithoutAValidKeyAreRefused(t *testing.T) {
	f := newFixture(t)
	_, registered := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	for _, tc := range []struct {
		name   string
		header http.Header
	}{
		{"no key", nil},
		{"wrong bearer key", http.Header{"Authorization": {"Bearer site-key-0000"}}},
		{"wrong X-API-Key", http.Header{"X-API-Key": {"site-key-0000"}}},
		{"empty bearer key", http.Header{"Authorization": {"Bearer "}}},
		{"a key's prefix", http.Header{"Authorization": {"Bearer " + siteKey[:len(siteKey)-1]}}},
		{"a key and more", http.Header{"Authorization": {"Bearer " + siteKey + "x"}}},
		{"key without its scheme", http.Header{"Authorization": {siteKey}}},
		{"key as Basic", http.Header{"Authorization": {"Basic " + siteKey}}},
		{"key as a query parameter", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			query := ""
			if tc.name == "key as a query parameter" {
				query = "?code=" + siteKey
			}
			header := http.Header{"Content-Type": {"application/json"}}
			for k, v := range tc.header {
				header[k] = v
			}
			resp, a, raw := f.call(t, http.MethodPost, "/v1/onboarding-requests"+query, requestJSON("other@contoso.example"), header)
			if resp.StatusCode != http.StatusUnauthorized || a.Error == "" || a.ID != "" {
				t.Errorf("POST = %d %s; want 401 with an error", resp.StatusCode, raw)
			}
			if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("WWW-Authenticate = %q", resp.Header.Get("WWW-Authenticate"))
			}
			if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
				t.Errorf("Content-Type = %q", ct)
			}
			f.nothingWritten(t, 1, 1)

			resp, a, raw = f.call(t, http.MethodGet, "/v1/onboarding-requests/"+registered.ID+query, "", tc.header)
			if resp.StatusCode != http.StatusUnauthorized || a.Error == "" || a.ID != "" || a.Status != "" {
				t.Errorf("GET = %d %s; want 401 and nothing of the request", resp.StatusCode, raw)
			}
		})
	}
}

func TestServiceWithoutKeysRefusesEveryCall(t *testing.T) {
	f := newFixture(t, func(s *intake.Service) { s.Keys = nil })
	for _, header := range []http.Header{nil, {"Authorization": {"Bearer "}}, {"Authorization": {"Bearer " + siteKey}}} {
		resp, _, raw := f.call(t, http.MethodPost, "/v1/onboarding-requests", requestJSON("mia.jansen@contoso.example"), header)
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("POST with %v = %d %s; want 401", header, resp.StatusCode, raw)
		}
	}
	f.nothingWritten(t, 0, 0)
}

// During a rotation the site may send the old key or the new one, in
// either header.
func TestRotatedKeysAreBothAccepted(t *testing.T) {
	f := newFixture(t)
	for i, header := range []http.Header{
		{"Authorization": {"Bearer " + siteKey}},
		{"Authorization": {"bearer " + rotatedKey}},
		{"X-API-Key": {siteKey}},
		{"X-API-Key": {rotatedKey}},
	} {
		header.Set("Content-Type", "application/json")
		resp, a, raw := f.call(t, http.MethodPost, "/v1/onboarding-requests", requestJSON("buyer"+strconv.Itoa(i)+"@contoso.example"), header)
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("POST with %v = %d %s; want 202", header, resp.StatusCode, raw)
		}
		resp, _, raw = f.call(t, http.MethodGet, "/v1/onboarding-requests/"+a.ID, "", header)
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET with %v = %d %s; want 200", header, resp.StatusCode, raw)
		}
	}
	f.nothingWritten(t, 4, 4)
}

func TestKeyRateLimit(t *testing.T) {
	// Two calls at once, then one every 20 minutes: the test never waits
	// for the bucket to refill.
	f := newFixture(t, func(s *intake.Service) { s.RatePerKey, s.BurstPerKey = 1.0/1200, 2 })
	if code, _ := f.submit(t, requestJSON("first@contoso.example")); code != http.StatusAccepted {
		t.Fatalf("first = %d", code)
	}
	code, _, raw := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+f.temporal.startedIDs()[0], "", "")
	if code != http.StatusOK {
		t.Fatalf("GET = %d %s", code, raw)
	}
	for _, call := range []struct{ method, path, body string }{
		{http.MethodPost, "/v1/onboarding-requests", requestJSON("second@contoso.example")},
		{http.MethodGet, "/v1/onboarding-requests/" + f.temporal.startedIDs()[0], ""},
	} {
		resp, a, raw := f.call(t, call.method, call.path, call.body,
			http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + siteKey}})
		if resp.StatusCode != http.StatusTooManyRequests || a.Error == "" || a.ID != "" {
			t.Fatalf("%s over the key's rate = %d %s; want 429", call.method, resp.StatusCode, raw)
		}
		if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || secs < 1 || secs > 1200 {
			t.Errorf("Retry-After = %q; want whole seconds, up to 1200", resp.Header.Get("Retry-After"))
		}
	}
	f.nothingWritten(t, 1, 1)

	// Each key has its own bucket.
	resp, _, raw := f.call(t, http.MethodPost, "/v1/onboarding-requests", requestJSON("second@contoso.example"),
		http.Header{"Content-Type": {"application/json"}, "X-API-Key": {rotatedKey}})
	if resp.StatusCode != http.StatusAccepted {
		t.Errorf("the other key = %d %s; want 202", resp.StatusCode, raw)
	}
	// A refused call takes no token: an unknown key never drains a bucket.
	for range 5 {
		f.call(t, http.MethodPost, "/v1/onboarding-requests", "{}", http.Header{"Authorization": {"Bearer nobody"}})
	}
	if code, _, _ := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+f.temporal.startedIDs()[0], "", ""); code != http.StatusTooManyRequests {
		t.Errorf("the first key, still empty = %d; want 429", code)
	}
}

func TestReceiptsPerAddressLimit(t *testing.T) {
	f := newFixture(t, func(s *intake.Service) { s.ReceiptsPerAddress = 2 })
	ctx := context.Background()
	reject := func(id string) {
		t.Helper()
		if err := f.store.SetProspectStatus(ctx, id, commerce.StatusRejected, string(workflows.DecisionDisqualified)); err != nil {
			t.Fatal(err)
		}
	}
	code, first := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	if code != http.StatusAccepted {
		t.Fatalf("first = %d", code)
	}
	reject(first.ID)
	code, second := f.submit(t, requestJSON("Mia.Jansen@contoso.example"))
	if code != http.StatusAccepted {
		t.Fatalf("second = %d", code)
	}
	// The same request sent again is no new receipt: the limit lets it through.
	for range 3 {
		if code, again := f.submit(t, requestJSON("mia.jansen@contoso.example")); code != http.StatusOK || again.ID != second.ID || !again.Duplicate {
			t.Fatalf("re-submission = %d %+v; want 200 with %s", code, again, second.ID)
		}
	}
	f.nothingWritten(t, 2, 5)
	reject(second.ID)

	before := time.Now()
	resp, a, raw := f.call(t, http.MethodPost, "/v1/onboarding-requests", requestJSON(" MIA.JANSEN@contoso.example"),
		http.Header{"Content-Type": {"application/json"}, "Authorization": {"Bearer " + siteKey}})
	if resp.StatusCode != http.StatusTooManyRequests || a.Error == "" || a.ID != "" {
		t.Fatalf("third = %d %s; want 429", resp.StatusCode, raw)
	}
	registered, err := f.store.GetProspect(ctx, first.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Room again when the first request is a day old.
	want := registered.CreatedAt.Add(intake.AddressWindow).Sub(before).Seconds()
	if secs, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || float64(secs) < want-5 || float64(secs) > want+1 {
		t.Errorf("Retry-After = %q; want about %.0f", resp.Header.Get("Retry-After"), want)
	}
	f.nothingWritten(t, 2, 5)

	if code, _ := f.submit(t, requestJSON("someone.else@contoso.example")); code != http.StatusAccepted {
		t.Errorf("another address = %d; want 202", code)
	}
}

// GET shows which step needs an operator, never what its system answered:
// that is for operators, in the workflow.
func TestShowHidesInternalErrors(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	_, a := f.submit(t, requestJSON("mia.jansen@contoso.example"))
	const secret = "Sales answered 403 (0x80040220): principal user onboarding-worker lacks prvCreateLead"
	if err := f.store.MarkNeedsAttention(ctx, a.ID, "create-lead"); err != nil {
		t.Fatal(err)
	}
	f.temporal.mu.Lock()
	f.temporal.states[workflows.WorkflowID(a.ID)] = workflows.State{RequestID: a.ID, Status: workflows.StatusNeedsAttention,
		Attention: &workflows.Attention{Step: "create-lead", Error: secret, Since: time.Now()}}
	f.temporal.mu.Unlock()

	code, _, raw := f.do(t, http.MethodGet, "/v1/onboarding-requests/"+a.ID, "", "")
	var st struct {
		Status    string         `json:"status"`
		Attention map[string]any `json:"attention"`
	}
	if err := json.Unmarshal(raw, &st); err != nil || code != http.StatusOK {
		t.Fatalf("GET = %d %s (%v)", code, raw, err)
	}
	if st.Status != commerce.StatusNeedsAttention || st.Attention["step"] != "create-lead" || st.Attention["since"] == nil {
		t.Errorf("GET = %s; want the step that needs attention, and since when", raw)
	}
	if _, ok := st.Attention["error"]; ok || strings.Contains(string(raw), "403") || strings.Contains(string(raw), "prvCreateLead") {
		t.Errorf("GET shows the step's error: %s", raw)
	}

	// A register that fails says so, not how.
	if _, err := f.db.Exec(`DROP TABLE sent_emails`); err != nil {
		t.Fatal(err)
	}
	code, _, raw = f.do(t, http.MethodGet, "/v1/onboarding-requests/"+a.ID, "", "")
	if code != http.StatusServiceUnavailable || strings.Contains(string(raw), "sent_emails") || strings.Contains(strings.ToLower(string(raw)), "sql") {
		t.Errorf("GET with a failing register = %d %s; want 503 without the database's words", code, raw)
	}
}
