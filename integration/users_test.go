package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
)

func (p *product) partnerUsers(t *testing.T, org string) intake.PartnerUsersView {
	t.Helper()
	code, out := p.partnerCall(t, http.MethodGet, org+"/users", "")
	if code != http.StatusOK {
		t.Fatalf("GET users of %s = %d %s", org, code, out)
	}
	var v intake.PartnerUsersView
	if err := json.Unmarshal(out, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// TestPartnerAdminAddsAUser approves a request on the real stack; its
// requester, the partner's Admin, adds a buyer, who gets the invitation in
// German, and cannot remove the partner's last Admin.
func TestPartnerAdminAddsAUser(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "users")
	st := p.approve(t, r)
	org, admin := st.OrganizationCustomerID, st.PersonCustomerID
	if org == "" || admin == "" {
		t.Fatalf("approved request without organization or requester customer: %+v", st)
	}

	buyer := "buyer." + r.id[:8] + "@partner.example"
	code, out := p.partnerCall(t, http.MethodPost, org+"/users", fmt.Sprintf(`{"actingCustomerId": %q,
		"firstName": "Bo", "lastName": "Berg", "email": %q, "jobTitle": "Buyer", "role": "User", "locale": "de"}`, admin, buyer))
	if code != http.StatusAccepted {
		t.Fatalf("POST users = %d %s", code, out)
	}
	var added intake.UserAdditionView
	if err := json.Unmarshal(out, &added); err != nil || added.ID == "" {
		t.Fatalf("POST users answered %s: %v", out, err)
	}

	var user intake.PartnerUserView
	poll(t, "the buyer to join the partner", func() (bool, string) {
		v := p.partnerUsers(t, org)
		for _, u := range v.Users {
			if u.Email == buyer {
				user = u
				return u.Active && u.Role == commerce.RoleUser && len(v.Additions) == 0, fmt.Sprintf("%+v", v)
			}
		}
		return false, fmt.Sprintf("%+v", v)
	})

	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	msgs, err := p.mailpit.WaitForMessages(ctx, "to:"+buyer, 1)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("invitations to the buyer: %d, %v; want 1", len(msgs), err)
	}
	msg, err := p.mailpit.Message(ctx, msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(msg.Subject, "Einladung") || !strings.Contains(msg.Text, "Guten Tag Bo Berg") ||
		!strings.Contains(msg.HTML, `lang="de"`) || !strings.HasPrefix(msg.MessageID, "onboarding-"+added.ID+"-invitation@") {
		t.Errorf("invitation: Message-ID %s, subject %q, text %q", msg.MessageID, msg.Subject, msg.Text)
	}

	access := func(id string) intake.AccessView {
		t.Helper()
		url := strings.TrimSuffix(p.intake, "/v1/onboarding-requests") + "/v1/customers/" + id + "/access"
		resp, out := p.doWith(t, http.MethodGet, url, nil, http.Header{"Authorization": {"Bearer " + p.stack.URLs().IntakeKey}})
		var a intake.AccessView
		if resp.StatusCode != http.StatusOK || json.Unmarshal(out, &a) != nil {
			t.Fatalf("GET access of %s = %d %s", id, resp.StatusCode, out)
		}
		return a
	}
	if a := access(user.CustomerID); !a.MaySignIn || a.OrganizationID != org {
		t.Errorf("buyer's access = %+v", a)
	}

	if code, out := p.partnerCall(t, http.MethodDelete, org+"/users/"+admin+"?actingCustomerId="+admin, ""); code != http.StatusConflict ||
		!strings.Contains(string(out), "at least one active Admin") {
		t.Errorf("removing the last admin = %d %s, want 409", code, out)
	}
	if code, out := p.partnerCall(t, http.MethodDelete, org+"/users/"+user.CustomerID+"?actingCustomerId="+admin, ""); code != http.StatusOK {
		t.Fatalf("removing the buyer = %d %s", code, out)
	}
	if a := access(user.CustomerID); a.MaySignIn {
		t.Errorf("removed buyer's access = %+v", a)
	}
	if a := access(admin); !a.MaySignIn || a.Role != commerce.RoleAdmin {
		t.Errorf("admin's access = %+v", a)
	}
}
