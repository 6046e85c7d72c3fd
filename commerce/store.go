// Package commerce is the Commerce side of partner onboarding, kept in SQL
// (SQLite by default, or PostgreSQL): the prospect register, customers,
// customer hierarchies, credit limits and the record of emails sent. Every write of the onboarding is
// idempotent, keyed by the request ID or the Sales record ID, so an activity that runs twice has one effect.
// The changes staff make to an approved partner (credit limit, block) each add an entry to its audit list.
// A partner's admins add users (each addition a row its workflow is given the ID of), change their roles
// and remove them; every such change holds the partner's hierarchy row, so one active Admin always remains.
package commerce

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotFound is returned when the record asked for does not exist.
var ErrNotFound = errors.New("commerce: not found")

// ErrInvalid is wrapped by every error about a caller's input, so callers can
// treat it as permanent: retrying the same input will not help.
var ErrInvalid = errors.New("commerce: invalid input")

// The backends a Store can use.
const (
	BackendSQLite   = "sqlite"
	BackendPostgres = "postgres"
)

// Store is the Commerce database. It is safe for concurrent use.
type Store struct {
	pool    *sql.DB
	backend string
	// db runs every query of this package on pool, in the backend's dialect.
	db conn
	// roles are the shop's roles of partners' users besides Admin and User.
	roles []string
}

// Open opens the Commerce database and brings its schema up to date. A dsn
// starting with postgres:// or postgresql:// is a PostgreSQL URL; anything
// else is the path of a SQLite file, created if needed.
func Open(ctx context.Context, dsn string) (*Store, error) {
	if strings.TrimSpace(dsn) == "" {
		return nil, fmt.Errorf("%w: database path or URL is empty", ErrInvalid)
	}
	if isPostgresURL(dsn) {
		return openPostgres(ctx, dsn)
	}
	return openSQLite(ctx, dsn)
}

func isPostgresURL(dsn string) bool {
	lower := strings.ToLower(dsn)
	return strings.HasPrefix(lower, "postgres://") || strings.HasPrefix(lower, "postgresql://")
}

func openSQLite(ctx context.Context, path string) (*Store, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return nil, fmt.Errorf("create database directory %s: %w", dir, err)
		}
	}
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(5000)")
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "foreign_keys(ON)")
	// Writers take the write lock at BEGIN: a deferred transaction that reads
	// and then writes fails with SQLITE_BUSY under WAL instead of waiting.
	q.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open commerce database %s: %w", path, err)
	}
	if err := connectSQLite(ctx, db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open commerce database %s: %w", path, err)
	}
	return newStore(ctx, db, BackendSQLite, path)
}

// connectSQLite makes the first connection, retrying while it is busy: the
// first processes to open a new file race to switch it to WAL, and SQLite
// answers a loser SQLITE_BUSY at once instead of waiting, where waiting
// could deadlock. Once switched, the file stays in WAL and connecting no
// longer fails that way.
func connectSQLite(ctx context.Context, db *sql.DB) error {
	for attempt := 1; ; attempt++ {
		err := db.PingContext(ctx)
		if err == nil || !isBusy(err) || attempt == 50 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// openPostgres goes through database/sql with pgx's stdlib driver rather
// than pgxpool, so that every query, scan and transaction of the store is
// one code on both backends; pgxpool's native interface would need a second
// implementation of each, for a speed this store does not need.
func openPostgres(ctx context.Context, dsn string) (*Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's message shows the URL with its password masked.
		return nil, fmt.Errorf("%w: %w", ErrInvalid, err)
	}
	return newStore(ctx, stdlib.OpenDB(*cfg), BackendPostgres, redactedURL(dsn))
}

// newStore migrates db; name says which database in errors, without a password.
func newStore(ctx context.Context, db *sql.DB, backend, name string) (*Store, error) {
	s := &Store{pool: db, backend: backend, db: conn{q: db, postgres: backend == BackendPostgres}}
	if backend == BackendSQLite {
		s.db.writes = make(writeLock, 1)
	}
	if err := s.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("migrate commerce database %s: %w", name, err)
	}
	return s, nil
}

func redactedURL(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil {
		return "(unparsable PostgreSQL URL)"
	}
	return u.Redacted()
}

// Backend names the database behind the store: BackendSQLite or
// BackendPostgres.
func (s *Store) Backend() string { return s.backend }

// Ping checks that the database answers a query, for readiness checks.
func (s *Store) Ping(ctx context.Context) error {
	var one int
	if err := s.db.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping commerce database: %w", err)
	}
	return nil
}

// Close closes the database.
func (s *Store) Close() error { return s.pool.Close() }

// Timestamps are stored as fixed-width UTC text so that they sort as text,
// in any collation, on both backends and keep the microsecond precision
// PostgreSQL has.
const timeLayout = "2006-01-02T15:04:05.000000Z"

func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) {
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("parse stored time %q: %w", s, err)
	}
	return t, nil
}

// required returns an ErrInvalid error naming the first empty field.
func required(fields ...string) error {
	for i := 0; i+1 < len(fields); i += 2 {
		if strings.TrimSpace(fields[i+1]) == "" {
			return fmt.Errorf("%w: %s is required", ErrInvalid, fields[i])
		}
	}
	return nil
}
