package sales_test

import (
	"context"
	"testing"
	"time"
)

// TestRetriedEnsureLeadMakesOneLead plays an activity retry against a slow Sales: the first create
// commits only after the client gave up on it, while the retry has already created the lead.
func TestRetriedEnsureLeadMakesOneLead(t *testing.T) {
	srv, cfg := startStandin(t)
	cfg.Timeout = 250 * time.Millisecond
	c := newClient(t, cfg)
	ctx := context.Background()
	if err := srv.HoldLeadCreates(1, time.Minute); err != nil {
		t.Fatal(err)
	}

	if _, _, err := c.EnsureLead(ctx, newLead("req-slow")); err == nil {
		t.Fatal("the first attempt succeeded although its create is held past the client's timeout")
	}
	if n := srv.Faults().HeldCreates; n != 1 {
		t.Fatalf("held creates = %d, want the first attempt's create held", n)
	}
	id, _, err := c.EnsureLead(ctx, newLead("req-slow"))
	if err != nil {
		t.Fatalf("the retry: %v", err)
	}

	// The first attempt's create now commits, after its client gave up.
	srv.ReleaseHeldCreates()
	deadline := time.Now().Add(10 * time.Second)
	for srv.Faults().HeldCreates > 0 {
		if time.Now().After(deadline) {
			t.Fatal("the held create did not finish")
		}
		time.Sleep(5 * time.Millisecond)
	}
	leads := leadsOf(t, srv, "req-slow")
	if len(leads) != 1 || leads[0]["leadid"] != id {
		var ids []any
		for _, l := range leads {
			ids = append(ids, l["leadid"])
		}
		t.Fatalf("leads of the prospect = %v, want exactly %s", ids, id)
	}
	again, created, err := c.EnsureLead(ctx, newLead("req-slow"))
	if err != nil || created || again != id {
		t.Errorf("EnsureLead after all = %q, %v, %v; want %s found", again, created, err, id)
	}
}
