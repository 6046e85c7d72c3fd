package contract_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/api/contract"
)

const id = "7d1e4f6a-3b2c-4d5e-9f80-1a2b3c4d5e6f"

const valid = `{"company":{"name":"Contoso","address":{"street":"Coolsingel 40","city":"Rotterdam","postalCode":"3011 AD","countryCode":"NL"}},
 "requester":{"firstName":"Mia","lastName":"Jansen","email":"mia.jansen@contoso.example"}}`

func call(method, path, body string) *http.Request {
	r := httptest.NewRequest(method, "http://intake.example"+path, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer key")
	return r
}

var jsonHeader = http.Header{"Content-Type": {"application/json"}}

// The checker passes what the document describes and refuses what it does
// not: the JSON Schema 2020-12 keywords of an OpenAPI 3.1 document (const,
// type null) are enforced, not ignored.
func TestCheckerHoldsCallsToTheDocument(t *testing.T) {
	c, err := contract.Shared()
	if err != nil {
		t.Fatal(err)
	}
	tooLong := strings.Replace(valid, `"Mia"`, `"`+strings.Repeat("M", 51)+`"`, 1)
	withRetry := http.Header{"Content-Type": {"application/json"}, "Retry-After": {"3"}}
	noKey := call(http.MethodPost, "/v1/onboarding-requests", valid)
	noKey.Header.Del("Authorization")
	for _, c2 := range []struct {
		name   string
		r      *http.Request
		body   string
		status int
		header http.Header
		answer string
		ok     bool
	}{
		{"accepted", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 202, jsonHeader, `{"id":"` + id + `","status":"Received"}`, true},
		{"accepted in another status", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 202, jsonHeader, `{"id":"` + id + `","status":"Qualified"}`, false},
		{"accepted with an undescribed field", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 202, jsonHeader, `{"id":"` + id + `","status":"Received","extra":1}`, false},
		{"accepted though too long", call(http.MethodPost, "/v1/onboarding-requests", tooLong), tooLong, 202, jsonHeader, `{"id":"` + id + `","status":"Received"}`, false},
		{"refused as too long", call(http.MethodPost, "/v1/onboarding-requests", tooLong), tooLong, 400, jsonHeader, `{"error":"invalid onboarding request","fields":[{"field":"requester.firstName","message":"must be at most 50 characters"}]}`, true},
		{"duplicate", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 200, jsonHeader, `{"id":"` + id + `","status":"Qualified","duplicate":true}`, true},
		{"duplicate false", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 200, jsonHeader, `{"id":"` + id + `","status":"Qualified","duplicate":false}`, false},
		{"accepted without a key", noKey, valid, 202, jsonHeader, `{"id":"` + id + `","status":"Received"}`, false},
		{"too many", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 429, withRetry, `{"error":"too many"}`, true},
		{"too many without Retry-After", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 429, jsonHeader, `{"error":"too many"}`, false},
		{"undescribed status", call(http.MethodPost, "/v1/onboarding-requests", valid), valid, 409, jsonHeader, `{"error":"conflict"}`, false},
		{"state", call(http.MethodGet, "/v1/onboarding-requests/"+id, ""), "", 200, jsonHeader, `{"id":"` + id + `","status":"Received","statusHistory":null}`, true},
		{"state with a history", call(http.MethodGet, "/v1/onboarding-requests/"+id, ""), "", 200, jsonHeader, `{"id":"` + id + `","status":"Received","statusHistory":[]}`, false},
		{"state in an unknown status", call(http.MethodGet, "/v1/onboarding-requests/"+id, ""), "", 200, jsonHeader, `{"id":"` + id + `","status":"Pending","statusHistory":null}`, false},
		{"undescribed path", call(http.MethodGet, "/v1/partners/contoso", ""), "", 200, jsonHeader, `{}`, false},
	} {
		err := c.Check(c2.r, []byte(c2.body), c2.status, c2.header, []byte(c2.answer))
		if (err == nil) != c2.ok {
			t.Errorf("%s: Check = %v; want ok %v", c2.name, err, c2.ok)
		}
	}
}
