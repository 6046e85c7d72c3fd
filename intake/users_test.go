package intake_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/workflows"
)

// approveWithAdmin is approve with the requester in the hierarchy as Admin.
func (f *fixture) approveWithAdmin(t *testing.T, requestID string) (org, admin string) {
	t.Helper()
	ctx := context.Background()
	o, err := f.store.UpsertCustomer(ctx, commerce.Customer{Kind: commerce.KindOrganization,
		SalesRecordID: "account-" + requestID, RequestID: requestID, Name: "Contoso Supplies B.V."})
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.store.UpsertCustomer(ctx, commerce.Customer{Kind: commerce.KindPerson,
		SalesRecordID: "contact-" + requestID, RequestID: requestID, FirstName: "Ada", LastName: "Muster", Email: "ada." + requestID[:8] + "@contoso.example"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CreateHierarchy(ctx, requestID, commerce.PurposeB2BOrganization, o.ID,
		[]commerce.HierarchyMember{{CustomerID: p.ID, Role: commerce.RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	return o.ID, p.ID
}

func (f *fixture) users(t *testing.T, org string) intake.PartnerUsersView {
	t.Helper()
	code, a, raw := f.do(t, http.MethodGet, "/v1/partners/"+org+"/users", "", "")
	if code != http.StatusOK {
		t.Fatalf("GET users = %d %+v", code, a)
	}
	var v intake.PartnerUsersView
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestAddPartnerUserStartsItsWorkflow(t *testing.T) {
	f := newFixture(t)
	org, admin := f.approveWithAdmin(t, "5b7e2a10-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
	path := "/v1/partners/" + org + "/users"
	body := `{"actingCustomerId": "` + admin + `", "firstName": " Bo ", "lastName": "Berg", "email": "bo.berg@contoso.example",
		"jobTitle": "Buyer", "role": "User", "locale": "de"}`
	code, a, _ := f.do(t, http.MethodPost, path, "application/json", body)
	if code != http.StatusAccepted || a.ID == "" || a.Status != commerce.AdditionPending {
		t.Fatalf("POST users = %d %+v", code, a)
	}
	starts := f.temporal.recorded()
	if len(starts) != 1 {
		t.Fatalf("starts = %+v, want one", starts)
	}
	s := starts[0]
	if s.Options.ID != workflows.AddPartnerUserWorkflowID(a.ID) || s.Workflow != workflows.AddPartnerUserWorkflowName ||
		!strings.Contains(s.Options.StaticSummary, org) {
		t.Errorf("start = %+v %v", s.Options, s.Workflow)
	}
	if in, ok := s.Args[0].(workflows.PartnerUserAddition); !ok || in.AdditionID != a.ID || in.OrganizationID != org {
		t.Errorf("workflow input = %+v, want the addition's IDs only", s.Args)
	}
	for _, personal := range []string{"bo.berg", "Berg"} {
		if strings.Contains(s.Options.ID, personal) || strings.Contains(s.Options.StaticSummary, personal) {
			t.Errorf("start options carry personal data: %+v", s.Options)
		}
	}

	// The same address again answers the same addition.
	code, again, _ := f.do(t, http.MethodPost, path, "application/json", body)
	if code != http.StatusAccepted || again.ID != a.ID {
		t.Errorf("POST again = %d %+v, want addition %s", code, again, a.ID)
	}
	v := f.users(t, org)
	if len(v.Users) != 1 || len(v.Additions) != 1 || v.Additions[0].ID != a.ID || v.Additions[0].Status != commerce.AdditionPending {
		t.Errorf("users = %+v", v)
	}
}

func TestAddPartnerUserRefusals(t *testing.T) {
	f := newFixture(t)
	org, admin := f.approveWithAdmin(t, "5b7e2a10-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
	path := "/v1/partners/" + org + "/users"

	code, a, _ := f.do(t, http.MethodPost, path, "application/json",
		`{"actingCustomerId": "", "firstName": "", "lastName": "`+strings.Repeat("x", 51)+`", "email": "not an address", "role": "Owner"}`)
	if code != http.StatusBadRequest || fieldsOf(a) != "firstName lastName email actingCustomerId role" {
		t.Errorf("invalid body = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodPost, path, "application/json",
		`{"actingCustomerId": "someone-else", "firstName": "Bo", "lastName": "Berg", "email": "bo@contoso.example", "role": "User"}`)
	if code != http.StatusForbidden || !strings.Contains(a.Error, "Admin") {
		t.Errorf("not an admin = %d %+v", code, a)
	}
	code, _, _ = f.do(t, http.MethodPost, "/v1/partners/nobody/users", "application/json",
		`{"actingCustomerId": "`+admin+`", "firstName": "Bo", "lastName": "Berg", "email": "bo@contoso.example", "role": "User"}`)
	if code != http.StatusNotFound {
		t.Errorf("no partner = %d", code)
	}
	if n := len(f.temporal.recorded()); n != 0 {
		t.Errorf("%d workflows started for refused calls", n)
	}
}

func TestRoleChangeRemovalAndAccess(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	org, admin := f.approveWithAdmin(t, "5b7e2a10-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
	add, _, err := f.store.RequestUserAddition(ctx, commerce.UserAddition{OrganizationID: org, ActingCustomerID: admin,
		FirstName: "Bo", LastName: "Berg", Email: "bo@contoso.example", Role: commerce.RoleUser})
	if err != nil {
		t.Fatal(err)
	}
	user, err := f.store.CreateAddedUser(ctx, add.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := f.store.JoinAddedUser(ctx, add.ID); err != nil {
		t.Fatal(err)
	}
	users := "/v1/partners/" + org + "/users/"

	code, a, _ := f.do(t, http.MethodDelete, users+admin+"?actingCustomerId="+admin, "", "")
	if code != http.StatusConflict || !strings.Contains(a.Error, "at least one active Admin") {
		t.Errorf("removing the last admin = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodPut, users+admin+"/role", "application/json", `{"actingCustomerId": "`+admin+`", "role": "User"}`)
	if code != http.StatusConflict {
		t.Errorf("demoting the last admin = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodPut, users+admin+"/role", "application/json", `{"actingCustomerId": "`+user+`", "role": "User"}`)
	if code != http.StatusForbidden {
		t.Errorf("a User changes a role = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodPut, users+user+"/role", "application/json", `{"actingCustomerId": "`+admin+`", "role": "Boss"}`)
	if code != http.StatusBadRequest || fieldsOf(a) != "role" {
		t.Errorf("unknown role = %d %+v", code, a)
	}
	code, a, raw := f.do(t, http.MethodPut, users+user+"/role", "application/json", `{"actingCustomerId": "`+admin+`", "role": "Admin"}`)
	var u intake.PartnerUserView
	if code != http.StatusOK || json.Unmarshal(raw, &u) != nil || u.Role != commerce.RoleAdmin || !u.Active {
		t.Fatalf("promote = %d %+v %s", code, a, raw)
	}

	code, a, _ = f.do(t, http.MethodDelete, users+user, "", "")
	if code != http.StatusBadRequest || fieldsOf(a) != "actingCustomerId" {
		t.Errorf("removal without actingCustomerId = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodDelete, users+admin+"?actingCustomerId="+user, "", "")
	if code != http.StatusOK {
		t.Fatalf("removing one of two admins = %d %+v", code, a)
	}
	var acc intake.AccessView
	code, _, raw = f.do(t, http.MethodGet, "/v1/customers/"+admin+"/access", "", "")
	if code != http.StatusOK || json.Unmarshal(raw, &acc) != nil || acc.MaySignIn {
		t.Errorf("removed admin's access = %d %s", code, raw)
	}
	code, _, raw = f.do(t, http.MethodGet, "/v1/customers/"+user+"/access", "", "")
	if code != http.StatusOK || json.Unmarshal(raw, &acc) != nil || !acc.MaySignIn || acc.OrganizationID != org || acc.Role != commerce.RoleAdmin {
		t.Errorf("remaining admin's access = %d %s", code, raw)
	}
	if code, _, _ := f.do(t, http.MethodGet, "/v1/customers/nobody/access", "", ""); code != http.StatusNotFound {
		t.Errorf("unknown customer's access = %d", code)
	}
	v := f.users(t, org)
	if len(v.Users) != 2 || v.Users[0].Active || !v.Users[1].Active {
		t.Errorf("users after the removal = %+v", v.Users)
	}
}

// TestRefusedAdditionIsListed: an addition refused because another partner's
// user has the address shows in the list with why.
func TestRefusedAdditionIsListed(t *testing.T) {
	f := newFixture(t)
	ctx := context.Background()
	org, admin := f.approveWithAdmin(t, "5b7e2a10-1c3d-4e5f-8a9b-0c1d2e3f4a5b")
	other, otherAdmin := f.approveWithAdmin(t, "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f")
	code, a, _ := f.do(t, http.MethodPost, "/v1/partners/"+other+"/users", "application/json",
		`{"actingCustomerId": "`+otherAdmin+`", "firstName": "Ada", "lastName": "Muster", "email": "ADA.5b7e2a10@contoso.example", "role": "Admin"}`)
	if code != http.StatusAccepted {
		t.Fatalf("POST users = %d %+v", code, a)
	}
	// The workflow's first step, as the worker runs it.
	if _, err := f.store.CreateAddedUser(ctx, a.ID); err == nil {
		t.Fatal("the address of the first partner's admin was not refused")
	}
	v := f.users(t, other)
	if len(v.Additions) != 1 || v.Additions[0].ID != a.ID || v.Additions[0].Status != commerce.AdditionRefused ||
		!strings.Contains(v.Additions[0].Refusal, "another partner") || strings.Contains(v.Additions[0].Refusal, "ada@") {
		t.Errorf("additions = %+v", v.Additions)
	}
	if v := f.users(t, org); len(v.Users) != 1 || v.Users[0].CustomerID != admin || !v.Users[0].Active {
		t.Errorf("the first partner's users = %+v", v.Users)
	}
}

// The partner's GET shows its hierarchy's users and their roles beside the
// credit limit.
func TestPartnerShowsItsUsersAndRoles(t *testing.T) {
	f := newFixture(t)
	org, admin := f.approveWithAdmin(t, "6c8f3b21-2d4e-4f60-9b0c-1d2e3f4a5b6c")
	code, a, raw := f.do(t, http.MethodGet, "/v1/partners/"+org, "", "")
	if code != http.StatusOK {
		t.Fatalf("GET partner = %d %+v", code, a)
	}
	var p intake.PartnerView
	if err := json.Unmarshal(raw, &p); err != nil {
		t.Fatal(err)
	}
	if len(p.Users) != 1 || p.Users[0].CustomerID != admin || p.Users[0].Role != commerce.RoleAdmin || !p.Users[0].Active {
		t.Errorf("partner's users = %+v; want its admin %s", p.Users, admin)
	}
}

// Roles the shop configures besides Admin and User are given like them;
// any other is refused with the list.
func TestShopsOwnRoles(t *testing.T) {
	f := newFixture(t)
	org, admin := f.approveWithAdmin(t, "7d9a4c32-3e5f-4071-8c1d-2e3f4a5b6c7d")
	path := "/v1/partners/" + org + "/users"
	body := func(email, role string) string {
		return `{"actingCustomerId": "` + admin + `", "firstName": "Bo", "lastName": "Berg", "email": "` + email + `", "role": "` + role + `"}`
	}
	code, a, _ := f.do(t, http.MethodPost, path, "application/json", body("bo@contoso.example", "Buyer"))
	if code != http.StatusBadRequest || fieldsOf(a) != "role" || !strings.Contains(a.Fields[0].Message, "Admin, User") {
		t.Errorf("a role the shop has not configured = %d %+v", code, a)
	}

	f.store.SetRoles([]string{"Buyer"})
	code, a, _ = f.do(t, http.MethodPost, path, "application/json", body("bo@contoso.example", "Buyer"))
	if code != http.StatusAccepted {
		t.Errorf("a configured role = %d %+v", code, a)
	}
	code, a, _ = f.do(t, http.MethodPut, path+"/"+admin+"/role", "application/json", `{"actingCustomerId": "`+admin+`", "role": "Owner"}`)
	if code != http.StatusBadRequest || !strings.Contains(a.Fields[0].Message, "Admin, User, Buyer") {
		t.Errorf("an unknown role = %d %+v", code, a)
	}
}
