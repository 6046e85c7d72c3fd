package sales

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/partner-onboarding/onboarding/settings"
)

// Defaults for the parts of Config that a Dataverse environment rarely changes.
const (
	DefaultAPIVersion       = "9.2"
	DefaultProspectIDColumn = "new_commerceprospectid"
	DefaultTimeout          = 30 * time.Second
)

// localTokenPath is the Sales stand-in's token endpoint, under its environment URL.
const localTokenPath = "/local/oauth2/v2.0/token"

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

// ConfigFromEnv reads the SALES_* variables; see ConfigFrom.
func ConfigFromEnv() (Config, error) {
	env := settings.OS()
	cfg := ConfigFrom(env)
	return cfg, env.Err()
}

// ConfigFrom reads the SALES_* settings. There is no default environment:
// a production start without one fails instead of reaching a stand-in; the
// local stack sets the stand-in's address itself.
//
// The token URL is SALES_TOKEN_URL, else the Entra ID endpoint of
// SALES_TENANT_ID, else the stand-in's endpoint under SALES_ENVIRONMENT_URL.
func ConfigFrom(env *settings.Env) Config {
	cfg := Config{
		EnvironmentURL: strings.TrimRight(env.Required("SALES_ENVIRONMENT_URL",
			"the Dataverse environment, such as https://org.crm.dynamics.com"), "/"),
		TokenURL:     env.String("SALES_TOKEN_URL", "", "the OAuth 2.0 token endpoint (default: Entra ID's for SALES_TENANT_ID)"),
		ClientID:     env.Required("SALES_CLIENT_ID", "the app registration's client ID"),
		ClientSecret: env.Required("SALES_CLIENT_SECRET", "the app registration's client secret"),
		Scope:        env.String("SALES_SCOPE", "", "the token scope (default: the environment URL + /.default)"),
		APIVersion:   env.String("SALES_API_VERSION", DefaultAPIVersion, "the Web API version"),
		ProspectIDColumn: env.String("SALES_PROSPECT_ID_COLUMN", DefaultProspectIDColumn,
			"the custom lead column that holds the request's ID"),
		Timeout: env.Duration("SALES_TIMEOUT", DefaultTimeout, "bounds each Sales request"),
	}
	tenant := env.String("SALES_TENANT_ID", "", "the Entra ID tenant (ID or domain) of the app registration")
	if cfg.EnvironmentURL != "" {
		if err := checkURL("SALES_ENVIRONMENT_URL", cfg.EnvironmentURL); err != nil {
			env.Invalid("SALES_ENVIRONMENT_URL", cfg.EnvironmentURL, "is not an http(s) URL without query or fragment")
		}
	}
	switch {
	case cfg.TokenURL != "":
		if err := checkURL("SALES_TOKEN_URL", cfg.TokenURL); err != nil {
			env.Invalid("SALES_TOKEN_URL", cfg.TokenURL, "is not an http(s) URL without query or fragment")
		}
	case tenant != "":
		if strings.ContainsAny(tenant, "/?#% ") {
			env.Invalid("SALES_TENANT_ID", tenant, "is not a tenant ID or domain")
		}
		cfg.TokenURL = "https://login.microsoftonline.com/" + tenant + "/oauth2/v2.0/token"
	case cfg.EnvironmentURL != "":
		cfg.TokenURL = cfg.EnvironmentURL + localTokenPath
	}
	if !columnName.MatchString(cfg.ProspectIDColumn) {
		env.Invalid("SALES_PROSPECT_ID_COLUMN", cfg.ProspectIDColumn, "is not a column logical name")
	}
	if !apiVersion.MatchString(cfg.APIVersion) {
		env.Invalid("SALES_API_VERSION", cfg.APIVersion, "is not a version such as 9.2")
	}
	return cfg
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
