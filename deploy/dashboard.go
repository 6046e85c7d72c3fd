// Package deploy holds the container deployment beside the compose file at
// the repository's root: the Temporal setup scripts, the Prometheus and
// Grafana configuration, and the checks of all of it (compose_test.go),
// which run without Docker. Its Go API is the on-call dashboard's queries
// and the metric names they use, so that a test against running binaries
// can check that every one of them is exported.
package deploy

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// DashboardFile is the Grafana dashboard, relative to this directory.
const DashboardFile = "grafana/dashboards/onboarding.json"

//go:embed grafana/dashboards/onboarding.json
var dashboardJSON []byte

// Query is one PromQL query of a dashboard panel.
type Query struct {
	Panel string // the panel's title
	Expr  string
}

// DashboardQueries lists every panel query of the dashboard, rows' nested
// panels included, in the dashboard's order.
func DashboardQueries() ([]Query, error) {
	return dashboardQueries(dashboardJSON)
}

// DashboardMetricNames lists, sorted and once each, the metric names that the
// dashboard's queries read, as Prometheus stores them (with _total, _bucket
// and the like).
func DashboardMetricNames() ([]string, error) {
	queries, err := DashboardQueries()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, q := range queries {
		names = append(names, MetricNames(q.Expr)...)
	}
	slices.Sort(names)
	return slices.Compact(names), nil
}

type panel struct {
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		Expr string `json:"expr"`
	} `json:"targets"`
}

func dashboardQueries(data []byte) ([]Query, error) {
	var d struct {
		Panels []panel `json:"panels"`
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("read dashboard %s: %w", DashboardFile, err)
	}
	var queries []Query
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			for _, t := range p.Targets {
				if strings.TrimSpace(t.Expr) != "" {
					queries = append(queries, Query{Panel: p.Title, Expr: t.Expr})
				}
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return queries, nil
}

// labelListKeywords take a parenthesised list of label names.
var labelListKeywords = map[string]bool{
	"by": true, "without": true, "on": true, "ignoring": true, "group_left": true, "group_right": true,
}

// promqlKeywords are words of PromQL that are neither functions nor metrics.
var promqlKeywords = map[string]bool{
	"and": true, "or": true, "unless": true, "atan2": true, "bool": true, "offset": true,
	"inf": true, "nan": true,
}

// MetricNames returns the metric names a PromQL expression reads, in order of
// first appearance: the selectors' names, and __name__="..." matchers. It
// skips functions and aggregations (a word before "("), keywords, label lists
// (by, without, on, ignoring, group_left, group_right), label matchers,
// strings, numbers, durations, range and subquery brackets, comments and
// Grafana variables such as $__rate_interval.
func MetricNames(expr string) []string {
	var names []string
	add := func(name string) {
		if name != "" && !slices.Contains(names, name) {
			names = append(names, name)
		}
	}
	s := expr
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case c == '"' || c == '\'' || c == '`':
			i = skipString(s, i)
		case c == '{':
			end := closing(s, i)
			add(nameMatcher(s[i+1 : min(end, len(s))]))
			i = end + 1
		case c == '[':
			// A range, a subquery, or Grafana's old [[variable]].
			i = closing(s, i) + 1
		case c == '$':
			i = skipVariable(s, i)
		case isDigit(c) || c == '.' && i+1 < len(s) && isDigit(s[i+1]):
			// A number or a duration: 0.95, 1e3, 0x1f, 5m, 1h30m.
			for i < len(s) && (isWordChar(s[i]) || s[i] == '.') {
				i++
			}
		case isWordStart(c):
			j := i
			for j < len(s) && isWordChar(s[j]) {
				j++
			}
			lower := strings.ToLower(s[i:j])
			next := skipSpaces(s, j)
			switch {
			case labelListKeywords[lower]:
				if next < len(s) && s[next] == '(' {
					j = closing(s, next) + 1
				}
			case promqlKeywords[lower], calls(s, next):
				// A keyword, a function or an aggregation.
			default:
				add(s[i:j])
			}
			i = j
		default:
			i++
		}
	}
	return names
}

// calls says whether the word before i is called: "(" follows, or an
// aggregation's clause and then "(", as in sum by (le) (...).
func calls(s string, i int) bool {
	if i < len(s) && s[i] == '(' {
		return true
	}
	k := i
	for k < len(s) && isWordChar(s[k]) {
		k++
	}
	if clause := strings.ToLower(s[i:k]); clause != "by" && clause != "without" {
		return false
	}
	open := skipSpaces(s, k)
	if open >= len(s) || s[open] != '(' {
		return false
	}
	after := skipSpaces(s, closing(s, open)+1)
	return after < len(s) && s[after] == '('
}

// nameMatcher returns the metric name a label matcher list names, from
// __name__="x" or, in PromQL 3, a bare quoted name such as {"x", job="y"}.
func nameMatcher(matchers string) string {
	for _, m := range splitOutsideStrings(matchers, ',') {
		m = strings.TrimSpace(m)
		if m == "" {
			continue
		}
		if q := m[0]; q == '"' || q == '\'' || q == '`' {
			if end := skipString(m, 0); end == len(m) {
				return unquote(m)
			}
			continue
		}
		label, value, ok := strings.Cut(m, "=")
		if !ok || strings.TrimSpace(label) != "__name__" || strings.HasPrefix(value, "~") {
			continue
		}
		return unquote(strings.TrimSpace(value))
	}
	return ""
}

func splitOutsideStrings(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
		case sep:
			parts = append(parts, s[start:i])
			i++
			start = i
		default:
			i++
		}
	}
	return append(parts, s[start:])
}

func unquote(s string) string {
	if len(s) >= 2 && (s[0] == '"' || s[0] == '\'' || s[0] == '`') && s[len(s)-1] == s[0] {
		return s[1 : len(s)-1]
	}
	return ""
}

// skipString returns the index after the string literal that starts at i.
func skipString(s string, i int) int {
	quote := s[i]
	for i++; i < len(s); i++ {
		switch {
		case s[i] == '\\' && quote != '`':
			i++
		case s[i] == quote:
			return i + 1
		}
	}
	return len(s)
}

// closing returns the index of the bracket that closes the one at i, or
// len(s) if it is not closed.
func closing(s string, i int) int {
	open := s[i]
	closer := map[byte]byte{'{': '}', '[': ']', '(': ')'}[open]
	depth := 0
	for i < len(s) {
		switch s[i] {
		case '"', '\'', '`':
			i = skipString(s, i)
			continue
		case open:
			depth++
		case closer:
			depth--
			if depth == 0 {
				return i
			}
		}
		i++
	}
	return len(s)
}

// skipVariable returns the index after a Grafana variable: $name, ${name}
// or ${name:format}.
func skipVariable(s string, i int) int {
	i++
	if i < len(s) && s[i] == '{' {
		if end := strings.IndexByte(s[i:], '}'); end >= 0 {
			return i + end + 1
		}
		return len(s)
	}
	for i < len(s) && isWordChar(s[i]) {
		i++
	}
	return i
}

func skipSpaces(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isWordStart(c byte) bool {
	return c == '_' || c == ':' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}
func isWordChar(c byte) bool { return isWordStart(c) || isDigit(c) }
