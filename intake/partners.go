package intake

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/partner-onboarding/onboarding/commerce"
)

// Partners is the part of the Commerce register the shop's staff reach
// through the partner endpoints, after approval.
type Partners interface {
	GetPartner(ctx context.Context, organizationID string) (commerce.Partner, error)
	ChangeCreditLimit(ctx context.Context, organizationID string, c commerce.CreditLimitChange) (commerce.Partner, error)
	BlockPartner(ctx context.Context, organizationID, changedBy, reason string) (commerce.Partner, error)
	UnblockPartner(ctx context.Context, organizationID, changedBy, reason string) (commerce.Partner, error)
}

// partnerRoutes adds the staff's partner endpoints, behind the same API keys
// as the intake. A partner is named by its organization customer ID, which
// the request's GET answers as organizationCustomerId.
func (s *Service) partnerRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /v1/partners/{organization}", s.guard(s.showPartner))
	mux.HandleFunc("PUT /v1/partners/{organization}/credit-limit", s.guard(s.changeCreditLimit))
	mux.HandleFunc("POST /v1/partners/{organization}/block", s.guard(s.standing(true)))
	mux.HandleFunc("POST /v1/partners/{organization}/unblock", s.guard(s.standing(false)))
}

// PartnerView is a partner as the API answers it.
type PartnerView struct {
	OrganizationID string           `json:"organizationId"`
	Name           string           `json:"name"`
	HierarchyID    string           `json:"hierarchyId"`
	CreditLimit    *CreditLimitView `json:"creditLimit"`
	Blocked        bool             `json:"blocked"`
	// History is every change staff made, newest first.
	History []PartnerChangeView `json:"history"`
	// Users are the partner's users with their roles, in the GET only.
	Users []PartnerUserView `json:"users,omitempty"`
}

// CreditLimitView is a credit limit in minor units (cents) of its currency.
type CreditLimitView struct {
	Amount         int64     `json:"amount"`
	Currency       string    `json:"currency"`
	AllowOverLimit bool      `json:"allowOverLimit"`
	UpdatedAt      time.Time `json:"updatedAt"`
}

// PartnerChangeView is one entry of a partner's audit list; the amount,
// currency and allowOverLimit are those of a CreditLimit change.
type PartnerChangeView struct {
	Kind           commerce.PartnerChangeKind `json:"kind"`
	Amount         *int64                     `json:"amount,omitempty"`
	Currency       string                     `json:"currency,omitempty"`
	AllowOverLimit *bool                      `json:"allowOverLimit,omitempty"`
	ChangedBy      string                     `json:"changedBy"`
	Reason         string                     `json:"reason"`
	ChangedAt      time.Time                  `json:"changedAt"`
}

func partnerView(p commerce.Partner) PartnerView {
	v := PartnerView{OrganizationID: p.OrganizationID, Name: p.Name, HierarchyID: p.HierarchyID, Blocked: p.Blocked,
		History: []PartnerChangeView{}}
	if l := p.CreditLimit; l != nil {
		v.CreditLimit = &CreditLimitView{Amount: l.Amount, Currency: l.Currency, AllowOverLimit: l.AllowOverLimit, UpdatedAt: l.UpdatedAt}
	}
	for _, c := range p.Changes {
		cv := PartnerChangeView{Kind: c.Kind, ChangedBy: c.ChangedBy, Reason: c.Reason, ChangedAt: c.ChangedAt}
		if c.Kind == commerce.ChangeCreditLimit {
			cv.Amount, cv.Currency, cv.AllowOverLimit = &c.Amount, c.Currency, &c.AllowOverLimit
		}
		v.History = append(v.History, cv)
	}
	return v
}

func (s *Service) showPartner(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("organization")
	p, err := s.Partners.GetPartner(r.Context(), id)
	if err != nil || s.Users == nil {
		s.answerPartner(w, id, "read", p, err)
		return
	}
	us, err := s.Users.ListPartnerUsers(r.Context(), id)
	if err != nil {
		s.answerUsersError(w, id, "list the users of", err)
		return
	}
	v := partnerView(p)
	v.Users = usersView(us).Users
	writeJSON(w, http.StatusOK, v)
}

// creditLimitChange is the body of PUT .../credit-limit; amount is a
// pointer so that a missing one is told from zero.
type creditLimitChange struct {
	Amount         *int64 `json:"amount"`
	Currency       string `json:"currency"`
	AllowOverLimit bool   `json:"allowOverLimit"`
	ChangedBy      string `json:"changedBy"`
	Reason         string `json:"reason"`
}

func (s *Service) changeCreditLimit(w http.ResponseWriter, r *http.Request) {
	var in creditLimitChange
	if errs := decode(w, r, &in); errs != nil {
		writePartnerInvalid(w, errs)
		return
	}
	change := commerce.CreditLimitChange{Currency: in.Currency, AllowOverLimit: in.AllowOverLimit,
		ChangedBy: in.ChangedBy, Reason: in.Reason}
	var missing []FieldError
	if in.Amount == nil {
		missing = append(missing, FieldError{Field: "amount", Message: "is required (minor units, e.g. cents)"})
	} else {
		change.Amount = *in.Amount
	}
	if errs := append(missing, fieldErrors(change.Normalize())...); len(errs) > 0 {
		writePartnerInvalid(w, errs)
		return
	}
	id := r.PathValue("organization")
	p, err := s.Partners.ChangeCreditLimit(r.Context(), id, change)
	s.answerPartner(w, id, "change the credit limit of", p, err)
	if err == nil {
		s.Logger.Info("Partner's credit limit changed", "organizationId", id)
	}
}

// standingChange is the body of POST .../block and .../unblock.
type standingChange struct {
	ChangedBy string `json:"changedBy"`
	Reason    string `json:"reason"`
}

func (s *Service) standing(block bool) http.HandlerFunc {
	change, what, done := s.Partners.UnblockPartner, "unblock", "Partner unblocked"
	if block {
		change, what, done = s.Partners.BlockPartner, "block", "Partner blocked"
	}
	return func(w http.ResponseWriter, r *http.Request) {
		var in standingChange
		if errs := decode(w, r, &in); errs != nil {
			writePartnerInvalid(w, errs)
			return
		}
		id := r.PathValue("organization")
		p, err := change(r.Context(), id, in.ChangedBy, in.Reason)
		if errs := fieldErrors(err); len(errs) > 0 {
			writePartnerInvalid(w, errs)
			return
		}
		s.answerPartner(w, id, what, p, err)
		if err == nil {
			s.Logger.Info(done, "organizationId", id, "blocked", p.Blocked)
		}
	}
}

// answerPartner answers the partner, or what went wrong; who changed it
// and why stay out of the log.
func (s *Service) answerPartner(w http.ResponseWriter, id, what string, p commerce.Partner, err error) {
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, partnerView(p))
	case errors.Is(err, commerce.ErrNotFound):
		writeError(w, http.StatusNotFound, "no partner organization with this id")
	case len(fieldErrors(err)) > 0:
		writePartnerInvalid(w, fieldErrors(err))
	default:
		s.Logger.Error("Could not "+what+" the partner", "organizationId", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the partner could not be read or changed; try again")
	}
}

func fieldErrors(err error) []FieldError {
	var out []FieldError
	for _, fe := range commerce.FieldErrors(err) {
		out = append(out, FieldError{Field: fe.Field, Message: fe.Message})
	}
	return out
}

func writePartnerInvalid(w http.ResponseWriter, errs []FieldError) {
	writeJSON(w, http.StatusBadRequest, problem{Error: "invalid change of partner", Fields: errs})
}
