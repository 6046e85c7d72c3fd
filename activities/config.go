package activities

import (
	"fmt"
	"net/mail"
	"os"
	"regexp"
	"strconv"
	"strings"
)

var (
	amount   = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)
	currency = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ConfigFromEnv reads CREDIT_LIMIT (a decimal such as 5000.00, default
// 5000.00), CREDIT_LIMIT_CURRENCY (default EUR), SHOP_NAME (default "B2B
// Shop"), MESSAGE_ID_DOMAIN (default: the domain of MAIL_FROM) and
// SALES_INBOX (the address that gets reminders of requests waiting long for
// Sales; none by default). SalesAppURL is the caller's to set.
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		CreditLimitCurrency: strings.ToUpper(envOr("CREDIT_LIMIT_CURRENCY", "EUR")),
		ShopName:            envOr("SHOP_NAME", "B2B Shop"),
		MessageIDDomain:     os.Getenv("MESSAGE_ID_DOMAIN"),
		SalesInbox:          strings.TrimSpace(os.Getenv("SALES_INBOX")),
	}
	if cfg.SalesInbox != "" {
		if a, err := mail.ParseAddress(cfg.SalesInbox); err != nil || a.Address != cfg.SalesInbox {
			return Config{}, fmt.Errorf("SALES_INBOX %q is not a plain email address such as sales@shop.example", cfg.SalesInbox)
		}
	}
	limit := envOr("CREDIT_LIMIT", "5000.00")
	minor, err := minorUnits(limit)
	if err != nil {
		return Config{}, fmt.Errorf("CREDIT_LIMIT %q: %w", limit, err)
	}
	cfg.CreditLimit = minor
	// Commerce accepts only three letters; a bad code caught here fails the
	// worker's start instead of every approval's hierarchy step.
	if !currency.MatchString(cfg.CreditLimitCurrency) {
		return Config{}, fmt.Errorf("CREDIT_LIMIT_CURRENCY %q is not a three-letter currency code such as EUR", cfg.CreditLimitCurrency)
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = "shop.example"
		if from, err := mail.ParseAddress(os.Getenv("MAIL_FROM")); err == nil {
			if _, domain, ok := strings.Cut(from.Address, "@"); ok {
				cfg.MessageIDDomain = domain
			}
		}
	}
	return cfg, nil
}

// minorUnits turns "5000.5" into 500050.
func minorUnits(s string) (int64, error) {
	if !amount.MatchString(s) {
		return 0, fmt.Errorf("is not an amount such as 5000.00")
	}
	whole, frac, _ := strings.Cut(s, ".")
	frac = (frac + "00")[:2]
	return strconv.ParseInt(whole+frac, 10, 64)
}

func envOr(name, fallback string) string {
	if v := strings.TrimSpace(os.Getenv(name)); v != "" {
		return v
	}
	return fallback
}
