package sales

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/uuid"
)

func TestLeadIDForIsStableAndNameBased(t *testing.T) {
	// The value is fixed: leads of running requests were created with it, so a change to the
	// namespace or the name would make their retries create second leads.
	if got, want := LeadIDFor("req-42"), "d9818519-9e18-5815-99ce-198d09bf5b38"; got != want {
		t.Fatalf("LeadIDFor(req-42) = %s, want %s", got, want)
	}
	u := uuid.MustParse(LeadIDFor("req-42"))
	if u.Version() != 5 || u.Variant() != uuid.RFC4122 {
		t.Errorf("version %d variant %s, want a version 5 RFC 4122 UUID", u.Version(), u.Variant())
	}
	if LeadIDFor("req-42") == LeadIDFor("req-43") {
		t.Error("two prospects share a lead ID")
	}
}

func TestCreateLeadSendsChosenIDAndReadsTheRepresentation(t *testing.T) {
	chosen := LeadIDFor("req-1")
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		// As Dataverse answers return=representation: 201, the record, no OData-EntityId.
		writeJSON(w, http.StatusCreated, `{"@odata.context":"x","leadid":"`+chosen+`"}`)
	})
	id, err := f.client(t).CreateLead(context.Background(), Lead{ID: strings.ToUpper(chosen), ProspectID: "req-1", LastName: "L"})
	if err != nil || id != chosen {
		t.Fatalf("CreateLead = %q, %v; want %q", id, err, chosen)
	}
	r := f.seen()[0]
	if got := r.Query.Get("$select"); got != "leadid" || r.Header.Get("Prefer") != "return=representation" {
		t.Errorf("$select = %q, Prefer = %q; want leadid and return=representation", got, r.Header.Get("Prefer"))
	}
	if body := decodeBody(t, r.Body); body["leadid"] != chosen {
		t.Errorf("body leadid = %v, want %s", body["leadid"], chosen)
	}

	// A server that answers with neither the record nor OData-EntityId created the chosen ID.
	bare := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	if id, err := bare.client(t).CreateLead(context.Background(), Lead{ID: chosen, LastName: "L"}); err != nil || id != chosen {
		t.Errorf("CreateLead without an ID in the answer = %q, %v; want the chosen %s", id, err, chosen)
	}

	if _, err := bare.client(t).CreateLead(context.Background(), Lead{ID: "not-a-guid", LastName: "L"}); !IsPermanent(err) {
		t.Errorf("a non-GUID ID: err = %v, want a permanent error", err)
	}
}

func TestEnsureLeadTakesAnExistingKeyAsItsLead(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		found      bool
	}{
		{"duplicate record", `{"error":{"code":"0x80040237","message":"A record with matching key values already exists."}}`, true},
		{"no code", `{"error":{"code":"","message":"A record with matching key values already exists."}}`, true},
		{"another precondition", `{"error":{"code":"0x80060892","message":"Entity Key violated."}}`, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if r.Method == http.MethodGet {
					writeJSON(w, http.StatusOK, `{"value":[]}`)
					return
				}
				writeJSON(w, http.StatusPreconditionFailed, tc.body)
			})
			id, created, err := f.client(t).EnsureLead(context.Background(), Lead{ProspectID: "req-9", LastName: "L"})
			if tc.found {
				if err != nil || created || id != LeadIDFor("req-9") {
					t.Fatalf("EnsureLead = %q, %v, %v; want %s found", id, created, err, LeadIDFor("req-9"))
				}
				return
			}
			if err == nil || !IsPermanent(err) {
				t.Fatalf("EnsureLead = %q, %v, %v; want a permanent error", id, created, err)
			}
		})
	}
}

func TestLeadColumnLimits(t *testing.T) {
	// Microsoft's lead table reference; a change here must come from there.
	for col, want := range map[string]int{
		"companyname": 100, "firstname": 50, "lastname": 50, "emailaddress1": 100, "telephone1": 50,
		"jobtitle": 100, "address1_line1": 250, "address1_city": 80, "address1_postalcode": 20,
		"subject": 300, "address1_country": 80, "description": 2000, DefaultProspectIDColumn: 100,
	} {
		if got := LeadColumnMaxLength[col]; got != want {
			t.Errorf("LeadColumnMaxLength[%s] = %d, want %d", col, got, want)
		}
	}
	if TextLength("Zoë") != 3 || TextLength("😀") != 2 {
		t.Errorf("TextLength counts UTF-16 code units: Zoë = %d, 😀 = %d", TextLength("Zoë"), TextLength("😀"))
	}

	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusCreated, `{"leadid":"`+leadID+`"}`)
	})
	c := f.client(t)
	atLimit := Lead{ProspectID: strings.Repeat("p", MaxProspectID), LastName: strings.Repeat("é", MaxLastName),
		CompanyName: strings.Repeat("c", MaxCompanyName-2) + "😀", Description: strings.Repeat("d", MaxDescription)}
	if _, err := c.CreateLead(context.Background(), atLimit); err != nil {
		t.Fatalf("a lead at the limits: %v", err)
	}
	sent := len(f.seen())

	for _, tc := range []struct {
		lead   Lead
		column string
		limit  int
	}{
		{Lead{CompanyName: strings.Repeat("c", 101)}, "companyname", 100},
		{Lead{FirstName: strings.Repeat("f", 51)}, "firstname", 50},
		{Lead{Email: strings.Repeat("e", 101)}, "emailaddress1", 100},
		{Lead{PostalCode: strings.Repeat("9", 21)}, "address1_postalcode", 20},
		{Lead{City: strings.Repeat("😀", 41)}, "address1_city", 80},
		{Lead{Subject: strings.Repeat("s", 301)}, "subject", 300},
		{Lead{ProspectID: strings.Repeat("p", 101)}, DefaultProspectIDColumn, 100},
	} {
		_, err := c.CreateLead(context.Background(), tc.lead)
		var e *Error
		if !errors.As(err, &e) || !IsPermanent(err) || !strings.Contains(err.Error(), tc.column) ||
			!strings.Contains(err.Error(), " "+strconv.Itoa(tc.limit)+" ") {
			t.Errorf("%s too long: err = %v, want a permanent error naming the column and %d", tc.column, err, tc.limit)
		}
		if err := CheckLeadLengths(tc.lead); err == nil || !strings.Contains(err.Error(), tc.column) {
			t.Errorf("CheckLeadLengths(%s too long) = %v", tc.column, err)
		}
		tc.lead.ProspectID = "req-1"
		if tc.column == DefaultProspectIDColumn {
			tc.lead.ProspectID = strings.Repeat("p", 101)
		}
		if _, _, err := c.EnsureLead(context.Background(), tc.lead); !IsPermanent(err) {
			t.Errorf("EnsureLead with %s too long: err = %v, want permanent", tc.column, err)
		}
		if err := c.UpdateLead(context.Background(), leadID, tc.lead); tc.column != DefaultProspectIDColumn && !IsPermanent(err) {
			t.Errorf("UpdateLead with %s too long: err = %v, want permanent", tc.column, err)
		}
	}
	if n := len(f.seen()); n != sent {
		t.Errorf("API requests = %d, want none for leads that are too long", n-sent)
	}
	if CheckLeadLengths(atLimit) != nil {
		t.Errorf("CheckLeadLengths(at the limits) = %v", CheckLeadLengths(atLimit))
	}
}

func TestUpdateLead(t *testing.T) {
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) { w.WriteHeader(http.StatusNoContent) })
	c := f.client(t)
	correction := Lead{ID: "ignored", ProspectID: "req-1", Email: "ada@example.org", Phone: "+44 1", City: "Leeds",
		State: LeadQualified, StatusCode: 3}
	if err := c.UpdateLead(context.Background(), strings.ToUpper(leadID), correction); err != nil {
		t.Fatalf("UpdateLead: %v", err)
	}
	r := f.seen()[0]
	if r.Method != http.MethodPatch || r.Path != apiRoot+"leads("+leadID+")" || r.Header.Get("If-Match") != "*" {
		t.Errorf("request = %s %s If-Match %q; want PATCH of the lead with If-Match *", r.Method, r.Path, r.Header.Get("If-Match"))
	}
	if got := string(r.Body); got != `{"address1_city":"Leeds","emailaddress1":"ada@example.org","telephone1":"+44 1"}` {
		t.Errorf("body = %s, want only the non-empty personal columns", got)
	}
	if err := c.UpdateLead(context.Background(), leadID, Lead{ProspectID: "req-1"}); err != nil || len(f.seen()) != 1 {
		t.Errorf("an empty correction: err = %v, %d requests; want nothing sent", err, len(f.seen())-1)
	}
	if err := c.UpdateLead(context.Background(), "x", correction); !IsPermanent(err) {
		t.Errorf("a non-GUID ID: err = %v, want permanent", err)
	}

	gone := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusNotFound, `{"error":{"code":"0x80040217","message":"lead With Id = `+leadID+` Does Not Exist"}}`)
	})
	err := gone.client(t).UpdateLead(context.Background(), leadID, correction)
	if !errors.Is(err, ErrNotFound) || !IsNotFound(err) {
		t.Errorf("a missing lead: err = %v, want ErrNotFound", err)
	}
}

func TestGetLeadReadsMerge(t *testing.T) {
	master := "11111111-2222-4333-8444-555555555555"
	f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
		writeJSON(w, http.StatusOK, `{"leadid":"`+leadID+`","statecode":2,"statuscode":7,"merged":true,"_masterid_value":"`+master+`"}`)
	})
	lead, err := f.client(t).GetLead(context.Background(), leadID)
	if err != nil || !lead.Merged || lead.MasterID != master || lead.State != LeadDisqualified {
		t.Fatalf("GetLead = %+v, %v; want merged into %s", lead, err, master)
	}
	sel := strings.Split(f.seen()[0].Query.Get("$select"), ",")
	if !contains(sel, "merged") || !contains(sel, "_masterid_value") {
		t.Errorf("$select = %v lacks merged and _masterid_value", sel)
	}
}

func TestGetOpportunityCustomer(t *testing.T) {
	const annotation = "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"
	for _, tc := range []struct {
		name string
		json string
		want Opportunity
	}{
		{"account customer, no parents",
			`"_parentaccountid_value":null,"_parentcontactid_value":null,"_customerid_value":"` + accountID + `","` + annotation + `":"account"`,
			Opportunity{ID: oppID, AccountID: accountID, CustomerID: accountID, CustomerKind: CustomerAccount}},
		{"contact customer, no parents",
			`"_parentaccountid_value":null,"_parentcontactid_value":null,"_customerid_value":"` + contactID + `","` + annotation + `":"contact"`,
			Opportunity{ID: oppID, ContactID: contactID, CustomerID: contactID, CustomerKind: CustomerContact}},
		{"parents win over the customer",
			`"_parentaccountid_value":"` + accountID + `","_parentcontactid_value":"` + contactID + `","_customerid_value":"` + oppID + `","` + annotation + `":"account"`,
			Opportunity{ID: oppID, AccountID: accountID, ContactID: contactID, CustomerID: oppID, CustomerKind: CustomerAccount}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				writeJSON(w, http.StatusOK, `{"opportunityid":"`+oppID+`",`+tc.json+`,"statecode":0}`)
			})
			o, err := f.client(t).GetOpportunity(context.Background(), oppID)
			if err != nil || o != tc.want {
				t.Fatalf("GetOpportunity = %+v, %v\nwant %+v", o, err, tc.want)
			}
			r := f.seen()[0]
			if got := r.Header.Get("Prefer"); got != `odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"` {
				t.Errorf("Prefer = %q, want the lookup logical name annotation", got)
			}
			if !contains(strings.Split(r.Query.Get("$select"), ","), "_customerid_value") {
				t.Errorf("$select = %q lacks _customerid_value", r.Query.Get("$select"))
			}
		})
	}
}
