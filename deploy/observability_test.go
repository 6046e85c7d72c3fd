package deploy_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/config"
	"github.com/partner-onboarding/onboarding/deploy"
	"github.com/partner-onboarding/onboarding/settings"
)

type prometheusConfig struct {
	Global struct {
		ScrapeInterval string `yaml:"scrape_interval"`
	} `yaml:"global"`
	ScrapeConfigs []struct {
		JobName       string `yaml:"job_name"`
		MetricsPath   string `yaml:"metrics_path"`
		StaticConfigs []struct {
			Targets []string `yaml:"targets"`
		} `yaml:"static_configs"`
		DNSSDConfigs []struct {
			Names []string `yaml:"names"`
			Type  string   `yaml:"type"`
			Port  int      `yaml:"port"`
		} `yaml:"dns_sd_configs"`
	} `yaml:"scrape_configs"`
}

// scrapeTarget is one host:port a Prometheus job scrapes.
type scrapeTarget struct {
	job, host string
	port      int
	dns       bool // every address the name resolves to
}

// prometheus reads the configuration the prometheus service mounts at its
// --config.file, and lists every target.
func prometheus(t *testing.T, s stack) (prometheusConfig, []scrapeTarget) {
	t.Helper()
	svc := s.service("prometheus")
	configFile := ""
	for _, arg := range svc.Command {
		if v, ok := strings.CutPrefix(arg, "--config.file="); ok {
			configFile = v
		}
	}
	if configFile == "" {
		t.Fatal("the prometheus service names no --config.file")
	}
	src, ok := mountSource(svc, configFile)
	if !ok {
		t.Fatalf("the prometheus service does not mount its --config.file %s", configFile)
	}
	if rel, _ := filepath.Rel(".", src); filepath.Base(src) != "prometheus.yml" || !strings.Contains(src, filepath.Join("deploy", "prometheus")) {
		t.Errorf("prometheus reads %s, want deploy/prometheus/prometheus.yml", rel)
	}
	var cfg prometheusConfig
	readYAML(t, src, &cfg)
	var targets []scrapeTarget
	for _, sc := range cfg.ScrapeConfigs {
		if sc.MetricsPath != "" && sc.MetricsPath != "/metrics" {
			t.Errorf("job %s scrapes %s; the processes serve /metrics", sc.JobName, sc.MetricsPath)
		}
		for _, st := range sc.StaticConfigs {
			for _, target := range st.Targets {
				host, port := hostPort(t, "job "+sc.JobName+" target", target)
				targets = append(targets, scrapeTarget{job: sc.JobName, host: host, port: port})
			}
		}
		for _, d := range sc.DNSSDConfigs {
			if d.Type != "A" && d.Type != "" {
				t.Errorf("job %s: DNS discovery of type %s; Docker's DNS answers A records", sc.JobName, d.Type)
			}
			for _, name := range d.Names {
				targets = append(targets, scrapeTarget{job: sc.JobName, host: name, port: d.Port, dns: true})
			}
		}
	}
	return cfg, targets
}

// TestPrometheusScrapesTheProcesses: Prometheus scrapes every process that
// serves metrics, on its OPS_ADDR port (every replica of the worker), and
// the Temporal server on its PROMETHEUS_ENDPOINT port; every target is a
// service and port of the compose file.
func TestPrometheusScrapesTheProcesses(t *testing.T) {
	s := loadStack(t, nil)
	_, targets := prometheus(t, s)
	for _, tg := range targets {
		s.reaches(t, "prometheus job "+tg.job, tg.host, tg.port)
	}
	scraped := func(host string, port int) (scrapeTarget, bool) {
		i := slices.IndexFunc(targets, func(tg scrapeTarget) bool { return tg.host == host && tg.port == port })
		if i < 0 {
			return scrapeTarget{}, false
		}
		return targets[i], true
	}
	for name, bin := range s.productServices() {
		process := processOf[bin]
		if !slices.ContainsFunc(config.Vars(process), func(v settings.Var) bool { return v.Name == "OPS_ADDR" }) {
			continue
		}
		svc := s.Services[name]
		port := addrPort(t, process, env(svc), "OPS_ADDR")
		tg, ok := scraped(name, port)
		switch {
		case !ok:
			t.Errorf("prometheus does not scrape %s on its OPS_ADDR port %d", name, port)
		case svc.GetScale() > 1 && !tg.dns:
			t.Errorf("%s has %d replicas, but job %s scrapes one name; use dns_sd_configs", name, svc.GetScale(), tg.job)
		case tg.job != name:
			t.Errorf("job %s scrapes %s; name the job after the service, as the dashboard's job matchers do", tg.job, name)
		}
	}
	_, port := hostPort(t, "temporal PROMETHEUS_ENDPOINT", env(s.service("temporal"))["PROMETHEUS_ENDPOINT"])
	if _, ok := scraped("temporal", port); !ok {
		t.Errorf("prometheus does not scrape the Temporal server on its PROMETHEUS_ENDPOINT port %d", port)
	}
}

// TestGrafanaProvisioning: Grafana's datasource is the compose file's
// Prometheus, its dashboard provider reads the mounted dashboards, and the
// dashboard uses that datasource and existing scrape jobs.
func TestGrafanaProvisioning(t *testing.T) {
	s := loadStack(t, nil)
	grafana := s.service("grafana")

	dsFile, ok := mountSource(grafana, "/etc/grafana/provisioning/datasources/prometheus.yml")
	if !ok {
		t.Fatal("grafana does not mount deploy/grafana/provisioning/datasources at /etc/grafana/provisioning/datasources")
	}
	var ds struct {
		Datasources []struct {
			Name, UID, Type, URL string
			IsDefault            bool `yaml:"isDefault"`
			JSONData             struct {
				TimeInterval string `yaml:"timeInterval"`
			} `yaml:"jsonData"`
		} `yaml:"datasources"`
	}
	readYAML(t, dsFile, &ds)
	if len(ds.Datasources) != 1 {
		t.Fatalf("%s provisions %d datasources, want 1", dsFile, len(ds.Datasources))
	}
	d := ds.Datasources[0]
	if d.Type != "prometheus" || d.UID == "" || !d.IsDefault {
		t.Errorf("datasource %+v: want type prometheus, a uid, and the default", d)
	}
	_, host, port := urlHostPort(t, "the datasource URL", d.URL)
	s.reaches(t, "the Grafana datasource URL", host, port)
	if s.service(host).Image == "" || !strings.Contains(s.service(host).Image, "prometheus") {
		t.Errorf("the datasource URL names %s, which is not Prometheus", host)
	}
	promCfg, targets := prometheus(t, s)
	if d.JSONData.TimeInterval != promCfg.Global.ScrapeInterval {
		t.Errorf("the datasource's timeInterval %q is not Prometheus' scrape_interval %q", d.JSONData.TimeInterval, promCfg.Global.ScrapeInterval)
	}

	provFile, ok := mountSource(grafana, "/etc/grafana/provisioning/dashboards/onboarding.yml")
	if !ok {
		t.Fatal("grafana does not mount deploy/grafana/provisioning/dashboards at /etc/grafana/provisioning/dashboards")
	}
	var prov struct {
		Providers []struct {
			Name, Type string
			Options    struct{ Path string }
		} `yaml:"providers"`
	}
	readYAML(t, provFile, &prov)
	if len(prov.Providers) != 1 || prov.Providers[0].Type != "file" {
		t.Fatalf("%s: want one file provider, have %+v", provFile, prov.Providers)
	}
	dashboard := filepath.Join(prov.Providers[0].Options.Path, filepath.Base(deploy.DashboardFile))
	src, ok := mountSource(grafana, dashboard)
	if !ok {
		t.Fatalf("the dashboard provider reads %s, which grafana does not mount", prov.Providers[0].Options.Path)
	}
	if same, err := sameFile(src, deploy.DashboardFile); err != nil || !same {
		t.Errorf("grafana's %s is %s, not deploy/%s (%v)", dashboard, src, deploy.DashboardFile, err)
	}

	// Every datasource reference in the dashboard is the provisioned one.
	data, err := os.ReadFile(deploy.DashboardFile)
	if err != nil {
		t.Fatal(err)
	}
	var dash any
	if err := json.Unmarshal(data, &dash); err != nil {
		t.Fatal(err)
	}
	walkJSON(dash, func(key string, v any) {
		if key != "datasource" {
			return
		}
		ref, _ := v.(map[string]any)
		if ref["uid"] != d.UID || ref["type"] != d.Type {
			t.Errorf("the dashboard refers to datasource %v, the provisioned one is {type: %s, uid: %s}", v, d.Type, d.UID)
		}
	})

	// job="..." matchers name scrape jobs.
	queries, err := deploy.DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range queries {
		for _, m := range regexp.MustCompile(`\bjob\s*=\s*"([^"]*)"`).FindAllStringSubmatch(q.Expr, -1) {
			if !slices.ContainsFunc(targets, func(tg scrapeTarget) bool { return tg.job == m[1] }) {
				t.Errorf("panel %q selects job %q, which Prometheus does not scrape", q.Panel, m[1])
			}
		}
	}
}

func sameFile(a, b string) (bool, error) {
	ia, err := os.Stat(a)
	if err != nil {
		return false, err
	}
	ib, err := os.Stat(b)
	if err != nil {
		return false, err
	}
	return os.SameFile(ia, ib), nil
}

// walkJSON calls f with every key and value of every object in v.
func walkJSON(v any, f func(key string, v any)) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			f(k, x)
			walkJSON(x, f)
		}
	case []any:
		for _, x := range v {
			walkJSON(x, f)
		}
	}
}
