package commerce

import (
	"context"
	"testing"
)

func TestSalesEventsRecordedOnce(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()

		if _, seen, err := s.SalesEventSeen(ctx, "event-1"); err != nil || seen {
			t.Fatalf("unrecorded event seen = %v, %v", seen, err)
		}
		first := SalesEvent{EventID: "event-1", RequestID: "req-1", Signal: "opportunity-won", RecordID: "opp-1", Outcome: EventDelivered}
		if err := s.RecordSalesEvent(ctx, first); err != nil {
			t.Fatal(err)
		}
		again := first
		again.Outcome = EventRequestClosed
		if err := s.RecordSalesEvent(ctx, again); err != nil {
			t.Fatal(err)
		}
		if err := s.RecordSalesEvent(ctx, SalesEvent{EventID: "event-2", RequestID: "req-1", Signal: "opportunity-lost", Outcome: EventRequestClosed}); err != nil {
			t.Fatal(err)
		}

		e, seen, err := s.SalesEventSeen(ctx, "event-1")
		if err != nil || !seen || e.Outcome != EventDelivered {
			t.Fatalf("event-1 = %+v, %v, %v; want the first record to stand", e, seen, err)
		}
		list, err := s.ListSalesEvents(ctx, "req-1")
		if err != nil {
			t.Fatal(err)
		}
		if len(list) != 2 || list[1].Outcome != EventRequestClosed || list[1].Signal != "opportunity-lost" {
			t.Fatalf("events of req-1 = %+v, want the delivered win and the late loss", list)
		}
		if err := s.RecordSalesEvent(ctx, SalesEvent{RequestID: "req-1"}); err == nil {
			t.Error("an event without ID was recorded")
		}
	})
}
