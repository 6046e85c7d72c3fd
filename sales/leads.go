package sales

import (
	"context"
	"net/http"
	"net/url"
	"strings"
)

// FindLeadByProspect returns the lead made for a Commerce prospect, if there is one.
func (c *Client) FindLeadByProspect(ctx context.Context, prospectID string) (Lead, bool, error) {
	const op = "find lead by prospect"
	if prospectID == "" {
		return Lead{}, false, invalidInput(op, "ProspectID is required")
	}
	query := "$filter=" + queryEscape(c.cfg.ProspectIDColumn+" eq "+odataString(prospectID)) +
		"&$select=" + c.leadSelect() + "&$top=1"
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: "leads", query: query})
	if err != nil {
		return Lead{}, false, err
	}
	var page struct {
		Value []record `json:"value"`
	}
	if err := decode(op, resp, &page); err != nil {
		return Lead{}, false, err
	}
	if len(page.Value) == 0 {
		return Lead{}, false, nil
	}
	return c.leadFromRecord(page.Value[0]), true, nil
}

// CreateLead creates a lead and returns its ID. It does not look for an existing one: see EnsureLead.
func (c *Client) CreateLead(ctx context.Context, l Lead) (string, error) {
	const op = "create lead"
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "leads",
		body: c.leadBody(l), prefer: "return=representation"})
	if err != nil {
		return "", err
	}
	// Dataverse answers 201 with the record when it honours the Prefer header, else 204 with
	// only the record's URL.
	if resp.status == http.StatusCreated && len(resp.body) > 0 {
		var r record
		if err := decode(op, resp, &r); err != nil {
			return "", err
		}
		if id := r.str("leadid"); id != "" {
			return id, nil
		}
	}
	if id := idFromEntityURL(resp.header.Get("OData-EntityId")); id != "" {
		return id, nil
	}
	return "", &Error{Op: op, StatusCode: resp.status, Message: "the response names no lead ID"}
}

// EnsureLead returns the prospect's lead, creating it only if Sales has none, so that a retried
// call never makes a second lead. Calls for one prospect must not run concurrently.
func (c *Client) EnsureLead(ctx context.Context, l Lead) (id string, created bool, err error) {
	if l.ProspectID == "" {
		return "", false, invalidInput("ensure lead", "ProspectID is required")
	}
	existing, found, err := c.FindLeadByProspect(ctx, l.ProspectID)
	if err != nil {
		return "", false, err
	}
	if found {
		return existing.ID, false, nil
	}
	id, err = c.CreateLead(ctx, l)
	if err != nil {
		return "", false, err
	}
	return id, true, nil
}

// GetLead reads one lead. A lead Sales does not have is an error wrapping ErrNotFound.
func (c *Client) GetLead(ctx context.Context, id string) (Lead, error) {
	var r record
	if err := c.get(ctx, "get lead", "leads", id, c.leadSelect(), &r); err != nil {
		return Lead{}, err
	}
	return c.leadFromRecord(r), nil
}

// QualifyLead qualifies a lead as a seller does, creating an account, a contact and an opportunity.
func (c *Client) QualifyLead(ctx context.Context, leadID string) (Qualification, error) {
	const op = "qualify lead"
	id, err := recordID(op, "lead ID", leadID)
	if err != nil {
		return Qualification{}, err
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost,
		path: "leads(" + id + ")/Microsoft.Dynamics.CRM.QualifyLead",
		body: map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}})
	if err != nil {
		return Qualification{}, err
	}
	var created struct {
		Value []record `json:"value"`
	}
	if err := decode(op, resp, &created); err != nil {
		return Qualification{}, err
	}
	var q Qualification
	for _, r := range created.Value {
		switch strings.TrimPrefix(r.str("@odata.type"), "#") {
		case "Microsoft.Dynamics.CRM.account":
			q.AccountID = r.str("accountid")
		case "Microsoft.Dynamics.CRM.contact":
			q.ContactID = r.str("contactid")
		case "Microsoft.Dynamics.CRM.opportunity":
			q.OpportunityID = r.str("opportunityid")
		}
	}
	if q.OpportunityID == "" {
		return q, &Error{Op: op, StatusCode: resp.status, Message: "the response names no opportunity"}
	}
	return q, nil
}

// DisqualifyLead closes a lead as disqualified with one of the LeadStatus* reasons.
func (c *Client) DisqualifyLead(ctx context.Context, leadID string, statusCode int) error {
	const op = "disqualify lead"
	id, err := recordID(op, "lead ID", leadID)
	if err != nil {
		return err
	}
	if statusCode < LeadStatusLost || statusCode > LeadStatusCanceled {
		return invalidInput(op, "status code %d is not a disqualified lead's status (4 to 7)", statusCode)
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPatch, path: "leads(" + id + ")",
		body: map[string]int{"statecode": int(LeadDisqualified), "statuscode": statusCode}})
	return err
}

func (c *Client) leadSelect() string {
	return strings.Join(leadColumns, ",") + "," + c.cfg.ProspectIDColumn
}

// get reads one record by ID into r.
func (c *Client) get(ctx context.Context, op, set, id, sel string, r *record) error {
	id, err := recordID(op, "ID", id)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: set + "(" + id + ")", query: "$select=" + sel})
	if err != nil {
		return err
	}
	return decode(op, resp, r)
}

// queryEscape encodes a query value with spaces as %20, which every OData server reads as a
// space (some read "+" literally).
func queryEscape(s string) string {
	return strings.ReplaceAll(url.QueryEscape(s), "+", "%20")
}
