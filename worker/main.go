// Command worker runs the onboarding workflow and its activities. Every
// setting is an environment variable: `worker -h` lists them. It reaches
// Temporal through the SDK's environment configuration (TEMPORAL_ADDRESS,
// TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TLS settings or a profile file), and
// serves /metrics, /healthz and /readyz on OPS_ADDR.
package main

import (
	"context"
	"errors"
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
	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/monitor"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help") {
		fmt.Println("usage: worker\n\nThe onboarding worker. It reads these environment variables:")
		env := settings.Map(nil)
		config.LoadWorker(env)
		env.WriteUsage(os.Stdout)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx); err != nil {
		slog.Error("Worker stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	env := settings.OS()
	cfg := config.LoadWorker(env)
	if err := env.Err(); err != nil {
		return err
	}
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return fmt.Errorf("temporal client configuration: %w", err)
	}
	m, err := monitor.NewMetrics()
	if err != nil {
		return err
	}
	defer m.Close()
	opts.Logger = log.NewStructuredLogger(slog.Default())
	opts.MetricsHandler = m.Handler()
	if cfg.PayloadKeys != nil {
		if opts.DataConverter, err = codec.NewDataConverter(cfg.PayloadKeys); err != nil {
			return err
		}
	}
	c, err := client.DialContext(ctx, opts)
	if err != nil {
		return fmt.Errorf("connect to temporal: %w", err)
	}
	defer c.Close()

	store, err := commerce.Open(ctx, cfg.CommerceDB)
	if err != nil {
		return err
	}
	defer store.Close()
	salesClient, err := sales.New(cfg.Sales)
	if err != nil {
		return err
	}
	salesClient.Observe(activities.ObserveSales(m.Handler()))
	sender, err := mail.NewSender(cfg.Mail)
	if err != nil {
		return err
	}
	if cfg.Activities.SalesInbox == "" {
		slog.Warn("SALES_INBOX is not set: reminders of requests waiting long for Sales are logged, not sent")
	}
	acts, err := activities.New(store, salesClient, sender, cfg.Activities)
	if err != nil {
		return err
	}

	ops := &monitor.Server{Addr: cfg.OpsAddr, Metrics: m, Logger: slog.Default(), Checks: map[string]monitor.Check{
		"temporal": monitor.TemporalCheck(c),
		"database": store.Ping,
	}}
	if err := ops.Start(); err != nil {
		return fmt.Errorf("OPS_ADDR %s: %w", cfg.OpsAddr, err)
	}
	defer func() {
		shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = ops.Shutdown(shutdown)
	}()

	if cfg.Tuning.StickyCacheSize > 0 {
		worker.SetStickyWorkflowCacheSize(cfg.Tuning.StickyCacheSize)
	}
	// On SIGTERM, running activities get WORKER_STOP_TIMEOUT to finish;
	// what does not finish is retried by another worker.
	w := worker.New(c, workflows.TaskQueue, cfg.Tuning.Options())
	w.RegisterWorkflowWithOptions(workflows.PartnerOnboarding, workflow.RegisterOptions{Name: workflows.WorkflowName})
	w.RegisterWorkflowWithOptions(workflows.SalesEventWorkflow, workflow.RegisterOptions{Name: workflows.SalesEventWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.ResendEmailWorkflow, workflow.RegisterOptions{Name: workflows.ResendEmailWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.ErasePersonalDataWorkflow, workflow.RegisterOptions{Name: workflows.ErasePersonalDataWorkflowName})
	w.RegisterWorkflowWithOptions(workflows.AddPartnerUser, workflow.RegisterOptions{Name: workflows.AddPartnerUserWorkflowName})
	acts.Register(w)
	scheduleCtx, cancelSchedule := context.WithTimeout(ctx, 10*time.Second)
	if err := keepRetentionSchedule(scheduleCtx, c.ScheduleClient(), cfg.Retention); err != nil {
		slog.Warn("Retention schedule not set up: rejected requests keep their personal data until a worker's start sets it up",
			"schedule", workflows.RetentionScheduleID, "error", err)
	} else {
		slog.Info("Retention schedule set up", "schedule", workflows.RetentionScheduleID, "on", cfg.Retention.On(),
			"period", cfg.Retention.Period)
	}
	cancelSchedule()
	slog.Info("Worker polling", "taskQueue", workflows.TaskQueue, "namespace", opts.Namespace,
		"commerce", store.Backend(), "stopTimeout", cfg.Tuning.StopTimeout)
	err = w.Run(interruptFromContext(ctx))
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
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
