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
	writable    []string // columns a client may set on create or update
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
		columns: concat([]string{"leadid", "fullname", "_qualifyingopportunityid_value",
			"_parentaccountid_value", "_parentcontactid_value"}, leadWritable, systemColumns),
	}
	account := entitySet{
		name: setAccounts, logicalName: "account", key: "accountid",
		writable: []string{"name", "telephone1", "emailaddress1", "address1_line1", "address1_city",
			"address1_postalcode", "address1_country", "description"},
	}
	account.columns = concat([]string{"accountid", "_originatingleadid_value"}, account.writable, systemColumns)
	contact := entitySet{
		name: setContacts, logicalName: "contact", key: "contactid",
		writable: []string{"firstname", "lastname", "emailaddress1", "telephone1", "jobtitle", "description"},
	}
	contact.columns = concat([]string{"contactid", "fullname", "_parentcustomerid_value", "_originatingleadid_value"},
		contact.writable, systemColumns)
	opportunity := entitySet{
		name: setOpportunities, logicalName: "opportunity", key: "opportunityid",
		writable: []string{"name", "description"},
	}
	opportunity.columns = concat([]string{"opportunityid", "_originatingleadid_value", "_parentaccountid_value",
		"_parentcontactid_value", "_customerid_value", "actualclosedate"}, opportunity.writable, systemColumns)
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
