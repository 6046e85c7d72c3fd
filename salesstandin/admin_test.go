package salesstandin

import (
	"net/http"
	"testing"
)

func TestMergeLeads(t *testing.T) {
	hooks := newHookReceiver(t)
	st := startStandin(t, t.TempDir(), hooks.URL)
	master := st.createLead(t, b2bLead("PR-M1"))
	duplicate := st.createLead(t, b2bLead("PR-M2"))

	resp := st.call(t, http.MethodPost, "/standin/leads/"+duplicate+"/merge", map[string]string{"master": master}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("merge: %s", resp.Status)
	}
	var lead map[string]any
	st.call(t, http.MethodGet, "/api/data/v9.2/leads("+duplicate+")?$select=merged,_masterid_value,statecode,statuscode", nil, &lead)
	if lead["merged"] != true || lead["_masterid_value"] != master || lead["statecode"] != 2.0 || lead["statuscode"] != 7.0 {
		t.Errorf("merged lead = %v", lead)
	}
	st.call(t, http.MethodGet, "/api/data/v9.2/leads("+master+")?$select=merged,_masterid_value,statecode", nil, &lead)
	if lead["merged"] != false || lead["_masterid_value"] != nil || lead["statecode"] != 0.0 {
		t.Errorf("master lead = %v", lead)
	}

	for _, tc := range []struct {
		sub, master string
		status      int
	}{
		{duplicate, master, http.StatusBadRequest}, // no longer open
		{master, master, http.StatusBadRequest},
		{master, "00000000-0000-4000-8000-000000000404", http.StatusNotFound},
	} {
		if resp := st.call(t, http.MethodPost, "/standin/leads/"+tc.sub+"/merge", map[string]string{"master": tc.master}, nil); resp.StatusCode != tc.status {
			t.Errorf("merge %s into %s: %s, want %d", tc.sub, tc.master, resp.Status, tc.status)
		}
	}
	st.Close()
	if d := st.Deliveries(); len(d) != 0 {
		t.Errorf("a merge fired webhooks: %+v", d)
	}
}

func TestDeleteRecord(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	leadID := st.createLead(t, b2bLead("PR-D"))
	_, _, opp := st.qualify(t, leadID)

	if resp := st.call(t, http.MethodDelete, "/standin/records/opportunities/"+opp, nil, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("delete: %s", resp.Status)
	}
	if resp := st.call(t, http.MethodGet, "/api/data/v9.2/opportunities("+opp+")", nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("deleted opportunity: %s, want 404", resp.Status)
	}
	var lead map[string]any
	st.call(t, http.MethodGet, "/api/data/v9.2/leads("+leadID+")?$select=_qualifyingopportunityid_value,statecode", nil, &lead)
	if lead["_qualifyingopportunityid_value"] != nil || lead["statecode"] != 1.0 {
		t.Errorf("lead after its opportunity was deleted = %v, want the link cleared", lead)
	}
	if resp := st.call(t, http.MethodDelete, "/standin/records/opportunities/"+opp, nil, nil); resp.StatusCode != http.StatusNotFound {
		t.Errorf("delete twice: %s, want 404", resp.Status)
	}
	if err := st.DeleteRecord(setLeads, leadID); err != nil {
		t.Fatalf("delete lead: %v", err)
	}
	if err := st.DeleteRecord("widgets", leadID); err == nil {
		t.Error("deleted from an unknown set")
	}
}

func TestSeedOpportunityWithOnlyACustomer(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	account, contact, _ := st.qualify(t, st.createLead(t, b2bLead("PR-S")))
	for kind, customer := range map[string]string{"account": account, "contact": contact} {
		id, err := st.SeedOpportunity(OpportunitySeed{Name: "Entered by hand", CustomerID: customer, CustomerKind: kind})
		if err != nil {
			t.Fatalf("seed with %s customer: %v", kind, err)
		}
		var opp map[string]any
		resp := st.call(t, http.MethodGet, "/api/data/v9.2/opportunities("+id+")", nil, &opp,
			"Prefer", `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`)
		if resp.StatusCode != 200 || opp["_parentaccountid_value"] != nil || opp["_parentcontactid_value"] != nil ||
			opp["_customerid_value"] != customer || opp["_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != kind ||
			opp["statecode"] != 0.0 {
			t.Errorf("%s customer: %s %v", kind, resp.Status, opp)
		}
	}
	for _, bad := range []OpportunitySeed{
		{CustomerID: account},
		{CustomerID: account, CustomerKind: "contact"},
		{CustomerID: account, CustomerKind: "account", ParentContactID: account},
	} {
		if _, err := st.SeedOpportunity(bad); err == nil {
			t.Errorf("seeded %+v", bad)
		}
	}
}
