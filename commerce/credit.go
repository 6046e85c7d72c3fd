package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SetCreditLimit sets a customer's credit limit, in minor units (cents) of an
// ISO 4217 currency, replacing any earlier limit.
func (s *Store) SetCreditLimit(ctx context.Context, customerID string, amount int64, currency string) error {
	return s.setCreditLimit(ctx, customerID, amount, currency, true)
}

// SetInitialCreditLimit gives a customer a credit limit unless it has one:
// approval gives a new partner the shop's default, and never replaces what
// the shop's staff set since.
func (s *Store) SetInitialCreditLimit(ctx context.Context, customerID string, amount int64, currency string) error {
	return s.setCreditLimit(ctx, customerID, amount, currency, false)
}

func (s *Store) setCreditLimit(ctx context.Context, customerID string, amount int64, currency string, replace bool) error {
	if err := required("customer ID", customerID, "currency", currency); err != nil {
		return err
	}
	if amount < 0 {
		return fmt.Errorf("%w: credit limit %d is negative", ErrInvalid, amount)
	}
	currency = strings.ToUpper(strings.TrimSpace(currency))
	if !isCurrencyCode(currency) {
		return fmt.Errorf("%w: currency %q is not a three-letter ISO 4217 code", ErrInvalid, currency)
	}
	if _, err := s.GetCustomer(ctx, customerID); err != nil {
		return fmt.Errorf("set credit limit: %w", err)
	}
	conflict := `ON CONFLICT (customer_id) DO NOTHING`
	if replace {
		conflict = `ON CONFLICT (customer_id) DO UPDATE SET
			amount = excluded.amount, currency = excluded.currency, updated_at = excluded.updated_at`
	}
	_, err := s.db.ExecContext(ctx, `INSERT INTO credit_limits (customer_id, amount, currency, updated_at)
		VALUES (?, ?, ?, ?) `+conflict,
		customerID, amount, currency, formatTime(now()))
	if err != nil {
		return fmt.Errorf("set credit limit of customer %s: %w", customerID, err)
	}
	return nil
}

// GetCreditLimit returns a customer's credit limit, or ErrNotFound when none
// is set.
func (s *Store) GetCreditLimit(ctx context.Context, customerID string) (amount int64, currency string, err error) {
	if err := required("customer ID", customerID); err != nil {
		return 0, "", err
	}
	err = s.db.QueryRowContext(ctx,
		`SELECT amount, currency FROM credit_limits WHERE customer_id = ?`, customerID).Scan(&amount, &currency)
	if errors.Is(err, sql.ErrNoRows) {
		err = ErrNotFound
	}
	if err != nil {
		return 0, "", fmt.Errorf("get credit limit of customer %s: %w", customerID, err)
	}
	return amount, currency, nil
}

func isCurrencyCode(s string) bool {
	if len(s) != 3 {
		return false
	}
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return true
}
