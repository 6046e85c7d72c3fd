package salesstandin

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestSellerPage(t *testing.T) {
	hooks := newHookReceiver(t)
	st := startStandin(t, t.TempDir(), hooks.URL)
	b2b := st.createLead(t, b2bLead("PR-S1"))
	toDisqualify := st.createLead(t, b2bLead("PR-S2"))
	plain := st.createLead(t, map[string]any{"subject": "Not from the B2B site", "lastname": "Walk-in"})

	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	page := func() string {
		t.Helper()
		resp, err := http.Get(st.http.URL + "/")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		if resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
			t.Fatalf("page: %s", resp.Status)
		}
		return readAll(t, resp.Body)
	}
	press := func(path string, form url.Values) {
		t.Helper()
		resp, err := noRedirect.PostForm(st.http.URL+path, form)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
			t.Fatalf("POST %s: %s to %q", path, resp.Status, resp.Header.Get("Location"))
		}
	}

	html := page()
	for _, want := range []string{"All Commerce B2B leads", `id="qualify-` + b2b + `"`, `id="disqualify-` + b2b + `"`,
		`action="/seller/leads/` + b2b + `/qualify"`, "PR-S1", "<button", "No open opportunities."} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if strings.Contains(html, plain) {
		t.Error("page lists a lead without a prospect ID")
	}

	press("/seller/leads/"+b2b+"/qualify", nil)
	press("/seller/leads/"+toDisqualify+"/disqualify", url.Values{"statuscode": {"6"}})
	waitDeliveries(t, st.Server, 3) // QualifyLead and an Update of each lead

	var lead map[string]any
	st.call(t, "GET", "/api/data/v9.2/leads("+toDisqualify+")?$select=statecode,statuscode", nil, &lead)
	if lead["statecode"] != 2.0 || lead["statuscode"] != 6.0 {
		t.Errorf("disqualified lead = %v", lead)
	}
	st.call(t, "GET", "/api/data/v9.2/leads("+b2b+")?$select=_qualifyingopportunityid_value", nil, &lead)
	oppID, _ := lead["_qualifyingopportunityid_value"].(string)
	if oppID == "" {
		t.Fatalf("qualified lead = %v", lead)
	}

	html = page()
	for _, want := range []string{"Open opportunities", `id="win-` + oppID + `"`, `id="lose-` + oppID + `"`, "Close as won", "Close as lost",
		`id="decided-lead-` + toDisqualify + `" data-state="Disqualified"`, "No Longer Interested",
		`id="decided-lead-` + b2b + `" data-state="Qualified"`, "No open Commerce B2B leads."} {
		if !strings.Contains(html, want) {
			t.Errorf("page after decisions lacks %s", want)
		}
	}

	press("/seller/opportunities/"+oppID+"/win", nil)
	d := waitDeliveries(t, st.Server, 5)
	messages := map[string]bool{}
	for _, x := range d {
		messages[x.MessageName+" "+x.EntityID] = true
	}
	for _, want := range []string{"QualifyLead " + b2b, "Update " + b2b, "Update " + toDisqualify, "Win " + oppID, "Update " + oppID} {
		if !messages[want] {
			t.Errorf("deliveries lack %s: %+v", want, d)
		}
	}
	if html := page(); !strings.Contains(html, `id="decided-opportunity-`+oppID+`" data-state="Won"`) {
		t.Error("page does not show the won opportunity")
	}

	// A decision on a closed record is refused with a reason, not redirected.
	resp, err := noRedirect.PostForm(st.http.URL+"/seller/opportunities/"+oppID+"/lose", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("lose a won opportunity: %s", resp.Status)
	}
}
