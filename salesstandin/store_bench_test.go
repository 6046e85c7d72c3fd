package salesstandin

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkStoreUpdate measures one change (a PATCH of a lead) against data sets of different sizes:
// the cost of a change should not grow with the data already stored.
func BenchmarkStoreUpdate(b *testing.B) {
	for _, leads := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("leads=%d", leads), func(b *testing.B) {
			dir := b.TempDir()
			writeSnapshot(b, dir, qualifiedLeads(leads))
			s, err := New(Config{DataDir: dir, ClientID: testClientID, ClientSecret: testClientSecret,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			set := s.sets[setLeads]
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				id := benchLeadID(i % leads)
				if _, err := s.updateRecord(set, id, record{"description": fmt.Sprintf("note %d", i)}, updateOptions{mustExist: true}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchLeadID(i int) string { return fmt.Sprintf("00000000-0000-4000-8000-%012d", i) }

// qualifiedLeads is a data set of n qualified leads, each with the account, contact and opportunity
// its qualification created.
func qualifiedLeads(n int) tables {
	t := tables{setLeads: {}, setAccounts: {}, setContacts: {}, setOpportunities: {}}
	st := stamp{time.Date(2025, 1, 2, 3, 4, 5, 0, time.UTC)}
	for i := range n {
		id := benchLeadID(i)
		account, contact, opp := "a"+id[1:], "c"+id[1:], "b"+id[1:]
		lead := record{"leadid": id, "merged": false, "statecode": leadQualified, "statuscode": leadStatusQualified,
			"_qualifyingopportunityid_value": opp, "_parentaccountid_value": account, "_parentcontactid_value": contact}
		for k, v := range b2bLead(fmt.Sprintf("PR-%d", i)) {
			lead[k] = v
		}
		lead["fullname"] = fullName(lead)
		t[setLeads][id] = st.newRecord(lead)
		t[setAccounts][account] = st.newRecord(record{"accountid": account, "name": lead["companyname"],
			"telephone1": lead["telephone1"], "address1_city": lead["address1_city"], "_originatingleadid_value": id})
		t[setContacts][contact] = st.newRecord(record{"contactid": contact, "firstname": lead["firstname"],
			"lastname": lead["lastname"], "fullname": lead["fullname"], "emailaddress1": lead["emailaddress1"],
			"_parentcustomerid_value": account, fieldParentCustomerType: "account", "_originatingleadid_value": id})
		t[setOpportunities][opp] = st.newRecord(record{"opportunityid": opp, "name": lead["subject"],
			"_originatingleadid_value": id, "_parentaccountid_value": account, "_parentcontactid_value": contact,
			"_customerid_value": account, fieldCustomerType: "account"})
	}
	return t
}

// writeSnapshot writes data as the sales.json of dir.
func writeSnapshot(tb testing.TB, dir string, data tables) {
	tb.Helper()
	b, err := json.MarshalIndent(data, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "sales.json"), b, 0o644); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkFindLeadByProspect measures the lookup the worker makes before it
// creates a lead ($filter on the prospect ID column, $top=1): only the
// matching row is copied out of the store, so the cost is a scan of the
// rows, not a copy of them.
func BenchmarkFindLeadByProspect(b *testing.B) {
	for _, leads := range []int{100, 10_000} {
		b.Run(fmt.Sprintf("leads=%d", leads), func(b *testing.B) {
			dir := b.TempDir()
			writeSnapshot(b, dir, qualifiedLeads(leads))
			s, err := New(Config{DataDir: dir, ClientID: testClientID, ClientSecret: testClientSecret,
				Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			set := s.sets[setLeads]
			q, err := parseQuery(set, url.Values{"$filter": {testProspect + " eq 'PR-7'"}, "$top": {"1"}})
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if rows := q.apply(set.key, s.store.list(set.name, q.matches)); len(rows) != 1 {
					b.Fatalf("found %d leads", len(rows))
				}
			}
		})
	}
}
