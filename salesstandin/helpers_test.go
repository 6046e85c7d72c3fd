package salesstandin

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/partner-onboarding/onboarding/sales/webhook"
)

const (
	testClientID     = "onboarding-worker"
	testClientSecret = "s3cret/with+chars"
	testWebhookKey   = "key with/odd&chars"
	testProspect     = "new_commerceprospectid"
)

// hookReceiver is a webhook endpoint that records what it gets and answers with scripted statuses.
type hookReceiver struct {
	*httptest.Server
	mu       sync.Mutex
	statuses []int // answered in order; 200 once they run out
	got      []receivedHook
}

type receivedHook struct {
	query   url.Values
	header  http.Header
	body    []byte
	context webhook.RemoteExecutionContext
}

func newHookReceiver(t *testing.T, statuses ...int) *hookReceiver {
	h := &hookReceiver{statuses: statuses}
	h.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		c, err := webhook.Decode(body)
		if err != nil {
			t.Errorf("webhook body does not decode: %v", err)
		}
		h.mu.Lock()
		h.got = append(h.got, receivedHook{r.URL.Query(), r.Header.Clone(), body, c})
		status := http.StatusOK
		if len(h.statuses) > 0 {
			status, h.statuses = h.statuses[0], h.statuses[1:]
		}
		h.mu.Unlock()
		w.WriteHeader(status)
	}))
	t.Cleanup(h.Close)
	return h
}

func (h *hookReceiver) received() []receivedHook {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]receivedHook(nil), h.got...)
}

type standin struct {
	*Server
	http  *httptest.Server
	token string
}

func startStandin(t *testing.T, dir, hookURL string) *standin {
	t.Helper()
	s, err := New(Config{
		DataDir: dir, WebhookURL: hookURL, WebhookKey: testWebhookKey,
		ClientID: testClientID, ClientSecret: testClientSecret,
		WebhookRetryDelay: 10 * time.Millisecond,
		Logger:            slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		ts.Close()
		s.Close()
	})
	st := &standin{Server: s, http: ts}
	st.token = st.fetchToken(t)
	return st
}

// fetchToken goes through golang.org/x/oauth2, as the product's Sales port does.
func (st *standin) fetchToken(t *testing.T) string {
	t.Helper()
	cfg := clientcredentials.Config{
		ClientID: testClientID, ClientSecret: testClientSecret,
		TokenURL: st.http.URL + "/tenant-id/oauth2/v2.0/token",
		Scopes:   []string{st.http.URL + "/.default"},
	}
	tok, err := cfg.Token(context.Background())
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	return tok.AccessToken
}

// call sends a Web API request with the bearer token and decodes a JSON answer into out, if given.
func (st *standin) call(t *testing.T, method, path string, body any, out any, header ...string) *http.Response {
	t.Helper()
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, st.http.URL+path, r)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+st.token)
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	data, _ := io.ReadAll(resp.Body)
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			t.Fatalf("%s %s: %v in %s", method, path, err, data)
		}
	}
	return resp
}

func (st *standin) createLead(t *testing.T, fields map[string]any) string {
	t.Helper()
	resp := st.call(t, "POST", "/api/data/v9.2/leads", fields, nil)
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("create lead: %s", resp.Status)
	}
	entityID := resp.Header.Get("OData-EntityId")
	id, ok := strings.CutPrefix(entityID, st.http.URL+"/api/data/v9.2/leads(")
	if !ok {
		t.Fatalf("OData-EntityId = %q", entityID)
	}
	return strings.TrimSuffix(id, ")")
}

func b2bLead(prospectID string) map[string]any {
	return map[string]any{
		"subject": "Partner sign-up: Contoso Retail", "firstname": "Avery", "lastname": "Example",
		"emailaddress1": "avery@example.com", "telephone1": "+1 555 0100", "jobtitle": "Buyer",
		"companyname": "Contoso Retail", "address1_line1": "1 Main St", "address1_city": "Springfield",
		"address1_postalcode": "12345", "address1_country": "US", testProspect: prospectID,
	}
}

type qualified struct {
	Value []map[string]any `json:"value"`
}

// qualify qualifies a lead through the Web API and returns the account, contact and opportunity IDs.
func (st *standin) qualify(t *testing.T, leadID string) (account, contact, opportunity string) {
	t.Helper()
	var out qualified
	resp := st.call(t, "POST", "/api/data/v9.2/leads("+leadID+")/Microsoft.Dynamics.CRM.QualifyLead",
		map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}, &out)
	if resp.StatusCode != http.StatusOK || len(out.Value) != 3 {
		t.Fatalf("qualify: %s %+v", resp.Status, out)
	}
	return out.Value[0]["accountid"].(string), out.Value[1]["contactid"].(string), out.Value[2]["opportunityid"].(string)
}

// waitDeliveries polls until n webhooks are done.
func waitDeliveries(t *testing.T, s *Server, n int) []Delivery {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		d := s.Deliveries()
		if len(d) >= n {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d webhook deliveries after 10s, want %d: %+v", len(d), n, d)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func lastHook(t *testing.T, h *hookReceiver) receivedHook {
	t.Helper()
	got := h.received()
	if len(got) == 0 {
		t.Fatal("no webhook received")
	}
	return got[len(got)-1]
}

// hookFor returns the webhook received for a message on a record; it fails the test without one.
func hookFor(t *testing.T, h *hookReceiver, message, entityID string) receivedHook {
	t.Helper()
	for _, got := range h.received() {
		if got.context.MessageName == message && got.context.PrimaryEntityId == entityID {
			return got
		}
	}
	t.Fatalf("no %s webhook for %s among %d received", message, entityID, len(h.received()))
	return receivedHook{}
}

// poll calls done until it reports true, failing the test after 10 seconds.
func poll(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not after 10s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
