package saleshooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"path/filepath"
	"testing"

	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

const fileRequest = "0b6f3c2e-5d4a-4e8b-9f1c-2a3b4c5d6e7f"

// register is a Commerce register in a temp dir that knows the request of
// the testdata bodies: its lead, and its opportunity when qualified.
func register(t testing.TB, qualified bool) *commerce.Store {
	t.Helper()
	ctx := context.Background()
	s, err := commerce.Open(ctx, filepath.Join(t.TempDir(), "commerce.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	if err := s.RegisterProspect(ctx, commerce.Prospect{RequestID: fileRequest, Email: "mia.jansen@contoso.example"}); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordLead(ctx, fileRequest, fileLead); err != nil {
		t.Fatal(err)
	}
	if qualified {
		if err := s.RecordQualification(ctx, fileRequest, fileOpp); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// The register knows the lead; the win that follows the qualification at
// once is about an opportunity the request has not recorded yet, which the
// delivered qualification named.
func TestReceiverDeliversWhatTheRegisterKnows(t *testing.T) {
	store := register(t, false)
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.Requests = store })

	for _, body := range []string{"qualifylead.json", "win-opportunity.json"} {
		if code := f.post(t, hookKey, readBody(t, body), nil); code != http.StatusOK {
			t.Fatalf("%s: status = %d", body, code)
		}
	}

	f.expectNoStart(t)
	got := f.starter.allSignals()
	if len(got) != 2 {
		t.Fatalf("signals = %+v, want the qualification and the win", got)
	}
	wantID := workflows.WorkflowID(fileRequest)
	q, ok := got[0].Payload.(workflows.LeadQualified)
	if got[0].WorkflowID != wantID || got[0].Name != workflows.SignalLeadQualified || !ok ||
		q != (workflows.LeadQualified{LeadID: fileLead, OpportunityID: fileOpp, ContactID: fileContact,
			AccountID: fileAccount, EventID: "10000000-0000-4000-8000-000000000001"}) {
		t.Errorf("first signal = %+v", got[0])
	}
	w, ok := got[1].Payload.(workflows.OpportunityClosed)
	if got[1].WorkflowID != wantID || got[1].Name != workflows.SignalOpportunityWon || !ok || w.OpportunityID != fileOpp {
		t.Errorf("second signal = %+v", got[1])
	}
	events, err := store.ListSalesEvents(context.Background(), fileRequest)
	if err != nil {
		t.Fatal(err)
	}
	if len(events) != 2 || events[0].Outcome != commerce.EventDelivered || events[0].RecordID != fileOpp ||
		events[1].Signal != workflows.SignalOpportunityWon {
		t.Errorf("events on record = %+v", events)
	}
}

// A decision the register cannot place, or cannot deliver, goes to a
// SalesEvent workflow: it finds the request in Sales, or keeps a late
// decision on record.
func TestReceiverHandsOverWhatItCannotDeliver(t *testing.T) {
	for name, c := range map[string]struct {
		qualified bool
		body      string
		signalErr error
	}{
		"opportunity not yet in the register": {qualified: false, body: "win-opportunity.json"},
		"request closed":                      {qualified: true, body: "win-opportunity.json", signalErr: serviceerror.NewNotFound("workflow execution already completed")},
		"Temporal refuses the signal":         {qualified: true, body: "qualifylead.json", signalErr: serviceerror.NewUnavailable("frontend unavailable")},
	} {
		t.Run(name, func(t *testing.T) {
			store := register(t, c.qualified)
			f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.Requests = store })
			f.starter.signalErr = c.signalErr

			if code := f.post(t, hookKey, readBody(t, c.body), nil); code != http.StatusOK {
				t.Fatalf("status = %d", code)
			}

			if s := f.starter.all(); len(s) != 1 {
				t.Errorf("SalesEvent workflows started = %+v, want one", s)
			}
			if s := f.starter.allSignals(); len(s) != 0 {
				t.Errorf("signals = %+v, want none", s)
			}
			if events, _ := store.ListSalesEvents(context.Background(), fileRequest); len(events) != 0 {
				t.Errorf("the receiver recorded %+v; the SalesEvent workflow records what it handles", events)
			}
		})
	}
}

func TestReceiverWithNeitherSignalNorStartAsksForTheRetry(t *testing.T) {
	store := register(t, true)
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.Requests = store })
	f.starter.signalErr = serviceerror.NewUnavailable("frontend unavailable")
	f.starter.err = serviceerror.NewUnavailable("frontend unavailable")

	if code := f.post(t, hookKey, readBody(t, "win-opportunity.json"), nil); code != http.StatusServiceUnavailable {
		t.Errorf("status = %d, want 503 so that Dataverse retries", code)
	}
}

// The two webhooks of one decision (the message's and the record's Update
// share the correlation ID) are signalled under one request ID, which
// Temporal records once; another decision gets another.
func TestOneDecisionIsSignalledUnderOneRequestID(t *testing.T) {
	store := register(t, false)
	f := newReceiver(t, func(rc *saleshooks.Receiver) { rc.Requests = store })
	var update map[string]any
	if err := json.Unmarshal(readBody(t, "update-lead-qualified.json"), &update); err != nil {
		t.Fatal(err)
	}
	update["CorrelationId"] = "c0000000-0000-4000-8000-000000000001" // QualifyLead's
	for _, body := range [][]byte{readBody(t, "qualifylead.json"), marshalJSON(t, update), readBody(t, "win-opportunity.json")} {
		if code := f.post(t, hookKey, body, nil); code != http.StatusOK {
			t.Fatalf("status = %d", code)
		}
	}

	got := f.starter.allSignals()
	if len(got) != 3 {
		t.Fatalf("signals = %+v, want three", got)
	}
	if got[0].RequestID != got[1].RequestID {
		t.Errorf("one decision signalled under request IDs %s and %s", got[0].RequestID, got[1].RequestID)
	}
	if got[2].RequestID == got[0].RequestID {
		t.Errorf("the win has the qualification's request ID %s", got[2].RequestID)
	}
}
