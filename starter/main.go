// Command starter is the front door of partner onboarding.
//
//	starter serve              the HTTP intake for the B2B site and, on a listener of its own, the Sales webhook receiver
//	starter submit FILE.json   submit an onboarding request (the intake's JSON) to a running starter
//	starter show ID            show a request's state, as the register has it
//	starter show --live ID     show the workflow's own state (a query, for operators)
//
// the staff's commands for an approved partner (ORG is its organization
// customer ID, organizationCustomerId in show), which call the same HTTP API:
//
//	starter partner ORG        show the partner: hierarchy, credit limit, blocked, and the changes, newest first
//	starter credit ORG -amount N -currency EUR [-allow-over-limit] -by NAME -reason TEXT
//	                           change its credit limit (N in minor units, e.g. cents)
//	starter block ORG -by NAME -reason TEXT
//	                           block it: its users still sign in but may not order
//	starter unblock ORG -by NAME -reason TEXT
//	                           let its users order again
//
// and the operators' commands, which reach Temporal directly:
//
//	starter retry ID [-operator NAME] [-reason TEXT]
//	                           run the step that needs attention again
//	starter correct ID FILE.json [-operator NAME] [-reason TEXT]
//	                           fix the request's data (the correct-request Update)
//	starter abandon ID -reason TEXT [-decline-email] [-operator NAME]
//	                           end the request as Rejected (the abandon Update)
//	starter resend ID KIND [-operator NAME] [-reason TEXT]
//	                           send the receipt, welcome or decline email again
//
// Every setting of serve is an environment variable: `starter -h` lists them.
// serve reaches Temporal through the SDK's environment configuration
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...), serves the intake on
// STARTER_ADDR (with its OpenAPI document at /openapi.yaml), the webhook
// receiver on WEBHOOK_ADDR, and /metrics, /healthz and /readyz on OPS_ADDR.
// submit, show and the partner commands talk to STARTER_URL (default
// http://127.0.0.1:8080) with the API key in STARTER_API_KEY.
package main

import (
	"bytes"
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/api"
	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/metrics"
	"github.com/partner-onboarding/onboarding/monitor"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/settings"
)

const usage = `usage:
  starter serve
  starter submit FILE.json
  starter show [--live] ID
  starter retry ID [-operator NAME] [-reason TEXT]
  starter correct ID FILE.json [-operator NAME] [-reason TEXT]
  starter abandon ID -reason TEXT [-decline-email] [-operator NAME]
  starter resend ID receipt|welcome|decline [-operator NAME] [-reason TEXT]
  starter partner ORG
  starter credit ORG -amount N -currency EUR [-allow-over-limit] -by NAME -reason TEXT
  starter block ORG -by NAME -reason TEXT
  starter unblock ORG -by NAME -reason TEXT`

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	switch cmd, args := os.Args[1], os.Args[2:]; {
	case cmd == "serve" && len(args) == 0:
		err = serve(ctx)
	case cmd == "-h" || cmd == "--help" || cmd == "help":
		fmt.Println(usage + "\n\nORG is a partner's organization customer ID (organizationCustomerId in show); N is in minor units (cents)." +
			"\nsubmit, show, partner, credit, block and unblock call STARTER_URL (default http://127.0.0.1:8080) with the API key in STARTER_API_KEY." +
			"\nstarter serve reads these environment variables (the operators' commands read the TEMPORAL_* and PAYLOAD_* ones):")
		env := settings.Map(nil)
		config.LoadStarter(env)
		env.WriteUsage(os.Stdout)
		return
	case cmd == "submit" && len(args) == 1:
		err = submit(ctx, args[0])
	case cmd == "show" && len(args) == 1:
		err = show(ctx, args[0])
	case cmd == "show" && len(args) == 2 && (args[0] == "-live" || args[0] == "--live"):
		err = showLive(ctx, args[1])
	case cmd == "retry" || cmd == "correct" || cmd == "abandon" || cmd == "resend":
		err = operate(ctx, cmd, args)
	case cmd == "partner" || cmd == "credit" || cmd == "block" || cmd == "unblock":
		err = partner(ctx, cmd, args)
	default:
		fmt.Fprintln(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "starter:", err)
		os.Exit(1)
	}
}

func serve(ctx context.Context) error {
	env := settings.OS()
	cfg := config.LoadStarter(env)
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
	// The intake's starts and the receiver's signals are encrypted alike.
	if cfg.PayloadKeys != nil {
		if opts.DataConverter, err = codec.NewDataConverter(cfg.PayloadKeys); err != nil {
			return err
		}
	}
	// Lazy: the front door starts even while Temporal is down, and answers
	// 503 until it is back, so that Dataverse retries its webhooks.
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return fmt.Errorf("temporal client: %w", err)
	}
	defer c.Close()
	store, err := commerce.Open(ctx, cfg.CommerceDB)
	if err != nil {
		return err
	}
	defer store.Close()
	store.SetRoles(cfg.PartnerUserRoles)

	ops := &monitor.Server{Addr: cfg.OpsAddr, Metrics: m, Logger: slog.Default(), Checks: map[string]monitor.Check{
		"temporal": monitor.TemporalCheck(c),
		"database": store.Ping,
		// The start fails without webhook and intake keys; with them, these hold.
		"webhook keys":    func(context.Context) error { return nil },
		"intake API keys": func(context.Context) error { return nil },
	}}
	if err := ops.Start(); err != nil {
		return fmt.Errorf("OPS_ADDR %s: %w", cfg.OpsAddr, err)
	}
	go reportStatuses(ctx, store, m)

	// The intake and the webhook receiver listen apart, so that only the
	// receiver, which Dataverse calls, needs to face the internet.
	intakeMux := http.NewServeMux()
	front := &intake.Service{Temporal: c, Register: store, Partners: store, Users: store, Timing: cfg.Timing, Logger: slog.Default(), Metrics: m.Handler(),
		Keys: cfg.Intake.APIKeys, RatePerKey: float64(cfg.Intake.RatePerKey), BurstPerKey: cfg.Intake.BurstPerKey,
		ReceiptsPerAddress: cfg.Intake.ReceiptsPerAddress}
	front.Routes(intakeMux)
	// The API's description, for the shops that integrate it: no key needed.
	intakeMux.HandleFunc("GET "+api.DocumentPath, api.ServeDocument)
	// A request registered whose start failed waits seconds, not minutes.
	go front.KeepResuming(ctx, resumeEvery, resumeOlderThan)
	hooksMux := http.NewServeMux()
	hooksTemporal := saleshooks.TemporalClient{Client: c, Namespace: cmp.Or(opts.Namespace, client.DefaultNamespace),
		DataConverter: opts.DataConverter, Identity: cmp.Or(opts.Identity, "onboarding starter: Sales webhooks")}
	(&saleshooks.Receiver{Temporal: hooksTemporal, Requests: store, Auth: cfg.WebhookAuth, MaxBody: int64(cfg.WebhookMaxBody),
		ProspectIDColumn: cfg.ProspectIDColumn, Logger: slog.Default(), Metrics: m.Handler()}).Routes(hooksMux)

	servers := []*http.Server{listener(cfg.Addr, intakeMux), listener(cfg.WebhookAddr, hooksMux)}
	errc := make(chan error, len(servers))
	for _, srv := range servers {
		go func() { errc <- srv.ListenAndServe() }()
	}
	slog.Info("Starter listening", "intake", cfg.Addr, "webhooks", cfg.WebhookAddr, "commerce", store.Backend())
	select {
	case err = <-errc:
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	errs := []error{err, ops.Shutdown(shutdown)}
	for _, srv := range servers {
		errs = append(errs, srv.Shutdown(shutdown))
	}
	return errors.Join(errs...)
}

// listener is one of the starter's HTTP servers; each answers GET /healthz
// too, for a load balancer in front of it.
func listener(addr string, mux *http.ServeMux) *http.Server {
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	return &http.Server{
		Addr:              addr,
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      55 * time.Second, // under Dataverse's 60-second webhook timeout
	}
}

// reportStatuses sets the gauge of requests by status from the register
// every few seconds, for the dashboard's requests-by-status panel.
func reportStatuses(ctx context.Context, store *commerce.Store, m *monitor.Metrics) {
	t := time.NewTicker(15 * time.Second)
	defer t.Stop()
	for {
		counts, err := store.CountProspectsByStatus(ctx)
		if err != nil {
			slog.Warn("Could not count requests by status", "error", err)
		}
		for _, status := range commerce.Statuses {
			m.Handler().WithTags(map[string]string{"status": status}).Gauge(metrics.RequestsInStatus).Update(float64(counts[status]))
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// The restart loop for registered requests whose workflow did not start:
// it runs at start and then every resumeEvery, for requests registered at
// least resumeOlderThan ago (the front door starts them itself at once).
const (
	resumeEvery     = 10 * time.Second
	resumeOlderThan = 5 * time.Second
)

func submit(ctx context.Context, path string) error {
	body, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	return call(ctx, http.MethodPost, "/v1/onboarding-requests", body)
}

func show(ctx context.Context, id string) error {
	return call(ctx, http.MethodGet, "/v1/onboarding-requests/"+url.PathEscape(id), nil)
}

// call sends one request to the starter's HTTP API and prints the answer.
func call(ctx context.Context, method, path string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(envOr("STARTER_URL", "http://127.0.0.1:8080"), "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	key := os.Getenv("STARTER_API_KEY")
	if key == "" {
		return errors.New("STARTER_API_KEY is not set: the intake needs one of its INTAKE_API_KEYS")
	}
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	os.Stdout.Write(out)
	if resp.StatusCode >= 300 {
		return fmt.Errorf("%s %s: %s", method, path, resp.Status)
	}
	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
