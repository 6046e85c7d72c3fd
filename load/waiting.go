package main

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	enumspb "go.temporal.io/api/enums/v1"
	taskqueuepb "go.temporal.io/api/taskqueue/v1"
	"go.temporal.io/api/workflowservice/v1"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// pollers bounds the GETs of the waiting mode's state polls: thousands of
// requests are looked at by a few workers, one sweep a second at most.
const pollers = 8

// sweepPause is the least time between two sweeps over the waiting requests.
const sweepPause = time.Second

// waitingStep is one step of the waiting mode, as it is printed and reported.
type waitingStep struct {
	name string
	took time.Duration
	note string
}

// runWaiting keeps many requests waiting for Sales at once: it submits
// them, waits until each waits for qualification, reads the worker's
// memory, restarts the worker, disqualifies every lead through the
// stand-in's Sales API (which sends the webhooks), and waits until every
// request is Rejected with its decline email.
func runWaiting(ctx context.Context, cfg config, local *localStack) bool {
	d, err := newDriver(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return false
	}
	n, c := cfg.waiting, cfg.levels[0]
	fmt.Printf("waiting run %s: %d requests, submitted and disqualified %d at a time, states polled by %d workers\n",
		d.runID, n, c, pollers)
	samples := make([]*sample, n)
	for i := range samples {
		samples[i] = &sample{i: i, outcome: disqualified, email: d.email("w", i)}
	}
	var steps []waitingStep
	step := func(name string, took time.Duration, note string) {
		steps = append(steps, waitingStep{name: name, took: took, note: note})
		fmt.Printf("%-40s %10s  %s\n", name, took.Round(100*time.Millisecond), note)
	}
	var mem []waitingMem
	memory := func(when string) {
		p := local.process("worker")
		if p == nil {
			fmt.Printf("worker's memory %s: no worker running\n", when)
			return
		}
		st := stat("worker", p.Pid())
		mem = append(mem, waitingMem{when: when, st: st})
		if st.err != nil {
			fmt.Printf("worker's memory %s: %v\n", when, st.err)
			return
		}
		fmt.Printf("worker's RSS %s: %.1f MiB now, %.1f MiB peak (pid %d)\n", when, st.rssMiB, st.peakMiB, st.pid)
	}

	began := time.Now()
	forEach(ctx, n, c, func(i int) {
		s := samples[i]
		s.began = time.Now()
		s.id, s.err = d.submit(ctx, s.email)
		s.intakePOST = time.Since(s.began)
	})
	took := time.Since(began)
	step("submit", took, fmt.Sprintf("%d of %d accepted, %.1f requests/s", count(samples, func(s *sample) bool { return s.id != "" }), n,
		throughput(n, took)))

	tc, err := dialTemporal(ctx, cfg.temporal)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: Temporal, to count the requests:", err)
		return false
	}
	defer tc.Close()
	counter := func(status workflows.Status) func() (int64, error) {
		query := fmt.Sprintf("WorkflowType = '%s' AND %s = '%s'", workflows.WorkflowName, workflows.OnboardingStatus.GetName(), status)
		return func() (int64, error) {
			resp, err := tc.CountWorkflow(ctx, &workflowservice.CountWorkflowExecutionsRequest{Query: query})
			return resp.GetCount(), err
		}
	}

	took = awaitAll(ctx, d, samples, "AwaitingQualification", counter(workflows.StatusAwaitingQualification), func(s *sample, st workflows.State) bool {
		if st.LeadID != "" && s.toLead == 0 {
			s.toLead = time.Since(s.began)
		}
		return st.Status == workflows.StatusAwaitingQualification && st.LeadID != ""
	})
	waitingNow := count(samples, func(s *sample) bool { return s.err == nil })
	step("until all AwaitingQualification", took, fmt.Sprintf("%d waiting; from the first POST: %s", waitingNow,
		time.Since(began).Round(100*time.Millisecond)))
	memory(fmt.Sprintf("with %d requests waiting", waitingNow))

	restart := time.Now()
	if err := local.s.StopProcess("worker"); err != nil {
		fmt.Println("stop the worker:", err)
	}
	stopped := time.Since(restart)
	err = local.s.StartWorker(ctx)
	if err == nil {
		err = awaitPolling(ctx, cfg.temporal, local.process("worker").Pid())
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: start the worker again:", err)
		return false
	}
	step("restart the worker", time.Since(restart), fmt.Sprintf("stopped in %s, then started until it polls", stopped.Round(10*time.Millisecond)))
	memory("after the restart")

	decided := time.Now()
	forEach(ctx, n, c, func(i int) {
		s := samples[i]
		if s.err != nil {
			return
		}
		start := time.Now()
		if err := d.sales.DisqualifyLead(ctx, s.final.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
			s.err = fmt.Errorf("disqualify lead %s: %w", s.final.LeadID, err)
			return
		}
		s.sellerDone = time.Now()
		s.sellerCalls = s.sellerDone.Sub(start)
	})
	took = time.Since(decided)
	step("disqualify every lead", took, fmt.Sprintf("%.1f leads/s", throughput(n, took)))

	took = awaitAll(ctx, d, samples, "Rejected", counter(workflows.StatusRejected), func(s *sample, st workflows.State) bool {
		return st.Status == workflows.StatusApproved || st.Status == workflows.StatusRejected
	})
	for _, s := range samples {
		if s.err != nil {
			continue
		}
		if s.final.Status == workflows.StatusRejected && s.final.Decision == workflows.DecisionDisqualified {
			s.completed = true
		} else {
			s.err = fmt.Errorf("ended %s/%s, want %s/%s", s.final.Status, s.final.Decision, workflows.StatusRejected, workflows.DecisionDisqualified)
		}
	}
	step("until all Rejected", took, fmt.Sprintf("%d of %d; from the first disqualification: %s",
		count(samples, func(s *sample) bool { return s.completed }), n, time.Since(decided).Round(100*time.Millisecond)))

	checked := time.Now()
	emailErr := waitForEmails(ctx, newMailpit(cfg.mailpit), d.emailPrefix("w"), samples)
	es := summariseEmails(samples, "counted at the end in one paged search, then deleted from Mailpit", 0)
	if emailErr != nil {
		es.problems = append(es.problems, emailErr.Error())
	}
	toEmail := distOf(collect(samples, func(s *sample) time.Duration { return s.toEmail }))
	step("count the emails", time.Since(checked), fmt.Sprintf("disqualification -> decline email accepted p50/p95/p99 %s ms", pcts(toEmail)))
	memory("after every request moved on")

	fmt.Println()
	errs := map[string]int{}
	for _, s := range samples {
		if s.err != nil {
			errs[errorKind(s.err)]++
		}
	}
	for _, e := range slices.Sorted(maps.Keys(errs)) {
		fmt.Printf("  error x%d: %s\n", errs[e], e)
	}
	es.print(os.Stdout, n)
	procs := local.stats()
	printStats(os.Stdout, procs)

	pass := !slices.ContainsFunc(samples, func(s *sample) bool { return !s.completed }) && len(es.problems) == 0
	if cfg.report != "" {
		path, err := writeWaitingReport(cfg.report, d.runID, n, c, steps, mem, toEmail, pass)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: report:", err)
			pass = false
		} else {
			fmt.Printf("\nreport: %s\n", path)
		}
	}
	if pass {
		fmt.Println("check: PASS: every request waited, moved on after the restart, and ended Rejected with exactly its two emails")
	} else {
		fmt.Println("check: FAIL")
	}
	return pass
}

// awaitPolling waits until the worker process of pid polls the onboarding
// task queue (the SDK's identity of a worker is pid@host): the stack's own
// readiness check may take the old worker's last poll for the new one's.
func awaitPolling(ctx context.Context, address string, pid int) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c, err := dialTemporal(ctx, address)
	if err != nil {
		return err
	}
	defer c.Close()
	identity := fmt.Sprintf("%d@", pid)
	for {
		resp, err := c.DescribeTaskQueue(ctx, workflows.TaskQueue, enumspb.TASK_QUEUE_TYPE_WORKFLOW)
		if err == nil && slices.ContainsFunc(resp.GetPollers(), func(p *taskqueuepb.PollerInfo) bool {
			return strings.HasPrefix(p.GetIdentity(), identity)
		}) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the new worker (pid %d) does not poll %s: %w", pid, workflows.TaskQueue, ctx.Err())
		case <-time.After(50 * time.Millisecond):
		}
	}
}

// waitForEmails counts every request's emails at once; the last decline
// emails go out around the final status, so it looks again for a while.
func waitForEmails(ctx context.Context, mp *mailpit, prefix string, samples []*sample) error {
	deadline := time.Now().Add(emailWait)
	for {
		msgs, err := mp.searchAll(ctx, "to:"+prefix)
		if err != nil {
			return fmt.Errorf("search Mailpit for %q: %w", "to:"+prefix, err)
		}
		if len(msgs) >= 2*count(samples, func(s *sample) bool { return s.completed }) || time.Now().After(deadline) || ctx.Err() != nil {
			return checkAll(ctx, mp, prefix, samples)
		}
		time.Sleep(time.Second)
	}
}

// waitingMem is the worker's memory at one point of the waiting mode.
type waitingMem struct {
	when string
	st   procStat
}

// forEach calls f for 0..n-1, c at a time, until ctx ends.
func forEach(ctx context.Context, n, c int, f func(i int)) {
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range min(c, n) {
		wg.Go(func() {
			for i := range jobs {
				f(i)
			}
		})
	}
	for i := range n {
		select {
		case jobs <- i:
		case <-ctx.Done():
		}
	}
	close(jobs)
	wg.Wait()
}

// awaitAll waits until done holds for each request (the state is kept in
// the sample) or ctx ends; those left get an error. Thousands of GETs a
// second would load the front door more than the requests do, so it counts
// the requests in the status first (Temporal's visibility, one call) and
// sweeps over those still on their way, a few GETs at a time, only once the
// count says they may all be there, or every 30 s. It prints progress now
// and then.
func awaitAll(ctx context.Context, d *driver, samples []*sample, what string, count func() (int64, error),
	done func(*sample, workflows.State) bool) time.Duration {
	began := time.Now()
	var pending []*sample
	for _, s := range samples {
		if s.err == nil && s.id != "" {
			pending = append(pending, s)
		} else if s.err == nil {
			s.err = fmt.Errorf("no request ID")
		}
	}
	lastReport, lastSweep := time.Now(), time.Time{}
	for len(pending) > 0 && ctx.Err() == nil {
		if n, err := count(); err == nil && n < int64(len(samples)) && time.Since(lastSweep) < 30*time.Second {
			if time.Since(lastReport) >= 10*time.Second {
				fmt.Printf("  %s: %d of %d after %s (Temporal's count)\n", what, n, len(samples), time.Since(began).Round(time.Second))
				lastReport = time.Now()
			}
			select {
			case <-ctx.Done():
			case <-time.After(sweepPause):
			}
			continue
		}
		sweep := time.Now()
		lastSweep = sweep
		var reached atomic.Int64
		finished := make([]bool, len(pending))
		statuses := make([]workflows.Status, len(pending))
		forEach(ctx, len(pending), pollers, func(j int) {
			s := pending[j]
			st, err := d.state(ctx, s.id)
			if err != nil {
				return
			}
			statuses[j] = st.Status
			if done(s, st) {
				s.final = st
				finished[j] = true
				reached.Add(1)
			}
		})
		var still []*sample
		for j, s := range pending {
			if !finished[j] {
				still = append(still, s)
			}
		}
		if time.Since(lastReport) >= 10*time.Second && len(still) > 0 {
			fmt.Printf("  %s: %d of %d after %s; the others: %s\n", what, len(samples)-len(still), len(samples),
				time.Since(began).Round(time.Second), tally(statuses, finished))
			lastReport = time.Now()
		}
		pending = still
		if len(pending) > 0 {
			select {
			case <-ctx.Done():
			case <-time.After(sweepPause - time.Since(sweep)):
			}
		}
	}
	for _, s := range pending {
		s.err = fmt.Errorf("await %s: %w; last seen status %q", what, ctx.Err(), s.final.Status)
	}
	return time.Since(began)
}

// tally counts the statuses of the requests not finished yet.
func tally(statuses []workflows.Status, finished []bool) string {
	counts := map[workflows.Status]int{}
	for j, st := range statuses {
		if !finished[j] {
			if st == "" {
				st = "(no answer)"
			}
			counts[st]++
		}
	}
	var parts []string
	for _, st := range slices.Sorted(maps.Keys(counts)) {
		parts = append(parts, fmt.Sprintf("%s %d", st, counts[st]))
	}
	return strings.Join(parts, ", ")
}

func count(samples []*sample, f func(*sample) bool) int {
	n := 0
	for _, s := range samples {
		if f(s) {
			n++
		}
	}
	return n
}

func collect(samples []*sample, of func(*sample) time.Duration) []time.Duration {
	ds := make([]time.Duration, len(samples))
	for i, s := range samples {
		ds[i] = of(s)
	}
	return ds
}

// writeWaitingReport writes waiting.md into dir: the steps, how long each
// took, and the worker's memory.
func writeWaitingReport(dir, runID string, n, c int, steps []waitingStep, mem []waitingMem, toEmail dist, pass bool) (string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# Many waiting requests: run %s\n\n", runID)
	fmt.Fprintf(&b, "%s · `go run ./load %s` · %d requests submitted %d at a time, each left waiting for "+
		"qualification; the worker restarted; every lead disqualified through the stand-in's Sales API, which sends the webhooks · "+
		"check: **%s**\n\n", time.Now().Format("2006-01-02 15:04"), strings.Join(os.Args[1:], " "), n, c, passWord(pass))
	writeTable(&b, []string{"step", "took", "note"}, func(add func(...string)) {
		for _, s := range steps {
			add(s.name, s.took.Round(100*time.Millisecond).String(), s.note)
		}
	})
	fmt.Fprintf(&b, "\n")
	writeTable(&b, []string{"worker's memory", "RSS MiB", "peak RSS MiB"}, func(add func(...string)) {
		for _, m := range mem {
			if m.st.err != nil {
				add(m.when, m.st.err.Error(), "")
				continue
			}
			add(m.when, fmt.Sprintf("%.1f", m.st.rssMiB), fmt.Sprintf("%.1f", m.st.peakMiB))
		}
	})
	fmt.Fprintf(&b, "\nDisqualification → decline email accepted by SMTP: p50 / p95 / p99 %s ms (n = %d).\n", pcts(toEmail), toEmail.n)
	path := filepath.Join(dir, "waiting.md")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

func passWord(pass bool) string {
	if pass {
		return "PASS"
	}
	return "FAIL"
}

// writeTable writes a Markdown table.
func writeTable(w io.Writer, header []string, rows func(add func(...string))) {
	fmt.Fprintf(w, "| %s |\n|%s\n", strings.Join(header, " | "), strings.Repeat(" --- |", len(header)))
	rows(func(cells ...string) {
		for i, c := range cells {
			cells[i] = strings.ReplaceAll(c, "|", "\\|")
		}
		fmt.Fprintf(w, "| %s |\n", strings.Join(cells, " | "))
	})
}
