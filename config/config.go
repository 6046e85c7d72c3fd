// Package config reads what each of the product's processes needs from its
// environment, and lists it: `worker -h`, `starter -h` and `standin -h` print
// the tables, README repeats them, and the compose file's test checks that
// every container sets only what its process reads.
package config

import (
	"fmt"
	"net"
	"strings"
	"time"

	"go.temporal.io/sdk/worker"

	"github.com/partner-onboarding/onboarding/activities"
	"github.com/partner-onboarding/onboarding/codec"
	"github.com/partner-onboarding/onboarding/mail"
	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/salesstandin"
	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

// The processes.
const (
	WorkerProcess      = "worker"
	StarterProcess     = "starter"
	StandinProcess     = "standin"
	CodecServerProcess = "codecserver"
)

// Worker is the worker's configuration.
type Worker struct {
	CommerceDB string
	Sales      sales.Config
	Mail       mail.Config
	Activities activities.Config
	Tuning     Tuning
	Retention  Retention
	// OpsAddr serves /metrics, /healthz and /readyz.
	OpsAddr string
	// PayloadKeys encrypt what the worker hands to Temporal; nil when
	// PAYLOAD_ENCRYPTION is off.
	PayloadKeys codec.Keys
}

// DefaultStickyCacheSize bounds the worker's memory however many requests
// wait: a request waits for Sales for days, and one that moves again is
// replayed from its short history in milliseconds.
const DefaultStickyCacheSize = 2000

// Tuning is how much work one worker takes on at once.
type Tuning struct {
	MaxConcurrentActivities      int
	MaxConcurrentLocalActivities int
	MaxConcurrentWorkflowTasks   int
	WorkflowPollers              int
	ActivityPollers              int
	// PollerAutoscaling lets the SDK scale the pollers between 1 and the
	// maxima above, by the load it sees.
	PollerAutoscaling bool
	StickyCacheSize   int
	// StopTimeout is how long running activities get to finish on SIGTERM.
	StopTimeout time.Duration
}

// Options are the worker options of the tuning; zero values keep the SDK's defaults.
func (t Tuning) Options() worker.Options {
	o := worker.Options{
		MaxConcurrentActivityExecutionSize:      t.MaxConcurrentActivities,
		MaxConcurrentLocalActivityExecutionSize: t.MaxConcurrentLocalActivities,
		MaxConcurrentWorkflowTaskExecutionSize:  t.MaxConcurrentWorkflowTasks,
		MaxConcurrentWorkflowTaskPollers:        t.WorkflowPollers,
		MaxConcurrentActivityTaskPollers:        t.ActivityPollers,
		WorkerStopTimeout:                       t.StopTimeout,
	}
	if t.PollerAutoscaling {
		o.WorkflowTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{
			MaximumNumberOfPollers: max(t.WorkflowPollers, 2)})
		o.ActivityTaskPollerBehavior = worker.NewPollerBehaviorAutoscaling(worker.PollerBehaviorAutoscalingOptions{
			MaximumNumberOfPollers: max(t.ActivityPollers, 2)})
		o.MaxConcurrentWorkflowTaskPollers, o.MaxConcurrentActivityTaskPollers = 0, 0
	}
	return o
}

// Starter is the starter's configuration (its serve command).
type Starter struct {
	CommerceDB string
	// Addr serves the intake, WebhookAddr the Sales webhook receiver: only
	// the receiver needs to face the internet.
	Addr        string
	WebhookAddr string
	OpsAddr     string
	Intake      Intake
	// PartnerUserRoles are the shop's roles of partners' users besides
	// Admin and User.
	PartnerUserRoles []string
	WebhookAuth      saleshooks.Auth
	WebhookMaxBody   int
	ProspectIDColumn string
	Timing           workflows.Timing
	PayloadKeys      codec.Keys // nil when PAYLOAD_ENCRYPTION is off
}

// Intake is how the starter's intake admits calls.
type Intake struct {
	// APIKeys are the keys the B2B site sends; several, for rotation.
	APIKeys []string
	// RatePerKey and BurstPerKey bound each key's calls (per starter).
	RatePerKey  int
	BurstPerKey int
	// ReceiptsPerAddress bounds the new requests of one email address a day.
	ReceiptsPerAddress int
}

// DefaultWebhookAddr is where the starter receives Sales webhooks.
const DefaultWebhookAddr = "127.0.0.1:8081"

// Standin is the Sales stand-in's configuration.
type Standin struct {
	Addr    string
	Standin salesstandin.Config
}

// CodecServer is the codec server's configuration.
type CodecServer struct {
	Addr   string
	Keys   codec.Keys
	Server codec.ServerConfig
}

// DefaultCommerceDB is the SQLite file the worker and the starter share
// when COMMERCE_DB names no other.
const DefaultCommerceDB = "data/commerce.db"

// temporal lists what the Temporal SDK's environment configuration
// (go.temporal.io/sdk/contrib/envconfig) reads; it checks them itself.
func temporal(env *settings.Env) {
	env.Declare("TEMPORAL_ADDRESS", "localhost:7233", "the Temporal frontend (host:port)")
	env.Declare("TEMPORAL_NAMESPACE", "default", "the Temporal namespace")
	env.Declare("TEMPORAL_API_KEY", "", "an API key, for Temporal Cloud")
	env.Declare("TEMPORAL_TLS", "", "true to use TLS without client certificates")
	env.Declare("TEMPORAL_TLS_CLIENT_CERT_PATH", "", "mTLS client certificate file (or TEMPORAL_TLS_CLIENT_CERT_DATA)")
	env.Declare("TEMPORAL_TLS_CLIENT_KEY_PATH", "", "mTLS client key file (or TEMPORAL_TLS_CLIENT_KEY_DATA)")
	env.Declare("TEMPORAL_TLS_CLIENT_CERT_DATA", "", "mTLS client certificate, PEM")
	env.Declare("TEMPORAL_TLS_CLIENT_KEY_DATA", "", "mTLS client key, PEM")
	env.Declare("TEMPORAL_TLS_SERVER_CA_CERT_PATH", "", "CA of the server certificate, file (or TEMPORAL_TLS_SERVER_CA_CERT_DATA)")
	env.Declare("TEMPORAL_TLS_SERVER_CA_CERT_DATA", "", "CA of the server certificate, PEM")
	env.Declare("TEMPORAL_TLS_SERVER_NAME", "", "the server name TLS expects")
	env.Declare("TEMPORAL_TLS_DISABLE_HOST_VERIFICATION", "", "true to skip verifying the server's name")
	env.Declare("TEMPORAL_CLIENT_AUTHORITY", "", "the :authority of gRPC requests")
	env.Declare("TEMPORAL_CODEC_ENDPOINT", "", "a remote codec server (for the CLI)")
	env.Declare("TEMPORAL_CODEC_AUTH", "", "the codec server's Authorization header")
	env.Declare("TEMPORAL_PROFILE", "default", "the profile in the Temporal config file")
	env.Declare("TEMPORAL_CONFIG_FILE", "", "the Temporal config file (TOML)")
}

// LoadPayloadKeys reads the keys that encrypt payloads in Temporal; nil
// when PAYLOAD_ENCRYPTION is off. The starter's operators' commands read
// these settings alone.
func LoadPayloadKeys(env *settings.Env) codec.Keys {
	on := env.Bool("PAYLOAD_ENCRYPTION", true,
		"encrypt payloads in Temporal with PAYLOAD_KEYS (false: plain JSON, readable by anyone who reads Temporal)")
	keys, set := readPayloadKeys(env)
	if on && !set {
		env.Problem("PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set: payloads are encrypted in Temporal (PAYLOAD_ENCRYPTION=false hands them over unencrypted)")
	}
	if !on {
		return nil
	}
	return keys
}

// readPayloadKeys reads PAYLOAD_KEYS or PAYLOAD_KEYS_FILE, and whether one
// is set; a problem never shows a key's value.
func readPayloadKeys(env *settings.Env) (codec.Keys, bool) {
	inline, hasInline := env.Lookup("PAYLOAD_KEYS", "",
		"AES-256 keys of the payloads in Temporal as ID:BASE64 (32 bytes), comma-separated: the first encrypts, every one decrypts")
	file, hasFile := env.Lookup("PAYLOAD_KEYS_FILE", "", "a file of such keys, one a line (instead of PAYLOAD_KEYS)")
	var keys codec.Keys
	var err error
	switch {
	case hasInline && hasFile:
		env.Problem("PAYLOAD_KEYS and PAYLOAD_KEYS_FILE are both set: set one")
	case hasInline:
		if keys, err = codec.ParseKeys(inline); err != nil {
			env.Problem("PAYLOAD_KEYS: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	case hasFile:
		if keys, err = codec.ReadKeysFile(file); err != nil {
			env.Problem("PAYLOAD_KEYS_FILE: %s", strings.ReplaceAll(err.Error(), "\n", "; "))
		}
	}
	return keys, hasInline || hasFile
}

func commerceDB(env *settings.Env) string {
	return env.String("COMMERCE_DB", DefaultCommerceDB,
		"the Commerce database: an SQLite file, or postgres://user:password@host:5432/db")
}

// LoadWorker reads the worker's settings; env.Err() says what is wrong.
func LoadWorker(env *settings.Env) Worker {
	temporal(env)
	w := Worker{CommerceDB: commerceDB(env)}
	w.Sales = sales.ConfigFrom(env)
	w.Mail = mail.ConfigFrom(env)
	w.Activities = activities.ConfigFrom(env)
	w.Activities.SalesAppURL = env.String("SALES_APP_URL", "",
		"where reminders link to Dynamics 365 records, as sellers' browsers reach it (default: SALES_ENVIRONMENT_URL)")
	if w.Activities.SalesAppURL == "" {
		w.Activities.SalesAppURL = w.Sales.EnvironmentURL
	}
	w.OpsAddr = env.String("OPS_ADDR", "127.0.0.1:9101", "serves /metrics, /healthz and /readyz")
	w.PayloadKeys = LoadPayloadKeys(env)
	w.Tuning = Tuning{
		MaxConcurrentActivities: env.Int("WORKER_MAX_CONCURRENT_ACTIVITIES", 0, 0, 100000,
			"activities one worker runs at once (0: the SDK's default, 1000)"),
		MaxConcurrentLocalActivities: env.Int("WORKER_MAX_CONCURRENT_LOCAL_ACTIVITIES", 0, 0, 100000,
			"local activities one worker runs at once (0: the SDK's default, 1000)"),
		MaxConcurrentWorkflowTasks: env.Int("WORKER_MAX_CONCURRENT_WORKFLOW_TASKS", 0, 0, 100000,
			"workflow tasks one worker runs at once (0: the SDK's default, 1000)"),
		WorkflowPollers: env.Int("WORKER_WORKFLOW_POLLERS", 0, 0, 1000, "pollers of workflow tasks, the most with autoscaling (0: 2)"),
		ActivityPollers: env.Int("WORKER_ACTIVITY_POLLERS", 0, 0, 1000, "pollers of activity tasks, the most with autoscaling (0: 2)"),
		PollerAutoscaling: env.Bool("WORKER_POLLER_AUTOSCALING", true,
			"let the SDK scale the pollers between 1 and the counts above, by the server's hints (false: always the counts above)"),
		StickyCacheSize: env.Int("WORKER_STICKY_CACHE_SIZE", DefaultStickyCacheSize, 0, 1000000,
			"workflows kept in memory between tasks, about 70 KiB each; the others replay their history when they next move (0: the SDK's default, 10000)"),
		StopTimeout: env.Duration("WORKER_STOP_TIMEOUT", 10*time.Second,
			"how long running activities get to finish on SIGTERM; keep it under the orchestrator's grace period"),
	}
	w.Retention = retention(env)
	return w
}

// LoadStarter reads the starter's settings; env.Err() says what is wrong.
func LoadStarter(env *settings.Env) Starter {
	temporal(env)
	s := Starter{
		CommerceDB: commerceDB(env),
		Addr:       env.String("STARTER_ADDR", "127.0.0.1:8080", "the intake (for the B2B site's backend only)"),
		WebhookAddr: env.String("WEBHOOK_ADDR", DefaultWebhookAddr,
			"the Sales webhook receiver (the one listener that faces the internet)"),
		OpsAddr: env.String("OPS_ADDR", "127.0.0.1:9102", "serves /metrics, /healthz and /readyz"),
		Intake: Intake{
			APIKeys: env.List("INTAKE_API_KEYS",
				"the API keys the intake accepts, as a Bearer token or in X-API-Key (comma-separated, for rotation)"),
			RatePerKey: env.Int("INTAKE_RATE_PER_KEY", 10, 1, 1000000,
				"calls a second one API key makes at most, per starter, after its burst"),
			BurstPerKey: env.Int("INTAKE_BURST_PER_KEY", 20, 1, 1000000, "calls one API key makes at once before its rate applies"),
			ReceiptsPerAddress: env.Int("INTAKE_RECEIPTS_PER_ADDRESS_PER_DAY", 3, 1, 10000,
				"new requests (each sends a receipt) one email address registers in 24 hours, counted in the Commerce register"),
		},
		WebhookAuth: saleshooks.Auth{
			Keys:         env.List("WEBHOOK_KEYS", "the Dataverse WebhookKey values accepted as ?code= (comma-separated, for rotation)"),
			HeaderName:   env.String("WEBHOOK_HEADER_NAME", "", "for HttpHeader authentication: the header's name"),
			HeaderValues: env.List("WEBHOOK_HEADER_VALUES", "for HttpHeader authentication: the values accepted (comma-separated)"),
		},
		WebhookMaxBody: env.Int("WEBHOOK_MAX_BODY", saleshooks.DefaultMaxBody, 1024, 64<<20, "the largest webhook body accepted, in bytes"),
		ProspectIDColumn: env.String("SALES_PROSPECT_ID_COLUMN", sales.DefaultProspectIDColumn,
			"the custom lead column that holds the request's ID"),
	}
	s.Timing = workflows.Timing{
		SalesCheckInterval: env.Duration("SALES_CHECK_INTERVAL", workflows.DefaultSalesCheckInterval,
			"how often a waiting request asks Sales for a decision no webhook brought"),
		LeadReminderAfter: env.Duration("LEAD_REMINDER_AFTER", workflows.DefaultLeadReminderAfter,
			"a lead undecided this long reminds SALES_INBOX"),
		OpportunityReminderAfter: env.Duration("OPPORTUNITY_REMINDER_AFTER", workflows.DefaultOpportunityReminderAfter,
			"an opportunity open this long reminds SALES_INBOX"),
		GiveUpAfter: env.Duration("GIVE_UP_AFTER", workflows.DefaultGiveUpAfter,
			"a wait for Sales this long makes the request need attention"),
		EventsPerRun: env.Int("HISTORY_EVENTS_PER_RUN", workflows.DefaultEventsPerRun, 100, 10000,
			"a waiting request continues as new once its run's history has this many events"),
	}
	s.PartnerUserRoles = env.List("PARTNER_USER_ROLES",
		"roles a partner's admin may give its users besides Admin and User, such as Buyer (comma-separated); they order as a User does")
	seen := map[string]bool{"Admin": true, "User": true}
	for _, r := range s.PartnerUserRoles {
		if seen[r] {
			env.Invalid("PARTNER_USER_ROLES", strings.Join(s.PartnerUserRoles, ","), fmt.Sprintf("names %s twice (Admin and User are always there)", r))
			break
		}
		seen[r] = true
	}
	if len(s.Intake.APIKeys) == 0 {
		env.Problem("INTAKE_API_KEYS must be set: the intake is never served without API keys")
	}
	if s.Addr == s.WebhookAddr {
		env.Problem("STARTER_ADDR and WEBHOOK_ADDR must differ: the intake and the webhook receiver have listeners of their own")
	}
	s.PayloadKeys = LoadPayloadKeys(env)
	if len(s.WebhookAuth.Keys) == 0 && (s.WebhookAuth.HeaderName == "" || len(s.WebhookAuth.HeaderValues) == 0) {
		env.Problem("WEBHOOK_KEYS, or WEBHOOK_HEADER_NAME with WEBHOOK_HEADER_VALUES, must be set: Sales webhooks are never accepted unauthenticated")
	}
	return s
}

// LoadStandin reads the Sales stand-in's settings; env.Err() says what is wrong.
func LoadStandin(env *settings.Env) Standin {
	s := Standin{Addr: env.String("STANDIN_ADDR", "127.0.0.1:8090", "the stand-in's Web API, token endpoint and seller page")}
	c := &s.Standin
	c.DataDir = env.String("STANDIN_DATA_DIR", "data/standin", "where the stand-in keeps its records")
	c.WebhookURL = env.String("STANDIN_WEBHOOK_URL", "", "the starter's webhook endpoint; no webhooks when empty")
	c.WebhookKey = env.String("STANDIN_WEBHOOK_KEY", "", "the WebhookKey sent as ?code=")
	c.ClientID = env.String("STANDIN_CLIENT_ID", "onboarding-worker", "the client ID the token endpoint accepts")
	c.ClientSecret = env.String("STANDIN_CLIENT_SECRET", "local-secret", "the client secret the token endpoint accepts")
	c.WebhookMode = salesstandin.WebhookMode(env.String("STANDIN_WEBHOOK_MODE", string(salesstandin.WebhookDeliver),
		"deliver, drop, repeat or hold webhooks (change later with PUT /standin/webhooks/mode)"))
	if faults := env.String("STANDIN_FAULTS", "", `Web API faults at start, such as [{"kind":"throttle","count":5,"retryAfter":"2s"}]`); faults != "" {
		parsed, err := salesstandin.ParseFaults([]byte(faults))
		if err != nil {
			env.Invalid("STANDIN_FAULTS", faults, fmt.Sprint("is not a list of faults: ", err))
		}
		c.Faults = parsed
	}
	return s
}

// LoadCodecServer reads the codec server's settings; env.Err() says what is wrong.
func LoadCodecServer(env *settings.Env) CodecServer {
	c := CodecServer{Addr: env.String("CODEC_SERVER_ADDR", "127.0.0.1:8082",
		"serves /encode and /decode for the Temporal Web UI and CLI, and /healthz")}
	var set bool
	if c.Keys, set = readPayloadKeys(env); !set {
		env.Problem("PAYLOAD_KEYS or PAYLOAD_KEYS_FILE must be set: the codec server decrypts with the workers' keys")
	}
	c.Server.Tokens = env.List("CODEC_SERVER_TOKENS",
		"bearer tokens accepted in the Authorization header (comma-separated, for rotation), as the CLI's --codec-auth sends them")
	c.Server.AllowedOrigins = env.List("CODEC_SERVER_ALLOWED_ORIGINS",
		"origins of the Temporal Web UI that browsers may call from, such as https://temporal.example.com (comma-separated)")
	c.Server.UIWithoutToken = env.Bool("CODEC_SERVER_UI_WITHOUT_TOKEN", false,
		"accept a browser's request from an allowed origin without a token, for a Web UI with no login (the dev server's); loopback addresses only")
	if c.Server.UIWithoutToken {
		if !loopback(c.Addr) {
			env.Invalid("CODEC_SERVER_UI_WITHOUT_TOKEN", "true", "is only accepted with CODEC_SERVER_ADDR on a loopback address")
		}
		if len(c.Server.AllowedOrigins) == 0 {
			env.Problem("CODEC_SERVER_UI_WITHOUT_TOKEN needs CODEC_SERVER_ALLOWED_ORIGINS: the origins of the Web UI")
		}
	} else if len(c.Server.Tokens) == 0 {
		env.Problem("CODEC_SERVER_TOKENS must be set: the codec server decrypts only for those who hold a token")
	}
	return c
}

// loopback reports whether a listen address is on a loopback interface only.
func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Vars lists the settings a process reads.
func Vars(process string) []settings.Var {
	env := settings.Map(nil)
	switch process {
	case WorkerProcess:
		LoadWorker(env)
	case StarterProcess:
		LoadStarter(env)
	case StandinProcess:
		LoadStandin(env)
	case CodecServerProcess:
		LoadCodecServer(env)
	default:
		return nil
	}
	return env.Vars()
}

// MarkdownTables renders every process's settings as the tables README shows.
func MarkdownTables() string {
	var b strings.Builder
	for _, process := range []string{WorkerProcess, StarterProcess, StandinProcess, CodecServerProcess} {
		fmt.Fprintf(&b, "**%s** (`%s -h`)\n\n| variable | default | meaning |\n| --- | --- | --- |\n", process, process)
		for _, v := range Vars(process) {
			def := v.Default
			if def != "" {
				def = "`" + def + "`"
			}
			fmt.Fprintf(&b, "| `%s` | %s | %s |\n", v.Name, def, strings.ReplaceAll(v.Usage, "|", "\\|"))
		}
		b.WriteString("\n")
	}
	return strings.TrimSuffix(b.String(), "\n")
}
