package sales

import (
	"encoding/json"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// LeadState is a lead's statecode.
type LeadState int

const (
	LeadOpen         LeadState = 0
	LeadQualified    LeadState = 1
	LeadDisqualified LeadState = 2
)

func (s LeadState) String() string {
	switch s {
	case LeadOpen:
		return "Open"
	case LeadQualified:
		return "Qualified"
	case LeadDisqualified:
		return "Disqualified"
	}
	return "LeadState(" + strconv.Itoa(int(s)) + ")"
}

// Status reasons (statuscode) of a disqualified lead, for DisqualifyLead.
const (
	LeadStatusLost               = 4
	LeadStatusCannotContact      = 5
	LeadStatusNoLongerInterested = 6
	LeadStatusCanceled           = 7
)

// OpportunityState is an opportunity's statecode.
type OpportunityState int

const (
	OpportunityOpen OpportunityState = 0
	OpportunityWon  OpportunityState = 1
	OpportunityLost OpportunityState = 2
)

func (s OpportunityState) String() string {
	switch s {
	case OpportunityOpen:
		return "Open"
	case OpportunityWon:
		return "Won"
	case OpportunityLost:
		return "Lost"
	}
	return "OpportunityState(" + strconv.Itoa(int(s)) + ")"
}

// Lead is a Sales lead. ProspectID is the Commerce prospect it was made for.
type Lead struct {
	// ID is the lead's leadid. CreateLead creates the lead with it when it is set (Dataverse lets a
	// client choose the primary key), and lets Dataverse choose one when it is empty.
	ID          string
	ProspectID  string
	Subject     string
	FirstName   string
	LastName    string
	Email       string
	Phone       string
	JobTitle    string
	CompanyName string
	Street      string
	City        string
	PostalCode  string
	Country     string
	Description string
	State       LeadState
	StatusCode  int
	// QualifyingOpportunityID is the opportunity that qualifying the lead created.
	QualifyingOpportunityID string
	// Merged tells that a seller merged this lead into another, MasterID, which carries on in its
	// place; Dataverse sets both and deactivates the merged lead. Neither is written by CreateLead.
	Merged   bool
	MasterID string
}

// Opportunity is a Sales opportunity.
type Opportunity struct {
	ID                string
	Name              string
	OriginatingLeadID string
	// AccountID and ContactID are the opportunity's parent account and contact. When Sales has no
	// parent of a kind but the customer is of that kind, the customer stands in: a seller may fill
	// in only the (required) customer.
	AccountID string
	ContactID string
	// CustomerID is the opportunity's customer and CustomerKind its table: CustomerAccount or
	// CustomerContact.
	CustomerID   string
	CustomerKind string
	State        OpportunityState
	StatusCode   int
}

// The tables an opportunity's customer can be in, as Opportunity.CustomerKind names them.
const (
	CustomerAccount = "account"
	CustomerContact = "contact"
)

// Account is a Sales account: the partner's organization.
type Account struct {
	ID         string
	Name       string
	Street     string
	City       string
	PostalCode string
	Country    string
	Phone      string
	Email      string
}

// Contact is a Sales contact: the requester.
type Contact struct {
	ID              string
	FirstName       string
	LastName        string
	Email           string
	Phone           string
	JobTitle        string
	ParentAccountID string
}

// Qualification is what qualifying a lead created.
type Qualification struct {
	AccountID     string
	ContactID     string
	OpportunityID string
}

// Columns read for each table; the prospect column is added to the lead's at run time.
var (
	leadColumns = []string{"leadid", "subject", "firstname", "lastname", "emailaddress1", "telephone1",
		"jobtitle", "companyname", "address1_line1", "address1_city", "address1_postalcode",
		"address1_country", "description", "statecode", "statuscode", "_qualifyingopportunityid_value",
		"merged", "_masterid_value"}
	opportunityColumns = []string{"opportunityid", "name", "_originatingleadid_value",
		"_parentaccountid_value", "_parentcontactid_value", "_customerid_value", "statecode", "statuscode"}
	accountColumns = []string{"accountid", "name", "address1_line1", "address1_city",
		"address1_postalcode", "address1_country", "telephone1", "emailaddress1"}
	contactColumns = []string{"contactid", "firstname", "lastname", "emailaddress1", "telephone1",
		"jobtitle", "_parentcustomerid_value"}
)

// record is one row as the Web API returns it; absent and null columns read as zero values.
type record map[string]json.RawMessage

func (r record) str(col string) string {
	var s *string
	if json.Unmarshal(r[col], &s) != nil || s == nil {
		return ""
	}
	return *s
}

func (r record) boolean(col string) bool {
	var b *bool
	if json.Unmarshal(r[col], &b) != nil || b == nil {
		return false
	}
	return *b
}

func (r record) num(col string) int {
	var n *int
	if json.Unmarshal(r[col], &n) != nil || n == nil {
		return 0
	}
	return *n
}

func (c *Client) leadFromRecord(r record) Lead {
	return Lead{
		ID:                      r.str("leadid"),
		ProspectID:              r.str(c.cfg.ProspectIDColumn),
		Subject:                 r.str("subject"),
		FirstName:               r.str("firstname"),
		LastName:                r.str("lastname"),
		Email:                   r.str("emailaddress1"),
		Phone:                   r.str("telephone1"),
		JobTitle:                r.str("jobtitle"),
		CompanyName:             r.str("companyname"),
		Street:                  r.str("address1_line1"),
		City:                    r.str("address1_city"),
		PostalCode:              r.str("address1_postalcode"),
		Country:                 r.str("address1_country"),
		Description:             r.str("description"),
		State:                   LeadState(r.num("statecode")),
		StatusCode:              r.num("statuscode"),
		QualifyingOpportunityID: r.str("_qualifyingopportunityid_value"),
		Merged:                  r.boolean("merged"),
		MasterID:                r.str("_masterid_value"),
	}
}

// leadBody is the lead's personal and company columns as a request carries them. Empty fields are
// left out, so that a create gets Dataverse's defaults and an update leaves those columns alone;
// state and status are Dataverse's to set.
func leadBody(l Lead) map[string]any {
	body := map[string]any{}
	for _, f := range leadFields(l) {
		if f.value != "" {
			body[f.column] = f.value
		}
	}
	return body
}

// lookupLogicalName is the annotation that names the table a lookup points at, which a customer
// lookup (account or contact) needs. Dataverse sends it when the Prefer header asks:
// https://learn.microsoft.com/power-apps/developer/data-platform/webapi/query-data-web-api#lookup-property-data
const lookupLogicalName = "Microsoft.Dynamics.CRM.lookuplogicalname"

func opportunityFromRecord(r record) Opportunity {
	o := Opportunity{
		ID:                r.str("opportunityid"),
		Name:              r.str("name"),
		OriginatingLeadID: r.str("_originatingleadid_value"),
		AccountID:         r.str("_parentaccountid_value"),
		ContactID:         r.str("_parentcontactid_value"),
		CustomerID:        r.str("_customerid_value"),
		CustomerKind:      r.str("_customerid_value@" + lookupLogicalName),
		State:             OpportunityState(r.num("statecode")),
		StatusCode:        r.num("statuscode"),
	}
	if o.CustomerKind == CustomerAccount && o.AccountID == "" {
		o.AccountID = o.CustomerID
	}
	if o.CustomerKind == CustomerContact && o.ContactID == "" {
		o.ContactID = o.CustomerID
	}
	return o
}

func accountFromRecord(r record) Account {
	return Account{
		ID:         r.str("accountid"),
		Name:       r.str("name"),
		Street:     r.str("address1_line1"),
		City:       r.str("address1_city"),
		PostalCode: r.str("address1_postalcode"),
		Country:    r.str("address1_country"),
		Phone:      r.str("telephone1"),
		Email:      r.str("emailaddress1"),
	}
}

func contactFromRecord(r record) Contact {
	return Contact{
		ID:              r.str("contactid"),
		FirstName:       r.str("firstname"),
		LastName:        r.str("lastname"),
		Email:           r.str("emailaddress1"),
		Phone:           r.str("telephone1"),
		JobTitle:        r.str("jobtitle"),
		ParentAccountID: r.str("_parentcustomerid_value"),
	}
}

// recordID checks that id is a GUID and returns its canonical form. IDs go into request paths,
// so anything else is refused rather than sent.
func recordID(op, field, id string) (string, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return "", invalidInput(op, "%s %q is not a GUID", field, id)
	}
	return u.String(), nil
}

// idFromEntityURL takes the GUID out of an OData-EntityId such as .../leads(<guid>).
func idFromEntityURL(s string) string {
	open := strings.LastIndexByte(s, '(')
	if open < 0 || !strings.HasSuffix(s, ")") {
		return ""
	}
	u, err := uuid.Parse(s[open+1 : len(s)-1])
	if err != nil {
		return ""
	}
	return u.String()
}
