package integration

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/api"
	"github.com/partner-onboarding/onboarding/stack"
)

// TestFrontDoorListenersApart: the intake and the Sales webhook receiver
// listen apart, so that only the receiver faces the internet, and the
// intake answers no one without its API key.
func TestFrontDoorListenersApart(t *testing.T) {
	p := webhookProduct.get(t)
	u := p.stack.URLs()
	hooksBase := strings.TrimSuffix(u.Webhooks, "/v1/hooks/dataverse")
	intakeBase := strings.TrimSuffix(u.Intake, "/v1/onboarding-requests")
	if hooksBase == intakeBase {
		t.Fatalf("the intake and the webhooks share %s", hooksBase)
	}
	r := p.submit(t, "front-door")

	t.Run("the webhook listener serves no intake", func(t *testing.T) {
		for _, c := range []struct{ method, url string }{
			{http.MethodPost, hooksBase + "/v1/onboarding-requests"},
			{http.MethodGet, hooksBase + "/v1/onboarding-requests/" + r.id},
		} {
			// With the intake's key, too: the path is not there at all.
			resp, body := p.do(t, c.method, c.url, requestBody("front-door-hooks@partner.example"))
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("%s %s = %d %s; want 404", c.method, c.url, resp.StatusCode, body)
			}
		}
	})

	t.Run("the intake listener serves no webhooks", func(t *testing.T) {
		target := intakeBase + "/v1/hooks/dataverse?code=" + url.QueryEscape(stack.DefaultWebhookKey)
		resp, body := p.do(t, http.MethodPost, target, []byte(`{}`))
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST %s = %d %s; want 404", target, resp.StatusCode, body)
		}
		// The receiver is where the stand-in posts, and it answers there.
		if code := p.postHook(t, stack.DefaultWebhookKey, []byte("not JSON")); code != http.StatusBadRequest {
			t.Errorf("POST %s = %d; want 400 for a body that is no RemoteExecutionContext", u.Webhooks, code)
		}
	})

	t.Run("the intake serves its OpenAPI document to anyone", func(t *testing.T) {
		resp, body := p.doWith(t, http.MethodGet, intakeBase+api.DocumentPath, nil, http.Header{})
		if resp.StatusCode != http.StatusOK || !bytes.Equal(body, api.Document) {
			t.Errorf("GET %s = %d, %d bytes; want 200 and the document", api.DocumentPath, resp.StatusCode, len(body))
		}
	})

	t.Run("the intake needs its key", func(t *testing.T) {
		const email = "front-door-unauthorized@partner.example"
		for name, header := range map[string]http.Header{
			"no key":    {"Content-Type": {"application/json"}},
			"wrong key": {"Content-Type": {"application/json"}, "Authorization": {"Bearer " + stack.DefaultWebhookKey}},
		} {
			resp, body := p.doWith(t, http.MethodPost, u.Intake, requestBody(email), header)
			var answer struct {
				Error string `json:"error"`
				ID    string `json:"id"`
			}
			if err := json.Unmarshal(body, &answer); err != nil || resp.StatusCode != http.StatusUnauthorized ||
				answer.Error == "" || answer.ID != "" {
				t.Errorf("POST with %s = %d %s; want 401 with a JSON error", name, resp.StatusCode, body)
			}
			resp, body = p.doWith(t, http.MethodGet, u.Intake+"/"+r.id, nil, header)
			if resp.StatusCode != http.StatusUnauthorized || strings.Contains(string(body), r.id) {
				t.Errorf("GET with %s = %d %s; want 401 and nothing of the request", name, resp.StatusCode, body)
			}
		}
		// Nothing was registered: the same address, with the key, is a new request.
		a := p.post(t, requestBody(email), http.StatusAccepted)
		if a.Duplicate {
			t.Errorf("the request refused before was registered: %+v", a)
		}
	})
}
