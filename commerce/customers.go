package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// CustomerKind tells a person from an organization.
type CustomerKind string

// The kinds of customer; Sales contacts become persons, accounts organizations.
const (
	KindPerson       CustomerKind = "Person"
	KindOrganization CustomerKind = "Organization"
)

// Customer is a Commerce customer created from a Sales contact or account.
type Customer struct {
	ID            string
	Kind          CustomerKind
	SalesRecordID string // Dataverse contactid or accountid
	RequestID     string
	Name          string
	FirstName     string
	LastName      string
	Email         string
	Phone         string
	JobTitle      string
	Street        string
	City          string
	PostalCode    string
	CountryCode   string
	CreatedAt     time.Time
}

// UpsertCustomer creates the customer for a Sales record, or, when one
// exists, refreshes its details from c and keeps its ID, kind and request.
// It returns the stored customer, so repeated calls return the same ID.
func (s *Store) UpsertCustomer(ctx context.Context, c Customer) (Customer, error) {
	if err := required("sales record ID", c.SalesRecordID, "request ID", c.RequestID); err != nil {
		return Customer{}, err
	}
	if c.Kind != KindPerson && c.Kind != KindOrganization {
		return Customer{}, fmt.Errorf("%w: customer kind %q is neither %s nor %s", ErrInvalid, c.Kind, KindPerson, KindOrganization)
	}
	if c.ID == "" {
		c.ID = uuid.NewString()
	}
	t := formatTime(now())
	_, err := s.db.ExecContext(ctx, `INSERT INTO customers (
		id, kind, sales_record_id, request_id, name, first_name, last_name, email, phone, job_title,
		street, city, postal_code, country_code, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (sales_record_id) DO UPDATE SET
			name = excluded.name, first_name = excluded.first_name, last_name = excluded.last_name,
			email = excluded.email, phone = excluded.phone, job_title = excluded.job_title,
			street = excluded.street, city = excluded.city, postal_code = excluded.postal_code,
			country_code = excluded.country_code, updated_at = excluded.updated_at`,
		c.ID, string(c.Kind), c.SalesRecordID, c.RequestID, c.Name, c.FirstName, c.LastName, c.Email, c.Phone,
		c.JobTitle, c.Street, c.City, c.PostalCode, c.CountryCode, t, t)
	if err != nil {
		return Customer{}, fmt.Errorf("upsert customer for sales record %s: %w", c.SalesRecordID, err)
	}
	stored, err := scanCustomer(s.db.QueryRowContext(ctx, selectCustomer+` WHERE sales_record_id = ?`, c.SalesRecordID))
	if err != nil {
		return Customer{}, fmt.Errorf("read customer for sales record %s: %w", c.SalesRecordID, err)
	}
	return stored, nil
}

// GetCustomer returns a customer by ID, or ErrNotFound.
func (s *Store) GetCustomer(ctx context.Context, id string) (Customer, error) {
	if err := required("customer ID", id); err != nil {
		return Customer{}, err
	}
	c, err := scanCustomer(s.db.QueryRowContext(ctx, selectCustomer+` WHERE id = ?`, id))
	if err != nil {
		return Customer{}, fmt.Errorf("get customer %s: %w", id, err)
	}
	return c, nil
}

// ListCustomersByRequest returns the customers created for a request, oldest
// first; none is not an error.
func (s *Store) ListCustomersByRequest(ctx context.Context, requestID string) ([]Customer, error) {
	if err := required("request ID", requestID); err != nil {
		return nil, err
	}
	rows, err := s.db.QueryContext(ctx, selectCustomer+` WHERE request_id = ? ORDER BY created_at, id`, requestID)
	if err != nil {
		return nil, fmt.Errorf("list customers of request %s: %w", requestID, err)
	}
	defer rows.Close()
	var cs []Customer
	for rows.Next() {
		c, err := scanCustomer(rows)
		if err != nil {
			return nil, fmt.Errorf("list customers of request %s: %w", requestID, err)
		}
		cs = append(cs, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list customers of request %s: %w", requestID, err)
	}
	return cs, nil
}

const selectCustomer = `SELECT id, kind, sales_record_id, request_id, name, first_name, last_name, email,
	phone, job_title, street, city, postal_code, country_code, created_at FROM customers`

type scanner interface{ Scan(dest ...any) error }

func scanCustomer(row scanner) (Customer, error) {
	var c Customer
	var kind, created string
	err := row.Scan(&c.ID, &kind, &c.SalesRecordID, &c.RequestID, &c.Name, &c.FirstName, &c.LastName, &c.Email,
		&c.Phone, &c.JobTitle, &c.Street, &c.City, &c.PostalCode, &c.CountryCode, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Customer{}, ErrNotFound
	}
	if err != nil {
		return Customer{}, err
	}
	c.Kind = CustomerKind(kind)
	if c.CreatedAt, err = parseTime(created); err != nil {
		return Customer{}, err
	}
	return c, nil
}
