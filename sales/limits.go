package sales

import "unicode/utf16"

// Maximum lengths of the lead columns this client writes, in characters as Dataverse counts them
// (TextLength), from Microsoft's lead table reference
// (https://learn.microsoft.com/dynamics365/developer/reference/entities/lead, MaxLength of each
// column). Dataverse refuses a longer value with 400 and code 0x80044331 (StringLengthTooLong), so the
// front door can hold a request to these limits before it ever reaches Sales.
const (
	MaxSubject     = 300  // subject ("Topic")
	MaxFirstName   = 50   // firstname
	MaxLastName    = 50   // lastname
	MaxEmail       = 100  // emailaddress1
	MaxPhone       = 50   // telephone1
	MaxJobTitle    = 100  // jobtitle
	MaxCompanyName = 100  // companyname
	MaxStreet      = 250  // address1_line1
	MaxCity        = 80   // address1_city
	MaxPostalCode  = 20   // address1_postalcode
	MaxCountry     = 80   // address1_country
	MaxDescription = 2000 // description (a multiline text column)

	// MaxProspectID is ours, not Microsoft's: the custom prospect column must be created with at
	// least this maximum length, and the product's request IDs stay well below it.
	MaxProspectID = 100
)

// LeadColumnMaxLength maps each lead column this client writes to its maximum length. The prospect
// column is listed under its default name; a differently named one has the same limit.
var LeadColumnMaxLength = map[string]int{
	"subject":               MaxSubject,
	"firstname":             MaxFirstName,
	"lastname":              MaxLastName,
	"emailaddress1":         MaxEmail,
	"telephone1":            MaxPhone,
	"jobtitle":              MaxJobTitle,
	"companyname":           MaxCompanyName,
	"address1_line1":        MaxStreet,
	"address1_city":         MaxCity,
	"address1_postalcode":   MaxPostalCode,
	"address1_country":      MaxCountry,
	"description":           MaxDescription,
	DefaultProspectIDColumn: MaxProspectID,
}

// leadField is one Lead field as a column, in a fixed order so that checks report the same column first.
type leadField struct {
	name   string // the Lead field, for messages
	column string
	value  string
}

// leadFields lists the personal and company columns: those a correction may change.
func leadFields(l Lead) []leadField {
	return []leadField{
		{"Subject", "subject", l.Subject},
		{"FirstName", "firstname", l.FirstName},
		{"LastName", "lastname", l.LastName},
		{"Email", "emailaddress1", l.Email},
		{"Phone", "telephone1", l.Phone},
		{"JobTitle", "jobtitle", l.JobTitle},
		{"CompanyName", "companyname", l.CompanyName},
		{"Street", "address1_line1", l.Street},
		{"City", "address1_city", l.City},
		{"PostalCode", "address1_postalcode", l.PostalCode},
		{"Country", "address1_country", l.Country},
		{"Description", "description", l.Description},
	}
}

// CheckLeadLengths reports the first field of l that is longer than its column in Sales, as a
// permanent error naming the column and its limit; nil when every field fits.
func CheckLeadLengths(l Lead) error {
	if err := checkLengths("check lead", DefaultProspectIDColumn, l); err != nil {
		return err // not the nil *Error, which would be a non-nil error
	}
	return nil
}

func checkLengths(op, prospectColumn string, l Lead) *Error {
	fields := append(leadFields(l), leadField{"ProspectID", prospectColumn, l.ProspectID})
	for _, f := range fields {
		limit := LeadColumnMaxLength[f.column]
		if f.column == prospectColumn {
			limit = MaxProspectID
		}
		if n := TextLength(f.value); n > limit {
			return invalidInput(op, "%s is %d characters, longer than the %d that column %s holds in Sales", f.name, n, limit, f.column)
		}
	}
	return nil
}

// TextLength counts s as Dataverse counts a text value against a column's maximum length: in UTF-16
// code units, as .NET strings are measured, so a character outside the Basic Multilingual Plane (an
// emoji) counts twice.
func TextLength(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}
