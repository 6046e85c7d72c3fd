package salesstandin

import (
	"net/http"
	"strings"
	"testing"
)

func TestWebhookModes(t *testing.T) {
	t.Run("drop", func(t *testing.T) {
		hooks := newHookReceiver(t)
		st := startStandin(t, t.TempDir(), hooks.URL)
		if err := st.SetWebhookMode(WebhookDrop); err != nil {
			t.Fatal(err)
		}
		st.qualify(t, st.createLead(t, b2bLead("prospect-drop")))

		d := waitDeliveries(t, st.Server, 2)
		for _, x := range d {
			if !x.Dropped || x.Attempts != 0 {
				t.Errorf("delivery = %+v, want dropped without an attempt", x)
			}
		}
		if n := len(hooks.received()); n != 0 {
			t.Errorf("receiver got %d webhooks, want none", n)
		}
	})

	t.Run("repeat", func(t *testing.T) {
		hooks := newHookReceiver(t)
		st := startStandin(t, t.TempDir(), hooks.URL)
		if err := st.SetWebhookMode(WebhookRepeat); err != nil {
			t.Fatal(err)
		}
		st.qualify(t, st.createLead(t, b2bLead("prospect-repeat")))

		waitDeliveries(t, st.Server, 4) // QualifyLead and the lead's Update, each twice
		got := hooks.received()
		if len(got) != 4 || got[0].context.MessageName != "QualifyLead" || got[2].context.MessageName != "Update" {
			t.Fatalf("got %d webhooks, want QualifyLead twice, then the Update twice", len(got))
		}
		// A receiver recognises the repeat: the same bytes, so the same OperationId.
		for _, i := range []int{0, 2} {
			if string(got[i].body) != string(got[i+1].body) || got[i].context.OperationId == "" {
				t.Errorf("%s sent twice differs:\n%s\n%s", got[i].context.MessageName, got[i].body, got[i+1].body)
			}
		}
		if got[0].context.OperationId == got[2].context.OperationId {
			t.Error("QualifyLead and the Update share an OperationId")
		}
	})

	t.Run("hold and release in reverse", func(t *testing.T) {
		hooks := newHookReceiver(t)
		st := startStandin(t, t.TempDir(), hooks.URL)
		resp := st.call(t, http.MethodPut, "/standin/webhooks/mode", map[string]string{"mode": "hold"}, nil)
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("set mode: %s", resp.Status)
		}
		_, _, opp := st.qualify(t, st.createLead(t, b2bLead("prospect-hold")))
		resp = st.call(t, http.MethodPost, "/api/data/v9.2/WinOpportunity", map[string]any{
			"Status": 3, "OpportunityClose": map[string]any{"subject": "won", "opportunityid@odata.bind": "/opportunities(" + opp + ")"},
		}, nil)
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("win: %s", resp.Status)
		}
		if n := len(hooks.received()); n != 0 {
			t.Fatalf("receiver got %d webhooks while they are held", n)
		}

		var released struct{ Released int }
		st.call(t, http.MethodPost, "/standin/webhooks/release?order=reverse", nil, &released)
		if released.Released != 4 {
			t.Fatalf("released %d webhooks, want 4: QualifyLead, Win and an Update after each", released.Released)
		}
		waitDeliveries(t, st.Server, 4)
		var order []string
		for _, h := range hooks.received() {
			order = append(order, h.context.MessageName+" "+h.context.PrimaryEntityName)
		}
		if want := "Update opportunity,Win opportunity,Update lead,QualifyLead lead"; strings.Join(order, ",") != want {
			t.Errorf("order = %v, want %s", order, want)
		}
	})

	t.Run("unknown mode", func(t *testing.T) {
		st := startStandin(t, t.TempDir(), "")
		resp := st.call(t, http.MethodPut, "/standin/webhooks/mode", map[string]string{"mode": "sometimes"}, nil)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unknown mode answered %s, want 400", resp.Status)
		}
	})
}
