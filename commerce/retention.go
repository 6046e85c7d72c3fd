package commerce

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// What the retention erases of a rejected request, and what it keeps.
//
// Erased, as personal data: the requester's first and last name, email,
// phone and job title, the street of the address and the comments, which
// may say anything about anyone; of the request's customers, the Person's
// name, email, phone and job title, and the Organization's street, email
// and phone, which may reach a person.
//
// Kept: the request's ID, status, decision, Sales lead and opportunity,
// dates and attention step; the company's name, tax ID, city, postal code
// and country, and the locale. These describe a business, not a person,
// and let Commerce recognise a company that applies again; the sent emails
// (kind, Message-ID, time) and the Sales events (IDs and outcome), which
// hold none.
//
// The rows stay, so that every lookup by request ID answers as before.
//
// A partner admin's additions of users lose the user's data once carried
// out before the same time (the added user's customer keeps it).

// ErasePersonalData erases the personal data of up to limit requests that
// were rejected before a time: Rejected, and not changed since, so that a
// request still moving is never touched. It returns how many requests it
// erased; none once none is left, so that running it again changes nothing.
// Each call is one transaction.
//
// The request's customers lose their personal data with it, unless another
// request still uses them: a customer in a partner's hierarchy, one that a
// later request imported again within the period, or one whose email a
// pending request has keeps it.
func (s *Store) ErasePersonalData(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, fmt.Errorf("%w: erase personal data: batch size %d is not positive", ErrInvalid, limit)
	}
	var n int64
	err := s.inTx(ctx, func(tx conn) error {
		if err := eraseUserAdditions(ctx, tx, before); err != nil {
			return err
		}
		ids, err := erasable(ctx, tx, before, limit)
		if err != nil || len(ids) == 0 {
			return err
		}
		in := "?" + strings.Repeat(", ?", len(ids)-1)
		t := formatTime(now())
		args := []any{t, StatusRejected}
		for _, id := range ids {
			args = append(args, id)
		}
		// email_key goes too: it is the email, and only pending requests
		// need it to be unique.
		res, err := tx.ExecContext(ctx, `UPDATE prospects SET first_name = '', last_name = '', email = '',
			email_key = '', phone = '', job_title = '', street = '', comments = '', personal_data_erased_at = ?
			WHERE status = ? AND personal_data_erased_at IS NULL AND request_id IN (`+in+`)`, args...)
		if err != nil {
			return err
		}
		if n, err = res.RowsAffected(); err != nil {
			return err
		}
		return eraseCustomers(ctx, tx, before, t)
	})
	if err != nil {
		return 0, fmt.Errorf("erase personal data of requests rejected before %s: %w", formatTime(before), err)
	}
	return int(n), nil
}

// eraseUserAdditions erases the user's data from the admins' additions of
// users carried out before a time: an Added one's customer holds it, a
// Refused one needs it no more. A pending one keeps it for its workflow.
func eraseUserAdditions(ctx context.Context, tx conn, before time.Time) error {
	_, err := tx.ExecContext(ctx, `UPDATE partner_user_additions
		SET first_name = '', last_name = '', email = '', email_key = '', job_title = ''
		WHERE status IN (?, ?) AND updated_at < ? AND (email <> '' OR first_name <> '' OR last_name <> '')`,
		AdditionAdded, AdditionRefused, formatTime(before))
	return err
}

// erasable lists up to limit rejected requests not erased yet and unchanged
// since before, oldest first.
func erasable(ctx context.Context, tx conn, before time.Time, limit int) ([]string, error) {
	rows, err := tx.QueryContext(ctx, `SELECT request_id FROM prospects
		WHERE status = ? AND personal_data_erased_at IS NULL AND updated_at < ?
		ORDER BY updated_at, request_id LIMIT ?`, StatusRejected, formatTime(before), limit)
	if err != nil {
		return nil, err
	}
	return scanIDs(rows)
}

// eraseCustomers erases the customers of erased requests that no other
// request uses. A customer belongs to the request that imported it first, so
// it is looked at again with each batch: one that a later request imported
// again is erased once that request is erased too, or kept when it became a
// partner's.
func eraseCustomers(ctx context.Context, tx conn, before time.Time, at string) error {
	org := string(KindOrganization)
	_, err := tx.ExecContext(ctx, `UPDATE customers SET
			name = CASE WHEN kind = ? THEN name ELSE '' END,
			first_name = '', last_name = '', email = '', phone = '', job_title = '', street = '',
			city = CASE WHEN kind = ? THEN city ELSE '' END,
			postal_code = CASE WHEN kind = ? THEN postal_code ELSE '' END,
			updated_at = ?
		WHERE request_id IN (SELECT request_id FROM prospects WHERE personal_data_erased_at IS NOT NULL)
			AND updated_at < ?
			AND (first_name <> '' OR last_name <> '' OR email <> '' OR phone <> '' OR job_title <> ''
				OR street <> '' OR (kind <> ? AND (name <> '' OR city <> '' OR postal_code <> '')))
			AND id NOT IN (SELECT root_customer_id FROM hierarchies)
			AND id NOT IN (SELECT customer_id FROM hierarchy_members)
			AND NOT EXISTS (SELECT 1 FROM prospects p WHERE p.email_key = LOWER(TRIM(customers.email))
				AND customers.email <> '' AND p.status NOT IN (?, ?))`,
		org, org, org, at, formatTime(before), org,
		StatusApproved, StatusRejected)
	return err
}
