package integration

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
)

// partnerCall calls a partner endpoint of the starter with the stack's API key.
func (p *product) partnerCall(t *testing.T, method, path string, body string) (int, []byte) {
	t.Helper()
	url := strings.TrimSuffix(p.intake, "/v1/onboarding-requests") + "/v1/partners/" + path
	var b []byte
	if body != "" {
		b = []byte(body)
	}
	resp, out := p.doWith(t, method, url, b, http.Header{"Content-Type": {"application/json"},
		"Authorization": {"Bearer " + p.stack.URLs().IntakeKey}})
	return resp.StatusCode, out
}

func (p *product) partner(t *testing.T, org string) intake.PartnerView {
	t.Helper()
	code, out := p.partnerCall(t, http.MethodGet, org, "")
	if code != http.StatusOK {
		t.Fatalf("GET partner %s = %d %s", org, code, out)
	}
	var v intake.PartnerView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestStaffChangePartnerCreditLimitAndStanding approves a request on the
// real stack, then changes the partner's credit limit through the API and
// blocks and unblocks it with the starter CLI.
func TestStaffChangePartnerCreditLimitAndStanding(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "credit")
	st := p.approve(t, r)
	org := st.OrganizationCustomerID
	if org == "" || st.HierarchyID == "" {
		t.Fatalf("approved request without organization or hierarchy: %+v", st)
	}

	before := p.partner(t, org)
	if before.OrganizationID != org || before.HierarchyID != st.HierarchyID || before.Blocked || len(before.History) != 0 ||
		before.CreditLimit == nil {
		t.Fatalf("partner after approval = %+v", before)
	}

	if code, out := p.partnerCall(t, http.MethodPut, org+"/credit-limit",
		`{"amount": -100, "currency": "EURO", "changedBy": "Finance", "reason": "review"}`); code != http.StatusBadRequest ||
		!strings.Contains(string(out), `"amount"`) || !strings.Contains(string(out), `"currency"`) {
		t.Errorf("invalid PUT credit-limit = %d %s, want 400 naming amount and currency", code, out)
	}
	if code, out := p.partnerCall(t, http.MethodPut, "no-such-organization/credit-limit",
		`{"amount": 1, "currency": "EUR", "changedBy": "Finance", "reason": "review"}`); code != http.StatusNotFound {
		t.Errorf("PUT credit-limit of an unknown partner = %d %s, want 404", code, out)
	}
	if code, out := p.partnerCall(t, http.MethodPut, org+"/credit-limit",
		`{"amount": 2500000, "currency": "EUR", "allowOverLimit": true, "changedBy": "Finance", "reason": "annual review"}`); code != http.StatusOK {
		t.Fatalf("PUT credit-limit = %d %s", code, out)
	}

	if out, err := p.starterCLI(t, "block", org, "-by", "Credit control"); err == nil {
		t.Errorf("block without a reason was accepted:\n%s", out)
	}
	if out, err := p.starterCLI(t, "block", org, "-by", "Credit control", "-reason", "invoices 60 days overdue"); err != nil {
		t.Fatalf("starter block: %v\n%s", err, out)
	}
	if v := p.partner(t, org); !v.Blocked {
		t.Errorf("partner after block = %+v", v)
	}
	if out, err := p.starterCLI(t, "unblock", org, "-by", "Credit control", "-reason", "paid"); err != nil {
		t.Fatalf("starter unblock: %v\n%s", err, out)
	}
	if out, err := p.starterCLI(t, "credit", org, "-amount", "3000000", "-currency", "chf", "-by", "Finance", "-reason", "Swiss entity"); err != nil {
		t.Fatalf("starter credit: %v\n%s", err, out)
	}
	out, err := p.starterCLI(t, "partner", org)
	if err != nil {
		t.Fatalf("starter partner: %v\n%s", err, out)
	}
	var v intake.PartnerView
	if err := json.Unmarshal([]byte(out), &v); err != nil {
		t.Fatalf("starter partner printed no partner: %v\n%s", err, out)
	}
	if l := v.CreditLimit; v.Blocked || l == nil || l.Amount != 3000000 || l.Currency != "CHF" || l.AllowOverLimit {
		t.Errorf("partner = %+v, limit %+v", v, l)
	}
	var history []string
	for _, c := range v.History {
		entry := fmt.Sprintf("%s by %s: %s", c.Kind, c.ChangedBy, c.Reason)
		if c.Kind == commerce.ChangeCreditLimit {
			entry += fmt.Sprintf(" (%d %s, over limit %v)", *c.Amount, c.Currency, *c.AllowOverLimit)
		}
		history = append(history, entry)
	}
	want := []string{
		"CreditLimit by Finance: Swiss entity (3000000 CHF, over limit false)",
		"Unblocked by Credit control: paid",
		"Blocked by Credit control: invoices 60 days overdue",
		"CreditLimit by Finance: annual review (2500000 EUR, over limit true)",
	}
	if strings.Join(history, "\n") != strings.Join(want, "\n") {
		t.Errorf("history, newest first:\n%s\nwant:\n%s", strings.Join(history, "\n"), strings.Join(want, "\n"))
	}
	// The register holds what the API answered.
	stored, err := p.register(t).GetPartner(t.Context(), org)
	if err != nil || stored.CreditLimit.Amount != 3000000 || len(stored.Changes) != 4 {
		t.Errorf("register = %+v, %v", stored, err)
	}
}
