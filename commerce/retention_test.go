package commerce

import (
	"context"
	"testing"
	"time"
)

// TestErasePersonalData: the personal data of requests rejected longer ago
// than the period goes, in batches, and nothing else; the rows still answer
// every lookup by request ID, and a second run erases nothing.
func TestErasePersonalData(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		longAgo := time.Now().Add(-100 * 24 * time.Hour)
		before := time.Now().Add(-90 * 24 * time.Hour)

		// request ID -> status, decision, whether it was decided long ago
		requests := []struct {
			id, status, decision string
			old                  bool
		}{
			{"old-disqualified", StatusRejected, "LeadDisqualified", true},
			{"old-lost", StatusRejected, "OpportunityLost", true},
			{"old-abandoned", StatusRejected, "Abandoned", true},
			{"recent-rejected", StatusRejected, "LeadDisqualified", false},
			{"old-approved", StatusApproved, "OpportunityWon", true},
			{"old-waiting", StatusAwaitingQualification, "", true},
			{"old-needs-attention", StatusNeedsAttention, "", true},
		}
		for _, r := range requests {
			p := prospect(r.id, r.id+"@example.com")
			p.Street, p.Phone, p.JobTitle, p.TaxID, p.PostalCode = "Bahnhofstr. 1", "+41 44 000 00 00", "Buyer", "CHE-123.456.789", "8001"
			p.Comments = "Call me after five."
			if err := s.RegisterProspect(ctx, p); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordLead(ctx, r.id, "lead-"+r.id); err != nil {
				t.Fatal(err)
			}
			if err := s.SetProspectStatus(ctx, r.id, r.status, r.decision); err != nil {
				t.Fatal(err)
			}
			if err := s.RecordEmailSent(ctx, SentEmail{RequestID: r.id, Kind: "receipt", MessageID: "<" + r.id + "@shop.example>"}); err != nil {
				t.Fatal(err)
			}
		}
		lostPerson := customer(t, s, KindPerson, "contact-lost", "old-lost")
		lostOrg := customer(t, s, KindOrganization, "account-lost", "old-lost")
		approvedPerson := customer(t, s, KindPerson, "contact-approved", "old-approved")
		approvedOrg := customer(t, s, KindOrganization, "account-approved", "old-approved")
		if _, err := s.CreateHierarchy(ctx, "old-approved", PurposeB2BOrganization, approvedOrg.ID,
			[]HierarchyMember{{CustomerID: approvedPerson.ID, Role: RoleAdmin}}); err != nil {
			t.Fatal(err)
		}
		// The account of the lost request became a partner's through a
		// later request, which found it in Sales again.
		sharedOrg := customer(t, s, KindOrganization, "account-shared", "old-lost")
		if _, err := s.CreateHierarchy(ctx, "old-approved-later", PurposeB2BOrganization, sharedOrg.ID, nil); err != nil {
			t.Fatal(err)
		}
		for _, r := range requests {
			if r.old {
				setUpdatedAt(t, s, "prospects", "request_id", r.id, longAgo)
			}
		}
		for _, c := range []Customer{lostPerson, lostOrg, approvedPerson, approvedOrg, sharedOrg} {
			setUpdatedAt(t, s, "customers", "id", c.ID, longAgo)
		}

		var batches []int
		for {
			n, err := s.ErasePersonalData(ctx, before, 2)
			if err != nil {
				t.Fatal(err)
			}
			batches = append(batches, n)
			if n == 0 || len(batches) > 5 {
				break
			}
		}
		if len(batches) != 3 || batches[0] != 2 || batches[1] != 1 {
			t.Errorf("batches of 2 erased %v, want 2, 1, then 0", batches)
		}
		if n, err := s.ErasePersonalData(ctx, before, 100); err != nil || n != 0 {
			t.Errorf("a second run erased %d (%v), want none", n, err)
		}

		for _, r := range requests {
			p, err := s.GetProspect(ctx, r.id)
			if err != nil {
				t.Fatalf("%s: %v", r.id, err)
			}
			if p.Status != r.status || p.Decision != r.decision || p.LeadID != "lead-"+r.id || p.CreatedAt.IsZero() {
				t.Errorf("%s: status %q, decision %q, lead %q, created %v; want them kept", r.id, p.Status, p.Decision, p.LeadID, p.CreatedAt)
			}
			if p.CompanyName != "Contoso Ltd" || p.TaxID == "" || p.City != "Zurich" || p.PostalCode != "8001" ||
				p.CountryCode != "CH" || p.Locale != "de-CH" {
				t.Errorf("%s: the company's data is gone: %+v", r.id, p)
			}
			erased := r.status == StatusRejected && r.old
			personal := p.FirstName + p.LastName + p.Email + p.Phone + p.JobTitle + p.Street + p.Comments
			switch {
			case erased && (personal != "" || p.PersonalDataErasedAt.IsZero()):
				t.Errorf("%s: personal data %q, erased at %v; want it erased", r.id, personal, p.PersonalDataErasedAt)
			case !erased && (p.Email != r.id+"@example.com" || p.Street == "" || p.Comments == "" || !p.PersonalDataErasedAt.IsZero()):
				t.Errorf("%s: %+v; want its personal data kept", r.id, p)
			}
			if id, err := s.RequestOfSalesRecord(ctx, "lead", "lead-"+r.id); err != nil || id != r.id {
				t.Errorf("request of lead-%s = %q, %v", r.id, id, err)
			}
			if emails, err := s.ListSentEmails(ctx, r.id); err != nil || len(emails) != 1 {
				t.Errorf("%s: sent emails %v, %v; want the receipt", r.id, emails, err)
			}
		}

		for _, c := range []struct {
			customer Customer
			erased   bool
		}{{lostPerson, true}, {lostOrg, true}, {approvedPerson, false}, {approvedOrg, false}, {sharedOrg, false}} {
			got, err := s.GetCustomer(ctx, c.customer.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.SalesRecordID != c.customer.SalesRecordID || got.RequestID != c.customer.RequestID || got.Kind != c.customer.Kind {
				t.Errorf("customer %s lost its IDs: %+v", c.customer.SalesRecordID, got)
			}
			personal := got.FirstName + got.LastName + got.Email + got.Phone + got.JobTitle + got.Street
			if got.Kind == KindPerson {
				personal += got.Name
			}
			if c.erased != (personal == "") {
				t.Errorf("customer %s: personal data %q, want erased %v", c.customer.SalesRecordID, personal, c.erased)
			}
			if got.Kind == KindOrganization && got.Name != c.customer.Name {
				t.Errorf("organization %s: name %q, want it kept", c.customer.SalesRecordID, got.Name)
			}
		}

		// The requester may apply again with the same email.
		if _, created, err := s.ReserveRequest(ctx, prospect("again", "old-lost@example.com")); err != nil || !created {
			t.Errorf("a new request after erasure: created %v, %v", created, err)
		}
	})
}

func TestErasePersonalDataNeedsABatchSize(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		if _, err := s.ErasePersonalData(context.Background(), time.Now(), 0); err == nil {
			t.Error("a batch of 0 was accepted")
		}
	})
}

func customer(t *testing.T, s *Store, kind CustomerKind, salesRecordID, requestID string) Customer {
	t.Helper()
	c := Customer{Kind: kind, SalesRecordID: salesRecordID, RequestID: requestID, Email: salesRecordID + "@example.com",
		Phone: "+41 44 000 00 01", Street: "Bahnhofstr. 1", City: "Zurich", PostalCode: "8001", CountryCode: "CH"}
	if kind == KindPerson {
		c.Name, c.FirstName, c.LastName, c.JobTitle = "Ada Muster", "Ada", "Muster", "Buyer"
	} else {
		c.Name = "Contoso Ltd"
	}
	stored, err := s.UpsertCustomer(context.Background(), c)
	if err != nil {
		t.Fatal(err)
	}
	return stored
}

// setUpdatedAt moves a row's last change back in time.
func setUpdatedAt(t *testing.T, s *Store, table, key, id string, at time.Time) {
	t.Helper()
	if _, err := s.db.ExecContext(context.Background(),
		`UPDATE `+table+` SET updated_at = ? WHERE `+key+` = ?`, formatTime(at), id); err != nil {
		t.Fatal(err)
	}
}

// An admin's addition of a user keeps the user's data only while it is
// carried out: once Added (the customer holds it) or Refused longer ago than
// the period, the addition's copy is erased; a pending one keeps it.
func TestErasePersonalDataOfUserAdditions(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before := time.Now().Add(-90 * 24 * time.Hour)
		org := customer(t, s, KindOrganization, "account-partner", "req-partner")
		admin := customer(t, s, KindPerson, "contact-admin", "req-partner")
		if _, err := s.CreateHierarchy(ctx, "req-partner", PurposeB2BOrganization, org.ID,
			[]HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}}); err != nil {
			t.Fatal(err)
		}
		other := customer(t, s, KindOrganization, "account-other", "req-other")
		otherAdmin := customer(t, s, KindPerson, "contact-taken", "req-other")
		if _, err := s.CreateHierarchy(ctx, "req-other", PurposeB2BOrganization, other.ID,
			[]HierarchyMember{{CustomerID: otherAdmin.ID, Role: RoleAdmin}}); err != nil {
			t.Fatal(err)
		}
		add := func(email string) UserAddition {
			a, _, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: org.ID, ActingCustomerID: admin.ID,
				FirstName: "Bo", LastName: "Berg", Email: email, JobTitle: "Buyer", Role: RoleUser})
			if err != nil {
				t.Fatal(err)
			}
			return a
		}
		added, refused, pending := add("bo@partner.example"), add(otherAdmin.Email), add("new@partner.example")
		if _, err := s.CreateAddedUser(ctx, added.ID); err != nil {
			t.Fatal(err)
		}
		if err := s.JoinAddedUser(ctx, added.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := s.CreateAddedUser(ctx, refused.ID); err == nil {
			t.Fatal("an address of another partner's user was added")
		}
		for _, a := range []UserAddition{added, refused, pending} {
			setUpdatedAt(t, s, "partner_user_additions", "id", a.ID, before.Add(-24*time.Hour))
		}

		for range 2 {
			if _, err := s.ErasePersonalData(ctx, before, 10); err != nil {
				t.Fatal(err)
			}
		}
		for _, a := range []UserAddition{added, refused, pending} {
			got, err := s.GetUserAddition(ctx, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			erased := got.FirstName == "" && got.LastName == "" && got.Email == "" && got.JobTitle == ""
			if erased == (a.ID == pending.ID) || got.Status == "" || got.Role != RoleUser {
				t.Errorf("addition %s (%s) after the erasure = %+v", a.ID, got.Status, got)
			}
		}
		users, err := s.ListPartnerUsers(ctx, org.ID)
		if err != nil || len(users.Users) != 2 {
			t.Fatalf("partner's users = %+v, %v; want the admin and the added user, whose customer keeps its data", users, err)
		}
		for _, u := range users.Users {
			if u.Email == "" {
				t.Errorf("user %s lost its email: the customer is the partner's", u.CustomerID)
			}
		}
	})
}
