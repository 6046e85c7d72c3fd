package saleshooks_test

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
)

// The IDs the files under testdata use; receiver tests swap them for the
// IDs the stand-in gave its records.
const (
	fileLead     = "3f2c6a1e-8b7d-4c59-a0e4-1b2c3d4e5f60"
	fileOpp      = "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d"
	fileContact  = "7c8d9e0f-1a2b-4c3d-9e4f-5a6b7c8d9e0f"
	fileAccount  = "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b"
	fileProspect = "d1b0c7a2-4e3f-4a5b-9c6d-7e8f9a0b1c2d"
)

const (
	standinClientID     = "onboarding-worker"
	standinClientSecret = "local-secret"
)

var quiet = slog.New(slog.DiscardHandler)

func readBody(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// bodyWith reads a testdata body with its IDs replaced, old then new.
func bodyWith(t *testing.T, name string, oldNew ...string) []byte {
	t.Helper()
	return []byte(strings.NewReplacer(oldNew...).Replace(string(readBody(t, name))))
}

// standin runs the Sales stand-in in-process and returns it with a client of it.
func standin(t *testing.T, webhookURL, webhookKey string) (*salesstandin.Server, *httptest.Server, *sales.Client) {
	t.Helper()
	srv, err := salesstandin.New(salesstandin.Config{DataDir: t.TempDir(), ClientID: standinClientID,
		ClientSecret: standinClientSecret, WebhookURL: webhookURL, WebhookKey: webhookKey, Logger: quiet})
	if err != nil {
		t.Fatalf("stand-in: %v", err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { ts.Close(); srv.Close() })
	return srv, ts, salesClient(t, ts.URL)
}

func salesClient(t *testing.T, url string) *sales.Client {
	t.Helper()
	c, err := sales.New(sales.Config{EnvironmentURL: url, TokenURL: url + "/local/oauth2/v2.0/token",
		ClientID: standinClientID, ClientSecret: standinClientSecret})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newLead creates a lead in Sales; an empty prospect makes a lead that is not a Commerce B2B lead.
func newLead(t *testing.T, c *sales.Client, prospect string) string {
	t.Helper()
	id, err := c.CreateLead(context.Background(), sales.Lead{ProspectID: prospect, Subject: "Partner sign-up",
		FirstName: "Mia", LastName: "Jansen", Email: "mia.jansen@contoso.example", CompanyName: "Contoso Supplies",
		Street: "Coolsingel 40", City: "Rotterdam", PostalCode: "3011 AD", Country: "NL"})
	if err != nil {
		t.Fatalf("create lead: %v", err)
	}
	return id
}

// countingResolver counts the Sales look-ups the receiver makes.
type countingResolver struct {
	sales *sales.Client
	calls atomic.Int32
}

func (r *countingResolver) GetLead(ctx context.Context, id string) (sales.Lead, error) {
	r.calls.Add(1)
	return r.sales.GetLead(ctx, id)
}

func (r *countingResolver) GetOpportunity(ctx context.Context, id string) (sales.Opportunity, error) {
	r.calls.Add(1)
	return r.sales.GetOpportunity(ctx, id)
}

type signal struct {
	WorkflowID, RunID, Name string
	Arg                     any
}

// fakeSignaler records signals and answers err for each.
type fakeSignaler struct {
	mu      sync.Mutex
	err     error
	signals []signal
	got     chan struct{}
}

func newSignaler() *fakeSignaler { return &fakeSignaler{got: make(chan struct{}, 16)} }

func (f *fakeSignaler) SignalWorkflow(_ context.Context, workflowID, runID, name string, arg any) error {
	f.mu.Lock()
	f.signals = append(f.signals, signal{workflowID, runID, name, arg})
	err := f.err
	f.mu.Unlock()
	f.got <- struct{}{}
	return err
}

func (f *fakeSignaler) all() []signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signal(nil), f.signals...)
}

func (f *fakeSignaler) reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.signals = nil
}
