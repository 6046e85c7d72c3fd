package integration

import (
	"context"
	"flag"
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

// TestWebUIListsRequestsThatNeedAttention is what operations do first: open
// the Temporal Web UI's workflow list filtered on OnboardingStatus =
// "NeedsAttention" and find the request there.
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
		root, err := stack.FindRepoRoot()
		if err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(root, "docs", "needs-attention.png")
		if err := os.WriteFile(path, shot, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
	}

	// Operations' first action: abandon the request, or retry it, from here.
	if out, err := p.starterCLI(t, "abandon", r.id, "-reason", "the company name cannot be shortened"); err != nil {
		t.Fatalf("abandon: %v\n%s", err, out)
	}
	p.awaitCompletion(t, r)
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
