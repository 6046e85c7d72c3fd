package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// SetRoles names the roles the shop gives partners' users besides RoleAdmin
// and RoleUser (a Buyer, say); they order as a User does. It is set once,
// before the store serves.
func (s *Store) SetRoles(extra []string) { s.roles = slices.Clone(extra) }

// Roles lists the roles a partner's user may have: Admin, User and the
// shop's own.
func (s *Store) Roles() []string { return append([]string{RoleAdmin, RoleUser}, s.roles...) }

// ValidRole reports whether r is a role of a partner's user.
func (s *Store) ValidRole(r string) bool { return slices.Contains(s.Roles(), r) }

// The statuses of a user addition.
const (
	AdditionPending = "Pending"
	AdditionAdded   = "Added"
	AdditionRefused = "Refused"
)

// ErrForbidden is returned when the acting customer is no active Admin of
// the partner.
var ErrForbidden = errors.New("commerce: only an active Admin of the partner may do this")

// ErrLastAdmin is returned when a change would leave a partner without an
// active Admin.
var ErrLastAdmin = errors.New("commerce: the partner must keep at least one active Admin")

// EmailInUseError says that the address of a user to add belongs to a user
// of another partner. It counts as invalid input: retrying will not help.
type EmailInUseError struct{}

func (e *EmailInUseError) Error() string {
	return "commerce: the email address is already used by a user of another partner"
}

// Is makes the refusal permanent for callers that check ErrInvalid.
func (e *EmailInUseError) Is(target error) bool { return target == ErrInvalid }

// UserAddition is an admin's request to add a user to a partner, kept here
// so that the workflow carrying it out is given only its ID.
type UserAddition struct {
	ID               string
	OrganizationID   string
	HierarchyID      string
	ActingCustomerID string
	FirstName        string
	LastName         string
	Email            string
	JobTitle         string
	Role             string
	// Locale is the language of the invitation; empty, the partner's.
	Locale string
	Status string
	// Refusal says why a Refused addition was refused.
	Refusal string
	// CustomerID is the user's person customer, once created.
	CustomerID string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// PartnerUser is a member of a partner's hierarchy.
type PartnerUser struct {
	CustomerID string
	FirstName  string
	LastName   string
	Email      string
	JobTitle   string
	Role       string
	Active     bool
}

// PartnerUsers are a partner's users and the additions not carried out.
type PartnerUsers struct {
	OrganizationID string
	Users          []PartnerUser
	// Additions are those still pending or refused, oldest first.
	Additions []UserAddition
}

// Access says whether a customer may sign in to the B2B site.
type Access struct {
	CustomerID     string
	MaySignIn      bool
	OrganizationID string
	Role           string
}

// RequestUserAddition records an admin's request to add a user to the
// partner, as Pending, and returns it. The acting customer must be an
// active Admin of the partner (else ErrForbidden); an organization that is
// no partner is ErrNotFound. A pending addition of the same address to the
// same partner is returned instead of a new one, with created=false. Without
// a locale, the invitation is in the partner's.
func (s *Store) RequestUserAddition(ctx context.Context, a UserAddition) (UserAddition, bool, error) {
	a.FirstName, a.LastName, a.Email = strings.TrimSpace(a.FirstName), strings.TrimSpace(a.LastName), strings.TrimSpace(a.Email)
	a.JobTitle, a.Locale = strings.TrimSpace(a.JobTitle), strings.TrimSpace(a.Locale)
	if err := required("organization ID", a.OrganizationID, "acting customer ID", a.ActingCustomerID,
		"first name", a.FirstName, "last name", a.LastName, "email", a.Email); err != nil {
		return UserAddition{}, false, err
	}
	if !s.ValidRole(a.Role) {
		return UserAddition{}, false, fmt.Errorf("%w: role %q is not one of %s", ErrInvalid, a.Role, strings.Join(s.Roles(), ", "))
	}
	created := false
	err := s.inTx(ctx, func(tx conn) error {
		hierarchyID, err := partnerHierarchy(ctx, tx, a.OrganizationID)
		if err != nil {
			return err
		}
		if err := lockHierarchy(ctx, tx, hierarchyID); err != nil {
			return err
		}
		if err := requireAdmin(ctx, tx, hierarchyID, a.ActingCustomerID); err != nil {
			return err
		}
		existing, err := scanAddition(tx.QueryRowContext(ctx, selectAddition+` WHERE organization_id = ? AND email_key = ?
			AND status = ? ORDER BY created_at LIMIT 1`, a.OrganizationID, EmailKey(a.Email), AdditionPending))
		if err == nil {
			a = existing
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if a.Locale == "" {
			err := tx.QueryRowContext(ctx, `SELECT p.locale FROM prospects p JOIN hierarchies h ON h.request_id = p.request_id
				WHERE h.id = ?`, hierarchyID).Scan(&a.Locale)
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return err
			}
		}
		at := now()
		a.ID, a.HierarchyID, a.Status, a.Refusal, a.CustomerID, a.CreatedAt, a.UpdatedAt =
			uuid.NewString(), hierarchyID, AdditionPending, "", "", at, at
		_, err = tx.ExecContext(ctx, `INSERT INTO partner_user_additions (id, organization_id, hierarchy_id,
			acting_customer_id, first_name, last_name, email, email_key, job_title, role, locale, status, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.ID, a.OrganizationID, a.HierarchyID, a.ActingCustomerID, a.FirstName, a.LastName, a.Email, EmailKey(a.Email),
			a.JobTitle, a.Role, a.Locale, a.Status, formatTime(at), formatTime(at))
		created = err == nil
		return err
	})
	if err != nil {
		return UserAddition{}, false, fmt.Errorf("request user addition to partner %s: %w", a.OrganizationID, err)
	}
	return a, created, nil
}

// GetUserAddition returns an addition by ID, or ErrNotFound.
func (s *Store) GetUserAddition(ctx context.Context, id string) (UserAddition, error) {
	if err := required("addition ID", id); err != nil {
		return UserAddition{}, err
	}
	a, err := scanAddition(s.db.QueryRowContext(ctx, selectAddition+` WHERE id = ?`, id))
	if err != nil {
		return UserAddition{}, fmt.Errorf("get user addition %s: %w", id, err)
	}
	return a, nil
}

// CreateAddedUser creates the person customer of an addition and returns
// its ID; run again, it returns the same one. An address a member of the
// partner has already is that member. An address a user of another partner
// has, active or removed, refuses the addition for good: it is marked
// Refused and an *EmailInUseError returned, now and on every later call.
func (s *Store) CreateAddedUser(ctx context.Context, additionID string) (string, error) {
	if err := required("addition ID", additionID); err != nil {
		return "", err
	}
	var customerID string
	refused := false
	err := s.inTx(ctx, func(tx conn) error {
		a, err := scanAddition(tx.QueryRowContext(ctx, selectAddition+` WHERE id = ?`, additionID))
		if err != nil {
			return err
		}
		if a.Status == AdditionRefused {
			refused = true
			return nil
		}
		if a.CustomerID != "" {
			customerID = a.CustomerID
			return nil
		}
		// Two additions of one address, to two partners, take turns.
		if err := lockAddress(ctx, tx, EmailKey(a.Email)); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT c.id, m.hierarchy_id FROM customers c
			JOIN hierarchy_members m ON m.customer_id = c.id
			WHERE lower(c.email) = ? AND c.kind = ? ORDER BY c.created_at, c.id`, EmailKey(a.Email), string(KindPerson))
		if err != nil {
			return err
		}
		var member string
		for rows.Next() {
			var id, hierarchyID string
			if err := rows.Scan(&id, &hierarchyID); err != nil {
				rows.Close()
				return err
			}
			if hierarchyID != a.HierarchyID {
				refused = true
			} else if member == "" {
				member = id
			}
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		at := formatTime(now())
		if refused {
			_, err := tx.ExecContext(ctx, `UPDATE partner_user_additions SET status = ?, refusal = ?, updated_at = ? WHERE id = ?`,
				AdditionRefused, (&EmailInUseError{}).Error(), at, additionID)
			return err
		}
		customerID = member
		if customerID == "" {
			customerID = uuid.NewString()
			var requestID string
			if err := tx.QueryRowContext(ctx, `SELECT request_id FROM hierarchies WHERE id = ?`, a.HierarchyID).Scan(&requestID); err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO customers (id, kind, sales_record_id, request_id, name, first_name,
				last_name, email, job_title, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				customerID, string(KindPerson), "partner-user-"+additionID, requestID,
				strings.TrimSpace(a.FirstName+" "+a.LastName), a.FirstName, a.LastName, a.Email, a.JobTitle, at, at); err != nil {
				return err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE partner_user_additions SET customer_id = ?, updated_at = ? WHERE id = ?`,
			customerID, at, additionID)
		return err
	})
	if err != nil {
		return "", fmt.Errorf("create the user of addition %s: %w", additionID, err)
	}
	if refused {
		return "", fmt.Errorf("create the user of addition %s: %w", additionID, &EmailInUseError{})
	}
	return customerID, nil
}

// JoinAddedUser puts the customer CreateAddedUser created into the
// partner's hierarchy with the addition's role, active, and marks the
// addition Added. Run again, it changes nothing. A member already there (a
// removed user added again) becomes active and keeps its role: roles change
// through ChangeUserRole, which keeps the last Admin.
func (s *Store) JoinAddedUser(ctx context.Context, additionID string) error {
	if err := required("addition ID", additionID); err != nil {
		return err
	}
	err := s.inTx(ctx, func(tx conn) error {
		a, err := scanAddition(tx.QueryRowContext(ctx, selectAddition+` WHERE id = ?`, additionID))
		if err != nil {
			return err
		}
		switch {
		case a.Status == AdditionAdded:
			return nil
		case a.Status == AdditionRefused:
			return &EmailInUseError{}
		case a.CustomerID == "":
			return fmt.Errorf("%w: the addition's user has not been created yet", ErrInvalid)
		}
		if err := lockHierarchy(ctx, tx, a.HierarchyID); err != nil {
			return err
		}
		at := formatTime(now())
		if _, err := tx.ExecContext(ctx, `INSERT INTO hierarchy_members (hierarchy_id, customer_id, role, position)
			SELECT ?, ?, ?, COALESCE(MAX(position), -1) + 1 FROM hierarchy_members WHERE hierarchy_id = ?
			ON CONFLICT (hierarchy_id, customer_id) DO NOTHING`,
			a.HierarchyID, a.CustomerID, a.Role, a.HierarchyID); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE customers SET active = 1, updated_at = ? WHERE id = ?`, at, a.CustomerID); err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE partner_user_additions SET status = ?, updated_at = ? WHERE id = ?`,
			AdditionAdded, at, additionID)
		return err
	})
	if err != nil {
		return fmt.Errorf("join the user of addition %s: %w", additionID, err)
	}
	return nil
}

// ListPartnerUsers returns a partner's users, in the order they joined, and
// its additions not carried out; ErrNotFound for an organization that is no
// partner.
func (s *Store) ListPartnerUsers(ctx context.Context, organizationID string) (PartnerUsers, error) {
	if err := required("organization ID", organizationID); err != nil {
		return PartnerUsers{}, err
	}
	out := PartnerUsers{OrganizationID: organizationID, Users: []PartnerUser{}, Additions: []UserAddition{}}
	err := func() error {
		hierarchyID, err := partnerHierarchy(ctx, s.db, organizationID)
		if err != nil {
			return err
		}
		rows, err := s.db.QueryContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.email, c.job_title, m.role, c.active
			FROM hierarchy_members m JOIN customers c ON c.id = m.customer_id
			WHERE m.hierarchy_id = ? ORDER BY m.position`, hierarchyID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u PartnerUser
			var active int
			if err := rows.Scan(&u.CustomerID, &u.FirstName, &u.LastName, &u.Email, &u.JobTitle, &u.Role, &active); err != nil {
				return err
			}
			u.Active = active == 1
			out.Users = append(out.Users, u)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		arows, err := s.db.QueryContext(ctx, selectAddition+` WHERE organization_id = ? AND status <> ? ORDER BY created_at, id`,
			organizationID, AdditionAdded)
		if err != nil {
			return err
		}
		defer arows.Close()
		for arows.Next() {
			a, err := scanAddition(arows)
			if err != nil {
				return err
			}
			out.Additions = append(out.Additions, a)
		}
		return arows.Err()
	}()
	if err != nil {
		return PartnerUsers{}, fmt.Errorf("list users of partner %s: %w", organizationID, err)
	}
	return out, nil
}

// ChangeUserRole gives a partner's user a role, on behalf of an active
// Admin of the partner. Demoting the last active Admin is ErrLastAdmin; a
// customer who is not the partner's user is ErrNotFound.
func (s *Store) ChangeUserRole(ctx context.Context, organizationID, actingCustomerID, customerID, role string) (PartnerUser, error) {
	if !s.ValidRole(role) {
		return PartnerUser{}, fmt.Errorf("change role of user %s: %w: role %q is not one of %s",
			customerID, ErrInvalid, role, strings.Join(s.Roles(), ", "))
	}
	var u PartnerUser
	err := s.changeUser(ctx, organizationID, actingCustomerID, customerID, func(tx conn, hierarchyID string, target PartnerUser) error {
		if !target.Active {
			return fmt.Errorf("%w: the user was removed", ErrInvalid)
		}
		if target.Role == RoleAdmin && role != RoleAdmin {
			if err := keepAnAdmin(ctx, tx, hierarchyID, customerID); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE hierarchy_members SET role = ? WHERE hierarchy_id = ? AND customer_id = ?`,
			role, hierarchyID, customerID); err != nil {
			return err
		}
		u, u.Role = target, role
		return nil
	})
	if err != nil {
		return PartnerUser{}, fmt.Errorf("change role of user %s of partner %s: %w", customerID, organizationID, err)
	}
	return u, nil
}

// RemoveUser removes a partner's user on behalf of an active Admin: the
// person customer becomes inactive at once and may no longer sign in; it
// stays in the hierarchy, shown inactive. Removing the last active Admin is
// ErrLastAdmin; removing a removed user changes nothing.
func (s *Store) RemoveUser(ctx context.Context, organizationID, actingCustomerID, customerID string) error {
	err := s.changeUser(ctx, organizationID, actingCustomerID, customerID, func(tx conn, hierarchyID string, target PartnerUser) error {
		if !target.Active {
			return nil
		}
		if target.Role == RoleAdmin {
			if err := keepAnAdmin(ctx, tx, hierarchyID, customerID); err != nil {
				return err
			}
		}
		_, err := tx.ExecContext(ctx, `UPDATE customers SET active = 0, updated_at = ? WHERE id = ?`, formatTime(now()), customerID)
		return err
	})
	if err != nil {
		return fmt.Errorf("remove user %s of partner %s: %w", customerID, organizationID, err)
	}
	return nil
}

// changeUser runs change in a transaction that holds the partner's
// hierarchy row, so that concurrent changes of one partner's users take
// turns and each counts the Admins the one before left.
func (s *Store) changeUser(ctx context.Context, organizationID, actingCustomerID, customerID string,
	change func(tx conn, hierarchyID string, target PartnerUser) error) error {
	if err := required("organization ID", organizationID, "acting customer ID", actingCustomerID, "customer ID", customerID); err != nil {
		return err
	}
	return s.inTx(ctx, func(tx conn) error {
		hierarchyID, err := partnerHierarchy(ctx, tx, organizationID)
		if err != nil {
			return err
		}
		if err := lockHierarchy(ctx, tx, hierarchyID); err != nil {
			return err
		}
		if err := requireAdmin(ctx, tx, hierarchyID, actingCustomerID); err != nil {
			return err
		}
		target, err := member(ctx, tx, hierarchyID, customerID)
		if err != nil {
			return err
		}
		return change(tx, hierarchyID, target)
	})
}

// CustomerAccess answers whether a customer may sign in to the B2B site:
// an active person in a partner's hierarchy may. An unknown customer is
// ErrNotFound.
func (s *Store) CustomerAccess(ctx context.Context, customerID string) (Access, error) {
	if err := required("customer ID", customerID); err != nil {
		return Access{}, err
	}
	acc := Access{CustomerID: customerID}
	var kind string
	var active int
	err := s.db.QueryRowContext(ctx, `SELECT kind, active FROM customers WHERE id = ?`, customerID).Scan(&kind, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return Access{}, fmt.Errorf("access of customer %s: %w", customerID, ErrNotFound)
	}
	if err != nil {
		return Access{}, fmt.Errorf("access of customer %s: %w", customerID, err)
	}
	err = s.db.QueryRowContext(ctx, `SELECT h.root_customer_id, m.role FROM hierarchy_members m
		JOIN hierarchies h ON h.id = m.hierarchy_id WHERE m.customer_id = ? AND h.purpose = ?
		ORDER BY h.created_at LIMIT 1`, customerID, PurposeB2BOrganization).Scan(&acc.OrganizationID, &acc.Role)
	switch {
	case errors.Is(err, sql.ErrNoRows):
	case err != nil:
		return Access{}, fmt.Errorf("access of customer %s: %w", customerID, err)
	default:
		acc.MaySignIn = kind == string(KindPerson) && active == 1
	}
	return acc, nil
}

// lockHierarchy holds the hierarchy's row until the transaction ends; on
// SQLite the transaction holds the whole file already.
func lockHierarchy(ctx context.Context, tx conn, hierarchyID string) error {
	if !tx.postgres {
		return nil
	}
	var id string
	return tx.QueryRowContext(ctx, `SELECT id FROM hierarchies WHERE id = ? FOR UPDATE`, hierarchyID).Scan(&id)
}

func requireAdmin(ctx context.Context, tx conn, hierarchyID, customerID string) error {
	u, err := member(ctx, tx, hierarchyID, customerID)
	if errors.Is(err, ErrNotFound) || err == nil && (!u.Active || u.Role != RoleAdmin) {
		return ErrForbidden
	}
	return err
}

// keepAnAdmin fails with ErrLastAdmin unless the hierarchy has an active
// Admin besides customerID.
func keepAnAdmin(ctx context.Context, tx conn, hierarchyID, customerID string) error {
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM hierarchy_members m JOIN customers c ON c.id = m.customer_id
		WHERE m.hierarchy_id = ? AND m.role = ? AND c.active = 1 AND m.customer_id <> ?`,
		hierarchyID, RoleAdmin, customerID).Scan(&n); err != nil {
		return err
	}
	if n == 0 {
		return ErrLastAdmin
	}
	return nil
}

func member(ctx context.Context, tx conn, hierarchyID, customerID string) (PartnerUser, error) {
	var u PartnerUser
	var active int
	err := tx.QueryRowContext(ctx, `SELECT c.id, c.first_name, c.last_name, c.email, c.job_title, m.role, c.active
		FROM hierarchy_members m JOIN customers c ON c.id = m.customer_id
		WHERE m.hierarchy_id = ? AND m.customer_id = ?`, hierarchyID, customerID).Scan(
		&u.CustomerID, &u.FirstName, &u.LastName, &u.Email, &u.JobTitle, &u.Role, &active)
	if errors.Is(err, sql.ErrNoRows) {
		return PartnerUser{}, fmt.Errorf("user %s: %w", customerID, ErrNotFound)
	}
	u.Active = active == 1
	return u, err
}

const selectAddition = `SELECT id, organization_id, hierarchy_id, acting_customer_id, first_name, last_name, email,
	job_title, role, locale, status, refusal, customer_id, created_at, updated_at FROM partner_user_additions`

func scanAddition(row scanner) (UserAddition, error) {
	var a UserAddition
	var created, updated string
	err := row.Scan(&a.ID, &a.OrganizationID, &a.HierarchyID, &a.ActingCustomerID, &a.FirstName, &a.LastName, &a.Email,
		&a.JobTitle, &a.Role, &a.Locale, &a.Status, &a.Refusal, &a.CustomerID, &created, &updated)
	if errors.Is(err, sql.ErrNoRows) {
		return UserAddition{}, ErrNotFound
	}
	if err != nil {
		return UserAddition{}, err
	}
	if a.CreatedAt, err = parseTime(created); err != nil {
		return UserAddition{}, err
	}
	if a.UpdatedAt, err = parseTime(updated); err != nil {
		return UserAddition{}, err
	}
	return a, nil
}
