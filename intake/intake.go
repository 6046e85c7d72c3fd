// Package intake is the front door for the B2B site: it takes onboarding
// requests over HTTP, registers them, starts their workflows and answers
// their state.
package intake

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/google/uuid"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/workflows"
)

const maxRequestBody = 64 << 10

// FieldError names one invalid field of a request.
type FieldError = workflows.FieldError

// Register is the part of the Commerce prospect register the intake uses.
type Register interface {
	ReserveRequest(ctx context.Context, p commerce.Prospect) (requestID string, created bool, err error)
	GetProspect(ctx context.Context, requestID string) (commerce.Prospect, error)
	ListSalesEvents(ctx context.Context, requestID string) ([]commerce.SalesEvent, error)
	ProspectsInStatus(ctx context.Context, status string, before time.Time, limit int) ([]string, error)
}

// Service answers the intake endpoints.
type Service struct {
	Temporal client.Client
	Register Register
	// SalesCheckInterval is passed to each new workflow; zero means its default.
	SalesCheckInterval time.Duration
	Logger             *slog.Logger
}

// Routes adds the intake endpoints to mux.
func (s *Service) Routes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/onboarding-requests", s.submit)
	mux.HandleFunc("GET /v1/onboarding-requests/{id}", s.show)
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
	id, created, err := s.Register.ReserveRequest(r.Context(), p)
	if err != nil {
		s.Logger.Error("Could not register request", "error", err)
		writeError(w, http.StatusServiceUnavailable, "the request could not be registered; try again")
		return
	}
	status := workflows.StatusReceived
	if !created {
		// The pending request is started again: if its first start failed,
		// this heals it; otherwise the start finds the running workflow.
		pending, err := s.Register.GetProspect(r.Context(), id)
		if err != nil {
			s.Logger.Error("Could not read pending request", "requestId", id, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the request could not be read; try again")
			return
		}
		req, status = RequestOf(pending), workflows.Status(pending.Status)
	}
	req.SalesCheckInterval = s.SalesCheckInterval
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

func (s *Service) show(w http.ResponseWriter, r *http.Request) {
	parsed, err := uuid.Parse(r.PathValue("id"))
	if err != nil {
		writeError(w, http.StatusBadRequest, "id must be a request ID (a UUID)")
		return
	}
	// IDs are stored in canonical form; uuid.Parse also takes upper case,
	// braces and the urn: prefix.
	id := parsed.String()
	// A query needs a worker; without one it would wait, so it is bounded
	// and the prospect register answers instead.
	qctx, cancel := context.WithTimeout(r.Context(), queryTimeout)
	defer cancel()
	resp, err := s.Temporal.QueryWorkflow(qctx, workflows.WorkflowID(id), "", workflows.QueryState)
	if err == nil {
		var st workflows.State
		if err := resp.Get(&st); err != nil {
			writeError(w, http.StatusInternalServerError, "the request's state could not be read")
			return
		}
		if err := s.addLateDecisions(r.Context(), &st); err != nil {
			s.Logger.Error("Could not read the request's Sales events", "requestId", id, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the request's state could not be read; try again")
			return
		}
		writeJSON(w, http.StatusOK, st)
		return
	}
	var notFound *serviceerror.NotFound
	if !errors.As(err, &notFound) {
		s.Logger.Warn("Could not query request; answering from the prospect register", "requestId", id, "error", err)
	}
	// Registered, but its workflow has not started (yet), or cannot be asked.
	p, err := s.Register.GetProspect(r.Context(), id)
	if errors.Is(err, commerce.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no onboarding request with this id")
		return
	}
	if err != nil {
		writeError(w, http.StatusServiceUnavailable, "the request's state could not be read; try again")
		return
	}
	writeJSON(w, http.StatusOK, workflows.State{RequestID: p.RequestID, Status: workflows.Status(p.Status), LeadID: p.LeadID})
}

// queryTimeout bounds the state query of one GET.
const queryTimeout = 5 * time.Second

// ResumeUnstarted starts the workflows of requests registered at least
// olderThan ago whose start failed and was not sent again: a failed start
// never loses a request. A request whose workflow runs or ran is left alone.
func (s *Service) ResumeUnstarted(ctx context.Context, olderThan time.Duration) (int, error) {
	ids, err := s.Register.ProspectsInStatus(ctx, commerce.StatusReceived, time.Now().Add(-olderThan), 100)
	if err != nil {
		return 0, err
	}
	started := 0
	for _, id := range ids {
		p, err := s.Register.GetProspect(ctx, id)
		if err != nil {
			return started, err
		}
		req := RequestOf(p)
		req.SalesCheckInterval = s.SalesCheckInterval
		if err := s.start(ctx, req); err != nil {
			return started, fmt.Errorf("start request %s: %w", id, err)
		}
		started++
	}
	return started, nil
}

// KeepResuming runs ResumeUnstarted every interval until ctx ends.
func (s *Service) KeepResuming(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if n, err := s.ResumeUnstarted(ctx, every); err != nil {
			s.Logger.Warn("Could not resume registered requests", "resumed", n, "error", err)
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

// RequestOf rebuilds a request from its entry in the prospect register.
func RequestOf(p commerce.Prospect) workflows.Request {
	return workflows.Request{
		RequestID: p.RequestID,
		Company: workflows.Company{Name: p.CompanyName, TaxID: p.TaxID, Address: workflows.Address{
			Street: p.Street, City: p.City, PostalCode: p.PostalCode, CountryCode: p.CountryCode}},
		Requester: workflows.Requester{FirstName: p.FirstName, LastName: p.LastName, Email: p.Email,
			Phone: p.Phone, JobTitle: p.JobTitle},
		Locale:     p.Locale,
		Comments:   p.Comments,
		ReceivedAt: p.CreatedAt,
	}
}

// decode reads the JSON body strictly: unknown fields and wrong types are
// reported with the field's name.
func decode(w http.ResponseWriter, r *http.Request, v any) []FieldError {
	if ct := r.Header.Get("Content-Type"); ct != "" && !strings.HasPrefix(ct, "application/json") {
		return []FieldError{{"body", "must be JSON (Content-Type: application/json)"}}
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
		return []FieldError{{typeErr.Field, "must be a JSON " + jsonKind(typeErr.Type.Kind())}}
	case errors.As(err, &maxErr):
		return []FieldError{{"body", fmt.Sprintf("must be at most %d bytes", maxRequestBody)}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return []FieldError{{field, "is not a known field"}}
	case errors.Is(err, io.EOF):
		return []FieldError{{"body", "is empty"}}
	}
	return []FieldError{{"body", "is not valid JSON: " + err.Error()}}
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
