package salesstandin

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// openServer opens a server on dir without serving it, as a restarted stand-in reads its data.
func openServer(t *testing.T, dir string) *Server {
	t.Helper()
	s, err := New(Config{DataDir: dir, ClientID: testClientID, ClientSecret: testClientSecret,
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// dump is the whole data set as JSON, with every column, hidden ones included.
func dump(t *testing.T, s *Server) string {
	t.Helper()
	s.store.mu.Lock()
	defer s.store.mu.Unlock()
	b, err := json.Marshal(s.store.data)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func readJournal(t *testing.T, dir string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, journalFile))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func appendJournal(t *testing.T, dir, text string) {
	t.Helper()
	f, err := os.OpenFile(filepath.Join(dir, journalFile), os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.WriteString(text); err != nil {
		t.Fatal(err)
	}
}

func TestChangesSurviveRestart(t *testing.T) {
	dir := t.TempDir()
	st := startStandin(t, dir, "")

	// Create, qualify (creating an account, a contact and an opportunity), update, win and lose.
	won := st.createLead(t, b2bLead("PR-J1"))
	_, _, wonOpp := st.qualify(t, won)
	if resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+won+")", map[string]any{"description": "called back"}, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("update: %s", resp.Status)
	}
	if err := st.closeOpportunity(wonOpp, true, 0, "signed"); err != nil {
		t.Fatal(err)
	}
	lostAccount, _, lostOpp := st.qualify(t, st.createLead(t, b2bLead("PR-J2")))
	if err := st.closeOpportunity(lostOpp, false, 0, "no credit"); err != nil {
		t.Fatal(err)
	}
	// Disqualify, upsert, merge, enter an opportunity by hand, delete with its lookups cleared.
	if err := st.disqualifyLead(st.createLead(t, b2bLead("PR-J3")), leadStatusNoInterest); err != nil {
		t.Fatal(err)
	}
	upserted := "00000000-0000-4000-8000-0000000000a1"
	if resp := st.call(t, http.MethodPatch, "/api/data/v9.2/leads("+upserted+")", b2bLead("PR-J4"), nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("upsert: %s", resp.Status)
	}
	if err := st.MergeLeads(won, st.createLead(t, b2bLead("PR-J5"))); err != nil {
		t.Fatal(err)
	}
	if _, err := st.SeedOpportunity(OpportunitySeed{Name: "by hand", CustomerID: lostAccount, CustomerKind: "account"}); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRecord(setAccounts, lostAccount); err != nil {
		t.Fatal(err)
	}
	if err := st.DeleteRecord(setLeads, upserted); err != nil {
		t.Fatal(err)
	}
	before := dump(t, st.Server)
	if len(readJournal(t, dir)) == 0 {
		t.Fatal("the changes are not in the journal")
	}

	// The first server is neither closed nor flushed, as when the process is killed.
	second := openServer(t, dir)
	if got := dump(t, second); got != before {
		t.Errorf("after restart:\n%s\nwant\n%s", got, before)
	}
	if j := readJournal(t, dir); len(j) != 0 {
		t.Errorf("journal after the restart wrote a snapshot: %q", j)
	}
	second.Close()

	// The new snapshot alone holds it all.
	if got := dump(t, openServer(t, dir)); got != before {
		t.Errorf("after a second restart:\n%s\nwant\n%s", got, before)
	}
}

func TestRejectedChangesWriteNothing(t *testing.T) {
	dir := t.TempDir()
	st := startStandin(t, dir, "")
	open := st.createLead(t, b2bLead("PR-R1"))
	qualifiedLead := st.createLead(t, b2bLead("PR-R2"))
	_, _, opp := st.qualify(t, qualifiedLead)
	if err := st.closeOpportunity(opp, true, 0, "signed"); err != nil {
		t.Fatal(err)
	}
	journal, data := readJournal(t, dir), dump(t, st.Server)
	missing := "00000000-0000-4000-8000-000000000404"

	rejected := map[string]error{}
	_, rejected["qualify a qualified lead"] = st.qualifyLead(qualifiedLead, qualifyRequest{CreateAccount: true, CreateOpportunity: true, Status: leadStatusQualified})
	_, rejected["qualify a missing lead"] = st.qualifyLead(missing, qualifyRequest{CreateAccount: true, Status: leadStatusQualified})
	_, rejected["create a lead twice"] = st.Server.createLead(open, record{"subject": "again"})
	_, rejected["create a closed lead"] = st.Server.createLead("", record{"statecode": leadQualified})
	_, rejected["update with If-None-Match"] = st.updateRecord(st.sets[setLeads], open, record{"subject": "x"}, updateOptions{mustNotExist: true})
	_, rejected["update to a bad state"] = st.updateRecord(st.sets[setLeads], open, record{"statecode": leadQualified}, updateOptions{})
	_, rejected["update a missing account"] = st.updateRecord(st.sets[setAccounts], missing, record{"name": "x"}, updateOptions{})
	_, rejected["upsert a closed lead"] = st.updateRecord(st.sets[setLeads], missing, record{"statecode": leadDisqualified}, updateOptions{})
	rejected["disqualify a qualified lead"] = st.disqualifyLead(qualifiedLead, leadStatusLost)
	rejected["close a won opportunity"] = st.closeOpportunity(opp, false, 0, "late")
	rejected["merge into a missing lead"] = st.MergeLeads(missing, open)
	rejected["merge a qualified lead"] = st.MergeLeads(open, qualifiedLead)
	rejected["delete a missing lead"] = st.DeleteRecord(setLeads, missing)
	_, rejected["seed with a missing contact"] = st.SeedOpportunity(OpportunitySeed{CustomerID: missing, CustomerKind: "contact"})
	for name, err := range rejected {
		if err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	if got := readJournal(t, dir); !bytes.Equal(got, journal) {
		t.Errorf("rejected changes wrote to the journal:\n%s", got[len(journal):])
	}
	if got := dump(t, st.Server); got != data {
		t.Errorf("rejected changes changed the data:\n%s\nwant\n%s", got, data)
	}
}

func TestFailedChangeIsUndone(t *testing.T) {
	dir := t.TempDir()
	s := openServer(t, dir)
	lead, err := s.createLead("", record{"subject": "first"})
	if err != nil {
		t.Fatal(err)
	}
	id := lead.str("leadid")
	data := dump(t, s)
	journal := readJournal(t, dir)

	// A change that mutates before it fails is put back.
	err = s.store.update(func(t *transaction) error {
		row, _ := t.row(setLeads, id)
		row["subject"] = "changed"
		t.put(setAccounts, "new", record{"name": "new"})
		t.remove(setLeads, id)
		return errors.New("refused late")
	})
	if err == nil || dump(t, s) != data || !bytes.Equal(readJournal(t, dir), journal) {
		t.Errorf("late refusal: %v; data %s; journal %q", err, dump(t, s), readJournal(t, dir))
	}

	// So is a change the journal could not take, and the store takes no more.
	s.store.journal.Close()
	if _, err := s.updateRecord(s.sets[setLeads], id, record{"subject": "lost"}, updateOptions{}); err == nil {
		t.Fatal("a change was acknowledged without being written")
	}
	if dump(t, s) != data {
		t.Errorf("unwritten change stayed in memory: %s", dump(t, s))
	}
	if _, err := s.createLead("", record{"subject": "after"}); err == nil {
		t.Error("a change was acknowledged after the journal broke")
	}
}

func TestChangesAfterCloseAreRefused(t *testing.T) {
	dir := t.TempDir()
	s := openServer(t, dir)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.createLead("", record{"subject": "late"}); !errors.Is(err, errClosed) {
		t.Errorf("create after Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestTornJournalEndIsIgnored(t *testing.T) {
	for name, torn := range map[string]string{
		"last line cut": `{"set":"leads","id":"00000000-0000-4000-8000-0000000000f1","row":{"leadid":"00000`,
		"change cut after a line": `{"set":"accounts","id":"00000000-0000-4000-8000-0000000000f2","row":{"name":"half"},"more":true}` + "\n" +
			`{"set":"leads","id":"00000000-0000-4000-8000-0000000000f3","ro`,
		"change cut at a line end": `{"set":"accounts","id":"00000000-0000-4000-8000-0000000000f2","row":{"name":"half"},"more":true}` + "\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			first := openServer(t, dir)
			if _, err := first.createLead("", record{"subject": "kept"}); err != nil {
				t.Fatal(err)
			}
			want := dump(t, first)
			first.Close()
			appendJournal(t, dir, torn)

			second := openServer(t, dir)
			if got := dump(t, second); got != want {
				t.Errorf("data = %s, want %s", got, want)
			}
			if second.store.dropped == 0 {
				t.Error("the cut change was not reported")
			}
			// The journal was emptied, so later changes do not follow the torn line.
			if _, err := second.createLead("", record{"subject": "later"}); err != nil {
				t.Fatal(err)
			}
			want = dump(t, second)
			second.Close()
			if got := dump(t, openServer(t, dir)); got != want {
				t.Errorf("after another restart: %s, want %s", got, want)
			}
		})
	}
}

func TestMalformedJournalFailsOpen(t *testing.T) {
	for name, bad := range map[string]string{
		"not JSON":       "not json",
		"two values":     `{"set":"leads","id":"x","deleted":true} {}`,
		"unknown set":    `{"set":"widgets","id":"x","deleted":true}`,
		"no id":          `{"set":"leads","row":{}}`,
		"neither":        `{"set":"leads","id":"x"}`,
		"row and delete": `{"set":"leads","id":"x","row":{},"deleted":true}`,
		"empty line":     "",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			first := openServer(t, dir)
			if _, err := first.createLead("", record{"subject": "kept"}); err != nil {
				t.Fatal(err)
			}
			first.Close()
			// The bad line is in the middle: a good change follows it.
			appendJournal(t, dir, bad+"\n"+`{"set":"leads","id":"y","deleted":true}`+"\n")

			_, err := New(Config{DataDir: dir, ClientID: testClientID, ClientSecret: testClientSecret})
			path := filepath.Join(dir, journalFile)
			if err == nil || !strings.Contains(err.Error(), path) || !strings.Contains(err.Error(), "line 2") {
				t.Errorf("open = %v, want an error naming %s, line 2", err, path)
			}
			// Nothing was replaced: the journal is still there to be looked at.
			if j := readJournal(t, dir); !bytes.Contains(j, []byte(bad+"\n")) {
				t.Errorf("journal = %q", j)
			}
		})
	}
}

func TestOpenDataDirectoryWithOnlySnapshot(t *testing.T) {
	dir := t.TempDir()
	snapshot := `{
  "leads": {
    "00000000-0000-4000-8000-000000000001": {
      "leadid": "00000000-0000-4000-8000-000000000001", "subject": "Partner sign-up", "firstname": "Avery",
      "lastname": "Example", "fullname": "Avery Example", "merged": false, "statecode": 0, "statuscode": 1,
      "createdon": "2025-01-02T03:04:05Z", "modifiedon": "2025-01-02T03:04:05Z", "versionnumber": 1735787045000000,
      "new_commerceprospectid": "PR-OLD"
    }
  },
  "accounts": {}, "contacts": {}, "opportunities": {}
}`
	if err := os.WriteFile(filepath.Join(dir, snapshotFile), []byte(snapshot), 0o644); err != nil {
		t.Fatal(err)
	}
	st := startStandin(t, dir, "")
	var lead map[string]any
	if resp := st.call(t, http.MethodGet, "/api/data/v9.2/leads(00000000-0000-4000-8000-000000000001)", nil, &lead); resp.StatusCode != http.StatusOK {
		t.Fatalf("lead: %s", resp.Status)
	}
	if lead["fullname"] != "Avery Example" || lead[testProspect] != "PR-OLD" || lead["statecode"] != 0.0 {
		t.Errorf("lead = %v", lead)
	}
	account, _, _ := st.qualify(t, "00000000-0000-4000-8000-000000000001")
	want := dump(t, st.Server)
	if got := dump(t, openServer(t, dir)); got != want || !strings.Contains(got, account) {
		t.Errorf("after restart: %s, want %s", got, want)
	}
}
