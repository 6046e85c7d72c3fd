package integration

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/partner-onboarding/onboarding/workflows"
)

// chromium finds Debian's Chromium, which .ci/run installs.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{os.Getenv("CHROMIUM_BIN"), "chromium", "chromium-browser", "google-chrome"} {
		if name == "" {
			continue
		}
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	t.Skip("SKIPPED browser test: no Chromium found (install Debian's chromium package, or set CHROMIUM_BIN); " +
		"the seller page was not exercised in a browser")
	return ""
}

// TestSellerPageInBrowser is a seller's day: qualify the lead and close the
// opportunity as won by pressing the buttons of the stand-in's page in a
// real headless Chromium; the welcome email must arrive.
func TestSellerPageInBrowser(t *testing.T) {
	p := webhookProduct.get(t)
	browser := chromium(t)

	ctx, cancel := browserContext(t, browser)
	defer cancel()

	r := p.submit(t, "browser")
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	seller := p.stack.URLs().SellerPage

	if err := chromedp.Do(ctx, chromedp.Navigate(seller)); err != nil {
		t.Fatalf("open the seller page: %v", err)
	}
	leadRow, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#lead-"+st.LeadID)))
	if err != nil {
		t.Fatalf("the lead is not listed in the seller page: %v", err)
	}
	if !strings.Contains(leadRow, "Fabrikam Tools GmbH") {
		t.Errorf("the lead's row reads %q, want the company", leadRow)
	}
	err = chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#qualify-"+st.LeadID+" button")),
		chromedp.WaitVisible(chromedp.CSS("#decided-lead-"+st.LeadID)),
	)
	if err != nil {
		t.Fatalf("qualify in the seller page: %v", err)
	}

	st = p.awaitStatus(t, r, workflows.StatusQualified)
	err = chromedp.Do(ctx,
		chromedp.Navigate(seller),
		chromedp.Click(chromedp.CSS("#win-"+st.OpportunityID+" button")),
		chromedp.WaitVisible(chromedp.CSS("#decided-opportunity-"+st.OpportunityID)),
	)
	if err != nil {
		t.Fatalf("close as won in the seller page: %v", err)
	}

	p.awaitStatus(t, r, workflows.StatusApproved)
	p.awaitCompletion(t, r)
	p.assertEmails(t, r, "receipt", "welcome")
}
