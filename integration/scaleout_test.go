package integration

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/commerce/pgtest"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestScaleOut runs the product as a deployment does: two workers and two
// starters on one Temporal and one PostgreSQL Commerce store. A batch of
// requests goes through both starters; one worker stops in the middle of
// the batch. Every request must end once, with nothing duplicated: not an
// email, a lead, a customer or a hierarchy.
func TestScaleOut(t *testing.T) {
	if testing.Short() {
		t.Skip("integration test: starts the whole product; run without -short")
	}
	dsn := pgtest.Start(t)
	p, err := startProduct(map[string]string{"COMMERCE_DB": dsn, "SALES_CHECK_INTERVAL": "1h"}, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.stop(t.Failed()) }()
	ports, err := stack.FreePortList(4)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	if err := p.stack.StartWorkerNamed(ctx, "worker-2", ports[0]); err != nil {
		t.Fatal(err)
	}
	if err := p.stack.StartStarterNamed(ctx, "starter-2", ports[1], ports[3], ports[2]); err != nil {
		t.Fatal(err)
	}
	intakes := []string{p.intake, fmt.Sprintf("http://127.0.0.1:%d/v1/onboarding-requests", ports[1])}

	const n = 24
	requests := make([]submitted, n)
	for i := range n {
		email := fmt.Sprintf("scale-%d@partner.example", i)
		resp, body := p.do(t, http.MethodPost, intakes[i%2], requestBody(email))
		if resp.StatusCode != http.StatusAccepted {
			t.Fatalf("request %d: %d %s", i, resp.StatusCode, body)
		}
		var a accepted
		if err := json.Unmarshal(body, &a); err != nil {
			t.Fatal(err)
		}
		requests[i] = submitted{id: a.ID, email: email}
	}
	for i, r := range requests {
		if i == n/2 {
			// A rolling deploy: one worker goes away in the middle of the
			// batch; the other takes over what it was doing.
			if err := p.stack.StopProcess("worker"); err != nil {
				t.Fatal(err)
			}
		}
		p.decide(t, r, i%4 != 3) // one in four is lost
	}

	store, err := commerce.Open(context.Background(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	for i, r := range requests {
		won := i%4 != 3
		st := p.awaitCompletion(t, r)
		want := workflows.StatusRejected
		if won {
			want = workflows.StatusApproved
		}
		assertEqual(t, "status of "+r.id, st.Status, want)
		assertEqual(t, "leads of "+r.id, p.leadsOf(t, r.id), 1)
		customers, err := store.ListCustomersByRequest(context.Background(), r.id)
		if err != nil {
			t.Fatal(err)
		}
		assertEqual(t, "customers of "+r.id, len(customers), 2)
		_, hierarchyErr := store.GetHierarchyByRequest(context.Background(), r.id)
		assertEqual(t, "hierarchy of "+r.id, hierarchyErr == nil, won)
		if won {
			p.assertEmails(t, r, "receipt", "welcome")
		} else {
			p.assertEmails(t, r, "receipt", "decline")
		}
	}
}

// decide plays the seller for one request: qualify, then win or lose.
func (p *product) decide(t *testing.T, r submitted, win bool) {
	t.Helper()
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	p.qualify(t, st.LeadID)
	st = p.awaitStatus(t, r, workflows.StatusQualified)
	ctx := context.Background()
	var err error
	if win {
		err = p.sales.WinOpportunity(ctx, st.OpportunityID, "won")
	} else {
		err = p.sales.LoseOpportunity(ctx, st.OpportunityID, "lost")
	}
	if err != nil {
		t.Fatal(err)
	}
}
