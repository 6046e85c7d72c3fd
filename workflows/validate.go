package workflows

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf16"
)

// FieldError names one invalid field of a request, in the JSON path the B2B
// site sent it under.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Field limits. Every field that becomes a column of the Sales lead is held
// to that column's maximum length in Dataverse, so that Sales never refuses a
// request the front door accepted. Source: Microsoft Learn, "lead EntityType"
// (Dataverse Web API reference) and "Lead table/entity reference"
// (MaxLength of each String column).
const (
	MaxCompanyName = 100 // lead.companyname
	MaxFirstName   = 50  // lead.firstname
	MaxLastName    = 50  // lead.lastname
	MaxEmail       = 100 // lead.emailaddress1
	MaxPhone       = 50  // lead.telephone1
	MaxJobTitle    = 100 // lead.jobtitle
	MaxStreet      = 250 // lead.address1_line1
	MaxCity        = 80  // lead.address1_city
	MaxPostalCode  = 20  // lead.address1_postalcode
	MaxComments    = 2000
	// MaxTaxID is ours: the tax ID stays in Commerce and never reaches Sales.
	MaxTaxID = 32
)

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	phoneNumber = regexp.MustCompile(`^\+?[0-9 ()./-]{5,` + strconv.Itoa(MaxPhone) + `}$`)
	localeTag   = regexp.MustCompile(`^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$`)
)

// Validate checks a request as the B2B site sent it, trims its text fields
// and fills defaults. It returns one error per invalid field. The front door
// and the correct-request Update share it, so both answer the same messages.
func Validate(req *Request) []FieldError {
	var errs []FieldError
	// text trims *v and reports whether it passed, so that a field already
	// named is not checked for its format too.
	text := func(field string, v *string, required bool, max int) bool {
		*v = strings.TrimSpace(*v)
		switch {
		case *v == "" && required:
			errs = append(errs, FieldError{field, "is required"})
		case textLength(*v) > max:
			errs = append(errs, FieldError{field, "must be at most " + strconv.Itoa(max) + " characters"})
		case strings.ContainsAny(*v, "\x00\r\n") && field != "comments":
			errs = append(errs, FieldError{field, "must be a single line"})
		default:
			return true
		}
		return false
	}

	c := &req.Company
	text("company.name", &c.Name, true, MaxCompanyName)
	text("company.taxId", &c.TaxID, false, MaxTaxID)
	text("company.address.street", &c.Address.Street, true, MaxStreet)
	text("company.address.city", &c.Address.City, true, MaxCity)
	text("company.address.postalCode", &c.Address.PostalCode, true, MaxPostalCode)
	c.Address.CountryCode = strings.ToUpper(strings.TrimSpace(c.Address.CountryCode))
	if !countryCode.MatchString(c.Address.CountryCode) {
		errs = append(errs, FieldError{"company.address.countryCode", "must be a two-letter ISO 3166-1 country code such as DE"})
	}

	r := &req.Requester
	text("requester.firstName", &r.FirstName, true, MaxFirstName)
	text("requester.lastName", &r.LastName, true, MaxLastName)
	if text("requester.email", &r.Email, true, MaxEmail) {
		// ParseAddress is a pure parser; the linter sees only its debug
		// logging, which is compiled off.
		addr, err := mail.ParseAddress(r.Email) //workflowcheck:ignore
		if err != nil || addr.Address != r.Email || !strings.Contains(r.Email, ".") {
			errs = append(errs, FieldError{"requester.email", "must be a plain email address such as name@company.example"})
		}
	}
	if text("requester.phone", &r.Phone, false, MaxPhone) && r.Phone != "" && !phoneNumber.MatchString(r.Phone) {
		errs = append(errs, FieldError{"requester.phone", "must be a phone number of digits, spaces and + ( ) . / -"})
	}
	text("requester.jobTitle", &r.JobTitle, false, MaxJobTitle)

	req.Locale = strings.TrimSpace(req.Locale)
	if req.Locale == "" {
		req.Locale = "en"
	} else if !localeTag.MatchString(req.Locale) {
		errs = append(errs, FieldError{"locale", "must be a language tag such as en or de-DE"})
	}
	req.Comments = strings.TrimSpace(req.Comments)
	if textLength(req.Comments) > MaxComments {
		errs = append(errs, FieldError{"comments", "must be at most " + strconv.Itoa(MaxComments) + " characters"})
	}
	return errs
}

// textLength counts as Dataverse does: in UTF-16 code units, so a character
// outside the Basic Multilingual Plane (an emoji) counts twice.
func textLength(s string) int {
	n := 0
	for _, r := range s {
		n += utf16.RuneLen(r)
	}
	return n
}

// FieldErrors joins field errors into one message, as an Update's
// validator answers them.
func FieldErrors(errs []FieldError) string {
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.Field + " " + e.Message
	}
	return strings.Join(parts, "; ")
}

// NewUser is a user a partner's admin adds, as the B2B site sends it.
type NewUser struct {
	FirstName string
	LastName  string
	Email     string
	JobTitle  string
	// Locale is the invitation's language; empty, the partner's.
	Locale string
}

// ValidateNewUser checks a user to add as Validate checks the requester,
// to the same limits, and trims its fields. Fields are named as sent, at
// the top of the body.
func ValidateNewUser(u *NewUser) []FieldError {
	req := Request{Requester: Requester{FirstName: u.FirstName, LastName: u.LastName, Email: u.Email, JobTitle: u.JobTitle},
		Locale: u.Locale}
	var errs []FieldError
	for _, e := range Validate(&req) {
		if field, ok := strings.CutPrefix(e.Field, "requester."); ok {
			errs = append(errs, FieldError{field, e.Message})
		} else if e.Field == "locale" && u.Locale != "" {
			errs = append(errs, e)
		}
	}
	u.FirstName, u.LastName, u.Email, u.JobTitle = req.Requester.FirstName, req.Requester.LastName, req.Requester.Email, req.Requester.JobTitle
	u.Locale = strings.TrimSpace(u.Locale)
	return errs
}
