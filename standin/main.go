// Command standin runs the Sales stand-in: a local Dynamics 365 Sales with the Dataverse Web API
// subset the product uses, a seller page, and Dataverse-format webhooks.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/partner-onboarding/onboarding/salesstandin"
)

func main() {
	addr := flag.String("addr", env("STANDIN_ADDR", "127.0.0.1:8090"), "listen address")
	dataDir := flag.String("data", env("STANDIN_DATA_DIR", "data/standin"), "data directory")
	webhookURL := flag.String("webhook-url", env("STANDIN_WEBHOOK_URL", "http://127.0.0.1:8080/v1/hooks/dataverse"), "webhook endpoint; empty disables webhooks")
	webhookKey := flag.String("webhook-key", env("STANDIN_WEBHOOK_KEY", "local-webhook-key"), "webhook key, sent as ?code=")
	clientID := flag.String("client-id", env("STANDIN_CLIENT_ID", "onboarding-worker"), "OAuth client ID accepted by the token endpoint")
	clientSecret := flag.String("client-secret", env("STANDIN_CLIENT_SECRET", "local-secret"), "OAuth client secret accepted by the token endpoint")
	webhookMode := flag.String("webhook-mode", env("STANDIN_WEBHOOK_MODE", "deliver"), "deliver, drop, repeat or hold webhooks (change later with PUT /standin/webhooks/mode)")
	faultsJSON := flag.String("faults", env("STANDIN_FAULTS", ""), `Web API faults at start, JSON such as [{"kind":"throttle","count":5,"retryAfter":"2s"}] (change later with /standin/faults)`)
	flag.Parse()

	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	var faults []salesstandin.Fault
	if *faultsJSON != "" {
		var err error
		if faults, err = salesstandin.ParseFaults([]byte(*faultsJSON)); err != nil {
			log.Error("sales stand-in not started", "error", fmt.Errorf("-faults / STANDIN_FAULTS: %w", err))
			os.Exit(2)
		}
	}
	if err := run(log, *addr, salesstandin.Config{
		DataDir:      *dataDir,
		WebhookURL:   *webhookURL,
		WebhookKey:   *webhookKey,
		ClientID:     *clientID,
		ClientSecret: *clientSecret,
		WebhookMode:  salesstandin.WebhookMode(*webhookMode),
		Faults:       faults,
		Logger:       log,
	}); err != nil {
		log.Error("sales stand-in stopped", "error", err)
		os.Exit(1)
	}
}

func run(log *slog.Logger, addr string, cfg salesstandin.Config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	server, err := salesstandin.New(cfg)
	if err != nil {
		return err
	}
	defer server.Close()

	listener, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	httpServer := &http.Server{Handler: server.Handler(), ReadHeaderTimeout: 10 * time.Second}
	errc := make(chan error, 1)
	go func() { errc <- httpServer.Serve(listener) }()
	log.Info("sales stand-in listening", "seller_page", "http://"+listener.Addr().String()+"/",
		"web_api", "http://"+listener.Addr().String()+"/api/data/v9.2/", "data", cfg.DataDir, "webhooks", cfg.WebhookURL != "")

	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("sales stand-in stopping")
	shutdown, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := httpServer.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

func env(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}
