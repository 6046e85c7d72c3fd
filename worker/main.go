// Command worker runs the onboarding workflow and its activities. It reaches
// Temporal through the SDK's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings or a profile file), the
// Commerce database through COMMERCE_DB, Sales through SALES_* and the mail
// server through SMTP_*.
package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx); err != nil {
		slog.Error("Worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return fmt.Errorf("temporal client configuration: %w", err)
	}
	opts.Logger = log.NewStructuredLogger(slog.Default())
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to temporal: %w", err)
	}
	defer c.Close()

	store, err := commerce.Open(ctx, commerce.PathFromEnv())
	if err != nil {
		return err
	}
	defer store.Close()
	salesCfg, err := sales.ConfigFromEnv()
	if err != nil {
		return err
	}
	salesClient, err := sales.New(salesCfg)
	if err != nil {
		return err
	}
	mailCfg, err := mail.ConfigFromEnv()
	if err != nil {
		return err
	}
	sender, err := mail.NewSender(mailCfg)
	if err != nil {
		return err
	}
	cfg, err := activities.ConfigFromEnv()
	if err != nil {
		return err
	}
	cfg.SalesAppURL = salesCfg.EnvironmentURL
	if cfg.SalesInbox == "" {
		slog.Warn("SALES_INBOX is not set: reminders of requests waiting long for Sales are logged, not sent")
	}
	acts, err := activities.New(store, salesClient, sender, cfg)
	if err != nil {
		return err
	}

	// On SIGTERM, running activities get a moment to finish; what does not
	// finish is retried by the next worker.
	w := worker.New(c, workflows.TaskQueue, worker.Options{WorkerStopTimeout: 10 * time.Second})
	w.RegisterWorkflowWithOptions(workflows.PartnerOnboarding, workflow.RegisterOptions{Name: workflows.WorkflowName})
	w.RegisterWorkflowWithOptions(workflows.SalesEventWorkflow, workflow.RegisterOptions{Name: workflows.SalesEventWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.ResendEmailWorkflow, workflow.RegisterOptions{Name: workflows.ResendEmailWorkflowName})
	acts.Register(w)
	slog.Info("Worker polling", "taskQueue", workflows.TaskQueue, "namespace", opts.Namespace)
	return w.Run(interruptFromContext(ctx))
}

// interruptFromContext lets the worker stop gracefully when ctx ends.
func interruptFromContext(ctx context.Context) <-chan any {
	ch := make(chan any, 1)
	go func() {
		<-ctx.Done()
		ch <- struct{}{}
	}()
	return ch
}
