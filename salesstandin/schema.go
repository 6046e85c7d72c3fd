package salesstandin

import "slices"

// Lead, opportunity and account states and reasons, with Dataverse's numbers.
const (
	leadOpen         = 0
	leadQualified    = 1
	leadDisqualified = 2

	leadStatusNew        = 1
	leadStatusContacted  = 2
	leadStatusQualified  = 3
	leadStatusLost       = 4
	leadStatusCannotCall = 5
	leadStatusNoInterest = 6
	leadStatusCanceled   = 7

	opportunityOpen = 0
	opportunityWon  = 1
	opportunityLost = 2

	opportunityStatusInProgress = 1
	opportunityStatusWon        = 3
	opportunityStatusCanceled   = 4
	opportunityStatusOutSold    = 5

	activeState  = 0
	activeStatus = 1
)

var leadStatusNames = map[int]string{
	leadStatusNew: "New", leadStatusContacted: "Contacted", leadStatusQualified: "Qualified",
	leadStatusLost: "Lost", leadStatusCannotCall: "Cannot Contact", leadStatusNoInterest: "No Longer Interested",
	leadStatusCanceled: "Canceled",
}

var leadStateNames = map[int]string{leadOpen: "Open", leadQualified: "Qualified", leadDisqualified: "Disqualified"}

var opportunityStateNames = map[int]string{opportunityOpen: "Open", opportunityWon: "Won", opportunityLost: "Lost"}

var opportunityStatusNames = map[int]string{
	opportunityStatusInProgress: "In Progress", 2: "On Hold", opportunityStatusWon: "Won",
	opportunityStatusCanceled: "Canceled", opportunityStatusOutSold: "Out-Sold",
}

// disqualifyReasons are the lead status reasons that belong to the Disqualified state.
var disqualifyReasons = []int{leadStatusLost, leadStatusCannotCall, leadStatusNoInterest, leadStatusCanceled}

// entitySet describes a table as the Web API shows it.
type entitySet struct {
	name        string // in URLs: "leads"
	logicalName string // in webhooks and @odata.type: "lead"
	key         string // primary key column: "leadid"
	columns     []string
	writable    []string       // columns a client may set on create or update
	maxLength   map[string]int // text columns' MaxLength, in UTF-16 code units as .NET counts
	lookups     map[string]lookup
}

// lookup is a lookup column (_x_value) and the table it points at: fixed, or, for a customer lookup
// that can point at an account or a contact, named by a field the stand-in keeps in the row without
// showing it (typeField).
type lookup struct {
	target    string
	typeField string
}

// Fields kept in rows for customer lookups, as Dataverse keeps customeridtype.
const (
	fieldCustomerType       = "customeridtype"
	fieldParentCustomerType = "parentcustomeridtype"
)

func (l lookup) targetOf(r record) string {
	if l.typeField != "" {
		return r.str(l.typeField)
	}
	return l.target
}

func (e entitySet) has(column string) bool    { return slices.Contains(e.columns, column) }
func (e entitySet) canSet(column string) bool { return slices.Contains(e.writable, column) }

// system columns are kept by the stand-in itself.
var systemColumns = []string{"statecode", "statuscode", "createdon", "modifiedon", "versionnumber"}

func entitySets(prospectIDColumn string) map[string]entitySet {
	leadWritable := []string{
		"subject", "firstname", "lastname", "emailaddress1", "telephone1", "jobtitle", "companyname",
		"address1_line1", "address1_city", "address1_postalcode", "address1_country", "description",
		"statecode", "statuscode", prospectIDColumn,
	}
	lead := entitySet{
		name: setLeads, logicalName: "lead", key: "leadid", writable: leadWritable,
		// merged and masterid are read-only: only a merge sets them.
		columns: concat([]string{"leadid", "fullname", "_qualifyingopportunityid_value",
			"_parentaccountid_value", "_parentcontactid_value", "merged", "_masterid_value"}, leadWritable, systemColumns),
		// MaxLength of each column in Microsoft's lead table reference,
		// https://learn.microsoft.com/dynamics365/developer/reference/entities/lead; the custom prospect
		// column is given 100, the length the product asks for (sales.MaxProspectID).
		maxLength: map[string]int{
			"subject": 300, "firstname": 50, "lastname": 50, "emailaddress1": 100, "telephone1": 50,
			"jobtitle": 100, "companyname": 100, "address1_line1": 250, "address1_city": 80,
			"address1_postalcode": 20, "address1_country": 80, "description": 2000, prospectIDColumn: 100,
		},
		lookups: map[string]lookup{
			"_qualifyingopportunityid_value": {target: "opportunity"}, "_parentaccountid_value": {target: "account"},
			"_parentcontactid_value": {target: "contact"}, "_masterid_value": {target: "lead"},
		},
	}
	account := entitySet{
		name: setAccounts, logicalName: "account", key: "accountid",
		writable: []string{"name", "telephone1", "emailaddress1", "address1_line1", "address1_city",
			"address1_postalcode", "address1_country", "description"},
	}
	account.columns = concat([]string{"accountid", "_originatingleadid_value"}, account.writable, systemColumns)
	account.lookups = map[string]lookup{"_originatingleadid_value": {target: "lead"}}
	contact := entitySet{
		name: setContacts, logicalName: "contact", key: "contactid",
		writable: []string{"firstname", "lastname", "emailaddress1", "telephone1", "jobtitle", "description"},
	}
	contact.columns = concat([]string{"contactid", "fullname", "_parentcustomerid_value",
		"_originatingleadid_value"}, contact.writable, systemColumns)
	contact.lookups = map[string]lookup{
		"_parentcustomerid_value": {typeField: fieldParentCustomerType}, "_originatingleadid_value": {target: "lead"},
	}
	opportunity := entitySet{
		name: setOpportunities, logicalName: "opportunity", key: "opportunityid",
		writable: []string{"name", "description"},
	}
	opportunity.columns = concat([]string{"opportunityid", "_originatingleadid_value", "_parentaccountid_value",
		"_parentcontactid_value", "_customerid_value", "actualclosedate"}, opportunity.writable, systemColumns)
	opportunity.lookups = map[string]lookup{
		"_originatingleadid_value": {target: "lead"}, "_parentaccountid_value": {target: "account"},
		"_parentcontactid_value": {target: "contact"}, "_customerid_value": {typeField: fieldCustomerType},
	}
	return map[string]entitySet{setLeads: lead, setAccounts: account, setContacts: contact, setOpportunities: opportunity}
}

func concat(lists ...[]string) []string {
	var all []string
	for _, l := range lists {
		for _, c := range l {
			if !slices.Contains(all, c) {
				all = append(all, c)
			}
		}
	}
	return all
}
