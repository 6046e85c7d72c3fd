package saleshooks

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/workflows"
)

// DefaultMaxBody is the largest webhook body accepted. Dataverse trims bodies
// over 256 KB itself, so this leaves room to spare.
const DefaultMaxBody = 1 << 20

// Resolver looks up in Sales what a webhook body does not carry.
type Resolver interface {
	GetLead(ctx context.Context, id string) (sales.Lead, error)
	GetOpportunity(ctx context.Context, id string) (sales.Opportunity, error)
}

// Events is the record of handled Sales events, by Dataverse operation.
type Events interface {
	SalesEventSeen(ctx context.Context, eventID string) (commerce.SalesEvent, bool, error)
	RecordSalesEvent(ctx context.Context, e commerce.SalesEvent) error
}

// Signaler delivers a signal to a workflow; a Temporal client is one.
type Signaler interface {
	SignalWorkflow(ctx context.Context, workflowID, runID, signalName string, arg any) error
}

// Auth is how a Dataverse service endpoint authenticates: WebhookKey sends
// the key as the code query parameter, HttpHeader a header of the
// endpoint's choice. Several keys or values may be valid at once, so that one
// can be rotated without downtime.
type Auth struct {
	Keys         []string
	HeaderName   string
	HeaderValues []string
}

// Receiver answers POST /v1/hooks/dataverse.
type Receiver struct {
	Temporal         Signaler
	Sales            Resolver
	Events           Events
	Auth             Auth
	MaxBody          int64
	ProspectIDColumn string
	Logger           *slog.Logger
}

// Routes adds the webhook endpoint to mux.
func (rc *Receiver) Routes(mux *http.ServeMux) {
	mux.Handle("POST /v1/hooks/dataverse", rc)
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !rc.Auth.allows(r) {
		rc.Logger.Warn("Webhook refused: no valid key", "remote", r.RemoteAddr)
		answer(w, http.StatusUnauthorized, "a valid webhook key is required")
		return
	}
	maxBody := rc.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		answer(w, http.StatusRequestEntityTooLarge, "the body is larger than the receiver accepts")
		return
	}
	if err != nil {
		answer(w, http.StatusBadRequest, "the body could not be read")
		return
	}
	c, err := webhook.Decode(body)
	if err != nil {
		answer(w, http.StatusBadRequest, "the body is not a Dataverse RemoteExecutionContext: "+err.Error())
		return
	}
	log := rc.Logger.With("message", c.MessageName, "entity", c.PrimaryEntityName,
		"entityId", c.PrimaryEntityId, "dataverseRequestId", c.RequestId,
		"correlationId", r.Header.Get(webhook.HeaderCorrelationID),
		"trimmed", r.Header.Get(webhook.HeaderMsgSizeExceeded) != "")

	d, ok := Interpret(c, rc.ProspectIDColumn)
	if !ok {
		log.Info("Webhook ignored: no onboarding decision in it")
		answer(w, http.StatusOK, "ignored: no onboarding decision")
		return
	}
	// Stay well inside Dataverse's 60-second timeout: a late 503 still
	// earns the one retry, a timeout earns nothing.
	ctx, cancel := context.WithTimeout(r.Context(), deliveryTimeout)
	defer cancel()
	status, msg := rc.deliver(ctx, d, log)
	answer(w, status, msg)
}

// deliveryTimeout bounds the Sales lookups and the signal of one webhook.
const deliveryTimeout = 20 * time.Second

// deliver finds the decision's request and signals its workflow. It answers
// 503 only when Sales or Temporal could not be reached, so that Dataverse
// retries; everything else is acknowledged.
func (rc *Receiver) deliver(ctx context.Context, d Decision, log *slog.Logger) (int, string) {
	requestID, err := rc.resolve(ctx, &d)
	switch {
	case err != nil && sales.IsPermanent(err):
		log.Warn("Webhook ignored: Sales does not know the record", "error", err)
		return http.StatusOK, "ignored: unknown record"
	case err != nil:
		log.Error("Webhook not delivered: Sales lookup failed", "error", err)
		return http.StatusServiceUnavailable, "Sales could not be reached; retry"
	case requestID == "":
		log.Info("Webhook ignored: not a Commerce B2B lead")
		return http.StatusOK, "ignored: not a Commerce B2B lead"
	}
	log = log.With("requestId", requestID, "signal", d.Signal)

	if d.EventID != "" {
		seen, found, err := rc.Events.SalesEventSeen(ctx, d.EventID)
		if err != nil {
			log.Error("Webhook not delivered: the event record could not be read", "error", err)
			return http.StatusServiceUnavailable, "the event record could not be read; retry"
		}
		if found {
			log.Info("Duplicate webhook: already handled", "outcome", seen.Outcome)
			return http.StatusOK, "duplicate: already " + seen.Outcome
		}
	}

	event := commerce.SalesEvent{EventID: d.EventID, RequestID: requestID, Signal: d.Signal,
		RecordID: firstNonEmpty(d.OpportunityID, d.LeadID)}
	err = rc.Temporal.SignalWorkflow(ctx, workflows.WorkflowID(requestID), "", d.Signal, payload(d))
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		// The request was decided and closed: the decision is recorded with
		// it, where its state shows it, and never applied.
		event.Outcome = commerce.EventRequestClosed
		if err := rc.record(ctx, event); err != nil {
			log.Error("Webhook not recorded", "error", err)
			return http.StatusServiceUnavailable, "the decision could not be recorded; retry"
		}
		log.Warn("Decision for a request already closed: recorded, not applied")
		return http.StatusOK, "recorded: the request is already closed"
	case err != nil:
		log.Error("Webhook not delivered: signal failed", "error", err)
		return http.StatusServiceUnavailable, "the decision could not be delivered; retry"
	}
	event.Outcome = commerce.EventDelivered
	if err := rc.record(ctx, event); err != nil {
		// The workflow has the decision and ignores a repeat of it.
		log.Warn("Delivered webhook not recorded", "error", err)
	}
	log.Info("Decision delivered")
	return http.StatusOK, "delivered"
}

// record keeps an event that Dataverse identified; one without an ID
// cannot be recognised again, so there is nothing to keep.
func (rc *Receiver) record(ctx context.Context, e commerce.SalesEvent) error {
	if e.EventID == "" {
		return nil
	}
	return rc.Events.RecordSalesEvent(ctx, e)
}

// resolve finds the request a decision belongs to, filling in from Sales the
// IDs the body lacks. An empty request ID means the lead is not one of ours.
func (rc *Receiver) resolve(ctx context.Context, d *Decision) (string, error) {
	if d.LeadID == "" {
		opp, err := rc.Sales.GetOpportunity(ctx, d.OpportunityID)
		if err != nil {
			return "", err
		}
		d.LeadID = opp.OriginatingLeadID
		if d.LeadID == "" {
			return "", nil
		}
	}
	needsOpportunity := d.Signal == workflows.SignalLeadQualified && d.OpportunityID == ""
	if d.ProspectID != "" && !needsOpportunity {
		return d.ProspectID, nil
	}
	lead, err := rc.Sales.GetLead(ctx, d.LeadID)
	if err != nil {
		return "", err
	}
	if needsOpportunity {
		d.OpportunityID = lead.QualifyingOpportunityID
	}
	return lead.ProspectID, nil
}

func payload(d Decision) any {
	switch d.Signal {
	case workflows.SignalLeadQualified:
		return workflows.LeadQualified{LeadID: d.LeadID, OpportunityID: d.OpportunityID,
			ContactID: d.ContactID, AccountID: d.AccountID, EventID: d.EventID}
	case workflows.SignalLeadDisqualified:
		return workflows.LeadDisqualified{LeadID: d.LeadID, EventID: d.EventID}
	default:
		return workflows.OpportunityClosed{OpportunityID: d.OpportunityID, EventID: d.EventID}
	}
}

// allows compares every configured secret in constant time, hashing first so
// that not even a key's length leaks.
func (a Auth) allows(r *http.Request) bool {
	ok := false
	if code := r.URL.Query().Get("code"); code != "" {
		for _, k := range a.Keys {
			ok = equal(code, k) || ok
		}
	}
	if a.HeaderName != "" {
		if v := r.Header.Get(a.HeaderName); v != "" {
			for _, want := range a.HeaderValues {
				ok = equal(v, want) || ok
			}
		}
	}
	return ok
}

func equal(got, want string) bool {
	if want == "" {
		return false
	}
	g, w := sha256.Sum256([]byte(got)), sha256.Sum256([]byte(want))
	return subtle.ConstantTimeCompare(g[:], w[:]) == 1
}

func answer(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"result": msg})
}
