package api_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	"github.com/partner-onboarding/onboarding/api"
	"github.com/partner-onboarding/onboarding/api/contract"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/workflows"
)

func TestDocumentIsValid(t *testing.T) {
	doc, err := contract.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if doc.OpenAPI != "3.1.0" {
		t.Errorf("openapi = %s; want 3.1.0", doc.OpenAPI)
	}
	for _, path := range []string{"/v1/onboarding-requests", "/v1/onboarding-requests/{id}", "/healthz", api.DocumentPath} {
		if doc.Paths.Find(path) == nil {
			t.Errorf("the document does not describe %s", path)
		}
	}
}

func TestServeDocument(t *testing.T) {
	rec := httptest.NewRecorder()
	api.ServeDocument(rec, httptest.NewRequest(http.MethodGet, api.DocumentPath, nil))
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || rec.Header().Get("Content-Type") != "application/yaml" || string(body) != string(api.Document) {
		t.Errorf("GET %s = %d %s, %d bytes", api.DocumentPath, rec.Code, rec.Header().Get("Content-Type"), len(body))
	}
}

// The document's limits are the ones the intake holds requests to.
func TestDocumentLimitsAreTheIntakes(t *testing.T) {
	doc, err := contract.Load(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	schemas := doc.Components.Schemas
	for _, c := range []struct {
		schema, field string
		max           int
	}{
		{"Company", "name", workflows.MaxCompanyName},
		{"Company", "taxId", workflows.MaxTaxID},
		{"Address", "street", workflows.MaxStreet},
		{"Address", "city", workflows.MaxCity},
		{"Address", "postalCode", workflows.MaxPostalCode},
		{"Requester", "firstName", workflows.MaxFirstName},
		{"Requester", "lastName", workflows.MaxLastName},
		{"Requester", "email", workflows.MaxEmail},
		{"Requester", "phone", workflows.MaxPhone},
		{"Requester", "jobTitle", workflows.MaxJobTitle},
		{"OnboardingRequest", "comments", workflows.MaxComments},
	} {
		p := schemas[c.schema].Value.Properties[c.field]
		if p == nil || p.Value.MaxLength == nil || *p.Value.MaxLength != uint64(c.max) {
			t.Errorf("%s.%s: maxLength is not %d", c.schema, c.field, c.max)
		}
	}
	var statuses []string
	for _, s := range schemas["Status"].Value.Enum {
		statuses = append(statuses, s.(string))
	}
	if !slices.Equal(statuses, commerce.Statuses) {
		t.Errorf("Status enum = %v; the register's statuses are %v", statuses, commerce.Statuses)
	}
}
