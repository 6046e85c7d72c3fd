package sales_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2/clientcredentials"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
)

// startStandin runs the Sales stand-in in process and returns it with a client configuration for it.
func startStandin(t *testing.T) (*salesstandin.Server, sales.Config) {
	t.Helper()
	srv, err := salesstandin.New(salesstandin.Config{DataDir: t.TempDir(), ClientID: "onboarding-worker",
		ClientSecret: "local-secret", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return srv, sales.Config{EnvironmentURL: ts.URL, TokenURL: ts.URL + "/local/oauth2/v2.0/token",
		ClientID: "onboarding-worker", ClientSecret: "local-secret"}
}

func newClient(t *testing.T, cfg sales.Config) *sales.Client {
	t.Helper()
	c, err := sales.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func newLead(prospect string) sales.Lead {
	return sales.Lead{ProspectID: prospect, Subject: "B2B partner request", FirstName: "Ada", LastName: "Lovelace",
		Email: "ada@example.com", Phone: "+44 20 7946 0000", JobTitle: "Buyer", CompanyName: "Analytical Engines",
		Street: "1 Main St", City: "London", PostalCode: "N1 9GU", Country: "GB", Description: "wants to buy"}
}

// leadsOf returns the stand-in's leads for a prospect.
func leadsOf(t *testing.T, srv *salesstandin.Server, prospect string) []map[string]any {
	t.Helper()
	rows, err := srv.Rows("leads")
	if err != nil {
		t.Fatal(err)
	}
	var mine []map[string]any
	for _, r := range rows {
		if r[sales.DefaultProspectIDColumn] == prospect {
			mine = append(mine, r)
		}
	}
	return mine
}

// TestAgainstStandin runs the client end to end against the Sales stand-in.
func TestAgainstStandin(t *testing.T) {
	_, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()

	ensure := func(prospect string) string {
		t.Helper()
		id, created, err := c.EnsureLead(ctx, newLead(prospect))
		if err != nil || !created {
			t.Fatalf("EnsureLead(%s) = %q, %v, %v; want a new lead", prospect, id, created, err)
		}
		again, created, err := c.EnsureLead(ctx, newLead(prospect))
		if err != nil || created || again != id {
			t.Fatalf("EnsureLead(%s) again = %q, %v, %v; want %q found", prospect, again, created, err, id)
		}
		return id
	}

	// Create, find, qualify, win.
	leadID := ensure("req-o'brien-1")
	found, ok, err := c.FindLeadByProspect(ctx, "req-o'brien-1")
	want := newLead("req-o'brien-1")
	want.ID, want.State = leadID, sales.LeadOpen
	want.StatusCode = found.StatusCode // Dataverse's default status reason for an open lead
	if err != nil || !ok || found != want {
		t.Fatalf("FindLeadByProspect = %+v, %v, %v\nwant %+v", found, ok, err, want)
	}
	if _, ok, err := c.FindLeadByProspect(ctx, "req-other"); err != nil || ok {
		t.Errorf("FindLeadByProspect(unknown) = %v, %v; want not found", ok, err)
	}

	q, err := c.QualifyLead(ctx, leadID)
	if err != nil || q.AccountID == "" || q.ContactID == "" || q.OpportunityID == "" {
		t.Fatalf("QualifyLead = %+v, %v", q, err)
	}
	lead, err := c.GetLead(ctx, leadID)
	if err != nil || lead.State != sales.LeadQualified || lead.QualifyingOpportunityID != q.OpportunityID {
		t.Errorf("qualified lead = %+v, %v", lead, err)
	}
	opp, err := c.GetOpportunity(ctx, q.OpportunityID)
	if err != nil || opp.State != sales.OpportunityOpen || opp.OriginatingLeadID != leadID ||
		opp.AccountID != q.AccountID || opp.ContactID != q.ContactID {
		t.Errorf("opportunity = %+v, %v; qualification %+v", opp, err, q)
	}
	account, err := c.GetAccount(ctx, q.AccountID)
	if err != nil || account.Name != "Analytical Engines" || account.City != "London" || account.Country != "GB" {
		t.Errorf("account = %+v, %v", account, err)
	}
	contact, err := c.GetContact(ctx, q.ContactID)
	if err != nil || contact.FirstName != "Ada" || contact.LastName != "Lovelace" ||
		contact.Email != "ada@example.com" || contact.ParentAccountID != q.AccountID {
		t.Errorf("contact = %+v, %v", contact, err)
	}
	if err := c.WinOpportunity(ctx, q.OpportunityID, "Partner approved"); err != nil {
		t.Fatalf("WinOpportunity: %v", err)
	}
	if opp, err := c.GetOpportunity(ctx, q.OpportunityID); err != nil || opp.State != sales.OpportunityWon {
		t.Errorf("won opportunity = %+v, %v", opp, err)
	}

	// Qualify, lose.
	q2, err := c.QualifyLead(ctx, ensure("req-2"))
	if err != nil {
		t.Fatalf("QualifyLead: %v", err)
	}
	if err := c.LoseOpportunity(ctx, q2.OpportunityID, "Partner declined"); err != nil {
		t.Fatalf("LoseOpportunity: %v", err)
	}
	if opp, err := c.GetOpportunity(ctx, q2.OpportunityID); err != nil || opp.State != sales.OpportunityLost {
		t.Errorf("lost opportunity = %+v, %v", opp, err)
	}

	// Disqualify.
	id3 := ensure("req-3")
	if err := c.DisqualifyLead(ctx, id3, sales.LeadStatusNoLongerInterested); err != nil {
		t.Fatalf("DisqualifyLead: %v", err)
	}
	if lead, err := c.GetLead(ctx, id3); err != nil || lead.State != sales.LeadDisqualified ||
		lead.StatusCode != sales.LeadStatusNoLongerInterested {
		t.Errorf("disqualified lead = %+v, %v", lead, err)
	}

	// Errors as the stand-in reports them.
	_, err = c.GetOpportunity(ctx, "00000000-0000-0000-0000-000000000001")
	if !errors.Is(err, sales.ErrNotFound) || !sales.IsPermanent(err) {
		t.Errorf("unknown opportunity: err = %v, want permanent ErrNotFound", err)
	}
	bad := cfg
	bad.ClientSecret = "wrong"
	wrong, err := sales.New(bad)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := wrong.GetLead(ctx, leadID); err == nil || !sales.IsPermanent(err) {
		t.Errorf("wrong secret: err = %v, want a permanent error", err)
	}
}

// A correction or a disqualification never creates a lead: PATCH goes with If-Match: *, and a
// missing lead is ErrNotFound, not an upsert.
func TestUpdatesNeverCreateLeads(t *testing.T) {
	srv, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()
	missing := sales.LeadIDFor("req-never-created")

	if err := c.DisqualifyLead(ctx, missing, sales.LeadStatusCanceled); !sales.IsNotFound(err) {
		t.Errorf("DisqualifyLead(missing) = %v, want ErrNotFound", err)
	}
	if err := c.UpdateLead(ctx, missing, sales.Lead{Email: "new@example.com"}); !sales.IsNotFound(err) {
		t.Errorf("UpdateLead(missing) = %v, want ErrNotFound", err)
	}
	if rows, _ := srv.Rows("leads"); len(rows) != 0 {
		t.Fatalf("leads = %v, want none created", rows)
	}

	id, _, err := c.EnsureLead(ctx, newLead("req-fix"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateLead(ctx, id, sales.Lead{Email: "ada@analytical.example", City: "Leeds", PostalCode: "LS1"}); err != nil {
		t.Fatalf("UpdateLead: %v", err)
	}
	lead, err := c.GetLead(ctx, id)
	want := newLead("req-fix")
	want.ID, want.Email, want.City, want.PostalCode, want.StatusCode = id, "ada@analytical.example", "Leeds", "LS1", lead.StatusCode
	if err != nil || lead != want {
		t.Errorf("corrected lead = %+v, %v\nwant %+v", lead, err, want)
	}
}

// The client's column limits are the stand-in's: a value at the limit is stored, one more is refused
// by the client before sending and by the stand-in as Dataverse refuses it.
func TestColumnLimitsAgreeWithStandin(t *testing.T) {
	_, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()
	tok, err := (&clientcredentials.Config{ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret, TokenURL: cfg.TokenURL}).Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for col, limit := range sales.LeadColumnMaxLength {
		fill := func(n int) sales.Lead {
			l := sales.Lead{ProspectID: "req-" + col, LastName: "L"}
			v := strings.Repeat("x", n)
			for _, f := range []struct {
				col string
				to  *string
			}{{"subject", &l.Subject}, {"firstname", &l.FirstName}, {"lastname", &l.LastName}, {"emailaddress1", &l.Email},
				{"telephone1", &l.Phone}, {"jobtitle", &l.JobTitle}, {"companyname", &l.CompanyName}, {"address1_line1", &l.Street},
				{"address1_city", &l.City}, {"address1_postalcode", &l.PostalCode}, {"address1_country", &l.Country},
				{"description", &l.Description}, {sales.DefaultProspectIDColumn, &l.ProspectID}} {
				if f.col == col {
					*f.to = v
				}
			}
			return l
		}
		if _, _, err := c.EnsureLead(ctx, fill(limit)); err != nil {
			t.Errorf("%s at its limit %d: %v", col, limit, err)
		}
		if _, _, err := c.EnsureLead(ctx, fill(limit+1)); !sales.IsPermanent(err) || !strings.Contains(err.Error(), col) {
			t.Errorf("%s over its limit: client err = %v", col, err)
		}
		body, _ := json.Marshal(map[string]string{col: strings.Repeat("x", limit+1)})
		req, _ := http.NewRequest(http.MethodPost, cfg.EnvironmentURL+"/api/data/v9.2/leads", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+tok.AccessToken)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var answer struct{ Error struct{ Code string } }
		json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || answer.Error.Code != "0x80044331" {
			t.Errorf("%s over its limit: stand-in answered %s %s, want 400 0x80044331", col, resp.Status, answer.Error.Code)
		}
	}
}

func TestOpportunityCustomerFromStandin(t *testing.T) {
	srv, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()
	leadID, _, err := c.EnsureLead(ctx, newLead("req-customer"))
	if err != nil {
		t.Fatal(err)
	}
	q, err := c.QualifyLead(ctx, leadID)
	if err != nil {
		t.Fatal(err)
	}
	if o, err := c.GetOpportunity(ctx, q.OpportunityID); err != nil || o.CustomerID != q.AccountID || o.CustomerKind != sales.CustomerAccount {
		t.Errorf("qualified opportunity = %+v, %v; want the account as customer", o, err)
	}
	for kind, customer := range map[string]string{sales.CustomerAccount: q.AccountID, sales.CustomerContact: q.ContactID} {
		id, err := srv.SeedOpportunity(salesstandin.OpportunitySeed{Name: "by hand", CustomerID: customer, CustomerKind: kind})
		if err != nil {
			t.Fatal(err)
		}
		o, err := c.GetOpportunity(ctx, id)
		want := sales.Opportunity{ID: id, Name: "by hand", CustomerID: customer, CustomerKind: kind, StatusCode: o.StatusCode}
		if kind == sales.CustomerAccount {
			want.AccountID = customer
		} else {
			want.ContactID = customer
		}
		if err != nil || o != want {
			t.Errorf("opportunity with only a %s customer = %+v, %v\nwant %+v", kind, o, err, want)
		}
	}
}

func TestMergedAndDeletedFromStandin(t *testing.T) {
	srv, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()
	master, _, err := c.EnsureLead(ctx, newLead("req-master"))
	if err != nil {
		t.Fatal(err)
	}
	dup, _, err := c.EnsureLead(ctx, newLead("req-dup"))
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.MergeLeads(master, dup); err != nil {
		t.Fatal(err)
	}
	if lead, err := c.GetLead(ctx, dup); err != nil || !lead.Merged || lead.MasterID != master || lead.State != sales.LeadDisqualified {
		t.Errorf("merged lead = %+v, %v", lead, err)
	}
	if lead, err := c.GetLead(ctx, master); err != nil || lead.Merged || lead.MasterID != "" {
		t.Errorf("master lead = %+v, %v", lead, err)
	}

	q, err := c.QualifyLead(ctx, master)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.DeleteRecord("opportunities", q.OpportunityID); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetOpportunity(ctx, q.OpportunityID)
	if !sales.IsNotFound(err) || sales.IsUnauthorized(err) {
		t.Errorf("deleted opportunity: err = %v, want not found", err)
	}
}

func TestErrorsFromStandinFaults(t *testing.T) {
	srv, cfg := startStandin(t)
	c := newClient(t, cfg)
	ctx := context.Background()
	id, _, err := c.EnsureLead(ctx, newLead("req-faults"))
	if err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		fault        salesstandin.Fault
		permanent    bool
		unauthorized bool
		wait         time.Duration
	}{
		{fault: salesstandin.Fault{Kind: salesstandin.FaultThrottle, Count: 1, RetryAfter: 7 * time.Second}, wait: 7 * time.Second},
		{fault: salesstandin.Fault{Kind: salesstandin.FaultFail, Count: 1, Status: 500, Code: "0x80040333"}, permanent: true},
		{fault: salesstandin.Fault{Kind: salesstandin.FaultFail, Count: 1, Status: 500}},
		// Two: the client tries one fresh token after a 401.
		{fault: salesstandin.Fault{Kind: salesstandin.FaultFail, Count: 2, Status: 401, Code: "0x80072560"}, permanent: true, unauthorized: true},
		{fault: salesstandin.Fault{Kind: salesstandin.FaultFail, Count: 1, Status: 403, Code: "0x80040220"}, permanent: true, unauthorized: true},
	} {
		if err := srv.InjectFault(tc.fault); err != nil {
			t.Fatal(err)
		}
		_, err := c.GetLead(ctx, id)
		if err == nil || sales.IsPermanent(err) != tc.permanent || sales.IsUnauthorized(err) != tc.unauthorized ||
			sales.RetryAfterOf(err) != tc.wait || sales.IsNotFound(err) {
			t.Errorf("%+v: err = %v; permanent %v unauthorized %v retry after %v", tc.fault, err,
				sales.IsPermanent(err), sales.IsUnauthorized(err), sales.RetryAfterOf(err))
		}
		srv.ClearFaults()
	}

	wrong := cfg
	wrong.ClientSecret = "wrong"
	if _, err := newClient(t, wrong).GetLead(ctx, id); !sales.IsUnauthorized(err) || sales.IsNotFound(err) {
		t.Errorf("wrong secret: err = %v, want unauthorized", err)
	}
}
