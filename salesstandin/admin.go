package salesstandin

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/uuid"
)

// Changes that Sales users make by hand, outside anything the product asks for, so that tests can
// make them happen: a lead merged into another, a record deleted, an opportunity entered without a
// parent account or contact. None fires a webhook: the product registers none for them.

// Rows returns the rows of an entity set ("leads", "accounts", "contacts", "opportunities") as the Web
// API returns them with every column.
func (s *Server) Rows(entitySet string) ([]map[string]any, error) {
	set, ok := s.sets[entitySet]
	if !ok {
		return nil, fmt.Errorf("no entity set %q", entitySet)
	}
	rows := s.store.list(set.name, nil)
	out := make([]map[string]any, 0, len(rows))
	for _, r := range rows {
		out = append(out, render(set, r, nil, false))
	}
	return out, nil
}

// MergeLeads merges the open lead subordinateID into masterID, as a seller's Merge does: the
// subordinate gets merged true and masterid, and is deactivated. Microsoft documents only that
// Merge deactivates the subordinate
// (https://learn.microsoft.com/power-apps/developer/data-platform/webapi/merge-entity-using-web-api);
// for a lead the stand-in takes that as Disqualified with status reason Canceled (statecode 2,
// statuscode 7), which is not confirmed.
func (s *Server) MergeLeads(masterID, subordinateID string) error {
	masterID, subordinateID = strings.ToLower(masterID), strings.ToLower(subordinateID)
	if masterID == subordinateID {
		return badRequest("A lead cannot be merged into itself.")
	}
	leads := s.sets[setLeads]
	err := s.store.update(func(t *transaction) error {
		if !t.has(setLeads, masterID) {
			return notFound(leads, masterID)
		}
		sub, ok := t.row(setLeads, subordinateID)
		if !ok {
			return notFound(leads, subordinateID)
		}
		if state, _ := sub.int("statecode"); state != leadOpen {
			return badRequest("The lead cannot be merged because it is %s, not open.", strings.ToLower(leadStateNames[state]))
		}
		sub["merged"] = true
		sub["_masterid_value"] = masterID
		sub["statecode"], sub["statuscode"] = leadDisqualified, leadStatusCanceled
		s.stamp().touch(sub)
		return nil
	})
	if err == nil {
		s.log.Info("lead merged", "lead_id", subordinateID, "master_id", masterID)
	}
	return err
}

// DeleteRecord deletes a row, as a Sales user can. Lookups that pointed at it are cleared, as
// Dataverse's RemoveLink cascade does.
func (s *Server) DeleteRecord(entitySet, id string) error {
	set, ok := s.sets[entitySet]
	if !ok {
		return unknownSegment(entitySet)
	}
	id = strings.ToLower(id)
	err := s.store.update(func(t *transaction) error {
		if !t.has(set.name, id) {
			return notFound(set, id)
		}
		t.remove(set.name, id)
		for name, other := range s.sets {
			for col, l := range other.lookups {
				pointing := func(row record) bool { return row.str(col) == id && l.targetOf(row) == set.logicalName }
				for _, rowID := range t.ids(name, pointing) {
					row, _ := t.row(name, rowID)
					row[col] = nil
				}
			}
		}
		return nil
	})
	if err == nil {
		s.log.Info("row deleted", "entity", set.logicalName, "id", id)
	}
	return err
}

// OpportunitySeed is an opportunity as a seller may enter it by hand: the customer (an account or a
// contact) is required, the parent account and contact are not.
type OpportunitySeed struct {
	Name              string
	OriginatingLeadID string
	ParentAccountID   string
	ParentContactID   string
	CustomerID        string
	// CustomerKind is the customer's table: "account" or "contact".
	CustomerKind string
}

// SeedOpportunity stores an open opportunity and returns its ID.
func (s *Server) SeedOpportunity(o OpportunitySeed) (string, error) {
	kinds := map[string]string{"account": setAccounts, "contact": setContacts}
	customerSet, ok := kinds[o.CustomerKind]
	if !ok || o.CustomerID == "" {
		return "", errors.New("an opportunity needs a customer: an account or a contact")
	}
	refs := []struct{ set, id string }{
		{customerSet, o.CustomerID}, {setAccounts, o.ParentAccountID}, {setContacts, o.ParentContactID},
		{setLeads, o.OriginatingLeadID},
	}
	id := uuid.NewString()
	err := s.store.update(func(t *transaction) error {
		for _, ref := range refs {
			if ref.id != "" && !t.has(ref.set, strings.ToLower(ref.id)) {
				return notFound(s.sets[ref.set], ref.id)
			}
		}
		t.put(setOpportunities, id, s.stamp().newRecord(record{
			"opportunityid":            id,
			"name":                     o.Name,
			"_originatingleadid_value": nullIfEmpty(o.OriginatingLeadID),
			"_parentaccountid_value":   nullIfEmpty(o.ParentAccountID),
			"_parentcontactid_value":   nullIfEmpty(o.ParentContactID),
			"_customerid_value":        strings.ToLower(o.CustomerID),
			fieldCustomerType:          o.CustomerKind,
		}))
		return nil
	})
	if err != nil {
		return "", err
	}
	s.log.Info("opportunity entered", "opportunity_id", id)
	return id, nil
}

func nullIfEmpty(id string) any {
	if id == "" {
		return nil
	}
	return strings.ToLower(id)
}

// adminControl is the control API for those changes:
//
//	POST   /standin/leads/{id}/merge         {"master":"<lead id>"}: merge lead {id} into the master
//	DELETE /standin/records/{set}/{id}       delete a row of leads, opportunities, accounts or contacts
func (s *Server) adminControl(mux *http.ServeMux) {
	mux.HandleFunc("POST /standin/leads/{id}/merge", func(w http.ResponseWriter, r *http.Request) {
		var body struct {
			Master string `json:"master"`
		}
		if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1<<10)).Decode(&body); err != nil || body.Master == "" {
			writeControl(w, http.StatusBadRequest, map[string]string{"error": `body must be {"master":"<lead id>"}`})
			return
		}
		if err := s.MergeLeads(body.Master, r.PathValue("id")); err != nil {
			writeControlError(w, err)
			return
		}
		writeControl(w, http.StatusOK, map[string]any{"merged": r.PathValue("id"), "master": body.Master})
	})
	mux.HandleFunc("DELETE /standin/records/{set}/{id}", func(w http.ResponseWriter, r *http.Request) {
		if err := s.DeleteRecord(r.PathValue("set"), r.PathValue("id")); err != nil {
			writeControlError(w, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
}

func writeControlError(w http.ResponseWriter, err error) {
	status := http.StatusInternalServerError
	var e *apiError
	if errors.As(err, &e) {
		status = e.status
	}
	writeControl(w, status, map[string]string{"error": err.Error()})
}
