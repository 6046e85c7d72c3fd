package commerce

import (
	"context"
	"database/sql"
	"errors"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx have in common.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

type beginner interface {
	querier
	BeginTx(ctx context.Context, opts *sql.TxOptions) (*sql.Tx, error)
}

// conn runs SQL written with ? placeholders, SQLite's and this package's
// one way to write a query, on either backend: for PostgreSQL it numbers
// them ($1, $2, ...) on the way.
type conn struct {
	q        querier
	postgres bool
	// writes, for SQLite, lets one write of this process at a time at the
	// file (nil inside a transaction, which holds it, and for PostgreSQL).
	writes writeLock
}

// writeLock is a lock that gives up when the context ends. SQLite takes one
// writer at a time; writers of one process that queue here instead of
// spinning in SQLite's busy handler are served in turn, and leave the busy
// timeout to the other process.
type writeLock chan struct{}

func (l writeLock) lock(ctx context.Context) (unlock func(), err error) {
	if l == nil {
		return func() {}, nil
	}
	select {
	case l <- struct{}{}:
		return func() { <-l }, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (c conn) bind(query string) string {
	if c.postgres {
		return numberPlaceholders(query)
	}
	return query
}

func (c conn) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	unlock, err := c.writes.lock(ctx)
	if err != nil {
		return nil, err
	}
	defer unlock()
	return c.q.ExecContext(ctx, c.bind(query), args...)
}

func (c conn) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	return c.q.QueryContext(ctx, c.bind(query), args...)
}

func (c conn) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	return c.q.QueryRowContext(ctx, c.bind(query), args...)
}

// numberPlaceholders turns each ? into $1, $2, ... in order, leaving alone
// those inside quotes and -- comments.
func numberPlaceholders(query string) string {
	var b strings.Builder
	b.Grow(len(query) + 16)
	n := 0
	var quote byte // the quote we are inside of, or 0
	comment := false
	for i := 0; i < len(query); i++ {
		c := query[i]
		switch {
		case comment:
			comment = c != '\n'
		case quote != 0:
			if c == quote {
				quote = 0 // a doubled quote closes and reopens: same result
			}
		case c == '\'' || c == '"':
			quote = c
		case c == '-' && i+1 < len(query) && query[i+1] == '-':
			comment = true
		case c == '?':
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteByte(c)
	}
	return b.String()
}

// inTx runs fn in a transaction, committing when it returns nil.
func (s *Store) inTx(ctx context.Context, fn func(tx conn) error) error {
	// Under SQLite every transaction here writes (BEGIN IMMEDIATE).
	unlock, err := s.db.writes.lock(ctx)
	if err != nil {
		return err
	}
	defer unlock()
	return inTx(ctx, s.pool, s.db.postgres, fn)
}

func inTx(ctx context.Context, db beginner, postgres bool, fn func(tx conn) error) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(conn{q: tx, postgres: postgres}); err != nil {
		_ = tx.Rollback()
		return err
	}
	return tx.Commit()
}

// isUniqueViolation reports whether err is a unique constraint or index
// refusing a row, as either backend says it.
func isUniqueViolation(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code == "23505" // unique_violation
	}
	var liteErr *sqlite.Error
	if errors.As(err, &liteErr) {
		return liteErr.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE
	}
	return false
}

// isBusy reports whether SQLite refused a lock without waiting for it.
func isBusy(err error) bool {
	var liteErr *sqlite.Error
	return errors.As(err, &liteErr) && liteErr.Code()&0xff == sqlite3.SQLITE_BUSY
}
