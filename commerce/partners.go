package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Partner is an approved partner as the shop's staff see it: the
// organization at the top of a customer hierarchy, its credit limit, whether
// it is blocked, and every change staff made to either, newest first.
type Partner struct {
	OrganizationID string
	Name           string
	HierarchyID    string
	// CreditLimit is nil while none is set.
	CreditLimit *CreditLimit
	// Blocked partners' users still sign in but may not order.
	Blocked bool
	Changes []PartnerChange
}

// CreditLimit is a credit limit in minor units (cents) of an ISO 4217
// currency, and whether orders may go over it.
type CreditLimit struct {
	Amount         int64
	Currency       string
	AllowOverLimit bool
	UpdatedAt      time.Time
}

// PartnerChangeKind names what a change of a partner did.
type PartnerChangeKind string

// The kinds of change staff make to a partner.
const (
	ChangeCreditLimit PartnerChangeKind = "CreditLimit"
	ChangeBlocked     PartnerChangeKind = "Blocked"
	ChangeUnblocked   PartnerChangeKind = "Unblocked"
)

// PartnerChange is one entry of a partner's audit list. Amount, Currency and
// AllowOverLimit are those a ChangeCreditLimit set.
type PartnerChange struct {
	Kind           PartnerChangeKind
	Amount         int64
	Currency       string
	AllowOverLimit bool
	ChangedBy      string
	Reason         string
	ChangedAt      time.Time
}

// CreditLimitChange is a new credit limit, with who sets it and why.
type CreditLimitChange struct {
	Amount         int64
	Currency       string
	AllowOverLimit bool
	ChangedBy      string
	Reason         string
}

// FieldError names one invalid field of a change to a partner; it wraps
// ErrInvalid. The field names are those of the HTTP API.
type FieldError struct {
	Field   string
	Message string
}

func (e *FieldError) Error() string { return fmt.Sprintf("%v: %s %s", ErrInvalid, e.Field, e.Message) }

func (e *FieldError) Unwrap() error { return ErrInvalid }

// FieldErrors lists the FieldErrors in err, however joined or wrapped.
func FieldErrors(err error) []*FieldError {
	switch e := err.(type) {
	case *FieldError:
		return []*FieldError{e}
	case interface{ Unwrap() []error }:
		var out []*FieldError
		for _, inner := range e.Unwrap() {
			out = append(out, FieldErrors(inner)...)
		}
		return out
	case interface{ Unwrap() error }:
		return FieldErrors(e.Unwrap())
	}
	return nil
}

// Normalize trims the change's text and upper-cases its currency, and
// returns an error joining one FieldError per invalid field, or nil.
func (c *CreditLimitChange) Normalize() error {
	c.Currency = strings.ToUpper(strings.TrimSpace(c.Currency))
	var errs []error
	if c.Amount < 0 {
		errs = append(errs, &FieldError{"amount", "must not be negative (minor units, e.g. cents)"})
	}
	switch {
	case c.Currency == "":
		errs = append(errs, &FieldError{"currency", "is required (an ISO 4217 code such as EUR)"})
	case !KnownCurrency(c.Currency):
		errs = append(errs, &FieldError{"currency", fmt.Sprintf("%q is not a known ISO 4217 currency code", c.Currency)})
	}
	errs = append(errs, normalizeActor(&c.ChangedBy, &c.Reason)...)
	return errors.Join(errs...)
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

// maxActorText bounds who changed a partner and why, in bytes.
const maxActorText = 1000

func normalizeActor(changedBy, reason *string) []error {
	*changedBy, *reason = strings.TrimSpace(*changedBy), strings.TrimSpace(*reason)
	var errs []error
	for _, f := range []struct {
		name  string
		value string
	}{{"changedBy", *changedBy}, {"reason", *reason}} {
		switch {
		case f.value == "":
			errs = append(errs, &FieldError{f.name, "is required"})
		case len(f.value) > maxActorText:
			errs = append(errs, &FieldError{f.name, fmt.Sprintf("must be at most %d bytes", maxActorText)})
		}
	}
	return errs
}

// ChangeCreditLimit sets a partner's credit limit and adds the change to its
// audit list, in one transaction. An organization that is no partner (no
// hierarchy has it on top) is ErrNotFound.
func (s *Store) ChangeCreditLimit(ctx context.Context, organizationID string, c CreditLimitChange) (Partner, error) {
	if err := c.Normalize(); err != nil {
		return Partner{}, fmt.Errorf("change credit limit of partner %s: %w", organizationID, err)
	}
	return s.changePartner(ctx, organizationID, "change credit limit", func(tx conn, at string) (*PartnerChange, error) {
		if _, err := tx.ExecContext(ctx, `INSERT INTO credit_limits (customer_id, amount, currency, allow_over_limit, updated_at)
			VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (customer_id) DO UPDATE SET amount = excluded.amount, currency = excluded.currency,
				allow_over_limit = excluded.allow_over_limit, updated_at = excluded.updated_at`,
			organizationID, c.Amount, c.Currency, boolInt(c.AllowOverLimit), at); err != nil {
			return nil, err
		}
		return &PartnerChange{Kind: ChangeCreditLimit, Amount: c.Amount, Currency: c.Currency,
			AllowOverLimit: c.AllowOverLimit, ChangedBy: c.ChangedBy, Reason: c.Reason}, nil
	})
}

// BlockPartner blocks a partner: its users still sign in but may not order.
// Blocking a blocked partner changes nothing and adds no entry.
func (s *Store) BlockPartner(ctx context.Context, organizationID, changedBy, reason string) (Partner, error) {
	return s.setBlocked(ctx, organizationID, true, changedBy, reason)
}

// UnblockPartner lets a blocked partner's users order again. Unblocking a
// partner that is not blocked changes nothing and adds no entry.
func (s *Store) UnblockPartner(ctx context.Context, organizationID, changedBy, reason string) (Partner, error) {
	return s.setBlocked(ctx, organizationID, false, changedBy, reason)
}

func (s *Store) setBlocked(ctx context.Context, organizationID string, blocked bool, changedBy, reason string) (Partner, error) {
	what, kind := "unblock", ChangeUnblocked
	if blocked {
		what, kind = "block", ChangeBlocked
	}
	if err := errors.Join(normalizeActor(&changedBy, &reason)...); err != nil {
		return Partner{}, fmt.Errorf("%s partner %s: %w", what, organizationID, err)
	}
	return s.changePartner(ctx, organizationID, what, func(tx conn, at string) (*PartnerChange, error) {
		var was int
		if err := tx.QueryRowContext(ctx, `SELECT blocked FROM partner_standing WHERE customer_id = ?`,
			organizationID).Scan(&was); err != nil {
			return nil, err
		}
		if (was == 1) == blocked {
			return nil, nil
		}
		if _, err := tx.ExecContext(ctx, `UPDATE partner_standing SET blocked = ?, updated_at = ? WHERE customer_id = ?`,
			boolInt(blocked), at, organizationID); err != nil {
			return nil, err
		}
		return &PartnerChange{Kind: kind, ChangedBy: changedBy, Reason: reason}, nil
	})
}

// changePartner runs change in a transaction that holds the partner's
// standing row, so that the changes of one partner are numbered in the
// order they commit, and appends the entry change returns (none: nothing
// changed). It answers the partner as the transaction left it.
func (s *Store) changePartner(ctx context.Context, organizationID, what string,
	change func(tx conn, at string) (*PartnerChange, error)) (Partner, error) {
	if err := required("organization ID", organizationID); err != nil {
		return Partner{}, err
	}
	var p Partner
	err := s.inTx(ctx, func(tx conn) error {
		if _, err := partnerHierarchy(ctx, tx, organizationID); err != nil {
			return err
		}
		at := now()
		// Writing the row first takes its lock on PostgreSQL: a concurrent
		// change of the same partner waits here, not at a duplicate seq.
		if _, err := tx.ExecContext(ctx, `INSERT INTO partner_standing (customer_id, blocked, changes, updated_at)
			VALUES (?, 0, 0, ?) ON CONFLICT (customer_id) DO UPDATE SET updated_at = excluded.updated_at`,
			organizationID, formatTime(at)); err != nil {
			return err
		}
		entry, err := change(tx, formatTime(at))
		if err != nil {
			return err
		}
		if entry != nil {
			var seq int
			if err := tx.QueryRowContext(ctx, `UPDATE partner_standing SET changes = changes + 1 WHERE customer_id = ?
				RETURNING changes`, organizationID).Scan(&seq); err != nil {
				return err
			}
			var amount, allow any
			var currency any
			if entry.Kind == ChangeCreditLimit {
				amount, currency, allow = entry.Amount, entry.Currency, boolInt(entry.AllowOverLimit)
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO partner_changes
				(customer_id, seq, kind, amount, currency, allow_over_limit, changed_by, reason, changed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				organizationID, seq, string(entry.Kind), amount, currency, allow, entry.ChangedBy, entry.Reason,
				formatTime(at)); err != nil {
				return err
			}
		}
		p, err = readPartner(ctx, tx, organizationID)
		return err
	})
	if err != nil {
		return Partner{}, fmt.Errorf("%s of partner %s: %w", what, organizationID, err)
	}
	return p, nil
}

// GetPartner returns a partner by its organization customer ID, or
// ErrNotFound when no hierarchy has that organization on top.
func (s *Store) GetPartner(ctx context.Context, organizationID string) (Partner, error) {
	if err := required("organization ID", organizationID); err != nil {
		return Partner{}, err
	}
	p, err := readPartner(ctx, s.db, organizationID)
	if err != nil {
		return Partner{}, fmt.Errorf("get partner %s: %w", organizationID, err)
	}
	return p, nil
}

// partnerHierarchy returns the ID of the hierarchy the organization tops,
// the oldest if several do, or ErrNotFound.
func partnerHierarchy(ctx context.Context, q conn, organizationID string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx, `SELECT h.id FROM hierarchies h JOIN customers c ON c.id = h.root_customer_id
		WHERE h.root_customer_id = ? AND c.kind = ? ORDER BY h.created_at, h.id LIMIT 1`,
		organizationID, string(KindOrganization)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	return id, err
}

func readPartner(ctx context.Context, q conn, organizationID string) (Partner, error) {
	hierarchyID, err := partnerHierarchy(ctx, q, organizationID)
	if err != nil {
		return Partner{}, err
	}
	p := Partner{OrganizationID: organizationID, HierarchyID: hierarchyID}
	if err := q.QueryRowContext(ctx, `SELECT name FROM customers WHERE id = ?`, organizationID).Scan(&p.Name); err != nil {
		return Partner{}, err
	}
	var limit CreditLimit
	var allow int
	var updated string
	err = q.QueryRowContext(ctx, `SELECT amount, currency, allow_over_limit, updated_at FROM credit_limits WHERE customer_id = ?`,
		organizationID).Scan(&limit.Amount, &limit.Currency, &allow, &updated)
	switch {
	case err == nil:
		limit.AllowOverLimit = allow == 1
		if limit.UpdatedAt, err = parseTime(updated); err != nil {
			return Partner{}, err
		}
		p.CreditLimit = &limit
	case !errors.Is(err, sql.ErrNoRows):
		return Partner{}, err
	}
	var blocked int
	err = q.QueryRowContext(ctx, `SELECT blocked FROM partner_standing WHERE customer_id = ?`, organizationID).Scan(&blocked)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return Partner{}, err
	}
	p.Blocked = blocked == 1
	rows, err := q.QueryContext(ctx, `SELECT kind, amount, currency, allow_over_limit, changed_by, reason, changed_at
		FROM partner_changes WHERE customer_id = ? ORDER BY seq DESC`, organizationID)
	if err != nil {
		return Partner{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var c PartnerChange
		var kind, at string
		var amount sql.NullInt64
		var currency sql.NullString
		var allow sql.NullInt64
		if err := rows.Scan(&kind, &amount, &currency, &allow, &c.ChangedBy, &c.Reason, &at); err != nil {
			return Partner{}, err
		}
		c.Kind, c.Amount, c.Currency, c.AllowOverLimit = PartnerChangeKind(kind), amount.Int64, currency.String, allow.Int64 == 1
		if c.ChangedAt, err = parseTime(at); err != nil {
			return Partner{}, err
		}
		p.Changes = append(p.Changes, c)
	}
	return p, rows.Err()
}
