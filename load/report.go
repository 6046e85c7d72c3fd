package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	sdklog "go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// print writes the throughput, the latency table and the outcomes.
func (r result) print(w io.Writer) {
	completed := 0
	for _, s := range r.samples {
		if s.completed {
			completed++
		}
	}
	fmt.Fprintf(w, "\nwall time %s, %d of %d completed, %.2f requests/s\n\n",
		r.wall.Round(time.Millisecond), completed, len(r.samples), float64(completed)/r.wall.Seconds())

	const row = "%-33s %5s %7s %7s %7s %7s\n"
	fmt.Fprintf(w, row, "latency (ms)", "n", "p50", "p95", "p99", "max")
	for _, m := range []struct {
		name string
		of   func(*sample) time.Duration
	}{
		{"intake POST", func(s *sample) time.Duration { return s.intakePOST }},
		{"submit -> AwaitingQualification", func(s *sample) time.Duration { return s.toAwaiting }},
		{"seller's Sales API calls", func(s *sample) time.Duration { return s.sellerCalls }},
		{"decision -> final status", func(s *sample) time.Duration { return s.decisionDone }},
		{"whole request", func(s *sample) time.Duration { return s.whole }},
	} {
		var ds []time.Duration
		for _, s := range r.samples {
			if d := m.of(s); d > 0 {
				ds = append(ds, d)
			}
		}
		slices.Sort(ds)
		fmt.Fprintf(w, row, m.name, fmt.Sprint(len(ds)),
			ms(percentile(ds, 50)), ms(percentile(ds, 95)), ms(percentile(ds, 99)), ms(percentile(ds, 100)))
	}
	fmt.Fprintf(w, "(states are polled every %s to %s, which bounds the resolution of the waits)\n\n", firstPoll, maxPoll)

	const outcomeRow = "%-33s %7v %9v %7v\n"
	fmt.Fprintf(w, outcomeRow, "outcome", "planned", "completed", "errors")
	errs := map[string]int{}
	for _, o := range outcomes {
		planned, done, failed := 0, 0, 0
		for _, s := range r.samples {
			if s.outcome != o {
				continue
			}
			planned++
			if s.completed {
				done++
			}
			if s.err != nil {
				failed++
				errs[errorKind(s.err)]++
			}
		}
		fmt.Fprintf(w, outcomeRow, o, planned, done, failed)
	}
	for _, e := range slices.Sorted(maps.Keys(errs)) {
		fmt.Fprintf(w, "  error x%d: %s\n", errs[e], e)
	}
}

// errorKind shortens an error, so that alike errors count together in the summary.
func errorKind(err error) string {
	msg := err.Error()
	if len(msg) > 200 {
		msg = msg[:200] + "..."
	}
	return msg
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

// emailWait bounds the wait for the last emails, which go out just after a
// request's final status is set.
const emailWait = time.Minute

// checkEmails verifies that Mailpit holds exactly the receipt and the
// welcome or decline email of every request of the run, and nothing else
// for the run's addresses. prunedBefore is Mailpit's count of deleted
// messages before the run.
func checkEmails(ctx context.Context, w io.Writer, mailpitURL, runID string, r result, prunedBefore uint64) bool {
	query := "to:load-" + runID
	want := 2 * len(r.samples)
	var msgs []mailSummary
	var err error
	var problems []string
	deadline := time.Now().Add(emailWait)
	for {
		msgs, err = searchAll(ctx, mailpitURL, query)
		if err == nil {
			problems = emailProblems(msgs, r)
		}
		// The last emails go out just after the final status: wait for them.
		if err == nil && len(problems) == 0 || time.Now().After(deadline) || ctx.Err() != nil {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if err != nil {
		fmt.Fprintf(w, "\nemails: FAIL: search Mailpit for %q: %v\n", query, err)
		return false
	}
	if pruned, err := mailpitDeleted(ctx, mailpitURL); err == nil && pruned > prunedBefore {
		fmt.Fprintf(w, "\nemails: FAIL: Mailpit deleted %d messages during the run, so they cannot be counted: "+
			"it keeps its newest 500 unless started with MP_MAX_MESSAGES=0 (as -start does; `MP_MAX_MESSAGES=0 make run`)\n",
			pruned-prunedBefore)
		return false
	}

	fmt.Fprintf(w, "\nemails: Mailpit holds %d messages for %q, want %d (2 per request)\n", len(msgs), query, want)
	if len(msgs) != want || len(problems) > 0 {
		fmt.Fprintf(w, "emails: FAIL: %d requests without exactly their receipt and decision email\n", len(problems))
		for _, p := range problems[:min(len(problems), 10)] {
			fmt.Fprintln(w, "  ", p)
		}
		return false
	}
	fmt.Fprintln(w, "emails: OK")
	return true
}

// emailProblems names each request without exactly its receipt and its
// welcome or decline email.
func emailProblems(msgs []mailSummary, r result) []string {
	byRecipient := map[string][]string{}
	for _, m := range msgs {
		for _, to := range m.To {
			byRecipient[strings.ToLower(to.Address)] = append(byRecipient[strings.ToLower(to.Address)], m.MessageID)
		}
	}
	var problems []string
	for _, s := range r.samples {
		got := byRecipient[s.email]
		kinds := []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailDecline}
		if s.outcome == won {
			kinds[1] = workflows.EmailWelcome
		}
		ok := len(got) == 2 && s.id != ""
		for _, k := range kinds {
			// The product derives each Message-ID from the request and the kind.
			prefix := strings.TrimPrefix(activities.MessageID(s.id, k, ""), "<")
			prefix = strings.TrimSuffix(prefix, ">")
			ok = ok && slices.ContainsFunc(got, func(id string) bool { return strings.HasPrefix(id, prefix) })
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("%s (request %s, %s): %d emails %v", s.email, s.id, s.outcome, len(got), got))
		}
	}
	return problems
}

// mailpitDeleted is how many messages Mailpit has deleted since its start,
// itself when pruning to its maximum or on request.
func mailpitDeleted(ctx context.Context, mailpitURL string) (uint64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(mailpitURL, "/")+"/api/v1/info", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /api/v1/info: %s", resp.Status)
	}
	var info struct {
		RuntimeStats struct{ MessagesDeleted uint64 }
	}
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		return 0, fmt.Errorf("GET /api/v1/info: %w", err)
	}
	return info.RuntimeStats.MessagesDeleted, nil
}

type mailSummary struct {
	ID        string // Mailpit's own
	MessageID string
	To        []struct{ Address string }
}

// searchAll pages through Mailpit's search results, newest first. A
// message arriving meanwhile shifts the pages, so the search is repeated
// until the number of matches held still while it paged.
func searchAll(ctx context.Context, mailpitURL, query string) ([]mailSummary, error) {
	for {
		msgs, before, after, err := searchPages(ctx, mailpitURL, query)
		if err != nil || before == after {
			return msgs, err
		}
	}
}

func searchPages(ctx context.Context, mailpitURL, query string) (msgs []mailSummary, before, after int, err error) {
	const page = 500
	seen := map[string]bool{}
	for start := 0; ; start += page {
		u := fmt.Sprintf("%s/api/v1/search?query=%s&start=%d&limit=%d",
			strings.TrimRight(mailpitURL, "/"), url.QueryEscape(query), start, page)
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
		if err != nil {
			return nil, 0, 0, err
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, 0, 0, err
		}
		var res struct {
			MessagesCount int `json:"messages_count"`
			Messages      []mailSummary
		}
		err = json.NewDecoder(resp.Body).Decode(&res)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			return nil, 0, 0, fmt.Errorf("GET %s: %s", u, resp.Status)
		}
		if err != nil {
			return nil, 0, 0, err
		}
		if start == 0 {
			before = res.MessagesCount
		}
		after = res.MessagesCount
		for _, m := range res.Messages {
			if !seen[m.ID] {
				seen[m.ID] = true
				msgs = append(msgs, m)
			}
		}
		if len(res.Messages) < page || start+page >= res.MessagesCount {
			return msgs, before, after, nil
		}
	}
}

// printHistoryLength prints the number of events in the history of one
// approved request's workflow, what the server stored for it.
func printHistoryLength(ctx context.Context, w io.Writer, address string, r result) {
	i := slices.IndexFunc(r.samples, func(s *sample) bool { return s.completed && s.outcome == won })
	if i < 0 {
		return
	}
	id := workflows.WorkflowID(r.samples[i].id)
	events, err := historyLength(ctx, address, id)
	if err != nil {
		fmt.Fprintf(w, "\nhistory of %s: %v\n", id, err)
		return
	}
	fmt.Fprintf(w, "\nhistory of one approved workflow (%s): %d events\n", id, events)
}

func historyLength(ctx context.Context, address, workflowID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := client.DialContext(ctx, client.Options{HostPort: address, Namespace: stack.Namespace, Logger: quiet{}})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	it := c.GetWorkflowHistory(ctx, workflowID, "", false, enumspb.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	n := 0
	for it.HasNext() {
		if _, err := it.Next(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// quiet keeps the SDK's connection logs out of the report.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

var _ sdklog.Logger = quiet{}
