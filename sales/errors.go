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
	// Err is the cause: ErrNotFound for a 404, the transport or context error when no response came.
	Err error

	// invalid marks a request this client refused to send; no retry can fix it.
	invalid bool
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
// configuration must be fixed first. A 4xx is permanent except 408 and 429, which say "later".
func (e *Error) Permanent() bool {
	if e.invalid {
		return true
	}
	return e.StatusCode >= 400 && e.StatusCode < 500 &&
		e.StatusCode != http.StatusRequestTimeout && e.StatusCode != http.StatusTooManyRequests
}

// IsPermanent reports whether err is a Sales error that retrying will not fix. Errors this
// package did not classify (network failures, timeouts, 5xx among them) are transient.
func IsPermanent(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.Permanent()
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
