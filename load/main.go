// Command load drives the running product through its public interfaces with
// many onboarding requests at once and prints how fast they went through and
// whether every one ended as it should: the intake API for the B2B site, the
// Sales stand-in's Dataverse Web API for the seller's decisions, and
// Mailpit's API for the emails.
//
//	go run ./load -start -n 200 -c 16 -mix won=80,lost=10,disqualified=10
//
// With -start it runs its own stack on free ports in a temporary directory;
// without it, it targets the stack of `make run` at the default URLs.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	var (
		cfg    config
		mix    string
		start  bool
		expiry time.Duration
	)
	flag.IntVar(&cfg.n, "n", 200, "number of onboarding requests")
	flag.IntVar(&cfg.c, "c", 16, "requests in flight at once")
	flag.StringVar(&mix, "mix", "won=80,lost=10,disqualified=10", "share of each outcome")
	flag.StringVar(&cfg.intake, "intake", "http://127.0.0.1:8080", "starter's base URL (intake API)")
	flag.StringVar(&cfg.standin, "standin", "http://127.0.0.1:8090", "Sales stand-in's base URL (Dataverse Web API)")
	flag.StringVar(&cfg.mailpit, "mailpit", "http://127.0.0.1:8025", "Mailpit's base URL (REST API)")
	flag.StringVar(&cfg.temporal, "temporal", "127.0.0.1:7233", "Temporal frontend, for the history length of one workflow")
	flag.BoolVar(&start, "start", false, "start a stack of its own on free ports and stop it at the end")
	flag.DurationVar(&expiry, "timeout", 15*time.Minute, "give up on the whole run after this long")
	flag.Parse()

	var err error
	if cfg.mix, err = parseMix(mix); err != nil {
		fatal(err)
	}
	if cfg.n < 1 || cfg.c < 1 {
		fatal(fmt.Errorf("-n and -c must be at least 1"))
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	ctx, cancel := context.WithTimeout(ctx, expiry)
	defer cancel()

	var local *localStack
	if start {
		if local, err = startStack(ctx, &cfg); err != nil {
			fatal(err)
		}
	}
	ok := run(ctx, cfg, local)
	if local != nil {
		local.stop(ok)
	}
	if !ok {
		os.Exit(1)
	}
}

// run submits the requests, prints the figures and the check, and reports
// whether every request ended as expected.
func run(ctx context.Context, cfg config, local *localStack) bool {
	d, err := newDriver(cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load:", err)
		return false
	}
	fmt.Printf("run %s: %d requests, %d at once, mix %s, against %s\n", d.runID, cfg.n, cfg.c, cfg.mix, cfg.intake)
	pruned, err := mailpitDeleted(ctx, cfg.mailpit)
	if err != nil {
		fmt.Fprintln(os.Stderr, "load: Mailpit:", err)
		return false
	}
	res := d.run(ctx)
	res.print(os.Stdout)

	ok := res.allCompleted()
	mailOK := checkEmails(ctx, os.Stdout, cfg.mailpit, d.runID, res, pruned)
	ok = ok && mailOK
	printHistoryLength(ctx, os.Stdout, cfg.temporal, res)
	if local != nil {
		local.printPeakRSS(os.Stdout)
	}
	if ok {
		fmt.Println("check: PASS: every request reached its expected status with exactly its two emails")
	} else {
		fmt.Println("check: FAIL")
	}
	return ok
}

func fatal(err error) {
	fmt.Fprintln(os.Stderr, "load:", err)
	os.Exit(1)
}
