package saleshooks_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/workflows"
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

type start struct {
	WorkflowID string
	Event      workflows.SalesEvent
}

// fakeStarter records the SalesEvent workflows the receiver starts; like
// Temporal, it refuses a second start of one workflow ID.
type fakeStarter struct {
	mu        sync.Mutex
	err       error
	starts    []start
	ids       map[string]bool
	got       chan struct{}
	signalErr error
	signals   []signal
}

// signal is one signal the receiver sent a workflow directly.
type signal struct {
	WorkflowID, Name, RequestID string
	Payload                     any
}

func (f *fakeStarter) SignalOnce(_ context.Context, workflowID, name, requestID string, arg any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.signalErr != nil {
		return f.signalErr
	}
	if requestID == "" {
		return fmt.Errorf("signal %s without a request ID", name)
	}
	f.signals = append(f.signals, signal{WorkflowID: workflowID, Name: name, RequestID: requestID, Payload: arg})
	return nil
}

func (f *fakeStarter) allSignals() []signal {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]signal(nil), f.signals...)
}

func newStarter() *fakeStarter {
	return &fakeStarter{ids: map[string]bool{}, got: make(chan struct{}, 16)}
}

func (f *fakeStarter) ExecuteWorkflow(_ context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	if wf != workflows.SalesEventWorkflowName || len(args) != 1 || opts.TaskQueue != workflows.TaskQueue {
		return nil, fmt.Errorf("unexpected start of %v with %d arguments on %q", wf, len(args), opts.TaskQueue)
	}
	if f.ids[opts.ID] {
		return nil, serviceerror.NewWorkflowExecutionAlreadyStarted("workflow execution already started", "", "")
	}
	f.ids[opts.ID] = true
	f.starts = append(f.starts, start{WorkflowID: opts.ID, Event: args[0].(workflows.SalesEvent)})
	f.got <- struct{}{}
	return nil, nil
}

func (f *fakeStarter) all() []start {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]start(nil), f.starts...)
}
