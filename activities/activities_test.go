package activities_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

func TestRegisterProspectTwiceKeepsOneRow(t *testing.T) {
	f := newFixture(t)
	req := newRequest("de-DE")
	f.mustRun(workflows.ActivityRegisterProspect, req, nil)
	first, err := f.store.GetProspect(f.ctx, req.RequestID)
	if err != nil {
		t.Fatalf("GetProspect: %v", err)
	}

	// A retry carries the same request; one with changed data must not
	// overwrite what the first run registered either.
	f.mustRun(workflows.ActivityRegisterProspect, req, nil)
	changed := req
	changed.Company.Name = "Other Name AG"
	f.mustRun(workflows.ActivityRegisterProspect, changed, nil)

	got, err := f.store.GetProspect(f.ctx, req.RequestID)
	if err != nil {
		t.Fatalf("GetProspect: %v", err)
	}
	want := activities.ProspectOf(req)
	want.CreatedAt, want.UpdatedAt, want.StartedAt = got.CreatedAt, got.UpdatedAt, got.StartedAt
	if got != want {
		t.Errorf("prospect = %+v\nwant %+v", got, want)
	}
	if got.Status != string(workflows.StatusReceived) {
		t.Errorf("status = %q, want %q", got.Status, workflows.StatusReceived)
	}
	if got.StartedAt.IsZero() {
		t.Error("the prospect is not marked started: the restart loop would start it again")
	}
	if !got.UpdatedAt.Equal(first.UpdatedAt) || !got.CreatedAt.Equal(first.CreatedAt) {
		t.Errorf("a repeated registration touched the row: %v/%v, first %v/%v",
			got.CreatedAt, got.UpdatedAt, first.CreatedAt, first.UpdatedAt)
	}
}

func TestRegisterProspectOfPendingRequesterIsRejected(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	other := newRequest("en")
	other.Requester.Email = " " + strings.ToUpper(req.Requester.Email) + " "
	err := f.run(workflows.ActivityRegisterProspect, other, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
}

func TestCreateLeadTwiceMakesOneLead(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")

	var first, second string
	f.mustRun(workflows.ActivityCreateLead, req, &first)
	f.mustRun(workflows.ActivityCreateLead, req, &second)
	if first == "" || second != first {
		t.Fatalf("lead IDs = %q then %q, want one ID twice", first, second)
	}

	rows := f.leadsOfProspect(req.RequestID)
	if len(rows) != 1 || rows[0]["leadid"] != first || rows[0][sales.DefaultProspectIDColumn] != req.RequestID {
		t.Errorf("stand-in leads with %s = %s: %v, want exactly lead %s",
			sales.DefaultProspectIDColumn, req.RequestID, rows, first)
	}

	lead, found, err := f.sales.FindLeadByProspect(f.ctx, req.RequestID)
	if err != nil || !found {
		t.Fatalf("FindLeadByProspect = %v, %v", found, err)
	}
	want := sales.Lead{
		ID: first, ProspectID: req.RequestID, Subject: "B2B partner request: " + req.Company.Name,
		FirstName: req.Requester.FirstName, LastName: req.Requester.LastName, Email: req.Requester.Email,
		Phone: req.Requester.Phone, JobTitle: req.Requester.JobTitle, CompanyName: req.Company.Name,
		Street: req.Company.Address.Street, City: req.Company.Address.City,
		PostalCode: req.Company.Address.PostalCode, Country: req.Company.Address.CountryCode,
		Description: req.Comments, State: sales.LeadOpen, StatusCode: lead.StatusCode,
	}
	if lead != want {
		t.Errorf("lead = %+v\nwant %+v", lead, want)
	}
	if page := f.sellerPage(); !strings.Contains(page, "All Commerce B2B leads") || !strings.Contains(page, first) {
		t.Errorf("the seller page's Commerce B2B leads do not list lead %s", first)
	}

	p, err := f.store.GetProspect(f.ctx, req.RequestID)
	if err != nil || p.LeadID != first {
		t.Errorf("prospect lead = %q, %v; want %q", p.LeadID, err, first)
	}
}

func TestCreateLeadWithWrongCredentialsIsPermanent(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	_, env := newActivities(t, f.store, newSalesClient(t, f.standin.URL, "wrong-secret"), f.mailer)

	err := run(env, workflows.ActivityCreateLead, req, nil)
	wantPermanent(t, err, activities.ErrorSalesRejected)
	if rows := f.leadsOfProspect(req.RequestID); len(rows) != 0 {
		t.Errorf("leads = %v, want none", rows)
	}
}

func TestCreateLeadWithSalesUnreachableRetries(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	_, env := newActivities(t, f.store, newSalesClient(t, closedURL(t), salesClientSecret), f.mailer)

	err := run(env, workflows.ActivityCreateLead, req, nil)
	wantRetryable(t, err)
	if p, err := f.store.GetProspect(f.ctx, req.RequestID); err != nil || p.LeadID != "" {
		t.Errorf("prospect lead = %q, %v; want none", p.LeadID, err)
	}
}

func TestSetProspectStatus(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	for _, status := range []workflows.Status{workflows.StatusAwaitingQualification, workflows.StatusNeedsAttention,
		workflows.StatusApproved, workflows.StatusApproved} {
		f.mustRun(workflows.ActivitySetProspectStatus, workflows.ProspectStatus{RequestID: req.RequestID, Status: status}, nil)
		p, err := f.store.GetProspect(f.ctx, req.RequestID)
		if err != nil || p.Status != string(status) {
			t.Errorf("after SetProspectStatus(%s): status = %q, %v", status, p.Status, err)
		}
	}

	err := f.run(workflows.ActivitySetProspectStatus, workflows.ProspectStatus{RequestID: req.RequestID, Status: "Pending"}, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
	err = f.run(workflows.ActivitySetProspectStatus,
		workflows.ProspectStatus{RequestID: "no-such-request", Status: workflows.StatusApproved}, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
}

func TestImportCustomers(t *testing.T) {
	f := newFixture(t)
	req, _, q := f.qualified()
	in := workflows.ImportCustomersInput{RequestID: req.RequestID, OpportunityID: q.OpportunityID,
		ContactID: q.ContactID, AccountID: q.AccountID}

	var first workflows.Customers
	f.mustRun(workflows.ActivityImportCustomers, in, &first)
	if first.PersonCustomerID == "" || first.OrganizationCustomerID == "" ||
		first.ContactID != q.ContactID || first.AccountID != q.AccountID {
		t.Fatalf("customers = %+v, qualification %+v", first, q)
	}

	org, err := f.store.GetCustomer(f.ctx, first.OrganizationCustomerID)
	if err != nil {
		t.Fatal(err)
	}
	wantOrg := commerce.Customer{ID: first.OrganizationCustomerID, Kind: commerce.KindOrganization,
		SalesRecordID: q.AccountID, RequestID: req.RequestID, Name: req.Company.Name, Phone: req.Requester.Phone,
		Street: req.Company.Address.Street, City: req.Company.Address.City,
		PostalCode: req.Company.Address.PostalCode, CountryCode: req.Company.Address.CountryCode,
		CreatedAt: org.CreatedAt}
	if org != wantOrg {
		t.Errorf("organization = %+v\nwant %+v", org, wantOrg)
	}
	person, err := f.store.GetCustomer(f.ctx, first.PersonCustomerID)
	if err != nil {
		t.Fatal(err)
	}
	wantPerson := commerce.Customer{ID: first.PersonCustomerID, Kind: commerce.KindPerson,
		SalesRecordID: q.ContactID, RequestID: req.RequestID,
		Name:      req.Requester.FirstName + " " + req.Requester.LastName,
		FirstName: req.Requester.FirstName, LastName: req.Requester.LastName, Email: req.Requester.Email,
		Phone: req.Requester.Phone, JobTitle: req.Requester.JobTitle, CreatedAt: person.CreatedAt}
	if person != wantPerson {
		t.Errorf("person = %+v\nwant %+v", person, wantPerson)
	}

	// A retry, and a run that knows only the opportunity (a qualification
	// found by CheckSales may lack the rest), land on the same customers.
	var again, byOpportunity workflows.Customers
	f.mustRun(workflows.ActivityImportCustomers, in, &again)
	f.mustRun(workflows.ActivityImportCustomers,
		workflows.ImportCustomersInput{RequestID: req.RequestID, OpportunityID: q.OpportunityID}, &byOpportunity)
	if again != first || byOpportunity != first {
		t.Errorf("customers = %+v, then %+v, then by opportunity %+v; want the same", first, again, byOpportunity)
	}
	cs, err := f.store.ListCustomersByRequest(f.ctx, req.RequestID)
	if err != nil || len(cs) != 2 {
		t.Errorf("customers of the request = %d, %v; want 2", len(cs), err)
	}
}

func TestImportCustomersOfUnknownOpportunityIsPermanent(t *testing.T) {
	f := newFixture(t)
	req := f.registered("en")
	err := f.run(workflows.ActivityImportCustomers, workflows.ImportCustomersInput{RequestID: req.RequestID,
		OpportunityID: "00000000-0000-0000-0000-000000000001"}, nil)
	wantPermanent(t, err, activities.ErrorSalesRejected)
}

func TestCreateCustomerHierarchy(t *testing.T) {
	f := newFixture(t)
	req, _, cs, in := f.imported()

	var first, second string
	f.mustRun(workflows.ActivityCreateCustomerHierarchy, in, &first)
	f.mustRun(workflows.ActivityCreateCustomerHierarchy, in, &second)
	if first == "" || second != first {
		t.Fatalf("hierarchy IDs = %q then %q, want one ID twice", first, second)
	}

	h, err := f.store.GetHierarchyByRequest(f.ctx, req.RequestID)
	if err != nil {
		t.Fatal(err)
	}
	if h.ID != first || h.Purpose != "B2B organization" || h.RootCustomerID != cs.OrganizationCustomerID ||
		len(h.Members) != 1 || h.Members[0] != (commerce.HierarchyMember{CustomerID: cs.PersonCustomerID, Role: "Admin"}) {
		t.Errorf("hierarchy = %+v\nwant %s, purpose B2B organization, top %s, member %s as Admin",
			h, first, cs.OrganizationCustomerID, cs.PersonCustomerID)
	}
	amount, currency, err := f.store.GetCreditLimit(f.ctx, cs.OrganizationCustomerID)
	if err != nil || amount != 250000 || currency != "EUR" {
		t.Errorf("credit limit = %d %s, %v; want 250000 EUR", amount, currency, err)
	}
	if _, _, err := f.store.GetCreditLimit(f.ctx, cs.PersonCustomerID); err == nil {
		t.Error("the person customer got a credit limit too")
	}
}

// A limit the shop's staff set stays: approving again (a retried step, or
// another request of the same company) never puts the default back.
func TestApprovalNeverResetsACreditLimit(t *testing.T) {
	f := newFixture(t)
	_, _, cs, in := f.imported()
	f.mustRun(workflows.ActivityCreateCustomerHierarchy, in, nil)
	if _, err := f.store.ChangeCreditLimit(f.ctx, cs.OrganizationCustomerID, commerce.CreditLimitChange{
		Amount: 900000, Currency: "EUR", ChangedBy: "credit desk", Reason: "yearly review"}); err != nil {
		t.Fatal(err)
	}

	f.mustRun(workflows.ActivityCreateCustomerHierarchy, in, nil)

	amount, currency, err := f.store.GetCreditLimit(f.ctx, cs.OrganizationCustomerID)
	if err != nil || amount != 900000 || currency != "EUR" {
		t.Errorf("credit limit after approving again = %d %s, %v; want the staff's 900000 EUR", amount, currency, err)
	}
}

// A second request of a partner's company, qualified into the partner's
// account, joins the partner's hierarchy and keeps its credit limit.
func TestSecondRequestOfAPartnerJoinsItsHierarchy(t *testing.T) {
	f := newFixture(t)
	_, q1, partner, in := f.imported()
	var hierarchyID string
	f.mustRun(workflows.ActivityCreateCustomerHierarchy, in, &hierarchyID)
	if _, err := f.store.ChangeCreditLimit(f.ctx, partner.OrganizationCustomerID, commerce.CreditLimitChange{
		Amount: 900000, Currency: "EUR", ChangedBy: "credit desk", Reason: "yearly review"}); err != nil {
		t.Fatal(err)
	}

	second, _, q2 := f.qualified()
	var colleague workflows.Customers
	f.mustRun(workflows.ActivityImportCustomers, workflows.ImportCustomersInput{RequestID: second.RequestID,
		OpportunityID: q2.OpportunityID, ContactID: q2.ContactID, AccountID: q1.AccountID}, &colleague)
	if colleague.OrganizationCustomerID != partner.OrganizationCustomerID {
		t.Fatalf("organization of the second request = %s; want the partner's %s", colleague.OrganizationCustomerID, partner.OrganizationCustomerID)
	}
	var joined string
	f.mustRun(workflows.ActivityApprovePartner, workflows.HierarchyInput{RequestID: second.RequestID,
		OrganizationCustomerID: colleague.OrganizationCustomerID, PersonCustomerID: colleague.PersonCustomerID}, &joined)

	h, err := f.store.GetHierarchyByRequest(f.ctx, second.RequestID)
	want := []commerce.HierarchyMember{{CustomerID: partner.PersonCustomerID, Role: commerce.RoleAdmin},
		{CustomerID: colleague.PersonCustomerID, Role: commerce.RoleUser}}
	if err != nil || joined != hierarchyID || h.ID != hierarchyID || !reflect.DeepEqual(h.Members, want) {
		t.Errorf("second request's hierarchy = %s %+v, %v; want %s with %+v", joined, h, err, hierarchyID, want)
	}
	if amount, _, err := f.store.GetCreditLimit(f.ctx, partner.OrganizationCustomerID); err != nil || amount != 900000 {
		t.Errorf("partner's credit limit = %d, %v; want the staff's 900000", amount, err)
	}
}

func TestCreateCustomerHierarchyWithPersonOnTopIsPermanent(t *testing.T) {
	f := newFixture(t)
	req, _, q := f.qualified()
	var cs workflows.Customers
	f.mustRun(workflows.ActivityImportCustomers, workflows.ImportCustomersInput{RequestID: req.RequestID,
		OpportunityID: q.OpportunityID}, &cs)
	err := f.run(workflows.ActivityCreateCustomerHierarchy, workflows.HierarchyInput{RequestID: req.RequestID,
		OrganizationCustomerID: cs.PersonCustomerID, PersonCustomerID: cs.OrganizationCustomerID}, nil)
	wantPermanent(t, err, activities.ErrorCommerceRejected)
}

func TestCheckSales(t *testing.T) {
	f := newFixture(t)
	check := f.check

	t.Run("open lead", func(t *testing.T) {
		_, leadID := f.withLead("en")
		if c := check(workflows.SalesCheckInput{LeadID: leadID}); c != (workflows.SalesCheck{}) {
			t.Errorf("check = %+v, want nothing decided", c)
		}
	})

	t.Run("qualified lead", func(t *testing.T) {
		_, leadID, q := f.qualified()
		c := check(workflows.SalesCheckInput{LeadID: leadID})
		want := workflows.LeadQualified{LeadID: leadID, OpportunityID: q.OpportunityID,
			ContactID: q.ContactID, AccountID: q.AccountID}
		if c.LeadQualified == nil || *c.LeadQualified != want || c.LeadDisqualified || c.OpportunityWon || c.OpportunityLost {
			t.Errorf("check = %+v (qualified %+v), want only qualified %+v", c, c.LeadQualified, want)
		}
	})

	t.Run("won opportunity", func(t *testing.T) {
		_, leadID, q := f.qualified()
		if err := f.sales.WinOpportunity(f.ctx, q.OpportunityID, "Partner approved"); err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID, OpportunityID: q.OpportunityID})
		if c.LeadQualified == nil || c.LeadQualified.OpportunityID != q.OpportunityID || !c.OpportunityWon || c.OpportunityLost {
			t.Errorf("check = %+v, want qualified and won", c)
		}
	})

	t.Run("lost opportunity", func(t *testing.T) {
		_, leadID, q := f.qualified()
		if err := f.sales.LoseOpportunity(f.ctx, q.OpportunityID, "Partner declined"); err != nil {
			t.Fatal(err)
		}
		c := check(workflows.SalesCheckInput{LeadID: leadID})
		if c.LeadQualified == nil || c.LeadQualified.OpportunityID != q.OpportunityID || c.OpportunityWon || !c.OpportunityLost {
			t.Errorf("check = %+v, want qualified and lost", c)
		}
	})

	t.Run("disqualified lead", func(t *testing.T) {
		_, leadID := f.withLead("en")
		if err := f.sales.DisqualifyLead(f.ctx, leadID, sales.LeadStatusCannotContact); err != nil {
			t.Fatal(err)
		}
		if c := check(workflows.SalesCheckInput{LeadID: leadID}); c != (workflows.SalesCheck{LeadDisqualified: true}) {
			t.Errorf("check = %+v, want only disqualified", c)
		}
	})

	t.Run("deleted lead", func(t *testing.T) {
		c := check(workflows.SalesCheckInput{LeadID: "00000000-0000-0000-0000-000000000002"})
		if c.Stuck != "lead 00000000-0000-0000-0000-000000000002 was deleted in Sales" {
			t.Errorf("check = %+v, want stuck: the lead is gone", c)
		}
	})
}
