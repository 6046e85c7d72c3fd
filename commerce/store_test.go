package commerce

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/commerce/pgtest"
)

// backends are the databases the store's tests run against, each giving a
// test the address of a fresh, empty database.
var backends = []struct {
	name string
	dsn  func(t *testing.T) string
}{
	{BackendSQLite, func(t *testing.T) string { return filepath.Join(t.TempDir(), "nested", "commerce.db") }},
	{BackendPostgres, func(t *testing.T) string { return pgtest.Start(t) }},
}

// eachBackend runs test once per backend, as a subtest named for it.
func eachBackend(t *testing.T, test func(t *testing.T, dsn string)) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) { test(t, b.dsn(t)) })
	}
}

// eachStore runs test once per backend with a fresh store.
func eachStore(t *testing.T, test func(t *testing.T, s *Store)) {
	eachBackend(t, func(t *testing.T, dsn string) { test(t, openTestStore(t, dsn)) })
}

func openTestStore(t *testing.T, dsn string) *Store {
	t.Helper()
	s, err := Open(context.Background(), dsn)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func prospect(requestID, email string) Prospect {
	return Prospect{
		RequestID: requestID, CompanyName: "Contoso Ltd", City: "Zurich", CountryCode: "CH",
		FirstName: "Ada", LastName: "Muster", Email: email, Locale: "de-CH",
	}
}

// checkMigrations fails t unless schema_migrations lists the versions of
// the migration files, each once.
func checkMigrations(t *testing.T, s *Store) {
	t.Helper()
	ms, err := loadMigrations()
	if err != nil {
		t.Fatal(err)
	}
	var want []int
	for _, m := range ms {
		want = append(want, m.version)
	}
	rows, err := s.db.QueryContext(context.Background(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var got []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("schema_migrations lists versions %v, want %v", got, want)
	}
}

func TestOpenAppliesMigrationsOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		s := openTestStore(t, dsn)
		if err := s.RegisterProspect(ctx, prospect("req-1", "a@example.com")); err != nil {
			t.Fatal(err)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}

		s2, err := Open(ctx, dsn)
		if err != nil {
			t.Fatalf("second Open of the same database: %v", err)
		}
		defer s2.Close()
		checkMigrations(t, s2)
		if _, err := s2.GetProspect(ctx, "req-1"); err != nil {
			t.Errorf("data written before reopening is gone: %v", err)
		}
		if s2.Backend() != BackendSQLite {
			return
		}
		var mode string
		if err := s2.db.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
			t.Errorf("journal_mode = %q (%v), want wal", mode, err)
		}
		var fk int
		if err := s2.db.QueryRowContext(ctx, `PRAGMA foreign_keys`).Scan(&fk); err != nil || fk != 1 {
			t.Errorf("foreign_keys = %d (%v), want 1", fk, err)
		}
	})
}

// Workers and starters start together, each opening the database.
func TestOpenConcurrentlyMigratesOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		const n = 8
		stores := make([]*Store, n)
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				stores[i], errs[i] = Open(ctx, dsn)
			})
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Fatalf("Open %d of %d: %v", i+1, n, err)
			}
			t.Cleanup(func() { _ = stores[i].Close() })
		}
		checkMigrations(t, stores[0])
		if stores[0].Backend() == BackendPostgres {
			var held int
			if err := stores[0].db.QueryRowContext(ctx,
				`SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND granted`).Scan(&held); err != nil || held != 0 {
				t.Errorf("advisory locks held after migrating = %d (%v), want 0", held, err)
			}
		}
	})
}

func TestBackendAndPing(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			s := openTestStore(t, b.dsn(t))
			if got := s.Backend(); got != b.name {
				t.Errorf("Backend() = %q, want %q", got, b.name)
			}
			if err := s.Ping(context.Background()); err != nil {
				t.Errorf("Ping: %v", err)
			}
			_ = s.Close()
			if err := s.Ping(context.Background()); err == nil {
				t.Error("Ping of a closed store succeeded")
			}
		})
	}
}

func TestOpenPostgresFailureHidesPassword(t *testing.T) {
	for _, dsn := range []string{
		"postgres://onboarding:s3cret@127.0.0.1:1/commerce?connect_timeout=5",
		"POSTGRESQL://onboarding:s3cret@127.0.0.1:1/commerce?connect_timeout=5",
	} {
		_, err := Open(context.Background(), dsn)
		if err == nil {
			t.Fatalf("Open(%s) reached a database on port 1", dsn)
		}
		if strings.Contains(err.Error(), "s3cret") || !strings.Contains(err.Error(), "127.0.0.1") {
			t.Errorf("Open(%s) = %v, want an error naming the server but not the password", dsn, err)
		}
	}
	if _, err := Open(context.Background(), "postgres://onboarding:s3cret@127.0.0.1:notaport/commerce"); !errors.Is(err, ErrInvalid) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("Open of a malformed URL = %v, want ErrInvalid without the password", err)
	}
}

func TestNumberPlaceholders(t *testing.T) {
	for in, want := range map[string]string{
		`SELECT a FROM t WHERE b = ? AND c IN (?, ?)`:       `SELECT a FROM t WHERE b = $1 AND c IN ($2, $3)`,
		`SELECT '?', "?", 'it''s ?' FROM t WHERE b = ?`:     `SELECT '?', "?", 'it''s ?' FROM t WHERE b = $1`,
		"SELECT a -- is b ?\nFROM t WHERE b = ? AND c <> ?": "SELECT a -- is b ?\nFROM t WHERE b = $1 AND c <> $2",
		`SELECT 1`: `SELECT 1`,
	} {
		if got := numberPlaceholders(in); got != want {
			t.Errorf("numberPlaceholders(%q) = %q, want %q", in, got, want)
		}
	}
}

// The unique index is the arbiter of races on PostgreSQL; its refusal must
// be told from other errors on both backends.
func TestUniqueViolationIsRecognised(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		insert := `INSERT INTO prospects (request_id, status, email, email_key, created_at, updated_at)
			VALUES (?, 'Received', 'a@example.com', 'a@example.com', '', '')`
		if _, err := s.db.ExecContext(ctx, insert, "req-1"); err != nil {
			t.Fatal(err)
		}
		_, err := s.db.ExecContext(ctx, insert, "req-2")
		if !isUniqueViolation(err) {
			t.Errorf("a second pending request of one email: %v, want a unique violation", err)
		}
		_, err = s.db.ExecContext(ctx, `INSERT INTO prospects (request_id) VALUES (?)`, "req-3")
		if err == nil || isUniqueViolation(err) {
			t.Errorf("a row without its required columns: %v, want an error other than a unique violation", err)
		}
	})
}

func TestReserveRequestDeduplicatesPendingByEmail(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()

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
	})
}

func TestReserveRequestAllowedAgainAfterDecision(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
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
	})
}

// Front doors in several processes reserve for one requester at once; each
// round is a new requester.
func TestReserveRequestConcurrentRace(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		stores := []*Store{openTestStore(t, dsn), openTestStore(t, dsn), openTestStore(t, dsn)}
		const rounds, n = 5, 16
		for round := range rounds {
			email := fmt.Sprintf("race-%d@example.com", round)
			type result struct {
				id      string
				created bool
				err     error
			}
			results := make([]result, n)
			var wg sync.WaitGroup
			start := make(chan struct{})
			for i := range n {
				wg.Go(func() {
					<-start
					s := stores[i%len(stores)]
					id, created, err := s.ReserveRequest(ctx, prospect(fmt.Sprintf("req-%d-%02d", round, i), email))
					results[i] = result{id, created, err}
				})
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
			if err := stores[0].db.QueryRowContext(ctx, `SELECT COUNT(*) FROM prospects WHERE email_key = ?`, email).Scan(&rows); err != nil || rows != 1 {
				t.Errorf("prospects rows of %s = %d (%v), want 1", email, rows, err)
			}
		}
	})
}

// Workflows register requests of one requester at once, each request twice
// (a retried activity).
func TestRegisterProspectConcurrentRace(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				errs[i] = s.RegisterProspect(ctx, prospect(fmt.Sprintf("req-%02d", i/2), "race@example.com"))
			})
		}
		close(start)
		wg.Wait()

		var winner string
		if err := s.db.QueryRowContext(ctx, `SELECT request_id FROM prospects`).Scan(&winner); err != nil {
			t.Fatalf("the one registered request: %v", err)
		}
		for i, err := range errs {
			id := fmt.Sprintf("req-%02d", i/2)
			var dup *PendingDuplicateError
			switch {
			case id == winner && err != nil:
				t.Errorf("registering the winner %s: %v, want nil", id, err)
			case id != winner && (!errors.As(err, &dup) || dup.RequestID != winner):
				t.Errorf("registering %s beside the winner %s: %v, want a PendingDuplicateError naming the winner", id, winner, err)
			}
		}
		var rows int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM prospects`).Scan(&rows); err != nil || rows != 1 {
			t.Errorf("prospects rows = %d (%v), want 1", rows, err)
		}
	})
}

func TestRegisterProspectIsIdempotent(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
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
	})
}

func TestProspectStatusAndLead(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
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
	})
}

func TestNotFoundAndRequiredFields(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
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
	})
}

func TestRequestOfSalesRecord(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.RegisterProspect(ctx, prospect("req-1", "ada@example.com")); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLead(ctx, "req-1", "lead-1"); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestOfSalesRecord(ctx, "opportunity", "opp-1"); !errors.Is(err, ErrNotFound) {
			t.Errorf("opportunity before the qualification: err = %v, want ErrNotFound", err)
		}
		if err := s.RecordQualification(ctx, "req-1", "opp-1"); err != nil {
			t.Fatal(err)
		}
		for record, id := range map[string]string{"lead": "lead-1", "opportunity": "opp-1"} {
			got, err := s.RequestOfSalesRecord(ctx, record, id)
			if err != nil || got != "req-1" {
				t.Errorf("request of %s %s = %q, %v; want req-1", record, id, got, err)
			}
		}
		// The qualification into opp-2 was delivered; the request has not
		// recorded opp-2 yet.
		if err := s.RecordSalesEvent(ctx, SalesEvent{EventID: "ev-1", RequestID: "req-1", Signal: "lead-qualified",
			RecordID: "opp-2", Outcome: EventDelivered}); err != nil {
			t.Fatal(err)
		}
		if got, err := s.RequestOfSalesRecord(ctx, "opportunity", "opp-2"); err != nil || got != "req-1" {
			t.Errorf("request of an opportunity a delivered decision named = %q, %v; want req-1", got, err)
		}
		if err := s.RecordSalesEvent(ctx, SalesEvent{EventID: "ev-2", RequestID: "req-1", Signal: "opportunity-won",
			RecordID: "opp-3", Outcome: EventRequestClosed}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.RequestOfSalesRecord(ctx, "opportunity", "opp-3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("opportunity only a late decision named: err = %v, want ErrNotFound", err)
		}
		if _, err := s.RequestOfSalesRecord(ctx, "lead", "lead-2"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown lead: err = %v, want ErrNotFound", err)
		}
		if _, err := s.RequestOfSalesRecord(ctx, "contact", "c-1"); err == nil {
			t.Error("an unknown record kind was looked up")
		}
	})
}

// TestWriteLockGivesUpWithItsContext: a SQLite write waits its turn behind
// the process's other writes, and no longer than its context.
func TestWriteLockGivesUpWithItsContext(t *testing.T) {
	l := make(writeLock, 1)
	unlock, err := l.lock(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := l.lock(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("second lock while held: err = %v, want the context's", err)
	}
	unlock()
	unlock, err = l.lock(context.Background())
	if err != nil {
		t.Errorf("lock after unlock: %v", err)
	}
	unlock()
	if u, err := writeLock(nil).lock(ctx); err != nil || u == nil {
		t.Errorf("no lock (PostgreSQL): %v", err)
	}
}

// TestConcurrentWritesOfTwoProcesses: two stores on one SQLite file (two
// processes, as the starter and the worker) write at once; none is refused.
func TestConcurrentWritesOfTwoProcesses(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "commerce.db")
	a, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	var wg sync.WaitGroup
	errs := make(chan error, 200)
	for i := range 200 {
		s := a
		if i%2 == 1 {
			s = b
		}
		wg.Go(func() {
			id := fmt.Sprintf("req-%d", i)
			if err := s.RegisterProspect(ctx, prospect(id, id+"@example.com")); err != nil {
				errs <- err
				return
			}
			if err := s.RecordLead(ctx, id, "lead-"+id); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// The front door's limit of receipts per address: new requests of an
// address are counted in the register, decided ones too, and a pending
// request is returned over the limit, as it sends no new receipt.
func TestReserveRequestWithinAddressLimit(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		limit := AddressLimit{Max: 2, Window: 24 * time.Hour}
		reserve := func(id, email string) (string, bool, error) {
			t.Helper()
			return s.ReserveRequestWithin(ctx, prospect(id, email), limit)
		}
		if id, created, err := reserve("req-1", "ada@example.com"); err != nil || !created || id != "req-1" {
			t.Fatalf("first = %q, %v, %v", id, created, err)
		}
		if err := s.SetProspectStatus(ctx, "req-1", StatusRejected, "LeadDisqualified"); err != nil {
			t.Fatal(err)
		}
		if id, created, err := reserve("req-2", "Ada@Example.com "); err != nil || !created || id != "req-2" {
			t.Fatalf("second = %q, %v, %v", id, created, err)
		}
		// At the limit, the pending request is still the answer.
		if id, created, err := reserve("req-3", "ada@example.com"); err != nil || created || id != "req-2" {
			t.Fatalf("while req-2 is pending = %q, %v, %v; want req-2, false, nil", id, created, err)
		}
		if err := s.SetProspectStatus(ctx, "req-2", StatusRejected, "LeadDisqualified"); err != nil {
			t.Fatal(err)
		}
		first, err := s.GetProspect(ctx, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		_, _, err = reserve("req-3", "ADA@example.com")
		var limited *AddressLimitError
		if !errors.As(err, &limited) || limited.Registered != 2 || !limited.RetryAt.Equal(first.CreatedAt.Add(24*time.Hour)) {
			t.Fatalf("third = %v; want an AddressLimitError of 2 requests, room at %v", err, first.CreatedAt.Add(24*time.Hour))
		}
		if _, err := s.GetProspect(ctx, "req-3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a request over the limit was stored: %v", err)
		}
		if n, err := s.CountRequestsByEmail(ctx, " ADA@example.com", time.Now().Add(-time.Hour)); err != nil || n != 2 {
			t.Errorf("count = %d, %v; want 2", n, err)
		}
		if id, created, err := reserve("req-4", "bob@example.com"); err != nil || !created || id != "req-4" {
			t.Errorf("another address = %q, %v, %v", id, created, err)
		}

		// A day later the first request has left the window.
		if _, err := s.db.ExecContext(ctx, `UPDATE prospects SET created_at = ? WHERE request_id = ?`,
			formatTime(time.Now().Add(-25*time.Hour)), "req-1"); err != nil {
			t.Fatal(err)
		}
		if n, err := s.CountRequestsByEmail(ctx, "ada@example.com", time.Now().Add(-24*time.Hour)); err != nil || n != 1 {
			t.Errorf("count over the last day = %d, %v; want 1", n, err)
		}
		if id, created, err := reserve("req-3", "ada@example.com"); err != nil || !created || id != "req-3" {
			t.Errorf("after a day = %q, %v, %v; want req-3 registered", id, created, err)
		}
	})
}

// Front doors in several processes reserve for one address at once, each
// request decided as soon as it is registered: the limit still holds.
func TestReserveRequestWithinAddressLimitConcurrent(t *testing.T) {
	eachBackend(t, func(t *testing.T, dsn string) {
		ctx := context.Background()
		stores := []*Store{openTestStore(t, dsn), openTestStore(t, dsn), openTestStore(t, dsn)}
		limit := AddressLimit{Max: 3, Window: time.Hour}
		const n = 24
		var wg sync.WaitGroup
		var mu sync.Mutex
		created, limited := 0, 0
		for i := range n {
			wg.Go(func() {
				s := stores[i%len(stores)]
				id, ok, err := s.ReserveRequestWithin(ctx, prospect(fmt.Sprintf("req-%02d", i), "race@example.com"), limit)
				var over *AddressLimitError
				switch {
				case errors.As(err, &over):
					mu.Lock()
					limited++
					mu.Unlock()
					return
				case err != nil:
					// A pending request decided between the insert and its look-up.
					if strings.Contains(err.Error(), "decided meanwhile") {
						return
					}
					t.Error(err)
					return
				}
				if ok {
					mu.Lock()
					created++
					mu.Unlock()
					if err := s.SetProspectStatus(ctx, id, StatusRejected, "LeadDisqualified"); err != nil {
						t.Error(err)
					}
				}
			})
		}
		wg.Wait()
		if created > limit.Max {
			t.Fatalf("%d registered, %d refused; want at most %d registered", created, limited, limit.Max)
		}
		// However the race went, the address has room for exactly Max.
		for i := 0; ; i++ {
			id, ok, err := stores[i%len(stores)].ReserveRequestWithin(ctx, prospect(fmt.Sprintf("req-after-%02d", i), "race@example.com"), limit)
			var over *AddressLimitError
			if errors.As(err, &over) {
				break
			}
			if err != nil || !ok || i > limit.Max {
				t.Fatalf("reservation after the race = %q, %v, %v", id, ok, err)
			}
			created++
			if err := stores[0].SetProspectStatus(ctx, id, StatusRejected, "LeadDisqualified"); err != nil {
				t.Fatal(err)
			}
		}
		if got, err := stores[0].CountRequestsByEmail(ctx, "race@example.com", time.Now().Add(-time.Hour)); err != nil || got != limit.Max || created != limit.Max {
			t.Errorf("count = %d, %v, registered %d; want %d", got, err, created, limit.Max)
		}
	})
}
