package sales

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/google/uuid"
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

// Namespace is the product's namespace for name-based (version 5) UUIDs. It must never change: the
// IDs of leads that running requests create are derived from it, and a retry under another namespace
// would make a second lead instead of finding the first.
var Namespace = uuid.MustParse("27261a2b-617b-4842-aca3-57cc72fd5224")

// LeadIDFor is the leadid of the prospect's lead: the same prospect always gets the same ID, so that
// a create that is retried collides with its earlier attempt instead of making a second lead.
func LeadIDFor(prospectID string) string {
	return uuid.NewSHA1(Namespace, []byte("lead:"+prospectID)).String()
}

// CreateLead creates a lead and returns its ID: l.ID when it is set, else one Dataverse chooses. It
// does not look for an existing one: see EnsureLead.
func (c *Client) CreateLead(ctx context.Context, l Lead) (string, error) {
	const op = "create lead"
	if err := checkLengths(op, c.cfg.ProspectIDColumn, l); err != nil {
		return "", err
	}
	body := leadBody(l)
	if l.ProspectID != "" {
		body[c.cfg.ProspectIDColumn] = l.ProspectID
	}
	chosen := ""
	if l.ID != "" {
		id, err := recordID(op, "lead ID", l.ID)
		if err != nil {
			return "", err
		}
		chosen = id
		body["leadid"] = id
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodPost, path: "leads", query: "$select=leadid",
		body: body, prefer: "return=representation"})
	if err != nil {
		return "", err
	}
	// With return=representation Dataverse answers 201 with the record and no OData-EntityId; a server
	// that ignores the preference answers 204 with only OData-EntityId.
	// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/create-entity-web-api#create-with-data-returned
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
	if chosen != "" {
		return chosen, nil
	}
	return "", &Error{Op: op, StatusCode: resp.status, Message: "the response names no lead ID"}
}

// EnsureLead returns the prospect's lead, creating it only if Sales has none, so that a retried or
// concurrent call never makes a second lead. It looks the lead up by the prospect column first,
// because leads made by earlier versions have random IDs; otherwise it creates the lead with the ID
// LeadIDFor(l.ProspectID) (l.ID is ignored), and a create that finds that ID taken, by an earlier
// attempt that Sales committed after the caller gave up on it, returns the ID with created false.
func (c *Client) EnsureLead(ctx context.Context, l Lead) (id string, created bool, err error) {
	const op = "ensure lead"
	if l.ProspectID == "" {
		return "", false, invalidInput(op, "ProspectID is required")
	}
	if err := checkLengths(op, c.cfg.ProspectIDColumn, l); err != nil {
		return "", false, err
	}
	existing, found, err := c.FindLeadByProspect(ctx, l.ProspectID)
	if err != nil {
		return "", false, err
	}
	if found {
		return existing.ID, false, nil
	}
	l.ID = LeadIDFor(l.ProspectID)
	id, err = c.CreateLead(ctx, l)
	if keyTaken(err) {
		return l.ID, false, nil
	}
	if err != nil {
		return "", false, err
	}
	return id, true, nil
}

// keyTaken reports whether a create failed because its primary key exists: 412 with DuplicateRecord,
// or with no code, as Microsoft's examples of the 412 show it.
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/perform-conditional-operations-using-web-api#prevent-update-in-upsert
func keyTaken(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.StatusCode == http.StatusPreconditionFailed &&
		(e.Code == "" || e.hasCode(codeDuplicateRecord))
}

// UpdateLead carries a correction of the request's data to an existing lead: its non-empty personal
// and company fields (names, email, phone, job title, company name, address, subject, description)
// replace the lead's; empty fields, the prospect ID and the state are left as they are. It never
// creates a lead: one that Sales does not have is an error wrapping ErrNotFound.
func (c *Client) UpdateLead(ctx context.Context, id string, l Lead) error {
	const op = "update lead"
	rid, err := recordID(op, "lead ID", id)
	if err != nil {
		return err
	}
	l.ProspectID = "" // not part of a correction
	if err := checkLengths(op, c.cfg.ProspectIDColumn, l); err != nil {
		return err
	}
	body := leadBody(l)
	if len(body) == 0 {
		return nil // nothing to carry
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPatch, path: "leads(" + rid + ")", body: body, ifMatch: "*"})
	return err
}

// GetLead reads one lead. A lead Sales does not have is an error wrapping ErrNotFound.
func (c *Client) GetLead(ctx context.Context, id string) (Lead, error) {
	var r record
	if err := c.get(ctx, "get lead", "leads", id, c.leadSelect(), "", &r); err != nil {
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

// DisqualifyLead closes a lead as disqualified with one of the LeadStatus* reasons. A lead that Sales
// does not have is an error wrapping ErrNotFound.
func (c *Client) DisqualifyLead(ctx context.Context, leadID string, statusCode int) error {
	const op = "disqualify lead"
	id, err := recordID(op, "lead ID", leadID)
	if err != nil {
		return err
	}
	if statusCode < LeadStatusLost || statusCode > LeadStatusCanceled {
		return invalidInput(op, "status code %d is not a disqualified lead's status (4 to 7)", statusCode)
	}
	_, err = c.do(ctx, request{op: op, method: http.MethodPatch, path: "leads(" + id + ")", ifMatch: "*",
		body: map[string]int{"statecode": int(LeadDisqualified), "statuscode": statusCode}})
	return err
}

func (c *Client) leadSelect() string {
	return strings.Join(leadColumns, ",") + "," + c.cfg.ProspectIDColumn
}

// get reads one record by ID into r. prefer, when set, is sent as the Prefer header.
func (c *Client) get(ctx context.Context, op, set, id, sel, prefer string, r *record) error {
	id, err := recordID(op, "ID", id)
	if err != nil {
		return err
	}
	resp, err := c.do(ctx, request{op: op, method: http.MethodGet, path: set + "(" + id + ")", query: "$select=" + sel, prefer: prefer})
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
