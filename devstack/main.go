// Command devstack runs the whole product locally as plain processes: the
// Temporal dev server with its Web UI, Mailpit, the codec server, the Sales
// stand-in, the worker and the starter. Ctrl-C stops them all; data stays in -data.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"text/tabwriter"

	"github.com/partner-onboarding/onboarding/stack"
)

func main() {
	dataDir := flag.String("data", "data", "directory for the databases, the built binaries and the logs")
	headless := flag.Bool("headless", false, "run the Temporal dev server without its Web UI")
	toolsOnly := flag.Bool("tools-only", false, "install the missing tools into .tools/bin and exit")
	flag.Parse()
	if err := run(*dataDir, *headless, *toolsOnly); err != nil {
		fmt.Fprintln(os.Stderr, "devstack:", err)
		os.Exit(1)
	}
}

func run(dataDir string, headless, toolsOnly bool) error {
	root, err := stack.FindRepoRoot()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if toolsOnly {
		tools, err := stack.EnsureTools(ctx, root, os.Stderr)
		if err != nil {
			return err
		}
		fmt.Printf("tools: %s %s %s\n", tools.Temporal, tools.Mailpit, tools.Workflowcheck)
		return nil
	}

	// A relative -data is relative to where devstack runs, as flags are.
	s, err := stack.Start(ctx, stack.Options{
		RepoRoot: root,
		DataDir:  dataDir,
		Ports:    stack.DefaultPorts(),
		Headless: headless,
		Log:      os.Stderr,
	})
	if err != nil {
		return err
	}
	printURLs(s)

	waitErr := make(chan error, 1)
	go func() { waitErr <- s.Wait() }()
	select {
	case <-ctx.Done():
		fmt.Fprintln(os.Stderr, "devstack: stopping")
	case err = <-waitErr:
		fmt.Fprintln(os.Stderr, "devstack: a process died, stopping the rest")
	}
	return errors.Join(err, s.Stop())
}

func printURLs(s *stack.Stack) {
	u := s.URLs()
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "\nThe local stack is ready:")
	if u.TemporalUI != "" {
		fmt.Fprintf(w, "  Temporal UI\t%s\n", u.TemporalUI)
	}
	fmt.Fprintf(w, "  Temporal gRPC\t%s\t(temporal --address %s workflow list)\n", u.TemporalAddress, u.TemporalAddress)
	fmt.Fprintf(w, "  Mailpit\t%s\n", u.MailpitUI)
	fmt.Fprintf(w, "  Sales stand-in\t%s\t(the sellers' page)\n", u.SellerPage)
	fmt.Fprintf(w, "  Intake\t%s\t(POST onboarding requests)\n", u.Intake)
	fmt.Fprintf(w, "  Intake API key\t%s\t(Authorization: Bearer %s; export STARTER_API_KEY=%s for starter submit and show)\n",
		u.IntakeKey, u.IntakeKey, u.IntakeKey)
	fmt.Fprintf(w, "  Sales webhooks\t%s\t(the stand-in posts here)\n", u.Webhooks)
	fmt.Fprintf(w, "  Metrics\t%s\t%s\n", u.WorkerMetrics, u.StarterMetrics)
	fmt.Fprintf(w, "  Codec server\t%s\t(temporal ... --codec-endpoint %s --codec-auth '%s')\n", u.CodecServer, u.CodecServer, s.CodecAuth())
	fmt.Fprintf(w, "  Payload keys\t%s\t(PAYLOAD_KEYS_FILE for go run ./starter show --live, retry, ...)\n", s.PayloadKeysFile())
	fmt.Fprintf(w, "  Data and logs\t%s\n", s.DataDir)
	fmt.Fprintln(w, "Ctrl-C stops everything; the data stays.")
	w.Flush()
}
