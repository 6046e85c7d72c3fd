package commerce

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestProspectKeepsDecisionAndOpportunity(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.RegisterProspect(ctx, prospect("req-1", "a@example.com")); err != nil {
			t.Fatal(err)
		}
		if err := s.SetProspectOpportunity(ctx, "req-1", "opp-1"); err != nil {
			t.Fatal(err)
		}
		if err := s.SetProspectStatus(ctx, "req-1", StatusRejected, "OpportunityLost"); err != nil {
			t.Fatal(err)
		}
		p, err := s.GetProspect(ctx, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if p.OpportunityID != "opp-1" || p.Decision != "OpportunityLost" || p.Status != StatusRejected {
			t.Errorf("prospect = %+v, want the opportunity, the decision and Rejected", p)
		}
	})
}

func TestUnstartedProspectsAreThoseNotMarkedStarted(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"req-1", "req-2", "req-3"} {
			if err := s.RegisterProspect(ctx, prospect(id, id+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkProspectStarted(ctx, "req-2"); err != nil {
			t.Fatal(err)
		}
		if err := s.MarkProspectStarted(ctx, "req-2"); err != nil {
			t.Fatalf("marking again: %v", err)
		}
		ids, err := s.UnstartedProspects(ctx, time.Now().Add(time.Second), 10)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(ids, []string{"req-1", "req-3"}) {
			t.Errorf("unstarted = %v, want req-1 and req-3", ids)
		}
		if ids, _ := s.UnstartedProspects(ctx, time.Now().Add(-time.Hour), 10); len(ids) != 0 {
			t.Errorf("unstarted registered before an hour ago = %v, want none", ids)
		}
		if ids, _ := s.UnstartedProspects(ctx, time.Now().Add(time.Second), 1); !slices.Equal(ids, []string{"req-1"}) {
			t.Errorf("limit 1 gave %v, want the oldest", ids)
		}
		p, _ := s.GetProspect(ctx, "req-2")
		if p.StartedAt.IsZero() {
			t.Error("StartedAt is not set")
		}
	})
}

func TestCorrectProspect(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"req-1", "req-2"} {
			if err := s.RegisterProspect(ctx, prospect(id, id+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		fixed := prospect("req-1", " New@Example.com ")
		fixed.LastName = "Lovelace"
		if err := s.CorrectProspect(ctx, fixed); err != nil {
			t.Fatal(err)
		}
		p, _ := s.GetProspect(ctx, "req-1")
		if p.LastName != "Lovelace" || p.Email != "New@Example.com" || p.Status != StatusReceived {
			t.Errorf("corrected prospect = %+v", p)
		}
		// The old email is free, the new one taken.
		if _, created, err := s.ReserveRequest(ctx, prospect("req-3", "req-1@example.com")); err != nil || !created {
			t.Errorf("reserve with the old email: created = %v, %v", created, err)
		}
		taken := prospect("req-2", "new@example.com")
		var dup *PendingDuplicateError
		if err := s.CorrectProspect(ctx, taken); !errors.As(err, &dup) || dup.RequestID != "req-1" || !errors.Is(err, ErrInvalid) {
			t.Errorf("correcting to an email another pending request uses: %v", err)
		}
		if err := s.SetProspectStatus(ctx, "req-1", StatusApproved, "OpportunityWon"); err != nil {
			t.Fatal(err)
		}
		if err := s.CorrectProspect(ctx, fixed); !errors.Is(err, ErrInvalid) {
			t.Errorf("correcting a decided request: %v, want refused", err)
		}
		if err := s.CorrectProspect(ctx, prospect("nope", "x@example.com")); !errors.Is(err, ErrNotFound) {
			t.Errorf("correcting an unknown request: %v, want ErrNotFound", err)
		}
	})
}

// againstUncommitted runs call while write, in a transaction of its own, is
// not yet committed, and returns what call returns. On PostgreSQL the write
// commits once call waits for it, so that call has read before the commit
// and writes after it; on SQLite, whose writers take the write lock at BEGIN,
// call simply runs after the commit.
func againstUncommitted(t *testing.T, s *Store, call func() error, write string, args ...any) error {
	t.Helper()
	ctx := context.Background()
	tx, err := s.pool.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := (conn{q: tx, postgres: s.db.postgres}).ExecContext(ctx, write, args...); err != nil {
		_ = tx.Rollback()
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- call() }()
	if s.Backend() == BackendPostgres {
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			var waiting int
			if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pg_stat_activity
				WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&waiting); err != nil {
				t.Fatal(err)
			}
			if waiting > 0 {
				break
			}
			if time.Now().After(deadline) {
				_ = tx.Rollback()
				t.Fatal("the call never waited for the uncommitted write")
			}
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
	return <-done
}

func TestCorrectProspectMeetsAConcurrentCorrection(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"req-1", "req-2"} {
			if err := s.RegisterProspect(ctx, prospect(id, id+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		err := againstUncommitted(t, s, func() error {
			return s.CorrectProspect(ctx, prospect("req-2", "same@example.com"))
		}, `UPDATE prospects SET email = ?, email_key = ? WHERE request_id = ?`, "same@example.com", "same@example.com", "req-1")
		var dup *PendingDuplicateError
		if !errors.As(err, &dup) || dup.RequestID != "req-1" || !errors.Is(err, ErrInvalid) {
			t.Errorf("correcting to an email another correction took meanwhile: %v, want a PendingDuplicateError naming req-1", err)
		}
		if p, _ := s.GetProspect(ctx, "req-2"); p.Email != "req-2@example.com" {
			t.Errorf("req-2's email = %q, want it unchanged", p.Email)
		}
	})
}

func TestCorrectProspectMeetsAConcurrentDecision(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.RegisterProspect(ctx, prospect("req-1", "a@example.com")); err != nil {
			t.Fatal(err)
		}
		fixed := prospect("req-1", "a@example.com")
		fixed.LastName = "Lovelace"
		err := againstUncommitted(t, s, func() error { return s.CorrectProspect(ctx, fixed) },
			`UPDATE prospects SET status = ? WHERE request_id = ?`, StatusApproved, "req-1")
		if !errors.Is(err, ErrInvalid) {
			t.Errorf("correcting a request decided meanwhile: %v, want ErrInvalid", err)
		}
		if p, _ := s.GetProspect(ctx, "req-1"); p.LastName != "Muster" {
			t.Errorf("last name = %q, want the decided request unchanged", p.LastName)
		}
	})
}

// TestProgressIsWrittenWithItsStatus: the step that causes a status writes
// it in the same statement, and never moves a request that moved on.
func TestProgressIsWrittenWithItsStatus(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for _, id := range []string{"req-1", "req-2"} {
			if err := s.RegisterProspect(ctx, prospect(id, id+"@example.com")); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.MarkNeedsAttention(ctx, "req-1", "Create lead in Sales"); err != nil {
			t.Fatal(err)
		}
		p, _ := s.GetProspect(ctx, "req-1")
		if p.Status != StatusNeedsAttention || p.AttentionStep != "Create lead in Sales" || p.AttentionSince.IsZero() {
			t.Errorf("needing attention: %+v", p)
		}
		if err := s.RecordLead(ctx, "req-1", "lead-1"); err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetProspect(ctx, "req-1")
		if p.Status != StatusAwaitingQualification || p.LeadID != "lead-1" || p.AttentionStep != "" || p.StartedAt.IsZero() {
			t.Errorf("after the lead: %+v", p)
		}
		if err := s.RecordQualification(ctx, "req-1", "opp-1"); err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetProspect(ctx, "req-1")
		if p.Status != StatusQualified || p.OpportunityID != "opp-1" {
			t.Errorf("after the qualification: %+v", p)
		}

		// A request abandoned meanwhile stays Rejected.
		if err := s.SetProspectStatus(ctx, "req-2", StatusRejected, "Abandoned"); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordLead(ctx, "req-2", "lead-2"); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordQualification(ctx, "req-2", "opp-2"); err != nil {
			t.Fatal(err)
		}
		p, _ = s.GetProspect(ctx, "req-2")
		if p.Status != StatusRejected || p.LeadID != "lead-2" {
			t.Errorf("an abandoned request moved on: %+v", p)
		}
		if err := s.RecordLead(ctx, "nope", "lead-3"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown request: %v", err)
		}
	})
}
