package salesstandin

import (
	"cmp"
	"embed"
	"errors"
	"html/template"
	"net/http"
	"slices"
	"strconv"
)

//go:embed seller.html
var sellerFiles embed.FS

func parseSellerPage() (*template.Template, error) {
	return template.New("seller.html").Funcs(template.FuncMap{
		"leadState":         func(n int) string { return leadStateNames[n] },
		"leadStatus":        func(n int) string { return leadStatusNames[n] },
		"opportunityState":  func(n int) string { return opportunityStateNames[n] },
		"opportunityStatus": func(n int) string { return opportunityStatusNames[n] },
	}).ParseFS(sellerFiles, "seller.html")
}

// sellerRow is a lead or opportunity as the page shows it.
type sellerRow struct {
	ID         string
	Title      string
	Company    string
	ProspectID string
	State      int
	Status     int
	Modified   string
}

type sellerPage struct {
	OpenLeads         []sellerRow
	OpenOpportunities []sellerRow
	DecidedLeads      []sellerRow
	DecidedOpps       []sellerRow
	DisqualifyReasons []reason
}

type reason struct {
	Value int
	Name  string
}

const recentlyDecided = 20

// handleSellerPage shows "All Commerce B2B leads" (open leads that carry a prospect ID), the open
// opportunities, and the latest decisions.
func (s *Server) handleSellerPage(w http.ResponseWriter, r *http.Request) {
	b2b := func(rec record) bool { return rec.str(s.cfg.ProspectIDColumn) != "" }
	var page sellerPage
	for _, lead := range s.store.list(setLeads, b2b) {
		row := s.leadRow(lead)
		if row.State == leadOpen {
			page.OpenLeads = append(page.OpenLeads, row)
		} else {
			page.DecidedLeads = append(page.DecidedLeads, row)
		}
	}
	for _, opp := range s.store.list(setOpportunities, nil) {
		row := s.opportunityRow(opp)
		if row.State == opportunityOpen {
			page.OpenOpportunities = append(page.OpenOpportunities, row)
		} else {
			page.DecidedOpps = append(page.DecidedOpps, row)
		}
	}
	oldestFirst := func(a, b sellerRow) int { return cmp.Compare(a.Modified, b.Modified) }
	newestFirst := func(a, b sellerRow) int { return -oldestFirst(a, b) }
	slices.SortFunc(page.OpenLeads, oldestFirst)
	slices.SortFunc(page.OpenOpportunities, oldestFirst)
	slices.SortFunc(page.DecidedLeads, newestFirst)
	slices.SortFunc(page.DecidedOpps, newestFirst)
	page.DecidedLeads = page.DecidedLeads[:min(len(page.DecidedLeads), recentlyDecided)]
	page.DecidedOpps = page.DecidedOpps[:min(len(page.DecidedOpps), recentlyDecided)]
	for _, n := range disqualifyReasons {
		page.DisqualifyReasons = append(page.DisqualifyReasons, reason{n, leadStatusNames[n]})
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := s.page.Execute(w, page); err != nil {
		s.log.Error("seller page not rendered", "error", err)
	}
}

func (s *Server) leadRow(lead record) sellerRow {
	state, _ := lead.int("statecode")
	status, _ := lead.int("statuscode")
	return sellerRow{
		ID: lead.str("leadid"), Title: lead.str("subject"), Company: lead.str("companyname"),
		ProspectID: lead.str(s.cfg.ProspectIDColumn), State: state, Status: status, Modified: lead.str("modifiedon"),
	}
}

func (s *Server) opportunityRow(opp record) sellerRow {
	state, _ := opp.int("statecode")
	status, _ := opp.int("statuscode")
	row := sellerRow{ID: opp.str("opportunityid"), Title: opp.str("name"), State: state, Status: status, Modified: opp.str("modifiedon")}
	accountID := opp.str("_parentaccountid_value")
	if accountID == "" && opp.str(fieldCustomerType) == "account" {
		accountID = opp.str("_customerid_value") // entered by hand with only a customer
	}
	if account, ok := s.store.get(setAccounts, accountID); ok {
		row.Company = account.str("name")
	}
	if lead, ok := s.store.get(setLeads, opp.str("_originatingleadid_value")); ok {
		row.ProspectID = lead.str(s.cfg.ProspectIDColumn)
	}
	return row
}

func (s *Server) handleSellerQualify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	_, err := s.qualifyLead(id, qualifyRequest{CreateAccount: true, CreateContact: true, CreateOpportunity: true, Status: leadStatusQualified})
	s.sellerDone(w, r, err, "lead qualified", "lead_id", id)
}

func (s *Server) handleSellerDisqualify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	status := leadStatusLost
	if v := r.PostFormValue("statuscode"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			http.Error(w, "statuscode must be a number", http.StatusBadRequest)
			return
		}
		status = n
	}
	s.sellerDone(w, r, s.disqualifyLead(id, status), "lead disqualified", "lead_id", id)
}

func (s *Server) handleSellerClose(won bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id := r.PathValue("id")
		subject := "Lost"
		if won {
			subject = "Won"
		}
		err := s.closeOpportunity(id, won, 0, subject+" by the seller")
		s.sellerDone(w, r, err, "opportunity closed", "opportunity_id", id, "won", won)
	}
}

// sellerDone sends the seller back to the page, or shows why the decision was refused.
func (s *Server) sellerDone(w http.ResponseWriter, r *http.Request, err error, event string, attrs ...any) {
	if err != nil {
		status := http.StatusInternalServerError
		var apiErr *apiError
		if errors.As(err, &apiErr) {
			status = apiErr.status
		}
		s.log.Info("seller decision refused", append(attrs, "error", err)...)
		http.Error(w, err.Error(), status)
		return
	}
	s.log.Info(event, append(attrs, "via", "seller page")...)
	http.Redirect(w, r, "/", http.StatusSeeOther)
}
