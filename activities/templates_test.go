package activities

import (
	"io/fs"
	"strings"
	"testing"

	"github.com/partner-onboarding/onboarding/workflows"
)

var sample = emailData{
	RequestID:   "7d1c0a52-3f4e-4b8a-9d1e-2a6b5c4d3e2f",
	FirstName:   "Ada",
	LastName:    "Muster",
	CompanyName: "<Tools & Co>",
	ShopName:    "B2B Shop",
}

// TestTemplatesComplete renders every kind in every language the product
// speaks; a missing or broken file fails here rather than at a partner's
// decision.
func TestTemplatesComplete(t *testing.T) {
	tmpls, err := loadEmailTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailWelcome, workflows.EmailDecline} {
		for _, lang := range []string{"en", "de"} {
			key := string(kind) + "." + lang
			if tmpls.text[key] == nil || tmpls.html[key] == nil {
				t.Errorf("%s: text %v, HTML %v; want both", key, tmpls.text[key] != nil, tmpls.html[key] != nil)
				continue
			}
			got, err := tmpls.render(kind, lang, sample)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			if got.Subject == "" || strings.Contains(got.Subject, "\n") {
				t.Errorf("%s: subject %q, want one non-empty line", key, got.Subject)
			}
			if !strings.Contains(got.Subject, "<Tools & Co>") {
				t.Errorf("%s: subject %q does not name the company", key, got.Subject)
			}
			if !strings.Contains(got.Text, "<Tools & Co>") || !strings.Contains(got.Text, sample.RequestID) ||
				!strings.Contains(got.Text, "Ada Muster") || !strings.Contains(got.Text, "B2B Shop") {
				t.Errorf("%s: text lacks the company, request ID, name or shop:\n%s", key, got.Text)
			}
			if strings.Contains(got.Text, "&lt;") || strings.Contains(got.Text, "&amp;") {
				t.Errorf("%s: the text body is HTML-escaped:\n%s", key, got.Text)
			}
			if !strings.Contains(got.HTML, "&lt;Tools &amp; Co&gt;") || strings.Contains(got.HTML, "<Tools") ||
				!strings.Contains(got.HTML, sample.RequestID) || !strings.Contains(got.HTML, `lang="`+lang+`"`) {
				t.Errorf("%s: HTML does not escape the company or lacks the request ID or language:\n%s", key, got.HTML)
			}
		}
	}
}

// TestTemplateFilesPaired checks the embedded files themselves: every
// kind and locale has a text and an HTML body, and the text defines the subject.
func TestTemplateFilesPaired(t *testing.T) {
	names, err := fs.Glob(emailFiles, "emails/*.tmpl")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates = %v, %v", names, err)
	}
	have := map[string]bool{}
	for _, n := range names {
		have[strings.TrimPrefix(n, "emails/")] = true
	}
	for n := range have {
		base, isText := strings.CutSuffix(n, ".txt.tmpl")
		if !isText {
			base = strings.TrimSuffix(n, ".html.tmpl")
		}
		if !have[base+".txt.tmpl"] || !have[base+".html.tmpl"] {
			t.Errorf("%s has no partner: want both %s.txt.tmpl and %s.html.tmpl", n, base, base)
		}
		if isText {
			b, _ := fs.ReadFile(emailFiles, "emails/"+n)
			if !strings.Contains(string(b), `{{define "subject"}}`) {
				t.Errorf("%s defines no subject", n)
			}
		}
	}
}

func TestTemplateLanguageFallback(t *testing.T) {
	tmpls, err := loadEmailTemplates()
	if err != nil {
		t.Fatal(err)
	}
	for locale, want := range map[string]string{
		"de-DE": "Guten Tag", "DE-ch": "Guten Tag", "de_AT": "Guten Tag", " de ": "Guten Tag",
		"en-GB": "Hello", "fr-FR": "Hello", "": "Hello", "xx": "Hello",
	} {
		got, err := tmpls.render(workflows.EmailDecline, locale, sample)
		if err != nil || !strings.HasPrefix(got.Text, want) {
			t.Errorf("locale %q: text %q, %v; want it to start with %q", locale, got.Text, err, want)
		}
	}
	if _, err := tmpls.render("reminder", "en", sample); err == nil {
		t.Error("an unknown kind rendered")
	}
}
