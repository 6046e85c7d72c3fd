package mail

import (
	"strings"
	"testing"
	"time"
)

func clearEnv(t *testing.T) {
	for _, k := range []string{"SMTP_HOST", "SMTP_PORT", "SMTP_USERNAME", "SMTP_PASSWORD", "SMTP_TLS", "MAIL_FROM", "SMTP_TIMEOUT"} {
		t.Setenv(k, "")
	}
}

func TestConfigFromEnvDefaults(t *testing.T) {
	clearEnv(t)
	// No server, no fallback: a production start must not try a local one.
	if _, err := ConfigFromEnv(); err == nil || !strings.Contains(err.Error(), "SMTP_HOST is required") {
		t.Errorf("no SMTP_HOST: err = %v", err)
	}
	t.Setenv("SMTP_HOST", "127.0.0.1")
	t.Setenv("SMTP_PORT", "1025")
	cfg, err := ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want := Config{Host: "127.0.0.1", Port: 1025, TLS: TLSNone, From: DefaultFrom, Timeout: DefaultTimeout}
	if cfg != want {
		t.Errorf("local server = %+v, want %+v", cfg, want)
	}

	t.Setenv("SMTP_HOST", "smtp.example.net")
	t.Setenv("SMTP_PORT", "587")
	t.Setenv("SMTP_USERNAME", "shop")
	t.Setenv("SMTP_PASSWORD", "secret")
	t.Setenv("MAIL_FROM", "Partners <partners@example.net>")
	t.Setenv("SMTP_TIMEOUT", "5s")
	cfg, err = ConfigFromEnv()
	if err != nil {
		t.Fatal(err)
	}
	want = Config{Host: "smtp.example.net", Port: 587, Username: "shop", Password: "secret", TLS: TLSMandatory,
		From: "Partners <partners@example.net>", Timeout: 5 * time.Second}
	if cfg != want {
		t.Errorf("remote host = %+v, want %+v (TLS mandatory by default)", cfg, want)
	}

	for _, host := range []string{"localhost", "::1", "127.0.0.2"} {
		t.Setenv("SMTP_HOST", host)
		if cfg, _ := ConfigFromEnv(); cfg.TLS != TLSNone {
			t.Errorf("host %s: TLS = %s, want none", host, cfg.TLS)
		}
	}
	t.Setenv("SMTP_TLS", "TLS")
	if cfg, _ := ConfigFromEnv(); cfg.TLS != TLSImplicit {
		t.Errorf("SMTP_TLS=TLS gave %s", cfg.TLS)
	}
}

func TestConfigFromEnvNamesTheBadVariable(t *testing.T) {
	for name, value := range map[string]string{
		"SMTP_PORT":     "70000",
		"SMTP_TLS":      "starttls",
		"MAIL_FROM":     "not an address",
		"SMTP_TIMEOUT":  "soon",
		"SMTP_PASSWORD": "secret without a user",
	} {
		t.Run(name, func(t *testing.T) {
			clearEnv(t)
			t.Setenv("SMTP_HOST", "smtp.example.net")
			t.Setenv(name, value)
			_, err := ConfigFromEnv()
			if err == nil || !strings.Contains(err.Error(), name) {
				t.Errorf("%s=%q: err = %v, want one naming %s", name, value, err, name)
			}
		})
	}
}

func TestNewSenderValidates(t *testing.T) {
	good := Config{Host: "127.0.0.1", Port: 1025, TLS: TLSNone, From: DefaultFrom}
	if _, err := NewSender(good); err != nil {
		t.Fatalf("valid config: %v", err)
	}
	for field, mutate := range map[string]func(*Config){
		"Host": func(c *Config) { c.Host = "" },
		"Port": func(c *Config) { c.Port = 0 },
		"TLS":  func(c *Config) { c.TLS = "" },
		"From": func(c *Config) { c.From = "nobody" },
	} {
		c := good
		mutate(&c)
		if _, err := NewSender(c); err == nil || !strings.Contains(err.Error(), field) {
			t.Errorf("bad %s: err = %v", field, err)
		}
	}
}
