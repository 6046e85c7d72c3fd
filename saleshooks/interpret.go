// Package saleshooks receives the Sales webhooks (Dataverse service endpoint
// calls) and turns the seller's decisions into signals to the onboarding
// workflows.
package saleshooks

import (
	"strings"

	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Decision is a seller's decision found in a webhook body.
type Decision struct {
	// Signal is the workflow signal the decision becomes.
	Signal        string
	LeadID        string
	OpportunityID string
	ContactID     string
	AccountID     string
	// ProspectID is the lead's Commerce prospect ID when the body carries it.
	ProspectID string
	// EventID identifies the Dataverse operation (RequestId, else OperationId).
	EventID string
}

// Dataverse state codes.
const (
	leadQualified     = 1
	leadDisqualified  = 2
	opportunityWon    = 1
	opportunityLost   = 2
	prospectIDDefault = "new_commerceprospectid"
)

// Interpret finds the decision in a webhook body, however the environment is
// set up to send it: the QualifyLead message; an Update or SetState of a
// lead's statecode; the Win and Lose messages; an Update or SetState of an
// opportunity's statecode. ok is false for anything else.
func Interpret(c webhook.RemoteExecutionContext, prospectIDColumn string) (Decision, bool) {
	if d, ok := interpret(c, prospectIDColumn); ok {
		return d, true
	}
	return Decision{}, false
}

func interpret(c webhook.RemoteExecutionContext, prospectIDColumn string) (d Decision, ok bool) {
	if prospectIDColumn == "" {
		prospectIDColumn = prospectIDDefault
	}
	d.EventID = firstNonEmpty(c.RequestId, c.OperationId)
	message := strings.ToLower(c.MessageName)

	switch strings.ToLower(c.PrimaryEntityName) {
	case "lead":
		d.LeadID = recordID(c.PrimaryEntityId)
		d.ProspectID = stringAttr(c, prospectIDColumn)
		if message == "qualifylead" {
			if ref, found := c.InputParameters.EntityReference("LeadId"); found && recordID(ref.Id) != "" {
				d.LeadID = recordID(ref.Id)
			}
			d.Signal = workflows.SignalLeadQualified
			for _, ref := range c.OutputParameters.EntityReferences("CreatedEntities") {
				switch strings.ToLower(ref.LogicalName) {
				case "opportunity":
					d.OpportunityID = recordID(ref.Id)
				case "contact":
					d.ContactID = recordID(ref.Id)
				case "account":
					d.AccountID = recordID(ref.Id)
				}
			}
			return d, d.LeadID != ""
		}
		switch state, _ := stateChange(c, message); state {
		case leadQualified:
			d.Signal = workflows.SignalLeadQualified
			d.OpportunityID = referenceAttr(c, "qualifyingopportunityid")
		case leadDisqualified:
			d.Signal = workflows.SignalLeadDisqualified
		default:
			return Decision{}, false
		}
		return d, d.LeadID != ""

	case "opportunity":
		d.OpportunityID = recordID(c.PrimaryEntityId)
		d.LeadID = referenceAttr(c, "originatingleadid")
		switch message {
		case "win", "lose":
			if closing, found := c.InputParameters.Entity("OpportunityClose"); found {
				if ref, found := closing.EntityReference("opportunityid"); found && recordID(ref.Id) != "" {
					d.OpportunityID = recordID(ref.Id)
				}
			}
			d.Signal = workflows.SignalOpportunityWon
			if message == "lose" {
				d.Signal = workflows.SignalOpportunityLost
			}
			return d, d.OpportunityID != ""
		}
		switch state, _ := stateChange(c, message); state {
		case opportunityWon:
			d.Signal = workflows.SignalOpportunityWon
		case opportunityLost:
			d.Signal = workflows.SignalOpportunityLost
		default:
			return Decision{}, false
		}
		return d, d.OpportunityID != ""
	}
	return Decision{}, false
}

// stateChange is the statecode an Update or SetState sets. An Update that
// does not touch statecode changes no state, whatever its images show.
func stateChange(c webhook.RemoteExecutionContext, message string) (int, bool) {
	switch message {
	case "update":
		if target, ok := c.Target(); ok {
			return target.OptionSetValue("statecode")
		}
	case "setstate", "setstatedynamicentity":
		if state, ok := c.InputParameters.OptionSetValue("State"); ok {
			return state, true
		}
		if state, ok := c.InputParameters.Int("State"); ok {
			return int(state), true
		}
	}
	return 0, false
}

// entities are the record's views a body may carry: the target first, then
// the post-images and the pre-images under whatever names they were registered.
func entities(c webhook.RemoteExecutionContext) []webhook.Entity {
	var out []webhook.Entity
	if t, ok := c.Target(); ok {
		out = append(out, t)
	}
	for _, images := range []webhook.Parameters{c.PostEntityImages, c.PreEntityImages} {
		for _, key := range images.Keys() {
			if e, ok := images.Entity(key); ok {
				out = append(out, e)
			}
		}
	}
	return out
}

func stringAttr(c webhook.RemoteExecutionContext, column string) string {
	for _, e := range entities(c) {
		if v, ok := e.String(column); ok && v != "" {
			return v
		}
	}
	return ""
}

func referenceAttr(c webhook.RemoteExecutionContext, column string) string {
	for _, e := range entities(c) {
		if ref, ok := e.EntityReference(column); ok && recordID(ref.Id) != "" {
			return recordID(ref.Id)
		}
	}
	return ""
}

// recordID is id, or "" for the empty GUID that Dataverse writes where a
// message has no primary record (Win and Lose, whose record is the
// OpportunityClose input, which a trimmed body no longer carries).
func recordID(id string) string {
	if id == "00000000-0000-0000-0000-000000000000" {
		return ""
	}
	return id
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
