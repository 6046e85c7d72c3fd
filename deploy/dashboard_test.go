package deploy_test

import (
	"bufio"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/deploy"
	"github.com/partner-onboarding/onboarding/metrics"
	"github.com/partner-onboarding/onboarding/monitor"
)

func TestMetricNames(t *testing.T) {
	for _, tc := range []struct {
		expr string
		want []string
	}{
		{`up`, []string{"up"}},
		{`sum by (status) (onboarding_requests_in_status)`, []string{"onboarding_requests_in_status"}},
		{`sum(rate(a_total[5m])) by (le, job)`, []string{"a_total"}},
		{`histogram_quantile(0.95, sum by (le) (rate(x_seconds_bucket{job="worker", le!="+Inf"}[$__rate_interval])))`,
			[]string{"x_seconds_bucket"}},
		{`60 * sum without (instance) (increase(a_total[1h] offset 5m)) / ignoring(kind) group_left(step) b`,
			[]string{"a_total", "b"}},
		{`a and on(job) b or c unless d`, []string{"a", "b", "c", "d"}},
		{`rate(a[5m:1m]) > bool 1e-3`, []string{"a"}},
		{`max_over_time(deriv(a[${__range}])[1h:])`, []string{"a"}},
		{`{__name__="by_name", job="x"} + {"quoted.name"}`, []string{"by_name", "quoted.name"}},
		{`{__name__=~"regex.*"}`, nil},
		{`label_replace(a, "dst", "$1", "src", "(.*)")`, []string{"a"}},
		{`vector(1) + scalar(sum(b)) # c is a comment
		  + job:rule:rate5m`, []string{"b", "job:rule:rate5m"}},
		{`a @ start() + b @ 1609746000 - Inf + NaN`, []string{"a", "b"}},
		{`sum by ($group) (a{status=~"$status"}[$__interval])`, []string{"a"}},
		{`topk by (job) (3, a) + count_values("v", b) + sum(c) without(d)`, []string{"a", "b", "c"}},
		{`sum by (le)(rate(a[5m]))`, []string{"a"}},
	} {
		if got := deploy.MetricNames(tc.expr); !slices.Equal(got, tc.want) {
			t.Errorf("MetricNames(%s) = %q, want %q", tc.expr, got, tc.want)
		}
	}
}

// FuzzMetricNames: any text, PromQL or not, gives names without panicking.
func FuzzMetricNames(f *testing.F) {
	for _, seed := range []string{`a{`, `a[`, `sum by (`, `"x`, `{__name__="a`, `${x`, `a{"b`, `sum by (le`, `1e`, `$`} {
		f.Add(seed)
	}
	queries, _ := deploy.DashboardQueries()
	for _, q := range queries {
		f.Add(q.Expr)
	}
	f.Fuzz(func(t *testing.T, expr string) {
		for _, n := range deploy.MetricNames(expr) {
			if n == "" {
				t.Errorf("MetricNames(%q) returned an empty name", expr)
			}
		}
	})
}

// TestDashboardMetricsAreExported: every metric a dashboard query reads is
// one the binaries export: the product's (package metrics) and the Temporal
// Go SDK's, each under the name Prometheus stores it by its kind.
func TestDashboardMetricsAreExported(t *testing.T) {
	exported := map[string]bool{}
	for name, k := range productMetrics(t) {
		for _, s := range series(name, k) {
			exported[s] = true
		}
	}
	for name, k := range sdkMetrics(t) {
		for _, s := range series(name, k) {
			exported[s] = true
		}
	}
	queries, err := deploy.DashboardQueries()
	if err != nil {
		t.Fatal(err)
	}
	if len(queries) == 0 {
		t.Fatal("the dashboard has no queries")
	}
	for _, q := range queries {
		names := deploy.MetricNames(q.Expr)
		if len(names) == 0 {
			t.Errorf("panel %q: query %s reads no metric", q.Panel, q.Expr)
		}
		for _, n := range names {
			if !exported[n] {
				t.Errorf("panel %q reads %s, which no binary exports", q.Panel, n)
			}
		}
	}
}

// TestDashboardCoversOnCall: the panels on-call needs are there.
func TestDashboardCoversOnCall(t *testing.T) {
	names, err := deploy.DashboardMetricNames()
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{
		metrics.RequestsInStatus,                    // requests by status
		metrics.SubmitToLead + "_seconds_bucket",    // submit → lead percentiles
		metrics.DecisionToEmail + "_seconds_bucket", // decision → email percentiles
		metrics.Webhooks + "_total",                 // webhook outcomes
		metrics.EmailsSent + "_total",               // emails by kind
		metrics.RequestsNeedingAttention + "_total", // needing attention
		"temporal_workflow_task_schedule_to_start_latency_seconds_bucket",
		"temporal_activity_schedule_to_start_latency_seconds_bucket",
	} {
		if !slices.Contains(names, want) {
			t.Errorf("no panel reads %s", want)
		}
	}
	queries, _ := deploy.DashboardQueries()
	for _, q := range queries {
		if strings.Contains(q.Expr, "_bucket") && strings.Contains(q.Expr, "histogram_quantile") &&
			!regexp.MustCompile(`by \([^)]*\ble\b`).MatchString(q.Expr) {
			t.Errorf("panel %q: histogram_quantile needs the le label kept: %s", q.Panel, q.Expr)
		}
	}
}

// TestMetricNamingAsExported records each product metric, and each SDK
// metric the dashboard reads, through monitor's metrics handler (the one the
// processes use) and reads /metrics: the names series() predicts are the
// names Prometheus gets.
func TestMetricNamingAsExported(t *testing.T) {
	m, err := monitor.NewMetrics()
	if err != nil {
		t.Fatal(err)
	}
	h := m.Handler()
	want := map[string]bool{}
	record := func(name string, k kind) {
		switch k {
		case counter:
			h.Counter(name).Inc(1)
		case gauge:
			h.Gauge(name).Update(1)
		case timer:
			h.Timer(name).Record(time.Second)
		}
		for _, s := range series(name, k) {
			want[s] = true
		}
	}
	for name, k := range productMetrics(t) {
		record(name, k)
	}
	used, err := deploy.DashboardMetricNames()
	if err != nil {
		t.Fatal(err)
	}
	for name, k := range sdkMetrics(t) {
		if slices.ContainsFunc(series(name, k), func(s string) bool { return slices.Contains(used, s) }) {
			record(name, k)
		}
	}
	if err := m.Close(); err != nil { // reports what was recorded
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	(&monitor.Server{Metrics: m}).Routes(mux)
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	got := map[string]bool{}
	sc := bufio.NewScanner(rec.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		got[line[:strings.IndexAny(line, "{ ")]] = true
	}
	for s := range want {
		if !got[s] {
			t.Errorf("%s is not among the exported series", s)
		}
	}
}

type kind string

const (
	counter kind = "counter"
	gauge   kind = "gauge"
	timer   kind = "timer"
)

// series are the names Prometheus stores a metric under, as monitor exports
// it: the SDK's Prometheus naming scope adds _total to counters and _seconds
// to timers, which are histograms.
func series(name string, k kind) []string {
	switch k {
	case counter:
		if !strings.HasSuffix(name, "_total") {
			name += "_total"
		}
		return []string{name}
	case timer:
		if !strings.HasSuffix(name, "_seconds") {
			name += "_seconds"
		}
		return []string{name + "_bucket", name + "_sum", name + "_count"}
	}
	return []string{name}
}

// productMetrics are the metrics package's names, each with the kind the
// code records it as (a .Counter/.Gauge/.Timer(metrics.Name) call outside
// tests). Every name must be recorded somewhere, as exactly one kind.
func productMetrics(t *testing.T) map[string]kind {
	t.Helper()
	consts := constStrings(t, filepath.Join(repoRoot, "metrics"))
	kinds := recordedKinds(t, repoRoot, consts, func(rel string) bool {
		return slices.Contains([]string{".git", ".tools", "data", "deploy", "node_modules"}, rel) || filepath.Base(rel) == "testdata"
	})
	for ident, name := range consts {
		if _, ok := kinds[name]; !ok {
			t.Errorf("metrics.%s (%s) is recorded nowhere as a counter, gauge or timer", ident, name)
		}
	}
	return kinds
}

// sdkMetrics are the Temporal Go SDK's metric names, from its source in the
// module cache (internal/common/metrics/constants.go), each with the kind
// the SDK records it as; names recorded indirectly are left out.
func sdkMetrics(t *testing.T) map[string]kind {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "go.temporal.io/sdk").Output()
	if err != nil {
		t.Fatalf("find the Temporal SDK's source: %v", err)
	}
	dir := strings.TrimSpace(string(out))
	consts := constStrings(t, filepath.Join(dir, "internal", "common", "metrics"))
	kinds := recordedKinds(t, filepath.Join(dir, "internal"), consts, func(string) bool { return false })
	if len(kinds) < 20 {
		t.Fatalf("found only %d SDK metrics in %s: has its source changed shape?", len(kinds), dir)
	}
	return kinds
}

var recordCall = regexp.MustCompile(`\b(Counter|Gauge|Timer)\(\s*metrics\.([A-Za-z_][A-Za-z0-9_]*)\s*\)`)

// recordedKinds scans the Go files under root (not tests, not skipped
// directories) for calls recording one of consts, and returns each recorded
// metric name with its kind.
func recordedKinds(t *testing.T, root string, consts map[string]string, skip func(rel string) bool) map[string]kind {
	t.Helper()
	kinds := map[string]kind{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel != "." && skip(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range recordCall.FindAllStringSubmatch(string(src), -1) {
			name, ok := consts[m[2]]
			if !ok {
				continue
			}
			k := kind(strings.ToLower(m[1]))
			if prev, ok := kinds[name]; ok && prev != k {
				t.Errorf("%s is recorded both as a %s and as a %s (%s)", name, prev, k, rel)
			}
			kinds[name] = k
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return kinds
}

// constStrings evaluates the string constants of the Go package in dir
// (literals and + of literals and other constants), by identifier.
func constStrings(t *testing.T, dir string) map[string]string {
	t.Helper()
	exprs := map[string]ast.Expr{}
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no Go files in %s", dir)
	}
	fset := token.NewFileSet()
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gd, ok := decl.(*ast.GenDecl)
			if !ok || gd.Tok != token.CONST {
				continue
			}
			for _, spec := range gd.Specs {
				vs := spec.(*ast.ValueSpec)
				for i, name := range vs.Names {
					if i < len(vs.Values) {
						exprs[name.Name] = vs.Values[i]
					}
				}
			}
		}
	}
	var eval func(ast.Expr, int) (string, bool)
	eval = func(e ast.Expr, depth int) (string, bool) {
		if depth > 20 {
			return "", false
		}
		switch e := e.(type) {
		case *ast.BasicLit:
			if e.Kind != token.STRING {
				return "", false
			}
			s, err := strconv.Unquote(e.Value)
			return s, err == nil
		case *ast.Ident:
			if x, ok := exprs[e.Name]; ok {
				return eval(x, depth+1)
			}
		case *ast.ParenExpr:
			return eval(e.X, depth+1)
		case *ast.BinaryExpr:
			if e.Op == token.ADD {
				l, ok1 := eval(e.X, depth+1)
				r, ok2 := eval(e.Y, depth+1)
				return l + r, ok1 && ok2
			}
		}
		return "", false
	}
	out := map[string]string{}
	for name, e := range exprs {
		if s, ok := eval(e, 0); ok {
			out[name] = s
		}
	}
	return out
}
