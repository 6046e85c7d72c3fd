package activities

import (
	"fmt"
	"net/mail"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/partner-onboarding/onboarding/settings"
)

var (
	amount   = regexp.MustCompile(`^[0-9]{1,12}(\.[0-9]{1,2})?$`)
	currency = regexp.MustCompile(`^[A-Z]{3}$`)
)

// ConfigFromEnv reads the activities' settings; see ConfigFrom.
func ConfigFromEnv() (Config, error) {
	env := settings.OS()
	cfg := ConfigFrom(env)
	return cfg, env.Err()
}

// ConfigFrom reads CREDIT_LIMIT, CREDIT_LIMIT_CURRENCY, SHOP_NAME,
// SHOP_DEFAULT_LANGUAGE, MESSAGE_ID_DOMAIN (default: the domain of
// MAIL_FROM), SALES_INBOX and SHOP_SIGN_IN_URL.
// SalesAppURL is the caller's to set.
func ConfigFrom(env *settings.Env) Config {
	cfg := Config{
		CreditLimitCurrency: strings.ToUpper(env.String("CREDIT_LIMIT_CURRENCY", "EUR",
			"the currency of new partners' credit limits (ISO 4217)")),
		ShopName:        env.String("SHOP_NAME", "B2B Shop", "signs the emails"),
		DefaultLanguage: env.String("SHOP_DEFAULT_LANGUAGE", defaultLanguage, "the emails' language for requesters whose own language has none (a language the emails are written in, such as en or de)"),
		MessageIDDomain: env.String("MESSAGE_ID_DOMAIN", "", "the right-hand side of the emails' Message-IDs (default: the domain of MAIL_FROM)"),
		SalesInbox:      env.String("SALES_INBOX", "", "gets reminders of requests that wait long for Sales; none sent when empty"),
		SignInURL:       env.String("SHOP_SIGN_IN_URL", "https://shop.example/sign-in", "the B2B site's sign-in page, linked from the invitations of partners' new users"),
	}
	limit := env.String("CREDIT_LIMIT", "5000.00", "the credit limit of a new partner organization, such as 5000.00")
	minor, err := minorUnits(limit)
	if err != nil {
		env.Invalid("CREDIT_LIMIT", limit, err.Error())
	}
	cfg.CreditLimit = minor
	// Commerce accepts only three letters; a bad code caught here fails the
	// worker's start instead of every approval's hierarchy step.
	if !currency.MatchString(cfg.CreditLimitCurrency) {
		env.Invalid("CREDIT_LIMIT_CURRENCY", cfg.CreditLimitCurrency, "is not a three-letter currency code such as EUR")
	}
	// A default without templates would fail the worker's start in New;
	// caught here, it is named beside any other bad setting.
	lang := cfg.DefaultLanguage
	if tags := localeLanguages(lang); len(tags) > 0 {
		cfg.DefaultLanguage = tags[0] // "DE" is de
	}
	if langs, err := emailLanguages(emailFiles); err != nil {
		env.Problem("%v", err)
	} else if !slices.Contains(langs, cfg.DefaultLanguage) {
		env.Invalid("SHOP_DEFAULT_LANGUAGE", lang, "is not a language the emails are written in ("+strings.Join(langs, ", ")+")")
	}
	if cfg.SalesInbox != "" {
		if a, err := mail.ParseAddress(cfg.SalesInbox); err != nil || a.Address != cfg.SalesInbox {
			env.Invalid("SALES_INBOX", cfg.SalesInbox, "is not a plain email address such as sales@shop.example")
		}
	}
	if u, err := url.Parse(cfg.SignInURL); err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
		env.Invalid("SHOP_SIGN_IN_URL", cfg.SignInURL, "is not an absolute http or https URL such as https://shop.example/sign-in")
	}
	if cfg.MessageIDDomain == "" {
		cfg.MessageIDDomain = "shop.example"
		from, _ := env.Lookup("MAIL_FROM", "", "")
		if addr, err := mail.ParseAddress(from); err == nil {
			if _, domain, ok := strings.Cut(addr.Address, "@"); ok {
				cfg.MessageIDDomain = domain
			}
		}
	}
	return cfg
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
