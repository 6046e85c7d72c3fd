package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// PurposeB2BOrganization is the purpose of the hierarchy of a business partner.
const PurposeB2BOrganization = "B2B organization"

// The roles of a partner's users, Dynamics 365 Commerce's two: RoleAdmin
// administers the partner's B2B users, RoleUser orders.
const (
	RoleAdmin = "Admin"
	RoleUser  = "User"
)

// Hierarchy is a customer hierarchy: an organization customer at the top and
// the customers who act for it.
type Hierarchy struct {
	ID             string
	RequestID      string
	Purpose        string
	RootCustomerID string
	Members        []HierarchyMember
	CreatedAt      time.Time
}

// HierarchyMember is a customer in a hierarchy with its role.
type HierarchyMember struct {
	CustomerID string
	Role       string
}

// CreateHierarchy creates the one hierarchy of a request, with the
// organization customer at its top and members in the given order, all or
// nothing. If the request has a hierarchy already, that one is returned
// unchanged, whatever the arguments. If the organization heads another
// request's hierarchy (a company that is a partner already asked again),
// the request joins that one: its members come in as
// RoleUser, since the partner's admins decide who administers it.
func (s *Store) CreateHierarchy(ctx context.Context, requestID, purpose, organizationID string, members []HierarchyMember) (Hierarchy, error) {
	if err := required("request ID", requestID, "purpose", purpose, "organization ID", organizationID); err != nil {
		return Hierarchy{}, err
	}
	seen := map[string]bool{}
	for i, m := range members {
		if err := required(fmt.Sprintf("members[%d] customer ID", i), m.CustomerID, fmt.Sprintf("members[%d] role", i), m.Role); err != nil {
			return Hierarchy{}, err
		}
		if seen[m.CustomerID] {
			return Hierarchy{}, fmt.Errorf("%w: customer %s is listed twice among the members", ErrInvalid, m.CustomerID)
		}
		seen[m.CustomerID] = true
	}

	var h Hierarchy
	err := s.inTx(ctx, func(tx conn) error {
		existing, err := hierarchyByRequest(ctx, tx, requestID)
		if err == nil {
			h = existing
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if err := checkCustomer(ctx, tx, organizationID, KindOrganization); err != nil {
			return err
		}
		for _, m := range members {
			if err := checkCustomer(ctx, tx, m.CustomerID, ""); err != nil {
				return err
			}
		}
		if partner, err := partnerHierarchy(ctx, tx, organizationID); err == nil {
			h, err = joinHierarchy(ctx, tx, partner, requestID, members)
			return err
		} else if !errors.Is(err, ErrNotFound) {
			return err
		}
		h = Hierarchy{
			ID: uuid.NewString(), RequestID: requestID, Purpose: purpose, RootCustomerID: organizationID,
			Members: append([]HierarchyMember(nil), members...), CreatedAt: now(),
		}
		res, err := tx.ExecContext(ctx,
			`INSERT INTO hierarchies (id, request_id, purpose, root_customer_id, created_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (request_id) DO NOTHING`,
			h.ID, h.RequestID, h.Purpose, h.RootCustomerID, formatTime(h.CreatedAt))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			// A concurrent call created the request's hierarchy after the
			// look-up above (possible on PostgreSQL, where the insert waited
			// for it to commit); that one is the answer.
			h, err = hierarchyByRequest(ctx, tx, requestID)
			return err
		}
		for i, m := range h.Members {
			if _, err := tx.ExecContext(ctx,
				`INSERT INTO hierarchy_members (hierarchy_id, customer_id, role, position) VALUES (?, ?, ?, ?)`,
				h.ID, m.CustomerID, m.Role, i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return Hierarchy{}, fmt.Errorf("create hierarchy for request %s: %w", requestID, err)
	}
	return h, nil
}

// GetHierarchyByRequest returns the hierarchy of a request, or ErrNotFound.
func (s *Store) GetHierarchyByRequest(ctx context.Context, requestID string) (Hierarchy, error) {
	if err := required("request ID", requestID); err != nil {
		return Hierarchy{}, err
	}
	var h Hierarchy
	err := s.inTx(ctx, func(tx conn) error {
		var err error
		h, err = hierarchyByRequest(ctx, tx, requestID)
		return err
	})
	if err != nil {
		return Hierarchy{}, fmt.Errorf("get hierarchy of request %s: %w", requestID, err)
	}
	return h, nil
}

// checkCustomer names the missing or mismatched customer, which a foreign key
// violation would not.
func checkCustomer(ctx context.Context, tx conn, id string, kind CustomerKind) error {
	var got string
	err := tx.QueryRowContext(ctx, `SELECT kind FROM customers WHERE id = ?`, id).Scan(&got)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("customer %s: %w", id, ErrNotFound)
	}
	if err != nil {
		return err
	}
	if kind != "" && CustomerKind(got) != kind {
		return fmt.Errorf("%w: customer %s is a %s, not an %s", ErrInvalid, id, got, kind)
	}
	return nil
}

// joinHierarchy makes a request a member of an existing hierarchy: its
// members not in it yet come in as RoleUser, after the others.
func joinHierarchy(ctx context.Context, tx conn, hierarchyID, requestID string, members []HierarchyMember) (Hierarchy, error) {
	if _, err := tx.ExecContext(ctx, `INSERT INTO hierarchy_requests (request_id, hierarchy_id, joined_at)
		VALUES (?, ?, ?) ON CONFLICT (request_id) DO NOTHING`, requestID, hierarchyID, formatTime(now())); err != nil {
		return Hierarchy{}, err
	}
	for _, m := range members {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hierarchy_members (hierarchy_id, customer_id, role, position)
			SELECT ?, ?, ?, COALESCE(MAX(position), -1) + 1 FROM hierarchy_members WHERE hierarchy_id = ?
			ON CONFLICT (hierarchy_id, customer_id) DO NOTHING`,
			hierarchyID, m.CustomerID, RoleUser, hierarchyID); err != nil {
			return Hierarchy{}, err
		}
	}
	return hierarchyByRequest(ctx, tx, requestID)
}

// hierarchyByRequest is the hierarchy a request made, or joined.
func hierarchyByRequest(ctx context.Context, tx conn, requestID string) (Hierarchy, error) {
	var h Hierarchy
	var created string
	err := tx.QueryRowContext(ctx,
		`SELECT id, request_id, purpose, root_customer_id, created_at FROM hierarchies
		WHERE request_id = ? OR id = (SELECT hierarchy_id FROM hierarchy_requests WHERE request_id = ?)`,
		requestID, requestID).Scan(&h.ID, &h.RequestID, &h.Purpose, &h.RootCustomerID, &created)
	if errors.Is(err, sql.ErrNoRows) {
		return Hierarchy{}, ErrNotFound
	}
	if err != nil {
		return Hierarchy{}, err
	}
	if h.CreatedAt, err = parseTime(created); err != nil {
		return Hierarchy{}, err
	}
	rows, err := tx.QueryContext(ctx,
		`SELECT customer_id, role FROM hierarchy_members WHERE hierarchy_id = ? ORDER BY position`, h.ID)
	if err != nil {
		return Hierarchy{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var m HierarchyMember
		if err := rows.Scan(&m.CustomerID, &m.Role); err != nil {
			return Hierarchy{}, err
		}
		h.Members = append(h.Members, m)
	}
	return h, rows.Err()
}
