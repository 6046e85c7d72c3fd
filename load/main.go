// Command load drives the running product through its public interfaces with
// many onboarding requests at once and prints how fast they went through and
// whether every one ended as it should: the intake API for the B2B site, the
// Sales stand-in's Dataverse Web API for the seller's decisions, and
// Mailpit's API for the emails. Beside the product it runs the engine's
// floor: a bare workflow of the product's shape on the same Temporal server.
//
//	go run ./load -start -n 200 -c 16,48 -mix won=80,lost=10,disqualified=10 -report docs/perf
//	go run ./load -start -waiting 10000 -timeout 3h
//
// With -start it runs its own stack on free ports in a temporary directory;
// without it, it targets the stack of `make run` at the default URLs.
package main

import (
	"cmp"
	"context"
	"flag"
	"fmt"
	"maps"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/partner-onboarding/onboarding/load/floor"
	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

func main() {
	var (
		cfg      config
		mix      string
		levels   string
		start    bool
		expiry   time.Duration
		extraEnv = envFlag{}
		dynamic  = envFlag{}
	)
	flag.IntVar(&cfg.n, "n", 200, "onboarding requests per phase (one phase per -c level)")
	flag.StringVar(&levels, "c", "16,48", "requests in flight at once: a list, one phase per level, such as 16,48")
	flag.StringVar(&mix, "mix", "won=80,lost=10,disqualified=10", "share of each outcome")
	flag.StringVar(&cfg.intake, "intake", "http://127.0.0.1:8080", "starter's base URL (intake API)")
	flag.StringVar(&cfg.key, "key", cmp.Or(os.Getenv("STARTER_API_KEY"), stack.DefaultIntakeKey),
		"the intake's API key (default: STARTER_API_KEY, else the local stack's)")
	flag.StringVar(&cfg.standin, "standin", "http://127.0.0.1:8090", "Sales stand-in's base URL (Dataverse Web API)")
	flag.StringVar(&cfg.mailpit, "mailpit", "http://127.0.0.1:8025", "Mailpit's base URL (REST API)")
	flag.StringVar(&cfg.temporal, "temporal", "127.0.0.1:7233", "Temporal frontend: the floor's workflows and the history lengths")
	flag.BoolVar(&start, "start", false, "start a stack of its own on free ports and stop it at the end")
	flag.BoolVar(&cfg.floor, "floor", true, "run the engine's floor (a bare workflow of the product's shape) before and after each phase")
	flag.StringVar(&cfg.report, "report", "", "write charts and report.md into this directory")
	flag.Float64Var(&cfg.rate, "rate", 0, "send the requests at this many per second at most (the -c level still caps those in flight); 0: as fast as the level allows")
	flag.IntVar(&cfg.waiting, "waiting", 0, "instead of the phases: submit this many requests, keep them waiting for Sales, restart the worker, then disqualify them all (needs -start)")
	flag.Var(extraEnv, "env", "KEY=VALUE for the worker, starter and stand-in of -start's stack, such as WORKER_STICKY_CACHE_SIZE=2000 (repeatable)")
	flag.Var(dynamic, "dynamic", "KEY=VALUE of the dynamic config of -start's Temporal dev server, such as matching.numTaskqueueReadPartitions=1 (repeatable)")
	flag.DurationVar(&expiry, "timeout", 0, "give up on the whole run after this long (default 30m, plus 0.5s per -waiting request)")
	flag.Parse()

	var err error
	if cfg.mix, err = parseMix(mix); err != nil {
		fatal(err)
	}
	if cfg.levels, err = parseLevels(levels); err != nil {
		fatal(err)
	}
	if cfg.rate < 0 {
		fatal(fmt.Errorf("-rate must not be negative"))
	}
	if cfg.n < 1 {
		fatal(fmt.Errorf("-n must be at least 1"))
	}
	if cfg.waiting < 0 || cfg.waiting > 0 && !start {
		fatal(fmt.Errorf("-waiting needs -start: it stops and starts the stack's worker"))
	}
	if len(extraEnv) > 0 && !start {
		fatal(fmt.Errorf("-env needs -start: it sets the environment of the stack's processes"))
	}
	if len(dynamic) > 0 && !start {
		fatal(fmt.Errorf("-dynamic needs -start: it configures the stack's Temporal dev server"))
	}
	if expiry == 0 {
		expiry = 30*time.Minute + time.Duration(cfg.waiting)*500*time.Millisecond
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, expiry)
	defer cancel()

	var local *localStack
	if start {
		if local, err = startStack(ctx, &cfg, extraEnv, dynamicConfig(cfg, dynamic)); err != nil {
			fatal(err)
		}
	} else if payloadConverter, err = payloadKeysFromEnv(); err != nil {
		fatal(err)
	}
	var ok bool
	if cfg.waiting > 0 {
		ok = runWaiting(ctx, cfg, local)
	} else {
		ok = runPhases(ctx, cfg, local)
	}
	if local != nil {
		local.stop(ok)
	}
	if !ok {
		os.Exit(1)
	}
}

// runPhases runs one phase per in-flight level, each with the floor before
// and after it, prints the figures and the check, writes the report, and
// reports whether every request ended as expected with its two emails.
func runPhases(ctx context.Context, cfg config, local *localStack) bool {
	d, err := newDriver(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return false
	}
	rr := &runReport{runID: d.runID, began: time.Now(), cfg: cfg, shape: workflows.ApprovedShape, target: cfg.intake}
	if local != nil {
		rr.target = "its own stack (-start)"
	}
	fmt.Printf("run %s: %d requests per phase, in flight %s, mix %s, against %s\n",
		d.runID, cfg.n, joinInts(cfg.levels), cfg.mix, cfg.intake)

	var fl *floor.Worker
	if cfg.floor {
		c, err := dialTemporal(ctx, cfg.temporal)
		if err != nil {
			fmt.Fprintln(os.Stderr, "load: Temporal, for the floor:", err)
			return false
		}
		defer c.Close()
		if fl, err = floor.Start(c, "load-floor-"+d.runID); err != nil {
			fmt.Fprintln(os.Stderr, "load:", err)
			return false
		}
		defer fl.Stop()
		fmt.Printf("floor: workflow %s of the approved shape (%s), no-ops, worker in this process on task queue %s\n",
			floor.WorkflowName, shapeText(rr.shape), fl.TaskQueue())
	}

	mp := newMailpit(cfg.mailpit)
	for _, c := range cfg.levels {
		if ctx.Err() != nil {
			break
		}
		if cfg.rate > 0 {
			fmt.Printf("\n== %d in flight at most, %g requests/s ==\n", c, cfg.rate)
		} else {
			fmt.Printf("\n== %d in flight ==\n", c)
		}
		p := runPhase(ctx, cfg, d, mp, fl, c)
		if local != nil {
			p.mem = local.productStats()
		}
		p.print(os.Stdout)
		rr.phases = append(rr.phases, p)
	}

	rr.pass = len(rr.phases) == len(cfg.levels)
	for _, p := range rr.phases {
		rr.pass = rr.pass && p.ok()
	}
	rr.findHistories(ctx, cfg.temporal)
	rr.printSummary(os.Stdout)
	if local != nil {
		rr.procs = local.stats()
		printStats(os.Stdout, rr.procs)
	}
	for _, p := range rr.phases {
		if !p.floorOK() {
			fmt.Println("\nfloor: some floor workflows failed (above): its figures are not the engine's floor")
			break
		}
	}
	if cfg.report != "" {
		if path, err := rr.write(cfg.report); err != nil {
			fmt.Fprintln(os.Stderr, "load: report:", err)
			rr.pass = false
		} else {
			fmt.Printf("\nreport: %s\n", path)
		}
	}
	if rr.pass {
		fmt.Println("check: PASS: every request reached its expected status with exactly its two emails")
	} else {
		fmt.Println("check: FAIL")
	}
	return rr.pass
}

// runPhase runs the floor, the product's requests at c in flight, and the
// floor again.
func runPhase(ctx context.Context, cfg config, d *driver, mp *mailpit, fl *floor.Worker, c int) *phaseResult {
	tag := fmt.Sprintf("c%d", c)
	p := &phaseResult{c: c}
	runFloor := func(when string) {
		if fl == nil || ctx.Err() != nil {
			return
		}
		prefix := fmt.Sprintf("load-floor-%s-%s-%s", d.runID, tag, when)
		p.floors = append(p.floors, fl.Run(ctx, workflows.ApprovedShape, cfg.n, c, prefix))
	}
	runFloor("before")
	if len(p.floors) > 0 {
		fmt.Println(floorLine(floorNames[0], p.floors[0]))
	}

	deletedBefore, errBefore := mp.deletedCount(ctx)
	mails := newMailChecker(ctx, mp, 4, cfg.n)
	p.product = d.run(ctx, c, tag, mails)
	mails.wait()
	sweepErr := mails.sweep(d.emailPrefix(tag), p.product.samples)
	var pruned int64
	if deletedAfter, err := mp.deletedCount(ctx); err == nil && errBefore == nil {
		pruned = int64(deletedAfter-deletedBefore) - mails.deleted.Load()
	}
	p.emails = summariseEmails(p.product.samples, "counted per request as it ended, then deleted from Mailpit", pruned)
	if sweepErr != nil {
		p.emails.problems = append(p.emails.problems, sweepErr.Error())
	}

	runFloor("after")
	return p
}

// dynamicConfig is the dev server's headroom for the waiting mode: its
// mutable-state cache holds 8096 workflows by default, fewer than the
// waiting requests and their Sales event workflows, which would be read
// from the database again and again once they all move.
// Values given with -dynamic come on top.
func dynamicConfig(cfg config, extra map[string]string) map[string]string {
	out := map[string]string{}
	if cfg.waiting > 0 {
		out["history.hostLevelCacheMaxSize"] = strconv.Itoa(max(8096, 3*cfg.waiting))
	}
	maps.Copy(out, extra)
	return out
}

func parseLevels(s string) ([]int, error) {
	var levels []int
	for part := range strings.SplitSeq(s, ",") {
		c, err := strconv.Atoi(strings.TrimSpace(part))
		if err != nil || c < 1 {
			return nil, fmt.Errorf("-c %q: want a list of numbers of at least 1, such as 16,48", s)
		}
		levels = append(levels, c)
	}
	return levels, nil
}

// shapeText says a shape in words: "4 activities, 1 local activity, 2 signals".
func shapeText(s workflows.Shape) string {
	plural := func(n int, one, many string) string {
		if n == 1 {
			return "1 " + one
		}
		return strconv.Itoa(n) + " " + many
	}
	return plural(s.Activities, "activity", "activities") + ", " +
		plural(s.LocalActivities, "local activity", "local activities") + ", " + plural(s.Signals, "signal", "signals")
}

func joinInts(ns []int) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = strconv.Itoa(n)
	}
	return strings.Join(parts, ",")
}

// envFlag collects -env KEY=VALUE flags.
type envFlag map[string]string

func (e envFlag) String() string { return "" }

func (e envFlag) Set(s string) error {
	k, v, ok := strings.Cut(s, "=")
	if !ok || k == "" {
		return fmt.Errorf("want KEY=VALUE, got %q", s)
	}
	e[k] = v
	return nil
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
