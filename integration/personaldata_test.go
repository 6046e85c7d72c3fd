package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/uuid"

	"github.com/partner-onboarding/onboarding/sales"
	"github.com/partner-onboarding/onboarding/workflows"
)

// requester is one requester's personal data, made unique to a test so that
// finding it anywhere can only mean this test's request put it there.
type requester struct {
	firstName, lastName, email, phone, street string
}

func newRequester(path string) requester {
	tag := uuid.NewString()[:8]
	return requester{
		firstName: "Philippa" + tag,
		lastName:  "Quennell" + tag,
		email:     "privacy-" + path + "-" + tag + "@partner.example",
		phone:     fmt.Sprintf("+49 30 %08d", rand.IntN(100_000_000)),
		street:    "Geheimweg " + tag,
	}
}

func (r requester) body() []byte {
	b, _ := json.Marshal(map[string]any{
		"company": map[string]any{
			"name":    "Fabrikam Tools GmbH",
			"address": map[string]string{"street": r.street, "city": "Köln", "postalCode": "50667", "countryCode": "DE"},
		},
		"requester": map[string]string{"firstName": r.firstName, "lastName": r.lastName, "email": r.email, "phone": r.phone},
		"locale":    "de-DE",
	})
	return b
}

// TestEngineStorageHoldsNoPersonalData runs the three paths (won, lost,
// disqualified) on the real dev server, then reads its database file: the
// requests' workflows are there, their requesters' data is not. The
// workflow carries the request's claim, its steps read the register.
func TestEngineStorageHoldsNoPersonalData(t *testing.T) {
	p := webhookProduct.get(t)
	ctx := context.Background()
	paths := map[string]func(t *testing.T, st workflows.State) workflows.Status{
		"won": func(t *testing.T, st workflows.State) workflows.Status {
			p.qualify(t, st.LeadID)
			return workflows.StatusApproved
		},
		"lost": func(t *testing.T, st workflows.State) workflows.Status {
			p.qualify(t, st.LeadID)
			return workflows.StatusRejected
		},
		"disqualified": func(t *testing.T, st workflows.State) workflows.Status {
			if err := p.sales.DisqualifyLead(ctx, st.LeadID, sales.LeadStatusNoLongerInterested); err != nil {
				t.Fatal(err)
			}
			return workflows.StatusRejected
		},
	}
	people := map[string]requester{}
	ids := map[string]string{}
	t.Run("paths", func(t *testing.T) {
		for name, decide := range paths {
			who := newRequester(name)
			people[name] = who
			a := p.post(t, who.body(), http.StatusAccepted)
			ids[name] = a.ID
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				r := submitted{id: a.ID, email: who.email}
				st := p.awaitStatus(t, r, workflows.StatusAwaitingQualification)
				final := decide(t, st)
				if final != workflows.StatusRejected || name == "lost" {
					st = p.awaitStatus(t, r, workflows.StatusQualified)
					var err error
					if name == "won" {
						err = p.sales.WinOpportunity(ctx, st.OpportunityID, "Partner contract signed")
					} else {
						err = p.sales.LoseOpportunity(ctx, st.OpportunityID, "Went with another supplier")
					}
					if err != nil {
						t.Fatal(err)
					}
				}
				p.awaitStatus(t, r, final)
				p.awaitCompletion(t, r)
				p.assertEmails(t, r, "receipt", map[bool]string{true: "welcome", false: "decline"}[name == "won"])
			})
		}
	})
	if t.Failed() {
		return
	}

	var stored []byte
	files, _ := filepath.Glob(filepath.Join(p.stack.DataDir, "temporal.db*"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		stored = append(stored, b...)
	}
	for name, who := range people {
		// The workflow is there: the search below reads the right file.
		if !bytes.Contains(stored, []byte(workflows.WorkflowID(ids[name]))) {
			t.Fatalf("%s: the dev server's database (%v) does not hold workflow %s", name, files, workflows.WorkflowID(ids[name]))
		}
		for what, value := range map[string]string{"email": who.email, "first name": who.firstName,
			"last name": who.lastName, "phone": who.phone, "street": who.street} {
			if bytes.Contains(stored, []byte(value)) {
				t.Errorf("%s: the dev server's database holds the requester's %s", name, what)
			}
		}
	}
}
