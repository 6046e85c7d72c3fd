package workflows_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/workflows"
)

func validRequest() workflows.Request {
	return workflows.Request{
		Company: workflows.Company{Name: "Contoso Supplies B.V.", TaxID: "NL123456789B01", Address: workflows.Address{
			Street: "Coolsingel 40", City: "Rotterdam", PostalCode: "3011 AD", CountryCode: "NL"}},
		Requester: workflows.Requester{FirstName: "Mia", LastName: "Jansen", Email: "mia.jansen@contoso.example",
			Phone: "+31 10 123 4567", JobTitle: "Head of Purchasing"},
		Locale:   "nl-NL",
		Comments: "We buy about 400 units a month.",
	}
}

func TestValidateOneErrorPerField(t *testing.T) {
	for _, tc := range []struct {
		field  string
		change func(*workflows.Request)
	}{
		{"company.name", func(r *workflows.Request) { r.Company.Name = "   " }},
		{"company.name", func(r *workflows.Request) { r.Company.Name = strings.Repeat("x", 101) }},
		{"company.name", func(r *workflows.Request) { r.Company.Name = "Contoso\nSupplies" }},
		{"company.taxId", func(r *workflows.Request) { r.Company.TaxID = strings.Repeat("9", 33) }},
		{"company.address.street", func(r *workflows.Request) { r.Company.Address.Street = "" }},
		{"company.address.city", func(r *workflows.Request) { r.Company.Address.City = "\t" }},
		{"company.address.postalCode", func(r *workflows.Request) { r.Company.Address.PostalCode = "" }},
		{"company.address.countryCode", func(r *workflows.Request) { r.Company.Address.CountryCode = "" }},
		{"company.address.countryCode", func(r *workflows.Request) { r.Company.Address.CountryCode = "NLD" }},
		{"company.address.countryCode", func(r *workflows.Request) { r.Company.Address.CountryCode = "N1" }},
		{"requester.firstName", func(r *workflows.Request) { r.Requester.FirstName = "" }},
		{"requester.firstName", func(r *workflows.Request) { r.Requester.FirstName = strings.Repeat("x", 51) }},
		{"requester.lastName", func(r *workflows.Request) { r.Requester.LastName = strings.Repeat("é", 51) }},
		{"requester.email", func(r *workflows.Request) { r.Requester.Email = strings.Repeat("m", 90) + "@contoso.example" }},
		{"requester.phone", func(r *workflows.Request) { r.Requester.Phone = "+49 " + strings.Repeat("1", 47) }},
		{"requester.email", func(r *workflows.Request) { r.Requester.Email = "" }},
		{"requester.email", func(r *workflows.Request) { r.Requester.Email = "mia.jansen" }},
		{"requester.email", func(r *workflows.Request) { r.Requester.Email = "Mia <mia.jansen@contoso.example>" }},
		{"requester.email", func(r *workflows.Request) { r.Requester.Email = "mia@localhost" }},
		{"requester.phone", func(r *workflows.Request) { r.Requester.Phone = "call me" }},
		{"requester.phone", func(r *workflows.Request) { r.Requester.Phone = "+31" }},
		{"requester.jobTitle", func(r *workflows.Request) { r.Requester.JobTitle = strings.Repeat("x", 101) }},
		{"locale", func(r *workflows.Request) { r.Locale = "english please" }},
		{"locale", func(r *workflows.Request) { r.Locale = "e" }},
		{"comments", func(r *workflows.Request) { r.Comments = strings.Repeat("ü", 2001) }},
	} {
		req := validRequest()
		tc.change(&req)
		errs := workflows.Validate(&req)
		if len(errs) != 1 || errs[0].Field != tc.field || errs[0].Message == "" {
			t.Errorf("%s: errors = %+v; want one for %s", tc.field, errs, tc.field)
		}
	}
}

func TestValidateAllFieldsAtOnce(t *testing.T) {
	var req workflows.Request
	errs := workflows.Validate(&req)
	var fields []string
	for _, e := range errs {
		fields = append(fields, e.Field)
	}
	want := []string{"company.name", "company.address.street", "company.address.city", "company.address.postalCode",
		"company.address.countryCode", "requester.firstName", "requester.lastName", "requester.email"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("fields = %v\nwant     %v", fields, want)
	}
}

func TestValidateTrimsAndDefaults(t *testing.T) {
	req := workflows.Request{
		Company: workflows.Company{Name: "  Contoso Supplies B.V. ", TaxID: " NL123456789B01 ", Address: workflows.Address{
			Street: " Coolsingel 40", City: "Rotterdam  ", PostalCode: " 3011 AD ", CountryCode: " nl "}},
		Requester: workflows.Requester{FirstName: " Mia", LastName: "Jansen ", Email: "  mia.jansen@contoso.example ",
			Phone: " +31 10 123 4567 ", JobTitle: " Head of Purchasing "},
		Locale:   "   ",
		Comments: "\n We buy about 400 units a month.\nMostly pallets. \n",
	}
	if errs := workflows.Validate(&req); len(errs) != 0 {
		t.Fatalf("errors = %+v", errs)
	}
	want := validRequest()
	want.Locale = "en"
	want.Comments = "We buy about 400 units a month.\nMostly pallets."
	if !reflect.DeepEqual(req, want) {
		t.Errorf("validated = %+v\nwant        %+v", req, want)
	}

	// Limits count characters, not bytes; comments may span lines.
	edge := validRequest()
	edge.Company.Name = strings.Repeat("ß", 100)
	edge.Requester.FirstName, edge.Requester.LastName = strings.Repeat("é", 50), strings.Repeat("ø", 50)
	edge.Comments = strings.Repeat("ü", 1999) + "\n"
	edge.Requester.Phone, edge.Company.TaxID, edge.Requester.JobTitle = "", "", ""
	if errs := workflows.Validate(&edge); len(errs) != 0 {
		t.Errorf("at the limits: %+v", errs)
	}
}

// BenchmarkValidate validates a complete, valid request, the common case at
// the front door. Validate trims in place, so each run gets a fresh copy.
func BenchmarkValidate(b *testing.B) {
	req := validRequest()
	b.ReportAllocs()
	for b.Loop() {
		r := req
		if errs := workflows.Validate(&r); len(errs) != 0 {
			b.Fatalf("valid request refused: %v", errs)
		}
	}
}

// Dataverse counts UTF-16 code units: 25 emoji fill a 50-character name.
func TestValidateCountsAsDataverseDoes(t *testing.T) {
	req := validRequest()
	req.Requester.FirstName = strings.Repeat("🙂", 26)
	errs := workflows.Validate(&req)
	if len(errs) != 1 || errs[0].Field != "requester.firstName" {
		t.Errorf("errors = %+v; want the first name too long", errs)
	}
	req = validRequest()
	req.Requester.FirstName = strings.Repeat("🙂", 25)
	if errs := workflows.Validate(&req); len(errs) != 0 {
		t.Errorf("errors = %+v; want none at the limit", errs)
	}
}
