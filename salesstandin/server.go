// Package salesstandin is a development stand-in for Dynamics 365 Sales: it speaks the subset of the
// Dataverse Web API that the onboarding product uses, shows sellers a small page to qualify and
// decide leads, and fires Dataverse-format webhooks for those decisions.
//
// Tests and developers can make it misbehave as the real one can, in process or through its
// /standin/ control API: lose, repeat or hold webhooks (faults.go); hold lead creates past a
// client's timeout, throttle, or fail Web API requests with a chosen status and Dataverse code
// (apifaults.go); and change records behind the product's back, as Sales users do: merge a lead,
// delete a record, enter an opportunity by hand (admin.go).
package salesstandin

import (
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/sales/webhook"
)

// Config configures a Server.
type Config struct {
	// DataDir holds the stand-in's data, so that it survives restarts.
	DataDir string
	// WebhookURL receives the decision webhooks; empty disables them.
	WebhookURL string
	// WebhookKey is sent as the "code" query parameter, as a Dataverse WebhookKey endpoint does.
	WebhookKey string
	// ClientID and ClientSecret are the only credentials the token endpoint accepts.
	ClientID, ClientSecret string
	// ProspectIDColumn is the lead column holding the Commerce prospect ID; a lead with a value in it
	// is a Commerce B2B lead. Default "new_commerceprospectid".
	ProspectIDColumn string
	// OrganizationName is sent in webhooks. Default "standin".
	OrganizationName string
	// WebhookRetryDelay is the pause before the one retry of a webhook. Default 5s.
	WebhookRetryDelay time.Duration
	// WebhookMode is how webhooks are sent at start: deliver (default), drop, repeat or hold.
	WebhookMode WebhookMode
	// Faults are injected into the Web API at start.
	Faults []Fault
	// Logger receives one line per event. Default slog.Default().
	Logger *slog.Logger
}

// Server is the Sales stand-in.
type Server struct {
	cfg    Config
	log    *slog.Logger
	store  *store
	sets   map[string]entitySet
	tokens tokenIssuer
	ids    identities
	client *http.Client
	page   *template.Template
	now    func() time.Time

	mu         sync.Mutex // guards closed, deliveries, mode and held
	closed     bool
	deliveries []Delivery
	mode       WebhookMode
	held       []*webhook.RemoteExecutionContext
	inFlight   sync.WaitGroup

	faultMu     sync.Mutex // guards faults, heldCreates and release
	faults      []Fault
	heldCreates int
	release     chan struct{} // closed to end the current holds

	done      chan struct{} // closed by Close
	closeOnce sync.Once
}

// identities are the fixed IDs of the organization, its seller and its webhook steps, derived from
// the organization name so that they stay the same across restarts.
type identities struct {
	organization, businessUnit, user string
}

func newIdentities(org string) identities {
	id := func(kind string) string {
		return uuid.NewSHA1(uuid.NameSpaceURL, []byte("salesstandin:"+org+":"+kind)).String()
	}
	return identities{organization: id("organization"), businessUnit: id("businessunit"), user: id("user")}
}

func (i identities) step(message, entity string) string {
	return uuid.NewSHA1(uuid.MustParse(i.organization), []byte("step:"+message+":"+entity)).String()
}

// New opens the data in cfg.DataDir and returns a server ready to serve.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("sales stand-in: DataDir is required")
	}
	if cfg.ClientID == "" || cfg.ClientSecret == "" {
		return nil, errors.New("sales stand-in: ClientID and ClientSecret are required")
	}
	if cfg.ProspectIDColumn == "" {
		cfg.ProspectIDColumn = "new_commerceprospectid"
	}
	if cfg.OrganizationName == "" {
		cfg.OrganizationName = "standin"
	}
	if cfg.WebhookRetryDelay == 0 {
		cfg.WebhookRetryDelay = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.WebhookMode == "" {
		cfg.WebhookMode = WebhookDeliver
	}
	if !cfg.WebhookMode.valid() {
		return nil, fmt.Errorf("sales stand-in: webhook mode %q is none of deliver, drop, repeat, hold", cfg.WebhookMode)
	}
	st, err := openStore(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	if st.dropped > 0 {
		cfg.Logger.Warn("sales journal ended in a change that was cut short; it was left out",
			"journal", st.path, "lines", st.dropped)
	}
	page, err := parseSellerPage()
	if err != nil {
		st.close()
		return nil, err
	}
	s := &Server{
		cfg:     cfg,
		log:     cfg.Logger,
		store:   st,
		sets:    entitySets(cfg.ProspectIDColumn),
		ids:     newIdentities(cfg.OrganizationName),
		client:  &http.Client{Timeout: 60 * time.Second}, // Dataverse gives a webhook 60 seconds
		page:    page,
		now:     time.Now,
		mode:    cfg.WebhookMode,
		release: make(chan struct{}),
		done:    make(chan struct{}),
	}
	s.tokens = newTokenIssuer(cfg.ClientID, cfg.ClientSecret, func() time.Time { return s.now() })
	for _, f := range cfg.Faults {
		if err := s.InjectFault(f); err != nil {
			st.close()
			return nil, fmt.Errorf("sales stand-in: %w", err)
		}
	}
	return s, nil
}

// Handler serves the Web API, the token endpoint, the seller page and /healthz.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mux.HandleFunc("POST /{tenant}/oauth2/v2.0/token", s.handleToken)

	api := func(h http.HandlerFunc) http.HandlerFunc { return s.requireToken(s.withFaults(h)) }
	mux.HandleFunc("GET "+apiPrefix+"{target}", api(s.handleGet))
	mux.HandleFunc("POST "+apiPrefix+"{target}", api(s.handleCreate))
	mux.HandleFunc("PATCH "+apiPrefix+"{target}", api(s.handleUpdate))
	mux.HandleFunc("POST "+apiPrefix+"{target}/{action}", api(s.handleBoundAction))
	mux.HandleFunc("POST "+apiPrefix+"WinOpportunity", api(s.handleCloseOpportunity(true)))
	mux.HandleFunc("POST "+apiPrefix+"LoseOpportunity", api(s.handleCloseOpportunity(false)))

	mux.HandleFunc("GET /{$}", s.handleSellerPage)
	mux.HandleFunc("POST /seller/leads/{id}/qualify", s.handleSellerQualify)
	mux.HandleFunc("POST /seller/leads/{id}/disqualify", s.handleSellerDisqualify)
	mux.HandleFunc("POST /seller/opportunities/{id}/win", s.handleSellerClose(true))
	mux.HandleFunc("POST /seller/opportunities/{id}/lose", s.handleSellerClose(false))
	s.webhookControl(mux)
	s.faultControl(mux)
	s.adminControl(mux)
	return mux
}

// Close ends holds, waits for webhook deliveries in flight and closes the data files. Decisions
// made after Close fire no webhook, and changes are refused: they could not be written.
func (s *Server) Close() error {
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	s.closeOnce.Do(func() { close(s.done) })
	s.inFlight.Wait()
	return s.store.close()
}
