package integration

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
	commonpb "go.temporal.io/api/common/v1"
	enumspb "go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"go.temporal.io/api/proxy"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestPayloadsEncryptedInTemporal: what Temporal stores of a whole
// onboarding is ciphertext to anyone without the keys, and the keys (in the
// client, or in the codec server) read it all again.
func TestPayloadsEncryptedInTemporal(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "encrypted")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	// The workflow carries the request's claim; an operator's correction is
	// the one payload with personal data, and it is encrypted too.
	const correctedPhone = "+49 30 7654321"
	handle, err := p.temporal.UpdateWorkflow(context.Background(), client.UpdateWorkflowOptions{
		WorkflowID: workflows.WorkflowID(r.id), UpdateName: workflows.UpdateCorrectRequest,
		Args:         []any{workflows.Correction{Requester: workflows.Requester{Phone: correctedPhone}, Operator: "integration test"}},
		WaitForStage: client.WorkflowUpdateStageCompleted,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := handle.Get(context.Background(), nil); err != nil {
		t.Fatalf("correction: %v", err)
	}
	if err := p.sales.DisqualifyLead(context.Background(), st.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
		t.Fatal(err)
	}
	p.awaitCompletion(t, r)

	plain, err := p.stack.PlainClient(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	var events []*historypb.HistoryEvent
	it := plain.GetWorkflowHistory(context.Background(), workflows.WorkflowID(r.id), "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	for it.HasNext() {
		ev, err := it.Next()
		if err != nil {
			t.Fatal(err)
		}
		events = append(events, ev)
	}
	var payloads []*commonpb.Payload
	for _, ev := range events {
		for _, pl := range payloadsOf(t, ev) {
			if enc := string(pl.GetMetadata()[converter.MetadataEncoding]); enc != codec.Encoding {
				t.Errorf("event %d (%s) holds a payload with encoding %q, want %s", ev.GetEventId(), ev.GetEventType(), enc, codec.Encoding)
			}
			payloads = append(payloads, pl)
		}
	}
	if len(payloads) < 5 {
		t.Fatalf("%d payloads in %d events: the history is not the onboarding's", len(payloads), len(events))
	}
	for _, pl := range payloads {
		if bytes.Contains(pl.GetData(), []byte(r.email)) || bytes.Contains(pl.GetData(), []byte("Fabrikam")) ||
			bytes.Contains(pl.GetData(), []byte(correctedPhone)) {
			t.Fatalf("a payload holds the request's data in plain text: %s", pl.GetData())
		}
	}

	// With the keys: the client's data converter, and the codec server.
	start := events[0].GetWorkflowExecutionStartedEventAttributes().GetInput()
	var req workflows.Request
	if err := p.stack.DataConverter().FromPayloads(start, &req); err != nil || req.RequestID != r.id {
		t.Errorf("decrypted start input: request %q, %v; want %s", req.RequestID, err, r.id)
	}
	decoded := decodeOverHTTP(t, p.stack, payloads)
	var all strings.Builder
	for i, pl := range decoded {
		if enc := string(pl.GetMetadata()[converter.MetadataEncoding]); enc == codec.Encoding {
			t.Errorf("payload %d still encrypted after the codec server", i)
		}
		all.Write(pl.GetData())
	}
	for _, want := range []string{r.id, correctedPhone, string(workflows.StatusRejected)} {
		if !strings.Contains(all.String(), want) {
			t.Errorf("the decoded payloads do not hold %q", want)
		}
	}
	out, err := p.temporalCLI(t, "workflow", "show", "--workflow-id", workflows.WorkflowID(r.id), "--output", "json")
	// The CLI shows metadata in base64: "json/plain", not "binary/encrypted".
	if err != nil || !strings.Contains(out, base64.StdEncoding.EncodeToString([]byte("json/plain"))) ||
		strings.Contains(out, base64.StdEncoding.EncodeToString([]byte(codec.Encoding))) {
		t.Errorf("temporal workflow show through the codec server: %v\n%.2000s", err, out)
	}
}

// payloadsOf lists an event's payloads, search attributes aside.
func payloadsOf(t *testing.T, ev *historypb.HistoryEvent) []*commonpb.Payload {
	t.Helper()
	var out []*commonpb.Payload
	err := proxy.VisitPayloads(context.Background(), ev, proxy.VisitPayloadsOptions{
		SkipSearchAttributes: true,
		Visitor: func(_ *proxy.VisitPayloadsContext, ps []*commonpb.Payload) ([]*commonpb.Payload, error) {
			out = append(out, ps...)
			return ps, nil
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// decodeOverHTTP asks the stack's codec server to decode, as the CLI does.
func decodeOverHTTP(t *testing.T, s *stack.Stack, payloads []*commonpb.Payload) []*commonpb.Payload {
	t.Helper()
	body, err := protojson.Marshal(&commonpb.Payloads{Payloads: payloads})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest(http.MethodPost, s.CodecEndpoint()+"/decode", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Namespace", stack.Namespace)
	req.Header.Set("Authorization", s.CodecAuth())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("POST /decode: %s %s", resp.Status, out)
	}
	var decoded commonpb.Payloads
	if err := protojson.Unmarshal(out, &decoded); err != nil {
		t.Fatal(err)
	}
	return decoded.Payloads
}

// TestWebUIShowsDecodedPayloads: an operator opens a finished request's
// workflow in the Temporal Web UI, which decodes its payloads through the
// codec server, and reads the request's ID and status in its result.
func TestWebUIShowsDecodedPayloads(t *testing.T) {
	browser := chromium(t)
	p := webUIProduct.get(t)
	r := p.submit(t, "webui-codec")
	p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	if out, err := p.starterCLI(t, "abandon", r.id, "-reason", "read in the Web UI"); err != nil {
		t.Fatalf("abandon: %v\n%s", err, out)
	}
	p.awaitCompletion(t, r)

	ctx, cancel := browserContext(t, browser)
	defer cancel()
	page := p.stack.URLs().TemporalUI + "namespaces/" + stack.Namespace + "/workflows/" + workflows.WorkflowID(r.id)
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(1440, 2400), chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	// The result as the UI shows it once decoded: the State's JSON.
	wants := []string{`"id": "` + r.id + `"`, `"status": "` + string(workflows.StatusRejected) + `"`}
	poll(t, "the Web UI to show the decoded result", func() (bool, string) {
		text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
		if err != nil {
			return false, err.Error()
		}
		for _, w := range wants {
			if !strings.Contains(text, w) {
				return false, fmt.Sprintf("no %s in %.3000s", w, text)
			}
		}
		if strings.Contains(text, codec.Encoding) {
			return false, "the page shows encrypted payloads"
		}
		return true, ""
	})
}
