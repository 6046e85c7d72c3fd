package salesstandin

import (
	"bytes"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"
)

type errorBody struct {
	Error struct{ Code, Message string }
}

func TestThrottleAndFailFaults(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	leadID := st.createLead(t, b2bLead("PR-F1"))

	// Only POSTs to leads are throttled: the GET and the token, health and seller page pass.
	resp := st.call(t, http.MethodPost, "/standin/faults",
		map[string]any{"kind": "throttle", "count": 2, "retryAfter": "7s", "method": "post", "entitySet": "leads"}, nil)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("add throttle: %s", resp.Status)
	}
	if resp := st.call(t, http.MethodGet, "/api/data/v9.2/leads("+leadID+")", nil, nil); resp.StatusCode != 200 {
		t.Errorf("GET during a POST throttle: %s", resp.Status)
	}
	st.fetchToken(t)
	for _, path := range []string{"/healthz", "/"} {
		if resp, err := http.Get(st.http.URL + path); err != nil || resp.StatusCode != 200 {
			t.Errorf("%s during faults: %v, %v", path, resp.Status, err)
		}
	}
	for i := range 2 {
		var body errorBody
		resp := st.call(t, http.MethodPost, "/api/data/v9.2/leads", b2bLead("PR-F2"), &body)
		if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") != "7" ||
			body.Error.Code != "0x80072322" || body.Error.Message == "" {
			t.Errorf("throttled POST %d: %s Retry-After %q %+v", i+1, resp.Status, resp.Header.Get("Retry-After"), body)
		}
	}
	if resp := st.call(t, http.MethodPost, "/api/data/v9.2/leads", b2bLead("PR-F2"), nil); resp.StatusCode != http.StatusNoContent {
		t.Errorf("third POST after two throttled: %s", resp.Status)
	}

	// A failure with a Dataverse code, in process; then cleared before it is used up.
	if err := st.InjectFault(Fault{Kind: FaultFail, Count: 3, Status: 500, Code: "0x80040333",
		Message: "A record was not created or updated because a duplicate of the current record already exists."}); err != nil {
		t.Fatal(err)
	}
	var body errorBody
	resp = st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+leadID+")", map[string]any{"subject": "x"}, &body)
	if resp.StatusCode != 500 || body.Error.Code != "0x80040333" || !strings.Contains(body.Error.Message, "duplicate") {
		t.Errorf("failed PATCH: %s %+v", resp.Status, body)
	}
	if p := st.Faults().Pending; len(p) != 1 || p[0].Count != 2 {
		t.Errorf("pending = %+v, want the failure with 2 left", p)
	}
	if resp := st.call(t, http.MethodDelete, "/standin/faults", nil, nil); resp.StatusCode != 200 || len(st.Faults().Pending) != 0 {
		t.Errorf("clear: %s, pending %+v", resp.Status, st.Faults().Pending)
	}
	if resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+leadID+")", map[string]any{"subject": "x"}, nil); resp.StatusCode != 204 {
		t.Errorf("PATCH after clearing: %s", resp.Status)
	}

	for _, bad := range []string{
		`{"kind":"fail","count":1,"status":200}`,
		`{"kind":"throttle","count":0}`,
		`{"kind":"hold","count":1}`,
		`{"kind":"sometimes","count":1}`,
		`{"kind":"throttle","count":1,"retryAfter":"soon"}`,
		`[{"kind":"throttle","count":1},{"kind":"fail","count":1,"status":99}]`,
	} {
		resp, err := http.Post(st.http.URL+"/standin/faults", "application/json", strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: %s, want 400", bad, resp.Status)
		}
	}
	if p := st.Faults().Pending; len(p) != 0 {
		t.Errorf("a refused array left faults behind: %+v", p)
	}
}

func TestFailureAs401(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	if err := st.InjectFault(Fault{Kind: FaultFail, Count: 1, Status: 401, Code: codeUnauthorized}); err != nil {
		t.Fatal(err)
	}
	if resp := st.call(t, http.MethodGet, "/api/data/v9.2/leads", nil, nil); resp.StatusCode != 401 {
		t.Errorf("GET: %s, want 401", resp.Status)
	}
	if resp := st.call(t, http.MethodGet, "/api/data/v9.2/leads", nil, nil); resp.StatusCode != 200 {
		t.Errorf("GET after the fault: %s", resp.Status)
	}
}

func TestHeldCreateCommitsAfterTheClientGaveUp(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	if err := st.HoldLeadCreates(1, time.Minute); err != nil {
		t.Fatal(err)
	}
	chosen := "0f0f0f0f-0000-4000-8000-00000000000a"
	body, _ := json.Marshal(map[string]any{"leadid": chosen, "subject": "held", testProspect: "PR-H"})
	req, _ := http.NewRequest(http.MethodPost, st.http.URL+"/api/data/v9.2/leads", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+st.token)
	impatient := &http.Client{Timeout: 100 * time.Millisecond}
	if resp, err := impatient.Do(req); err == nil {
		resp.Body.Close()
		t.Fatalf("a held create answered %s before the hold ended", resp.Status)
	}
	if n := st.Faults().HeldCreates; n != 1 {
		t.Fatalf("held creates = %d, want 1", n)
	}
	if rows, _ := st.Rows(setLeads); len(rows) != 0 {
		t.Fatalf("the held create committed before the hold ended: %v", rows)
	}

	var released struct{ Released int }
	st.call(t, http.MethodPost, "/standin/faults/release", nil, &released)
	if released.Released != 1 {
		t.Errorf("released %d, want 1", released.Released)
	}
	poll(t, "the held create commits", func() bool { return st.Faults().HeldCreates == 0 })
	rows, _ := st.Rows(setLeads)
	if len(rows) != 1 || rows[0]["leadid"] != chosen {
		t.Errorf("leads = %v, want the held one", rows)
	}
	// Only the first create was held.
	if resp := st.call(t, http.MethodPost, "/api/data/v9.2/leads", b2bLead("PR-H2"), nil); resp.StatusCode != 204 {
		t.Errorf("next create: %s", resp.Status)
	}
}

func TestFaultsFromConfig(t *testing.T) {
	faults, err := ParseFaults([]byte(`[{"kind":"hold","count":2,"delay":"1m"},{"kind":"fail","count":1,"status":503,"entitySet":"WinOpportunity"}]`))
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{DataDir: t.TempDir(), ClientID: testClientID, ClientSecret: testClientSecret, Faults: faults,
		Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	p := s.Faults().Pending
	if len(p) != 2 || p[0].Delay != time.Minute || p[1].Status != 503 || p[1].Code != codeUnexpected {
		t.Errorf("pending = %+v", p)
	}
	text, _ := json.Marshal(p[0])
	if string(text) != `{"kind":"hold","count":2,"delay":"1m0s"}` {
		t.Errorf("hold as JSON = %s", text)
	}
	if _, err := New(Config{DataDir: t.TempDir(), ClientID: "a", ClientSecret: "b", Faults: []Fault{{Kind: "x", Count: 1}}}); err == nil {
		t.Error("New accepted an invalid fault")
	}
	if _, err := ParseFaults([]byte(`{"kind":"hold","count":1,"delay":"1s","extra":true}`)); err == nil {
		t.Error("ParseFaults accepted an unknown field")
	}
}

func TestLeadColumnLimits(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	leadID := st.createLead(t, b2bLead("PR-L"))
	for col, limit := range st.sets[setLeads].maxLength {
		// At the limit passes; one more is refused, on create and on update. A character outside
		// the BMP counts twice, as in .NET.
		atLimit := strings.Repeat("a", limit-2) + "😀"
		if resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+leadID+")", map[string]any{col: atLimit}, nil); resp.StatusCode != 204 {
			t.Errorf("%s at %d: %s", col, limit, resp.Status)
		}
		for _, method := range []string{http.MethodPost, http.MethodPatch} {
			path := "/api/data/v9.2/leads"
			if method == http.MethodPatch {
				path += "(" + leadID + ")"
			}
			var body errorBody
			resp := st.call(t, method, path, map[string]any{col: atLimit + "a"}, &body)
			want := "A validation error occurred.  The length of the '" + col + "' attribute of the 'lead' entity exceeded the maximum allowed length of '" +
				strconv.Itoa(limit) + "'."
			if resp.StatusCode != 400 || body.Error.Code != codeStringTooLong || body.Error.Message != want {
				t.Errorf("%s %s one over: %s %+v", method, col, resp.Status, body)
			}
		}
	}
	var body errorBody
	resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+leadID+")", map[string]any{"nosuchcolumn": "x"}, &body)
	if resp.StatusCode != 400 || !strings.Contains(body.Error.Message, "Invalid property 'nosuchcolumn' was found in entity 'Microsoft.Dynamics.CRM.lead'") {
		t.Errorf("unknown column: %s %+v", resp.Status, body)
	}
	for _, readOnly := range []string{"merged", "_masterid_value"} {
		if resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+leadID+")", map[string]any{readOnly: nil}, nil); resp.StatusCode != 400 {
			t.Errorf("setting %s: %s, want 400", readOnly, resp.Status)
		}
	}
}

func TestLookupLogicalNameAnnotation(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	_, _, opp := st.qualify(t, st.createLead(t, b2bLead("PR-A")))
	const annotation = "_customerid_value@Microsoft.Dynamics.CRM.lookuplogicalname"
	for _, tc := range []struct {
		prefer string
		want   bool
	}{
		{"", false},
		{`odata.include-annotations="*"`, true},
		{`odata.include-annotations="Microsoft.Dynamics.CRM.lookuplogicalname"`, true},
		{`return=representation,odata.include-annotations="OData.Community.Display.V1.FormattedValue,Microsoft.Dynamics.CRM.*"`, true},
		{`odata.include-annotations="OData.Community.Display.V1.FormattedValue"`, false},
	} {
		var got map[string]any
		var header []string
		if tc.prefer != "" {
			header = []string{"Prefer", tc.prefer}
		}
		resp := st.call(t, http.MethodGet, "/api/data/v9.2/opportunities("+opp+")?$select=_customerid_value,_parentaccountid_value", nil, &got, header...)
		_, has := got[annotation]
		if resp.StatusCode != 200 || has != tc.want || (tc.want && (got[annotation] != "account" ||
			got["_parentaccountid_value@Microsoft.Dynamics.CRM.lookuplogicalname"] != "account")) {
			t.Errorf("Prefer %q: %s %v", tc.prefer, resp.Status, got)
		}
		if applied := resp.Header.Get("Preference-Applied"); strings.HasPrefix(applied, "odata.include-annotations=") != tc.want {
			t.Errorf("Prefer %q: Preference-Applied %q", tc.prefer, applied)
		}
	}
}

func TestFaultControlListsPending(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	resp, err := http.Post(st.http.URL+"/standin/faults", "application/json",
		strings.NewReader(`{"kind":"throttle","count":1,"retryAfter":"2s"}`))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	resp, err = http.Get(st.http.URL + "/standin/faults")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	text, _ := io.ReadAll(resp.Body)
	want := `{"pending":[{"kind":"throttle","count":1,"retryAfter":"2s","status":429,"code":"0x80072322",` +
		`"message":"Number of requests exceeded the limit of 6000 over time window of 300 seconds."}],"heldCreates":0}`
	if strings.TrimSpace(string(text)) != want {
		t.Errorf("GET /standin/faults = %s\nwant %s", text, want)
	}
}
