package commerce

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func openTestStore(t *testing.T) (*Store, string) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "nested", "commerce.db")
	s, err := Open(context.Background(), path)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s, path
}

func prospect(requestID, email string) Prospect {
	return Prospect{
		RequestID: requestID, CompanyName: "Contoso Ltd", City: "Zurich", CountryCode: "CH",
		FirstName: "Ada", LastName: "Muster", Email: email, Locale: "de-CH",
	}
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	ctx := context.Background()
	s, path := openTestStore(t)
	if err := s.RegisterProspect(ctx, prospect("req-1", "a@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("second Open on the same file: %v", err)
	}
	defer s2.Close()
	var n int
	if err := s2.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if n != len(ms) {
		t.Errorf("schema_migrations has %d rows, want %d", n, len(ms))
	}
	if _, err := s2.GetProspect(ctx, "req-1"); err != nil {
		t.Errorf("data written before reopening is gone: %v", err)
	}
	var mode string
	if err := s2.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Errorf("journal_mode = %q (%v), want wal", mode, err)
	}
	var fk int
	if err := s2.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
		t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
	}
}

func TestReserveRequestDeduplicatesPendingByEmail(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)

	id, created, err := s.ReserveRequest(ctx, prospect("req-1", "Ada@Example.com"))
	if err != nil || !created || id != "req-1" {
		t.Fatalf("first reservation = %q, %v, %v; want req-1, true, nil", id, created, err)
	}
	id, created, err = s.ReserveRequest(ctx, prospect("req-2", "  ada@EXAMPLE.com "))
	if err != nil || created || id != "req-1" {
		t.Fatalf("same email, other case and spaces = %q, %v, %v; want req-1, false, nil", id, created, err)
	}
	if _, err := s.GetProspect(ctx, "req-2"); !errors.Is(err, ErrNotFound) {
		t.Errorf("duplicate request was stored: %v", err)
	}
	id, created, err = s.ReserveRequest(ctx, prospect("req-1", "ada@example.com"))
	if err != nil || created || id != "req-1" {
		t.Errorf("same request again = %q, %v, %v; want req-1, false, nil", id, created, err)
	}
	id, created, err = s.ReserveRequest(ctx, prospect("req-3", "bob@example.com"))
	if err != nil || !created || id != "req-3" {
		t.Errorf("other requester = %q, %v, %v; want req-3, true, nil", id, created, err)
	}

	p, err := s.GetProspect(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusReceived || p.Email != "Ada@Example.com" || p.CompanyName != "Contoso Ltd" {
		t.Errorf("stored prospect = %+v", p)
	}
	if p.CreatedAt.IsZero() || time.Since(p.CreatedAt) > time.Minute {
		t.Errorf("CreatedAt = %v", p.CreatedAt)
	}
}

func TestReserveRequestAllowedAgainAfterDecision(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	for i, decision := range []string{StatusRejected, StatusApproved} {
		prev := fmt.Sprintf("req-%d", i)
		next := fmt.Sprintf("req-%d", i+1)
		if i == 0 {
			if _, _, err := s.ReserveRequest(ctx, prospect(prev, "ada@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		// Still pending in an intermediate status: no new request.
		if err := s.SetProspectStatus(ctx, prev, StatusAwaitingQualification, ""); err != nil {
			t.Fatal(err)
		}
		if id, created, _ := s.ReserveRequest(ctx, prospect(next, "ada@example.com")); created || id != prev {
			t.Fatalf("while %s is pending: %q, %v", prev, id, created)
		}
		if err := s.SetProspectStatus(ctx, prev, decision, ""); err != nil {
			t.Fatal(err)
		}
		id, created, err := s.ReserveRequest(ctx, prospect(next, "ADA@example.com"))
		if err != nil || !created || id != next {
			t.Fatalf("after %s: %q, %v, %v; want %s, true, nil", decision, id, created, err, next)
		}
	}
}

func TestReserveRequestConcurrentRace(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	const n = 16
	type result struct {
		id      string
		created bool
		err     error
	}
	results := make([]result, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			id, created, err := s.ReserveRequest(ctx, prospect(fmt.Sprintf("req-%02d", i), "race@example.com"))
			results[i] = result{id, created, err}
		}()
	}
	close(start)
	wg.Wait()

	var winner string
	for _, r := range results {
		if r.err != nil {
			t.Fatalf("reservation failed: %v", r.err)
		}
		if r.created {
			if winner != "" {
				t.Fatalf("two reservations created: %s and %s", winner, r.id)
			}
			winner = r.id
		}
	}
	if winner == "" {
		t.Fatal("no reservation created")
	}
	for _, r := range results {
		if r.id != winner {
			t.Errorf("a caller got %s, want the winner %s", r.id, winner)
		}
	}
	var rows int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM prospects`).Scan(&rows); err != nil || rows != 1 {
		t.Errorf("prospects rows = %d (%v), want 1", rows, err)
	}
}

func TestRegisterProspectIsIdempotent(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	p := prospect("req-1", "ada@example.com")
	if err := s.RegisterProspect(ctx, p); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProspectStatus(ctx, "req-1", StatusAwaitingQualification, ""); err != nil {
		t.Fatal(err)
	}
	first, err := s.GetProspect(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}

	p.CompanyName = "Changed"
	if err := s.RegisterProspect(ctx, p); err != nil {
		t.Fatalf("second registration: %v", err)
	}
	second, err := s.GetProspect(ctx, "req-1")
	if err != nil {
		t.Fatal(err)
	}
	if second != first {
		t.Errorf("second registration changed the prospect:\n got %+v\nwant %+v", second, first)
	}

	err = s.RegisterProspect(ctx, prospect("req-2", "ADA@example.com"))
	var dup *PendingDuplicateError
	if !errors.As(err, &dup) || dup.RequestID != "req-1" || !errors.Is(err, ErrInvalid) {
		t.Errorf("registering a second pending request of the same requester: %v", err)
	}
}

func TestProspectStatusAndLead(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	if err := s.RegisterProspect(ctx, prospect("req-1", "ada@example.com")); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProspectLead(ctx, "req-1", "lead-9"); err != nil {
		t.Fatal(err)
	}
	if err := s.SetProspectStatus(ctx, "req-1", StatusQualified, ""); err != nil {
		t.Fatal(err)
	}
	before, _ := s.GetProspect(ctx, "req-1")
	// Repeating a write must leave the row as it was, timestamp included.
	if err := s.SetProspectStatus(ctx, "req-1", StatusQualified, ""); err != nil {
		t.Fatal(err)
	}
	p, err := s.FindProspectByLead(ctx, "lead-9")
	if err != nil {
		t.Fatal(err)
	}
	if p.RequestID != "req-1" || p.Status != StatusQualified || p.LeadID != "lead-9" {
		t.Errorf("found %+v", p)
	}
	if !p.UpdatedAt.Equal(before.UpdatedAt) {
		t.Errorf("repeated status write moved UpdatedAt from %v to %v", before.UpdatedAt, p.UpdatedAt)
	}
	if err := s.SetProspectStatus(ctx, "req-1", "Won", ""); !errors.Is(err, ErrInvalid) {
		t.Errorf("unknown status: %v", err)
	}
}

func TestNotFoundAndRequiredFields(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
	notFound := map[string]error{}
	_, notFound["GetProspect"] = s.GetProspect(ctx, "nope")
	_, notFound["FindProspectByLead"] = s.FindProspectByLead(ctx, "nope")
	notFound["SetProspectStatus"] = s.SetProspectStatus(ctx, "nope", StatusApproved, "")
	notFound["SetProspectLead"] = s.SetProspectLead(ctx, "nope", "lead")
	_, notFound["GetCustomer"] = s.GetCustomer(ctx, "nope")
	_, notFound["GetHierarchyByRequest"] = s.GetHierarchyByRequest(ctx, "nope")
	_, _, notFound["GetCreditLimit"] = s.GetCreditLimit(ctx, "nope")
	notFound["SetCreditLimit"] = s.SetCreditLimit(ctx, "nope", 100, "EUR")
	_, notFound["CreateHierarchy"] = s.CreateHierarchy(ctx, "req", PurposeB2BOrganization, "nope", nil)
	for name, err := range notFound {
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("%s: err = %v, want ErrNotFound", name, err)
		}
	}

	if _, ok, err := s.EmailSent(ctx, "nope", "welcome"); ok || err != nil {
		t.Errorf("EmailSent on nothing = %v, %v", ok, err)
	}
	if cs, err := s.ListCustomersByRequest(ctx, "nope"); len(cs) != 0 || err != nil {
		t.Errorf("ListCustomersByRequest on nothing = %v, %v", cs, err)
	}

	invalid := map[string]error{}
	_, _, invalid["request ID"] = s.ReserveRequest(ctx, prospect("", "a@example.com"))
	invalid["email"] = s.RegisterProspect(ctx, prospect("req", " "))
	_, invalid["sales record ID"] = s.UpsertCustomer(ctx, Customer{Kind: KindPerson, RequestID: "req"})
	_, invalid["organization ID"] = s.CreateHierarchy(ctx, "req", PurposeB2BOrganization, "", nil)
	invalid["message ID"] = s.RecordEmailSent(ctx, SentEmail{RequestID: "req", Kind: "welcome"})
	invalid["customer ID"] = s.SetCreditLimit(ctx, "", 1, "EUR")
	for field, err := range invalid {
		if !errors.Is(err, ErrInvalid) || !strings.Contains(err.Error(), field) {
			t.Errorf("missing %s: err = %v, want ErrInvalid naming the field", field, err)
		}
	}
}
