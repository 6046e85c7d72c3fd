package salesstandin

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestTokens(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")

	// Credentials in the form work as well as in basic auth.
	resp, err := http.PostForm(st.http.URL+"/t/oauth2/v2.0/token", url.Values{
		"grant_type": {"client_credentials"}, "client_id": {testClientID}, "client_secret": {testClientSecret},
		"scope": {"https://org.crm.dynamics.com/.default"},
	})
	if err != nil {
		t.Fatal(err)
	}
	var tok struct {
		TokenType   string `json:"token_type"`
		ExpiresIn   int    `json:"expires_in"`
		AccessToken string `json:"access_token"`
	}
	json.NewDecoder(resp.Body).Decode(&tok)
	resp.Body.Close()
	if resp.StatusCode != 200 || tok.TokenType != "Bearer" || tok.ExpiresIn != 3599 || tok.AccessToken == "" {
		t.Fatalf("form token: %s %+v", resp.Status, tok)
	}

	for _, tc := range []struct {
		name, id, secret string
		status           int
		code             string
	}{
		{"wrong secret", testClientID, "nope", 401, "invalid_client"},
		{"unknown client", "someone-else", testClientSecret, 400, "unauthorized_client"},
	} {
		cfg := clientcredentials.Config{ClientID: tc.id, ClientSecret: tc.secret, TokenURL: st.http.URL + "/t/oauth2/v2.0/token"}
		_, err := cfg.Token(context.Background())
		var re *oauth2.RetrieveError
		if !errors.As(err, &re) || re.Response.StatusCode != tc.status || re.ErrorCode != tc.code {
			t.Errorf("%s: %v", tc.name, err)
		}
	}

	for name, auth := range map[string]string{"none": "", "forged": "Bearer standin.99999999999.forged", "basic": "Basic eDp5"} {
		req, _ := http.NewRequest("GET", st.http.URL+"/api/data/v9.2/leads", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		var body struct {
			Error struct{ Code, Message string }
		}
		json.NewDecoder(resp.Body).Decode(&body)
		resp.Body.Close()
		if resp.StatusCode != 401 || body.Error.Code == "" {
			t.Errorf("%s: %s %+v", name, resp.Status, body)
		}
	}

	st.token = tok.AccessToken
	if resp := st.call(t, "GET", "/api/data/v9.2/leads", nil, nil); resp.StatusCode != 200 || resp.Header.Get("OData-Version") != "4.0" {
		t.Errorf("with token: %s %v", resp.Status, resp.Header)
	}
	if resp, _ := http.Get(st.http.URL + "/healthz"); resp.StatusCode != 200 {
		t.Errorf("healthz: %s", resp.Status)
	}
}

func TestLeads(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	first := st.createLead(t, b2bLead("PR-1"))
	other := map[string]any{"subject": "Walk-in", "lastname": "Other", "companyname": "Elsewhere"}
	plain := st.createLead(t, other)

	// return=representation answers 201 with the row.
	var created map[string]any
	resp := st.call(t, "POST", "/api/data/v9.2/leads?$select=leadid,subject,statecode", b2bLead("PR-2"), &created, "Prefer", "return=representation")
	if resp.StatusCode != 201 || created["subject"] != "Partner sign-up: Contoso Retail" || created["statecode"] != 0.0 {
		t.Fatalf("create with representation: %s %v", resp.Status, created)
	}
	if h := resp.Header.Get("OData-EntityId"); h != "" {
		t.Errorf("a create answered with the record sent OData-EntityId %q; Dataverse sends none", h)
	}
	if _, extra := created["firstname"]; extra {
		t.Error("$select not applied on create")
	}
	second := created["leadid"].(string)

	var lead map[string]any
	resp = st.call(t, "GET", "/api/data/v9.2/leads("+first+")?$select=fullname,statecode,statuscode,"+testProspect, nil, &lead)
	if resp.StatusCode != 200 || lead["fullname"] != "Avery Example" || lead["statuscode"] != 1.0 || lead[testProspect] != "PR-1" || lead["leadid"] != first {
		t.Fatalf("get lead: %s %v", resp.Status, lead)
	}
	if _, extra := lead["emailaddress1"]; extra {
		t.Error("$select not applied")
	}
	if !strings.HasSuffix(lead["@odata.context"].(string), "$metadata#leads(fullname,statecode,statuscode,"+testProspect+")/$entity") {
		t.Errorf("@odata.context = %v", lead["@odata.context"])
	}

	ids := func(query string) []string {
		t.Helper()
		var out struct {
			Context string           `json:"@odata.context"`
			Value   []map[string]any `json:"value"`
		}
		resp := st.call(t, "GET", "/api/data/v9.2/leads?"+query, nil, &out)
		if resp.StatusCode != 200 || out.Context == "" {
			t.Fatalf("%s: %s", query, resp.Status)
		}
		var ids []string
		for _, v := range out.Value {
			ids = append(ids, v["leadid"].(string))
		}
		return ids
	}
	q := url.Values{"$filter": {testProspect + " eq 'PR-1'"}, "$select": {"leadid"}}
	if got := ids(q.Encode()); len(got) != 1 || got[0] != first {
		t.Errorf("eq string: %v", got)
	}
	q = url.Values{"$filter": {testProspect + " ne null and statecode eq 0"}}
	if got := ids(q.Encode()); len(got) != 2 || !slices.Contains(got, first) || !slices.Contains(got, second) {
		t.Errorf("ne null and eq int: %v", got)
	}
	q = url.Values{"$filter": {testProspect + " eq null"}}
	if got := ids(q.Encode()); len(got) != 1 || got[0] != plain {
		t.Errorf("eq null: %v", got)
	}
	q = url.Values{"$filter": {"statecode eq 0"}, "$top": {"1"}}
	if got := ids(q.Encode()); len(got) != 1 {
		t.Errorf("$top: %v", got)
	}
	q = url.Values{"$filter": {"leadid eq " + strings.ToUpper(first)}}
	if got := ids(q.Encode()); len(got) != 1 || got[0] != first {
		t.Errorf("guid literal: %v", got)
	}
	q = url.Values{"$filter": {"subject eq 'O''Brien'"}}
	if got := ids(q.Encode()); len(got) != 0 {
		t.Errorf("escaped quote: %v", got)
	}

	if resp := st.call(t, "PATCH", "/api/data/v9.2/leads("+first+")", map[string]any{"subject": "Renamed", "lastname": "Sample"}, nil); resp.StatusCode != 204 {
		t.Fatalf("patch: %s", resp.Status)
	}
	st.call(t, "GET", "/api/data/v9.2/leads("+first+")", nil, &lead)
	if lead["subject"] != "Renamed" || lead["fullname"] != "Avery Sample" || lead["statecode"] != 0.0 {
		t.Errorf("after patch: %v", lead)
	}

	// Upsert: PATCH to an unknown ID creates, unless If-Match: * says it must exist.
	chosen := "0f0f0f0f-0000-4000-8000-000000000001"
	if resp := st.call(t, "PATCH", "/api/data/v9.2/leads("+chosen+")", b2bLead("PR-3"), nil, "If-Match", "*"); resp.StatusCode != 404 {
		t.Errorf("If-Match upsert: %s", resp.Status)
	}
	if resp := st.call(t, "PATCH", "/api/data/v9.2/leads("+chosen+")", b2bLead("PR-3"), nil); resp.StatusCode != 204 {
		t.Errorf("upsert: %s", resp.Status)
	}
	if resp := st.call(t, "POST", "/api/data/v9.2/leads", map[string]any{"leadid": chosen, "subject": "again"}, nil); resp.StatusCode != 412 {
		t.Errorf("duplicate id: %s", resp.Status)
	}

	for _, tc := range []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{"GET", "/api/data/v9.2/leads(00000000-0000-4000-8000-00000000dead)", nil, 404, codeNotFound},
		{"GET", "/api/data/v9.2/leads?$select=nosuchcolumn", nil, 400, codeBadQuery},
		{"GET", "/api/data/v9.2/leads?$filter=" + url.QueryEscape("contains(subject,'x')"), nil, 400, codeBadQuery},
		{"GET", "/api/data/v9.2/leads(not-a-guid)", nil, 400, codeBadQuery},
		{"GET", "/api/data/v9.2/widgets", nil, 404, codeUnknownSegment},
		{"POST", "/api/data/v9.2/leads", map[string]any{"nosuchcolumn": "x"}, 400, codeBadQuery},
		{"POST", "/api/data/v9.2/leads", map[string]any{"statecode": 1}, 400, codeInvalidArgument},
		{"PATCH", "/api/data/v9.2/leads(" + first + ")", map[string]any{"statecode": 1, "statuscode": 3}, 400, codeInvalidArgument},
		{"PATCH", "/api/data/v9.2/leads(" + first + ")", map[string]any{"statecode": 2, "statuscode": 3}, 400, codeInvalidArgument},
	} {
		var body struct {
			Error struct{ Code, Message string }
		}
		resp := st.call(t, tc.method, tc.path, tc.body, &body)
		if resp.StatusCode != tc.status || body.Error.Code != tc.code || body.Error.Message == "" {
			t.Errorf("%s %s: %s %+v", tc.method, tc.path, resp.Status, body)
		}
	}
}

func TestQualifyLeadFiresWebhook(t *testing.T) {
	hooks := newHookReceiver(t)
	st := startStandin(t, t.TempDir(), hooks.URL+"/v1/hooks/dataverse")
	leadID := st.createLead(t, b2bLead("PR-7"))
	accountID, contactID, opportunityID := st.qualify(t, leadID)

	var account, contact, opp, lead map[string]any
	st.call(t, "GET", "/api/data/v9.2/accounts("+accountID+")", nil, &account)
	st.call(t, "GET", "/api/data/v9.2/contacts("+contactID+")?$select=emailaddress1,_parentcustomerid_value", nil, &contact)
	st.call(t, "GET", "/api/data/v9.2/opportunities("+opportunityID+")", nil, &opp)
	st.call(t, "GET", "/api/data/v9.2/leads("+leadID+")", nil, &lead)
	if account["name"] != "Contoso Retail" || account["address1_city"] != "Springfield" {
		t.Errorf("account = %v", account)
	}
	if contact["emailaddress1"] != "avery@example.com" || contact["_parentcustomerid_value"] != accountID {
		t.Errorf("contact = %v", contact)
	}
	if opp["statecode"] != 0.0 || opp["statuscode"] != 1.0 || opp["_originatingleadid_value"] != leadID ||
		opp["_parentaccountid_value"] != accountID || opp["_parentcontactid_value"] != contactID || opp["_customerid_value"] != accountID {
		t.Errorf("opportunity = %v", opp)
	}
	if lead["statecode"] != 1.0 || lead["statuscode"] != 3.0 || lead["_qualifyingopportunityid_value"] != opportunityID {
		t.Errorf("lead = %v", lead)
	}

	d := waitDeliveries(t, st.Server, 2)
	if d[0].MessageName != "QualifyLead" || d[0].EntityID != leadID || d[0].StatusCode != 200 || d[0].Attempts != 1 {
		t.Errorf("delivery = %+v", d[0])
	}
	if d[1].MessageName != "Update" || d[1].EntityName != "lead" || d[1].EntityID != leadID || d[1].CorrelationID != d[0].CorrelationID {
		t.Errorf("second delivery = %+v, want the lead's Update in the same correlation", d[1])
	}
	got := hookFor(t, hooks, "QualifyLead", leadID)
	if got.query.Get("code") != testWebhookKey {
		t.Errorf("code = %q", got.query.Get("code"))
	}
	for header, want := range map[string]string{
		"x-ms-dynamics-organization": "standin", "x-ms-dynamics-entity-name": "lead",
		"x-ms-dynamics-request-name": "QualifyLead", "x-ms-correlation-request-id": got.context.CorrelationId,
		"Content-Type": "application/json",
	} {
		if got.header.Get(header) != want {
			t.Errorf("header %s = %q, want %q", header, got.header.Get(header), want)
		}
	}
	c := got.context
	if c.MessageName != "QualifyLead" || c.PrimaryEntityName != "lead" || c.PrimaryEntityId != leadID ||
		c.Stage != 40 || c.Mode != 1 || c.OperationCreatedOn.IsZero() || c.OperationId == "" ||
		c.OrganizationId == "" || c.UserId == "" || c.BusinessUnitId == "" || c.OwningExtension.Id == "" {
		t.Errorf("context = %+v", c)
	}
	if ref, ok := c.InputParameters.EntityReference("LeadId"); !ok || ref.Id != leadID {
		t.Errorf("LeadId = %+v", ref)
	}
	if status, _ := c.InputParameters.OptionSetValue("Status"); status != 3 {
		t.Errorf("Status = %d", status)
	}
	if b, _ := c.InputParameters.Bool("CreateOpportunity"); !b {
		t.Error("CreateOpportunity not true")
	}
	refs := c.OutputParameters.EntityReferences("CreatedEntities")
	if len(refs) != 3 || refs[0].Id != accountID || refs[1].Id != contactID || refs[2].Id != opportunityID || refs[2].LogicalName != "opportunity" {
		t.Errorf("CreatedEntities = %+v", refs)
	}
	// Dataverse offers no images for QualifyLead; the RequestId of an asynchronous step is null.
	if len(c.PreEntityImages)+len(c.PostEntityImages) != 0 {
		t.Errorf("QualifyLead carries images: pre %v, post %v", c.PreEntityImages.Keys(), c.PostEntityImages.Keys())
	}
	if !strings.Contains(string(got.body), `"RequestId":null`) || c.RequestId != "" {
		t.Errorf("RequestId = %q, want null in the body", c.RequestId)
	}

	// The lead's Update that follows has its images, before and after.
	u := hookFor(t, hooks, "Update", leadID).context
	target, _ := u.Target()
	if v, _ := target.OptionSetValue("statecode"); v != 1 {
		t.Errorf("Update Target statecode = %d, want 1", v)
	}
	if v, _ := target.OptionSetValue("statuscode"); v != 3 {
		t.Errorf("Update Target statuscode = %d, want 3", v)
	}
	pre, _ := u.PreImage("PreImage")
	if v, ok := pre.OptionSetValue("statecode"); !ok || v != 0 {
		t.Errorf("PreImage statecode = %d, %v; want 0", v, ok)
	}
	image, ok := u.PostImage("PostImage")
	if !ok {
		t.Fatal("no PostImage on the lead's Update")
	}
	if v, _ := image.OptionSetValue("statecode"); v != 1 {
		t.Errorf("image statecode = %d", v)
	}
	if v, _ := image.String(testProspect); v != "PR-7" {
		t.Errorf("image prospect = %q", v)
	}
	if ref, _ := image.EntityReference("qualifyingopportunityid"); ref.Id != opportunityID {
		t.Errorf("image qualifyingopportunityid = %+v", ref)
	}
	if _, ok := image.String("emailaddress1"); ok {
		t.Error("image carries personal data")
	}

	var body struct {
		Error struct{ Code, Message string }
	}
	resp := st.call(t, "POST", "/api/data/v9.2/leads("+leadID+")/Microsoft.Dynamics.CRM.QualifyLead",
		map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}, &body)
	if resp.StatusCode != 400 || !strings.Contains(body.Error.Message, "not open") {
		t.Errorf("qualify twice: %s %+v", resp.Status, body)
	}
}

func TestDisqualifyFiresUpdateWebhook(t *testing.T) {
	hooks := newHookReceiver(t)
	st := startStandin(t, t.TempDir(), hooks.URL)
	leadID := st.createLead(t, b2bLead("PR-8"))
	if resp := st.call(t, "PATCH", "/api/data/v9.2/leads("+leadID+")", map[string]any{"statecode": 2, "statuscode": 6}, nil); resp.StatusCode != 204 {
		t.Fatalf("disqualify: %s", resp.Status)
	}
	d := waitDeliveries(t, st.Server, 1)
	if d[0].MessageName != "Update" || d[0].EntityName != "lead" {
		t.Errorf("delivery = %+v", d[0])
	}
	c := lastHook(t, hooks).context
	target, ok := c.Target()
	if !ok || target.Id != leadID {
		t.Fatalf("Target = %+v", target)
	}
	if s, _ := target.OptionSetValue("statecode"); s != 2 {
		t.Errorf("statecode = %d", s)
	}
	if s, _ := target.OptionSetValue("statuscode"); s != 6 {
		t.Errorf("statuscode = %d", s)
	}
	pre, _ := c.PreImage("PreImage")
	post, _ := c.PostImage("PostImage")
	if s, _ := pre.OptionSetValue("statecode"); s != 0 {
		t.Errorf("pre statecode = %d", s)
	}
	if p, _ := post.String(testProspect); p != "PR-8" {
		t.Errorf("post prospect = %q", p)
	}

	// A PATCH that changes no state fires nothing; qualifying a disqualified lead is refused.
	st.call(t, "PATCH", "/api/data/v9.2/leads("+leadID+")", map[string]any{"description": "note"}, nil)
	resp := st.call(t, "POST", "/api/data/v9.2/leads("+leadID+")/Microsoft.Dynamics.CRM.QualifyLead",
		map[string]any{"CreateAccount": true, "CreateContact": true, "CreateOpportunity": true, "Status": 3}, nil)
	if resp.StatusCode != 400 {
		t.Errorf("qualify disqualified: %s", resp.Status)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	if n := len(st.Deliveries()); n != 1 {
		t.Errorf("%d deliveries, want 1", n)
	}
}

func TestWinAndLoseFireWebhooks(t *testing.T) {
	hooks := newHookReceiver(t)
	st := startStandin(t, t.TempDir(), hooks.URL)
	wonLead := st.createLead(t, b2bLead("PR-9"))
	_, _, won := st.qualify(t, wonLead)
	_, _, lost := st.qualify(t, st.createLead(t, b2bLead("PR-10")))
	waitDeliveries(t, st.Server, 4) // QualifyLead and the lead's Update, twice

	var open struct{ Value []map[string]any }
	st.call(t, "GET", "/api/data/v9.2/opportunities?$filter="+url.QueryEscape("statecode eq 0"), nil, &open)
	if len(open.Value) != 2 {
		t.Fatalf("open opportunities = %v", open.Value)
	}

	closeBody := func(id string, status int) map[string]any {
		return map[string]any{"Status": status, "OpportunityClose": map[string]any{
			"subject": "decided", "opportunityid@odata.bind": "/opportunities(" + id + ")"}}
	}
	if resp := st.call(t, "POST", "/api/data/v9.2/WinOpportunity", closeBody(won, 3), nil); resp.StatusCode != 204 {
		t.Fatalf("win: %s", resp.Status)
	}
	if resp := st.call(t, "POST", "/api/data/v9.2/LoseOpportunity", closeBody(lost, 4), nil); resp.StatusCode != 204 {
		t.Fatalf("lose: %s", resp.Status)
	}
	waitDeliveries(t, st.Server, 8) // then Win and Lose, each with the opportunity's Update

	byMessage := map[string]receivedHook{}
	for _, h := range hooks.received() {
		byMessage[h.context.MessageName] = h
	}
	for message, want := range map[string]struct {
		id     string
		status int
	}{"Win": {won, 3}, "Lose": {lost, 4}} {
		h, ok := byMessage[message]
		if !ok {
			t.Fatalf("no %s webhook", message)
		}
		c := h.context
		if c.PrimaryEntityName != "opportunity" || c.PrimaryEntityId != want.id || h.header.Get("x-ms-dynamics-request-name") != message {
			t.Errorf("%s context = %+v", message, c)
		}
		closing, ok := c.InputParameters.Entity("OpportunityClose")
		if ref, _ := closing.EntityReference("opportunityid"); !ok || closing.LogicalName != "opportunityclose" || ref.Id != want.id {
			t.Errorf("%s OpportunityClose = %+v", message, closing)
		}
		if subject, _ := closing.String("subject"); subject != "decided" {
			t.Errorf("%s subject = %q", message, subject)
		}
		if s, _ := c.InputParameters.OptionSetValue("Status"); s != want.status {
			t.Errorf("%s Status = %d", message, s)
		}
		if len(c.PreEntityImages)+len(c.PostEntityImages) != 0 {
			t.Errorf("%s carries images", message)
		}

		// The opportunity's Update follows, with its state before and after.
		u := hookFor(t, hooks, "Update", want.id).context
		if u.PrimaryEntityName != "opportunity" || u.CorrelationId != c.CorrelationId {
			t.Errorf("%s: Update = %s of %s, correlation %s; want the opportunity's, correlation %s",
				message, u.MessageName, u.PrimaryEntityName, u.CorrelationId, c.CorrelationId)
		}
		pre, _ := u.PreImage("PreImage")
		post, _ := u.PostImage("PostImage")
		if s, _ := pre.OptionSetValue("statecode"); s != 0 {
			t.Errorf("%s: PreImage statecode = %d, want 0", message, s)
		}
		if s, _ := post.OptionSetValue("statuscode"); s != want.status {
			t.Errorf("%s: PostImage statuscode = %d, want %d", message, s, want.status)
		}
		if ref, ok := post.EntityReference("originatingleadid"); !ok || ref.LogicalName != "lead" || ref.Id == "" {
			t.Errorf("%s: PostImage originatingleadid = %+v", message, ref)
		}
	}
	wonImage, _ := hookFor(t, hooks, "Update", won).context.PostImage("PostImage")
	if ref, _ := wonImage.EntityReference("originatingleadid"); wonImage.Id != won || ref.Id != wonLead {
		t.Errorf("won opportunity's image = %s from lead %s, want %s from lead %s", wonImage.Id, ref.Id, won, wonLead)
	}

	var opp map[string]any
	st.call(t, "GET", "/api/data/v9.2/opportunities("+won+")?$select=statecode,statuscode", nil, &opp)
	if opp["statecode"] != 1.0 || opp["statuscode"] != 3.0 {
		t.Errorf("won opportunity = %v", opp)
	}
	st.call(t, "GET", "/api/data/v9.2/opportunities("+lost+")?$select=statecode,statuscode", nil, &opp)
	if opp["statecode"] != 2.0 || opp["statuscode"] != 4.0 {
		t.Errorf("lost opportunity = %v", opp)
	}
	if resp := st.call(t, "POST", "/api/data/v9.2/LoseOpportunity", closeBody(won, 4), nil); resp.StatusCode != 400 {
		t.Errorf("close twice: %s", resp.Status)
	}
	if resp := st.call(t, "POST", "/api/data/v9.2/WinOpportunity", map[string]any{"Status": 3, "OpportunityClose": map[string]any{}}, nil); resp.StatusCode != 400 {
		t.Errorf("win without opportunity: %s", resp.Status)
	}
}

func TestWebhookRetriesOnceOnlyOnGatewayErrors(t *testing.T) {
	for _, tc := range []struct {
		statuses []int
		attempts int
		final    int
	}{
		{[]int{503}, 2, 200},
		{[]int{502, 504}, 2, 504},
		{[]int{500}, 1, 500},
		{[]int{400}, 1, 400},
	} {
		hooks := newHookReceiver(t, tc.statuses...)
		st := startStandin(t, t.TempDir(), hooks.URL)
		st.qualify(t, st.createLead(t, b2bLead("PR-R")))
		d := waitDeliveries(t, st.Server, 2)[0] // QualifyLead, then the lead's Update
		qualifies := 0
		for _, h := range hooks.received() {
			if h.context.MessageName == "QualifyLead" {
				qualifies++
			}
		}
		if d.MessageName != "QualifyLead" || d.Attempts != tc.attempts || d.StatusCode != tc.final || qualifies != tc.attempts {
			t.Errorf("statuses %v: delivery %+v, %d received", tc.statuses, d, qualifies)
		}
	}
}

func TestWebhooksDisabledWithoutURL(t *testing.T) {
	st := startStandin(t, t.TempDir(), "")
	st.qualify(t, st.createLead(t, b2bLead("PR-N")))
	st.Close()
	if d := st.Deliveries(); len(d) != 0 {
		t.Errorf("deliveries = %+v", d)
	}
}

func TestDataSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	first := startStandin(t, dir, "")
	leadID := first.createLead(t, b2bLead("PR-P"))
	_, _, oppID := first.qualify(t, leadID)
	token := first.token
	first.http.Close()
	first.Close()

	second := startStandin(t, dir, "")
	second.token = token // a token issued before the restart still works
	var lead, opp map[string]any
	if resp := second.call(t, "GET", "/api/data/v9.2/leads("+leadID+")", nil, &lead); resp.StatusCode != 200 {
		t.Fatalf("lead after restart: %s", resp.Status)
	}
	if lead["statecode"] != 1.0 || lead[testProspect] != "PR-P" || lead["_qualifyingopportunityid_value"] != oppID {
		t.Errorf("lead after restart = %v", lead)
	}
	var open struct{ Value []map[string]any }
	second.call(t, "GET", "/api/data/v9.2/opportunities?$filter="+url.QueryEscape("statecode eq 0"), nil, &open)
	if len(open.Value) != 1 {
		t.Errorf("open opportunities after restart = %v", open.Value)
	}
	closeBody := map[string]any{"Status": 3, "OpportunityClose": map[string]any{"subject": "s", "opportunityid@odata.bind": "/opportunities(" + oppID + ")"}}
	if resp := second.call(t, "POST", "/api/data/v9.2/WinOpportunity", closeBody, nil); resp.StatusCode != 204 {
		t.Errorf("win after restart: %s", resp.Status)
	}
	second.call(t, "GET", "/api/data/v9.2/opportunities("+oppID+")", nil, &opp)
	if opp["statecode"] != 1.0 {
		t.Errorf("opportunity = %v", opp)
	}
}

func readAll(t *testing.T, r io.Reader) string {
	t.Helper()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
