package webhook

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func decodeFile(t *testing.T, name string) RemoteExecutionContext {
	t.Helper()
	body, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	c, err := Decode(body)
	if err != nil {
		t.Fatalf("decode %s: %v", name, err)
	}
	return c
}

func TestDecodeQualifyLead(t *testing.T) {
	c := decodeFile(t, "qualifylead-escaped.json")
	if c.MessageName != "QualifyLead" || c.PrimaryEntityName != "lead" || c.Stage != StagePostOperation || c.Mode != ModeAsynchronous {
		t.Fatalf("top level: %+v", c)
	}
	if c.ParentContext != nil {
		t.Errorf("ParentContext = %+v, want nil", c.ParentContext)
	}
	if want := time.UnixMilli(1718092800123); !c.OperationCreatedOn.Equal(want) {
		t.Errorf("OperationCreatedOn = %v, want %v", c.OperationCreatedOn, want)
	}
	if c.InitiatingUserAgent != "Mozilla/5.0 (Windows NT 10.0; Win64; x64)" {
		t.Errorf("InitiatingUserAgent = %q", c.InitiatingUserAgent)
	}
	if c.OwningExtension.LogicalName != "sdkmessageprocessingstep" || c.OwningExtension.Name == "" {
		t.Errorf("OwningExtension = %+v", c.OwningExtension)
	}

	lead, ok := c.InputParameters.EntityReference("LeadId")
	if !ok || lead.LogicalName != "lead" || lead.Id != c.PrimaryEntityId {
		t.Errorf("LeadId = %+v, %v", lead, ok)
	}
	for _, key := range []string{"CreateAccount", "CreateContact", "CreateOpportunity"} {
		if b, ok := c.InputParameters.Bool(key); !ok || !b {
			t.Errorf("%s = %v, %v", key, b, ok)
		}
	}
	if _, ok := c.InputParameters.EntityReference("OpportunityCustomerId"); ok {
		t.Error("null OpportunityCustomerId read as a reference")
	}
	if !c.InputParameters.Has("OpportunityCustomerId") {
		t.Error("null OpportunityCustomerId reported missing")
	}
	if status, ok := c.InputParameters.OptionSetValue("Status"); !ok || status != 3 {
		t.Errorf("Status = %d, %v", status, ok)
	}

	created := c.OutputParameters.EntityReferences("CreatedEntities")
	var names []string
	for _, r := range created {
		names = append(names, r.LogicalName)
	}
	if !reflect.DeepEqual(names, []string{"account", "contact", "opportunity"}) {
		t.Errorf("CreatedEntities = %+v", created)
	}

	// Dataverse offers no entity images for QualifyLead: the receiver reads the lead from Sales.
	if len(c.PreEntityImages)+len(c.PostEntityImages) != 0 {
		t.Errorf("QualifyLead carries images: pre %v, post %v", c.PreEntityImages.Keys(), c.PostEntityImages.Keys())
	}
	if _, ok := c.PostImage("PostImage"); ok {
		t.Error("PostImage found in a QualifyLead body")
	}
	if shared, _ := c.SharedVariables.Bool("IsAutoTransact"); !shared {
		t.Error("SharedVariables IsAutoTransact not read")
	}
}

// The Update of the lead's state that follows a qualification is where its images are.
func TestDecodeQualifiedLeadUpdate(t *testing.T) {
	c := decodeFile(t, "update-lead-qualified-escaped.json")
	if c.MessageName != "Update" || c.PrimaryEntityName != "lead" || c.RequestId != "" || c.OperationId == "" {
		t.Fatalf("top level: %+v", c)
	}
	target, ok := c.Target()
	if state, _ := target.OptionSetValue("statecode"); !ok || state != 1 {
		t.Errorf("Target statecode = %d, %v", state, ok)
	}
	pre, _ := c.PreImage("PreImage")
	if state, _ := pre.OptionSetValue("statecode"); state != 0 || pre.Attributes.Has("qualifyingopportunityid") {
		t.Errorf("PreImage = %+v, want the open lead", pre)
	}
	image, ok := c.PostImage("PostImage")
	if !ok {
		t.Fatal("no PostImage")
	}
	if state, _ := image.OptionSetValue("statecode"); state != 1 {
		t.Errorf("statecode = %d", state)
	}
	if id, _ := image.String("new_commerceprospectid"); id != "PR-000042" {
		t.Errorf("prospect id = %q", id)
	}
	opp, ok := image.EntityReference("qualifyingopportunityid")
	if !ok || opp.Id != "00000000-0000-4000-8000-0000000000f1" || opp.LogicalName != "opportunity" || opp.Name == "" {
		t.Errorf("qualifyingopportunityid = %+v", opp)
	}
	if text, _ := image.FormattedValue("statecode"); text != "Qualified" {
		t.Errorf("formatted statecode = %q", text)
	}
	if image.RowVersion != "8812345" {
		t.Errorf("RowVersion = %q", image.RowVersion)
	}
}

func TestDecodeDisqualifyUpdate(t *testing.T) {
	c := decodeFile(t, "update-lead-disqualify-unescaped.json")
	target, ok := c.Target()
	if !ok || target.LogicalName != "lead" {
		t.Fatalf("Target = %+v, %v", target, ok)
	}
	if state, _ := target.OptionSetValue("statecode"); state != 2 {
		t.Errorf("statecode = %d", state)
	}
	if status, _ := target.OptionSetValue("statuscode"); status != 6 {
		t.Errorf("statuscode = %d", status)
	}
	if _, ok := target.EntityReference("modifiedonbehalfby"); ok {
		t.Error("null lookup read as a reference")
	}
	if c.RequestId != "" {
		t.Errorf("null RequestId = %q", c.RequestId)
	}
	_, offset := c.OperationCreatedOn.Zone()
	if offset != -7*3600 || c.OperationCreatedOn.UnixMilli() != 1718204400000 {
		t.Errorf("OperationCreatedOn = %v (offset %d)", c.OperationCreatedOn, offset)
	}
	pre, _ := c.PreImage("PreImage")
	post, _ := c.PostImage("PostImage")
	if s, _ := pre.OptionSetValue("statecode"); s != 0 {
		t.Errorf("pre statecode = %d", s)
	}
	if s, _ := post.OptionSetValue("statecode"); s != 2 {
		t.Errorf("post statecode = %d", s)
	}
	if c.ParentContext == nil || c.ParentContext.MessageName != "SetState" {
		t.Fatalf("ParentContext = %+v", c.ParentContext)
	}
	moniker, ok := c.ParentContext.InputParameters.EntityReference("EntityMoniker")
	if !ok || moniker.Id != c.PrimaryEntityId {
		t.Errorf("EntityMoniker = %+v", moniker)
	}
	if c.ParentContext.ParentContext != nil {
		t.Error("nested null ParentContext not nil")
	}
	if !c.ParentContext.SharedVariables.Has("ChangedEntityTypes") {
		t.Error("ChangedEntityTypes missing")
	}
}

func TestDecodeWin(t *testing.T) {
	c := decodeFile(t, "win-opportunity.json")
	closing, ok := c.InputParameters.Entity("OpportunityClose")
	if !ok || closing.LogicalName != "opportunityclose" {
		t.Fatalf("OpportunityClose = %+v", closing)
	}
	opp, ok := closing.EntityReference("opportunityid")
	if !ok || opp.Id != c.PrimaryEntityId || opp.LogicalName != "opportunity" {
		t.Errorf("opportunityid = %+v", opp)
	}
	if subject, _ := closing.String("subject"); subject != "Won: partner approved" {
		t.Errorf("subject = %q", subject)
	}
	if revenue, ok := closing.Money("actualrevenue"); !ok || revenue != 12500.5 {
		t.Errorf("actualrevenue = %v", revenue)
	}
	if end, ok := closing.Date("actualend"); !ok || end.UnixMilli() != 1718265600000 {
		t.Errorf("actualend = %v", end)
	}
	if status, _ := c.InputParameters.OptionSetValue("Status"); status != 3 {
		t.Errorf("Status = %d", status)
	}
	if len(c.PreEntityImages) != 0 || len(c.PostEntityImages) != 0 {
		t.Error("Win carries images")
	}
}

func TestDecodeAllTypes(t *testing.T) {
	c := decodeFile(t, "create-account-alltypes.json")
	target, _ := c.Target()
	if name, _ := target.String("name"); name != "Fabrikam Wholesale\nNorth" {
		t.Errorf("name = %q", name)
	}
	if v, ok := target.Money("creditlimit"); !ok || v != 50000 {
		t.Errorf("creditlimit = %v", v)
	}
	if v, ok := target.Float("new_discount"); !ok || v != 10.25 {
		t.Errorf("new_discount = %v", v)
	}
	if _, ok := target.Int("new_discount"); ok {
		t.Error("a decimal read as a whole number")
	}
	if v, ok := target.Int("numberofemployees"); !ok || v != 321 {
		t.Errorf("numberofemployees = %v", v)
	}
	if v, ok := target.Bool("creditonhold"); !ok || v {
		t.Errorf("creditonhold = %v, %v", v, ok)
	}
	if got := target.Attributes.OptionSetValues("new_regions"); !reflect.DeepEqual(got, []int{100000001, 100000003}) {
		t.Errorf("new_regions = %v", got)
	}
	if d, ok := target.Date("new_lastreview"); !ok || !d.Equal(time.Date(1969, 12, 31, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("negative date = %v", d)
	}
	parties, ok := target.Attributes.EntityCollection("new_parties")
	if !ok || len(parties.Entities) != 1 || parties.EntityName != "activityparty" {
		t.Fatalf("new_parties = %+v", parties)
	}
	if party, _ := parties.Entities[0].EntityReference("partyid"); party.LogicalName != "contact" {
		t.Errorf("partyid = %+v", party)
	}
	if key, _ := target.KeyAttributes.String("accountnumber"); key != "ACC-0042" {
		t.Errorf("KeyAttributes = %+v", target.KeyAttributes)
	}
	if id, _ := c.OutputParameters.String("id"); id != c.PrimaryEntityId {
		t.Errorf("output id = %q", id)
	}
	_, offset := c.OperationCreatedOn.Zone()
	if offset != 90*60 {
		t.Errorf("offset = %d", offset)
	}
}

func TestDecodeTrimmedWithByteOrderMark(t *testing.T) {
	c := decodeFile(t, "trimmed-bom.json")
	if c.MessageName != "Lose" || c.InputParameters != nil || c.ParentContext != nil {
		t.Errorf("trimmed = %+v", c)
	}
	if c.OperationCreatedOn.UnixMilli() != 1664491520252 {
		t.Errorf("OperationCreatedOn = %v", c.OperationCreatedOn)
	}
}

func TestParseDate(t *testing.T) {
	for _, tc := range []struct {
		in     string
		ms     int64
		offset int
	}{
		{"/Date(1506384247000)/", 1506384247000, 0},
		{"/Date(1506409448000-0700)/", 1506409448000, -7 * 3600},
		{"/Date(1722582039000+0000)/", 1722582039000, 0},
		{"/Date(1737024736000+0200)/", 1737024736000, 2 * 3600},
		{"/Date(-1000)/", -1000, 0},
	} {
		got, err := ParseDate(tc.in)
		if err != nil {
			t.Errorf("%s: %v", tc.in, err)
			continue
		}
		if _, off := got.Zone(); got.UnixMilli() != tc.ms || off != tc.offset {
			t.Errorf("%s = %v", tc.in, got)
		}
	}
	for _, bad := range []string{"", "2024-01-01T00:00:00Z", "/Date()/", "/Date(12+07)/", "Date(12)"} {
		if _, err := ParseDate(bad); err == nil {
			t.Errorf("%q parsed", bad)
		}
	}
	var d Date
	if err := json.Unmarshal([]byte(`"\/Date(1506384247000)\/"`), &d); err != nil || d.UnixMilli() != 1506384247000 {
		t.Errorf("escaped = %v, %v", d, err)
	}
	if err := json.Unmarshal([]byte(`"2024-01-01"`), &d); err == nil {
		t.Error("ISO date accepted")
	}
}

func TestEncodeRoundTrip(t *testing.T) {
	now := time.UnixMilli(1718092800123).UTC()
	image := Entity{
		Id:          "1e0a7f3c-2b4d-4e6f-8a9b-0c1d2e3f4a5b",
		LogicalName: "lead",
		Attributes: Parameters{
			Param("statecode", NewOptionSetValue(1)),
			Param("new_commerceprospectid", "PR-1"),
			Param("qualifyingopportunityid", NewEntityReferenceValue("opportunity", "00000000-0000-4000-8000-0000000000f1")),
			Param("modifiedon", NewDateValue(now)),
			Param("budgetamount", NewMoneyValue(99.5)),
		},
		FormattedValues: Parameters{Param("statecode", "Qualified")},
	}
	in := RemoteExecutionContext{
		CorrelationId: "c1",
		MessageName:   "QualifyLead",
		Mode:          ModeAsynchronous,
		Stage:         StagePostOperation,
		InputParameters: Parameters{
			Param("LeadId", NewEntityReferenceValue("lead", image.Id)),
			Param("CreateAccount", true),
			Param("Target", NewEntityValue(image)),
		},
		OutputParameters: Parameters{Param("CreatedEntities", NewEntityReferenceCollectionValue(
			EntityReference{Id: "a", LogicalName: "account"},
			EntityReference{Id: "o", LogicalName: "opportunity"},
		))},
		PostEntityImages:   Parameters{Param("PostImage", image)},
		OperationCreatedOn: Date{now},
		OwningExtension:    EntityReference{Id: "s", LogicalName: "sdkmessageprocessingstep"},
		ParentContext:      &RemoteExecutionContext{MessageName: "QualifyLead"},
	}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	for _, want := range []string{
		`"OperationCreatedOn":"/Date(1718092800123)/"`,
		`"__type":"` + TypeEntity + `"`,
		`"__type":"` + TypeEntityReference + `"`,
		`"__type":"` + TypeOptionSetValue + `","Value":1`,
		`"__type":"` + TypeMoney + `","Value":99.5`,
		`"PreEntityImages":[]`,
		`"SharedVariables":[]`,
		`"RowVersion":null`,
		`"Name":null`,
	} {
		if !strings.Contains(text, want) {
			t.Errorf("encoded body lacks %s", want)
		}
	}
	// Images carry entities without a type tag.
	var raw struct {
		PostEntityImages []struct{ Value map[string]any }
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		t.Fatal(err)
	}
	if _, tagged := raw.PostEntityImages[0].Value["__type"]; tagged {
		t.Error("image entity carries __type")
	}

	out, err := Decode(body)
	if err != nil {
		t.Fatal(err)
	}
	if out.MessageName != in.MessageName || !out.OperationCreatedOn.Equal(now) || out.ParentContext == nil {
		t.Errorf("round trip top level: %+v", out)
	}
	target, ok := out.Target()
	if !ok || target.Id != image.Id {
		t.Fatalf("round trip Target = %+v", target)
	}
	if v, _ := target.OptionSetValue("statecode"); v != 1 {
		t.Errorf("statecode = %d", v)
	}
	if d, _ := target.Date("modifiedon"); !d.Equal(now) {
		t.Errorf("modifiedon = %v", d)
	}
	post, _ := out.PostImage("PostImage")
	if !reflect.DeepEqual(post.Attributes, target.Attributes) {
		t.Errorf("image attributes differ from target's")
	}
	refs := out.OutputParameters.EntityReferences("CreatedEntities")
	if len(refs) != 2 || refs[1].LogicalName != "opportunity" {
		t.Errorf("CreatedEntities = %+v", refs)
	}
	if b, _ := out.InputParameters.Bool("CreateAccount"); !b {
		t.Error("CreateAccount lost")
	}
}

func TestParametersSet(t *testing.T) {
	var p Parameters
	p.Set("a", 1)
	p.Set("b", "x")
	p.Set("a", 2)
	if n, _ := p.Int("a"); n != 2 || len(p) != 2 {
		t.Errorf("Set = %+v", p)
	}
	if !reflect.DeepEqual(p.Keys(), []string{"a", "b"}) {
		t.Errorf("Keys = %v", p.Keys())
	}
	if _, ok := p.String("missing"); ok {
		t.Error("missing key found")
	}
	if _, ok := p.OptionSetValue("b"); ok {
		t.Error("a string read as an option set value")
	}
}

func TestEncodeEmptyRequestIdAsNull(t *testing.T) {
	in := RemoteExecutionContext{MessageName: "Update", OperationId: "op-1",
		ParentContext: &RemoteExecutionContext{MessageName: "QualifyLead", RequestId: "r-1"}}
	body, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	text := string(body)
	if strings.Count(text, `"RequestId":null`) != 1 || strings.Count(text, `"RequestId":"r-1"`) != 1 ||
		strings.Count(text, `"RequestId"`) != 2 {
		t.Errorf("body = %s\nwant RequestId null at the top and \"r-1\" in ParentContext, once each", text)
	}
	out, err := Decode(body)
	if err != nil || out.RequestId != "" || out.OperationId != "op-1" || out.ParentContext.RequestId != "r-1" {
		t.Errorf("round trip = %+v, %v", out, err)
	}
	again, _ := json.Marshal(in)
	if string(again) != text {
		t.Error("the same context encodes to different bytes")
	}
}
