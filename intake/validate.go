package intake

import (
	"net/mail"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/partner-onboarding/onboarding/workflows"
)

// FieldError names one invalid field of a request, in the JSON path the B2B
// site sent it under.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

var (
	countryCode = regexp.MustCompile(`^[A-Z]{2}$`)
	phoneNumber = regexp.MustCompile(`^\+?[0-9 ()./-]{5,32}$`)
	localeTag   = regexp.MustCompile(`^[a-zA-Z]{2,3}([-_][a-zA-Z0-9]{2,8})*$`)
)

// Validate checks a request as the B2B site sent it, trims its text fields
// and fills defaults. It returns one error per invalid field.
func Validate(req *workflows.Request) []FieldError {
	var errs []FieldError
	text := func(field string, v *string, required bool, max int) {
		*v = strings.TrimSpace(*v)
		switch {
		case *v == "" && required:
			errs = append(errs, FieldError{field, "is required"})
		case utf8.RuneCountInString(*v) > max:
			errs = append(errs, FieldError{field, "must be at most " + strconv.Itoa(max) + " characters"})
		case strings.ContainsAny(*v, "\x00\r\n") && field != "comments":
			errs = append(errs, FieldError{field, "must be a single line"})
		}
	}

	c := &req.Company
	text("company.name", &c.Name, true, 160)
	text("company.taxId", &c.TaxID, false, 32)
	text("company.address.street", &c.Address.Street, true, 250)
	text("company.address.city", &c.Address.City, true, 80)
	text("company.address.postalCode", &c.Address.PostalCode, true, 20)
	c.Address.CountryCode = strings.ToUpper(strings.TrimSpace(c.Address.CountryCode))
	if !countryCode.MatchString(c.Address.CountryCode) {
		errs = append(errs, FieldError{"company.address.countryCode", "must be a two-letter ISO 3166-1 country code such as DE"})
	}

	r := &req.Requester
	text("requester.firstName", &r.FirstName, true, 64)
	text("requester.lastName", &r.LastName, true, 64)
	text("requester.email", &r.Email, true, 254)
	if r.Email != "" {
		if addr, err := mail.ParseAddress(r.Email); err != nil || addr.Address != r.Email || !strings.Contains(r.Email, ".") {
			errs = append(errs, FieldError{"requester.email", "must be a plain email address such as name@company.example"})
		}
	}
	text("requester.phone", &r.Phone, false, 32)
	if r.Phone != "" && !phoneNumber.MatchString(r.Phone) {
		errs = append(errs, FieldError{"requester.phone", "must be a phone number of digits, spaces and + ( ) . / -"})
	}
	text("requester.jobTitle", &r.JobTitle, false, 100)

	req.Locale = strings.TrimSpace(req.Locale)
	if req.Locale == "" {
		req.Locale = "en"
	} else if !localeTag.MatchString(req.Locale) {
		errs = append(errs, FieldError{"locale", "must be a language tag such as en or de-DE"})
	}
	req.Comments = strings.TrimSpace(req.Comments)
	if utf8.RuneCountInString(req.Comments) > 2000 {
		errs = append(errs, FieldError{"comments", "must be at most 2000 characters"})
	}
	return errs
}
