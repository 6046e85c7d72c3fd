package saleshooks_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unicode/utf8"

	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"

	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

// seedBodies adds every recorded webhook body to the corpus.
func seedBodies(f *testing.F, add func(body []byte)) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil || len(files) == 0 {
		f.Fatalf("no webhook bodies in testdata: %v", err)
	}
	for _, name := range files {
		body, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		add(body)
	}
}

const emptyGUID = "00000000-0000-0000-0000-000000000000"

// FuzzInterpret interprets any body that decodes. It never panics, gives
// the same answer twice, and a decision it finds is one of the four signals
// with the record that signal is about; no decision is the zero Decision.
func FuzzInterpret(f *testing.F) {
	seedBodies(f, func(body []byte) {
		f.Add(body, "")
		f.Add(body, "new_commerceprospectid")
	})

	f.Fuzz(func(t *testing.T, body []byte, prospectIDColumn string) {
		c, err := webhook.Decode(body)
		if err != nil {
			return
		}
		d, ok := saleshooks.Interpret(c, prospectIDColumn)
		if again, okAgain := saleshooks.Interpret(c, prospectIDColumn); again != d || okAgain != ok {
			t.Fatalf("interpreted twice: %+v %v, then %+v %v", d, ok, again, okAgain)
		}
		if !ok {
			if d != (saleshooks.Decision{}) {
				t.Fatalf("no decision, yet %+v", d)
			}
			return
		}
		switch d.Signal {
		case workflows.SignalLeadQualified, workflows.SignalLeadDisqualified:
			if d.LeadID == "" {
				t.Fatalf("lead decision without a lead: %+v", d)
			}
		case workflows.SignalOpportunityWon, workflows.SignalOpportunityLost:
			if d.OpportunityID == "" {
				t.Fatalf("opportunity decision without an opportunity: %+v", d)
			}
		default:
			t.Fatalf("decision with signal %q", d.Signal)
		}
		for _, id := range []string{d.LeadID, d.OpportunityID, d.ContactID, d.AccountID} {
			if id == emptyGUID {
				t.Fatalf("decision names the empty GUID as a record: %+v", d)
			}
		}
		if want := c.RequestId; want == "" && d.EventID != c.OperationId || want != "" && d.EventID != want {
			t.Fatalf("event ID %q; RequestId %q, OperationId %q", d.EventID, c.RequestId, c.OperationId)
		}
	})
}

// maxIDLength is Temporal's default limit.maxIDLength: the server refuses
// a workflow ID longer than this for good, whatever the retries.
const maxIDLength = 1000

// boundedStarter is the fake starter held to the limits the Temporal
// server enforces on a start, so that a start the server would refuse for
// good does not pass for accepted here.
type boundedStarter struct{ *fakeStarter }

func (b boundedStarter) ExecuteWorkflow(ctx context.Context, opts client.StartWorkflowOptions, wf any, args ...any) (client.WorkflowRun, error) {
	if len(opts.ID) > maxIDLength || !utf8.ValidString(opts.ID) {
		return nil, serviceerror.NewInvalidArgument("WorkflowId exceeds length limit or is not valid UTF-8.")
	}
	return b.fakeStarter.ExecuteWorkflow(ctx, opts, wf, args...)
}

// FuzzReceiver posts any body with a valid key to the real receiver, on a
// register that knows the recorded bodies' request and a Temporal that is
// up. Every answer is 2xx or 4xx: with both healthy, nothing Dataverse
// can send earns a 5xx, which it would retry in vain. A body that does not
// decode is refused; one with a decision is answered 200 once the decision
// is signalled or handed to exactly one SalesEvent workflow; one without is
// answered 200 and starts nothing.
func FuzzReceiver(f *testing.F) {
	seedBodies(f, func(body []byte) { f.Add(body) })
	f.Add([]byte("\xef\xbb\xbf{}"))
	f.Add([]byte(`{"MessageName": "Win"`))

	store := register(f, true)

	f.Fuzz(func(t *testing.T, body []byte) {
		starter := newStarter()
		rc := &saleshooks.Receiver{Temporal: boundedStarter{starter}, Requests: store,
			Auth: saleshooks.Auth{Keys: []string{hookKey}}, Logger: quiet}
		mux := http.NewServeMux()
		rc.Routes(mux)
		req := httptest.NewRequest(http.MethodPost, "/v1/hooks/dataverse?code="+hookKey, strings.NewReader(string(body)))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, req)

		code := rec.Code
		if code < 200 || code >= 300 && code < 400 || code >= 500 {
			t.Fatalf("answer %d %s", code, rec.Body.Bytes())
		}
		var a map[string]string
		if err := json.Unmarshal(rec.Body.Bytes(), &a); err != nil || a["result"] == "" {
			t.Fatalf("answer %d is not the receiver's JSON: %s", code, rec.Body.Bytes())
		}

		starts, signals := starter.all(), starter.allSignals()
		c, err := webhook.Decode(body)
		if err != nil {
			if code != http.StatusBadRequest || len(starts)+len(signals) != 0 {
				t.Fatalf("body that does not decode: answer %d, starts %+v, signals %+v", code, starts, signals)
			}
			return
		}
		d, ok := saleshooks.Interpret(c, "")
		if ok && longID(d.LeadID, d.OpportunityID, d.ContactID, d.AccountID, d.EventID, c.CorrelationId) {
			// No Dataverse ID is that long: refused, for good.
			if code != http.StatusBadRequest || len(starts)+len(signals) != 0 {
				t.Fatalf("decision with an overlong ID: answer %d, starts %+v, signals %+v", code, starts, signals)
			}
			return
		}
		if code != http.StatusOK {
			t.Fatalf("decoded body answered %d %s", code, rec.Body.Bytes())
		}
		if !ok {
			if len(starts)+len(signals) != 0 {
				t.Fatalf("body without a decision: starts %+v, signals %+v", starts, signals)
			}
			return
		}
		switch {
		case len(starts) == 1 && len(signals) == 0:
			ev := starts[0].Event
			if ev.Signal != d.Signal || ev.LeadID != d.LeadID || ev.OpportunityID != d.OpportunityID ||
				ev.EventID == "" || starts[0].WorkflowID != workflows.SalesEventStartOptions(ev).ID {
				t.Fatalf("decision %+v handed over as %+v", d, starts[0])
			}
		case len(starts) == 0 && len(signals) == 1:
			s := signals[0]
			if s.Name != d.Signal || s.RequestID == "" || s.WorkflowID != workflows.WorkflowID(fileRequest) ||
				reflect.TypeOf(s.Payload) != reflect.TypeOf(workflows.SignalPayload(workflows.ResolvedSalesEvent{
					SalesEvent: workflows.SalesEvent{Signal: d.Signal}})) {
				t.Fatalf("decision %+v signalled as %+v", d, s)
			}
		default:
			t.Fatalf("decision %+v: starts %+v, signals %+v; want one of either", d, starts, signals)
		}
	})
}

func longID(ids ...string) bool {
	for _, id := range ids {
		if len(id) > saleshooks.MaxIDLength {
			return true
		}
	}
	return false
}
