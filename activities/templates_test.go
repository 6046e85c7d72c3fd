package activities

import (
	"html"
	"io"
	"io/fs"
	"maps"
	"slices"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	nethtml "golang.org/x/net/html"

	"github.com/partner-onboarding/onboarding/settings"
	"github.com/partner-onboarding/onboarding/workflows"
)

var sample = emailData{
	RequestID:   "7d1c0a52-3f4e-4b8a-9d1e-2a6b5c4d3e2f",
	FirstName:   "Ada",
	LastName:    "Muster",
	CompanyName: "<Tools & Co>",
	ShopName:    "B2B Shop",
}

// promisedLanguages are the languages the shop promises its requesters.
// The others are discovered from the files: adding a language is adding them.
var promisedLanguages = []string{"en", "de", "da", "sv", "tr", "lv"}

// distinct is data whose every value is unlike the others and unlike any
// template's words, so that a field shown in another's place, or not at
// all, is found. The company needs escaping in HTML.
var distinct = emailData{
	RequestID:      "3f9c2b1e-8d4a-4c6f-b5e7-0a1d2c3e4f5a",
	FirstName:      "Ildikó-Vorname",
	LastName:       "Østergaard-Şahin",
	CompanyName:    `<Tools & "Co"> Rīga`,
	ShopName:       "Nordlicht Großhandel",
	SignInURL:      "https://b2b.nordlicht.example/anmelden",
	LeadURL:        "https://org.crm4.dynamics.com/main.aspx?etn=lead&id=6a1f",
	OpportunityURL: "https://org.crm4.dynamics.com/main.aspx?etn=opportunity&id=9c3e",
	WaitingDays:    17,
}

// fields are distinct's values by name.
func fields(d emailData) map[string]string {
	return map[string]string{
		"RequestID": d.RequestID, "FirstName": d.FirstName, "LastName": d.LastName,
		"CompanyName": d.CompanyName, "ShopName": d.ShopName, "SignInURL": d.SignInURL,
		"LeadURL": d.LeadURL, "OpportunityURL": d.OpportunityURL, "WaitingDays": strconv.Itoa(d.WaitingDays),
	}
}

// templateFiles lists the embedded templates' kinds and languages: for
// each language, its kinds.
func templateFiles(t *testing.T) map[string][]workflows.EmailKind {
	t.Helper()
	names, err := fs.Glob(emailFiles, "emails/*.tmpl")
	if err != nil || len(names) == 0 {
		t.Fatalf("templates = %v, %v", names, err)
	}
	byLang := map[string][]workflows.EmailKind{}
	for _, n := range names {
		n = strings.TrimPrefix(n, "emails/")
		kind, rest, _ := strings.Cut(n, ".")
		lang, _, _ := strings.Cut(rest, ".")
		if !slices.Contains(byLang[lang], workflows.EmailKind(kind)) {
			byLang[lang] = append(byLang[lang], workflows.EmailKind(kind))
		}
	}
	return byLang
}

// TestTemplatesComplete renders every kind in every language it has files
// in, with distinct data; a missing, broken or incomplete file fails here
// rather than at a partner's decision. A translation shows each value in
// the parts (subject, text, HTML) the English email shows it in.
func TestTemplatesComplete(t *testing.T) {
	tmpls, err := loadEmailTemplates(defaultLanguage)
	if err != nil {
		t.Fatal(err)
	}
	values := fields(distinct)
	for lang, kinds := range templateFiles(t) {
		for _, kind := range kinds {
			key := string(kind) + "." + lang
			got, err := tmpls.render(kind, lang, distinct)
			if err != nil {
				t.Errorf("%s: %v", key, err)
				continue
			}
			en, err := tmpls.render(kind, "en", distinct)
			if err != nil {
				t.Errorf("%s has no English email to compare with: %v", key, err)
				continue
			}
			checkRendered(t, key, lang, got)
			if slices.Contains(requesterKinds, kind) {
				// The English ones too must show every field of a requester email.
				for _, name := range []string{"RequestID", "FirstName", "LastName", "CompanyName", "ShopName"} {
					if !strings.Contains(got.Text, values[name]) || !strings.Contains(got.HTML, html.EscapeString(values[name])) {
						t.Errorf("%s: text or HTML lacks .%s (%q)", key, name, values[name])
					}
				}
				if !strings.Contains(got.Subject, distinct.CompanyName) {
					t.Errorf("%s: subject %q does not name the company", key, got.Subject)
				}
			}
			for name, v := range values {
				for _, part := range []struct{ name, en, got, v string }{
					{"subject", en.Subject, got.Subject, v},
					{"text", en.Text, got.Text, v},
					{"HTML", en.HTML, got.HTML, html.EscapeString(v)},
				} {
					if strings.Contains(part.en, part.v) && !strings.Contains(part.got, part.v) {
						t.Errorf("%s: the %s lacks .%s (%q), which the English one shows", key, part.name, name, part.v)
					}
				}
			}
		}
	}
}

// checkRendered checks one rendered email of language lang: every part
// set, nothing left unfilled, the text plain and the HTML escaped,
// balanced and in its language.
func checkRendered(t *testing.T, key, lang string, got renderedEmail) {
	t.Helper()
	if got.Subject == "" || strings.Contains(got.Subject, "\n") {
		t.Errorf("%s: subject %q, want one non-empty line", key, got.Subject)
	}
	if strings.TrimSpace(got.Text) == "" || strings.TrimSpace(got.HTML) == "" {
		t.Errorf("%s: text %d bytes, HTML %d bytes; want both", key, len(got.Text), len(got.HTML))
	}
	for part, s := range map[string]string{"subject": got.Subject, "text": got.Text, "HTML": got.HTML} {
		if strings.Contains(s, "<no value>") || strings.Contains(s, "{{") || strings.Contains(s, "}}") {
			t.Errorf("%s: the %s has an unfilled placeholder:\n%s", key, part, s)
		}
	}
	if strings.Contains(got.Text, "&lt;") || strings.Contains(got.Text, "&amp;") || strings.Contains(got.Text, "&#34;") {
		t.Errorf("%s: the text body is HTML-escaped:\n%s", key, got.Text)
	}
	if strings.Contains(got.HTML, "<Tools") || strings.Contains(got.HTML, `"Co"`) {
		t.Errorf("%s: the HTML does not escape the company:\n%s", key, got.HTML)
	}
	if err := checkHTML(got.HTML, lang); err != "" {
		t.Errorf("%s: %s:\n%s", key, err, got.HTML)
	}
}

// voidElements have no end tag.
var voidElements = []string{"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

// checkHTML parses an HTML body and says what is wrong with it: a doctype,
// one html element of language lang, a body with text, and every element
// closed in order.
func checkHTML(s, lang string) string {
	z := nethtml.NewTokenizer(strings.NewReader(s))
	var open []string
	var doctype, body bool
	var htmlLang []string
	var text strings.Builder
	for {
		switch z.Next() {
		case nethtml.ErrorToken:
			if z.Err() != io.EOF {
				return "does not parse: " + z.Err().Error()
			}
			switch {
			case !doctype:
				return "no <!DOCTYPE html>"
			case len(htmlLang) != 1 || htmlLang[0] != lang:
				return "html elements' lang " + strings.Join(htmlLang, ", ") + ", want one " + lang
			case !body || strings.TrimSpace(text.String()) == "":
				return "no body with text"
			case len(open) > 0:
				return "unclosed " + strings.Join(open, ", ")
			}
			return ""
		case nethtml.DoctypeToken:
			doctype = strings.EqualFold(string(z.Text()), "html")
		case nethtml.StartTagToken, nethtml.SelfClosingTagToken:
			tok := z.Token()
			switch tok.Data {
			case "html":
				l := "(none)"
				for _, a := range tok.Attr {
					if a.Key == "lang" {
						l = a.Val
					}
				}
				htmlLang = append(htmlLang, l)
			case "body":
				body = true
			case "script", "style", "iframe", "object":
				return "has a <" + tok.Data + ">"
			}
			if !slices.Contains(voidElements, tok.Data) {
				open = append(open, tok.Data)
			}
		case nethtml.EndTagToken:
			tok := z.Token()
			if len(open) == 0 || open[len(open)-1] != tok.Data {
				return "</" + tok.Data + "> closes " + strings.Join(open, " > ")
			}
			open = open[:len(open)-1]
		case nethtml.TextToken:
			text.Write(z.Text())
		}
	}
}

// TestTemplateLanguagesComplete: every language the shop promises has
// emails, and every language found among the files has each requester
// kind English has, no fewer and no more. A file of a kind the product
// does not send (a misspelt name) fails too.
func TestTemplateLanguagesComplete(t *testing.T) {
	byLang := templateFiles(t)
	known := append(slices.Clone(requesterKinds), workflows.EmailLeadReminder, workflows.EmailOpportunityReminder)
	requester := func(kinds []workflows.EmailKind) []string {
		var out []string
		for _, k := range kinds {
			if !slices.Contains(known, k) {
				t.Errorf("templates of kind %q, which no email is", k)
			}
			if slices.Contains(requesterKinds, k) {
				out = append(out, string(k))
			}
		}
		slices.Sort(out)
		return out
	}
	english := requester(byLang["en"])
	want := make([]string, 0, len(requesterKinds))
	for _, k := range requesterKinds {
		want = append(want, string(k))
	}
	slices.Sort(want)
	if !slices.Equal(english, want) {
		t.Fatalf("English requester emails %v, want %v", english, want)
	}
	for lang, kinds := range byLang {
		if got := requester(kinds); !slices.Equal(got, english) {
			t.Errorf("%s has requester emails %v; English has %v", lang, got, english)
		}
	}
	langs, err := emailLanguages(emailFiles)
	if err != nil {
		t.Fatal(err)
	}
	if got := slices.Sorted(maps.Keys(byLang)); !slices.Equal(langs, got) {
		t.Errorf("emailLanguages = %v, the files have %v", langs, got)
	}
	for _, lang := range promisedLanguages {
		if !slices.Contains(langs, lang) {
			t.Errorf("no emails in %s, which the shop promises", lang)
		}
	}
}

// TestTemplateLanguageIncomplete: a language that lacks one file is found
// when the templates load, not when a requester's email falls back.
func TestTemplateLanguageIncomplete(t *testing.T) {
	files := fstest.MapFS{}
	for _, kind := range requesterKinds {
		for _, lang := range []string{"en", "nb"} {
			for _, part := range []string{".txt.tmpl", ".html.tmpl"} {
				files["emails/"+string(kind)+"."+lang+part] = &fstest.MapFile{}
			}
		}
	}
	files["emails/lead-reminder.en.txt.tmpl"] = &fstest.MapFile{}
	if langs, err := emailLanguages(files); err != nil || !slices.Equal(langs, []string{"en", "nb"}) {
		t.Errorf("emailLanguages = %v, %v; want [en nb]", langs, err)
	}
	delete(files, "emails/welcome.nb.html.tmpl")
	if _, err := emailLanguages(files); err == nil || !strings.Contains(err.Error(), "welcome.nb.html.tmpl") {
		t.Errorf("a language without one HTML body: err = %v, want one naming the file", err)
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

// renderedLanguage is the language an email was rendered in, as its HTML says.
func renderedLanguage(t *testing.T, tmpls *emailTemplates, kind workflows.EmailKind, locale string) string {
	t.Helper()
	got, err := tmpls.render(kind, locale, sample)
	if err != nil {
		t.Errorf("locale %q: %v", locale, err)
		return ""
	}
	_, rest, _ := strings.Cut(got.HTML, `<html lang="`)
	lang, _, _ := strings.Cut(rest, `"`)
	return lang
}

// TestTemplateLanguageFallback: a locale takes its language, then the
// shop's default language.
func TestTemplateLanguageFallback(t *testing.T) {
	tmpls, err := loadEmailTemplates(defaultLanguage)
	if err != nil {
		t.Fatal(err)
	}
	for locale, want := range map[string]string{
		"de-AT": "de", "de-DE": "de", "DE-ch": "de", "de_AT": "de", " de ": "de",
		"da-DK": "da", "sv-FI": "sv", "tr-TR": "tr", "lv-LV": "lv", "LV": "lv",
		"en-GB": "en", "pt-BR": "en", "fr-FR": "en", "": "en", "xx": "en",
	} {
		if got := renderedLanguage(t, tmpls, workflows.EmailDecline, locale); got != want {
			t.Errorf("locale %q: an email in %q, want %q", locale, got, want)
		}
	}
	// The German text still greets as before.
	if got, err := tmpls.render(workflows.EmailDecline, "de-AT", sample); err != nil || !strings.HasPrefix(got.Text, "Guten Tag") {
		t.Errorf("de-AT: text %q, %v", got.Text, err)
	}
	if _, err := tmpls.render("reminder", "en", sample); err == nil {
		t.Error("an unknown kind rendered")
	}

	for locale, want := range map[string][]string{
		"de-AT": {"de-AT", "de"}, "de_at": {"de-AT", "de"}, "DE": {"de"}, " pt-br ": {"pt-BR", "pt"},
		"zh-hant-tw": {"zh-Hant-TW", "zh-Hant", "zh"}, "": {}, "-": {},
	} {
		if got := localeLanguages(locale); !slices.Equal(got, want) {
			t.Errorf("localeLanguages(%q) = %q, want %q", locale, got, want)
		}
	}
}

// TestShopDefaultLanguage: SHOP_DEFAULT_LANGUAGE is where a locale without
// emails of its own ends; a locale that has its own keeps it, and the
// reminders to the sales inbox stay English.
func TestShopDefaultLanguage(t *testing.T) {
	env := settings.Map(map[string]string{"SHOP_DEFAULT_LANGUAGE": "SV"})
	cfg := ConfigFrom(env)
	if err := env.Err(); err != nil || cfg.DefaultLanguage != "sv" {
		t.Fatalf("DefaultLanguage = %q, %v; want sv", cfg.DefaultLanguage, err)
	}
	a, err := New(nil, nil, nil, cfg)
	if err != nil {
		t.Fatal(err)
	}
	for locale, want := range map[string]string{"pt-BR": "sv", "": "sv", "de-AT": "de", "lv": "lv", "en-US": "en"} {
		for _, kind := range requesterKinds {
			if got := renderedLanguage(t, a.templates, kind, locale); got != want {
				t.Errorf("%s for locale %q: in %q, want %q", kind, locale, got, want)
			}
		}
	}
	if got := renderedLanguage(t, a.templates, workflows.EmailLeadReminder, reminderLanguage); got != "en" {
		t.Errorf("lead reminder in %q, want en", got)
	}

	cfg.DefaultLanguage = ""
	if a, err := New(nil, nil, nil, cfg); err != nil || a.templates.fallback != "en" {
		t.Errorf("no default language: %v; want English", err)
	}
	cfg.DefaultLanguage = "pt"
	if _, err := New(nil, nil, nil, cfg); err == nil || !strings.Contains(err.Error(), `"pt"`) {
		t.Errorf("a default language without emails: err = %v", err)
	}
}
