package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strings"
	"time"
)

// The statuses of a prospect; the workflow reports the same vocabulary.
const (
	StatusReceived              = "Received"
	StatusAwaitingQualification = "AwaitingQualification"
	StatusQualified             = "Qualified"
	StatusApproved              = "Approved"
	StatusRejected              = "Rejected"
	StatusNeedsAttention        = "NeedsAttention"
)

// Statuses lists every known status.
var Statuses = []string{
	StatusReceived, StatusAwaitingQualification, StatusQualified,
	StatusApproved, StatusRejected, StatusNeedsAttention,
}

// ValidStatus reports whether s is one of Statuses.
func ValidStatus(s string) bool {
	for _, v := range Statuses {
		if s == v {
			return true
		}
	}
	return false
}

// Decided reports whether a prospect in status s has been decided, after which
// the same requester may apply again.
func Decided(s string) bool { return s == StatusApproved || s == StatusRejected }

// Prospect is an entry of the prospect register ("All prospects").
type Prospect struct {
	RequestID   string
	Status      string
	CompanyName string
	TaxID       string
	Street      string
	City        string
	PostalCode  string
	CountryCode string
	FirstName   string
	LastName    string
	Email       string
	Phone       string
	JobTitle    string
	Locale      string
	Comments    string
	LeadID      string
	// OpportunityID is the Sales opportunity the lead was qualified into.
	OpportunityID string
	// Decision is how the request was decided, once it was (see the
	// workflow's decisions: OpportunityWon, LeadDisqualified, ...).
	Decision  string
	CreatedAt time.Time
	UpdatedAt time.Time
	// StartedAt is when the request's workflow was known to run; zero while
	// it may not have started.
	StartedAt time.Time
	// AttentionStep names the step that needs an operator while Status is
	// NeedsAttention, since AttentionSince.
	AttentionStep  string
	AttentionSince time.Time
	// PersonalDataErasedAt is when the retention erased the requester's
	// data (see ErasePersonalData); zero while it is kept.
	PersonalDataErasedAt time.Time
}

// PendingDuplicateError says that another request of the same requester is
// still pending.
type PendingDuplicateError struct {
	RequestID string // the pending request
}

func (e *PendingDuplicateError) Error() string {
	return fmt.Sprintf("commerce: request %s of the same requester is still pending", e.RequestID)
}

// Is makes a duplicate count as invalid input: retrying will not resolve it.
func (e *PendingDuplicateError) Is(target error) bool { return target == ErrInvalid }

// EmailKey is the form of an email address that identifies a requester.
func EmailKey(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// ReserveRequest registers p as a new request unless the same requester (by
// email, ignoring case and surrounding space) has one pending; then it returns
// the pending request's ID and created=false. Reserving an existing request
// ID again also returns created=false. A new request starts as Received.
func (s *Store) ReserveRequest(ctx context.Context, p Prospect) (requestID string, created bool, err error) {
	return s.ReserveRequestWithin(ctx, p, AddressLimit{})
}

// AddressLimit bounds the new requests of one email address in a sliding
// window: each one sends that address a receipt. A zero Max bounds nothing.
type AddressLimit struct {
	Max    int
	Window time.Duration
}

// AddressLimitError says that an address registered its AddressLimit's Max
// requests within the window; RetryAt is when the window has room again.
type AddressLimitError struct {
	Registered int
	RetryAt    time.Time
}

func (e *AddressLimitError) Error() string {
	return fmt.Sprintf("commerce: the address registered %d requests within the limit's window; room again at %s",
		e.Registered, e.RetryAt.Format(time.RFC3339))
}

// ReserveRequestWithin is ReserveRequest that registers no new request for
// an address that reached limit: it fails with an *AddressLimitError and
// writes nothing. A pending request of the same requester is returned
// whatever the limit, as it sends no new receipt. The count is the
// register's, so that it holds across front doors; their reservations for
// one address take turns (lockAddress).
func (s *Store) ReserveRequestWithin(ctx context.Context, p Prospect, limit AddressLimit) (requestID string, created bool, err error) {
	p.Status = StatusReceived
	if err := validateNewProspect(&p); err != nil {
		return "", false, err
	}
	err = s.inTx(ctx, func(tx conn) error {
		if limit.Max > 0 {
			if err := lockAddress(ctx, tx, EmailKey(p.Email)); err != nil {
				return err
			}
			if requestID, err = pendingByEmail(ctx, tx, EmailKey(p.Email)); err != nil || requestID != "" {
				return err
			}
			if err := checkAddressLimit(ctx, tx, EmailKey(p.Email), limit); err != nil {
				return err
			}
		}
		n, err := insertProspect(ctx, tx, p)
		if err != nil {
			return err
		}
		if n == 1 {
			requestID, created = p.RequestID, true
			return nil
		}
		// Nothing inserted: the requester has a request pending, which is
		// the answer, or the request ID is registered already.
		if requestID, err = pendingByEmail(ctx, tx, EmailKey(p.Email)); err != nil || requestID != "" {
			return err
		}
		_, err = scanProspect(tx.QueryRowContext(ctx, selectProspect+` WHERE request_id = ?`, p.RequestID))
		if errors.Is(err, ErrNotFound) {
			// On PostgreSQL the pending request may be decided between the
			// insert and the look-up.
			return errors.New("the pending request that stood in the way was decided meanwhile, try again")
		}
		requestID = p.RequestID
		return err
	})
	if err != nil {
		return "", false, fmt.Errorf("reserve request %s: %w", p.RequestID, err)
	}
	return requestID, created, nil
}

// CountRequestsByEmail counts the requests registered for an email address
// (ignoring case and surrounding space) since a time, decided ones included.
func (s *Store) CountRequestsByEmail(ctx context.Context, email string, since time.Time) (int, error) {
	n, err := countByEmailSince(ctx, s.db, EmailKey(email), since)
	if err != nil {
		return 0, fmt.Errorf("count requests by email: %w", err)
	}
	return n, nil
}

func countByEmailSince(ctx context.Context, q conn, emailKey string, since time.Time) (int, error) {
	var n int
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM prospects WHERE email_key = ? AND created_at > ?`,
		emailKey, formatTime(since)).Scan(&n)
	return n, err
}

// lockAddress serializes the reservations of one address until the
// transaction ends. SQLite's transactions are serial already; on PostgreSQL
// a request registered and decided at once by another front door would
// otherwise leave the address's pending index free for a reservation that
// counted before it. The two-key advisory locks are apart from the
// migrations' one-key lock.
func lockAddress(ctx context.Context, tx conn, emailKey string) error {
	if !tx.postgres {
		return nil
	}
	h := fnv.New32a()
	h.Write([]byte(emailKey))
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, addressLockClass, int32(h.Sum32()))
	return err
}

// addressLockClass is the first key of the address locks: "addr" in ASCII.
const addressLockClass int32 = 0x61646472

// checkAddressLimit fails with an *AddressLimitError when the address
// registered limit.Max requests or more within the window.
func checkAddressLimit(ctx context.Context, tx conn, emailKey string, limit AddressLimit) error {
	since := now().Add(-limit.Window)
	n, err := countByEmailSince(ctx, tx, emailKey, since)
	if err != nil || n < limit.Max {
		return err
	}
	// The window has room again once n-Max+1 of them left it: when the
	// (n-Max+1)th oldest does.
	var at string
	if err := tx.QueryRowContext(ctx, `SELECT created_at FROM prospects WHERE email_key = ? AND created_at > ?
		ORDER BY created_at LIMIT 1 OFFSET ?`, emailKey, formatTime(since), n-limit.Max).Scan(&at); err != nil {
		return err
	}
	t, err := parseTime(at)
	if err != nil {
		return err
	}
	return &AddressLimitError{Registered: n, RetryAt: t.Add(limit.Window)}
}

// RegisterProspect adds p to the register unless its request ID is already
// there, in which case nothing changes. It fails with a PendingDuplicateError
// when another request of the same requester is pending.
func (s *Store) RegisterProspect(ctx context.Context, p Prospect) error {
	if err := validateNewProspect(&p); err != nil {
		return err
	}
	n, err := insertProspect(ctx, s.db, p)
	if err != nil {
		return fmt.Errorf("register prospect %s: %w", p.RequestID, err)
	}
	if n == 1 {
		return nil
	}
	// Nothing inserted: the request is registered already, which changes
	// nothing, or another request of the requester is pending.
	if _, err := s.GetProspect(ctx, p.RequestID); err == nil {
		return nil
	} else if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("register prospect %s: %w", p.RequestID, err)
	}
	pending, err := pendingByEmail(ctx, s.db, EmailKey(p.Email))
	if err != nil {
		return fmt.Errorf("register prospect %s: %w", p.RequestID, err)
	}
	if pending == "" {
		return fmt.Errorf("register prospect %s: the pending request that stood in the way was decided meanwhile, try again", p.RequestID)
	}
	return fmt.Errorf("register prospect %s: %w", p.RequestID, &PendingDuplicateError{RequestID: pending})
}

// SetProspectStatus sets the status of a prospect, and with a decision
// (empty for none) the decision too.
func (s *Store) SetProspectStatus(ctx context.Context, requestID, status, decision string) error {
	if err := required("request ID", requestID, "status", status); err != nil {
		return err
	}
	if !ValidStatus(status) {
		return fmt.Errorf("%w: unknown status %q", ErrInvalid, status)
	}
	// One statement: the status, the decision and the end of any attention
	// change together, and a repeated call leaves the row as it was.
	_, err := s.db.ExecContext(ctx, `UPDATE prospects SET status = ?,
		decision = CASE WHEN ? <> '' THEN ? ELSE decision END,
		attention_step = CASE WHEN ? <> ? THEN '' ELSE attention_step END, updated_at = ?
		WHERE request_id = ? AND NOT (status = ? AND (? = '' OR decision = ?) AND (? = ? OR attention_step = ''))`,
		status, decision, decision, status, StatusNeedsAttention, formatTime(now()),
		requestID, status, decision, decision, status, StatusNeedsAttention)
	if err != nil {
		return fmt.Errorf("set status of prospect %s: %w", requestID, err)
	}
	if _, err := s.GetProspect(ctx, requestID); err != nil {
		return fmt.Errorf("set status of prospect %s: %w", requestID, err)
	}
	return nil
}

// MarkNeedsAttention sets a prospect NeedsAttention and names the step that
// needs an operator.
func (s *Store) MarkNeedsAttention(ctx context.Context, requestID, step string) error {
	if err := required("request ID", requestID, "step", step); err != nil {
		return err
	}
	t := formatTime(now())
	_, err := s.db.ExecContext(ctx, `UPDATE prospects SET status = ?, attention_step = ?, attention_since = ?, updated_at = ?
		WHERE request_id = ? AND NOT (status = ? AND attention_step = ?)`,
		StatusNeedsAttention, step, t, t, requestID, StatusNeedsAttention, step)
	if err != nil {
		return fmt.Errorf("mark prospect %s needing attention: %w", requestID, err)
	}
	_, err = s.GetProspect(ctx, requestID)
	return err
}

// RecordLead records the Sales lead made for a prospect and, in the same
// statement, that the request now waits for a seller (unless it moved on)
// and that its workflow runs.
func (s *Store) RecordLead(ctx context.Context, requestID, leadID string) error {
	if err := required("request ID", requestID, "lead ID", leadID); err != nil {
		return err
	}
	t := formatTime(now())
	_, err := s.db.ExecContext(ctx, `UPDATE prospects SET lead_id = ?,
		status = CASE WHEN status IN (?, ?) THEN ? ELSE status END,
		attention_step = CASE WHEN status IN (?, ?) THEN '' ELSE attention_step END,
		started_at = COALESCE(started_at, ?), updated_at = ?
		WHERE request_id = ?`,
		leadID, StatusReceived, StatusNeedsAttention, StatusAwaitingQualification,
		StatusReceived, StatusNeedsAttention, t, t, requestID)
	if err != nil {
		return fmt.Errorf("record lead of prospect %s: %w", requestID, err)
	}
	_, err = s.GetProspect(ctx, requestID)
	return err
}

// RecordQualification records the opportunity a prospect's lead was
// qualified into and, in the same statement, that the request is Qualified
// (unless it moved on).
func (s *Store) RecordQualification(ctx context.Context, requestID, opportunityID string) error {
	if err := required("request ID", requestID, "opportunity ID", opportunityID); err != nil {
		return err
	}
	_, err := s.db.ExecContext(ctx, `UPDATE prospects SET opportunity_id = ?,
		status = CASE WHEN status IN (?, ?, ?) THEN ? ELSE status END,
		attention_step = CASE WHEN status IN (?, ?, ?) THEN '' ELSE attention_step END, updated_at = ?
		WHERE request_id = ?`,
		opportunityID, StatusReceived, StatusAwaitingQualification, StatusNeedsAttention, StatusQualified,
		StatusReceived, StatusAwaitingQualification, StatusNeedsAttention, formatTime(now()), requestID)
	if err != nil {
		return fmt.Errorf("record qualification of prospect %s: %w", requestID, err)
	}
	_, err = s.GetProspect(ctx, requestID)
	return err
}

// SetProspectOpportunity records the Sales opportunity a prospect's lead was
// qualified into.
func (s *Store) SetProspectOpportunity(ctx context.Context, requestID, opportunityID string) error {
	if err := required("request ID", requestID, "opportunity ID", opportunityID); err != nil {
		return err
	}
	return s.updateProspect(ctx, requestID, "opportunity_id", opportunityID)
}

// MarkProspectStarted records that the request's workflow runs, so that the
// restart loop leaves it alone. Marking it again changes nothing.
func (s *Store) MarkProspectStarted(ctx context.Context, requestID string) error {
	if err := required("request ID", requestID); err != nil {
		return err
	}
	if _, err := s.db.ExecContext(ctx, `UPDATE prospects SET started_at = ? WHERE request_id = ? AND started_at IS NULL`,
		formatTime(now()), requestID); err != nil {
		return fmt.Errorf("mark prospect %s started: %w", requestID, err)
	}
	return nil
}

// UnstartedProspects returns the IDs of up to limit requests registered
// before a time whose workflow is not known to run, oldest first.
func (s *Store) UnstartedProspects(ctx context.Context, before time.Time, limit int) ([]string, error) {
	rows, err := s.db.QueryContext(ctx, `SELECT request_id FROM prospects
		WHERE started_at IS NULL AND created_at < ? ORDER BY created_at LIMIT ?`, formatTime(before), limit)
	if err != nil {
		return nil, fmt.Errorf("list unstarted prospects: %w", err)
	}
	return scanIDs(rows)
}

// scanIDs reads a query's one text column, row by row, and closes it.
func scanIDs(rows *sql.Rows) ([]string, error) {
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CorrectProspect replaces the requester's and the company's data of a
// pending prospect with p's (request ID, status, lead and times are kept).
// A new email that another pending request already uses is refused with a
// PendingDuplicateError.
func (s *Store) CorrectProspect(ctx context.Context, p Prospect) error {
	if err := required("request ID", p.RequestID, "email", p.Email); err != nil {
		return err
	}
	p.Email = strings.TrimSpace(p.Email)
	err := s.inTx(ctx, func(tx conn) error {
		current, err := scanProspect(tx.QueryRowContext(ctx, selectProspect+` WHERE request_id = ?`, p.RequestID))
		if err != nil {
			return err
		}
		if Decided(current.Status) {
			return fmt.Errorf("%w: request %s is %s and can no longer be corrected", ErrInvalid, p.RequestID, current.Status)
		}
		if pending, err := pendingByEmail(ctx, tx, EmailKey(p.Email)); err != nil {
			return err
		} else if pending != "" && pending != p.RequestID {
			return &PendingDuplicateError{RequestID: pending}
		}
		// The status condition holds even against a decision that a
		// concurrent transaction commits after the read above.
		res, err := tx.ExecContext(ctx, `UPDATE prospects SET company_name = ?, tax_id = ?, street = ?, city = ?,
			postal_code = ?, country_code = ?, first_name = ?, last_name = ?, email = ?, email_key = ?, phone = ?,
			job_title = ?, locale = ?, updated_at = ? WHERE request_id = ? AND status NOT IN ('Approved', 'Rejected')`,
			p.CompanyName, p.TaxID, p.Street, p.City, p.PostalCode, p.CountryCode, p.FirstName, p.LastName,
			p.Email, EmailKey(p.Email), p.Phone, p.JobTitle, p.Locale, formatTime(now()), p.RequestID)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err == nil && n == 0 {
			err = fmt.Errorf("%w: request %s was decided meanwhile and can no longer be corrected", ErrInvalid, p.RequestID)
		}
		return err
	})
	if isUniqueViolation(err) {
		// Another request took the email after the check above; the unique
		// index refused the second one.
		if pending, lookupErr := pendingByEmail(ctx, s.db, EmailKey(p.Email)); lookupErr == nil && pending != "" && pending != p.RequestID {
			err = &PendingDuplicateError{RequestID: pending}
		}
	}
	if err != nil {
		return fmt.Errorf("correct prospect %s: %w", p.RequestID, err)
	}
	return nil
}

// SetProspectLead records the Sales lead created for a prospect.
func (s *Store) SetProspectLead(ctx context.Context, requestID, leadID string) error {
	if err := required("request ID", requestID, "lead ID", leadID); err != nil {
		return err
	}
	return s.updateProspect(ctx, requestID, "lead_id", leadID)
}

// updateProspect sets one column; the timestamp moves only on a real change,
// so a repeated call leaves the row exactly as the first one did.
func (s *Store) updateProspect(ctx context.Context, requestID, column, value string) error {
	res, err := s.db.ExecContext(ctx,
		`UPDATE prospects SET `+column+` = ?, updated_at = ? WHERE request_id = ? AND `+column+` <> ?`,
		value, formatTime(now()), requestID, value)
	if err != nil {
		return fmt.Errorf("set %s of prospect %s: %w", column, requestID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == 1 {
		return nil
	}
	if _, err := s.GetProspect(ctx, requestID); err != nil {
		return fmt.Errorf("set %s of prospect %s: %w", column, requestID, err)
	}
	return nil
}

// GetProspect returns the prospect of a request, or ErrNotFound.
func (s *Store) GetProspect(ctx context.Context, requestID string) (Prospect, error) {
	if err := required("request ID", requestID); err != nil {
		return Prospect{}, err
	}
	p, err := scanProspect(s.db.QueryRowContext(ctx, selectProspect+` WHERE request_id = ?`, requestID))
	if err != nil {
		return Prospect{}, fmt.Errorf("get prospect %s: %w", requestID, err)
	}
	return p, nil
}

// FindProspectByLead returns the prospect a Sales lead was created for, or
// ErrNotFound.
func (s *Store) FindProspectByLead(ctx context.Context, leadID string) (Prospect, error) {
	if err := required("lead ID", leadID); err != nil {
		return Prospect{}, err
	}
	p, err := scanProspect(s.db.QueryRowContext(ctx,
		selectProspect+` WHERE lead_id = ? ORDER BY created_at DESC LIMIT 1`, leadID))
	if err != nil {
		return Prospect{}, fmt.Errorf("find prospect of lead %s: %w", leadID, err)
	}
	return p, nil
}

// RequestOfSalesRecord returns the request whose lead (record "lead") or
// opportunity (record "opportunity") in Sales has the given ID, or
// ErrNotFound. An opportunity is known once the request recorded it, or as
// soon as a decision about it was delivered: the qualification that created
// it names it. It reads the request ID only: the webhook receiver that asks
// has no use for the requester's data.
func (s *Store) RequestOfSalesRecord(ctx context.Context, record, id string) (string, error) {
	var query string
	switch record {
	case "lead":
		query = `SELECT request_id FROM prospects WHERE lead_id = ? ORDER BY created_at DESC LIMIT 1`
	case "opportunity":
		query = `SELECT request_id FROM prospects WHERE opportunity_id = ?
			UNION ALL SELECT request_id FROM sales_events WHERE record_id = ? AND outcome = '` + EventDelivered + `'
			LIMIT 1`
	default:
		return "", fmt.Errorf("find request of Sales record: unknown record kind %q", record)
	}
	if err := required(record+" ID", id); err != nil {
		return "", err
	}
	args := []any{id}
	if record == "opportunity" {
		args = append(args, id)
	}
	var requestID string
	err := s.db.QueryRowContext(ctx, query, args...).Scan(&requestID)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("find request of %s %s: %w", record, id, err)
	}
	return requestID, nil
}

func validateNewProspect(p *Prospect) error {
	if err := required("request ID", p.RequestID, "email", p.Email); err != nil {
		return err
	}
	p.Email = strings.TrimSpace(p.Email)
	if p.Status == "" {
		p.Status = StatusReceived
	}
	if !ValidStatus(p.Status) {
		return fmt.Errorf("%w: unknown status %q", ErrInvalid, p.Status)
	}
	return nil
}

func pendingByEmail(ctx context.Context, q conn, emailKey string) (string, error) {
	var id string
	err := q.QueryRowContext(ctx,
		`SELECT request_id FROM prospects WHERE email_key = ? AND status NOT IN ('Approved', 'Rejected')`,
		emailKey).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil
	}
	return id, err
}

// insertProspect inserts p unless its request ID exists or its requester
// has a request pending, and reports how many rows it inserted. Neither
// conflict is an error: on PostgreSQL an error would abort the transaction,
// and the conflict waits for a concurrent insert to commit or roll back, so
// that the unique indexes decide a race on either backend.
func insertProspect(ctx context.Context, tx conn, p Prospect) (int64, error) {
	t := formatTime(now())
	res, err := tx.ExecContext(ctx, `INSERT INTO prospects (
		request_id, status, company_name, tax_id, street, city, postal_code, country_code,
		first_name, last_name, email, email_key, phone, job_title, locale, comments, lead_id,
		created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		p.RequestID, p.Status, p.CompanyName, p.TaxID, p.Street, p.City, p.PostalCode, p.CountryCode,
		p.FirstName, p.LastName, p.Email, EmailKey(p.Email), p.Phone, p.JobTitle, p.Locale, p.Comments, p.LeadID,
		t, t)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

const selectProspect = `SELECT request_id, status, company_name, tax_id, street, city, postal_code,
	country_code, first_name, last_name, email, phone, job_title, locale, comments, lead_id,
	opportunity_id, decision, created_at, updated_at, started_at, attention_step, attention_since,
	personal_data_erased_at FROM prospects`

func scanProspect(row *sql.Row) (Prospect, error) {
	var p Prospect
	var created, updated string
	var started sql.NullString
	var attentionSince string
	var erased sql.NullString
	err := row.Scan(&p.RequestID, &p.Status, &p.CompanyName, &p.TaxID, &p.Street, &p.City, &p.PostalCode,
		&p.CountryCode, &p.FirstName, &p.LastName, &p.Email, &p.Phone, &p.JobTitle, &p.Locale, &p.Comments,
		&p.LeadID, &p.OpportunityID, &p.Decision, &created, &updated, &started, &p.AttentionStep, &attentionSince,
		&erased)
	if errors.Is(err, sql.ErrNoRows) {
		return Prospect{}, ErrNotFound
	}
	if err != nil {
		return Prospect{}, err
	}
	if p.CreatedAt, err = parseTime(created); err != nil {
		return Prospect{}, err
	}
	if p.UpdatedAt, err = parseTime(updated); err != nil {
		return Prospect{}, err
	}
	if started.Valid {
		if p.StartedAt, err = parseTime(started.String); err != nil {
			return Prospect{}, err
		}
	}
	if p.AttentionStep != "" && attentionSince != "" {
		if p.AttentionSince, err = parseTime(attentionSince); err != nil {
			return Prospect{}, err
		}
	}
	if erased.Valid {
		if p.PersonalDataErasedAt, err = parseTime(erased.String); err != nil {
			return Prospect{}, err
		}
	}
	return p, nil
}
