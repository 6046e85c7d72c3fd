package saleshooks_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"
	"time"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/sales/webhook"
	"github.com/partner-onboarding/onboarding/saleshooks"
	"github.com/partner-onboarding/onboarding/workflows"
)

func TestInterpret(t *testing.T) {
	for _, tc := range []struct {
		file string
		want saleshooks.Decision
		ok   bool
	}{
		// QualifyLead carries no images: the prospect is found in Sales.
		{"qualifylead.json", saleshooks.Decision{Signal: workflows.SignalLeadQualified, LeadID: fileLead,
			OpportunityID: fileOpp, ContactID: fileContact, AccountID: fileAccount,
			EventID: "10000000-0000-4000-8000-000000000001"}, true},
		{"update-lead-qualified.json", saleshooks.Decision{Signal: workflows.SignalLeadQualified, LeadID: fileLead,
			OpportunityID: fileOpp, ProspectID: fileProspect, EventID: "10000000-0000-4000-8000-000000000002"}, true},
		{"update-lead-disqualified.json", saleshooks.Decision{Signal: workflows.SignalLeadDisqualified, LeadID: fileLead,
			ProspectID: fileProspect, EventID: "10000000-0000-4000-8000-000000000003"}, true},
		// No images: the receiver must ask Sales for the prospect.
		{"setstate-lead-disqualified.json", saleshooks.Decision{Signal: workflows.SignalLeadDisqualified, LeadID: fileLead,
			EventID: "10000000-0000-4000-8000-000000000004"}, true},
		{"win-opportunity.json", saleshooks.Decision{Signal: workflows.SignalOpportunityWon, OpportunityID: fileOpp,
			EventID: "10000000-0000-4000-8000-000000000005"}, true},
		// The primary record is the empty GUID; the OpportunityClose names the opportunity.
		{"lose-opportunity.json", saleshooks.Decision{Signal: workflows.SignalOpportunityLost, OpportunityID: fileOpp,
			EventID: "10000000-0000-4000-8000-000000000006"}, true},
		{"update-opportunity-won.json", saleshooks.Decision{Signal: workflows.SignalOpportunityWon, OpportunityID: fileOpp,
			LeadID: fileLead, EventID: "10000000-0000-4000-8000-000000000007"}, true},
		{"update-opportunity-lost.json", saleshooks.Decision{Signal: workflows.SignalOpportunityLost, OpportunityID: fileOpp,
			EventID: "10000000-0000-4000-8000-000000000008"}, true},
		{"setstate-opportunity-lost.json", saleshooks.Decision{Signal: workflows.SignalOpportunityLost, OpportunityID: fileOpp,
			LeadID: fileLead, EventID: "10000000-0000-4000-8000-000000000009"}, true},
		// A trimmed Win still names its decision and its opportunity; Sales knows the lead.
		{"trimmed-win.json", saleshooks.Decision{Signal: workflows.SignalOpportunityWon, OpportunityID: fileOpp,
			EventID: "10000000-0000-4000-8000-000000000015"}, true},
		// A trimmed QualifyLead names the lead; Sales knows the opportunity and the prospect.
		{"trimmed-qualifylead.json", saleshooks.Decision{Signal: workflows.SignalLeadQualified, LeadID: fileLead,
			EventID: "10000000-0000-4000-8000-000000000017"}, true},

		{"setstate-opportunity-reopen.json", saleshooks.Decision{}, false},
		// The images show a qualified lead, but this Update did not qualify it.
		{"update-lead-subject.json", saleshooks.Decision{}, false},
		{"create-account.json", saleshooks.Decision{}, false},
		{"update-contact.json", saleshooks.Decision{}, false},
		// A trimmed Update has lost its Target: which state it set is unknown, and the
		// workflow's own Sales check finds the decision instead.
		{"trimmed-update-lead.json", saleshooks.Decision{}, false},
		// A trimmed Lose without a primary record names no opportunity at all.
		{"trimmed-lose-no-primary.json", saleshooks.Decision{}, false},
	} {
		t.Run(tc.file, func(t *testing.T) {
			c, err := webhook.Decode(readBody(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, ok := saleshooks.Interpret(c, "")
			if ok != tc.ok || got != tc.want {
				t.Errorf("Interpret = %+v, %v\nwant        %+v, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestInterpretProspectIDColumn(t *testing.T) {
	body := bodyWith(t, "update-lead-disqualified.json", "new_commerceprospectid", "contoso_b2bprospect")
	c, err := webhook.Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := saleshooks.Interpret(c, "contoso_b2bprospect"); !ok || d.ProspectID != fileProspect {
		t.Errorf("with the configured column: %+v, %v", d, ok)
	}
	if d, ok := saleshooks.Interpret(c, ""); !ok || d.ProspectID != "" {
		t.Errorf("with the default column: %+v, %v; want no prospect ID", d, ok)
	}
}

// TestInterpretStandinBodies checks that what the stand-in sends is what the
// receiver understands, decision by decision.
func TestInterpretStandinBodies(t *testing.T) {
	bodies := make(chan []byte, 8)
	capture := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		if r.URL.Query().Get("code") != "hook-key" || r.Header.Get(webhook.HeaderRequestName) == "" {
			t.Errorf("webhook without key or Dataverse headers: %s %v", r.URL, r.Header)
		}
		bodies <- b
	}))
	defer capture.Close()
	_, _, c := standin(t, capture.URL, "hook-key")
	ctx := context.Background()

	// collect waits for the webhooks of the given messages ("QualifyLead
	// lead", ...); any other webhook that comes meanwhile (an Update a step on
	// Update also sends) must carry the same decision.
	collect := func(signal string, keys ...string) map[string]saleshooks.Decision {
		t.Helper()
		got := map[string]saleshooks.Decision{}
		for missing := len(keys); missing > 0; {
			select {
			case b := <-bodies:
				wc, err := webhook.Decode(b)
				if err != nil {
					t.Fatalf("stand-in body: %v\n%s", err, b)
				}
				d, ok := saleshooks.Interpret(wc, "")
				if !ok {
					t.Fatalf("stand-in body not understood:\n%s", b)
				}
				if d.Signal != signal || d.EventID == "" {
					t.Errorf("%s %s: %+v, want %s with an event ID", wc.MessageName, wc.PrimaryEntityName, d, signal)
				}
				key := wc.MessageName + " " + wc.PrimaryEntityName
				if slices.Contains(keys, key) {
					if _, seen := got[key]; !seen {
						missing--
					}
				}
				got[key] = d
			case <-time.After(10 * time.Second):
				t.Fatalf("webhooks %v: only %v came", keys, got)
			}
		}
		return got
	}

	prospect := "0b6f3d2e-7a1c-4e8b-9d5f-2c4a6e8b0d1f"
	lead := newLead(t, c, prospect)
	q, err := c.QualifyLead(ctx, lead)
	if err != nil {
		t.Fatal(err)
	}
	got := collect(workflows.SignalLeadQualified, "QualifyLead lead", "Update lead")
	// QualifyLead carries no images, so no prospect; the Update's images have it.
	d := got["QualifyLead lead"]
	want := saleshooks.Decision{Signal: workflows.SignalLeadQualified, LeadID: lead, OpportunityID: q.OpportunityID,
		ContactID: q.ContactID, AccountID: q.AccountID, EventID: d.EventID}
	if d != want {
		t.Errorf("qualified: %+v\nwant      %+v", d, want)
	}
	if u := got["Update lead"]; u.LeadID != lead || u.ProspectID != prospect || u.OpportunityID != q.OpportunityID {
		t.Errorf("qualified (Update): %+v", u)
	}

	if err := c.WinOpportunity(ctx, q.OpportunityID, "Framework agreement signed"); err != nil {
		t.Fatal(err)
	}
	d = collect(workflows.SignalOpportunityWon, "Win opportunity", "Update opportunity")["Win opportunity"]
	want = saleshooks.Decision{Signal: workflows.SignalOpportunityWon, OpportunityID: q.OpportunityID, EventID: d.EventID}
	if d != want {
		t.Errorf("won: %+v\nwant %+v", d, want)
	}

	other := "5e7c9a1b-3d2f-4b6a-8e0c-1f3a5c7e9b2d"
	lead2 := newLead(t, c, other)
	if err := c.DisqualifyLead(ctx, lead2, sales.LeadStatusNoLongerInterested); err != nil {
		t.Fatal(err)
	}
	d = collect(workflows.SignalLeadDisqualified, "Update lead")["Update lead"]
	want = saleshooks.Decision{Signal: workflows.SignalLeadDisqualified, LeadID: lead2, ProspectID: other, EventID: d.EventID}
	if d != want {
		t.Errorf("disqualified: %+v\nwant %+v", d, want)
	}
}
