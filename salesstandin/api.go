package salesstandin

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"unicode/utf16"
)

// handleGet answers GET on an entity set (a query) or on one row.
func (s *Server) handleGet(w http.ResponseWriter, r *http.Request) {
	set, id, err := s.parseTarget(r.PathValue("target"))
	if err != nil {
		writeError(w, err)
		return
	}
	q, err := parseQuery(set, r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	preference, lookupNames := includeAnnotations(r.Header, annotationLookupLogicalName)
	if lookupNames {
		w.Header().Set("Preference-Applied", "odata.include-annotations="+preference)
	}
	if id != "" {
		row, ok := s.store.get(set.name, id)
		if !ok {
			writeError(w, notFound(set, id))
			return
		}
		out := render(set, row, q.selected, lookupNames)
		out["@odata.context"] = contextURL(r, set, q.selected, true)
		writeJSON(w, http.StatusOK, out)
		return
	}
	// Filter before copying: only the matching rows are copied out of the store.
	rows := q.apply(set.key, s.store.list(set.name, q.matches))
	value := make([]map[string]any, 0, len(rows))
	for _, row := range rows {
		value = append(value, render(set, row, q.selected, lookupNames))
	}
	writeJSON(w, http.StatusOK, map[string]any{"@odata.context": contextURL(r, set, q.selected, false), "value": value})
}

// handleCreate answers POST on an entity set. The stand-in creates leads only; the other tables are
// filled by QualifyLead.
func (s *Server) handleCreate(w http.ResponseWriter, r *http.Request) {
	set, id, err := s.parseTarget(r.PathValue("target"))
	if err != nil {
		writeError(w, err)
		return
	}
	if id != "" || set.name != setLeads {
		writeError(w, &apiError{http.StatusMethodNotAllowed, codeBadQuery, fmt.Sprintf("The stand-in creates leads only, not %s.", r.PathValue("target"))})
		return
	}
	fields, err := readRow(r, set, true)
	if err != nil {
		writeError(w, err)
		return
	}
	q, err := parseQuery(set, r.URL.Query())
	if err != nil {
		writeError(w, err)
		return
	}
	// A held create commits when the hold ends, whether or not the client still waits for it, as a
	// slow Dataverse does; only then is the answer written.
	held := s.holdLeadCreate()
	leadID, _ := fields[set.key].(string)
	delete(fields, set.key)
	lead, err := s.createLead(strings.ToLower(leadID), fields)
	held()
	if err != nil {
		writeError(w, err)
		return
	}
	leadID = lead.str(set.key)
	s.log.Info("lead created", "lead_id", leadID)
	// Dataverse sends OData-EntityId only when it answers without the record:
	// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-with-data-returned
	if !strings.Contains(r.Header.Get("Prefer"), "return=representation") {
		w.Header().Set("OData-EntityId", fmt.Sprintf("%s%s%s(%s)", baseURL(r), apiPrefix, set.name, leadID))
		w.Header().Set("OData-Version", "4.0")
		w.WriteHeader(http.StatusNoContent)
		return
	}
	out := render(set, lead, q.selected, false)
	out["@odata.context"] = contextURL(r, set, q.selected, true)
	w.Header().Set("Preference-Applied", "return=representation")
	writeJSON(w, http.StatusCreated, out)
}

// handleUpdate answers PATCH on one row, with Dataverse's upsert and its If-Match / If-None-Match.
func (s *Server) handleUpdate(w http.ResponseWriter, r *http.Request) {
	set, id, err := s.parseTarget(r.PathValue("target"))
	if err != nil {
		writeError(w, err)
		return
	}
	if id == "" {
		writeError(w, &apiError{http.StatusMethodNotAllowed, codeBadQuery, "PATCH needs a row: " + set.name + "(<id>)."})
		return
	}
	changes, err := readRow(r, set, false)
	if err != nil {
		writeError(w, err)
		return
	}
	opts := updateOptions{mustExist: r.Header.Get("If-Match") == "*", mustNotExist: r.Header.Get("If-None-Match") == "*"}
	created, err := s.updateRecord(set, id, changes, opts)
	if err != nil {
		writeError(w, err)
		return
	}
	s.log.Info("row updated", "entity", set.logicalName, "id", id, "created", created)
	w.Header().Set("OData-Version", "4.0")
	w.Header().Set("OData-EntityId", fmt.Sprintf("%s%s%s(%s)", baseURL(r), apiPrefix, set.name, id))
	w.WriteHeader(http.StatusNoContent)
}

// handleBoundAction answers POST leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead.
func (s *Server) handleBoundAction(w http.ResponseWriter, r *http.Request) {
	set, id, err := s.parseTarget(r.PathValue("target"))
	if err != nil {
		writeError(w, err)
		return
	}
	if set.name != setLeads || id == "" || r.PathValue("action") != "Microsoft.Dynamics.CRM.QualifyLead" {
		writeError(w, &apiError{http.StatusNotFound, codeUnknownSegment,
			fmt.Sprintf("Resource not found for the segment '%s'; the stand-in knows leads(<id>)/Microsoft.Dynamics.CRM.QualifyLead only.", r.PathValue("action"))})
		return
	}
	var req qualifyRequest
	if err := readJSON(r, &req); err != nil {
		writeError(w, err)
		return
	}
	created, err := s.qualifyLead(id, req)
	if err != nil {
		writeError(w, err)
		return
	}
	s.log.Info("lead qualified", "lead_id", id, "via", "api")
	value := make([]map[string]any, 0, len(created))
	for _, ref := range created {
		value = append(value, map[string]any{
			"@odata.type":          "#Microsoft.Dynamics.CRM." + ref.LogicalName,
			ref.LogicalName + "id": ref.Id,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"@odata.context": baseURL(r) + apiPrefix + "$metadata#Collection(Microsoft.Dynamics.CRM.crmbaseentity)",
		"value":          value,
	})
}

var opportunityBind = regexp.MustCompile(`opportunities\(([0-9a-fA-F-]{36})\)$`)

// handleCloseOpportunity answers POST WinOpportunity and LoseOpportunity.
func (s *Server) handleCloseOpportunity(won bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Status           int
			OpportunityClose map[string]any
		}
		if err := readJSON(r, &req); err != nil {
			writeError(w, err)
			return
		}
		bind, _ := req.OpportunityClose["opportunityid@odata.bind"].(string)
		m := opportunityBind.FindStringSubmatch(bind)
		if m == nil {
			writeError(w, badRequest(`OpportunityClose needs "opportunityid@odata.bind": "/opportunities(<id>)".`))
			return
		}
		id := strings.ToLower(m[1])
		subject, _ := req.OpportunityClose["subject"].(string)
		if err := s.closeOpportunity(id, won, req.Status, subject); err != nil {
			writeError(w, err)
			return
		}
		s.log.Info("opportunity closed", "opportunity_id", id, "won", won, "via", "api")
		w.Header().Set("OData-Version", "4.0")
		w.WriteHeader(http.StatusNoContent)
	}
}

// readRow reads a row body and checks each column exists, may be set, has the right type and fits,
// in column order so that the same body always gets the same answer.
func readRow(r *http.Request, set entitySet, create bool) (record, error) {
	var fields record
	if err := readJSON(r, &fields); err != nil {
		return nil, err
	}
	for _, col := range slices.Sorted(maps.Keys(fields)) {
		v := fields[col]
		switch {
		case col == set.key && create:
			id, ok := v.(string)
			if !ok || !guidPattern.MatchString(id) {
				return nil, badRequest("%s must be a GUID.", col)
			}
		case !set.has(col):
			// The message of "Troubleshoot Dataverse Web API client errors" for an unknown property
			// in a create or update body.
			return nil, badQuery("An error occurred while validating input parameters: Microsoft.Crm.CrmException: "+
				"Invalid property '%s' was found in entity 'Microsoft.Dynamics.CRM.%s'.", col, set.logicalName)
		case !set.canSet(col):
			return nil, badRequest("The column %s of %s cannot be set by a client.", col, set.logicalName)
		case col == "statecode" || col == "statuscode":
			n, ok := asInt(v)
			if !ok {
				return nil, badRequest("%s must be a whole number.", col)
			}
			fields[col] = n
		default:
			text, ok := v.(string)
			if !ok && v != nil {
				return nil, badRequest("%s must be a string or null.", col)
			}
			if limit, ok := set.maxLength[col]; ok && utf16Length(text) > limit {
				return nil, tooLong(set, col, limit)
			}
		}
	}
	return fields, nil
}

// tooLong is Dataverse's answer to a value longer than its column, as Microsoft's example of a failed
// request in a batch shows it, two spaces included:
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/execute-batch-operations-using-web-api
func tooLong(set entitySet, col string, limit int) *apiError {
	return &apiError{http.StatusBadRequest, codeStringTooLong, fmt.Sprintf(
		"A validation error occurred.  The length of the '%s' attribute of the '%s' entity exceeded the maximum allowed length of '%d'.",
		col, set.logicalName, limit)}
}

// utf16Length measures s as .NET does, in UTF-16 code units.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

func readJSON(r *http.Request, v any) error {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return badRequest("read request body: %v", err)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(v); err != nil {
		return badRequest("The request body is not valid JSON: %v", err)
	}
	return nil
}
