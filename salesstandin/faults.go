package salesstandin

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"

	"github.com/partner-onboarding/onboarding/sales/webhook"
)

// WebhookMode tells the stand-in to misbehave on purpose, as a real webhook
// path can: so that tests and developers see the product cope.
type WebhookMode string

const (
	// WebhookDeliver sends each webhook once (and retries as Dataverse does).
	WebhookDeliver WebhookMode = "deliver"
	// WebhookDrop loses every webhook.
	WebhookDrop WebhookMode = "drop"
	// WebhookRepeat sends every webhook twice, the same body both times.
	WebhookRepeat WebhookMode = "repeat"
	// WebhookHold keeps webhooks back until they are released, in any order.
	WebhookHold WebhookMode = "hold"
)

func (m WebhookMode) valid() bool {
	return slices.Contains([]WebhookMode{WebhookDeliver, WebhookDrop, WebhookRepeat, WebhookHold}, m)
}

// SetWebhookMode changes how the following decisions' webhooks are sent.
func (s *Server) SetWebhookMode(m WebhookMode) error {
	if !m.valid() {
		return fmt.Errorf("webhook mode %q is none of deliver, drop, repeat, hold", m)
	}
	s.mu.Lock()
	s.mode = m
	s.mu.Unlock()
	s.log.Info("webhook mode set", "mode", m)
	return nil
}

// ReleaseWebhooks sends the held webhooks one after another, newest first
// when reverse is set, and returns how many it sent.
func (s *Server) ReleaseWebhooks(reverse bool) int {
	s.mu.Lock()
	held := s.held
	s.held = nil
	if s.closed || len(held) == 0 {
		s.mu.Unlock()
		return 0
	}
	s.inFlight.Add(1)
	s.mu.Unlock()
	if reverse {
		slices.Reverse(held)
	}
	go func() {
		defer s.inFlight.Done()
		for _, h := range held {
			s.record(s.deliver(h))
		}
	}()
	return len(held)
}

// webhookControl is the stand-in's own API for the modes, for tests and
// for trying the product's resilience by hand:
//
//	GET  /standin/webhooks                 mode, number held, deliveries so far
//	PUT  /standin/webhooks/mode            {"mode":"hold"}
//	POST /standin/webhooks/release         ?order=reverse to send the newest first
func (s *Server) webhookControl(mux *http.ServeMux) {
	mux.HandleFunc("GET /standin/webhooks", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		state := map[string]any{"mode": s.mode, "held": len(s.held), "deliveries": append([]Delivery{}, s.deliveries...)}
		s.mu.Unlock()
		writeControl(w, http.StatusOK, state)
	})
	mux.HandleFunc("PUT /standin/webhooks/mode", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Mode WebhookMode `json:"mode"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&body); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": "body must be {\"mode\":\"...\"}"})
			return
		}
		if err := s.SetWebhookMode(body.Mode); err != nil {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
			return
		}
		writeControl(w, http.StatusOK, map[string]any{"mode": body.Mode})
	})
	mux.HandleFunc("POST /standin/webhooks/release", func(w http.ResponseWriter, r *http.Request) {
		n := s.ReleaseWebhooks(r.URL.Query().Get("order") == "reverse")
		writeControl(w, http.StatusOK, map[string]any{"released": n})
	})
}

// dispatch applies the mode to one webhook. It is called with s.mu held.
func (s *Server) dispatch(h *webhook.RemoteExecutionContext) (send int) {
	switch s.mode {
	case WebhookDrop:
		s.deliveries = append(s.deliveries, Delivery{MessageName: h.MessageName, EntityName: h.PrimaryEntityName,
			EntityID: h.PrimaryEntityId, CorrelationID: h.CorrelationId, Dropped: true})
		s.log.Warn("webhook dropped on purpose", "message", h.MessageName, "entity", h.PrimaryEntityName, "id", h.PrimaryEntityId)
		return 0
	case WebhookHold:
		s.held = append(s.held, h)
		s.log.Info("webhook held", "message", h.MessageName, "entity", h.PrimaryEntityName, "id", h.PrimaryEntityId)
		return 0
	case WebhookRepeat:
		return 2
	}
	return 1
}

func (s *Server) record(d Delivery) {
	s.mu.Lock()
	s.deliveries = append(s.deliveries, d)
	s.mu.Unlock()
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
