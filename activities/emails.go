package activities

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"strings"
	texttemplate "text/template"

	"github.com/partner-onboarding/onboarding/workflows"
)

// Email bodies are templates, one text and one HTML file per kind and locale:
// emails/<kind>.<locale>.txt.tmpl defines the subject and the text body,
// emails/<kind>.<locale>.html.tmpl the HTML body.
//
//go:embed emails/*.tmpl
var emailFiles embed.FS

const defaultLocale = "en"

// emailData is what a template may show. It is filled from the prospect
// register when the email is sent.
type emailData struct {
	RequestID   string
	FirstName   string
	LastName    string
	CompanyName string
	ShopName    string
	// For the reminders to the sales inbox.
	LeadURL        string
	OpportunityURL string
	WaitingDays    int
}

type renderedEmail struct {
	Subject, Text, HTML string
}

type emailTemplates struct {
	text map[string]*texttemplate.Template
	html map[string]*htmltemplate.Template
}

func loadEmailTemplates() (*emailTemplates, error) {
	t := &emailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}}
	entries, err := emailFiles.ReadDir("emails")
	if err != nil {
		return nil, err
	}
	for _, e := range entries {
		name := e.Name()
		path := "emails/" + name
		switch {
		case strings.HasSuffix(name, ".txt.tmpl"):
			tmpl, err := texttemplate.New(name).Option("missingkey=error").ParseFS(emailFiles, path)
			if err != nil {
				return nil, fmt.Errorf("parse email template %s: %w", name, err)
			}
			t.text[strings.TrimSuffix(name, ".txt.tmpl")] = tmpl
		case strings.HasSuffix(name, ".html.tmpl"):
			tmpl, err := htmltemplate.New(name).Option("missingkey=error").ParseFS(emailFiles, path)
			if err != nil {
				return nil, fmt.Errorf("parse email template %s: %w", name, err)
			}
			t.html[strings.TrimSuffix(name, ".html.tmpl")] = tmpl
		}
	}
	for key := range t.text {
		if t.html[key] == nil {
			return nil, fmt.Errorf("email template %s has a text body but no HTML body", key)
		}
	}
	return t, nil
}

// render picks the template of the locale's language ("de-AT" uses "de"),
// falling back to English.
func (t *emailTemplates) render(kind workflows.EmailKind, locale string, data emailData) (renderedEmail, error) {
	key := string(kind) + "." + language(locale)
	if t.text[key] == nil {
		key = string(kind) + "." + defaultLocale
	}
	text, html := t.text[key], t.html[key]
	if text == nil || html == nil {
		return renderedEmail{}, fmt.Errorf("no email template for kind %q", kind)
	}
	var subject, body, htmlBody bytes.Buffer
	if err := text.ExecuteTemplate(&subject, "subject", data); err != nil {
		return renderedEmail{}, fmt.Errorf("render %s subject: %w", key, err)
	}
	if err := text.Execute(&body, data); err != nil {
		return renderedEmail{}, fmt.Errorf("render %s text: %w", key, err)
	}
	if err := html.Execute(&htmlBody, data); err != nil {
		return renderedEmail{}, fmt.Errorf("render %s HTML: %w", key, err)
	}
	return renderedEmail{
		Subject: strings.TrimSpace(subject.String()),
		Text:    body.String(),
		HTML:    htmlBody.String(),
	}, nil
}

func language(locale string) string {
	lang, _, _ := strings.Cut(strings.ReplaceAll(locale, "_", "-"), "-")
	return strings.ToLower(strings.TrimSpace(lang))
}
