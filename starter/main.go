// Command starter is the front door of partner onboarding.
//
//	starter serve              the HTTP intake for the B2B site and the Sales webhook receiver
//	starter submit FILE.json   submit an onboarding request (the intake's JSON) to a running starter
//	starter show ID            show a request's state
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
// serve reaches Temporal through the SDK's environment configuration
// (TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, ...), listens on STARTER_ADDR
// (default 127.0.0.1:8080) and accepts webhooks carrying one of WEBHOOK_KEYS
// (comma-separated) as the code query parameter, or the header
// WEBHOOK_HEADER_NAME with one of WEBHOOK_HEADER_VALUES, and bodies of up to
// WEBHOOK_MAX_BODY bytes (default 1 MiB). New requests wait for Sales as
// SALES_CHECK_INTERVAL, LEAD_REMINDER_AFTER, OPPORTUNITY_REMINDER_AFTER and
// GIVE_UP_AFTER say (Go durations; defaults 1h, 72h, 336h, 720h). submit and
// show talk to STARTER_URL (default http://127.0.0.1:8080).
package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/contrib/envconfig"
	"go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/intake"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

const usage = `usage:
  starter serve
  starter submit FILE.json
  starter show ID
  starter retry ID [-operator NAME] [-reason TEXT]
  starter correct ID FILE.json [-operator NAME] [-reason TEXT]
  starter abandon ID -reason TEXT [-decline-email] [-operator NAME]
  starter resend ID receipt|welcome|decline [-operator NAME] [-reason TEXT]`

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
	case cmd == "submit" && len(args) == 1:
		err = submit(ctx, args[0])
	case cmd == "show" && len(args) == 1:
		err = show(ctx, args[0])
	case cmd == "retry" || cmd == "correct" || cmd == "abandon" || cmd == "resend":
		err = operate(ctx, cmd, args)
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
	opts, err := envconfig.LoadDefaultClientOptions()
	if err != nil {
		return fmt.Errorf("temporal client configuration: %w", err)
	}
	opts.Logger = log.NewStructuredLogger(slog.Default())
	// Lazy: the front door starts even while Temporal is down, and answers
	// 503 until it is back, so that Dataverse retries its webhooks.
	c, err := client.NewLazyClient(opts)
	if err != nil {
		return fmt.Errorf("temporal client: %w", err)
	}
	defer c.Close()
	store, err := commerce.Open(ctx, commerce.PathFromEnv())
	if err != nil {
		return err
	}
	defer store.Close()
	// The receiver reads Sales' webhooks only; it needs the prospect column,
	// not Sales' credentials.
	salesCfg, err := sales.ConfigFromEnv()
	if err != nil {
		return err
	}
	timing, err := timingFromEnv()
	if err != nil {
		return err
	}
	maxBody, err := sizeEnv("WEBHOOK_MAX_BODY", saleshooks.DefaultMaxBody)
	if err != nil {
		return err
	}
	auth := saleshooks.Auth{
		Keys:         list(os.Getenv("WEBHOOK_KEYS")),
		HeaderName:   os.Getenv("WEBHOOK_HEADER_NAME"),
		HeaderValues: list(os.Getenv("WEBHOOK_HEADER_VALUES")),
	}
	if len(auth.Keys) == 0 && (auth.HeaderName == "" || len(auth.HeaderValues) == 0) {
		return errors.New("WEBHOOK_KEYS, or WEBHOOK_HEADER_NAME with WEBHOOK_HEADER_VALUES, must be set: Sales webhooks are never accepted unauthenticated")
	}

	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusOK) })
	front := &intake.Service{Temporal: c, Register: store, Timing: timing, Logger: slog.Default()}
	front.Routes(mux)
	// A request registered whose start failed waits seconds, not minutes.
	go front.KeepResuming(ctx, resumeEvery, resumeOlderThan)
	(&saleshooks.Receiver{Temporal: c, Auth: auth, MaxBody: maxBody, ProspectIDColumn: salesCfg.ProspectIDColumn,
		Logger: slog.Default()}).Routes(mux)

	srv := &http.Server{
		Addr:              envOr("STARTER_ADDR", "127.0.0.1:8080"),
		Handler:           mux,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      55 * time.Second, // under Dataverse's 60-second webhook timeout
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("Starter listening", "addr", srv.Addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	return srv.Shutdown(shutdown)
}

// The restart loop for registered requests whose workflow did not start:
// it runs at start and then every resumeEvery, for requests registered at
// least resumeOlderThan ago (the front door starts them itself at once).
const (
	resumeEvery     = 10 * time.Second
	resumeOlderThan = 5 * time.Second
)

func timingFromEnv() (workflows.Timing, error) {
	var t workflows.Timing
	for name, d := range map[string]*time.Duration{
		"SALES_CHECK_INTERVAL":       &t.SalesCheckInterval,
		"LEAD_REMINDER_AFTER":        &t.LeadReminderAfter,
		"OPPORTUNITY_REMINDER_AFTER": &t.OpportunityReminderAfter,
		"GIVE_UP_AFTER":              &t.GiveUpAfter,
	} {
		v, err := durationEnv(name)
		if err != nil {
			return workflows.Timing{}, err
		}
		*d = v
	}
	return t, nil
}

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

func durationEnv(name string) (time.Duration, error) {
	v := os.Getenv(name)
	if v == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive duration such as 1h or 30s", name, v)
	}
	return d, nil
}

// sizeEnv reads a size in bytes, such as 1048576.
func sizeEnv(name string, fallback int64) (int64, error) {
	v := os.Getenv(name)
	if v == "" {
		return fallback, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("%s %q is not a positive number of bytes such as 1048576", name, v)
	}
	return n, nil
}

func list(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
