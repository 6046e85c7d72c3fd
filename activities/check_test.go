package activities_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"testing"

	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/workflows"
)

// patchLead changes a lead through the stand-in's Web API, as a seller's
// other tools do (reopening a qualified lead, for one).
func (f *fixture) patchLead(leadID string, changes map[string]any) {
	f.t.Helper()
	body, _ := json.Marshal(changes)
	req, err := http.NewRequestWithContext(f.ctx, http.MethodPatch, f.standin.URL+"/api/data/v9.2/leads("+leadID+")", bytes.NewReader(body))
	if err != nil {
		f.t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+f.salesToken())
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("If-Match", "*")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		f.t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		f.t.Fatalf("PATCH lead: %s", resp.Status)
	}
}

// check runs the Sales check.
func (f *fixture) check(in workflows.SalesCheckInput) workflows.SalesCheck {
	f.t.Helper()
	var c workflows.SalesCheck
	f.mustRun(workflows.ActivityCheckSales, in, &c)
	return c
}

// TestCheckSalesSeesWhatWebhooksMissed: the check reads the opportunity the
// request knows, follows a lead qualified again, and reports the states that
// cannot move on by themselves.
func TestCheckSalesSeesWhatWebhooksMissed(t *testing.T) {
	f := newFixture(t)
	check := f.check
	reopen := func(leadID string) { f.patchLead(leadID, map[string]any{"statecode": 0, "statuscode": 1}) }

	t.Run("closed opportunity while the lead shows open", func(t *testing.T) {
		_, leadID, q := f.qualified()
		if err := f.sales.LoseOpportunity(f.ctx, q.OpportunityID, "lost"); err != nil {
			t.Fatal(err)
		}
		reopen(leadID)
		c := check(workflows.SalesCheckInput{LeadID: leadID, OpportunityID: q.OpportunityID})
		if !c.OpportunityLost || c.OpportunityID != q.OpportunityID {
			t.Errorf("check = %+v, want the known opportunity lost", c)
		}
	})

	t.Run("lead qualified again", func(t *testing.T) {
		_, leadID, first := f.qualified()
		reopen(leadID)
		second, err := f.sales.QualifyLead(f.ctx, leadID)
		if err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID, OpportunityID: first.OpportunityID})
		if c.LeadQualified == nil || c.LeadQualified.OpportunityID != second.OpportunityID || c.OpportunityID != second.OpportunityID ||
			c.LeadQualified.AccountID != second.AccountID {
			t.Errorf("check = %+v (qualified %+v), want the second opportunity %s", c, c.LeadQualified, second.OpportunityID)
		}
	})

	t.Run("lead qualified again after the known opportunity was won", func(t *testing.T) {
		_, leadID, first := f.qualified()
		if err := f.sales.WinOpportunity(f.ctx, first.OpportunityID, "won"); err != nil {
			t.Fatal(err)
		}
		reopen(leadID)
		if _, err := f.sales.QualifyLead(f.ctx, leadID); err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID, OpportunityID: first.OpportunityID})
		if c.OpportunityID != first.OpportunityID || !c.OpportunityWon {
			t.Errorf("check = %+v, want the decided opportunity to stand", c)
		}
	})

	t.Run("opportunity deleted", func(t *testing.T) {
		_, leadID, q := f.qualified()
		if err := f.si.DeleteRecord("opportunities", q.OpportunityID); err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID, OpportunityID: q.OpportunityID})
		if c.Stuck != "opportunity "+q.OpportunityID+" was deleted in Sales" {
			t.Errorf("check = %+v, want stuck: the opportunity is gone", c)
		}
	})

	t.Run("lead merged", func(t *testing.T) {
		_, master := f.withLead("en")
		_, leadID := f.withLead("en")
		if err := f.si.MergeLeads(master, leadID); err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID})
		if c.Stuck != "the lead was merged into lead "+master || c.LeadDisqualified {
			t.Errorf("check = %+v, want stuck: merged into %s", c, master)
		}
	})

	t.Run("qualified without an opportunity", func(t *testing.T) {
		_, leadID := f.withLead("en")
		body, _ := json.Marshal(map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": false, "Status": 3})
		req, _ := http.NewRequestWithContext(f.ctx, http.MethodPost,
			f.standin.URL+"/api/data/v9.2/leads("+leadID+")/Microsoft.Dynamics.CRM.QualifyLead", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.salesToken())
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("qualify without an opportunity: %v %v", resp, err)
		}
		resp.Body.Close()
		c := check(workflows.SalesCheckInput{LeadID: leadID})
		if c.Stuck != "the lead was qualified without an opportunity" {
			t.Errorf("check = %+v, want stuck", c)
		}
	})

	t.Run("opportunity whose parents are empty names its customer", func(t *testing.T) {
		req, leadID, q := f.qualified()
		opp, err := f.si.SeedOpportunity(salesstandin.OpportunitySeed{Name: "Customer only", OriginatingLeadID: leadID,
			CustomerID: q.AccountID, CustomerKind: "account"})
		if err != nil {
			t.Fatal(err)
		}
		var cs workflows.Customers
		f.mustRun(workflows.ActivityImportCustomers, workflows.ImportCustomersInput{RequestID: req.RequestID,
			OpportunityID: opp, ContactID: q.ContactID}, &cs)
		if cs.AccountID != q.AccountID {
			t.Errorf("customers = %+v, want the opportunity's customer as the account", cs)
		}
	})
}
