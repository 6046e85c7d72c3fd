package sales

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"
)

func TestErrorsClassifiedByDataverseCode(t *testing.T) {
	for _, tc := range []struct {
		name         string
		status       int
		code         string
		retryAfter   string
		permanent    bool
		notFound     bool
		unauthorized bool
		wait         time.Duration
	}{
		{name: "duplicate detection as 500", status: 500, code: "0x80040333", permanent: true},
		{name: "duplicate key as 500", status: 500, code: "0x80040237", permanent: true},
		{name: "alternate key", status: 412, code: "0x80060892", permanent: true},
		{name: "string too long in upper case", status: 500, code: "0x80044331", permanent: true},
		{name: "plain 500", status: 500, code: "0x80040216"},
		{name: "503 without code", status: 503},
		{name: "throttled", status: 429, code: "0x80072322", retryAfter: "7", wait: 7 * time.Second},
		{name: "408", status: 408},
		{name: "missing record", status: 404, code: "0x80040217", permanent: true, notFound: true},
		{name: "unknown URL segment", status: 404, code: "0x8006088a", permanent: true},
		{name: "403 missing privilege", status: 403, code: "0x80040220", permanent: true, unauthorized: true},
		{name: "401 twice", status: 401, code: "0x80072560", permanent: true, unauthorized: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, func(w http.ResponseWriter, r *http.Request, _ []byte) {
				if tc.retryAfter != "" {
					w.Header().Set("Retry-After", tc.retryAfter)
				}
				writeJSON(w, tc.status, fmt.Sprintf(`{"error":{"code":%q,"message":"from Dataverse"}}`, tc.code))
			})
			_, err := f.client(t).GetLead(context.Background(), leadID)
			if err == nil {
				t.Fatal("GetLead succeeded")
			}
			wrapped := fmt.Errorf("check lead: %w", err)
			if IsPermanent(wrapped) != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v: %v", !tc.permanent, tc.permanent, err)
			}
			if IsNotFound(wrapped) != tc.notFound {
				t.Errorf("IsNotFound = %v, want %v: %v", !tc.notFound, tc.notFound, err)
			}
			if IsUnauthorized(wrapped) != tc.unauthorized {
				t.Errorf("IsUnauthorized = %v, want %v: %v", !tc.unauthorized, tc.unauthorized, err)
			}
			if got := RetryAfterOf(wrapped); got != tc.wait {
				t.Errorf("RetryAfterOf = %v, want %v", got, tc.wait)
			}
		})
	}
}

func TestTokenRefusalIsUnauthorized(t *testing.T) {
	for _, tc := range []struct {
		status       int
		unauthorized bool
	}{
		{http.StatusBadRequest, true},
		{http.StatusUnauthorized, true},
		{http.StatusTooManyRequests, false},
		{http.StatusInternalServerError, false},
	} {
		f := newFake(t, nil)
		f.tokenFail = tc.status
		_, err := f.client(t).GetLead(context.Background(), leadID)
		if IsUnauthorized(err) != tc.unauthorized || IsNotFound(err) {
			t.Errorf("token endpoint %d: IsUnauthorized = %v, IsNotFound = %v; want %v, false: %v",
				tc.status, IsUnauthorized(err), IsNotFound(err), tc.unauthorized, err)
		}
	}
}

func TestForeignErrorsAreNeitherNotFoundNorUnauthorized(t *testing.T) {
	for _, err := range []error{nil, context.Canceled, fmt.Errorf("boom")} {
		if IsNotFound(err) || IsUnauthorized(err) || RetryAfterOf(err) != 0 {
			t.Errorf("%v classified as a Sales answer", err)
		}
	}
	f := newFake(t, nil)
	c := f.client(t)
	f.srv.Close()
	_, err := c.GetLead(context.Background(), leadID)
	if IsNotFound(err) || IsUnauthorized(err) || IsPermanent(err) {
		t.Errorf("a closed server: %v, want transient and unclassified", err)
	}
}
