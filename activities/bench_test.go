package activities

import (
	"testing"

	"github.com/partner-onboarding/onboarding/workflows"
)

// BenchmarkRenderEmail renders subject, text and HTML body of each email
// kind in English and German, as SendEmail does once per email.
func BenchmarkRenderEmail(b *testing.B) {
	tmpls, err := loadEmailTemplates(defaultLanguage)
	if err != nil {
		b.Fatal(err)
	}
	type email struct {
		kind   workflows.EmailKind
		locale string
	}
	var emails []email
	for _, kind := range []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailWelcome, workflows.EmailDecline} {
		for _, locale := range []string{"en-GB", "de-DE"} {
			emails = append(emails, email{kind, locale})
		}
	}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		e := emails[i%len(emails)]
		if _, err := tmpls.render(e.kind, e.locale, sample); err != nil {
			b.Fatal(err)
		}
		i++
	}
}
