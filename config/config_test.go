package config_test

import (
	"flag"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
)

// TestEveryBadValueIsNamed: a start with several bad settings names each
// one, in one message, and fails; none is silently replaced by its default.
func TestEveryBadValueIsNamed(t *testing.T) {
	env := settings.Map(map[string]string{
		"SALES_ENVIRONMENT_URL":            "ftp://org",
		"SALES_CLIENT_ID":                  "id",
		"SALES_CLIENT_SECRET":              "secret",
		"SMTP_HOST":                        "smtp.example.net",
		"SMTP_PORT":                        "99999",
		"CREDIT_LIMIT":                     "lots",
		"SHOP_DEFAULT_LANGUAGE":            "fr",
		"WORKER_STOP_TIMEOUT":              "soon",
		"WORKER_MAX_CONCURRENT_ACTIVITIES": "-1",
		"WORKER_POLLER_AUTOSCALING":        "maybe",
	})
	config.LoadWorker(env)
	err := env.Err()
	if err == nil {
		t.Fatal("bad settings were accepted")
	}
	for _, name := range []string{"SALES_ENVIRONMENT_URL", "SMTP_PORT", "CREDIT_LIMIT", "SHOP_DEFAULT_LANGUAGE", "WORKER_STOP_TIMEOUT",
		"WORKER_MAX_CONCURRENT_ACTIVITIES", "WORKER_POLLER_AUTOSCALING"} {
		if strings.Count(err.Error(), name) != 1 {
			t.Errorf("the error names %s %d times, want once:\n%v", name, strings.Count(err.Error(), name), err)
		}
	}
}

// TestProductionNeedsItsSystems: with nothing configured, the worker does
// not fall back to a local Sales stand-in or mail server.
func TestProductionNeedsItsSystems(t *testing.T) {
	env := settings.Map(nil)
	config.LoadWorker(env)
	err := env.Err()
	for _, name := range []string{"SALES_ENVIRONMENT_URL", "SALES_CLIENT_ID", "SALES_CLIENT_SECRET", "SMTP_HOST"} {
		if err == nil || !strings.Contains(err.Error(), name+" is required") {
			t.Errorf("no %s: err = %v", name, err)
		}
	}
	env = settings.Map(nil)
	config.LoadStarter(env)
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "WEBHOOK_KEYS") {
		t.Errorf("starter without webhook keys: err = %v", err)
	}
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "INTAKE_API_KEYS must be set") {
		t.Errorf("starter without intake API keys: err = %v", err)
	}
}

// TestStarterListeners: the intake and the webhook receiver listen apart,
// and the intake takes its keys and limits from the environment.
func TestStarterListeners(t *testing.T) {
	vars := map[string]string{"WEBHOOK_KEYS": "hook-key", "PAYLOAD_KEYS": testPayloadKey, "INTAKE_API_KEYS": " site-key-1, site-key-2 ,"}
	env := settings.Map(vars)
	s := config.LoadStarter(env)
	if err := env.Err(); err != nil {
		t.Fatal(err)
	}
	if s.Addr != "127.0.0.1:8080" || s.WebhookAddr != config.DefaultWebhookAddr || s.Addr == s.WebhookAddr {
		t.Errorf("intake on %s, webhooks on %s; want apart, by default", s.Addr, s.WebhookAddr)
	}
	want := config.Intake{APIKeys: []string{"site-key-1", "site-key-2"}, RatePerKey: 10, BurstPerKey: 20, ReceiptsPerAddress: 3}
	if fmt.Sprint(s.Intake) != fmt.Sprint(want) {
		t.Errorf("intake = %+v; want %+v", s.Intake, want)
	}

	vars["WEBHOOK_ADDR"] = "127.0.0.1:8080"
	env = settings.Map(vars)
	config.LoadStarter(env)
	if err := env.Err(); err == nil || !strings.Contains(err.Error(), "STARTER_ADDR and WEBHOOK_ADDR must differ") {
		t.Errorf("one address for both: err = %v", err)
	}
	// The keys are secrets: an error never shows them.
	vars["WEBHOOK_ADDR"], vars["INTAKE_RATE_PER_KEY"] = "", "0"
	env = settings.Map(vars)
	config.LoadStarter(env)
	if err := env.Err(); err == nil || strings.Contains(err.Error(), "site-key") {
		t.Errorf("bad rate: err = %v", err)
	}
}

func TestWorkerTuning(t *testing.T) {
	load := func(extra map[string]string) config.Worker {
		t.Helper()
		vars := map[string]string{
			"SALES_ENVIRONMENT_URL": "https://org.crm4.dynamics.com", "SALES_CLIENT_ID": "id", "SALES_CLIENT_SECRET": "s",
			"SALES_TENANT_ID": "contoso.onmicrosoft.com", "SMTP_HOST": "smtp.example.net",
			"WORKER_MAX_CONCURRENT_ACTIVITIES": "200", "WORKER_MAX_CONCURRENT_WORKFLOW_TASKS": "50",
			"WORKER_WORKFLOW_POLLERS": "4", "WORKER_ACTIVITY_POLLERS": "8", "WORKER_STOP_TIMEOUT": "25s",
			"PAYLOAD_KEYS": testPayloadKey,
		}
		maps.Copy(vars, extra)
		env := settings.Map(vars)
		w := config.LoadWorker(env)
		if err := env.Err(); err != nil {
			t.Fatal(err)
		}
		return w
	}

	w := load(nil)
	o := w.Tuning.Options()
	if o.MaxConcurrentActivityExecutionSize != 200 || o.MaxConcurrentWorkflowTaskExecutionSize != 50 ||
		o.WorkerStopTimeout != 25*time.Second {
		t.Errorf("worker options = %+v", o)
	}
	// By default the SDK scales the pollers, up to the counts given.
	if o.WorkflowTaskPollerBehavior == nil || o.ActivityTaskPollerBehavior == nil ||
		o.MaxConcurrentWorkflowTaskPollers != 0 || o.MaxConcurrentActivityTaskPollers != 0 {
		t.Errorf("default pollers: behaviors %v, %v; fixed counts %d, %d; want autoscaling only",
			o.WorkflowTaskPollerBehavior, o.ActivityTaskPollerBehavior, o.MaxConcurrentWorkflowTaskPollers, o.MaxConcurrentActivityTaskPollers)
	}
	if w.Activities.SalesAppURL != "https://org.crm4.dynamics.com" {
		t.Errorf("reminders link to %q, want the Sales environment", w.Activities.SalesAppURL)
	}

	o = load(map[string]string{"WORKER_POLLER_AUTOSCALING": "false"}).Tuning.Options()
	if o.WorkflowTaskPollerBehavior != nil || o.MaxConcurrentWorkflowTaskPollers != 4 || o.MaxConcurrentActivityTaskPollers != 8 {
		t.Errorf("fixed pollers: behavior %v, counts %d, %d; want 4 and 8",
			o.WorkflowTaskPollerBehavior, o.MaxConcurrentWorkflowTaskPollers, o.MaxConcurrentActivityTaskPollers)
	}
}

var updateREADME = flag.Bool("update-readme", false, "rewrite README's settings tables")

const (
	tablesBegin = "<!-- settings tables: generated by go test ./config -update-readme -->"
	tablesEnd   = "<!-- end of settings tables -->"
)

// TestREADMEListsEverySetting: README's settings tables are those of the
// processes, so that no variable a process reads goes undocumented.
func TestREADMEListsEverySetting(t *testing.T) {
	path := filepath.Join("..", "README.md")
	readme, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	text := string(readme)
	begin, end := strings.Index(text, tablesBegin), strings.Index(text, tablesEnd)
	if begin < 0 || end < begin {
		t.Fatalf("README has no settings tables between %q and %q", tablesBegin, tablesEnd)
	}
	want := tablesBegin + "\n\n" + config.MarkdownTables() + "\n\n"
	if got := text[begin:end]; got != want {
		if !*updateREADME {
			t.Fatalf("README's settings tables are not the processes' (go test ./config -update-readme rewrites them)")
		}
		if err := os.WriteFile(path, []byte(text[:begin]+want+text[end:]), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}
