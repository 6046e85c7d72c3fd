package workflows_test

import (
	"net/mail"
	"reflect"
	"strings"
	"testing"
	"unicode/utf16"

	"github.com/partner-onboarding/onboarding/workflows"
)

// validateFields are the fields Validate may name, in its order.
var validateFields = []string{"company.name", "company.taxId", "company.address.street", "company.address.city",
	"company.address.postalCode", "company.address.countryCode", "requester.firstName", "requester.lastName",
	"requester.email", "requester.phone", "requester.jobTitle", "locale", "comments"}

// FuzzValidate checks Validate on any request: it never panics, names each
// invalid field once and in order, gives the same answer when run again on
// what it returned, and a request it accepts fits Sales' columns.
func FuzzValidate(f *testing.F) {
	seed := func(r workflows.Request) {
		f.Add(r.Company.Name, r.Company.TaxID, r.Company.Address.Street, r.Company.Address.City,
			r.Company.Address.PostalCode, r.Company.Address.CountryCode, r.Requester.FirstName, r.Requester.LastName,
			r.Requester.Email, r.Requester.Phone, r.Requester.JobTitle, r.Locale, r.Comments)
	}
	seed(validRequest())
	seed(workflows.Request{})
	for _, change := range []func(*workflows.Request){
		func(r *workflows.Request) { r.Company.Name = "Contoso\nSupplies" },
		func(r *workflows.Request) { r.Company.Address.CountryCode = " nl " },
		func(r *workflows.Request) { r.Requester.Email = "Mia <mia.jansen@contoso.example>" },
		func(r *workflows.Request) { r.Requester.Email = "mia@localhost" },
		func(r *workflows.Request) { r.Requester.Phone = "call me" },
		func(r *workflows.Request) { r.Requester.FirstName = strings.Repeat("🙂", 25) },
		func(r *workflows.Request) { r.Locale = "english please" },
		func(r *workflows.Request) { r.Comments = "\n We buy about 400 units a month.\nMostly pallets. \n" },
	} {
		r := validRequest()
		change(&r)
		seed(r)
	}

	f.Fuzz(func(t *testing.T, name, taxID, street, city, postalCode, countryCode, firstName, lastName,
		email, phone, jobTitle, locale, comments string) {
		req := workflows.Request{
			Company: workflows.Company{Name: name, TaxID: taxID, Address: workflows.Address{
				Street: street, City: city, PostalCode: postalCode, CountryCode: countryCode}},
			Requester: workflows.Requester{FirstName: firstName, LastName: lastName, Email: email,
				Phone: phone, JobTitle: jobTitle},
			Locale:   locale,
			Comments: comments,
		}
		errs := workflows.Validate(&req)

		// One error per field, in the order of validateFields.
		next := 0
		for _, e := range errs {
			i := indexOf(validateFields, e.Field)
			if i < 0 || e.Message == "" {
				t.Fatalf("error %+v names no known field or says nothing", e)
			}
			if i < next {
				t.Fatalf("errors %+v: %s named twice or out of order", errs, e.Field)
			}
			next = i + 1
		}

		// Validating the validated request changes nothing and answers the same.
		again := req
		if errs2 := workflows.Validate(&again); !reflect.DeepEqual(errs2, errs) || again != req {
			t.Fatalf("validated twice: %+v %+v, was %+v %+v", errs2, again, errs, req)
		}

		if len(errs) > 0 {
			return
		}
		limits := []struct {
			v        string
			max      int
			multiple bool
		}{
			{req.Company.Name, workflows.MaxCompanyName, false}, {req.Company.TaxID, workflows.MaxTaxID, false},
			{req.Company.Address.Street, workflows.MaxStreet, false}, {req.Company.Address.City, workflows.MaxCity, false},
			{req.Company.Address.PostalCode, workflows.MaxPostalCode, false},
			{req.Requester.FirstName, workflows.MaxFirstName, false}, {req.Requester.LastName, workflows.MaxLastName, false},
			{req.Requester.Email, workflows.MaxEmail, false}, {req.Requester.Phone, workflows.MaxPhone, false},
			{req.Requester.JobTitle, workflows.MaxJobTitle, false}, {req.Comments, workflows.MaxComments, true},
		}
		for _, l := range limits {
			if n := len(utf16.Encode([]rune(l.v))); n > l.max {
				t.Fatalf("accepted %q of %d UTF-16 units, limit %d", l.v, n, l.max)
			}
			if l.v != strings.TrimSpace(l.v) || !l.multiple && strings.ContainsAny(l.v, "\x00\r\n") {
				t.Fatalf("accepted %q untrimmed or on several lines", l.v)
			}
		}
		if addr, err := mail.ParseAddress(req.Requester.Email); err != nil || addr.Address != req.Requester.Email {
			t.Fatalf("accepted email %q, which is no plain address", req.Requester.Email)
		}
		if len(req.Company.Address.CountryCode) != 2 || req.Locale == "" {
			t.Fatalf("accepted country %q, locale %q", req.Company.Address.CountryCode, req.Locale)
		}
	})
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
