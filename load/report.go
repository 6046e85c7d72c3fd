package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/converter"
	sdklog "go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/codec"
	onboardingconfig "github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/load/floor"
	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

// phaseResult is one in-flight level: the floor before, the product, the
// floor after.
type phaseResult struct {
	c       int
	product result
	floors  []floor.Result // before and after the product; none with -floor=false
	emails  emailSummary
	mem     []procStat // the worker's and the starter's memory after the phase (-start only)
}

// runReport is everything a run found, for the console and for report.md.
type runReport struct {
	runID     string
	began     time.Time
	cfg       config
	shape     workflows.Shape
	target    string // where the product ran
	phases    []*phaseResult
	histories []history
	procs     []procStat // every process of the stack (-start only)
	pass      bool
}

// history is the length of one workflow's history.
type history struct {
	what, workflowID string
	events           int
	err              error
}

// latency is one row of the latency table: a step of each request.
type latency struct {
	name string
	of   func(*sample) time.Duration
}

var latencies = []latency{
	{"intake POST", func(s *sample) time.Duration { return s.intakePOST }},
	{"submit -> lead in Sales", func(s *sample) time.Duration { return s.toLead }},
	{"submit -> AwaitingQualification", func(s *sample) time.Duration { return s.toAwaiting }},
	{"seller's Sales API calls", func(s *sample) time.Duration { return s.sellerCalls }},
	{"decision -> final status", func(s *sample) time.Duration { return s.decisionDone }},
	{"decision webhook -> email", func(s *sample) time.Duration { return s.toEmail }},
	{"whole request", func(s *sample) time.Duration { return s.whole }},
}

func (r result) dist(of func(*sample) time.Duration) dist {
	ds := make([]time.Duration, 0, len(r.samples))
	for _, s := range r.samples {
		ds = append(ds, of(s))
	}
	return distOf(ds)
}

func (r result) completed() int {
	n := 0
	for _, s := range r.samples {
		if s.completed {
			n++
		}
	}
	return n
}

func (r result) allCompleted() bool {
	return !slices.ContainsFunc(r.samples, func(s *sample) bool { return !s.completed })
}

func (r result) throughput() float64 { return throughput(r.completed(), r.wall) }

// leadRate is the leads created per second: every lead seen, over the time
// from the first POST to the last lead seen.
func (r result) leadRate() (leads int, rate float64) {
	var first, last time.Time
	for _, s := range r.samples {
		if s.toLead <= 0 {
			continue
		}
		leads++
		if first.IsZero() || s.began.Before(first) {
			first = s.began
		}
		if at := s.began.Add(s.toLead); at.After(last) {
			last = at
		}
	}
	return leads, throughput(leads, last.Sub(first))
}

// completions are the requests that ended as expected, timed from the
// start of the phase.
func (r result) completions() []completion {
	var cs []completion
	for _, s := range r.samples {
		if s.completed {
			cs = append(cs, completion{at: s.began.Add(s.whole).Sub(r.began), took: s.whole})
		}
	}
	return cs
}

// floorCompletions are a floor run's workflows that ended, timed from the
// start of that run.
func floorCompletions(r floor.Result) []completion {
	var cs []completion
	for _, s := range r.Samples {
		if s.Err == nil {
			cs = append(cs, completion{at: s.Began.Add(s.Took).Sub(r.Began), took: s.Took})
		}
	}
	return cs
}

// floorFigures pools the floor runs of a phase, before and after the
// product: the completions over their wall time, their latencies together.
func (p *phaseResult) floorFigures() (tput float64, d dist, ok bool) {
	if len(p.floors) == 0 {
		return 0, dist{}, false
	}
	var done int
	var wall time.Duration
	var took []time.Duration
	for _, f := range p.floors {
		done += f.Completed()
		wall += f.Wall
		for _, c := range floorCompletions(f) {
			took = append(took, c.took)
		}
	}
	return throughput(done, wall), distOf(took), true
}

func (p *phaseResult) ok() bool {
	return p.product.allCompleted() && len(p.emails.problems) == 0
}

func (p *phaseResult) floorOK() bool {
	for _, f := range p.floors {
		if f.Completed() != len(f.Samples) {
			return false
		}
	}
	return true
}

func ms(d time.Duration) string { return fmt.Sprintf("%.0f", float64(d)/float64(time.Millisecond)) }

func ratio(a, b float64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.2f", a/b)
}

func pcts(d dist) string { return ms(d.p50) + " / " + ms(d.p95) + " / " + ms(d.p99) }

// floorLine is one floor run in a line.
func floorLine(name string, f floor.Result) string {
	var took []time.Duration
	for _, c := range floorCompletions(f) {
		took = append(took, c.took)
	}
	d := distOf(took)
	return fmt.Sprintf("%s: %d of %d in %s, %.2f workflows/s; whole workflow p50/p95/p99 %s ms",
		name, f.Completed(), len(f.Samples), f.Wall.Round(10*time.Millisecond), throughput(f.Completed(), f.Wall), pcts(d))
}

var floorNames = []string{"floor before", "floor after"}

// print writes the phase's figures after the floor run before it: the
// product's throughput, latency table and outcomes, its emails, the floor
// run after it and the ratios.
func (p *phaseResult) print(w io.Writer) {
	r := p.product
	fmt.Fprintf(w, "product: wall time %s, %d of %d completed, %.2f requests/s\n\n",
		r.wall.Round(time.Millisecond), r.completed(), len(r.samples), r.throughput())

	const row = "%-33s %5s %7s %7s %7s %7s\n"
	fmt.Fprintf(w, row, "latency (ms)", "n", "p50", "p95", "p99", "max")
	for _, l := range latencies {
		d := r.dist(l.of)
		fmt.Fprintf(w, row, l.name, fmt.Sprint(d.n), ms(d.p50), ms(d.p95), ms(d.p99), ms(d.max))
	}
	leads, rate := r.leadRate()
	fmt.Fprintf(w, "leads created in Sales: %d, %.2f leads/s (first POST to last lead seen)\n", leads, rate)
	fmt.Fprintf(w, "(states are polled every %s to %s, which bounds the resolution of the waits; "+
		"webhook -> email is timed by Mailpit's clock, the same machine's)\n\n", firstPoll, maxPoll)

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

	p.emails.print(w, len(r.samples))

	if len(p.floors) > 1 {
		fmt.Fprintln(w, floorLine(floorNames[1], p.floors[1]))
	}
	if ftput, fd, ok := p.floorFigures(); ok {
		pd := r.dist(func(s *sample) time.Duration { return s.whole })
		fmt.Fprintf(w, "\n%-33s %9s %9s %9s\n", "product / floor (floor: both runs)", "product", "floor", "ratio")
		fmt.Fprintf(w, "%-33s %9.2f %9.2f %9s\n", "throughput (per s)", r.throughput(), ftput, ratio(r.throughput(), ftput))
		for _, q := range []struct {
			name   string
			pv, fv time.Duration
		}{{"whole p50 (ms)", pd.p50, fd.p50}, {"whole p95 (ms)", pd.p95, fd.p95}, {"whole p99 (ms)", pd.p99, fd.p99}} {
			fmt.Fprintf(w, "%-33s %9s %9s %9s\n", q.name, ms(q.pv), ms(q.fv), ratio(float64(q.pv), float64(q.fv)))
		}
	}
	if len(p.mem) > 0 {
		var parts []string
		for _, m := range p.mem {
			parts = append(parts, fmt.Sprintf("%s %.1f MiB", m.name, m.peakMiB))
		}
		fmt.Fprintf(w, "\npeak RSS so far: %s\n", strings.Join(parts, ", "))
	}
}

func (e emailSummary) print(w io.Writer, requests int) {
	if len(e.problems) == 0 {
		fmt.Fprintf(w, "\nemails: OK: each of the %d requests had exactly its receipt and its welcome or decline email (%s)\n",
			requests, e.how)
		return
	}
	fmt.Fprintf(w, "\nemails: FAIL: %d of %d requests without exactly their receipt and decision email\n", len(e.problems), requests)
	for _, p := range e.problems[:min(len(e.problems), 10)] {
		fmt.Fprintln(w, "  ", p)
	}
	if e.pruned > 0 {
		fmt.Fprintf(w, "   (Mailpit deleted %d messages by itself during the phase: it keeps its newest 500 unless MP_MAX_MESSAGES says otherwise)\n", e.pruned)
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

// summary is the figures of every phase side by side: a header and rows.
func (rr *runReport) summary() (header []string, rows [][]string) {
	header = []string{"figure"}
	for _, p := range rr.phases {
		header = append(header, fmt.Sprintf("%d in flight", p.c))
	}
	add := func(name string, cell func(p *phaseResult) string) {
		row := []string{name}
		for _, p := range rr.phases {
			row = append(row, cell(p))
		}
		rows = append(rows, row)
	}
	whole := func(s *sample) time.Duration { return s.whole }
	add("product: completed", func(p *phaseResult) string {
		return fmt.Sprintf("%d of %d in %s", p.product.completed(), len(p.product.samples), p.product.wall.Round(100*time.Millisecond))
	})
	add("product: onboardings/s", func(p *phaseResult) string { return fmt.Sprintf("%.2f", p.product.throughput()) })
	add("product: whole request p50 / p95 / p99 ms", func(p *phaseResult) string { return pcts(p.product.dist(whole)) })
	add("product: submit -> lead in Sales p50 / p95 / p99 ms", func(p *phaseResult) string {
		return pcts(p.product.dist(func(s *sample) time.Duration { return s.toLead }))
	})
	add("product: leads created/s", func(p *phaseResult) string {
		_, rate := p.product.leadRate()
		return fmt.Sprintf("%.2f", rate)
	})
	add("product: decision webhook -> email accepted p50 / p95 / p99 ms", func(p *phaseResult) string {
		return pcts(p.product.dist(func(s *sample) time.Duration { return s.toEmail }))
	})
	add("product: emails (exactly 2 per request)", func(p *phaseResult) string {
		if len(p.emails.problems) == 0 {
			return "all right"
		}
		return fmt.Sprintf("%d wrong", len(p.emails.problems))
	})
	if rr.cfg.floor {
		add("floor: workflows/s (before, after)", func(p *phaseResult) string {
			var parts []string
			for _, f := range p.floors {
				parts = append(parts, fmt.Sprintf("%.2f", throughput(f.Completed(), f.Wall)))
			}
			return strings.Join(parts, ", ")
		})
		add("floor: whole workflow p50 / p95 / p99 ms", func(p *phaseResult) string {
			_, d, _ := p.floorFigures()
			return pcts(d)
		})
		add("product / floor: throughput", func(p *phaseResult) string {
			t, _, _ := p.floorFigures()
			return ratio(p.product.throughput(), t)
		})
		add("product / floor: p50 / p95 / p99", func(p *phaseResult) string {
			_, fd, _ := p.floorFigures()
			pd := p.product.dist(whole)
			return ratio(float64(pd.p50), float64(fd.p50)) + " / " + ratio(float64(pd.p95), float64(fd.p95)) + " / " +
				ratio(float64(pd.p99), float64(fd.p99))
		})
	}
	if len(rr.phases) > 0 && len(rr.phases[0].mem) > 0 {
		for i, m := range rr.phases[0].mem {
			add(m.name+": peak RSS MiB (so far)", func(p *phaseResult) string {
				if i < len(p.mem) {
					return fmt.Sprintf("%.1f", p.mem[i].peakMiB)
				}
				return "-"
			})
		}
	}
	return header, rows
}

// printSummary writes the summary as aligned columns.
func (rr *runReport) printSummary(w io.Writer) {
	header, rows := rr.summary()
	widths := make([]int, len(header))
	for _, r := range append([][]string{header}, rows...) {
		for i, c := range r {
			widths[i] = max(widths[i], len(c))
		}
	}
	line := func(r []string) {
		fmt.Fprintf(w, "%-*s", widths[0], r[0])
		for i, c := range r[1:] {
			fmt.Fprintf(w, "  %*s", widths[i+1], c)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "\nsummary")
	line(header)
	for _, r := range rows {
		line(r)
	}
	for _, h := range rr.histories {
		if h.err != nil {
			fmt.Fprintf(w, "\nhistory of %s (%s): %v", h.what, h.workflowID, h.err)
			continue
		}
		fmt.Fprintf(w, "\nhistory of %s (%s): %d events", h.what, h.workflowID, h.events)
	}
	fmt.Fprintln(w)
}

// histories finds the history length of one approved request's workflow
// and of one floor workflow.
func (rr *runReport) findHistories(ctx context.Context, address string) {
	for _, p := range rr.phases {
		i := slices.IndexFunc(p.product.samples, func(s *sample) bool { return s.completed && s.outcome == won })
		if i < 0 {
			continue
		}
		id := workflows.WorkflowID(p.product.samples[i].id)
		n, err := historyLength(ctx, address, id)
		rr.histories = append(rr.histories, history{what: "one approved workflow", workflowID: id, events: n, err: err})
		break
	}
	for _, p := range rr.phases {
		if len(p.floors) == 0 {
			continue
		}
		i := slices.IndexFunc(p.floors[0].Samples, func(s floor.Sample) bool { return s.Err == nil })
		if i < 0 {
			continue
		}
		id := p.floors[0].Samples[i].WorkflowID
		n, err := historyLength(ctx, address, id)
		rr.histories = append(rr.histories, history{what: "one floor workflow", workflowID: id, events: n, err: err})
		break
	}
}

func historyLength(ctx context.Context, address, workflowID string) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, err := dialTemporal(ctx, address)
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

// payloadConverter encrypts payloads as the stack's worker does (its keys,
// or PAYLOAD_KEYS for a stack the load did not start), so that the floor's
// workflows pay for encryption as the onboardings do; nil is the default.
var payloadConverter converter.DataConverter

// payloadKeysFromEnv is the data converter of PAYLOAD_KEYS or
// PAYLOAD_KEYS_FILE, or nil when neither is set.
func payloadKeysFromEnv() (converter.DataConverter, error) {
	if os.Getenv("PAYLOAD_KEYS") == "" && os.Getenv("PAYLOAD_KEYS_FILE") == "" {
		return nil, nil
	}
	env := settings.OS()
	keys := onboardingconfig.LoadPayloadKeys(env)
	if err := env.Err(); err != nil {
		return nil, err
	}
	if keys == nil {
		return nil, nil
	}
	return codec.NewDataConverter(keys)
}

// dialTemporal connects to the stack's namespace, with the SDK's
// connection logs kept out of the report.
func dialTemporal(ctx context.Context, address string) (client.Client, error) {
	return client.DialContext(ctx, client.Options{HostPort: address, Namespace: stack.Namespace, Logger: quiet{},
		DataConverter: payloadConverter})
}

// quiet keeps the SDK's logs out of the report.
type quiet struct{}

func (quiet) Debug(string, ...any) {}
func (quiet) Info(string, ...any)  {}
func (quiet) Warn(string, ...any)  {}
func (quiet) Error(string, ...any) {}

var _ sdklog.Logger = quiet{}
