package commerce

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"
)

func TestUpsertCustomerReturnsSameCustomer(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		in := Customer{
			Kind: KindPerson, SalesRecordID: "contact-1", RequestID: "req-1",
			Name: "Ada Muster", FirstName: "Ada", LastName: "Muster", Email: "ada@example.com",
		}
		first, err := s.UpsertCustomer(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if first.ID == "" || first.Kind != KindPerson || first.Email != "ada@example.com" || first.CreatedAt.IsZero() {
			t.Fatalf("first upsert = %+v", first)
		}

		in.Phone = "+41 44 000 00 00"
		in.ID = "another-id"
		second, err := s.UpsertCustomer(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		if second.ID != first.ID || !second.CreatedAt.Equal(first.CreatedAt) {
			t.Errorf("second upsert made a new customer: %s (created %v), first %s (created %v)",
				second.ID, second.CreatedAt, first.ID, first.CreatedAt)
		}
		if second.Phone != in.Phone {
			t.Errorf("second upsert did not refresh details: phone %q", second.Phone)
		}

		org, err := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1", Name: "Contoso Ltd"})
		if err != nil {
			t.Fatal(err)
		}
		got, err := s.GetCustomer(ctx, org.ID)
		if err != nil || !reflect.DeepEqual(got, org) {
			t.Errorf("GetCustomer = %+v, %v; want %+v", got, err, org)
		}
		list, err := s.ListCustomersByRequest(ctx, "req-1")
		if err != nil || len(list) != 2 {
			t.Fatalf("ListCustomersByRequest = %d customers, %v; want 2", len(list), err)
		}
		if _, err := s.UpsertCustomer(ctx, Customer{Kind: "Robot", SalesRecordID: "x", RequestID: "req-1"}); !errors.Is(err, ErrInvalid) {
			t.Errorf("unknown kind: %v", err)
		}
	})
}

func TestCreateHierarchyOncePerRequest(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, _ := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1", Name: "Contoso"})
		admin, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-1", RequestID: "req-1", Name: "Ada"})
		other, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-2", RequestID: "req-1", Name: "Bob"})

		members := []HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}}
		h1, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID, members)
		if err != nil {
			t.Fatal(err)
		}
		if h1.ID == "" || h1.RootCustomerID != org.ID || h1.Purpose != PurposeB2BOrganization || !reflect.DeepEqual(h1.Members, members) {
			t.Fatalf("created %+v", h1)
		}

		h2, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID,
			[]HierarchyMember{{CustomerID: other.ID, Role: "Buyer"}})
		if err != nil {
			t.Fatal(err)
		}
		stored, err := s.GetHierarchyByRequest(ctx, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		for name, h := range map[string]Hierarchy{"second create": h2, "stored": stored} {
			if h.ID != h1.ID || !reflect.DeepEqual(h.Members, members) || !h.CreatedAt.Equal(h1.CreatedAt) {
				t.Errorf("%s = %+v, want the first hierarchy %+v", name, h, h1)
			}
		}
		var count int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchies`).Scan(&count); err != nil || count != 1 {
			t.Errorf("hierarchies rows = %d (%v), want 1", count, err)
		}
	})
}

// Two attempts of the same activity may overlap when a worker is slow.
func TestCreateHierarchyConcurrentCalls(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, _ := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1"})
		admin, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-1", RequestID: "req-1"})
		members := []HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}}
		const n = 8
		hs := make([]Hierarchy, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				hs[i], errs[i] = s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID, members)
			})
		}
		close(start)
		wg.Wait()
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("call %d: %v", i, errs[i])
			}
			if hs[i].ID != hs[0].ID || !reflect.DeepEqual(hs[i].Members, members) {
				t.Errorf("call %d = %+v, call 0 = %+v; want one hierarchy with its members", i, hs[i], hs[0])
			}
		}
		var rows, memberRows int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchies`).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("hierarchies rows = %d (%v), want 1", rows, err)
		}
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchy_members`).Scan(&memberRows); err != nil || memberRows != 1 {
			t.Errorf("hierarchy_members rows = %d (%v), want 1", memberRows, err)
		}
	})
}

func TestCreateHierarchyIsAllOrNothing(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, _ := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1"})
		admin, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-1", RequestID: "req-1"})

		_, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID,
			[]HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}, {CustomerID: "missing", Role: "Buyer"}})
		if !errors.Is(err, ErrNotFound) {
			t.Fatalf("member missing: err = %v, want ErrNotFound", err)
		}
		if _, err := s.GetHierarchyByRequest(ctx, "req-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a failed creation left a hierarchy behind: %v", err)
		}
		var members int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchy_members`).Scan(&members); err != nil || members != 0 {
			t.Errorf("a failed creation left %d members behind (%v)", members, err)
		}

		if _, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, admin.ID, nil); !errors.Is(err, ErrInvalid) {
			t.Errorf("a person at the top: err = %v, want ErrInvalid", err)
		}
		h, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID, []HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}})
		if err != nil || len(h.Members) != 1 {
			t.Errorf("creation after the failures = %+v, %v", h, err)
		}
	})
}

func TestCreditLimitUpsert(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, _ := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1"})
		if _, _, err := s.GetCreditLimit(ctx, org.ID); !errors.Is(err, ErrNotFound) {
			t.Fatalf("before any limit: %v", err)
		}
		if err := s.SetCreditLimit(ctx, org.ID, 500_000, "eur"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetCreditLimit(ctx, org.ID, 1_250_000, "CHF"); err != nil {
			t.Fatal(err)
		}
		amount, currency, err := s.GetCreditLimit(ctx, org.ID)
		if err != nil || amount != 1_250_000 || currency != "CHF" {
			t.Errorf("limit = %d %s, %v; want 1250000 CHF", amount, currency, err)
		}
		if err := s.SetCreditLimit(ctx, org.ID, -1, "CHF"); !errors.Is(err, ErrInvalid) {
			t.Errorf("negative limit: %v", err)
		}
		if err := s.SetCreditLimit(ctx, org.ID, 1, "EURO"); !errors.Is(err, ErrInvalid) {
			t.Errorf("bad currency: %v", err)
		}
	})
}

func TestRecordEmailSentOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		sentAt := time.Date(2025, 3, 4, 5, 6, 7, 123456000, time.UTC)
		first := SentEmail{RequestID: "req-1", Kind: "welcome", MessageID: "<onboarding-req-1-welcome@shop.example>", SentAt: sentAt}
		if err := s.RecordEmailSent(ctx, first); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordEmailSent(ctx, SentEmail{RequestID: "req-1", Kind: "welcome", MessageID: "<other@shop.example>"}); err != nil {
			t.Fatalf("second record: %v", err)
		}
		got, ok, err := s.EmailSent(ctx, "req-1", "welcome")
		if err != nil || !ok || got != first {
			t.Errorf("EmailSent = %+v, %v, %v; want %+v", got, ok, err, first)
		}
		if _, ok, _ := s.EmailSent(ctx, "req-1", "decline"); ok {
			t.Error("decline reported as sent")
		}
		list, err := s.ListSentEmails(ctx, "req-1")
		if err != nil || len(list) != 1 || list[0] != first {
			t.Errorf("ListSentEmails = %+v, %v", list, err)
		}
	})
}

// A request of a company that is a partner already (the seller qualified the
// lead into the existing account) joins that partner's hierarchy: its
// requester becomes a User, the partner's admins decide about more rights,
// and no second hierarchy is made.
func TestSecondRequestJoinsThePartnersHierarchy(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org, _ := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-1", RequestID: "req-1", Name: "Contoso"})
		admin, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-1", RequestID: "req-1", Name: "Ada"})
		colleague, _ := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-2", RequestID: "req-2", Name: "Bob"})
		first, err := s.CreateHierarchy(ctx, "req-1", PurposeB2BOrganization, org.ID, []HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}})
		if err != nil {
			t.Fatal(err)
		}

		for range 2 { // a retried step joins once
			joined, err := s.CreateHierarchy(ctx, "req-2", PurposeB2BOrganization, org.ID,
				[]HierarchyMember{{CustomerID: colleague.ID, Role: RoleAdmin}})
			if err != nil {
				t.Fatal(err)
			}
			want := []HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}, {CustomerID: colleague.ID, Role: RoleUser}}
			if joined.ID != first.ID || !reflect.DeepEqual(joined.Members, want) {
				t.Errorf("second request's hierarchy = %+v; want %s with %+v", joined, first.ID, want)
			}
		}
		stored, err := s.GetHierarchyByRequest(ctx, "req-2")
		if err != nil || stored.ID != first.ID {
			t.Errorf("hierarchy of the second request = %+v, %v; want %s", stored, err, first.ID)
		}
		var count int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchies`).Scan(&count); err != nil || count != 1 {
			t.Errorf("hierarchies rows = %d (%v), want 1", count, err)
		}
	})
}
