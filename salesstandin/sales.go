package salesstandin

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/sales/webhook"
)

// The decisions a seller takes. Both the Web API and the seller page call these, so a decision fires
// the same webhook whichever way it was made.

// qualifyRequest is the body of the QualifyLead action.
type qualifyRequest struct {
	CreateAccount     bool
	CreateContact     bool
	CreateOpportunity bool
	Status            int
}

// qualifyLead closes the lead as qualified and creates the records the request asks for, returning
// references to them in the order account, contact, opportunity.
func (s *Server) qualifyLead(id string, req qualifyRequest) ([]webhook.EntityReference, error) {
	if req.Status != leadStatusQualified {
		return nil, badRequest("%d is not a valid status code for a qualified lead; use %d.", req.Status, leadStatusQualified)
	}
	var created []webhook.EntityReference
	var hooks []*webhook.RemoteExecutionContext
	err := s.store.update(func(t *transaction) error {
		lead, ok := t.row(setLeads, id)
		if !ok {
			return notFound(s.sets[setLeads], id)
		}
		if state, _ := lead.int("statecode"); state != leadOpen {
			return badRequest("The lead cannot be qualified because it is %s, not open.", strings.ToLower(leadStateNames[state]))
		}
		pre := lead.clone()
		stamp := s.stamp()
		var accountID, contactID, opportunityID any
		if req.CreateAccount {
			accountID = uuid.NewString()
			t.put(setAccounts, accountID.(string), stamp.newRecord(record{
				"accountid":                accountID,
				"name":                     lead["companyname"],
				"telephone1":               lead["telephone1"],
				"address1_line1":           lead["address1_line1"],
				"address1_city":            lead["address1_city"],
				"address1_postalcode":      lead["address1_postalcode"],
				"address1_country":         lead["address1_country"],
				"_originatingleadid_value": id,
			}))
			created = append(created, webhook.EntityReference{Id: accountID.(string), LogicalName: "account"})
		}
		if req.CreateContact {
			contactID = uuid.NewString()
			t.put(setContacts, contactID.(string), stamp.newRecord(record{
				"contactid":                contactID,
				"firstname":                lead["firstname"],
				"lastname":                 lead["lastname"],
				"fullname":                 fullName(lead),
				"emailaddress1":            lead["emailaddress1"],
				"telephone1":               lead["telephone1"],
				"jobtitle":                 lead["jobtitle"],
				"_parentcustomerid_value":  accountID,
				fieldParentCustomerType:    "account",
				"_originatingleadid_value": id,
			}))
			created = append(created, webhook.EntityReference{Id: contactID.(string), LogicalName: "contact"})
		}
		if req.CreateOpportunity {
			opportunityID = uuid.NewString()
			// Dataverse makes the account the customer when there is one, else the contact.
			customer, customerType := accountID, "account"
			if customer == nil {
				customer, customerType = contactID, "contact"
			}
			t.put(setOpportunities, opportunityID.(string), stamp.newRecord(record{
				"opportunityid":            opportunityID,
				"name":                     lead["subject"],
				"description":              lead["description"],
				"_originatingleadid_value": id,
				"_parentaccountid_value":   accountID,
				"_parentcontactid_value":   contactID,
				"_customerid_value":        customer,
				fieldCustomerType:          customerType,
			}))
			created = append(created, webhook.EntityReference{Id: opportunityID.(string), LogicalName: "opportunity"})
		}
		lead["statecode"] = leadQualified
		lead["statuscode"] = leadStatusQualified
		lead["_qualifyingopportunityid_value"] = opportunityID
		lead["_parentaccountid_value"] = accountID
		lead["_parentcontactid_value"] = contactID
		stamp.touch(lead)
		// The lead's state changes too, so a step on the lead's Update fires after QualifyLead's.
		qualify := s.qualifyLeadHook(lead, req, created)
		update := s.stateUpdateHook(s.leadImage(pre), s.leadImage(lead))
		update.CorrelationId = qualify.CorrelationId
		hooks = append(hooks, qualify, update)
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.fire(hooks...)
	return created, nil
}

// updateOptions carries the conditional headers of a PATCH.
type updateOptions struct {
	mustExist    bool // If-Match: * forbids the upsert
	mustNotExist bool // If-None-Match: * forbids the update
}

// updateRecord applies a PATCH. On leads it also performs state changes: disqualifying an open lead
// (statecode 2) fires the Update webhook; qualifying takes the QualifyLead action. A PATCH to a lead
// that does not exist creates it, as Dataverse's upsert does.
func (s *Server) updateRecord(set entitySet, id string, changes record, opts updateOptions) (createdNew bool, err error) {
	var hook *webhook.RemoteExecutionContext
	err = s.store.update(func(t *transaction) error {
		row, ok := t.row(set.name, id)
		if !ok {
			if opts.mustExist || set.name != setLeads {
				return notFound(set, id)
			}
			lead, err := s.newLead(id, changes)
			if err != nil {
				return err
			}
			t.put(setLeads, id, lead)
			createdNew = true
			return nil
		}
		if opts.mustNotExist {
			return &apiError{http.StatusPreconditionFailed, codeDuplicateKey, "A record with matching key values already exists."}
		}
		pre := row.clone()
		disqualify, err := leadStateChange(set, row, changes)
		if err != nil {
			return err
		}
		for k, v := range changes {
			row[k] = v
		}
		if set.has("fullname") {
			row["fullname"] = fullName(row)
		}
		s.stamp().touch(row)
		if disqualify {
			hook = s.stateUpdateHook(s.leadImage(pre), s.leadImage(row))
		}
		return nil
	})
	if err == nil {
		s.fire(hook)
	}
	return createdNew, err
}

// leadStateChange checks the statecode and statuscode of a PATCH against the lead's current state,
// fills in the default reason, and reports whether the PATCH disqualifies the lead.
func leadStateChange(set entitySet, row, changes record) (disqualify bool, err error) {
	_, stateSet := changes["statecode"]
	_, statusSet := changes["statuscode"]
	if set.name != setLeads || (!stateSet && !statusSet) {
		return false, nil
	}
	current, _ := row.int("statecode")
	state, _ := asInt(changes["statecode"])
	if !stateSet {
		state = current
	}
	status, ok := asInt(changes["statuscode"])
	switch state {
	case leadOpen:
		if !ok {
			status = leadStatusNew
		}
		if status != leadStatusNew && status != leadStatusContacted {
			return false, badRequest("%d is not a valid status code for state code LeadState.Open on lead.", status)
		}
	case leadQualified:
		if current != leadQualified {
			return false, badRequest("A lead is qualified with the QualifyLead action, not by setting statecode.")
		}
		if ok && status != leadStatusQualified {
			return false, badRequest("%d is not a valid status code for state code LeadState.Qualified on lead.", status)
		}
		status = leadStatusQualified
	case leadDisqualified:
		if !ok {
			status = leadStatusLost
		}
		if !slices.Contains(disqualifyReasons, status) {
			return false, badRequest("%d is not a valid status code for state code LeadState.Disqualified on lead.", status)
		}
		if current == leadQualified {
			return false, badRequest("The lead cannot be disqualified because it is qualified.")
		}
		disqualify = current == leadOpen
	default:
		return false, badRequest("%d is not a valid state code on lead.", state)
	}
	changes["statecode"], changes["statuscode"] = state, status
	return disqualify, nil
}

// disqualifyLead is the seller's Disqualify: a PATCH of the lead's state.
func (s *Server) disqualifyLead(id string, status int) error {
	lead, ok := s.store.get(setLeads, id)
	if !ok {
		return notFound(s.sets[setLeads], id)
	}
	if state, _ := lead.int("statecode"); state != leadOpen {
		return badRequest("The lead cannot be disqualified because it is %s, not open.", strings.ToLower(leadStateNames[state]))
	}
	_, err := s.updateRecord(s.sets[setLeads], id, record{"statecode": leadDisqualified, "statuscode": status}, updateOptions{mustExist: true})
	return err
}

// createLead stores a new lead; id may be empty, or chosen by the client as Dataverse allows.
func (s *Server) createLead(id string, fields record) (record, error) {
	if id == "" {
		id = uuid.NewString()
	}
	var lead record
	err := s.store.update(func(t *transaction) error {
		if t.has(setLeads, id) {
			return &apiError{http.StatusPreconditionFailed, codeDuplicateKey, "A record with matching key values already exists."}
		}
		var err error
		lead, err = s.newLead(id, fields)
		if err != nil {
			return err
		}
		t.put(setLeads, id, lead)
		lead = lead.clone()
		return nil
	})
	return lead, err
}

func (s *Server) newLead(id string, fields record) (record, error) {
	state, ok := asInt(fields["statecode"])
	if ok && state != leadOpen {
		return nil, badRequest("A lead is created open; statecode %d is not allowed on create.", state)
	}
	status, ok := asInt(fields["statuscode"])
	if !ok {
		status = leadStatusNew
	}
	if status != leadStatusNew && status != leadStatusContacted {
		return nil, badRequest("%d is not a valid status code for state code LeadState.Open on lead.", status)
	}
	lead := record{"leadid": id, "merged": false}
	for k, v := range fields {
		lead[k] = v
	}
	lead["statecode"], lead["statuscode"] = leadOpen, status
	lead["fullname"] = fullName(lead)
	return s.stamp().newRecord(lead), nil
}

// closeOpportunity is WinOpportunity (won) or LoseOpportunity.
func (s *Server) closeOpportunity(id string, won bool, status int, subject string) error {
	state := opportunityLost
	valid := []int{opportunityStatusCanceled, opportunityStatusOutSold}
	if won {
		state, valid = opportunityWon, []int{opportunityStatusWon}
	}
	if status == 0 {
		status = valid[0]
	}
	if !slices.Contains(valid, status) {
		return badRequest("%d is not a valid status code for state code OpportunityState.%s on opportunity.", status, opportunityStateNames[state])
	}
	var hooks []*webhook.RemoteExecutionContext
	err := s.store.update(func(t *transaction) error {
		opp, ok := t.row(setOpportunities, id)
		if !ok {
			return notFound(s.sets[setOpportunities], id)
		}
		if current, _ := opp.int("statecode"); current != opportunityOpen {
			return badRequest("The opportunity cannot be closed because it is already %s.", strings.ToLower(opportunityStateNames[current]))
		}
		pre := opp.clone()
		stamp := s.stamp()
		opp["statecode"], opp["statuscode"] = state, status
		opp["actualclosedate"] = stamp.at.Format(time.DateOnly)
		stamp.touch(opp)
		// As with QualifyLead, a step on the opportunity's Update sees the state change after Win or Lose.
		closing := s.closeOpportunityHook(opp, won, status, subject)
		update := s.stateUpdateHook(s.opportunityImage(pre), s.opportunityImage(opp))
		update.CorrelationId = closing.CorrelationId
		hooks = append(hooks, closing, update)
		return nil
	})
	if err == nil {
		s.fire(hooks...)
	}
	return err
}

func fullName(r record) string {
	return strings.TrimSpace(fmt.Sprintf("%s %s", r.str("firstname"), r.str("lastname")))
}

// stamp is the time of one change, applied to every row the change touches.
type stamp struct{ at time.Time }

func (s *Server) stamp() stamp { return stamp{s.now().UTC()} }

func (st stamp) newRecord(r record) record {
	r["createdon"] = st.at.Format(time.RFC3339)
	r["statecode"] = cmpOr(r["statecode"], activeState)
	r["statuscode"] = cmpOr(r["statuscode"], activeStatus)
	st.touch(r)
	return r
}

func (st stamp) touch(r record) {
	r["modifiedon"] = st.at.Format(time.RFC3339)
	version, _ := r.int("versionnumber")
	r["versionnumber"] = max(version+1, int(st.at.UnixMicro()))
}

func cmpOr(v any, fallback int) any {
	if v == nil {
		return fallback
	}
	return v
}
