package integration

import (
	"context"
	"flag"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/partner-onboarding/onboarding/stack"
	"github.com/partner-onboarding/onboarding/workflows"
)

var updateScreenshots = flag.Bool("update-screenshots", false, "save the Web UI screenshots that README shows under docs/")

// webUIProduct runs the Temporal Web UI, for the browser tests that look at it.
var webUIProduct = lazyProduct{env: map[string]string{"SALES_CHECK_INTERVAL": "1h"}, webUI: true}

// TestWebUIListsRequestsThatNeedAttention is what operations do in the
// Temporal Web UI: open the workflow list filtered on OnboardingStatus =
// "NeedsAttention", find the request there, and correct its data with the
// correct-request Update from the workflow's page.
func TestWebUIListsRequestsThatNeedAttention(t *testing.T) {
	browser := chromium(t)
	p := webUIProduct.get(t)
	p.injectFault(t, `{"kind":"fail","count":1,"method":"POST","entitySet":"leads","status":400,"code":"0x80044331",`+
		`"message":"A validation error occurred. The length of the 'companyname' attribute of the 'lead' entity exceeded the maximum allowed length."}`)
	defer p.clearFaults(t)
	r := p.submit(t, "webui")
	p.awaitStatus(t, r, workflows.StatusNeedsAttention)
	p.assertSearchAttribute(t, r, workflows.StatusNeedsAttention)

	ctx, cancel := browserContext(t, browser)
	defer cancel()
	list := p.stack.URLs().TemporalUI + "namespaces/" + stack.Namespace + "/workflows?query=" +
		url.QueryEscape(`OnboardingStatus="NeedsAttention"`)
	err := chromedp.Do(ctx,
		chromedp.EmulateViewport(1440, 900),
		chromedp.Navigate(list),
		chromedp.WaitVisible(`//a[contains(., "`+workflows.WorkflowID(r.id)+`")]`),
	)
	if err != nil {
		t.Fatalf("the filtered workflow list does not show %s: %v", workflows.WorkflowID(r.id), err)
	}
	// Let the list settle for the picture; the test itself waited above.
	if err := chromedp.Do(ctx, chromedp.Sleep(time.Second)); err != nil {
		t.Fatal(err)
	}
	shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatal(err)
	}
	if *updateScreenshots {
		saveScreenshot(t, "needs-attention.png", shot)
	}

	// The workflow's page offers the operators' Updates: More Actions,
	// Send an Update lists correct-request and abandon, with their inputs.
	page := p.stack.URLs().TemporalUI + "namespaces/" + stack.Namespace + "/workflows/" + workflows.WorkflowID(r.id)
	if err := chromedp.Do(ctx, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	clickWhenThere(t, ctx, `[...document.querySelectorAll("button[aria-controls=workflow-actions]")].find(b => b.offsetParent)`)
	clickWhenThere(t, ctx, `[...document.querySelectorAll("[role=menuitem]")].find(m => m.textContent.includes("Send an Update") && m.offsetParent)`)
	for _, update := range []string{workflows.UpdateCorrectRequest, workflows.UpdateAbandon} {
		poll(t, "the Web UI to offer the "+update+" Update", func() (bool, string) {
			offered, err := chromedp.Run(ctx, chromedp.Evaluate[bool](
				`[...document.querySelectorAll("#update-select-select [role=option]")].some(o => o.textContent.trim().startsWith("`+update+`"))`))
			return err == nil && offered, fmt.Sprint(err)
		})
	}

	// The correction itself, as the Update the Web UI sends.
	if out, err := p.temporalCLI(t, "workflow", "update", "execute", "--workflow-id", workflows.WorkflowID(r.id),
		"--name", workflows.UpdateCorrectRequest, "--input", `{"company":{"name":"Fabrikam Tools"},"operator":"ops"}`); err != nil {
		t.Fatalf("correct-request: %v\n%s", err, out)
	}
	st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
	lead, err := p.sales.GetLead(context.Background(), st.LeadID)
	if err != nil || lead.CompanyName != "Fabrikam Tools" {
		t.Errorf("company of the lead = %q, %v; want the corrected name", lead.CompanyName, err)
	}
	if out, err := p.starterCLI(t, "abandon", r.id, "-reason", "test over"); err != nil {
		t.Fatalf("abandon: %v\n%s", err, out)
	}
	p.awaitCompletion(t, r)
}

// clickWhenThere polls until the JavaScript expression finds an element,
// then clicks it: the Web UI renders menus and dialogs as data arrives.
func clickWhenThere(t *testing.T, ctx context.Context, element string) {
	t.Helper()
	poll(t, "the Web UI to show "+element, func() (bool, string) {
		clicked, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const e = `+element+`; if (!e) return false; e.click(); return true })()`))
		if err != nil {
			return false, err.Error()
		}
		return clicked, "not there yet"
	})
}

func saveScreenshot(t *testing.T, name string, png []byte) {
	t.Helper()
	root, err := stack.FindRepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, "docs", name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("wrote %s", path)
}

// browserContext starts a headless Chromium with the flags this machine
// needs, skipping the test where it cannot run.
func browserContext(t *testing.T, browser string) (context.Context, context.CancelFunc) {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:0:0],
		chromedp.ExecPath(browser),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
	)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	// The first action starts the browser, which lives as long as its
	// context: only later actions get a deadline.
	if err := chromedp.Do(browserCtx, chromedp.Navigate("about:blank")); err != nil {
		cancelBrowser()
		cancelAlloc()
		t.Skipf("SKIPPED browser test: Chromium at %s cannot run here: %v", browser, err)
	}
	ctx, cancelTimeout := context.WithTimeout(browserCtx, 3*time.Minute)
	return ctx, func() { cancelTimeout(); cancelBrowser(); cancelAlloc() }
}
