package intake_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
)

// approve leaves in the fixture's register what an approved request leaves:
// an organization on top of a hierarchy, with the credit limit approval sets.
func (f *fixture) approve(t *testing.T, requestID string) string {
	t.Helper()
	ctx := context.Background()
	org, err := f.store.UpsertCustomer(ctx, commerce.Customer{Kind: commerce.KindOrganization,
		SalesRecordID: "account-" + requestID, RequestID: requestID, Name: "Contoso Supplies B.V."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CreateHierarchy(ctx, requestID, commerce.PurposeB2BOrganization, org.ID, nil); err != nil {
		t.Fatal(err)
	}
	if err := f.store.SetCreditLimit(ctx, org.ID, 500000, "EUR"); err != nil {
		t.Fatal(err)
	}
	return org.ID
}

// partner calls one partner endpoint with the site's key and decodes a 200.
func (f *fixture) partner(t *testing.T, method, path, body string) (int, intake.PartnerView, answer) {
	t.Helper()
	code, a, raw := f.do(t, method, path, "application/json", body)
	var v intake.PartnerView
	if code == http.StatusOK {
		if err := json.Unmarshal(raw, &v); err != nil {
			t.Fatal(err)
		}
	}
	return code, v, a
}

func fieldsOf(a answer) string {
	var names []string
	for _, f := range a.Fields {
		names = append(names, f.Field)
	}
	return strings.Join(names, " ")
}

func TestPartnerCreditLimitAndStanding(t *testing.T) {
	f := newFixture(t)
	org := f.approve(t, "3f0c6a57-8f43-4f6e-9a4e-2f8f0d7b9c11")
	path := "/v1/partners/" + org

	code, p, _ := f.partner(t, http.MethodGet, path, "")
	if code != http.StatusOK || p.OrganizationID != org || p.HierarchyID == "" || p.Blocked || len(p.History) != 0 ||
		p.CreditLimit == nil || p.CreditLimit.Amount != 500000 || p.CreditLimit.Currency != "EUR" {
		t.Fatalf("GET = %d %+v", code, p)
	}

	code, p, a := f.partner(t, http.MethodPut, path+"/credit-limit",
		`{"amount": 1250000, "currency": "chf", "allowOverLimit": true, "changedBy": "Finance", "reason": "annual review"}`)
	if code != http.StatusOK {
		t.Fatalf("PUT credit-limit = %d %+v", code, a)
	}
	if l := p.CreditLimit; l.Amount != 1250000 || l.Currency != "CHF" || !l.AllowOverLimit {
		t.Errorf("limit after PUT = %+v", l)
	}
	if code, _, a := f.partner(t, http.MethodPost, path+"/block", `{"changedBy": "Finance", "reason": "invoices overdue"}`); code != http.StatusOK {
		t.Fatalf("POST block = %d %+v", code, a)
	}
	code, p, _ = f.partner(t, http.MethodGet, path, "")
	if code != http.StatusOK || !p.Blocked || len(p.History) != 2 {
		t.Fatalf("GET after block = %d %+v", code, p)
	}
	if c := p.History[1]; c.Kind != commerce.ChangeCreditLimit || *c.Amount != 1250000 || c.Currency != "CHF" ||
		!*c.AllowOverLimit || c.ChangedBy != "Finance" || c.Reason != "annual review" || c.ChangedAt.IsZero() {
		t.Errorf("oldest entry = %+v", c)
	}
	if c := p.History[0]; c.Kind != commerce.ChangeBlocked || c.Amount != nil || c.Reason != "invoices overdue" {
		t.Errorf("newest entry = %+v", c)
	}
	code, p, _ = f.partner(t, http.MethodPost, path+"/unblock", `{"changedBy": "Finance", "reason": "paid"}`)
	if code != http.StatusOK || p.Blocked || len(p.History) != 3 || p.History[0].Kind != commerce.ChangeUnblocked {
		t.Errorf("POST unblock = %d %+v", code, p)
	}
}

func TestPartnerChangesRefused(t *testing.T) {
	f := newFixture(t)
	org := f.approve(t, "3f0c6a57-8f43-4f6e-9a4e-2f8f0d7b9c11")
	path := "/v1/partners/" + org
	for _, tc := range []struct {
		method, path, body string
		fields             string
	}{
		{http.MethodPut, path + "/credit-limit", `{"amount": -1, "currency": "EUR", "changedBy": "a", "reason": "b"}`, "amount"},
		{http.MethodPut, path + "/credit-limit", `{"currency": "XYZ", "changedBy": "a", "reason": "b"}`, "amount currency"},
		{http.MethodPut, path + "/credit-limit", `{"amount": 1, "currency": "EUR"}`, "changedBy reason"},
		{http.MethodPut, path + "/credit-limit", `{"amount": 1.5, "currency": "EUR", "changedBy": "a", "reason": "b"}`, "amount"},
		{http.MethodPut, path + "/credit-limit", `{"amount": 1, "currency": "EUR", "changedBy": "a", "reason": "b", "limit": 2}`, "limit"},
		{http.MethodPost, path + "/block", `{"changedBy": "Finance"}`, "reason"},
		{http.MethodPost, path + "/unblock", `{"changedBy": "", "reason": " "}`, "changedBy reason"},
		{http.MethodPost, path + "/block", ``, "body"},
	} {
		code, _, a := f.partner(t, tc.method, tc.path, tc.body)
		if code != http.StatusBadRequest || fieldsOf(a) != tc.fields {
			t.Errorf("%s %s %s = %d, fields %q (%s); want 400 naming %q", tc.method, tc.path, tc.body, code, fieldsOf(a), a.Error, tc.fields)
		}
	}
	_, p, _ := f.partner(t, http.MethodGet, path, "")
	if p.CreditLimit.Amount != 500000 || p.Blocked || len(p.History) != 0 {
		t.Errorf("refused changes changed the partner: %+v", p)
	}
}

func TestPartnerUnknown(t *testing.T) {
	f := newFixture(t)
	for _, call := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/partners/no-such-organization", ""},
		{http.MethodPut, "/v1/partners/no-such-organization/credit-limit", `{"amount": 1, "currency": "EUR", "changedBy": "a", "reason": "b"}`},
		{http.MethodPost, "/v1/partners/no-such-organization/block", `{"changedBy": "a", "reason": "b"}`},
		{http.MethodPost, "/v1/partners/no-such-organization/unblock", `{"changedBy": "a", "reason": "b"}`},
	} {
		if code, _, a := f.partner(t, call.method, call.path, call.body); code != http.StatusNotFound || a.Error == "" {
			t.Errorf("%s %s = %d %+v, want 404", call.method, call.path, code, a)
		}
	}
}

// The partner endpoints sit behind the intake's API keys: without one
// nothing is read or changed.
func TestPartnerNeedsAPIKey(t *testing.T) {
	f := newFixture(t)
	org := f.approve(t, "3f0c6a57-8f43-4f6e-9a4e-2f8f0d7b9c11")
	for _, call := range []struct{ method, path, body string }{
		{http.MethodGet, "/v1/partners/" + org, ""},
		{http.MethodPut, "/v1/partners/" + org + "/credit-limit", `{"amount": 0, "currency": "EUR", "changedBy": "a", "reason": "b"}`},
		{http.MethodPost, "/v1/partners/" + org + "/block", `{"changedBy": "a", "reason": "b"}`},
	} {
		for _, key := range []string{"", "Bearer wrong-key"} {
			resp, _, _ := f.call(t, call.method, call.path, call.body, http.Header{"Content-Type": {"application/json"}, "Authorization": {key}})
			if resp.StatusCode != http.StatusUnauthorized {
				t.Errorf("%s %s with key %q = %d, want 401", call.method, call.path, key, resp.StatusCode)
			}
		}
	}
	p, err := f.store.GetPartner(context.Background(), org)
	if err != nil || p.CreditLimit.Amount != 500000 || p.Blocked || len(p.Changes) != 0 {
		t.Errorf("calls without a key changed the partner: %+v, %v", p, err)
	}
	if code, _, a := f.partner(t, http.MethodGet, "/v1/partners/"+org, ""); code != http.StatusOK {
		t.Errorf("GET with the key = %d %s", code, fmt.Sprint(a))
	}
}
