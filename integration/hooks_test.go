package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// checkingProduct asks Sales every two seconds, so that requests whose
// webhooks never arrive move on within a test's patience.
var checkingProduct = lazyProduct{env: map[string]string{"SALES_CHECK_INTERVAL": "2s"}}

// TestSalesHooksThatCannotBeTrusted sends the webhooks a real Dataverse
// environment or an attacker may: forged, oversized, repeated, reordered,
// late. The stand-in's modes are global, so these run one after another.
func TestSalesHooksThatCannotBeTrusted(t *testing.T) {
	p := webhookProduct.get(t)

	t.Run("forged and oversized", func(t *testing.T) {
		r := p.submit(t, "forged")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		body := disqualifyBody(t, st.LeadID, r.id)

		for name, key := range map[string]string{"wrong key": "guessed", "no key": ""} {
			if code := p.postHook(t, key, body); code != http.StatusUnauthorized {
				t.Errorf("%s: status = %d, want 401", name, code)
			}
		}
		huge := append(bytes.Clone(body[:len(body)-1]), []byte(`,"Padding":"`+strings.Repeat("x", 2<<20)+`"}`)...)
		if code := p.postHook(t, stack.DefaultWebhookKey, huge); code != http.StatusRequestEntityTooLarge {
			t.Errorf("oversized: status = %d, want 413", code)
		}

		st = p.state(t, r)
		if st.Status != workflows.StatusAwaitingQualification || st.DuplicateSignals != 0 || len(st.IgnoredSignals) != 0 {
			t.Errorf("state after refused webhooks = %+v, want it untouched", st)
		}
		// The genuine webhook with the same body gets through.
		if code := p.postHook(t, stack.DefaultWebhookKey, body); code != http.StatusOK {
			t.Fatalf("genuine webhook: status = %d", code)
		}
		p.awaitStatus(t, r, workflows.StatusRejected)
	})

	t.Run("repeated", func(t *testing.T) {
		p.setWebhookMode(t, salesstandin.WebhookRepeat)
		defer p.setWebhookMode(t, salesstandin.WebhookDeliver)
		before := len(p.deliveries(t))

		r := p.submit(t, "repeated")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		p.qualify(t, st.LeadID)
		st = p.awaitStatus(t, r, workflows.StatusQualified)
		if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "won"); err != nil {
			t.Fatal(err)
		}
		p.awaitCompletion(t, r)

		p.assertEmails(t, r, "receipt", "welcome")
		p.assertCustomers(t, r, true)
		deliveries := p.awaitDeliveries(t, before+4)[before:]
		for _, d := range deliveries {
			if d.StatusCode != http.StatusOK {
				t.Errorf("delivery %+v was not acknowledged", d)
			}
		}
	})

	t.Run("reordered", func(t *testing.T) {
		p.setWebhookMode(t, salesstandin.WebhookHold)
		defer p.setWebhookMode(t, salesstandin.WebhookDeliver)

		r := p.submit(t, "reordered")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		q, err := p.sales.QualifyLead(context.Background(), st.LeadID)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.sales.WinOpportunity(context.Background(), q.OpportunityID, "won"); err != nil {
			t.Fatal(err)
		}
		// Each decision also sends the Update of the record's state: four
		// webhooks, released newest first (the opportunity's, then Win, ...).
		p.releaseWebhooks(t, 4, "reverse")

		st = p.awaitCompletion(t, r)
		assertEqual(t, "status", st.Status, workflows.StatusApproved)
		assertEqual(t, "opportunity", st.OpportunityID, q.OpportunityID)
		p.assertEmails(t, r, "receipt", "welcome")

		// A contradicting decision after the request closed is recorded and
		// shown, never applied.
		if code := p.postHook(t, stack.DefaultWebhookKey, loseBody(t, q.OpportunityID)); code != http.StatusOK {
			t.Fatalf("late Lose: status = %d, want 200", code)
		}
		poll(t, "the late loss to show", func() (bool, string) {
			st = p.state(t, r)
			return len(st.IgnoredSignals) == 1 && st.IgnoredSignals[0].Signal == workflows.SignalOpportunityLost,
				fmt.Sprintf("%+v", st.IgnoredSignals)
		})
		assertEqual(t, "status after the late loss", st.Status, workflows.StatusApproved)
		p.recordHistory(t, r, "won-before-qualified")
		// The win came before the register knew the opportunity: a
		// SalesEvent workflow found its request in Sales.
		p.recordCompleted(t, workflows.SalesEventWorkflowName, workflows.SignalOpportunityWon+"-"+q.OpportunityID, "sales-event-win")
		p.assertEmails(t, r, "receipt", "welcome")
	})
}

// TestLostWebhooksStrandNothing loses webhooks on purpose, and takes Temporal
// away while one arrives: the workflow finds the decisions in Sales itself.
func TestLostWebhooksStrandNothing(t *testing.T) {
	p := checkingProduct.get(t)

	t.Run("dropped", func(t *testing.T) {
		p.setWebhookMode(t, salesstandin.WebhookDrop)
		defer p.setWebhookMode(t, salesstandin.WebhookDeliver)

		r := p.submit(t, "dropped")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		p.qualify(t, st.LeadID)
		st = p.awaitStatus(t, r, workflows.StatusQualified)
		if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "won"); err != nil {
			t.Fatal(err)
		}
		st = p.awaitCompletion(t, r)

		assertEqual(t, "status", st.Status, workflows.StatusApproved)
		if st.Qualification == nil || st.Qualification.EventID != "" {
			t.Errorf("qualification = %+v, want one found by the Sales check, not by a webhook", st.Qualification)
		}
		p.assertEmails(t, r, "receipt", "welcome")
	})

	t.Run("Temporal down while the webhook arrives", func(t *testing.T) {
		r := p.submit(t, "outage")
		st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
		before := len(p.deliveries(t))

		if err := p.stack.StopProcess("temporal"); err != nil {
			t.Fatal(err)
		}
		p.qualify(t, st.LeadID)
		d := p.awaitDeliveries(t, before+1)[before]
		if d.StatusCode != http.StatusServiceUnavailable || d.Attempts != 2 {
			t.Errorf("delivery while Temporal is down = %+v, want 503 and Dataverse's one retry", d)
		}

		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		if err := p.stack.StartTemporal(ctx); err != nil {
			t.Fatal(err)
		}
		st = p.awaitStatus(t, r, workflows.StatusQualified)
		if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "won"); err != nil {
			t.Fatal(err)
		}
		st = p.awaitCompletion(t, r)
		assertEqual(t, "status", st.Status, workflows.StatusApproved)
		p.assertEmails(t, r, "receipt", "welcome")
	})
}

func (p *product) postHook(t *testing.T, key string, body []byte) int {
	t.Helper()
	target := p.hooksURL()
	if key != "" {
		target += "?code=" + url.QueryEscape(key)
	}
	resp, _ := p.do(t, http.MethodPost, target, body)
	return resp.StatusCode
}

func (p *product) hooksURL() string {
	return p.stack.URLs().Webhooks
}

func (p *product) standinURL(path string) string {
	return fmt.Sprintf("http://127.0.0.1:%d%s", p.stack.Ports.Standin, path)
}

// state reads the request's state once.
func (p *product) state(t *testing.T, r submitted) workflows.State {
	t.Helper()
	resp, body := p.do(t, http.MethodGet, p.intake+"/"+r.id, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET request %s = %d: %s", r.id, resp.StatusCode, body)
	}
	var st workflows.State
	if err := json.Unmarshal(body, &st); err != nil {
		t.Fatal(err)
	}
	return st
}

func (p *product) setWebhookMode(t *testing.T, mode salesstandin.WebhookMode) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"mode": mode})
	if resp, out := p.do(t, http.MethodPut, p.standinURL("/standin/webhooks/mode"), body); resp.StatusCode != http.StatusOK {
		t.Fatalf("set webhook mode %s: %d %s", mode, resp.StatusCode, out)
	}
}

type webhookControl struct {
	Held       int
	Deliveries []salesstandin.Delivery
}

func (p *product) webhooks(t *testing.T) webhookControl {
	t.Helper()
	resp, body := p.do(t, http.MethodGet, p.standinURL("/standin/webhooks"), nil)
	var c webhookControl
	if resp.StatusCode != http.StatusOK || json.Unmarshal(body, &c) != nil {
		t.Fatalf("read the stand-in's webhooks: %d %s", resp.StatusCode, body)
	}
	return c
}

func (p *product) deliveries(t *testing.T) []salesstandin.Delivery {
	return p.webhooks(t).Deliveries
}

// awaitDeliveries waits until the stand-in has finished n webhooks.
func (p *product) awaitDeliveries(t *testing.T, n int) []salesstandin.Delivery {
	t.Helper()
	var d []salesstandin.Delivery
	poll(t, fmt.Sprintf("%d webhook deliveries", n), func() (bool, string) {
		d = p.deliveries(t)
		return len(d) >= n, fmt.Sprintf("%d deliveries", len(d))
	})
	return d
}

func (p *product) releaseWebhooks(t *testing.T, held int, order string) {
	t.Helper()
	poll(t, fmt.Sprintf("%d held webhooks", held), func() (bool, string) {
		n := p.webhooks(t).Held
		return n >= held, fmt.Sprintf("%d held", n)
	})
	if resp, out := p.do(t, http.MethodPost, p.standinURL("/standin/webhooks/release?order="+order), nil); resp.StatusCode != http.StatusOK {
		t.Fatalf("release webhooks: %d %s", resp.StatusCode, out)
	}
}

// disqualifyBody is the Update webhook Dataverse sends when a seller
// disqualifies the lead.
func disqualifyBody(t *testing.T, leadID, prospectID string) []byte {
	t.Helper()
	target := webhook.Entity{Id: leadID, LogicalName: "lead"}
	target.Attributes.Set("statecode", webhook.NewOptionSetValue(2))
	target.Attributes.Set("statuscode", webhook.NewOptionSetValue(6))
	image := webhook.Entity{Id: leadID, LogicalName: "lead"}
	image.Attributes.Set("statecode", webhook.NewOptionSetValue(2))
	image.Attributes.Set("new_commerceprospectid", prospectID)
	c := hookContext("Update", "lead", leadID)
	c.InputParameters = webhook.Parameters{webhook.Param("Target", webhook.NewEntityValue(target))}
	c.PostEntityImages = webhook.Parameters{webhook.Param("PostImage", image)}
	return marshal(t, c)
}

// loseBody is the Lose webhook of an opportunity.
func loseBody(t *testing.T, opportunityID string) []byte {
	t.Helper()
	closing := webhook.Entity{Id: "00000000-0000-0000-0000-000000000000", LogicalName: "opportunityclose"}
	closing.Attributes.Set("opportunityid", webhook.NewEntityReferenceValue("opportunity", opportunityID))
	c := hookContext("Lose", "opportunity", opportunityID)
	c.InputParameters = webhook.Parameters{
		webhook.Param("OpportunityClose", webhook.NewEntityValue(closing)),
		webhook.Param("Status", webhook.NewOptionSetValue(4)),
	}
	return marshal(t, c)
}

func hookContext(message, entity, id string) webhook.RemoteExecutionContext {
	return webhook.RemoteExecutionContext{
		CorrelationId:       uuid.NewString(),
		Depth:               1,
		MessageName:         message,
		Mode:                webhook.ModeAsynchronous,
		OperationCreatedOn:  webhook.Date{Time: time.Now().UTC()},
		OperationId:         uuid.NewString(),
		OrganizationName:    "integration",
		PrimaryEntityId:     id,
		PrimaryEntityName:   entity,
		RequestId:           uuid.NewString(),
		SecondaryEntityName: "none",
		Stage:               webhook.StagePostOperation,
	}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
