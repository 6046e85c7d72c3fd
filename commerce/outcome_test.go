package commerce

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"
)

func TestProspectKeepsDecisionAndOpportunity(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
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
}

func TestUnstartedProspectsAreThoseNotMarkedStarted(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
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
}

func TestCorrectProspect(t *testing.T) {
	ctx := context.Background()
	s, _ := openTestStore(t)
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
}
