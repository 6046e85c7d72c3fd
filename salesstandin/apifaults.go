package salesstandin

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// FaultKind is what an injected fault does to the Web API.
type FaultKind string

const (
	// FaultHold keeps lead creates for Delay before committing them, as a slow Dataverse does: a
	// client that gives up first finds, later, that its lead was made after all.
	FaultHold FaultKind = "hold"
	// FaultThrottle answers 429 with Retry-After and a Dataverse error, as the service protection
	// limits do (https://learn.microsoft.com/power-apps/developer/data-platform/api-limits).
	FaultThrottle FaultKind = "throttle"
	// FaultFail answers with Status and a Dataverse error Code, such as 500 with 0x80040333 or 401.
	FaultFail FaultKind = "fail"
)

// Fault is one misbehaviour of the Web API, applied to the next Count requests it matches. Faults
// never touch /healthz, the token endpoint, the seller page or the /standin/ control API.
type Fault struct {
	Kind  FaultKind
	Count int
	// Method and EntitySet narrow a throttle or a failure to one HTTP method and one entity set
	// ("leads") or unbound action ("WinOpportunity"); empty matches any. A hold applies to lead
	// creates only.
	Method    string
	EntitySet string
	// Delay is how long a hold keeps each create, unless ReleaseHeldCreates ends it sooner.
	Delay time.Duration
	// RetryAfter is the wait a throttle asks for, sent in whole seconds. Default 1s.
	RetryAfter time.Duration
	// Status is the HTTP status a failure answers with.
	Status int
	// Code and Message make the Dataverse error body. They default to the service protection code
	// 0x80072322 for a throttle and to 0x80040216 (UnExpected) for a failure.
	Code    string
	Message string
}

// faultJSON is a Fault in the control API, with durations such as "30s".
type faultJSON struct {
	Kind       FaultKind `json:"kind"`
	Count      int       `json:"count"`
	Method     string    `json:"method,omitempty"`
	EntitySet  string    `json:"entitySet,omitempty"`
	Delay      string    `json:"delay,omitempty"`
	RetryAfter string    `json:"retryAfter,omitempty"`
	Status     int       `json:"status,omitempty"`
	Code       string    `json:"code,omitempty"`
	Message    string    `json:"message,omitempty"`
}

func (f Fault) MarshalJSON() ([]byte, error) {
	w := faultJSON{Kind: f.Kind, Count: f.Count, Method: f.Method, EntitySet: f.EntitySet,
		Status: f.Status, Code: f.Code, Message: f.Message}
	if f.Delay != 0 {
		w.Delay = f.Delay.String()
	}
	if f.RetryAfter != 0 {
		w.RetryAfter = f.RetryAfter.String()
	}
	return json.Marshal(w)
}

func (f *Fault) UnmarshalJSON(b []byte) error {
	var w faultJSON
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return err
	}
	*f = Fault{Kind: w.Kind, Count: w.Count, Method: w.Method, EntitySet: w.EntitySet,
		Status: w.Status, Code: w.Code, Message: w.Message}
	var err error
	if w.Delay != "" {
		if f.Delay, err = time.ParseDuration(w.Delay); err != nil {
			return fmt.Errorf("delay %q is not a duration such as 30s", w.Delay)
		}
	}
	if w.RetryAfter != "" {
		if f.RetryAfter, err = time.ParseDuration(w.RetryAfter); err != nil {
			return fmt.Errorf("retryAfter %q is not a duration such as 7s", w.RetryAfter)
		}
	}
	return nil
}

// ParseFaults reads faults as the control API and STANDIN_FAULTS take them: one JSON object or an
// array of them.
func ParseFaults(data []byte) ([]Fault, error) {
	data = bytes.TrimSpace(data)
	if len(data) > 0 && data[0] == '{' {
		data = append(append([]byte{'['}, data...), ']')
	}
	var faults []Fault
	if err := json.Unmarshal(data, &faults); err != nil {
		return nil, fmt.Errorf("faults: %w", err)
	}
	return faults, nil
}

// withDefaults checks f and fills what it leaves out.
func (f Fault) withDefaults() (Fault, error) {
	if f.Count < 1 {
		return f, errors.New("count must be at least 1")
	}
	switch f.Kind {
	case FaultHold:
		if f.Delay <= 0 {
			return f, errors.New("a hold needs a positive delay")
		}
	case FaultThrottle:
		f.Status = http.StatusTooManyRequests
		if f.RetryAfter <= 0 {
			f.RetryAfter = time.Second
		}
		if f.Code == "" {
			// ThrottlingBurstRequestLimitExceededError, with the limits Microsoft documents.
			f.Code = "0x80072322"
			f.Message = "Number of requests exceeded the limit of 6000 over time window of 300 seconds."
		}
	case FaultFail:
		if f.Status < 400 || f.Status > 599 {
			return f, fmt.Errorf("status %d is not an error status (400 to 599)", f.Status)
		}
		if f.Code == "" {
			f.Code = codeUnexpected
		}
	default:
		return f, fmt.Errorf("kind %q is none of hold, throttle, fail", f.Kind)
	}
	if f.Message == "" && f.Kind != FaultHold {
		f.Message = "Fault injected by the Sales stand-in."
	}
	return f, nil
}

func (f Fault) matches(method, entitySet string) bool {
	return f.Kind != FaultHold && (f.Method == "" || strings.EqualFold(f.Method, method)) &&
		(f.EntitySet == "" || f.EntitySet == entitySet)
}

// FaultStatus is what the stand-in still has in store: faults not yet used up, and lead creates
// being held right now.
type FaultStatus struct {
	Pending     []Fault `json:"pending"`
	HeldCreates int     `json:"heldCreates"`
}

// InjectFault adds a fault after those already pending.
func (s *Server) InjectFault(f Fault) error {
	f, err := f.withDefaults()
	if err != nil {
		return fmt.Errorf("fault: %w", err)
	}
	s.faultMu.Lock()
	s.faults = append(s.faults, f)
	s.faultMu.Unlock()
	s.log.Info("fault injected", "kind", f.Kind, "count", f.Count, "method", f.Method, "entity_set", f.EntitySet)
	return nil
}

// HoldLeadCreates holds each of the next n lead creates for d before committing it.
func (s *Server) HoldLeadCreates(n int, d time.Duration) error {
	return s.InjectFault(Fault{Kind: FaultHold, Count: n, Delay: d})
}

// ReleaseHeldCreates ends the holds now: the held creates commit and answer. It returns how many
// were held.
func (s *Server) ReleaseHeldCreates() int {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	close(s.release)
	s.release = make(chan struct{})
	return s.heldCreates
}

// ClearFaults drops the pending faults and releases the held creates.
func (s *Server) ClearFaults() {
	s.faultMu.Lock()
	s.faults = nil
	s.faultMu.Unlock()
	s.ReleaseHeldCreates()
	s.log.Info("faults cleared")
}

// Faults reports the pending faults and the creates held now, so that a test can poll for a held
// create to have committed.
func (s *Server) Faults() FaultStatus {
	s.faultMu.Lock()
	defer s.faultMu.Unlock()
	return FaultStatus{Pending: append([]Fault{}, s.faults...), HeldCreates: s.heldCreates}
}

// takeFault uses up one request of the first pending fault that keep accepts.
func (s *Server) takeFault(keep func(Fault) bool) (Fault, bool) {
	for i, f := range s.faults {
		if !keep(f) {
			continue
		}
		s.faults[i].Count--
		if s.faults[i].Count == 0 {
			s.faults = append(s.faults[:i], s.faults[i+1:]...)
		}
		return f, true
	}
	return Fault{}, false
}

// withFaults answers a Web API request with the first pending throttle or failure that matches it,
// or passes it on.
func (s *Server) withFaults(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		set := strings.TrimPrefix(r.URL.Path, apiPrefix)
		if i := strings.IndexAny(set, "(/"); i >= 0 {
			set = set[:i]
		}
		s.faultMu.Lock()
		f, ok := s.takeFault(func(f Fault) bool { return f.matches(r.Method, set) })
		s.faultMu.Unlock()
		if !ok {
			next(w, r)
			return
		}
		s.log.Warn("request failed on purpose", "kind", f.Kind, "method", r.Method, "entity_set", set, "status", f.Status)
		if f.Kind == FaultThrottle {
			w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(f.RetryAfter.Seconds()))))
		}
		writeError(w, &apiError{f.Status, f.Code, f.Message})
	}
}

// holdLeadCreate keeps a lead create while a hold fault asks for it. The returned func must be called
// once the create has committed (or failed).
func (s *Server) holdLeadCreate() (done func()) {
	s.faultMu.Lock()
	f, ok := s.takeFault(func(f Fault) bool { return f.Kind == FaultHold })
	if !ok {
		s.faultMu.Unlock()
		return func() {}
	}
	s.heldCreates++
	release := s.release
	s.faultMu.Unlock()

	s.log.Warn("lead create held on purpose", "delay", f.Delay)
	timer := time.NewTimer(f.Delay)
	defer timer.Stop()
	select {
	case <-timer.C:
	case <-release:
	case <-s.done:
	}
	return func() {
		s.faultMu.Lock()
		s.heldCreates--
		s.faultMu.Unlock()
	}
}

// faultControl is the stand-in's own API for Web API faults, for tests and for trying the product's
// resilience by hand:
//
//	GET    /standin/faults           {"pending":[...],"heldCreates":0}
//	POST   /standin/faults           one fault or an array of them:
//	                                 {"kind":"hold","count":1,"delay":"30s"}
//	                                 {"kind":"throttle","count":3,"retryAfter":"7s","method":"POST","entitySet":"leads"}
//	                                 {"kind":"fail","count":1,"status":500,"code":"0x80040333","message":"..."}
//	DELETE /standin/faults           drop the pending faults and release held creates
//	POST   /standin/faults/release   end the holds now: held creates commit and answer
func (s *Server) faultControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /standin/faults", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /standin/faults", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
		if err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		faults, err := ParseFaults(body)
		for _, f := range faults {
			if err != nil {
				break
			}
			_, err = f.withDefaults() // all or none
		}
		if err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		for _, f := range faults {
			_ = s.InjectFault(f) // checked above
		}
		writeControl(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("DELETE /standin/faults", func(w http.ResponseWriter, r *http.Request) {
		s.ClearFaults()
		writeControl(w, http.StatusOK, s.Faults())
	})
	mux.HandleFunc("POST /standin/faults/release", func(w http.ResponseWriter, r *http.Request) {
		writeControl(w, http.StatusOK, map[string]any{"released": s.ReleaseHeldCreates()})
	})
}
