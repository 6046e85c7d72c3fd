package sales_test

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
)

// TestAgainstStandin runs the client end to end against the Sales stand-in.
func TestAgainstStandin(t *testing.T) {
	srv, err := salesstandin.New(salesstandin.Config{DataDir: t.TempDir(), ClientID: "onboarding-worker",
		ClientSecret: "local-secret", Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	cfg := sales.Config{EnvironmentURL: ts.URL, TokenURL: ts.URL + "/local/oauth2/v2.0/token",
		ClientID: "onboarding-worker", ClientSecret: "local-secret"}
	c, err := sales.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()

	newLead := func(prospect string) sales.Lead {
		return sales.Lead{ProspectID: prospect, Subject: "B2B partner request", FirstName: "Ada", LastName: "Lovelace",
			Email: "ada@example.com", Phone: "+44 20 7946 0000", JobTitle: "Buyer", CompanyName: "Analytical Engines",
			Street: "1 Main St", City: "London", PostalCode: "N1 9GU", Country: "GB", Description: "wants to buy"}
	}
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
