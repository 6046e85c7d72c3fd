package sales

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	apiRoot   = "/api/data/v9.2/"
	tokenPath = "/tenant-1/oauth2/v2.0/token"
	leadID    = "0f8fad5b-d9cb-469f-a165-70867728950e"
	oppID     = "7c9e6679-7425-40de-944b-e07fc1f90ae7"
	accountID = "1b4e28ba-2fa1-11d2-883f-0016d3cca427"
	contactID = "6fa459ea-ee8a-3ca4-894e-db77e160355e"
)

// seen is one API request as the fake Dataverse received it.
type seen struct {
	Method string
	Path   string
	Query  url.Values
	Raw    string
	Header http.Header
	Body   []byte
}

// fakeDataverse is a token endpoint and a Web API whose answers each test supplies.
type fakeDataverse struct {
	srv *httptest.Server

	mu          sync.Mutex
	tokenCalls  int
	tokenForms  []url.Values
	tokenHeader []http.Header
	tokenFail   int // status the token endpoint answers; 0 for a token
	requests    []seen
	api         func(w http.ResponseWriter, r *http.Request, body []byte)
}

func newFake(t *testing.T, api func(w http.ResponseWriter, r *http.Request, body []byte)) *fakeDataverse {
	t.Helper()
	f := &fakeDataverse{api: api}
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fakeDataverse) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	if r.URL.Path == tokenPath {
		form, _ := url.ParseQuery(string(body))
		f.mu.Lock()
		f.tokenCalls++
		n, fail := f.tokenCalls, f.tokenFail
		f.tokenForms = append(f.tokenForms, form)
		f.tokenHeader = append(f.tokenHeader, r.Header.Clone())
		f.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		if fail != 0 {
			w.WriteHeader(fail)
			fmt.Fprint(w, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}`)
			return
		}
		fmt.Fprintf(w, `{"access_token":"tok-%d","token_type":"Bearer","expires_in":3600}`, n)
		return
	}
	f.mu.Lock()
	f.requests = append(f.requests, seen{Method: r.Method, Path: r.URL.Path, Query: r.URL.Query(),
		Raw: r.URL.RawQuery, Header: r.Header.Clone(), Body: body})
	api := f.api
	f.mu.Unlock()
	if api == nil {
		http.Error(w, "no API in this test", http.StatusTeapot)
		return
	}
	api(w, r, body)
}

func (f *fakeDataverse) seen() []seen {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seen(nil), f.requests...)
}

func (f *fakeDataverse) tokens() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.tokenCalls
}

func (f *fakeDataverse) config() Config {
	return Config{
		EnvironmentURL: f.srv.URL,
		TokenURL:       f.srv.URL + tokenPath,
		ClientID:       "client-1",
		ClientSecret:   "secret-1",
	}
}

func (f *fakeDataverse) client(t *testing.T) *Client {
	t.Helper()
	c, err := New(f.config())
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return c
}

func writeJSON(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.WriteHeader(status)
	fmt.Fprint(w, body)
}

func dataverseError(w http.ResponseWriter, status int) {
	writeJSON(w, status, fmt.Sprintf(`{"error":{"code":"0x8004%04x","message":"failure %d from Dataverse"}}`, status, status))
}

func decodeBody(t *testing.T, body []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(body, &m); err != nil {
		t.Fatalf("request body %q is not a JSON object: %v", body, err)
	}
	return m
}

const leadJSON = `{"@odata.etag":"W/\"1\"","leadid":"` + leadID + `","subject":"B2B partner request","firstname":"Ada",
"lastname":"Lovelace","emailaddress1":"ada@example.com","telephone1":"+1 555 0100","jobtitle":"Buyer",
"companyname":"Analytical Engines","address1_line1":"1 Main St","address1_city":"London",
"address1_postalcode":"N1","address1_country":"GB","description":"wants to buy","statecode":1,"statuscode":3,
"_qualifyingopportunityid_value":"` + oppID + `","new_commerceprospectid":"req-42"}`

func TestGetLeadSendsODataHeadersAndCachesToken(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusOK, leadJSON)
	})
	c := f.client(t)
	ctx := context.Background()

	lead, err := c.GetLead(ctx, leadID)
	if err != nil {
		t.Fatalf("GetLead: %v", err)
	}
	if _, err := c.GetLead(ctx, strings.ToUpper(leadID)); err != nil {
		t.Fatalf("second GetLead: %v", err)
	}

	want := Lead{ID: leadID, ProspectID: "req-42", Subject: "B2B partner request", FirstName: "Ada",
		LastName: "Lovelace", Email: "ada@example.com", Phone: "+1 555 0100", JobTitle: "Buyer",
		CompanyName: "Analytical Engines", Street: "1 Main St", City: "London", PostalCode: "N1",
		Country: "GB", Description: "wants to buy", State: LeadQualified, StatusCode: 3,
		QualifyingOpportunityID: oppID}
	if lead != want {
		t.Errorf("lead = %+v\nwant %+v", lead, want)
	}
	if n := f.tokens(); n != 1 {
		t.Errorf("token requests = %d, want 1 (cached across calls)", n)
	}
	reqs := f.seen()
	if len(reqs) != 2 {
		t.Fatalf("API requests = %d, want 2", len(reqs))
	}
	for _, r := range reqs {
		if r.Method != http.MethodGet || r.Path != apiRoot+"leads("+leadID+")" {
			t.Errorf("request = %s %s, want GET %sleads(%s)", r.Method, r.Path, apiRoot, leadID)
		}
		for name, want := range map[string]string{
			"OData-Version": "4.0", "OData-MaxVersion": "4.0", "Accept": "application/json",
			"Authorization": "Bearer tok-1", "Content-Type": "", "Prefer": "",
		} {
			if got := r.Header.Get(name); got != want {
				t.Errorf("header %s = %q, want %q", name, got, want)
			}
		}
		sel := strings.Split(r.Query.Get("$select"), ",")
		if !contains(sel, "_qualifyingopportunityid_value") || !contains(sel, "new_commerceprospectid") || !contains(sel, "emailaddress1") {
			t.Errorf("$select = %v, lacks lead columns", sel)
		}
	}

	form := f.tokenForms[0]
	for k, want := range map[string]string{
		"grant_type": "client_credentials", "client_id": "client-1", "client_secret": "secret-1",
		"scope": f.srv.URL + "/.default",
	} {
		if got := form.Get(k); got != want {
			t.Errorf("token form %s = %q, want %q", k, got, want)
		}
	}
	if h := f.tokenHeader[0].Get("Authorization"); h != "" {
		t.Errorf("token request sent Authorization %q, want credentials in the form only", h)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestEnsureLeadFindsExistingLead(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Method != http.MethodGet {
			dataverseError(w, http.StatusMethodNotAllowed)
			return
		}
		writeJSON(w, http.StatusOK, `{"value":[`+leadJSON+`]}`)
	})
	c := f.client(t)

	id, created, err := c.EnsureLead(context.Background(), Lead{ProspectID: "o'brien 1&x=2", LastName: "Lovelace"})
	if err != nil {
		t.Fatalf("EnsureLead: %v", err)
	}
	if id != leadID || created {
		t.Errorf("EnsureLead = %q, %v; want %q, false", id, created, leadID)
	}
	reqs := f.seen()
	if len(reqs) != 1 {
		t.Fatalf("API requests = %d, want the one lookup", len(reqs))
	}
	r := reqs[0]
	if r.Path != apiRoot+"leads" {
		t.Errorf("path = %q", r.Path)
	}
	if got, want := r.Query.Get("$filter"), "new_commerceprospectid eq 'o''brien 1&x=2'"; got != want {
		t.Errorf("$filter = %q, want %q", got, want)
	}
	if got := r.Query.Get("$top"); got != "1" {
		t.Errorf("$top = %q, want 1", got)
	}
	if _, injected := r.Query["x"]; injected {
		t.Errorf("prospect ID leaked into the query string: %q", r.Raw)
	}
	if strings.Contains(r.Raw, "+") || !strings.Contains(r.Raw, "%20eq%20") {
		t.Errorf("raw query %q should encode spaces as %%20", r.Raw)
	}
}

// leadStore is a fake Dataverse lead table that answers lookups and creates.
type leadStore struct {
	mu    sync.Mutex
	leads map[string]map[string]any // by prospect column value
	posts int
	col   string
}

func (s *leadStore) serve(t *testing.T) func(w http.ResponseWriter, r *http.Request, body []byte) {
	return func(w http.ResponseWriter, r *http.Request, body []byte) {
		s.mu.Lock()
		defer s.mu.Unlock()
		switch {
		case r.Method == http.MethodGet && r.URL.Path == apiRoot+"leads":
			prefix := s.col + " eq '"
			filter := r.URL.Query().Get("$filter")
			if !strings.HasPrefix(filter, prefix) || !strings.HasSuffix(filter, "'") {
				dataverseError(w, http.StatusBadRequest)
				return
			}
			key := strings.ReplaceAll(filter[len(prefix):len(filter)-1], "''", "'")
			var page []map[string]any
			if l, ok := s.leads[key]; ok {
				page = append(page, l)
			}
			b, _ := json.Marshal(map[string]any{"value": page})
			writeJSON(w, http.StatusOK, string(b))
		case r.Method == http.MethodPost && r.URL.Path == apiRoot+"leads":
			s.posts++
			l := decodeBody(t, body)
			l["leadid"] = leadID
			l["statecode"] = 0
			l["statuscode"] = 1
			s.leads[l[s.col].(string)] = l
			b, _ := json.Marshal(l)
			writeJSON(w, http.StatusCreated, string(b))
		default:
			dataverseError(w, http.StatusNotFound)
		}
	}
}

func TestEnsureLeadCreatesOnlyOnce(t *testing.T) {
	store := &leadStore{leads: map[string]map[string]any{}, col: "cr5_prospect"}
	f := newFake(t, store.serve(t))
	cfg := f.config()
	cfg.ProspectIDColumn = "cr5_prospect"
	c, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	in := Lead{ProspectID: "req-'7'", Subject: "B2B partner request", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", CompanyName: "Analytical Engines", Country: "GB"}

	for i, wantCreated := range []bool{true, false} {
		id, created, err := c.EnsureLead(context.Background(), in)
		if err != nil {
			t.Fatalf("EnsureLead #%d: %v", i+1, err)
		}
		if id != leadID || created != wantCreated {
			t.Errorf("EnsureLead #%d = %q, %v; want %q, %v", i+1, id, created, leadID, wantCreated)
		}
	}
	if store.posts != 1 {
		t.Errorf("leads created = %d, want 1", store.posts)
	}

	var post seen
	for _, r := range f.seen() {
		if r.Method == http.MethodPost {
			post = r
		}
	}
	if got := post.Header.Get("Prefer"); got != "return=representation" {
		t.Errorf("Prefer = %q, want return=representation", got)
	}
	if got := post.Header.Get("Content-Type"); got != "application/json; charset=utf-8" {
		t.Errorf("Content-Type = %q", got)
	}
	if got := post.Query.Get("$select"); got != "leadid" {
		t.Errorf("$select = %q, want leadid", got)
	}
	body := decodeBody(t, post.Body)
	want := map[string]any{"cr5_prospect": "req-'7'", "subject": "B2B partner request", "firstname": "Ada",
		"lastname": "Lovelace", "emailaddress1": "ada@example.com", "companyname": "Analytical Engines",
		"address1_country": "GB", "leadid": LeadIDFor("req-'7'")}
	if len(body) != len(want) {
		t.Errorf("create body = %v, want exactly %v (no empty or state columns)", body, want)
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("create body %s = %v, want %v", k, body[k], v)
		}
	}
}

func TestCreateLeadAccepts204WithEntityID(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.Header().Set("OData-EntityId", "https://org.crm.dynamics.com/api/data/v9.2/leads("+leadID+")")
		w.WriteHeader(http.StatusNoContent)
	})
	id, err := f.client(t).CreateLead(context.Background(), Lead{ProspectID: "req-1", LastName: "L"})
	if err != nil || id != leadID {
		t.Fatalf("CreateLead = %q, %v; want %q", id, err, leadID)
	}
}

func TestCreateLeadWithoutIDFails(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.WriteHeader(http.StatusNoContent)
	})
	id, err := f.client(t).CreateLead(context.Background(), Lead{ProspectID: "req-1"})
	if err == nil {
		t.Fatalf("CreateLead = %q, want an error when no ID comes back", id)
	}
}

func TestEnsureLeadRequiresProspectID(t *testing.T) {
	f := newFake(t, nil)
	_, _, err := f.client(t).EnsureLead(context.Background(), Lead{LastName: "L"})
	if err == nil || !strings.Contains(err.Error(), "ProspectID") || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error naming ProspectID", err)
	}
	if n := len(f.seen()); n != 0 {
		t.Errorf("API requests = %d, want none", n)
	}
}

func TestQualifyLead(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusOK, `{"@odata.context":"x","value":[
			{"@odata.type":"#Microsoft.Dynamics.CRM.opportunity","opportunityid":"`+oppID+`"},
			{"@odata.type":"#Microsoft.Dynamics.CRM.account","accountid":"`+accountID+`"},
			{"@odata.type":"#Microsoft.Dynamics.CRM.contact","contactid":"`+contactID+`"}]}`)
	})
	q, err := f.client(t).QualifyLead(context.Background(), leadID)
	if err != nil {
		t.Fatalf("QualifyLead: %v", err)
	}
	if want := (Qualification{AccountID: accountID, ContactID: contactID, OpportunityID: oppID}); q != want {
		t.Errorf("qualification = %+v, want %+v", q, want)
	}
	r := f.seen()[0]
	if r.Method != http.MethodPost || r.Path != apiRoot+"leads("+leadID+")/Microsoft.Dynamics.CRM.QualifyLead" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	body := decodeBody(t, r.Body)
	want := map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3.0}
	if len(body) != len(want) {
		t.Errorf("body = %v, want %v", body, want)
	}
	for k, v := range want {
		if body[k] != v {
			t.Errorf("body %s = %v, want %v", k, body[k], v)
		}
	}
}

func TestQualifyLeadWithoutOpportunityFails(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusOK, `{"value":[{"@odata.type":"#Microsoft.Dynamics.CRM.account","accountid":"`+accountID+`"}]}`)
	})
	if _, err := f.client(t).QualifyLead(context.Background(), leadID); err == nil {
		t.Fatal("QualifyLead succeeded without an opportunity in the response")
	}
}

func TestCloseOpportunityBodies(t *testing.T) {
	for _, tc := range []struct {
		name   string
		call   func(*Client) error
		action string
		status float64
	}{
		{"win", func(c *Client) error { return c.WinOpportunity(context.Background(), oppID, "Partner approved") }, "WinOpportunity", 3},
		{"lose", func(c *Client) error { return c.LoseOpportunity(context.Background(), oppID, "Partner approved") }, "LoseOpportunity", 4},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
			if err := tc.call(f.client(t)); err != nil {
				t.Fatalf("%s: %v", tc.action, err)
			}
			r := f.seen()[0]
			if r.Method != http.MethodPost || r.Path != apiRoot+tc.action {
				t.Errorf("request = %s %s, want POST %s%s", r.Method, r.Path, apiRoot, tc.action)
			}
			body := decodeBody(t, r.Body)
			if body["Status"] != tc.status {
				t.Errorf("Status = %v, want %v", body["Status"], tc.status)
			}
			closing, _ := body["OpportunityClose"].(map[string]any)
			if closing["subject"] != "Partner approved" || closing["opportunityid@odata.bind"] != "/opportunities("+oppID+")" || len(closing) != 2 {
				t.Errorf("OpportunityClose = %v", closing)
			}
		})
	}
}

func TestDisqualifyLead(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	c := f.client(t)
	if err := c.DisqualifyLead(context.Background(), leadID, LeadStatusNoLongerInterested); err != nil {
		t.Fatalf("DisqualifyLead: %v", err)
	}
	r := f.seen()[0]
	if r.Method != http.MethodPatch || r.Path != apiRoot+"leads("+leadID+")" {
		t.Errorf("request = %s %s", r.Method, r.Path)
	}
	if got := string(r.Body); got != `{"statecode":2,"statuscode":6}` {
		t.Errorf("body = %s", got)
	}
	if got := r.Header.Get("If-Match"); got != "*" {
		t.Errorf("If-Match = %q, want * so that a missing lead is not created by upsert", got)
	}

	err := c.DisqualifyLead(context.Background(), leadID, 3)
	if err == nil || !IsPermanent(err) {
		t.Errorf("status 3: err = %v, want a permanent error", err)
	}
	if n := len(f.seen()); n != 1 {
		t.Errorf("API requests = %d, want the invalid one not sent", n)
	}
}

func TestGetOpportunityAccountContact(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		switch r.URL.Path {
		case apiRoot + "opportunities(" + oppID + ")":
			writeJSON(w, http.StatusOK, `{"opportunityid":"`+oppID+`","name":"Analytical Engines","_originatingleadid_value":"`+leadID+
				`","_parentaccountid_value":"`+accountID+`","_parentcontactid_value":"`+contactID+`","statecode":1,"statuscode":3}`)
		case apiRoot + "accounts(" + accountID + ")":
			writeJSON(w, http.StatusOK, `{"accountid":"`+accountID+`","name":"Analytical Engines","address1_line1":"1 Main St",
				"address1_city":"London","address1_postalcode":"N1","address1_country":"GB","telephone1":"+1","emailaddress1":"info@example.com"}`)
		case apiRoot + "contacts(" + contactID + ")":
			writeJSON(w, http.StatusOK, `{"contactid":"`+contactID+`","firstname":"Ada","lastname":"Lovelace","emailaddress1":"ada@example.com",
				"telephone1":null,"jobtitle":"Buyer","_parentcustomerid_value":"`+accountID+`"}`)
		default:
			dataverseError(w, http.StatusNotFound)
		}
	})
	c := f.client(t)
	ctx := context.Background()

	o, err := c.GetOpportunity(ctx, oppID)
	if want := (Opportunity{ID: oppID, Name: "Analytical Engines", OriginatingLeadID: leadID, AccountID: accountID,
		ContactID: contactID, State: OpportunityWon, StatusCode: 3}); err != nil || o != want {
		t.Errorf("GetOpportunity = %+v, %v; want %+v", o, err, want)
	}
	a, err := c.GetAccount(ctx, accountID)
	if want := (Account{ID: accountID, Name: "Analytical Engines", Street: "1 Main St", City: "London", PostalCode: "N1",
		Country: "GB", Phone: "+1", Email: "info@example.com"}); err != nil || a != want {
		t.Errorf("GetAccount = %+v, %v; want %+v", a, err, want)
	}
	ct, err := c.GetContact(ctx, contactID)
	if want := (Contact{ID: contactID, FirstName: "Ada", LastName: "Lovelace", Email: "ada@example.com",
		JobTitle: "Buyer", ParentAccountID: accountID}); err != nil || ct != want {
		t.Errorf("GetContact = %+v, %v; want %+v", ct, err, want)
	}
	for _, r := range f.seen() {
		if r.Query.Get("$select") == "" {
			t.Errorf("%s sent no $select", r.Path)
		}
	}
}

func TestNotFound(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { dataverseError(w, http.StatusNotFound) })
	_, err := f.client(t).GetOpportunity(context.Background(), oppID)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("err = %v, want ErrNotFound", err)
	}
	if !IsPermanent(fmt.Errorf("check opportunity: %w", err)) {
		t.Errorf("a wrapped 404 should stay permanent")
	}
}

func TestRefusesIDsThatAreNotGUIDs(t *testing.T) {
	f := newFake(t, nil)
	_, err := f.client(t).GetLead(context.Background(), leadID+")/../accounts(x")
	if err == nil || !IsPermanent(err) {
		t.Fatalf("err = %v, want a permanent error", err)
	}
	if n := len(f.seen()); n != 0 {
		t.Errorf("API requests = %d, want none", n)
	}
}

func TestErrorClassification(t *testing.T) {
	for _, tc := range []struct {
		status     int
		permanent  bool
		notFound   bool
		retryAfter time.Duration
	}{
		{status: 400, permanent: true},
		{status: 401, permanent: true},
		{status: 403, permanent: true},
		{status: 404, permanent: true, notFound: true},
		{status: 408},
		{status: 412, permanent: true},
		{status: 429, retryAfter: 7 * time.Second},
		{status: 500},
		{status: 502},
		{status: 503, retryAfter: 7 * time.Second},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if tc.retryAfter > 0 {
					w.Header().Set("Retry-After", "7")
				}
				dataverseError(w, tc.status)
			})
			_, err := f.client(t).GetLead(context.Background(), leadID)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("err = %v (%T), want *Error", err, err)
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v", !tc.permanent, tc.permanent)
			}
			if e.StatusCode != tc.status || e.Code != fmt.Sprintf("0x8004%04x", tc.status) || e.Op != "get lead" {
				t.Errorf("error = %+v", e)
			}
			msg := err.Error()
			for _, part := range []string{"get lead", fmt.Sprint(tc.status), e.Code, fmt.Sprintf("failure %d from Dataverse", tc.status)} {
				if !strings.Contains(msg, part) {
					t.Errorf("message %q lacks %q", msg, part)
				}
			}
			if errors.Is(err, ErrNotFound) != tc.notFound {
				t.Errorf("errors.Is(ErrNotFound) = %v, want %v", !tc.notFound, tc.notFound)
			}
			if e.RetryAfter != tc.retryAfter {
				t.Errorf("RetryAfter = %v, want %v", e.RetryAfter, tc.retryAfter)
			}
			wantTokens := 1
			if tc.status == http.StatusUnauthorized {
				wantTokens = 2 // one fresh token is tried before giving up
			}
			if n := f.tokens(); n != wantTokens {
				t.Errorf("token requests = %d, want %d", n, wantTokens)
			}
		})
	}
}

func TestUnauthorizedRetriesWithFreshToken(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		if r.Header.Get("Authorization") == "Bearer tok-1" {
			dataverseError(w, http.StatusUnauthorized)
			return
		}
		writeJSON(w, http.StatusOK, leadJSON)
	})
	if _, err := f.client(t).GetLead(context.Background(), leadID); err != nil {
		t.Fatalf("GetLead: %v", err)
	}
	if reqs := f.seen(); len(reqs) != 2 || reqs[1].Header.Get("Authorization") != "Bearer tok-2" {
		t.Errorf("requests = %d, want a second one with tok-2", len(reqs))
	}
}

func TestNetworkErrorIsTransient(t *testing.T) {
	f := newFake(t, nil)
	c := f.client(t)
	f.srv.Close()
	_, err := c.GetLead(context.Background(), leadID)
	var e *Error
	if !errors.As(err, &e) || e.Err == nil {
		t.Fatalf("err = %v, want *Error with a cause", err)
	}
	if IsPermanent(err) {
		t.Errorf("a closed server should be transient: %v", err)
	}
}

func TestTokenErrors(t *testing.T) {
	for _, tc := range []struct {
		status    int
		permanent bool
		text      string
	}{
		{http.StatusBadRequest, true, "rejected the Sales credentials"},
		{http.StatusUnauthorized, true, "rejected the Sales credentials"},
		{http.StatusInternalServerError, false, "token endpoint failed"},
		{http.StatusTooManyRequests, false, "token endpoint failed"},
	} {
		t.Run(fmt.Sprint(tc.status), func(t *testing.T) {
			f := newFake(t, nil)
			f.tokenFail = tc.status
			_, err := f.client(t).GetLead(context.Background(), leadID)
			if err == nil {
				t.Fatal("GetLead succeeded without a token")
			}
			if IsPermanent(err) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if !strings.Contains(err.Error(), tc.text) || !strings.Contains(err.Error(), "get lead") {
				t.Errorf("message %q lacks %q", err, tc.text)
			}
			if strings.Contains(err.Error(), "secret-1") {
				t.Errorf("message leaks the client secret: %q", err)
			}
			if n := len(f.seen()); n != 0 {
				t.Errorf("API requests = %d, want none without a token", n)
			}
		})
	}
}

func TestContextIsHonoured(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	defer close(release)
	c := f.client(t)

	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := c.GetLead(ctx, leadID)
	if !errors.Is(err, context.DeadlineExceeded) || IsPermanent(err) {
		t.Fatalf("err = %v, want a transient deadline error", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("the call outlived its context by far")
	}

	cfg := f.config()
	cfg.Timeout = 50 * time.Millisecond
	short, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := short.GetLead(context.Background(), leadID); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Config.Timeout: err = %v, want a deadline error", err)
	}
}

func TestOversizedResponseIsRefused(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		w.WriteHeader(http.StatusOK)
		fmt.Fprint(w, `{"leadid":"`)
		chunk := strings.Repeat("a", 1<<20)
		for range 9 {
			fmt.Fprint(w, chunk)
		}
		fmt.Fprint(w, `"}`)
	})
	if _, err := f.client(t).GetLead(context.Background(), leadID); err == nil || !strings.Contains(err.Error(), "larger than") {
		t.Fatalf("err = %v, want a size limit error", err)
	}
}

func TestNewValidatesConfig(t *testing.T) {
	good := Config{EnvironmentURL: "https://org.crm.dynamics.com/", TokenURL: "https://login.microsoftonline.com/t/oauth2/v2.0/token",
		ClientID: "id", ClientSecret: "secret"}
	c, err := New(good)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	if c.base != "https://org.crm.dynamics.com/api/data/v9.2/" || c.cfg.Scope != "https://org.crm.dynamics.com/.default" ||
		c.cfg.ProspectIDColumn != DefaultProspectIDColumn || c.cfg.Timeout != DefaultTimeout {
		t.Errorf("defaults: base %q, config %v", c.base, c.cfg)
	}
	if strings.Contains(fmt.Sprint(good), "secret") || strings.Contains(fmt.Sprintf("%+v", good), "secret") {
		t.Errorf("formatted Config shows the secret: %v", good)
	}
	for field, mutate := range map[string]func(*Config){
		"EnvironmentURL":   func(c *Config) { c.EnvironmentURL = "org.crm.dynamics.com" },
		"TokenURL":         func(c *Config) { c.TokenURL = "" },
		"ClientID":         func(c *Config) { c.ClientID = "" },
		"ClientSecret":     func(c *Config) { c.ClientSecret = "" },
		"ProspectIDColumn": func(c *Config) { c.ProspectIDColumn = "x eq 1 or y" },
		"APIVersion":       func(c *Config) { c.APIVersion = "9.2/../x" },
	} {
		cfg := good
		mutate(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), "Config."+field) {
			t.Errorf("%s: err = %v, want one naming Config.%s", field, err, field)
		}
	}
}

func TestConfigFromEnv(t *testing.T) {
	clearEnv := func() {
		for _, k := range []string{"SALES_ENVIRONMENT_URL", "SALES_TOKEN_URL", "SALES_TENANT_ID", "SALES_CLIENT_ID",
			"SALES_CLIENT_SECRET", "SALES_PROSPECT_ID_COLUMN", "SALES_SCOPE", "SALES_API_VERSION", "SALES_TIMEOUT"} {
			t.Setenv(k, "")
		}
	}
	clearEnv()
	// No environment, no fallback: a production start must not reach a stand-in.
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "SALES_ENVIRONMENT_URL is required") ||
		!strings.Contains(err.Error(), "SALES_CLIENT_SECRET is required") {
		t.Errorf("no configuration: err = %v, want each missing variable named", err)
	}
	t.Setenv("SALES_ENVIRONMENT_URL", "http://127.0.0.1:8090/")
	t.Setenv("SALES_CLIENT_ID", "onboarding-worker")
	t.Setenv("SALES_CLIENT_SECRET", "local-secret")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{EnvironmentURL: "http://127.0.0.1:8090", TokenURL: "http://127.0.0.1:8090/local/oauth2/v2.0/token",
		ClientID: "onboarding-worker", ClientSecret: "local-secret", APIVersion: DefaultAPIVersion,
		ProspectIDColumn: DefaultProspectIDColumn, Timeout: DefaultTimeout}
	if cfg != want {
		t.Errorf("the stand-in's settings = %v, want %v", cfg, want)
	}
	if _, err := New(cfg); err != nil {
		t.Errorf("New: %v", err)
	}

	t.Setenv("SALES_ENVIRONMENT_URL", "https://org.crm4.dynamics.com")
	t.Setenv("SALES_TENANT_ID", "contoso.onmicrosoft.com")
	t.Setenv("SALES_PROSPECT_ID_COLUMN", "cr5_prospect")
	t.Setenv("SALES_TIMEOUT", "10s")
	cfg, err = ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.TokenURL != "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/token" ||
		cfg.ProspectIDColumn != "cr5_prospect" || cfg.Timeout != 10*time.Second {
		t.Errorf("config = %v", cfg)
	}

	t.Setenv("SALES_TOKEN_URL", "https://login.example.com/token")
	if cfg, _ := ConfigFromEnv(); cfg.TokenURL != "https://login.example.com/token" {
		t.Errorf("SALES_TOKEN_URL not preferred over SALES_TENANT_ID: %q", cfg.TokenURL)
	}

	for name, value := range map[string]string{
		"SALES_ENVIRONMENT_URL":    "ftp://x",
		"SALES_TOKEN_URL":          "not a url",
		"SALES_TIMEOUT":            "soon",
		"SALES_PROSPECT_ID_COLUMN": "a b",
	} {
		clearEnv()
		t.Setenv("SALES_ENVIRONMENT_URL", "https://org.crm4.dynamics.com")
		t.Setenv("SALES_CLIENT_ID", "id")
		t.Setenv("SALES_CLIENT_SECRET", "secret")
		t.Setenv(name, value)
		if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("%s=%q: err = %v, want one naming the variable", name, value, err)
		}
	}
}

func TestIsPermanentOnForeignErrors(t *testing.T) {
	if IsPermanent(errors.New("boom")) || IsPermanent(nil) || IsPermanent(context.Canceled) {
		t.Error("errors this package did not make must count as transient")
	}
}
