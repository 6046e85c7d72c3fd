package sales

import (
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"
	"time"
)

// Defaults for the parts of Config that a Dataverse environment rarely changes.
const (
	DefaultAPIVersion       = "9.2"
	DefaultProspectIDColumn = "new_commerceprospectid"
	DefaultTimeout          = 30 * time.Second
)

// Local defaults point at the Sales stand-in on its default port.
const (
	defaultLocalEnvironmentURL = "http://127.0.0.1:8090"
	defaultLocalClientID       = "onboarding-worker"
	defaultLocalClientSecret   = "local-secret"
	localTokenPath             = "/local/oauth2/v2.0/token"
)

// Config says which Dataverse environment to reach and with which app registration.
type Config struct {
	// EnvironmentURL is the environment's root, such as https://org.crm.dynamics.com.
	EnvironmentURL string
	// TokenURL is the Entra ID v2 token endpoint,
	// https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token.
	TokenURL     string
	ClientID     string
	ClientSecret string
	// Scope defaults to EnvironmentURL + "/.default".
	Scope string
	// APIVersion defaults to DefaultAPIVersion.
	APIVersion string
	// ProspectIDColumn is the custom lead column that carries the Commerce prospect ID and
	// marks the lead as a Commerce B2B lead. It defaults to DefaultProspectIDColumn.
	ProspectIDColumn string
	// Timeout bounds each request, the token request included. It defaults to DefaultTimeout.
	Timeout time.Duration
}

// String leaves the client secret out, so that a logged Config does not leak it.
func (c Config) String() string {
	secret := ""
	if c.ClientSecret != "" {
		secret = "[redacted]"
	}
	return fmt.Sprintf("{EnvironmentURL:%s TokenURL:%s ClientID:%s ClientSecret:%s Scope:%s APIVersion:%s ProspectIDColumn:%s Timeout:%s}",
		c.EnvironmentURL, c.TokenURL, c.ClientID, secret, c.Scope, c.APIVersion, c.ProspectIDColumn, c.Timeout)
}

// ConfigFromEnv reads the SALES_* variables. With none set it reaches the local Sales stand-in.
//
// The token URL is SALES_TOKEN_URL, else the Entra ID endpoint of SALES_TENANT_ID, else the
// stand-in's endpoint under SALES_ENVIRONMENT_URL (so moving the stand-in moves both).
func ConfigFromEnv() (Config, error) {
	cfg := Config{
		EnvironmentURL:   envOr("SALES_ENVIRONMENT_URL", defaultLocalEnvironmentURL),
		TokenURL:         os.Getenv("SALES_TOKEN_URL"),
		ClientID:         envOr("SALES_CLIENT_ID", defaultLocalClientID),
		ClientSecret:     envOr("SALES_CLIENT_SECRET", defaultLocalClientSecret),
		Scope:            os.Getenv("SALES_SCOPE"),
		APIVersion:       os.Getenv("SALES_API_VERSION"),
		ProspectIDColumn: os.Getenv("SALES_PROSPECT_ID_COLUMN"),
	}
	cfg.EnvironmentURL = strings.TrimRight(cfg.EnvironmentURL, "/")
	if err := checkURL("SALES_ENVIRONMENT_URL", cfg.EnvironmentURL); err != nil {
		return Config{}, err
	}
	if cfg.TokenURL == "" {
		if tenant := os.Getenv("SALES_TENANT_ID"); tenant != "" {
			if strings.ContainsAny(tenant, "/?#% ") {
				return Config{}, fmt.Errorf("SALES_TENANT_ID %q is not a tenant ID or domain", tenant)
			}
			cfg.TokenURL = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
		} else {
			cfg.TokenURL = cfg.EnvironmentURL + localTokenPath
		}
	} else if err := checkURL("SALES_TOKEN_URL", cfg.TokenURL); err != nil {
		return Config{}, err
	}
	if raw := os.Getenv("SALES_TIMEOUT"); raw != "" {
		d, err := time.ParseDuration(raw)
		if err != nil || d <= 0 {
			return Config{}, fmt.Errorf("SALES_TIMEOUT %q is not a positive duration such as 30s", raw)
		}
		cfg.Timeout = d
	}
	if cfg.ProspectIDColumn != "" && !columnName.MatchString(cfg.ProspectIDColumn) {
		return Config{}, fmt.Errorf("SALES_PROSPECT_ID_COLUMN %q is not a column logical name", cfg.ProspectIDColumn)
	}
	if cfg.APIVersion != "" && !apiVersion.MatchString(cfg.APIVersion) {
		return Config{}, fmt.Errorf("SALES_API_VERSION %q is not a version such as 9.2", cfg.APIVersion)
	}
	return cfg, nil
}

// withDefaults fills the optional fields and checks the rest, naming the Config field at fault.
func (c Config) withDefaults() (Config, error) {
	c.EnvironmentURL = strings.TrimRight(c.EnvironmentURL, "/")
	if err := checkURL("Config.EnvironmentURL", c.EnvironmentURL); err != nil {
		return Config{}, err
	}
	if err := checkURL("Config.TokenURL", c.TokenURL); err != nil {
		return Config{}, err
	}
	if c.ClientID == "" {
		return Config{}, fmt.Errorf("Config.ClientID is required")
	}
	if c.ClientSecret == "" {
		return Config{}, fmt.Errorf("Config.ClientSecret is required")
	}
	if c.Scope == "" {
		c.Scope = c.EnvironmentURL + "/.default"
	}
	if c.APIVersion == "" {
		c.APIVersion = DefaultAPIVersion
	}
	if !apiVersion.MatchString(c.APIVersion) {
		return Config{}, fmt.Errorf("Config.APIVersion %q is not a version such as 9.2", c.APIVersion)
	}
	if c.ProspectIDColumn == "" {
		c.ProspectIDColumn = DefaultProspectIDColumn
	}
	// The column goes into $filter and $select as is, so it must be a plain logical name.
	if !columnName.MatchString(c.ProspectIDColumn) {
		return Config{}, fmt.Errorf("Config.ProspectIDColumn %q is not a column logical name", c.ProspectIDColumn)
	}
	if c.Timeout < 0 {
		return Config{}, fmt.Errorf("Config.Timeout must not be negative")
	}
	if c.Timeout == 0 {
		c.Timeout = DefaultTimeout
	}
	return c, nil
}

var (
	columnName = regexp.MustCompile(`^[a-z][a-z0-9_]*$`)
	apiVersion = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
)

func checkURL(name, raw string) error {
	if raw == "" {
		return fmt.Errorf("%s is required", name)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s %q is not an http(s) URL", name, raw)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("%s %q must not carry a query or fragment", name, raw)
	}
	return nil
}

func envOr(name, fallback string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return fallback
}
