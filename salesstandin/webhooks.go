package salesstandin

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"time"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/sales/webhook"
)

// Delivery is the outcome of one webhook, recorded once its last attempt is over.
type Delivery struct {
	MessageName   string // QualifyLead, Update, Win or Lose
	EntityName    string // lead or opportunity
	EntityID      string
	CorrelationID string
	StatusCode    int // of the last attempt; 0 when no answer came
	Attempts      int
	Err           string // why the last attempt failed, if it did
	Dropped       bool   // lost on purpose (WebhookDrop): never sent
}

// Deliveries returns the webhooks delivered so far, oldest first.
func (s *Server) Deliveries() []Delivery {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Delivery(nil), s.deliveries...)
}

// newHook fills the parts of a RemoteExecutionContext that are the same for every message, as an
// asynchronous post-operation step registered for the message would see them. RequestId is left
// empty, sent as null, as Microsoft's sample of an asynchronous webhook has it
// (https://learn.microsoft.com/power-apps/developer/data-platform/use-webhooks): OperationId is
// what identifies the event, and a repeated webhook carries the same body.
func (s *Server) newHook(message, entity, id string) *webhook.RemoteExecutionContext {
	zero := "00000000-0000-0000-0000-000000000000"
	return &webhook.RemoteExecutionContext{
		BusinessUnitId: s.ids.businessUnit,
		CorrelationId:  uuid.NewString(),
		Depth:          1,
		InitiatingUserAzureActiveDirectoryObjectId: zero,
		InitiatingUserId:   s.ids.user,
		IsolationMode:      1,
		MessageName:        message,
		Mode:               webhook.ModeAsynchronous,
		OperationCreatedOn: webhook.Date{Time: s.now().UTC()},
		OperationId:        uuid.NewString(),
		OrganizationId:     s.ids.organization,
		OrganizationName:   s.cfg.OrganizationName,
		OwningExtension: webhook.EntityReference{
			Id:          s.ids.step(message, entity),
			LogicalName: "sdkmessageprocessingstep",
			Name:        fmt.Sprintf("Onboarding: %s of %s", message, entity),
		},
		PrimaryEntityId:                  id,
		PrimaryEntityName:                entity,
		SecondaryEntityName:              "none",
		SharedVariables:                  webhook.Parameters{webhook.Param("IsAutoTransact", true)},
		Stage:                            webhook.StagePostOperation,
		UserAzureActiveDirectoryObjectId: zero,
		UserId:                           s.ids.user,
	}
}

// leadImage is the lead as the product's steps register their images: state, reason, prospect ID
// and the records qualification linked. No personal data, as the receiver has no need of it.
func (s *Server) leadImage(lead record) webhook.Entity {
	id := lead.str("leadid")
	state, _ := lead.int("statecode")
	status, _ := lead.int("statuscode")
	e := webhook.Entity{Id: id, LogicalName: "lead", RowVersion: fmt.Sprint(lead["versionnumber"])}
	e.Attributes.Set("leadid", id)
	e.Attributes.Set("statecode", webhook.NewOptionSetValue(state))
	e.Attributes.Set("statuscode", webhook.NewOptionSetValue(status))
	e.Attributes.Set(s.cfg.ProspectIDColumn, lead[s.cfg.ProspectIDColumn])
	for attr, set := range map[string]string{
		"qualifyingopportunityid": "opportunity", "parentaccountid": "account", "parentcontactid": "contact",
	} {
		if ref := lead.str("_" + attr + "_value"); ref != "" {
			e.Attributes.Set(attr, webhook.NewEntityReferenceValue(set, ref))
		}
	}
	if t, err := time.Parse(time.RFC3339, lead.str("modifiedon")); err == nil {
		e.Attributes.Set("modifiedon", webhook.NewDateValue(t))
	}
	e.FormattedValues.Set("statecode", leadStateNames[state])
	e.FormattedValues.Set("statuscode", leadStatusNames[status])
	return e
}

// qualifyLeadHook carries no images: Dataverse offers them only for Assign, Create, Delete,
// DeliverIncoming, DeliverPromote, Merge, Route, Send, SetState and Update
// (https://learn.microsoft.com/power-apps/developer/data-platform/register-plug-in#define-entity-images),
// so a receiver reads the lead from Sales, or waits for the lead's Update that follows.
func (s *Server) qualifyLeadHook(lead record, req qualifyRequest, created []webhook.EntityReference) *webhook.RemoteExecutionContext {
	id := lead.str("leadid")
	h := s.newHook("QualifyLead", "lead", id)
	h.InputParameters = webhook.Parameters{
		webhook.Param("LeadId", webhook.NewEntityReferenceValue("lead", id)),
		webhook.Param("CreateAccount", req.CreateAccount),
		webhook.Param("CreateContact", req.CreateContact),
		webhook.Param("CreateOpportunity", req.CreateOpportunity),
		webhook.Param("OpportunityCurrencyId", nil),
		webhook.Param("OpportunityCustomerId", nil),
		webhook.Param("SourceCampaignId", nil),
		webhook.Param("Status", webhook.NewOptionSetValue(req.Status)),
	}
	h.OutputParameters = webhook.Parameters{
		webhook.Param("CreatedEntities", webhook.NewEntityReferenceCollectionValue(created...)),
	}
	return h
}

// opportunityImage is the opportunity as the product's steps register their images: state, reason
// and the lead it came from.
func (s *Server) opportunityImage(opp record) webhook.Entity {
	id := opp.str("opportunityid")
	state, _ := opp.int("statecode")
	status, _ := opp.int("statuscode")
	e := webhook.Entity{Id: id, LogicalName: "opportunity", RowVersion: fmt.Sprint(opp["versionnumber"])}
	e.Attributes.Set("opportunityid", id)
	e.Attributes.Set("statecode", webhook.NewOptionSetValue(state))
	e.Attributes.Set("statuscode", webhook.NewOptionSetValue(status))
	if lead := opp.str("_originatingleadid_value"); lead != "" {
		e.Attributes.Set("originatingleadid", webhook.NewEntityReferenceValue("lead", lead))
	}
	if t, err := time.Parse(time.RFC3339, opp.str("modifiedon")); err == nil {
		e.Attributes.Set("modifiedon", webhook.NewDateValue(t))
	}
	e.FormattedValues.Set("statecode", opportunityStateNames[state])
	e.FormattedValues.Set("statuscode", opportunityStatusNames[status])
	return e
}

// stateUpdateHook is the Update that a change of a row's state fires: the Target holds the changed
// columns, and the images the row before and after.
func (s *Server) stateUpdateHook(pre, post webhook.Entity) *webhook.RemoteExecutionContext {
	h := s.newHook("Update", post.LogicalName, post.Id)
	target := webhook.Entity{Id: post.Id, LogicalName: post.LogicalName}
	for _, key := range []string{"statecode", "statuscode", post.LogicalName + "id", "modifiedon"} {
		if v, ok := post.Attributes.Get(key); ok {
			target.Attributes.Set(key, v)
		}
	}
	h.InputParameters = webhook.Parameters{webhook.Param("Target", webhook.NewEntityValue(target))}
	h.PreEntityImages = webhook.Parameters{webhook.Param("PreImage", pre)}
	h.PostEntityImages = webhook.Parameters{webhook.Param("PostImage", post)}
	return h
}

// closeOpportunityHook carries no images: Dataverse offers none for Win and Lose (see qualifyLeadHook).
func (s *Server) closeOpportunityHook(opp record, won bool, status int, subject string) *webhook.RemoteExecutionContext {
	message := "Lose"
	if won {
		message = "Win"
	}
	id := opp.str("opportunityid")
	h := s.newHook(message, "opportunity", id)
	closing := webhook.Entity{Id: "00000000-0000-0000-0000-000000000000", LogicalName: "opportunityclose"}
	closing.Attributes.Set("opportunityid", webhook.NewEntityReferenceValue("opportunity", id))
	closing.Attributes.Set("subject", subject)
	h.InputParameters = webhook.Parameters{
		webhook.Param("OpportunityClose", webhook.NewEntityValue(closing)),
		webhook.Param("Status", webhook.NewOptionSetValue(status)),
	}
	return h
}

// fire delivers the webhooks of one decision in the background, one after another in the order
// given: the decision's API call has already answered, as with an asynchronous step.
func (s *Server) fire(hooks ...*webhook.RemoteExecutionContext) {
	hooks = slices.DeleteFunc(hooks, func(h *webhook.RemoteExecutionContext) bool { return h == nil })
	if len(hooks) == 0 || s.cfg.WebhookURL == "" {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		for _, h := range hooks {
			s.log.Warn("webhook dropped: stand-in is closing", "message", h.MessageName, "entity", h.PrimaryEntityName, "id", h.PrimaryEntityId)
		}
		return
	}
	var send []*webhook.RemoteExecutionContext
	for _, h := range hooks {
		for range s.dispatch(h) {
			send = append(send, h)
		}
	}
	if len(send) == 0 {
		s.mu.Unlock()
		return
	}
	s.inFlight.Add(1)
	s.mu.Unlock()
	go func() {
		defer s.inFlight.Done()
		for _, h := range send {
			s.record(s.deliver(h))
		}
	}()
}

// deliver posts the webhook and retries once, only on 502, 503 or 504, as Dataverse does.
func (s *Server) deliver(h *webhook.RemoteExecutionContext) Delivery {
	d := Delivery{MessageName: h.MessageName, EntityName: h.PrimaryEntityName, EntityID: h.PrimaryEntityId, CorrelationID: h.CorrelationId}
	body, err := json.Marshal(h)
	if err != nil {
		d.Err = err.Error()
		s.log.Error("webhook not encoded", "message", d.MessageName, "entity", d.EntityName, "id", d.EntityID, "error", err)
		return d
	}
	target := s.cfg.WebhookURL + "?code=" + url.QueryEscape(s.cfg.WebhookKey)
	for d.Attempts < 2 {
		if d.Attempts > 0 {
			time.Sleep(s.cfg.WebhookRetryDelay)
		}
		d.Attempts++
		d.StatusCode, err = s.post(target, h, body)
		d.Err = ""
		if err != nil {
			d.Err = err.Error()
		}
		log := s.log.With("message", d.MessageName, "entity", d.EntityName, "id", d.EntityID,
			"correlation_id", d.CorrelationID, "operation_id", h.OperationId, "attempt", d.Attempts)
		switch {
		case err != nil:
			log.Warn("webhook failed", "error", err)
		case d.StatusCode >= 200 && d.StatusCode < 300:
			log.Info("webhook delivered", "status", d.StatusCode)
			return d
		default:
			log.Warn("webhook refused", "status", d.StatusCode)
		}
		if !retryable(d.StatusCode) {
			return d
		}
	}
	return d
}

func retryable(status int) bool {
	return status == http.StatusBadGateway || status == http.StatusServiceUnavailable || status == http.StatusGatewayTimeout
}

func (s *Server) post(target string, h *webhook.RemoteExecutionContext, body []byte) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), s.client.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(webhook.HeaderOrganization, s.cfg.OrganizationName)
	req.Header.Set(webhook.HeaderEntityName, h.PrimaryEntityName)
	req.Header.Set(webhook.HeaderRequestName, h.MessageName)
	req.Header.Set(webhook.HeaderCorrelationID, h.CorrelationId)
	resp, err := s.client.Do(req)
	if err != nil {
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			err = urlErr.Err // the URL carries the webhook key, which must not reach the logs
		}
		return 0, err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, nil
}
