package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// Outcomes of a Sales event.
const (
	// EventDelivered: the decision reached the request's workflow.
	EventDelivered = "delivered"
	// EventRequestClosed: the request was decided and closed before the
	// decision came; it is recorded, never applied.
	EventRequestClosed = "request closed"
)

// SalesEvent is one Sales webhook the front door handled.
type SalesEvent struct {
	EventID    string // the Dataverse RequestId (or OperationId) of the webhook
	RequestID  string
	Signal     string // the decision, as the workflow's signal name
	RecordID   string // the lead or opportunity
	Outcome    string
	ReceivedAt time.Time
}

// SalesEventSeen returns the recorded event with that ID, and whether there is one.
func (s *Store) SalesEventSeen(ctx context.Context, eventID string) (SalesEvent, bool, error) {
	if err := required("event ID", eventID); err != nil {
		return SalesEvent{}, false, err
	}
	e, err := scanSalesEvent(s.db.QueryRowContext(ctx, selectSalesEvent+` WHERE event_id = ?`, eventID))
	if errors.Is(err, sql.ErrNoRows) {
		return SalesEvent{}, false, nil
	}
	if err != nil {
		return SalesEvent{}, false, fmt.Errorf("look up Sales event %s: %w", eventID, err)
	}
	return e, true, nil
}

// RecordSalesEvent records a handled event; the first record of an event stands.
func (s *Store) RecordSalesEvent(ctx context.Context, e SalesEvent) error {
	if err := required("event ID", e.EventID, "request ID", e.RequestID, "signal", e.Signal, "outcome", e.Outcome); err != nil {
		return err
	}
	if e.ReceivedAt.IsZero() {
		e.ReceivedAt = now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sales_events (event_id, request_id, signal, record_id, outcome, received_at)
		VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id) DO NOTHING`,
		e.EventID, e.RequestID, e.Signal, e.RecordID, e.Outcome, formatTime(e.ReceivedAt))
	if err != nil {
		return fmt.Errorf("record Sales event %s: %w", e.EventID, err)
	}
	return nil
}

// ListSalesEvents returns a request's Sales events, oldest first.
func (s *Store) ListSalesEvents(ctx context.Context, requestID string) ([]SalesEvent, error) {
	if err := required("request ID", requestID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, selectSalesEvent+` WHERE request_id = ? ORDER BY received_at, event_id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("list Sales events of request %s: %w", requestID, err)
	}
	defer rows.Close()
	var out []SalesEvent
	for rows.Next() {
		e, err := scanSalesEvent(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

const selectSalesEvent = `SELECT event_id, request_id, signal, record_id, outcome, received_at FROM sales_events`

func scanSalesEvent(row scanner) (SalesEvent, error) {
	var e SalesEvent
	var at string
	if err := row.Scan(&e.EventID, &e.RequestID, &e.Signal, &e.RecordID, &e.Outcome, &at); err != nil {
		return SalesEvent{}, err
	}
	t, err := parseTime(at)
	if err != nil {
		return SalesEvent{}, err
	}
	e.ReceivedAt = t
	return e, nil
}
