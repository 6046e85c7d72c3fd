package activities_test

import (
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestLongestValidRequestFitsSales: a request with every field at the front
// door's limit is accepted by the stand-in, which holds each lead column to
// Dataverse's maximum length. A front door limit above Sales' fails here.
func TestLongestValidRequestFitsSales(t *testing.T) {
	f := newFixture(t)
	req := newRequest("en")
	long := func(n int) string { return strings.Repeat("ä", n) }
	req.Company.Name = long(workflows.MaxCompanyName)
	req.Company.Address.Street = long(workflows.MaxStreet)
	req.Company.Address.City = long(workflows.MaxCity)
	req.Company.Address.PostalCode = strings.Repeat("9", workflows.MaxPostalCode)
	req.Requester.FirstName = long(workflows.MaxFirstName)
	req.Requester.LastName = long(workflows.MaxLastName)
	req.Requester.Email = strings.Repeat("m", workflows.MaxEmail-len("@contoso.example")) + "@contoso.example"
	req.Requester.Phone = "+" + strings.Repeat("1", workflows.MaxPhone-1)
	req.Requester.JobTitle = long(workflows.MaxJobTitle)
	req.Comments = long(workflows.MaxComments)
	if errs := workflows.Validate(&req); len(errs) != 0 {
		t.Fatalf("the longest request is not valid: %+v", errs)
	}
	f.mustRun(workflows.ActivityRegisterProspect, req, nil)
	var leadID string
	f.mustRun(workflows.ActivityCreateLead, req, &leadID)
	lead, err := f.sales.GetLead(f.ctx, leadID)
	if err != nil {
		t.Fatal(err)
	}
	if lead.CompanyName != req.Company.Name || lead.LastName != req.Requester.LastName || lead.Description != req.Comments {
		t.Errorf("the lead does not hold the request's data whole")
	}
	for field, limits := range map[string][2]int{
		"company name": {workflows.MaxCompanyName, sales.MaxCompanyName},
		"first name":   {workflows.MaxFirstName, sales.MaxFirstName},
		"last name":    {workflows.MaxLastName, sales.MaxLastName},
		"email":        {workflows.MaxEmail, sales.MaxEmail},
		"phone":        {workflows.MaxPhone, sales.MaxPhone},
		"job title":    {workflows.MaxJobTitle, sales.MaxJobTitle},
		"street":       {workflows.MaxStreet, sales.MaxStreet},
		"city":         {workflows.MaxCity, sales.MaxCity},
		"postal code":  {workflows.MaxPostalCode, sales.MaxPostalCode},
		"comments":     {workflows.MaxComments, sales.MaxDescription},
	} {
		if limits[0] > limits[1] {
			t.Errorf("%s: the front door takes %d characters, Sales %d", field, limits[0], limits[1])
		}
	}
}
