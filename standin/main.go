// Command standin runs the Sales stand-in: a local Dynamics 365 Sales with the Dataverse Web API
// subset the product uses, a seller page, and Dataverse-format webhooks.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/settings"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help") {
		fmt.Println("usage: standin\n\nThe Sales stand-in, for local runs and tests. It reads these environment variables:")
		env := settings.Map(nil)
		config.LoadStandin(env)
		env.WriteUsage(os.Stdout)
		return
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	env := settings.OS()
	cfg := config.LoadStandin(env)
	if err := env.Err(); err != nil {
		log.Error("sales stand-in not started", "error", err)
		os.Exit(2)
	}
	cfg.Standin.Logger = log
	if err := run(log, cfg.Addr, cfg.Standin); err != nil {
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
