// Package intake is the front door for the B2B site: it takes onboarding
// requests over HTTP, registers them, starts their workflows and answers
// their state. Every call carries one of the site's API keys, each key has
// a rate, and an email address gets only so many receipts a day.
package intake

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/metrics"
	"github.com/partner-onboarding/onboarding/workflows"
)

const maxRequestBody = 64 << 10

// FieldError names one invalid field of a request.
type FieldError = workflows.FieldError

// Register is the part of the Commerce prospect register the intake uses.
type Register interface {
	ReserveRequestWithin(ctx context.Context, p commerce.Prospect, limit commerce.AddressLimit) (requestID string, created bool, err error)
	GetProspect(ctx context.Context, requestID string) (commerce.Prospect, error)
	SetProspectStatus(ctx context.Context, requestID, status, decision string) error
	MarkProspectStarted(ctx context.Context, requestID string) error
	UnstartedProspects(ctx context.Context, before time.Time, limit int) ([]string, error)
	ListSalesEvents(ctx context.Context, requestID string) ([]commerce.SalesEvent, error)
	ListSentEmails(ctx context.Context, requestID string) ([]commerce.SentEmail, error)
	ListCustomersByRequest(ctx context.Context, requestID string) ([]commerce.Customer, error)
	GetHierarchyByRequest(ctx context.Context, requestID string) (commerce.Hierarchy, error)
}

// Service answers the intake endpoints.
type Service struct {
	Temporal client.Client
	Register Register
	// Partners, when set, serves the staff's partner endpoints.
	Partners Partners
	// Users, when set, serves the endpoints with which a partner's admins
	// manage its users.
	Users Users
	// Timing is passed to each new workflow; zero values mean its defaults.
	Timing workflows.Timing
	Logger *slog.Logger
	// Metrics counts the requests received and the calls refused; nil
	// counts nothing.
	Metrics client.MetricsHandler

	// Keys are the API keys accepted, as Authorization: Bearer <key> or
	// X-API-Key: <key>; several at once, so that one is rotated without
	// downtime. With none, every call is refused.
	Keys []string
	// RatePerKey is how many calls a second each key makes at most, after
	// a burst of BurstPerKey; zero bounds nothing. Each front door counts
	// its own calls.
	RatePerKey  float64
	BurstPerKey int
	// ReceiptsPerAddress is how many new requests (each sends a receipt)
	// one email address registers in AddressWindow; zero bounds nothing.
	// The register counts them, across front doors.
	ReceiptsPerAddress int

	limiterSet
}

// Routes adds the intake endpoints to mux, and the partner endpoints when
// Partners is set, and the partner's user endpoints when Users is.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/onboarding-requests", s.guard(s.submit))
	mux.HandleFunc("GET /v1/onboarding-requests/{id}", s.guard(s.show))
	if s.Partners != nil {
		s.partnerRoutes(mux)
	}
	if s.Users != nil {
		s.userRoutes(mux)
	}
}

// Accepted is the answer to a submitted request.
type Accepted struct {
	ID     string           `json:"id"`
	Status workflows.Status `json:"status"`
	// Duplicate is set when the requester already had a pending request:
	// ID is that request's.
	Duplicate bool `json:"duplicate,omitempty"`
}

// submission is what the B2B site may send: only the fields it owns. The
// rest of workflows.Request (ID, receipt time, check interval and above all
// Resume, which would let a caller skip Sales' decision) is set here.
type submission struct {
	Company   workflows.Company   `json:"company"`
	Requester workflows.Requester `json:"requester"`
	Locale    string              `json:"locale,omitempty"`
	Comments  string              `json:"comments,omitempty"`
}

func (s *Service) submit(w http.ResponseWriter, r *http.Request) {
	var sub submission
	if errs := decode(w, r, &sub); errs != nil {
		writeInvalid(w, errs)
		return
	}
	req := workflows.Request{Company: sub.Company, Requester: sub.Requester, Locale: sub.Locale, Comments: sub.Comments}
	if errs := workflows.Validate(&req); len(errs) > 0 {
		writeInvalid(w, errs)
		return
	}
	req.RequestID = uuid.NewString()
	req.ReceivedAt = time.Now().UTC()

	p := activities.ProspectOf(req)
	id, created, err := s.Register.ReserveRequestWithin(r.Context(), p, s.addressLimit())
	if s.refusedForAddress(w, err) {
		return
	}
	if err != nil {
		s.Logger.Error("Could not register request", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the request could not be registered; try again")
		return
	}
	status := workflows.StatusReceived
	if !created {
		// A pending request whose workflow was terminated or failed is
		// pending no longer: the register is brought in line, and this
		// submission is a new request.
		closed, err := s.settle(r.Context(), id)
		if err != nil {
			s.Logger.Error("Could not check the pending request's workflow", "requestId", id, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the request could not be registered; try again")
			return
		}
		if closed {
			s.Logger.Info("Pending request had ended without a decision; registering the new one", "previousRequestId", id)
			id, created, err = s.Register.ReserveRequestWithin(r.Context(), p, s.addressLimit())
			if s.refusedForAddress(w, err) {
				return
			}
			if err != nil || !created {
				s.Logger.Error("Could not register request", "error", err)
				writeError(w, http.StatusServiceUnavailable, "the request could not be registered; try again")
				return
			}
		}
	}
	if !created {
		// The pending request is started again: if its first start failed,
		// this heals it; otherwise the start finds the running workflow.
		pending, err := s.Register.GetProspect(r.Context(), id)
		if err != nil {
			s.Logger.Error("Could not read pending request", "requestId", id, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the request could not be read; try again")
			return
		}
		req, status = activities.RequestOf(pending), workflows.Status(pending.Status)
	}
	req.Timing = s.Timing
	// The workflow gets the request's claim: the register holds its data.
	req = req.Claim()
	if err := s.start(r.Context(), req); err != nil {
		s.Logger.Error("Could not start onboarding", "requestId", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the request is registered but its processing could not start; send it again to retry")
		return
	}
	if !created {
		s.Logger.Info("Pending request submitted again", "requestId", id)
		writeJSON(w, http.StatusOK, Accepted{ID: id, Status: status, Duplicate: true})
		return
	}
	s.Logger.Info("Request accepted", "requestId", id)
	if s.Metrics != nil {
		s.Metrics.Counter(metrics.RequestsReceived).Inc(1)
	}
	writeJSON(w, http.StatusAccepted, Accepted{ID: id, Status: workflows.StatusReceived})
}

// start starts the request's workflow unless it runs or ran already.
func (s *Service) start(ctx context.Context, req workflows.Request) error {
	_, err := s.Temporal.ExecuteWorkflow(ctx, workflows.StartOptions(req.RequestID), workflows.WorkflowName, req)
	var started *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &started) {
		return nil
	}
	return err
}

// settle looks at the workflow of a request the register shows pending. One
// that ended without the register knowing (terminated, failed, timed out,
// or cancelled before its clean-up ran) is recorded as Rejected with
// decision Abandoned; one that completed, with its result. closed reports
// either; a request whose workflow runs, or never started, is not closed.
func (s *Service) settle(ctx context.Context, requestID string) (closed bool, err error) {
	desc, err := s.Temporal.DescribeWorkflowExecution(ctx, workflows.WorkflowID(requestID), "")
	var notFound *serviceerror.NotFound
	switch {
	case errors.As(err, &notFound):
		return false, nil
	case err != nil:
		return false, err
	}
	info := desc.GetWorkflowExecutionInfo()
	status, decision := commerce.StatusRejected, string(workflows.DecisionAbandoned)
	switch info.GetStatus() {
	case enumspb.WORKFLOW_EXECUTION_STATUS_RUNNING:
		return false, s.Register.MarkProspectStarted(ctx, requestID)
	case enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED:
		var st workflows.State
		run := s.Temporal.GetWorkflow(ctx, workflows.WorkflowID(requestID), info.GetExecution().GetRunId())
		if err := run.Get(ctx, &st); err != nil {
			return false, fmt.Errorf("read the result of request %s: %w", requestID, err)
		}
		status, decision = string(st.Status), string(st.Decision)
	}
	s.Logger.Warn("Request's workflow ended without a decision in the register; register brought in line",
		"requestId", requestID, "workflowStatus", info.GetStatus().String(), "status", status, "decision", decision)
	if err := s.Register.SetProspectStatus(ctx, requestID, status, decision); err != nil {
		return false, err
	}
	return commerce.Decided(status), s.Register.MarkProspectStarted(ctx, requestID)
}

func (s *Service) show(w http.ResponseWriter, r *http.Request) {
	parsed, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "id must be a request ID (a UUID)")
		return
	}
	// IDs are stored in canonical form; uuid.Parse also takes upper case,
	// braces and the urn: prefix.
	id := parsed.String()
	// The register answers: every step keeps it current, and a workflow
	// query would cost a worker's time on the front door's hot path.
	st, err := s.fromRegister(r.Context(), id)
	if errors.Is(err, commerce.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no onboarding request with this id")
		return
	}
	if err != nil {
		s.Logger.Error("Could not read the request from the register", "requestId", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the request's state could not be read; try again")
		return
	}
	writeJSON(w, http.StatusOK, st)
}

// fromRegister is what the register knows of a request: its status,
// decision, Sales records, customers, hierarchy, the emails sent, which step
// needs attention (not why: that is for operators, in the workflow), and
// the decisions that came after it closed.
func (s *Service) fromRegister(ctx context.Context, id string) (workflows.State, error) {
	p, err := s.Register.GetProspect(ctx, id)
	if err != nil {
		return workflows.State{}, err
	}
	st := workflows.State{RequestID: p.RequestID, Status: workflows.Status(p.Status), LeadID: p.LeadID,
		OpportunityID: p.OpportunityID, Decision: workflows.Decision(p.Decision)}
	if p.Status == commerce.StatusNeedsAttention && p.AttentionStep != "" {
		st.Attention = &workflows.Attention{Step: p.AttentionStep, Since: p.AttentionSince}
	}
	emails, err := s.Register.ListSentEmails(ctx, id)
	if err != nil {
		return workflows.State{}, err
	}
	for _, e := range emails {
		st.EmailsSent = append(st.EmailsSent, workflows.EmailKind(e.Kind))
	}
	customers, err := s.Register.ListCustomersByRequest(ctx, id)
	if err != nil {
		return workflows.State{}, err
	}
	for _, c := range customers {
		switch c.Kind {
		case commerce.KindPerson:
			st.PersonCustomerID, st.ContactID = c.ID, c.SalesRecordID
		case commerce.KindOrganization:
			st.OrganizationCustomerID, st.AccountID = c.ID, c.SalesRecordID
		}
	}
	h, err := s.Register.GetHierarchyByRequest(ctx, id)
	switch {
	case err == nil:
		st.HierarchyID = h.ID
	case !errors.Is(err, commerce.ErrNotFound):
		return workflows.State{}, err
	}
	return st, s.addLateDecisions(ctx, &st)
}

// ResumeUnstarted starts the workflows of requests registered at least
// olderThan ago that are not known to run, so that a failed start (a
// Temporal outage, a starter killed between registering and starting)
// never loses a request. A request whose workflow runs is marked so; one
// whose workflow closed is brought in line and never started again.
func (s *Service) ResumeUnstarted(ctx context.Context, olderThan time.Duration) (int, error) {
	ids, err := s.Register.UnstartedProspects(ctx, time.Now().Add(-olderThan), 100)
	if err != nil {
		return 0, err
	}
	started := 0
	var errs []error
	for _, id := range ids {
		if err := s.resume(ctx, id); err != nil {
			// One request that cannot start must not hold up the others.
			errs = append(errs, fmt.Errorf("request %s: %w", id, err))
			continue
		}
		started++
	}
	return started, errors.Join(errs...)
}

func (s *Service) resume(ctx context.Context, id string) error {
	p, err := s.Register.GetProspect(ctx, id)
	if err != nil {
		return err
	}
	req := activities.RequestOf(p).Claim()
	req.Timing = s.Timing
	_, err = s.Temporal.ExecuteWorkflow(ctx, workflows.StartOptions(id), workflows.WorkflowName, req)
	var already *serviceerror.WorkflowExecutionAlreadyStarted
	if errors.As(err, &already) {
		_, err = s.settle(ctx, id)
		return err
	}
	if err != nil {
		return err
	}
	s.Logger.Info("Registered request started", "requestId", id)
	return s.Register.MarkProspectStarted(ctx, id)
}

// KeepResuming runs ResumeUnstarted at once and then every interval until
// ctx ends, for requests registered at least olderThan ago.
func (s *Service) KeepResuming(ctx context.Context, every, olderThan time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		if n, err := s.ResumeUnstarted(ctx, olderThan); err != nil {
			s.Logger.Warn("Could not resume every registered request", "resumed", n, "error", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// addLateDecisions shows the Sales decisions that arrived after the request
// was closed: the receiver recorded them instead of applying them.
func (s *Service) addLateDecisions(ctx context.Context, st *workflows.State) error {
	events, err := s.Register.ListSalesEvents(ctx, st.RequestID)
	if err != nil {
		return err
	}
	for _, e := range events {
		if e.Outcome == commerce.EventRequestClosed {
			st.IgnoredSignals = append(st.IgnoredSignals, workflows.IgnoredSignal{
				Signal: e.Signal, ID: e.RecordID, Reason: "the request was already closed", At: e.ReceivedAt})
		}
	}
	return nil
}

// decode reads the JSON body strictly: unknown fields and wrong types are
// reported with the field's name.
func decode(w http.ResponseWriter, r *http.Request, v any) []FieldError {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return []FieldError{{Field: "body", Message: "must be JSON (Content-Type: application/json)"}}
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxRequestBody))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("extra data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var typeErr *json.UnmarshalTypeError
	var maxErr *http.MaxBytesError
	switch {
	case errors.As(err, &typeErr):
		// A body that is a JSON value but no object names no field: the
		// body itself is what is wrong.
		return []FieldError{{Field: cmp.Or(typeErr.Field, "body"), Message: "must be a JSON " + jsonKind(typeErr.Type.Kind())}}
	case errors.As(err, &maxErr):
		return []FieldError{{Field: "body", Message: fmt.Sprintf("must be at most %d bytes", maxRequestBody)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		// The name is quoted Go-style; unquoted, it is the name as sent.
		quoted := strings.TrimPrefix(err.Error(), "json: unknown field ")
		field, uerr := strconv.Unquote(quoted)
		if uerr != nil {
			field = strings.Trim(quoted, `"`)
		}
		if field == "" {
			return []FieldError{{Field: "body", Message: "has a field with an empty name"}}
		}
		return []FieldError{{Field: field, Message: "is not a known field"}}
	case errors.Is(err, io.EOF):
		return []FieldError{{Field: "body", Message: "is empty"}}
	}
	return []FieldError{{Field: "body", Message: "is not valid JSON: " + err.Error()}}
}

// jsonKind names a Go kind in the words of JSON, which the B2B site speaks.
func jsonKind(k reflect.Kind) string {
	switch k {
	case reflect.Struct, reflect.Map:
		return "object"
	case reflect.Slice, reflect.Array:
		return "array"
	case reflect.Bool:
		return "boolean"
	case reflect.String:
		return "string"
	}
	return "number"
}

type problem struct {
	Error  string       `json:"error"`
	Fields []FieldError `json:"fields,omitempty"`
}

func writeInvalid(w http.ResponseWriter, errs []FieldError) {
	writeJSON(w, http.StatusBadRequest, problem{Error: "invalid onboarding request", Fields: errs})
}

func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, problem{Error: msg})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
