// Package mail sends the onboarding emails over SMTP.
package mail

import (
	"fmt"
	"net"
	"net/mail"
	"os"
	"strconv"
	"strings"
	"time"
)

// TLSPolicy says how the connection to the SMTP server is secured.
type TLSPolicy string

// The TLS policies.
const (
	TLSNone          TLSPolicy = "none"          // plain text; for a local server only
	TLSOpportunistic TLSPolicy = "opportunistic" // STARTTLS when the server offers it
	TLSMandatory     TLSPolicy = "mandatory"     // STARTTLS or fail
	TLSImplicit      TLSPolicy = "tls"           // TLS from the first byte (port 465)
)

func (p TLSPolicy) valid() bool {
	switch p {
	case TLSNone, TLSOpportunistic, TLSMandatory, TLSImplicit:
		return true
	}
	return false
}

// DefaultFrom is the sender when none is configured.
const DefaultFrom = "B2B Shop <partners@shop.example>"

// DefaultTimeout bounds connecting to the server and each SMTP command.
const DefaultTimeout = 30 * time.Second

// Config is how to reach the SMTP server and whom mail comes from.
type Config struct {
	Host     string
	Port     int
	Username string // SMTP AUTH is used only when set
	Password string
	TLS      TLSPolicy
	From     string // "B2B Shop <partners@example.com>"
	Timeout  time.Duration
}

// ConfigFromEnv reads the configuration from SMTP_HOST (default 127.0.0.1),
// SMTP_PORT (1025), SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS (none for a
// loopback host, else mandatory), MAIL_FROM (DefaultFrom) and SMTP_TIMEOUT (a
// Go duration, default 30s).
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		Host:     envOr("SMTP_HOST", "127.0.0.1"),
		Port:     1025,
		Username: os.Getenv("SMTP_USERNAME"),
		Password: os.Getenv("SMTP_PASSWORD"),
		From:     envOr("MAIL_FROM", DefaultFrom),
		Timeout:  DefaultTimeout,
	}
	if v := strings.TrimSpace(os.Getenv("SMTP_PORT")); v != "" {
		port, err := strconv.Atoi(v)
		if err != nil || port < 1 || port > 65535 {
			return Config{}, fmt.Errorf("SMTP_PORT %q is not a port number (1-65535)", v)
		}
		cfg.Port = port
	}
	if v := strings.TrimSpace(os.Getenv("SMTP_TLS")); v != "" {
		cfg.TLS = TLSPolicy(strings.ToLower(v))
		if !cfg.TLS.valid() {
			return Config{}, fmt.Errorf("SMTP_TLS %q is none of none, opportunistic, mandatory, tls", v)
		}
	} else if isLoopback(cfg.Host) {
		cfg.TLS = TLSNone
	} else {
		cfg.TLS = TLSMandatory
	}
	if v := strings.TrimSpace(os.Getenv("SMTP_TIMEOUT")); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("SMTP_TIMEOUT %q is not a positive duration such as 30s", v)
		}
		cfg.Timeout = d
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		return Config{}, fmt.Errorf("MAIL_FROM %q is not an address such as %q: %w", cfg.From, DefaultFrom, err)
	}
	if cfg.Password != "" && cfg.Username == "" {
		return Config{}, fmt.Errorf("SMTP_PASSWORD is set but SMTP_USERNAME is empty")
	}
	return cfg, nil
}

// Validate reports the first invalid field of c.
func (c Config) Validate() error {
	switch {
	case strings.TrimSpace(c.Host) == "":
		return fmt.Errorf("mail config: Host is empty")
	case c.Port < 1 || c.Port > 65535:
		return fmt.Errorf("mail config: Port %d is not a port number (1-65535)", c.Port)
	case !c.TLS.valid():
		return fmt.Errorf("mail config: TLS %q is none of none, opportunistic, mandatory, tls", c.TLS)
	case c.Timeout < 0:
		return fmt.Errorf("mail config: Timeout %s is negative", c.Timeout)
	case c.Password != "" && c.Username == "":
		return fmt.Errorf("mail config: Password is set but Username is empty")
	}
	if _, err := mail.ParseAddress(c.From); err != nil {
		return fmt.Errorf("mail config: From %q is not an address: %w", c.From, err)
	}
	return nil
}

func envOr(name, def string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return def
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
