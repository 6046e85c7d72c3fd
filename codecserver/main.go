// Command codecserver decrypts the product's payloads for the Temporal Web
// UI and CLI (POST /encode and /decode), with the workers' keys, for those
// who hold a token. Every setting is an environment variable:
// `codecserver -h` lists them. It is a command of its own, not a part of
// the starter, so that the keys live only where they must: the workers,
// the starters and this server, which operators reach and Sales does not.
package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "-h" || os.Args[1] == "--help" || os.Args[1] == "help") {
		fmt.Println("usage: codecserver\n\nThe codec server for the Temporal Web UI and CLI. It reads these environment variables:")
		env := settings.Map(nil)
		config.LoadCodecServer(env)
		env.WriteUsage(os.Stdout)
		return
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	slog.SetDefault(slog.New(slog.NewTextHandler(os.Stderr, nil)))
	if err := run(ctx); err != nil {
		slog.Error("Codec server stopped", "error", err)
		os.Exit(1)
	}
}

func run(ctx context.Context) error {
	env := settings.OS()
	cfg := config.LoadCodecServer(env)
	if err := env.Err(); err != nil {
		return err
	}
	c, err := codec.New(cfg.Keys)
	if err != nil {
		return err
	}
	cfg.Server.Logger = slog.Default()
	srv := &http.Server{
		Addr:              cfg.Addr,
		Handler:           codec.Handler(c, cfg.Server),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      30 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	slog.Info("Codec server listening", "addr", cfg.Addr, "currentKey", c.CurrentKeyID(), "keys", len(cfg.Keys),
		"allowedOrigins", cfg.Server.AllowedOrigins, "uiWithoutToken", cfg.Server.UIWithoutToken)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
