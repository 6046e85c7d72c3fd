package activities_test

import (
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/activities"
)

// clearConfigEnv starts from an empty environment for the variables
// ConfigFromEnv reads.
func clearConfigEnv(t *testing.T) {
	for _, name := range []string{"CREDIT_LIMIT", "CREDIT_LIMIT_CURRENCY", "SHOP_NAME", "SHOP_DEFAULT_LANGUAGE", "MESSAGE_ID_DOMAIN", "MAIL_FROM", "SHOP_SIGN_IN_URL"} {
		t.Setenv(name, "")
	}
}

func TestConfigFromEnvDefaults(t *testing.T) {
	clearConfigEnv(t)
	cfg, err := activities.ConfigFromEnv()
	want := activities.Config{CreditLimit: 500000, CreditLimitCurrency: "EUR", ShopName: "B2B Shop", DefaultLanguage: "en",
		MessageIDDomain: "shop.example", SignInURL: "https://shop.example/sign-in"}
	if err != nil || cfg != want {
		t.Errorf("ConfigFromEnv() = %+v, %v; want %+v", cfg, err, want)
	}
}

func TestConfigFromEnv(t *testing.T) {
	clearConfigEnv(t)
	t.Setenv("CREDIT_LIMIT", "1234.5")
	t.Setenv("CREDIT_LIMIT_CURRENCY", "chf")
	t.Setenv("SHOP_NAME", "Werkzeug Shop")
	t.Setenv("SHOP_DEFAULT_LANGUAGE", "de")
	t.Setenv("MAIL_FROM", "Werkzeug Shop <partner@werkzeug.example>")
	t.Setenv("SHOP_SIGN_IN_URL", "https://b2b.werkzeug.example/login")
	cfg, err := activities.ConfigFromEnv()
	want := activities.Config{CreditLimit: 123450, CreditLimitCurrency: "CHF", ShopName: "Werkzeug Shop",
		DefaultLanguage: "de", MessageIDDomain: "werkzeug.example", SignInURL: "https://b2b.werkzeug.example/login"}
	if err != nil || cfg != want {
		t.Errorf("ConfigFromEnv() = %+v, %v; want %+v", cfg, err, want)
	}

	t.Setenv("MESSAGE_ID_DOMAIN", "mail.werkzeug.example")
	if cfg, err := activities.ConfigFromEnv(); err != nil || cfg.MessageIDDomain != "mail.werkzeug.example" {
		t.Errorf("MessageIDDomain = %q, %v; want MESSAGE_ID_DOMAIN's value", cfg.MessageIDDomain, err)
	}
}

func TestConfigFromEnvCreditLimit(t *testing.T) {
	for in, want := range map[string]int64{"0": 0, "5000": 500000, "5000.00": 500000, "1234.5": 123450, "0.07": 7,
		" 99.99 ": 9999, "999999999999.99": 99999999999999} {
		clearConfigEnv(t)
		t.Setenv("CREDIT_LIMIT", in)
		cfg, err := activities.ConfigFromEnv()
		if err != nil || cfg.CreditLimit != want {
			t.Errorf("CREDIT_LIMIT=%q: %d, %v; want %d", in, cfg.CreditLimit, err, want)
		}
	}
}

func TestConfigFromEnvRejectsBadValues(t *testing.T) {
	for _, tc := range []struct{ name, value string }{
		{"CREDIT_LIMIT", "12,50"},
		{"CREDIT_LIMIT", "-100"},
		{"CREDIT_LIMIT", "1.234"},
		{"CREDIT_LIMIT", "1e6"},
		{"CREDIT_LIMIT", "abc"},
		{"CREDIT_LIMIT", "1234567890123"},
		{"CREDIT_LIMIT_CURRENCY", "EURO"},
		{"CREDIT_LIMIT_CURRENCY", "E1"},
		{"CREDIT_LIMIT_CURRENCY", "E1R"},
		{"SHOP_DEFAULT_LANGUAGE", "fr"},
		{"SHOP_DEFAULT_LANGUAGE", "German"},
		{"SHOP_DEFAULT_LANGUAGE", "pt-BR"},
		{"SHOP_SIGN_IN_URL", "shop.example/sign-in"},
		{"SHOP_SIGN_IN_URL", "ftp://shop.example/"},
	} {
		clearConfigEnv(t)
		t.Setenv(tc.name, tc.value)
		_, err := activities.ConfigFromEnv()
		if err == nil || !strings.Contains(err.Error(), tc.name) || !strings.Contains(err.Error(), tc.value) {
			t.Errorf("%s=%q: err = %v, want one naming the variable and its value", tc.name, tc.value, err)
		}
	}
}
