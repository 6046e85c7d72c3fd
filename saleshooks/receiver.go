package saleshooks

import (
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/metrics"
	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/workflows"
)

// DefaultMaxBody is the largest webhook body accepted. Dataverse trims bodies
// over 256 KB itself, so this leaves room to spare.
const DefaultMaxBody = 1 << 20

// Temporal starts and signals workflows; TemporalClient is one.
type Temporal interface {
	ExecuteWorkflow(ctx context.Context, options client.StartWorkflowOptions, workflow any, args ...any) (client.WorkflowRun, error)
	// SignalOnce signals a workflow's current run; a repeat with the same
	// request ID adds nothing to its history.
	SignalOnce(ctx context.Context, workflowID, signalName, requestID string, arg any) error
}

// Requests finds a decision's request in the Commerce register and keeps the
// events delivered; *commerce.Store is one.
type Requests interface {
	RequestOfSalesRecord(ctx context.Context, record, id string) (string, error)
	RecordSalesEvent(ctx context.Context, e commerce.SalesEvent) error
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

// Receiver answers POST /v1/hooks/dataverse. Once a webhook is authenticated
// and read, the decision in it goes to the request's workflow:
//   - directly, as a signal, when the Commerce register knows the lead or
//     opportunity it is about (the usual case: the request recorded both);
//   - otherwise through a SalesEvent workflow, which finds the request in
//     Sales and signals it with retries of its own. Dataverse retries a
//     webhook once at most, so the receiver takes ownership at once instead
//     of depending on Sales being reachable now.
//
// Either way the webhook is answered 200 only once Temporal holds the
// decision. A decision delivered twice changes nothing: the workflow counts
// it as a duplicate.
type Receiver struct {
	Temporal Temporal
	// Requests finds requests for direct delivery; nil hands every decision
	// to a SalesEvent workflow.
	Requests         Requests
	Auth             Auth
	MaxBody          int64
	ProspectIDColumn string
	Logger           *slog.Logger
	// Metrics counts the webhooks by answer; nil counts nothing.
	Metrics client.MetricsHandler
}

// Routes adds the webhook endpoint to mux.
func (rc *Receiver) Routes(mux *http.ServeMux) {
	mux.Handle("POST /v1/hooks/dataverse", rc)
}

func (rc *Receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	result := rc.handle(w, r)
	if rc.Metrics != nil {
		rc.Metrics.WithTags(map[string]string{"result": result}).Counter(metrics.Webhooks).Inc(1)
	}
}

// handle answers one webhook and says how, for the metrics.
func (rc *Receiver) handle(w http.ResponseWriter, r *http.Request) (result string) {
	if !rc.Auth.allows(r) {
		rc.Logger.Warn("Webhook refused: no valid key", "remote", r.RemoteAddr)
		answer(w, http.StatusUnauthorized, "a valid webhook key is required")
		return "unauthorized"
	}
	maxBody := rc.MaxBody
	if maxBody <= 0 {
		maxBody = DefaultMaxBody
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		answer(w, http.StatusRequestEntityTooLarge, "the body is larger than the receiver accepts")
		return "too_large"
	}
	if err != nil {
		answer(w, http.StatusBadRequest, "the body could not be read")
		return "bad_request"
	}
	c, err := webhook.Decode(body)
	if err != nil {
		answer(w, http.StatusBadRequest, "the body is not a Dataverse RemoteExecutionContext: "+err.Error())
		return "bad_request"
	}
	log := rc.Logger.With("message", c.MessageName, "entity", c.PrimaryEntityName,
		"entityId", c.PrimaryEntityId, "dataverseRequestId", c.RequestId, "operationId", c.OperationId,
		"correlationId", r.Header.Get(webhook.HeaderCorrelationID),
		"trimmed", r.Header.Get(webhook.HeaderMsgSizeExceeded) != "")

	d, ok := Interpret(c, rc.ProspectIDColumn)
	if !ok {
		log.Info("Webhook ignored: no onboarding decision in it")
		answer(w, http.StatusOK, "ignored: no onboarding decision")
		return "ignored"
	}
	ev := workflows.SalesEvent{EventID: d.EventID, CorrelationID: c.CorrelationId, Signal: d.Signal, Message: c.MessageName, LeadID: d.LeadID,
		OpportunityID: d.OpportunityID, ContactID: d.ContactID, AccountID: d.AccountID, ProspectID: d.ProspectID}
	if tooLong(ev.LeadID, ev.OpportunityID, ev.ContactID, ev.AccountID, ev.EventID, ev.CorrelationID) {
		log.Warn("Webhook refused: it names a record or operation by an ID longer than Dataverse's")
		answer(w, http.StatusBadRequest, "the body has IDs longer than Dataverse's")
		return "bad_request"
	}
	if ev.EventID == "" {
		// Neither RequestId nor OperationId: Dataverse's retry sends the
		// same body, which then names the same event.
		sum := sha256.Sum256(body)
		ev.EventID = hex.EncodeToString(sum[:16])
	}
	// Stay well inside Dataverse's 60-second timeout: a late 503 still
	// earns the one retry, a timeout earns nothing.
	ctx, cancel := context.WithTimeout(r.Context(), handOverTimeout)
	defer cancel()
	if rc.deliver(ctx, ev, log.With("signal", d.Signal)) {
		answer(w, http.StatusOK, "delivered")
		return "delivered"
	}

	opts := workflows.SalesEventStartOptions(ev)
	log = log.With("signal", d.Signal, "workflowId", opts.ID)
	_, err = rc.Temporal.ExecuteWorkflow(ctx, opts, workflows.SalesEventWorkflowName, ev)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	switch {
	case errors.As(err, &started):
		log.Info("Repeated webhook: its decision was taken over before")
		answer(w, http.StatusOK, "duplicate: already taken over")
		return "duplicate"
	case err != nil:
		log.Error("Webhook not taken over: the Sales event could not be started", "error", err)
		answer(w, http.StatusServiceUnavailable, "the decision could not be taken over; retry")
		return "unavailable"
	}
	log.Info("Decision taken over")
	answer(w, http.StatusOK, "accepted")
	return "accepted"
}

// deliver signals the request's workflow when the register knows the record
// the decision is about, and records the event; false leaves the decision
// to a SalesEvent workflow: a record the register does not know (yet), a
// qualification without its opportunity, a request already closed (the
// SalesEvent workflow keeps the late decision on record) or any failure.
func (rc *Receiver) deliver(ctx context.Context, ev workflows.SalesEvent, log *slog.Logger) bool {
	if rc.Requests == nil {
		return false
	}
	record, id := "opportunity", ev.OpportunityID
	switch ev.Signal {
	case workflows.SignalLeadQualified:
		if ev.OpportunityID == "" {
			return false
		}
		record, id = "lead", ev.LeadID
	case workflows.SignalLeadDisqualified:
		record, id = "lead", ev.LeadID
	}
	if id == "" {
		return false
	}
	requestID, err := rc.Requests.RequestOfSalesRecord(ctx, record, id)
	if err != nil {
		if !errors.Is(err, commerce.ErrNotFound) {
			log.Warn("Register not available to find the request; handing the decision over", "error", err)
		}
		return false
	}
	workflowID := workflows.WorkflowID(requestID)
	payload := workflows.SignalPayload(workflows.ResolvedSalesEvent{SalesEvent: ev, RequestID: requestID})
	signalID := uuid.NewSHA1(decisionSpace, []byte(ev.DecisionKey())).String()
	if err := rc.Temporal.SignalOnce(ctx, workflowID, ev.Signal, signalID, payload); err != nil {
		var closed *serviceerror.NotFound
		if !errors.As(err, &closed) {
			log.Warn("Decision not signalled; handing it over", "workflowId", workflowID, "error", err)
		}
		return false
	}
	log.Info("Decision delivered", "workflowId", workflowID)
	err = rc.Requests.RecordSalesEvent(ctx, commerce.SalesEvent{EventID: ev.EventID, RequestID: requestID,
		Signal: ev.Signal, RecordID: cmp.Or(ev.OpportunityID, ev.LeadID), Outcome: commerce.EventDelivered})
	if err != nil {
		// The decision is the workflow's now; only its trace in the register is missing.
		log.Warn("Delivered decision not recorded in the register", "workflowId", workflowID, "error", err)
	}
	return true
}

// MaxIDLength bounds the record, operation and correlation IDs a decision
// may carry, in bytes. Dataverse's are GUIDs of 36 characters; a longer one
// is none of Dataverse's, and would make a SalesEvent workflow ID past
// Temporal's limit, which a retry would meet again.
const MaxIDLength = 128

func tooLong(ids ...string) bool {
	for _, id := range ids {
		if len(id) > MaxIDLength {
			return true
		}
	}
	return false
}

// decisionSpace derives a signal's request ID from the decision it carries.
var decisionSpace = uuid.MustParse("5b0e7c1a-3f4d-4e8a-9c2b-6d1f0a7e3b95")

// handOverTimeout bounds starting the SalesEvent workflow of one webhook.
const handOverTimeout = 20 * time.Second

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
