package commerce

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// approvedPartner makes an organization at the top of a hierarchy, with the
// credit limit approval sets, as ApprovePartner leaves it.
func approvedPartner(t *testing.T, s *Store, requestID string) Customer {
	t.Helper()
	ctx := context.Background()
	org, err := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-" + requestID, RequestID: requestID, Name: "Contoso"})
	if err != nil {
		t.Fatal(err)
	}
	admin, err := s.UpsertCustomer(ctx, Customer{Kind: KindPerson, SalesRecordID: "contact-" + requestID, RequestID: requestID, Name: "Ada"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateHierarchy(ctx, requestID, PurposeB2BOrganization, org.ID,
		[]HierarchyMember{{CustomerID: admin.ID, Role: RoleAdmin}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetCreditLimit(ctx, org.ID, 500000, "EUR"); err != nil {
		t.Fatal(err)
	}
	return org
}

func TestChangeCreditLimitKeepsTheAuditList(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		p, err := s.GetPartner(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := s.GetHierarchyByRequest(ctx, "req-1")
		if p.HierarchyID != h.ID || p.Name != "Contoso" || p.Blocked || len(p.Changes) != 0 ||
			p.CreditLimit == nil || p.CreditLimit.Amount != 500000 || p.CreditLimit.Currency != "EUR" || p.CreditLimit.AllowOverLimit {
			t.Fatalf("partner after approval = %+v (limit %+v)", p, p.CreditLimit)
		}

		p, err = s.ChangeCreditLimit(ctx, org.ID, CreditLimitChange{Amount: 1000000, Currency: " chf ", AllowOverLimit: true,
			ChangedBy: " Finance (M. Keller) ", Reason: "annual review"})
		if err != nil {
			t.Fatal(err)
		}
		if l := p.CreditLimit; l.Amount != 1000000 || l.Currency != "CHF" || !l.AllowOverLimit {
			t.Errorf("limit after the change = %+v", l)
		}
		if _, err := s.ChangeCreditLimit(ctx, org.ID, CreditLimitChange{Amount: 0, Currency: "EUR",
			ChangedBy: "Finance", Reason: "payments overdue"}); err != nil {
			t.Fatal(err)
		}
		p, err = s.GetPartner(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if l := p.CreditLimit; l.Amount != 0 || l.Currency != "EUR" || l.AllowOverLimit {
			t.Errorf("limit after the second change = %+v", l)
		}
		if len(p.Changes) != 2 {
			t.Fatalf("changes = %+v, want 2", p.Changes)
		}
		newest, oldest := p.Changes[0], p.Changes[1]
		if newest.Kind != ChangeCreditLimit || newest.Amount != 0 || newest.Reason != "payments overdue" ||
			oldest.Amount != 1000000 || oldest.Currency != "CHF" || !oldest.AllowOverLimit ||
			oldest.ChangedBy != "Finance (M. Keller)" || oldest.Reason != "annual review" || oldest.ChangedAt.IsZero() ||
			newest.ChangedAt.Before(oldest.ChangedAt) {
			t.Errorf("changes, newest first = %+v", p.Changes)
		}
		// The limit approval set is kept by SetCreditLimit, which does not
		// touch over-limit orders.
		if err := s.SetCreditLimit(ctx, org.ID, 700000, "EUR"); err != nil {
			t.Fatal(err)
		}
		if amount, currency, err := s.GetCreditLimit(ctx, org.ID); err != nil || amount != 700000 || currency != "EUR" {
			t.Errorf("GetCreditLimit = %d %s, %v", amount, currency, err)
		}
	})
}

func TestChangeCreditLimitRefusesInvalidInput(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		for _, tc := range []struct {
			change CreditLimitChange
			fields string
		}{
			{CreditLimitChange{Amount: -1, Currency: "EUR", ChangedBy: "a", Reason: "b"}, "amount"},
			{CreditLimitChange{Amount: 1, Currency: "EUX", ChangedBy: "a", Reason: "b"}, "currency"},
			{CreditLimitChange{Amount: 1, Currency: "", ChangedBy: "a", Reason: "b"}, "currency"},
			{CreditLimitChange{Amount: 1, Currency: "EUR", ChangedBy: " ", Reason: ""}, "changedBy reason"},
			{CreditLimitChange{Amount: -5, Currency: "12", Reason: strings.Repeat("x", 1001)}, "amount currency changedBy reason"},
		} {
			_, err := s.ChangeCreditLimit(ctx, org.ID, tc.change)
			if !errors.Is(err, ErrInvalid) {
				t.Errorf("%+v: err = %v, want ErrInvalid", tc.change, err)
				continue
			}
			var fields []string
			for _, fe := range FieldErrors(err) {
				fields = append(fields, fe.Field)
			}
			if strings.Join(fields, " ") != tc.fields {
				t.Errorf("%+v: fields %v (%v), want %s", tc.change, fields, err, tc.fields)
			}
		}
		p, err := s.GetPartner(ctx, org.ID)
		if err != nil || p.CreditLimit.Amount != 500000 || len(p.Changes) != 0 {
			t.Errorf("refused changes changed the partner: %+v, %v", p, err)
		}
	})
}

func TestPartnerNotFound(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		// An organization no hierarchy tops (its opportunity was lost) is no partner.
		lone, err := s.UpsertCustomer(ctx, Customer{Kind: KindOrganization, SalesRecordID: "account-9", RequestID: "req-9", Name: "Lone"})
		if err != nil {
			t.Fatal(err)
		}
		org := approvedPartner(t, s, "req-1")
		h, _ := s.GetHierarchyByRequest(ctx, "req-1")
		admin := h.Members[0].CustomerID
		for _, id := range []string{"no-such-customer", lone.ID, admin} {
			if _, err := s.GetPartner(ctx, id); !errors.Is(err, ErrNotFound) {
				t.Errorf("GetPartner(%s) = %v, want ErrNotFound", id, err)
			}
			if _, err := s.ChangeCreditLimit(ctx, id, CreditLimitChange{Amount: 1, Currency: "EUR", ChangedBy: "a", Reason: "b"}); !errors.Is(err, ErrNotFound) {
				t.Errorf("ChangeCreditLimit(%s) = %v, want ErrNotFound", id, err)
			}
			if _, err := s.BlockPartner(ctx, id, "a", "b"); !errors.Is(err, ErrNotFound) {
				t.Errorf("BlockPartner(%s) = %v, want ErrNotFound", id, err)
			}
		}
		if _, err := s.GetPartner(ctx, org.ID); err != nil {
			t.Errorf("GetPartner of the partner: %v", err)
		}
	})
}

func TestBlockAndUnblockPartner(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		if _, err := s.BlockPartner(ctx, org.ID, "Finance", ""); !errors.Is(err, ErrInvalid) || FieldErrors(err)[0].Field != "reason" {
			t.Errorf("block without a reason: %v", err)
		}
		p, err := s.BlockPartner(ctx, org.ID, "Finance", "invoices 90 days overdue")
		if err != nil || !p.Blocked {
			t.Fatalf("BlockPartner = %+v, %v", p, err)
		}
		// Blocking again is no change: no second entry.
		if p, err = s.BlockPartner(ctx, org.ID, "Finance", "still overdue"); err != nil || !p.Blocked || len(p.Changes) != 1 {
			t.Errorf("second BlockPartner = %+v, %v", p, err)
		}
		if p, err = s.UnblockPartner(ctx, org.ID, "Finance", "paid"); err != nil || p.Blocked {
			t.Fatalf("UnblockPartner = %+v, %v", p, err)
		}
		if p, err = s.UnblockPartner(ctx, org.ID, "Finance", "paid"); err != nil || len(p.Changes) != 2 {
			t.Errorf("second UnblockPartner = %+v, %v", p, err)
		}
		p, err = s.GetPartner(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, c := range p.Changes {
			got = append(got, fmt.Sprintf("%s by %s: %s", c.Kind, c.ChangedBy, c.Reason))
		}
		want := "[Unblocked by Finance: paid Blocked by Finance: invoices 90 days overdue]"
		if fmt.Sprint(got) != want || p.Blocked || p.CreditLimit.Amount != 500000 {
			t.Errorf("partner = %+v, changes %v, want %s", p, got, want)
		}
	})
}

// Concurrent changes of one partner each get an entry, numbered in the
// order they commit, and the current limit is the last one's.
func TestConcurrentPartnerChanges(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		const n = 8
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				var err error
				if i%2 == 0 {
					_, err = s.ChangeCreditLimit(ctx, org.ID, CreditLimitChange{Amount: int64(i), Currency: "EUR", ChangedBy: "a", Reason: "b"})
				} else {
					_, err = s.BlockPartner(ctx, org.ID, "a", fmt.Sprint("b", i))
				}
				errs <- err
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
		p, err := s.GetPartner(ctx, org.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(p.Changes) != n/2+1 || !p.Blocked {
			t.Errorf("%d changes (blocked %v), want %d: %+v", len(p.Changes), p.Blocked, n/2+1, p.Changes)
		}
		for _, c := range p.Changes {
			if c.Kind == ChangeCreditLimit {
				if c.Amount != p.CreditLimit.Amount {
					t.Errorf("newest credit entry %d, current limit %d", c.Amount, p.CreditLimit.Amount)
				}
				break
			}
		}
	})
}
