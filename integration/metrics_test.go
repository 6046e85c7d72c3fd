package integration

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/deploy"
	"github.com/partner-onboarding/onboarding/workflows"
)

// scrape reads a process's Prometheus metrics.
func (p *product) scrape(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %v", url, resp.StatusCode, err)
	}
	return string(b)
}

// TestMetricsAndHealth: after one approved request, the worker and the
// starter export the product's metrics beside the SDK's, and say they are
// alive and ready.
func TestMetricsAndHealth(t *testing.T) {
	p := webhookProduct.get(t)
	r := p.submit(t, "metrics")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	p.qualify(t, st.LeadID)
	st = p.awaitStatus(t, r, workflows.StatusQualified)
	if err := p.sales.WinOpportunity(context.Background(), st.OpportunityID, "won"); err != nil {
		t.Fatal(err)
	}
	p.awaitCompletion(t, r)
	p.assertEmails(t, r, "receipt", "welcome")

	urls := p.stack.URLs()
	// A sample: the metric's name and some of its labels.
	type sample struct {
		name   string
		labels []string
	}
	for process, wants := range map[string][]sample{
		urls.WorkerMetrics: {
			{"onboarding_emails_sent_total", []string{`kind="welcome"`}},
			{"onboarding_requests_decided_total", []string{`decision="OpportunityWon"`, `outcome="approved"`}},
			{"onboarding_sales_request_latency_seconds_bucket", []string{`operation="create_lead"`}},
			{"onboarding_submit_to_lead_latency_seconds_count", nil},
			{"onboarding_decision_to_email_latency_seconds_count", nil},
			{"temporal_workflow_task_schedule_to_start_latency_seconds_bucket", nil},
			{"temporal_activity_schedule_to_start_latency_seconds_bucket", nil},
		},
		urls.StarterMetrics: {
			{"onboarding_requests_received_total", nil},
			{"onboarding_webhooks_total", []string{`result="accepted"`}},
			{"onboarding_requests_in_status", []string{`status="Approved"`}},
			{"temporal_request_latency_seconds_bucket", nil},
		},
	} {
		poll(t, "the metrics of "+process, func() (bool, string) {
			body := p.scrape(t, process)
			for _, want := range wants {
				if !hasSample(body, want.name, want.labels...) {
					return false, fmt.Sprintf("missing %s%v in:\n%s", want.name, want.labels, grepLines(body, "onboarding_"))
				}
			}
			return true, ""
		})
	}

	// A request that needs attention (Sales refuses the lead) adds the
	// attention and Sales error metrics.
	p.injectFault(t, `{"kind":"fail","count":1,"method":"POST","entitySet":"leads","status":403,"code":"0x80040220"}`)
	defer p.clearFaults(t)
	stuck := p.submit(t, "metrics-attention")
	p.awaitStatus(t, stuck, workflows.StatusNeedsAttention)
	if out, err := p.starterCLI(t, "abandon", stuck.id, "-reason", "metrics test"); err != nil {
		t.Fatalf("abandon: %v\n%s", err, out)
	}
	p.awaitCompletion(t, stuck)

	// Every metric the on-call dashboard reads is one the binaries export.
	// Two SDK counters appear only once a task has failed, which no healthy
	// run does; deploy's tests check their names against the SDK.
	onlyOnFailure := map[string]bool{"temporal_activity_execution_failed_total": true, "temporal_workflow_task_execution_failed_total": true}
	names, err := deploy.DashboardMetricNames()
	if err != nil {
		t.Fatal(err)
	}
	poll(t, "every dashboard metric in the binaries' metrics", func() (bool, string) {
		exported := p.scrape(t, urls.WorkerMetrics) + p.scrape(t, urls.StarterMetrics)
		for _, name := range names {
			if !onlyOnFailure[name] && !hasSample(exported, name) {
				return false, name + " is not exported"
			}
		}
		return true, ""
	})

	for _, base := range []string{strings.TrimSuffix(urls.WorkerMetrics, "/metrics"), strings.TrimSuffix(urls.StarterMetrics, "/metrics")} {
		for path, want := range map[string]string{"/healthz": "alive", "/readyz": `"temporal":"ok"`} {
			resp, err := http.Get(base + path)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(b), want) {
				t.Errorf("GET %s%s = %d %s, want 200 with %s", base, path, resp.StatusCode, b, want)
			}
		}
	}
}

// hasSample reports whether a scrape holds a sample of the metric with
// every one of the labels.
func hasSample(scrape, name string, labels ...string) bool {
	for _, l := range strings.Split(scrape, "\n") {
		if !strings.HasPrefix(l, name+"{") && !strings.HasPrefix(l, name+" ") {
			continue
		}
		all := true
		for _, label := range labels {
			all = all && strings.Contains(l, label)
		}
		if all {
			return true
		}
	}
	return false
}

// grepLines are the lines of s that contain part.
func grepLines(s, part string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, part) {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}
