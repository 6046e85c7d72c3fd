package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// SentEmail records that an email of one kind went out for a request, so
// that a retried activity does not send it again.
type SentEmail struct {
	RequestID string
	Kind      string // e.g. "welcome", "decline"
	MessageID string
	SentAt    time.Time
}

// EmailSent returns the record of the email of a kind sent for a request and
// whether there is one.
func (s *Store) EmailSent(ctx context.Context, requestID, kind string) (SentEmail, bool, error) {
	if err := required("request ID", requestID, "email kind", kind); err != nil {
		return SentEmail{}, false, err
	}
	e, err := scanSentEmail(s.db.QueryRowContext(ctx,
		`SELECT request_id, kind, message_id, sent_at FROM sent_emails WHERE request_id = ? AND kind = ?`,
		requestID, kind))
	if errors.Is(err, sql.ErrNoRows) {
		return SentEmail{}, false, nil
	}
	if err != nil {
		return SentEmail{}, false, fmt.Errorf("look up %s email of request %s: %w", kind, requestID, err)
	}
	return e, true, nil
}

// RecordEmailSent records a sent email; the first record of a kind for a
// request stands and later ones change nothing. A zero SentAt means now.
func (s *Store) RecordEmailSent(ctx context.Context, e SentEmail) error {
	if err := required("request ID", e.RequestID, "email kind", e.Kind, "message ID", e.MessageID); err != nil {
		return err
	}
	if e.SentAt.IsZero() {
		e.SentAt = now()
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO sent_emails (request_id, kind, message_id, sent_at)
		VALUES (?, ?, ?, ?) ON CONFLICT (request_id, kind) DO NOTHING`,
		e.RequestID, e.Kind, e.MessageID, formatTime(e.SentAt))
	if err != nil {
		return fmt.Errorf("record %s email of request %s: %w", e.Kind, e.RequestID, err)
	}
	return nil
}

// ListSentEmails returns the emails sent for a request, oldest first.
func (s *Store) ListSentEmails(ctx context.Context, requestID string) ([]SentEmail, error) {
	if err := required("request ID", requestID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, `SELECT request_id, kind, message_id, sent_at FROM sent_emails
		WHERE request_id = ? ORDER BY sent_at, kind`, requestID)
	if err != nil {
		return nil, fmt.Errorf("list emails of request %s: %w", requestID, err)
	}
	defer rows.Close()
	var es []SentEmail
	for rows.Next() {
		e, err := scanSentEmail(rows)
		if err != nil {
			return nil, fmt.Errorf("list emails of request %s: %w", requestID, err)
		}
		es = append(es, e)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list emails of request %s: %w", requestID, err)
	}
	return es, nil
}

func scanSentEmail(row scanner) (SentEmail, error) {
	var e SentEmail
	var sent string
	if err := row.Scan(&e.RequestID, &e.Kind, &e.MessageID, &sent); err != nil {
		return SentEmail{}, err
	}
	var err error
	if e.SentAt, err = parseTime(sent); err != nil {
		return SentEmail{}, err
	}
	return e, nil
}
