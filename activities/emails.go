package activities

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"maps"
	"slices"
	"strings"
	texttemplate "text/template"

	"github.com/partner-onboarding/onboarding/workflows"
)

// Email bodies are templates, one text and one HTML file per kind and
// language: emails/<kind>.<language>.txt.tmpl defines the subject and the
// text body, emails/<kind>.<language>.html.tmpl the HTML body. Adding a
// language is adding its files of every requester kind; the reminders to
// the sales inbox are in English.
//
//go:embed emails/*.tmpl
var emailFiles embed.FS

const (
	// defaultLanguage is the shop's default language when it names none.
	defaultLanguage = "en"
	// reminderLanguage is the language of the reminders to the sales inbox.
	reminderLanguage = "en"
)

// requesterKinds are the emails a requester gets, in their language.
// The invitation goes to a partner's new user, in the language of the
// addition or the partner's.
var requesterKinds = []workflows.EmailKind{workflows.EmailReceipt, workflows.EmailWelcome, workflows.EmailDecline,
	workflows.EmailInvitation}

// emailData is what a template may show. It is filled from the prospect
// register when the email is sent.
type emailData struct {
	RequestID   string
	FirstName   string
	LastName    string
	CompanyName string
	ShopName    string
	// SignInURL is the B2B site's sign-in page, for the invitation.
	SignInURL string
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
	// fallback is the shop's default language, for a locale without templates.
	fallback string
}

// loadEmailTemplates parses the embedded templates; fallback, the shop's
// default language, must have every requester kind.
func loadEmailTemplates(fallback string) (*emailTemplates, error) {
	langs, err := emailLanguages(emailFiles)
	if err != nil {
		return nil, err
	}
	if !slices.Contains(langs, fallback) {
		return nil, fmt.Errorf("no email templates in %q, the shop's default language (there are: %s)",
			fallback, strings.Join(langs, ", "))
	}
	t := &emailTemplates{text: map[string]*texttemplate.Template{}, html: map[string]*htmltemplate.Template{}, fallback: fallback}
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

// emailLanguages lists, sorted, the languages of the requester emails among
// files (emailFiles but in tests). A language that has some of them but not
// every kind's text and HTML body is an error: a requester would get one
// email in their language and the next in another.
func emailLanguages(files fs.FS) ([]string, error) {
	names, err := fs.Glob(files, "emails/*.tmpl")
	if err != nil {
		return nil, err
	}
	have, langs := map[string]bool{}, map[string]bool{}
	for _, name := range names {
		name = strings.TrimPrefix(name, "emails/")
		have[name] = true
		kind, rest, _ := strings.Cut(name, ".")
		if lang, _, _ := strings.Cut(rest, "."); slices.Contains(requesterKinds, workflows.EmailKind(kind)) {
			langs[lang] = true
		}
	}
	var missing []string
	for lang := range langs {
		for _, kind := range requesterKinds {
			for _, part := range []string{".txt.tmpl", ".html.tmpl"} {
				if name := string(kind) + "." + lang + part; !have[name] {
					missing = append(missing, name)
				}
			}
		}
	}
	if len(missing) > 0 {
		slices.Sort(missing)
		return nil, fmt.Errorf("email templates missing: %s", strings.Join(missing, ", "))
	}
	return slices.Sorted(maps.Keys(langs)), nil
}

// render picks the template of the locale's language, the most specific
// first: "de-AT" takes de-AT, then de, then the shop's default language.
func (t *emailTemplates) render(kind workflows.EmailKind, locale string, data emailData) (renderedEmail, error) {
	var key string
	for _, lang := range append(localeLanguages(locale), t.fallback) {
		if k := string(kind) + "." + lang; t.text[k] != nil && t.html[k] != nil {
			key = k
			break
		}
	}
	if key == "" {
		return renderedEmail{}, fmt.Errorf("no email template for kind %q", kind)
	}
	text, html := t.text[key], t.html[key]
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

// localeLanguages lists the languages a locale asks for, the most specific
// first: "de_at" asks for de-AT, then de. The tags are cased as in the
// template files' names (language lower case, region upper case).
func localeLanguages(locale string) []string {
	subtags := strings.FieldsFunc(strings.TrimSpace(locale), func(r rune) bool { return r == '-' || r == '_' })
	for i, s := range subtags {
		switch {
		case i == 0:
			subtags[i] = strings.ToLower(s)
		case len(s) == 2:
			subtags[i] = strings.ToUpper(s)
		case len(s) == 4: // a script, such as Latn
			subtags[i] = strings.ToUpper(s[:1]) + strings.ToLower(s[1:])
		default:
			subtags[i] = strings.ToLower(s)
		}
	}
	langs := make([]string, 0, len(subtags))
	for n := len(subtags); n > 0; n-- {
		langs = append(langs, strings.Join(subtags[:n], "-"))
	}
	return langs
}
