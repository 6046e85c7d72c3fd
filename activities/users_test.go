package activities_test

import (
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/workflows"
)

// partner makes the request an approved partner, as ApprovePartner leaves
// it, and returns the organization and its admin.
func (f *fixture) partner(locale string) (org, admin string) {
	f.t.Helper()
	req := f.registered(locale)
	o, err := f.store.UpsertCustomer(f.ctx, commerce.Customer{Kind: commerce.KindOrganization,
		SalesRecordID: "account-" + req.RequestID, RequestID: req.RequestID, Name: req.Company.Name})
	if err != nil {
		f.t.Fatal(err)
	}
	p, err := f.store.UpsertCustomer(f.ctx, commerce.Customer{Kind: commerce.KindPerson,
		SalesRecordID: "contact-" + req.RequestID, RequestID: req.RequestID, Email: req.Requester.Email})
	if err != nil {
		f.t.Fatal(err)
	}
	if _, err := f.store.CreateHierarchy(f.ctx, req.RequestID, commerce.PurposeB2BOrganization, o.ID,
		[]commerce.HierarchyMember{{CustomerID: p.ID, Role: commerce.RoleAdmin}}); err != nil {
		f.t.Fatal(err)
	}
	return o.ID, p.ID
}

func (f *fixture) addition(org, admin, email string) workflows.PartnerUserAddition {
	f.t.Helper()
	a, _, err := f.store.RequestUserAddition(f.ctx, commerce.UserAddition{OrganizationID: org, ActingCustomerID: admin,
		FirstName: "Bo", LastName: "Berg", Email: email, JobTitle: "Buyer", Role: commerce.RoleUser})
	if err != nil {
		f.t.Fatal(err)
	}
	return workflows.PartnerUserAddition{AdditionID: a.ID, OrganizationID: org}
}

func TestAddPartnerUserInvitesInThePartnersLanguage(t *testing.T) {
	f := newFixture(t)
	org, admin := f.partner("de-AT")
	in := f.addition(org, admin, "bo.berg@example.com")

	var customerID, again string
	f.mustRun(workflows.ActivityCreatePartnerUser, in, &customerID)
	f.mustRun(workflows.ActivityCreatePartnerUser, in, &again)
	if customerID == "" || again != customerID {
		t.Fatalf("customer = %q, then %q; want one", customerID, again)
	}
	f.mustRun(workflows.ActivityJoinPartnerUser, in, nil)
	f.mustRun(workflows.ActivityJoinPartnerUser, in, nil)
	for range 2 {
		f.mustRun(workflows.ActivitySendInvitation, in, nil)
	}

	msg := f.caught(in.AdditionID, workflows.EmailInvitation)
	if !strings.Contains(msg.Subject, "Einladung") || !strings.Contains(msg.Subject, "Muster Werkzeuge GmbH") ||
		!strings.Contains(msg.Text, "Guten Tag Bo Berg") || !strings.Contains(msg.Text, "https://shop.example/sign-in") ||
		!strings.Contains(msg.HTML, `href="https://shop.example/sign-in"`) {
		t.Errorf("invitation: subject %q, text %q, HTML %q", msg.Subject, msg.Text, msg.HTML)
	}
	if len(msg.To) != 1 || msg.To[0].Address != "bo.berg@example.com" {
		t.Errorf("invitation to %+v", msg.To)
	}
	if all, err := f.mailpit.Messages(f.ctx, "to:bo.berg@example.com"); err != nil || len(all) != 1 {
		t.Errorf("Mailpit holds %d invitations, %v; want 1", len(all), err)
	}
	acc, err := f.store.CustomerAccess(f.ctx, customerID)
	if err != nil || !acc.MaySignIn || acc.Role != commerce.RoleUser || acc.OrganizationID != org {
		t.Errorf("access of the added user = %+v, %v", acc, err)
	}
}

func TestAddPartnerUserRefusesAnotherPartnersAddress(t *testing.T) {
	f := newFixture(t)
	org, admin := f.partner("en")
	in := f.addition(org, admin, "shared@example.com")
	f.mustRun(workflows.ActivityCreatePartnerUser, in, nil)
	f.mustRun(workflows.ActivityJoinPartnerUser, in, nil)

	other, otherAdmin := f.partner("en")
	refused := f.addition(other, otherAdmin, "Shared@Example.com")
	err := f.run(workflows.ActivityCreatePartnerUser, refused, nil)
	wantPermanent(t, err, workflows.ErrorEmailInUse)
	if err != nil && strings.Contains(err.Error(), "shared@") {
		t.Errorf("the refusal names the address: %v", err)
	}
	a, err := f.store.GetUserAddition(f.ctx, refused.AdditionID)
	if err != nil || a.Status != commerce.AdditionRefused {
		t.Errorf("refused addition = %+v, %v", a, err)
	}
}
