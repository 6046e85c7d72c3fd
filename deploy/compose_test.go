package deploy_test

import (
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

// TestComposeLoads loads the compose file as Docker Compose does, and checks
// that what it interpolates always has a default, so that a bare
// `docker compose up` needs no .env file.
func TestComposeLoads(t *testing.T) {
	withEachEnv(t, func(t *testing.T, s stack) {
		if s.Name != "partner-onboarding" {
			t.Errorf("project name %q, want partner-onboarding", s.Name)
		}
	})
	raw, err := os.ReadFile(filepath.Join(repoRoot, "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range regexp.MustCompile(`\$\{[^}]*\}`).FindAllString(string(raw), -1) {
		if !strings.Contains(m, ":-") {
			t.Errorf("%s has no default: write ${NAME:-default}", m)
		}
	}
	// Each interpolated variable is one the tests override, so that they
	// show it reaching every place it must.
	for _, m := range regexp.MustCompile(`\$\{([A-Z0-9_]+)`).FindAllStringSubmatch(string(raw), -1) {
		if _, ok := overrides[m[1]]; !ok {
			t.Errorf("${%s} is interpolated but not among the test's overrides", m[1])
		}
	}
}

// TestComposeImagesPinned: every image has a tag, and it is not latest.
func TestComposeImagesPinned(t *testing.T) {
	s := loadStack(t, nil)
	for name, svc := range s.Services {
		if svc.Image == "" {
			t.Errorf("%s has no image: name and tag what it builds", name)
			continue
		}
		if msg := unpinned(svc.Image); msg != "" {
			t.Errorf("%s: image %s %s", name, svc.Image, msg)
		}
	}
}

// unpinned says what is wrong with an image reference, or "".
func unpinned(ref string) string {
	if strings.Contains(ref, "$") {
		return "is not a literal reference"
	}
	if strings.Contains(ref, "@sha256:") {
		return ""
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	_, tag, ok := strings.Cut(last, ":")
	switch {
	case !ok || tag == "":
		return "has no tag"
	case tag == "latest":
		return "is tagged latest"
	}
	return ""
}

// TestComposeBinaryEnvironment: every service that runs one of our binaries
// sets only variables that binary reads (config.Vars), and the binary
// accepts them all: the required ones are set and every value parses.
func TestComposeBinaryEnvironment(t *testing.T) {
	withEachEnv(t, func(t *testing.T, s stack) {
		running := map[string]bool{}
		for name, bin := range s.productServices() {
			running[bin] = true
			process := processOf[bin]
			svc := s.Services[name]
			known := map[string]bool{}
			for _, v := range config.Vars(process) {
				known[v.Name] = true
			}
			e := env(svc)
			for k := range e {
				if !known[k] {
					t.Errorf("%s sets %s, which %s does not read", name, k, bin)
				}
			}
			for _, v := range config.Vars(process) {
				if v.Default == "(required)" && strings.TrimSpace(e[v.Name]) == "" {
					t.Errorf("%s does not set %s, which %s requires", name, v.Name, bin)
				}
			}
			if err := loadErr(process, e); err != nil {
				t.Errorf("%s would not start: %v", name, err)
			}
			// Other containers reach it only if it listens on every interface.
			for _, a := range addrSettings(process, e) {
				if a.host != "0.0.0.0" && a.host != "" {
					t.Errorf("%s: %s listens on %s, which no other container reaches; use 0.0.0.0", name, a.setting, a.host)
				}
			}
		}
		for bin := range processOf {
			if !running[bin] {
				t.Errorf("no service runs %s", bin)
			}
		}
		if _, starter := s.serviceRunning("starter"); !slices.Equal(starter.Command, types.ShellCommand{"serve"}) {
			t.Errorf("the starter runs with arguments %q, want [serve]", starter.Command)
		}
	})
}

// TestComposeWiring: every address, credential and name that one service
// uses to reach another agrees with what the other one serves.
func TestComposeWiring(t *testing.T) {
	withEachEnv(t, func(t *testing.T, s stack) {
		workerName, workerSvc := s.serviceRunning("worker")
		starterName, starterSvc := s.serviceRunning("starter")
		standinName, standinSvc := s.serviceRunning("standin")
		worker, starter, standin := env(workerSvc), env(starterSvc), env(standinSvc)
		nsJob := env(s.service("temporal-namespace"))

		// Temporal: the frontend, and the namespace the job creates.
		for name, e := range map[string]map[string]string{workerName: worker, starterName: starter} {
			process := processOf[binary(s.Services[name])]
			host, port := hostPort(t, name+" TEMPORAL_ADDRESS", effective(process, e, "TEMPORAL_ADDRESS"))
			s.reaches(t, name+" TEMPORAL_ADDRESS", host, port)
			if ns := effective(process, e, "TEMPORAL_NAMESPACE"); ns != nsJob["NAMESPACE"] {
				t.Errorf("%s uses namespace %q, the temporal-namespace job creates %q", name, ns, nsJob["NAMESPACE"])
			}
		}
		if ns := env(s.service("temporal-ui"))["TEMPORAL_DEFAULT_NAMESPACE"]; ns != nsJob["NAMESPACE"] {
			t.Errorf("the Temporal UI opens namespace %q, the temporal-namespace job creates %q", ns, nsJob["NAMESPACE"])
		}
		for _, name := range []string{"temporal-namespace", "temporal-ui"} {
			host, port := hostPort(t, name+" TEMPORAL_ADDRESS", env(s.service(name))["TEMPORAL_ADDRESS"])
			s.reaches(t, name+" TEMPORAL_ADDRESS", host, port)
		}
		if got, want := nsJob["SEARCH_ATTRIBUTES"], strings.Join(workflows.SearchAttributeFlags(), " "); got != want {
			t.Errorf("temporal-namespace creates search attributes %q, the workflow sets %q", got, want)
		}

		// What the worker and the starter both read, they must read alike
		// (the Commerce database, the prospect ID column, Temporal), their
		// own listen addresses aside.
		for _, v := range config.Vars(config.WorkerProcess) {
			if strings.HasSuffix(v.Name, "_ADDR") ||
				!slices.ContainsFunc(config.Vars(config.StarterProcess), func(o settings.Var) bool { return o.Name == v.Name }) {
				continue
			}
			w := effective(config.WorkerProcess, worker, v.Name)
			st := effective(config.StarterProcess, starter, v.Name)
			if w != st {
				t.Errorf("%s: %s has %q, %s has %q", v.Name, workerName, w, starterName, st)
			}
		}

		// Sales: the worker calls the stand-in with the credentials it accepts.
		u, host, port := urlHostPort(t, "SALES_ENVIRONMENT_URL", worker["SALES_ENVIRONMENT_URL"])
		if host != standinName || port != addrPort(t, config.StandinProcess, standin, "STANDIN_ADDR") {
			t.Errorf("SALES_ENVIRONMENT_URL %s does not name the stand-in, %s on its STANDIN_ADDR port", u, standinName)
		}
		if tok := worker["SALES_TOKEN_URL"]; tok != "" {
			if _, h, p := urlHostPort(t, "SALES_TOKEN_URL", tok); h != host || p != port {
				t.Errorf("SALES_TOKEN_URL %s is not on the stand-in (%s:%d)", tok, host, port)
			}
		}
		if _, tenant := worker["SALES_TENANT_ID"]; tenant && worker["SALES_TOKEN_URL"] == "" {
			t.Error("SALES_TENANT_ID makes the worker ask Entra ID for tokens, not the stand-in")
		}
		for _, pair := range [][2]string{{"SALES_CLIENT_ID", "STANDIN_CLIENT_ID"}, {"SALES_CLIENT_SECRET", "STANDIN_CLIENT_SECRET"}} {
			w := effective(config.WorkerProcess, worker, pair[0])
			st := effective(config.StandinProcess, standin, pair[1])
			if w == "" || w != st {
				t.Errorf("the worker's %s %q is not the stand-in's %s %q", pair[0], w, pair[1], st)
			}
		}

		// Sales hooks: the stand-in posts to the starter's receiver, on its
		// own listener apart from the intake's, with a key it accepts.
		u, host, port = urlHostPort(t, "STANDIN_WEBHOOK_URL", standin["STANDIN_WEBHOOK_URL"])
		if host != starterName || port != addrPort(t, config.StarterProcess, starter, "WEBHOOK_ADDR") {
			t.Errorf("STANDIN_WEBHOOK_URL %s does not name the starter, %s on its WEBHOOK_ADDR port", u, starterName)
		}
		if intake := addrPort(t, config.StarterProcess, starter, "STARTER_ADDR"); intake == port {
			t.Errorf("the starter's intake and webhook receiver share port %d", port)
		}
		// The intake has keys of its own, not the webhooks'.
		intakeKeys := trimAll(strings.Split(starter["INTAKE_API_KEYS"], ","))
		if len(intakeKeys) == 0 || intakeKeys[0] == "" ||
			slices.ContainsFunc(intakeKeys, func(k string) bool { return slices.Contains(trimAll(strings.Split(starter["WEBHOOK_KEYS"], ",")), k) }) {
			t.Errorf("the starter's INTAKE_API_KEYS %q should be set, and none a webhook key", starter["INTAKE_API_KEYS"])
		}
		if u.Path != "/v1/hooks/dataverse" {
			t.Errorf("STANDIN_WEBHOOK_URL path %s, the receiver is /v1/hooks/dataverse", u.Path)
		}
		key := standin["STANDIN_WEBHOOK_KEY"]
		if keys := strings.Split(starter["WEBHOOK_KEYS"], ","); key == "" || !slices.Contains(trimAll(keys), key) {
			t.Errorf("the stand-in sends webhook key %q, the starter accepts %q", key, starter["WEBHOOK_KEYS"])
		}

		// Mail: Mailpit's SMTP port, without TLS.
		smtpPort := effective(config.WorkerProcess, worker, "SMTP_PORT")
		host, port = hostPort(t, "SMTP_HOST:SMTP_PORT", worker["SMTP_HOST"]+":"+smtpPort)
		s.reaches(t, "SMTP_HOST:SMTP_PORT", host, port)
		if img := s.service(host).Image; strings.Contains(img, "mailpit") && worker["SMTP_TLS"] != "none" {
			t.Errorf("Mailpit speaks no TLS, but SMTP_TLS is %q", worker["SMTP_TLS"])
		}

		// The Commerce database: the PostgreSQL service, its user, password and database.
		checkPostgresURL(t, s, "COMMERCE_DB", worker["COMMERCE_DB"])

		// Temporal's database: the schema job and the server use the PostgreSQL service's credentials.
		db := env(s.service("temporal-postgresql"))
		for _, name := range []string{"temporal-schema", "temporal"} {
			e := env(s.service(name))
			port := e["DB_PORT"]
			if port == "" {
				port = "5432"
			}
			host, p := hostPort(t, name+" POSTGRES_SEEDS", e["POSTGRES_SEEDS"]+":"+port)
			s.reaches(t, name+" POSTGRES_SEEDS", host, p)
			if host != "temporal-postgresql" {
				t.Errorf("%s uses database %s, want temporal-postgresql", name, host)
			}
			if e["POSTGRES_USER"] != db["POSTGRES_USER"] {
				t.Errorf("%s logs in as %q, the database's user is %q", name, e["POSTGRES_USER"], db["POSTGRES_USER"])
			}
		}
		if got := env(s.service("temporal-schema"))["SQL_PASSWORD"]; got != db["POSTGRES_PASSWORD"] {
			t.Errorf("temporal-schema's SQL_PASSWORD %q is not the database's password %q", got, db["POSTGRES_PASSWORD"])
		}
		if got := env(s.service("temporal"))["POSTGRES_PWD"]; got != db["POSTGRES_PASSWORD"] {
			t.Errorf("temporal's POSTGRES_PWD %q is not the database's password %q", got, db["POSTGRES_PASSWORD"])
		}
		if got := env(s.service("temporal"))["DB"]; got != "postgres12" {
			t.Errorf("temporal's DB is %q, want postgres12", got)
		}

		// Published ports lead to ports the services listen on.
		for name, svc := range s.Services {
			for _, p := range svc.Ports {
				if !s.listens(name)[int(p.Target)] {
					t.Errorf("%s publishes container port %d, on which it does not listen", name, p.Target)
				}
			}
		}
	})
}

func trimAll(ss []string) []string {
	for i := range ss {
		ss[i] = strings.TrimSpace(ss[i])
	}
	return ss
}

// checkPostgresURL checks a postgres:// URL against the PostgreSQL service it names.
func checkPostgresURL(t *testing.T, s stack, what, raw string) {
	t.Helper()
	u, host, port := urlHostPort(t, what, strings.Replace(raw, "postgres://", "http://", 1))
	if !strings.HasPrefix(raw, "postgres://") && !strings.HasPrefix(raw, "postgresql://") {
		t.Errorf("%s %q is not a postgres:// URL", what, raw)
		return
	}
	if u.Port() == "" {
		port = 5432
	}
	s.reaches(t, what, host, port)
	db := env(s.service(host))
	password, _ := u.User.Password()
	wantDB := db["POSTGRES_DB"]
	if wantDB == "" {
		wantDB = db["POSTGRES_USER"]
	}
	switch {
	case u.User.Username() != db["POSTGRES_USER"]:
		t.Errorf("%s logs in as %q, %s's user is %q", what, u.User.Username(), host, db["POSTGRES_USER"])
	case password != db["POSTGRES_PASSWORD"]:
		t.Errorf("%s's password is not %s's POSTGRES_PASSWORD", what, host)
	case strings.TrimPrefix(u.Path, "/") != wantDB:
		t.Errorf("%s opens database %q, %s creates %q", what, strings.TrimPrefix(u.Path, "/"), host, wantDB)
	}
}

// TestComposeHealthAndOrder: every long-lived service has a health check,
// every depends_on waits for a condition that means "ready" (healthy, or a
// one-shot job done), and our binaries check themselves on their own ports.
func TestComposeHealthAndOrder(t *testing.T) {
	s := loadStack(t, nil)
	oneShot := map[string]bool{}
	for _, svc := range s.Services {
		for dep, d := range svc.DependsOn {
			if d.Condition == types.ServiceConditionCompletedSuccessfully {
				oneShot[dep] = true
			}
		}
	}
	for name, svc := range s.Services {
		if oneShot[name] {
			if svc.Restart != "" && svc.Restart != types.RestartPolicyNo {
				t.Errorf("%s is a one-shot job, but restarts %q", name, svc.Restart)
			}
			continue
		}
		if svc.HealthCheck == nil || svc.HealthCheck.Disable || len(svc.HealthCheck.Test) < 2 || svc.HealthCheck.Test[0] == "NONE" {
			t.Errorf("%s runs for good but has no health check", name)
		}
		for dep, d := range svc.DependsOn {
			switch d.Condition {
			case types.ServiceConditionHealthy:
				if hc := s.Services[dep].HealthCheck; hc == nil || len(hc.Test) < 2 {
					t.Errorf("%s waits for %s to be healthy, which has no health check", name, dep)
				}
			case types.ServiceConditionCompletedSuccessfully:
			default:
				t.Errorf("%s depends on %s with condition %q; wait for service_healthy or service_completed_successfully", name, dep, d.Condition)
			}
		}
	}

	// compose-go fills in service_started for the short form: read the file
	// itself to see that every dependency names its condition.
	var raw struct {
		Services map[string]struct {
			DependsOn yaml.Node `yaml:"depends_on"`
		} `yaml:"services"`
	}
	readYAML(t, filepath.Join(repoRoot, "docker-compose.yml"), &raw)
	for name, svc := range raw.Services {
		switch svc.DependsOn.Kind {
		case 0:
		case yaml.MappingNode:
			for i := 0; i+1 < len(svc.DependsOn.Content); i += 2 {
				var d struct{ Condition string }
				if err := svc.DependsOn.Content[i+1].Decode(&d); err != nil || d.Condition == "" {
					t.Errorf("%s depends on %s without a condition", name, svc.DependsOn.Content[i].Value)
				}
			}
		default:
			t.Errorf("%s lists depends_on without conditions", name)
		}
	}

	// Our image has no shell: its health checks run deploy/healthcheck on a
	// port the binary serves /healthz or /readyz on.
	for name, bin := range s.productServices() {
		svc := s.Services[name]
		hc := svc.HealthCheck
		if hc == nil || len(hc.Test) != 3 || hc.Test[0] != "CMD" || hc.Test[1] != "/usr/local/bin/healthcheck" {
			t.Errorf("%s's health check should be [CMD /usr/local/bin/healthcheck URL], is %q", name, hc.Test)
			continue
		}
		u, host, port := urlHostPort(t, name+" health check", hc.Test[2])
		if host != "127.0.0.1" && host != "localhost" {
			t.Errorf("%s's health check asks %s, not its own container", name, host)
		}
		want := "STANDIN_ADDR"
		if bin != "standin" {
			want = "OPS_ADDR"
		}
		if p := addrPort(t, processOf[bin], env(svc), want); port != p {
			t.Errorf("%s's health check asks port %d, its %s is port %d", name, port, want, p)
		}
		if u.Path != "/healthz" && u.Path != "/readyz" {
			t.Errorf("%s's health check asks %s, want /healthz or /readyz", name, u.Path)
		}
	}
}

// TestComposeWorker: two replicas that can scale (no container name, no
// published port), stopped with time for their running activities.
func TestComposeWorker(t *testing.T) {
	s := loadStack(t, nil)
	name, svc := s.serviceRunning("worker")
	if svc.Deploy == nil || svc.Deploy.Replicas == nil || *svc.Deploy.Replicas != 2 {
		t.Errorf("%s: deploy.replicas should be 2", name)
	}
	if svc.ContainerName != "" {
		t.Errorf("%s has container_name %q, so it cannot have replicas", name, svc.ContainerName)
	}
	for _, p := range svc.Ports {
		if p.Published != "" {
			t.Errorf("%s publishes host port %s, which a second replica cannot bind", name, p.Published)
		}
	}
	stop, err := time.ParseDuration(effective(config.WorkerProcess, env(svc), "WORKER_STOP_TIMEOUT"))
	if err != nil {
		t.Fatal(err)
	}
	if _, set := env(svc)["WORKER_STOP_TIMEOUT"]; !set {
		t.Errorf("%s does not set WORKER_STOP_TIMEOUT: set it beside stop_grace_period", name)
	}
	if svc.StopGracePeriod == nil {
		t.Fatalf("%s has no stop_grace_period: Docker's 10s default cuts the activities' %v short", name, stop)
	}
	const margin = 5 * time.Second
	if grace := time.Duration(*svc.StopGracePeriod); grace < stop+margin {
		t.Errorf("%s: stop_grace_period %v should exceed WORKER_STOP_TIMEOUT %v by at least %v", name, grace, stop, margin)
	}
}

// TestComposeMounts: every file the compose file mounts from this
// repository exists, and the files services are told to read are mounted.
func TestComposeMounts(t *testing.T) {
	s := loadStack(t, nil)
	for name, svc := range s.Services {
		for _, v := range svc.Volumes {
			switch v.Type {
			case types.VolumeTypeBind:
				if _, err := os.Stat(v.Source); err != nil {
					t.Errorf("%s mounts %s, which does not exist", name, v.Source)
				}
				if !v.ReadOnly {
					t.Errorf("%s mounts %s writable; configuration is read-only", name, v.Source)
				}
			case types.VolumeTypeVolume:
				if _, ok := s.Volumes[v.Source]; !ok {
					t.Errorf("%s uses volume %s, which is not declared", name, v.Source)
				}
			}
		}
		// A script given to /bin/sh must be mounted.
		if len(svc.Entrypoint) == 2 && svc.Entrypoint[0] == "/bin/sh" {
			if _, ok := mountSource(svc, svc.Entrypoint[1]); !ok {
				t.Errorf("%s runs %s, which it does not mount", name, svc.Entrypoint[1])
			}
		}
	}
	for _, f := range []struct{ service, variable string }{
		{"temporal", "DYNAMIC_CONFIG_FILE_PATH"},
		{"grafana", "GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH"},
	} {
		svc := s.service(f.service)
		target := env(svc)[f.variable]
		src, ok := mountSource(svc, target)
		if !ok {
			t.Errorf("%s's %s %s is not mounted", f.service, f.variable, target)
			continue
		}
		if _, err := os.Stat(src); err != nil {
			t.Errorf("%s's %s: %v", f.service, f.variable, err)
		}
	}
	// The stand-in keeps its records on a volume.
	_, standin := s.serviceRunning("standin")
	dir := env(standin)["STANDIN_DATA_DIR"]
	if !slices.ContainsFunc(standin.Volumes, func(v types.ServiceVolumeConfig) bool {
		return v.Type == types.VolumeTypeVolume && (dir == v.Target || strings.HasPrefix(dir, strings.TrimSuffix(v.Target, "/")+"/"))
	}) {
		t.Errorf("the stand-in's STANDIN_DATA_DIR %s is on no volume: its records would go with the container", dir)
	}
	if !path.IsAbs(dir) {
		t.Errorf("STANDIN_DATA_DIR %q should be absolute", dir)
	}
}

// TestTemporalDynamicConfig: the file the server reads is dynamic config:
// each key a list of values with constraints.
func TestTemporalDynamicConfig(t *testing.T) {
	s := loadStack(t, nil)
	svc := s.service("temporal")
	src, ok := mountSource(svc, env(svc)["DYNAMIC_CONFIG_FILE_PATH"])
	if !ok {
		t.Fatal("temporal's DYNAMIC_CONFIG_FILE_PATH is not mounted")
	}
	var dc map[string][]map[string]any
	readYAML(t, src, &dc)
	if len(dc) == 0 {
		t.Fatalf("%s sets nothing", src)
	}
	for key, entries := range dc {
		if !regexp.MustCompile(`^[a-z]+\.[A-Za-z.]+$`).MatchString(key) {
			t.Errorf("%s: %q does not look like a dynamic config key", src, key)
		}
		for _, e := range entries {
			if _, ok := e["value"]; !ok {
				t.Errorf("%s: %s has an entry without a value", src, key)
			}
		}
	}
}
