package sales

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// ErrNotFound is wrapped by the error of a request for a record that Sales does not have.
var ErrNotFound = errors.New("not found in Sales")

// Dataverse error codes this package acts on, from Microsoft's "Web service error codes" reference
// (https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes).
const (
	// DuplicateRecord, "Cannot insert duplicate key": a create whose primary key is taken answers
	// 412 "A record with matching key values already exists."
	codeDuplicateRecord = "0x80040237"
	// DuplicateRecordsFound: a duplicate detection rule stopped the create or update. Dataverse sends
	// it as a 500 (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/manage-duplicate-detection-create-update).
	codeDuplicateRecordsFound = "0x80040333"
	// DuplicateRecordEntityKey: an alternate key's values are taken.
	codeDuplicateRecordEntityKey = "0x80060892"
	// StringLengthTooLong and CrmSQLCharLengthTooLong: a value is longer than its column.
	codeStringLengthTooLong    = "0x80044331"
	codeSQLCharLengthTooLong   = "0x80073001"
	codeSQLUniqueViolation     = "0x80073002" // CrmSQLUniqueIndexOrConstraintViolation
	codeResourceSegmentUnknown = "0x8006088a" // "Resource not found for the segment": a URL, not a record
)

// permanentCodes fail the same way however often they are retried, whatever status they come with:
// the data in Sales or in the request must change first.
var permanentCodes = []string{
	codeDuplicateRecord, codeDuplicateRecordsFound, codeDuplicateRecordEntityKey,
	codeStringLengthTooLong, codeSQLCharLengthTooLong, codeSQLUniqueViolation,
}

// Error is a failed Sales request, classified where it was born so that callers need not guess
// whether a retry can help.
type Error struct {
	// Op is what was attempted, such as "create lead".
	Op string
	// StatusCode is the HTTP status of the failed response (of the token endpoint when the
	// token could not be had); 0 when no response came.
	StatusCode int
	// Code is Dataverse's error code, such as 0x80040217, when it sent one.
	Code string
	// Message is Dataverse's (or the token endpoint's) explanation.
	Message string
	// RetryAfter is the wait the server asked for with Retry-After; 0 when it asked none.
	RetryAfter time.Duration
	// Err is the cause: ErrNotFound for a missing record, the transport or context error when no
	// response came.
	Err error

	// invalid marks a request this client refused to send; no retry can fix it.
	invalid bool
	// token marks a failure of the token endpoint rather than of Dataverse.
	token bool
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString("sales: ")
	b.WriteString(e.Op)
	if e.StatusCode != 0 {
		fmt.Fprintf(&b, ": %d %s", e.StatusCode, http.StatusText(e.StatusCode))
	}
	if e.Code != "" {
		b.WriteString(" (")
		b.WriteString(e.Code)
		b.WriteString(")")
	}
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if e.Err != nil && e.Err != ErrNotFound {
		b.WriteString(": ")
		b.WriteString(e.Err.Error())
	}
	if e.RetryAfter > 0 {
		fmt.Fprintf(&b, " (retry after %s)", e.RetryAfter)
	}
	return b.String()
}

func (e *Error) Unwrap() error { return e.Err }

// Permanent reports whether repeating the request unchanged cannot succeed: the data or the
// configuration must be fixed first. A 4xx is permanent except 408 and 429, which say "later"; a
// 5xx is transient unless its Dataverse code is one no retry fixes (a duplicate, a value too long).
func (e *Error) Permanent() bool {
	if e.invalid || e.hasCode(permanentCodes...) {
		return true
	}
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

func (e *Error) hasCode(codes ...string) bool {
	for _, c := range codes {
		if strings.EqualFold(e.Code, c) {
			return true
		}
	}
	return false
}

// unauthorized reports whether Sales refused who we are or what we may do: Dataverse answered 401
// or 403, or the token endpoint refused the app's credentials.
func (e *Error) unauthorized() bool {
	if e.token {
		return e.Permanent()
	}
	return e.StatusCode == http.StatusUnauthorized || e.StatusCode == http.StatusForbidden
}

// IsPermanent reports whether err is a Sales error that retrying will not fix. Errors this
// package did not classify (network failures, timeouts, 5xx among them) are transient.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
}

// IsNotFound reports whether err says that Sales does not have the record asked for: it was never
// made, or it was deleted.
func IsNotFound(err error) bool {
	return errors.Is(err, ErrNotFound)
}

// IsUnauthorized reports whether err says that Sales refused the app rather than the request: the
// token endpoint rejected the credentials, or Dataverse answered 401 or 403 (a missing security
// role, say). Only configuration fixes it, and it says nothing about whether a record exists.
func IsUnauthorized(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.unauthorized()
}

// RetryAfterOf returns the wait that Sales asked for before the next attempt (Retry-After on a 429
// or 503), or 0 when it asked none.
func RetryAfterOf(err error) time.Duration {
	var e *Error
	if errors.As(err, &e) {
		return e.RetryAfter
	}
	return 0
}

func invalidInput(op, format string, args ...any) *Error {
	return &Error{Op: op, Message: fmt.Sprintf(format, args...), invalid: true}
}

// retryAfter reads Retry-After in either of its forms: seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.Atoi(v); err == nil {
		if secs < 0 {
			return 0
		}
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		if d := time.Until(t); d > 0 {
			return d
		}
	}
	return 0
}
