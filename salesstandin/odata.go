package salesstandin

import (
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

const apiPrefix = "/api/data/v9.2/"

// Dataverse error codes the stand-in answers with, named as in Microsoft's "Web service error codes"
// (https://learn.microsoft.com/power-apps/developer/data-platform/reference/web-service-error-codes).
const (
	codeNotFound        = "0x80040217" // ObjectDoesNotExist
	codeInvalidArgument = "0x80040203"
	codeBadQuery        = "0x80060888" // OData syntax or unknown property
	codeDuplicateKey    = "0x80040237" // DuplicateRecord, with 412 on a create whose key is taken
	codeStringTooLong   = "0x80044331" // StringLengthTooLong
	codeUnauthorized    = "0x80072560"
	codeUnexpected      = "0x80040216" // UnExpected
	// "Resource not found for the segment", as "Troubleshoot Dataverse Web API client errors" shows it:
	// https://learn.microsoft.com/troubleshoot/power-platform/dataverse/dataverse-web-api-client-errors
	codeUnknownSegment = "0x8006088a"
)

// apiError is a failure answered in Dataverse's error shape.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.message }

func badRequest(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeInvalidArgument, fmt.Sprintf(format, args...)}
}

func badQuery(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, codeBadQuery, fmt.Sprintf(format, args...)}
}

func notFound(set entitySet, id string) *apiError {
	return &apiError{http.StatusNotFound, codeNotFound, fmt.Sprintf("%s With Id = %s Does Not Exist", set.logicalName, id)}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; odata.metadata=minimal")
	w.Header().Set("OData-Version", "4.0")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func writeError(w http.ResponseWriter, err error) {
	e, ok := err.(*apiError)
	if !ok {
		e = &apiError{http.StatusInternalServerError, codeUnexpected, err.Error()}
	}
	writeJSON(w, e.status, map[string]any{"error": map[string]string{"code": e.code, "message": e.message}})
}

// baseURL is the environment URL as the caller reached it, for OData-EntityId and @odata.context.
func baseURL(r *http.Request) string {
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

var (
	guidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	targetPattern = regexp.MustCompile(`^([a-z]+)(?:\(([^)]*)\))?$`)
)

// parseTarget splits a path segment such as "leads(1e0a...)" into its entity set and key.
func (s *Server) parseTarget(segment string) (entitySet, string, error) {
	m := targetPattern.FindStringSubmatch(segment)
	if m == nil {
		return entitySet{}, "", unknownSegment(segment)
	}
	set, ok := s.sets[m[1]]
	if !ok {
		return entitySet{}, "", unknownSegment(m[1])
	}
	id := m[2]
	if strings.Contains(segment, "(") && !guidPattern.MatchString(id) {
		return entitySet{}, "", badQuery("Unrecognized 'Edm.Guid' literal '%s' in key of %s; the stand-in supports primary keys only.", id, set.name)
	}
	return set, strings.ToLower(id), nil
}

// query is the subset of OData system query options the stand-in understands.
type query struct {
	selected []string
	filter   []condition
	top      int
	orderBy  string
	desc     bool
}

// condition is one "<column> eq|ne <literal>" term; terms are joined by "and".
type condition struct {
	column string
	not    bool
	value  any // string, int, bool or nil
}

func parseQuery(set entitySet, values url.Values) (query, error) {
	var q query
	for name := range values {
		switch name {
		case "$select", "$filter", "$top", "$orderby":
		default:
			if strings.HasPrefix(name, "$") {
				return q, badQuery("The query parameter %s is not supported by the stand-in.", name)
			}
		}
	}
	if sel := values.Get("$select"); sel != "" {
		for _, col := range strings.Split(sel, ",") {
			col = strings.TrimSpace(col)
			if !set.has(col) {
				return q, unknownProperty(set, col)
			}
			q.selected = append(q.selected, col)
		}
	}
	if f := values.Get("$filter"); f != "" {
		conds, err := parseFilter(set, f)
		if err != nil {
			return q, err
		}
		q.filter = conds
	}
	if top := values.Get("$top"); top != "" {
		n, err := strconv.Atoi(top)
		if err != nil || n < 0 {
			return q, badQuery("Invalid value '%s' for $top query option.", top)
		}
		q.top = n
	}
	if ob := strings.Fields(values.Get("$orderby")); len(ob) > 0 {
		if len(ob) > 2 || !set.has(ob[0]) || (len(ob) == 2 && ob[1] != "asc" && ob[1] != "desc") {
			return q, badQuery("The stand-in supports $orderby with one column and asc or desc, not '%s'.", values.Get("$orderby"))
		}
		q.orderBy, q.desc = ob[0], len(ob) == 2 && ob[1] == "desc"
	}
	return q, nil
}

func unknownSegment(segment string) *apiError {
	return &apiError{http.StatusNotFound, codeUnknownSegment, fmt.Sprintf("Resource not found for the segment '%s'.", segment)}
}

func unknownProperty(set entitySet, col string) *apiError {
	return badQuery("Could not find a property named '%s' on type 'Microsoft.Dynamics.CRM.%s'.", col, set.logicalName)
}

func parseFilter(set entitySet, filter string) ([]condition, error) {
	tokens, err := tokenize(filter)
	if err != nil {
		return nil, err
	}
	var conds []condition
	for i := 0; ; i += 4 {
		if len(tokens) < i+3 {
			return nil, badQuery("Syntax error in $filter '%s'.", filter)
		}
		col, op, lit := tokens[i], tokens[i+1], tokens[i+2]
		if !set.has(col.text) || col.quoted {
			return nil, unknownProperty(set, col.text)
		}
		if op.text != "eq" && op.text != "ne" {
			return nil, badQuery("The stand-in supports only eq, ne and and in $filter, not '%s'.", op.text)
		}
		value, err := literal(lit)
		if err != nil {
			return nil, err
		}
		conds = append(conds, condition{column: col.text, not: op.text == "ne", value: value})
		if len(tokens) == i+3 {
			return conds, nil
		}
		if tokens[i+3].text != "and" || tokens[i+3].quoted {
			return nil, badQuery("The stand-in supports only eq, ne and and in $filter, not '%s'.", tokens[i+3].text)
		}
	}
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var tokens []token
	for i := 0; i < len(s); {
		switch c := s[i]; {
		case c == ' ':
			i++
		case c == '\'':
			var b strings.Builder
			i++
			for {
				if i >= len(s) {
					return nil, badQuery("Unterminated string literal in $filter '%s'.", s)
				}
				if s[i] == '\'' {
					if i+1 < len(s) && s[i+1] == '\'' { // '' is an escaped quote
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(s[i])
				i++
			}
			tokens = append(tokens, token{b.String(), true})
		case c == '(' || c == ')':
			return nil, badQuery("The stand-in does not support parentheses or functions in $filter '%s'.", s)
		default:
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '(' && s[j] != ')' {
				j++
			}
			tokens = append(tokens, token{s[i:j], false})
			i = j
		}
	}
	return tokens, nil
}

func literal(t token) (any, error) {
	if t.quoted {
		return t.text, nil
	}
	switch t.text {
	case "null":
		return nil, nil
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	if n, err := strconv.Atoi(t.text); err == nil {
		return n, nil
	}
	if guidPattern.MatchString(t.text) {
		return strings.ToLower(t.text), nil
	}
	return nil, badQuery("Unrecognized literal '%s' in $filter.", t.text)
}

func (c condition) matches(r record) bool {
	return c.equal(r[c.column]) != c.not
}

func (c condition) equal(v any) bool {
	switch want := c.value.(type) {
	case nil:
		return v == nil
	case string:
		got, ok := v.(string)
		return ok && (got == want || (guidPattern.MatchString(want) && strings.EqualFold(got, want)))
	case int:
		got, ok := asInt(v)
		return ok && got == want
	case bool:
		got, ok := v.(bool)
		return ok && got == want
	}
	return false
}

// matches reports whether a row passes every condition of the $filter.
func (q query) matches(r record) bool {
	return !slices.ContainsFunc(q.filter, func(c condition) bool { return !c.matches(r) })
}

func (q query) apply(key string, rows []record) []record {
	var out []record
	for _, r := range rows {
		if q.matches(r) {
			out = append(out, r)
		}
	}
	order := cmp.Or(q.orderBy, "createdon")
	slices.SortStableFunc(out, func(a, b record) int {
		n := cmp.Compare(fmt.Sprint(a[order]), fmt.Sprint(b[order]))
		if x, ok := asInt(a[order]); ok {
			if y, ok := asInt(b[order]); ok {
				n = cmp.Compare(x, y)
			}
		}
		if q.desc {
			n = -n
		}
		// Rows created in the same second keep a stable order.
		return cmp.Or(n, cmp.Compare(a.str(key), b.str(key)))
	})
	if q.top > 0 && len(out) > q.top {
		out = out[:q.top]
	}
	return out
}

// annotationLookupLogicalName names the table a lookup value points at.
const annotationLookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"

// render shapes a row as the Web API returns it: every column (null when unset) or the selected
// ones plus the primary key, and an ETag. With lookupNames, each lookup value carries the logical
// name of its table, as the annotation Microsoft.Dynamics.CRM.lookuplogicalname.
func render(set entitySet, r record, selected []string, lookupNames bool) map[string]any {
	cols := set.columns
	if len(selected) > 0 {
		cols = append([]string{set.key}, selected...)
	}
	out := map[string]any{}
	for _, c := range cols {
		out[c] = r[c]
		if l, ok := set.lookups[c]; ok && lookupNames && r[c] != nil && l.targetOf(r) != "" {
			out[c+"@"+annotationLookupLogicalName] = l.targetOf(r)
		}
	}
	if v, ok := r.int("versionnumber"); ok {
		out["@odata.etag"] = fmt.Sprintf(`W/"%d"`, v)
	}
	return out
}

// includeAnnotations returns the odata.include-annotations preference of a Prefer header, such as
// "*" or "Microsoft.Dynamics.CRM.lookuplogicalname", and whether it asks for the annotation name.
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api#lookup-property-data
func includeAnnotations(h http.Header, name string) (preference string, asked bool) {
	for _, pref := range splitOutsideQuotes(strings.Join(h.Values("Prefer"), ",")) {
		value, ok := strings.CutPrefix(strings.TrimSpace(pref), "odata.include-annotations=")
		if !ok {
			continue
		}
		preference = value
		for _, pattern := range strings.Split(strings.Trim(value, `"`), ",") {
			pattern = strings.TrimSpace(pattern)
			if pattern == "*" || pattern == name ||
				(strings.HasSuffix(pattern, ".*") && strings.HasPrefix(name, strings.TrimSuffix(pattern, "*"))) {
				return preference, true
			}
		}
	}
	return preference, false
}

// splitOutsideQuotes splits a header value at the commas that are not inside a quoted string.
func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, start := false, 0
	for i, c := range s {
		switch {
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

func contextURL(r *http.Request, set entitySet, selected []string, single bool) string {
	u := baseURL(r) + apiPrefix + "$metadata#" + set.name
	if len(selected) > 0 {
		u += "(" + strings.Join(selected, ",") + ")"
	}
	if single {
		u += "/$entity"
	}
	return u
}
