package salesstandin

import (
	"net/http"
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

		d := waitDeliveries(t, st.Server, 1)
		if !d[0].Dropped || d[0].Attempts != 0 {
			t.Errorf("delivery = %+v, want dropped without an attempt", d[0])
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

		waitDeliveries(t, st.Server, 2)
		got := hooks.received()
		if len(got) != 2 || got[0].context.RequestId != got[1].context.RequestId {
			t.Fatalf("got %d webhooks, want the same one twice", len(got))
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
		if released.Released != 2 {
			t.Fatalf("released %d webhooks, want 2", released.Released)
		}
		waitDeliveries(t, st.Server, 2)
		got := hooks.received()
		if got[0].context.MessageName != "Win" || got[1].context.MessageName != "QualifyLead" {
			t.Errorf("order = %s, %s; want Win before QualifyLead", got[0].context.MessageName, got[1].context.MessageName)
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
