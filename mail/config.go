// Package mail sends the onboarding emails over SMTP.
package mail

import (
	"fmt"
	"net"
	"net/mail"
	"strings"
	"time"

	"github.com/partner-onboarding/onboarding/settings"
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

// ConfigFromEnv reads the SMTP_* and MAIL_FROM settings; see ConfigFrom.
func ConfigFromEnv() (Config, error) {
	env := settings.OS()
	cfg := ConfigFrom(env)
	return cfg, env.Err()
}

// ConfigFrom reads the SMTP server from SMTP_HOST (required: a production
// start without one fails instead of trying a local server), SMTP_PORT,
// SMTP_USERNAME, SMTP_PASSWORD, SMTP_TLS (none for a loopback host, else
// mandatory), MAIL_FROM and SMTP_TIMEOUT.
func ConfigFrom(env *settings.Env) Config {
	cfg := Config{
		Host:     env.Required("SMTP_HOST", "the SMTP server (the local stack: its Mailpit)"),
		Port:     env.Int("SMTP_PORT", 587, 1, 65535, "the SMTP port (587 submission, 465 with SMTP_TLS=tls)"),
		Username: env.String("SMTP_USERNAME", "", "SMTP AUTH user; no AUTH when empty"),
		Password: env.String("SMTP_PASSWORD", "", "SMTP AUTH password"),
		From:     env.String("MAIL_FROM", DefaultFrom, "the sender of every email"),
		Timeout:  env.Duration("SMTP_TIMEOUT", DefaultTimeout, "bounds connecting and each SMTP command"),
	}
	defaultTLS := string(TLSMandatory)
	if isLoopback(cfg.Host) {
		defaultTLS = string(TLSNone)
	}
	tls := env.String("SMTP_TLS", "", "none, opportunistic, mandatory (STARTTLS) or tls (implicit; default: none for a loopback host, else mandatory)")
	if tls == "" {
		tls = defaultTLS
	}
	cfg.TLS = TLSPolicy(strings.ToLower(tls))
	if !cfg.TLS.valid() {
		env.Invalid("SMTP_TLS", tls, "is none of none, opportunistic, mandatory, tls")
	}
	if _, err := mail.ParseAddress(cfg.From); err != nil {
		env.Invalid("MAIL_FROM", cfg.From, fmt.Sprintf("is not an address such as %q", DefaultFrom))
	}
	if cfg.Password != "" && cfg.Username == "" {
		env.Problem("SMTP_PASSWORD is set but SMTP_USERNAME is empty")
	}
	return cfg
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

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}
