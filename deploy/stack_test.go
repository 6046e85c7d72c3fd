package deploy_test

import (
	"context"
	"net"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/cli"
	"github.com/compose-spec/compose-go/v2/types"
	"go.yaml.in/yaml/v3"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/settings"
)

// repoRoot is where docker-compose.yml and the Dockerfile are; tests run in deploy/.
const repoRoot = ".."

// Our image's binaries, by the process whose settings each reads.
var processOf = map[string]string{
	"worker":  config.WorkerProcess,
	"starter": config.StarterProcess,
	"standin": config.StandinProcess,
}

// The variables the compose file interpolates, with values unlike its
// defaults: loading with them shows that each secret reaches both ends.
var overrides = map[string]string{
	"WEBHOOK_KEY":            "rotated-webhook-key",
	"INTAKE_API_KEY":         "rotated-intake-key",
	"SALES_CLIENT_SECRET":    "another-client-secret",
	"COMMERCE_DB_PASSWORD":   "another-db-password",
	"GRAFANA_ADMIN_PASSWORD": "another-admin-password",
	"PAYLOAD_KEYS":           "rotated:MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=,compose-dev:ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=",
}

// stack is the compose project as Docker Compose would load it.
type stack struct {
	t *testing.T
	*types.Project
}

// loadStack loads docker-compose.yml with compose-go, as `docker compose`
// does: schema validation, interpolation with env only (not this process's
// environment, nor an .env file), merge keys, normalization, and the
// consistency checks (depends_on and volume targets exist).
func loadStack(t *testing.T, env map[string]string) stack {
	t.Helper()
	var list []string
	for k, v := range env {
		list = append(list, k+"="+v)
	}
	opts, err := cli.NewProjectOptions([]string{filepath.Join(repoRoot, "docker-compose.yml")},
		cli.WithWorkingDirectory(repoRoot), cli.WithEnv(list), cli.WithInterpolation(true))
	if err != nil {
		t.Fatal(err)
	}
	p, err := opts.LoadProject(context.Background())
	if err != nil {
		t.Fatalf("load docker-compose.yml: %v", err)
	}
	return stack{t: t, Project: p}
}

// withEachEnv runs check on the stack loaded with its defaults and with overrides.
func withEachEnv(t *testing.T, check func(t *testing.T, s stack)) {
	for name, env := range map[string]map[string]string{"defaults": nil, "overrides": overrides} {
		t.Run(name, func(t *testing.T) { check(t, loadStack(t, env)) })
	}
}

func (s stack) service(name string) types.ServiceConfig {
	s.t.Helper()
	svc, ok := s.Services[name]
	if !ok {
		s.t.Fatalf("docker-compose.yml has no service %s", name)
	}
	return svc
}

// env is a service's environment, unset entries empty.
func env(svc types.ServiceConfig) map[string]string {
	m := map[string]string{}
	for k, v := range svc.Environment {
		if v != nil {
			m[k] = *v
		}
	}
	return m
}

// binary is the binary of ours a service runs, or "".
func binary(svc types.ServiceConfig) string {
	if svc.Build == nil || len(svc.Entrypoint) == 0 {
		return ""
	}
	name := path.Base(svc.Entrypoint[0])
	if _, ok := processOf[name]; !ok {
		return ""
	}
	return name
}

// productServices maps each service running one of our binaries to it.
func (s stack) productServices() map[string]string {
	m := map[string]string{}
	for name, svc := range s.Services {
		if b := binary(svc); b != "" {
			m[name] = b
		}
	}
	return m
}

// serviceRunning is the one service that runs binary.
func (s stack) serviceRunning(binary string) (string, types.ServiceConfig) {
	s.t.Helper()
	var found []string
	for name, b := range s.productServices() {
		if b == binary {
			found = append(found, name)
		}
	}
	if len(found) != 1 {
		s.t.Fatalf("services running %s: %v, want exactly one", binary, found)
	}
	return found[0], s.Services[found[0]]
}

// effective is what a process uses for a setting: its value in env, else its default.
func effective(process string, env map[string]string, name string) string {
	if v := strings.TrimSpace(env[name]); v != "" {
		return v
	}
	for _, v := range config.Vars(process) {
		if v.Name == name && v.Default != "(required)" {
			return v.Default
		}
	}
	return ""
}

// loadErr is what the process would say about env at its start.
func loadErr(process string, env map[string]string) error {
	e := settings.Map(env)
	switch process {
	case config.WorkerProcess:
		config.LoadWorker(e)
	case config.StarterProcess:
		config.LoadStarter(e)
	case config.StandinProcess:
		config.LoadStandin(e)
	}
	return e.Err()
}

// listens is the set of ports a service listens on inside its container:
// for our binaries the ports of their *_ADDR settings; for other images,
// which say nothing we can read, the targets of their published ports and
// their expose list.
func (s stack) listens(name string) map[int]bool {
	s.t.Helper()
	svc := s.service(name)
	ports := map[int]bool{}
	if b := binary(svc); b != "" {
		for _, addr := range addrSettings(processOf[b], env(svc)) {
			ports[addr.port] = true
		}
		return ports
	}
	for _, p := range svc.Ports {
		ports[int(p.Target)] = true
	}
	for _, e := range svc.Expose {
		if n, err := strconv.Atoi(e); err == nil {
			ports[n] = true
		}
	}
	return ports
}

type listenAddr struct {
	setting, host string
	port          int
}

// addrSettings are the addresses a process listens on (settings named *_ADDR).
func addrSettings(process string, env map[string]string) []listenAddr {
	var out []listenAddr
	for _, v := range config.Vars(process) {
		if !strings.HasSuffix(v.Name, "_ADDR") {
			continue
		}
		host, port, err := net.SplitHostPort(effective(process, env, v.Name))
		if err != nil {
			continue
		}
		n, _ := strconv.Atoi(port)
		out = append(out, listenAddr{setting: v.Name, host: host, port: n})
	}
	return out
}

// addrPort is the port of one of a process's *_ADDR settings.
func addrPort(t *testing.T, process string, env map[string]string, setting string) int {
	t.Helper()
	for _, a := range addrSettings(process, env) {
		if a.setting == setting {
			return a.port
		}
	}
	t.Fatalf("%s has no listen address %s", process, setting)
	return 0
}

// hostPort splits "host:port" and fails the test on anything else.
func hostPort(t *testing.T, what, hp string) (string, int) {
	t.Helper()
	host, port, err := net.SplitHostPort(hp)
	if err != nil {
		t.Fatalf("%s %q: %v", what, hp, err)
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("%s %q: port is not a number", what, hp)
	}
	return host, n
}

// urlHostPort parses a URL and returns its host and port (80/443 by scheme).
func urlHostPort(t *testing.T, what, raw string) (*url.URL, string, int) {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" {
		t.Fatalf("%s %q is not a URL with a host", what, raw)
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[u.Scheme]
	}
	n, err := strconv.Atoi(port)
	if err != nil {
		t.Fatalf("%s %q: no port", what, raw)
	}
	return u, u.Hostname(), n
}

// reaches checks that host:port, as another container dials it, is a compose
// service that listens on port.
func (s stack) reaches(t *testing.T, what, host string, port int) {
	t.Helper()
	if _, ok := s.Services[host]; !ok {
		t.Errorf("%s names host %q, which is no compose service", what, host)
		return
	}
	if !s.listens(host)[port] {
		t.Errorf("%s names %s:%d, but %s listens on %v", what, host, port, host, keys(s.listens(host)))
	}
}

// mountSource is the file or directory of this repository that a service
// mounts at target or above it, with the rest of target's path added.
func mountSource(svc types.ServiceConfig, target string) (string, bool) {
	for _, v := range svc.Volumes {
		if v.Type != types.VolumeTypeBind {
			continue
		}
		if target == v.Target {
			return v.Source, true
		}
		if rel, ok := strings.CutPrefix(target, strings.TrimSuffix(v.Target, "/")+"/"); ok {
			return filepath.Join(v.Source, rel), true
		}
	}
	return "", false
}

func readYAML(t *testing.T, file string, into any) {
	t.Helper()
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, into); err != nil {
		t.Fatalf("%s: %v", file, err)
	}
}

func keys[V any](m map[int]V) []int {
	var out []int
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
