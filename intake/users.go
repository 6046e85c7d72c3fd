package intake

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strings"
	"time"

	"go.temporal.io/api/serviceerror"

	"github.com/partner-onboarding/onboarding/commerce"
	"github.com/partner-onboarding/onboarding/workflows"
)

// Users is the part of the Commerce register behind the partner's user
// endpoints, which the B2B site calls on behalf of a partner's admin.
type Users interface {
	RequestUserAddition(ctx context.Context, a commerce.UserAddition) (commerce.UserAddition, bool, error)
	ListPartnerUsers(ctx context.Context, organizationID string) (commerce.PartnerUsers, error)
	ChangeUserRole(ctx context.Context, organizationID, actingCustomerID, customerID, role string) (commerce.PartnerUser, error)
	RemoveUser(ctx context.Context, organizationID, actingCustomerID, customerID string) error
	CustomerAccess(ctx context.Context, customerID string) (commerce.Access, error)
	// Roles lists the roles a partner's user may have.
	Roles() []string
}

// userRoutes adds the endpoints with which a partner's admins manage its
// users, and the site's sign-in check.
func (s *Service) userRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /v1/partners/{organization}/users", s.guard(s.addUser))
	mux.HandleFunc("GET /v1/partners/{organization}/users", s.guard(s.listUsers))
	mux.HandleFunc("PUT /v1/partners/{organization}/users/{customer}/role", s.guard(s.changeRole))
	mux.HandleFunc("DELETE /v1/partners/{organization}/users/{customer}", s.guard(s.removeUser))
	mux.HandleFunc("GET /v1/customers/{customer}/access", s.guard(s.access))
}

// newUser is the body of POST .../users.
type newUser struct {
	ActingCustomerID string `json:"actingCustomerId"`
	FirstName        string `json:"firstName"`
	LastName         string `json:"lastName"`
	Email            string `json:"email"`
	JobTitle         string `json:"jobTitle"`
	Role             string `json:"role"`
	Locale           string `json:"locale"`
}

// UserAdditionView is an addition as the API answers it: its ID, status
// and, once refused, why. The user's data is not repeated.
type UserAdditionView struct {
	ID      string    `json:"id"`
	Status  string    `json:"status"`
	Role    string    `json:"role"`
	Refusal string    `json:"refusal,omitempty"`
	At      time.Time `json:"createdAt"`
}

// PartnerUserView is a partner's user as the API answers it.
type PartnerUserView struct {
	CustomerID string `json:"customerId"`
	FirstName  string `json:"firstName"`
	LastName   string `json:"lastName"`
	Email      string `json:"email"`
	JobTitle   string `json:"jobTitle"`
	Role       string `json:"role"`
	Active     bool   `json:"active"`
}

// PartnerUsersView lists a partner's users and its additions not carried out.
type PartnerUsersView struct {
	OrganizationID string             `json:"organizationId"`
	Users          []PartnerUserView  `json:"users"`
	Additions      []UserAdditionView `json:"additions"`
}

// AccessView answers whether a customer may sign in.
type AccessView struct {
	CustomerID     string `json:"customerId"`
	MaySignIn      bool   `json:"maySignIn"`
	OrganizationID string `json:"organizationId,omitempty"`
	Role           string `json:"role,omitempty"`
}

func (s *Service) addUser(w http.ResponseWriter, r *http.Request) {
	var in newUser
	if errs := decode(w, r, &in); errs != nil {
		writeUsersInvalid(w, errs)
		return
	}
	u := workflows.NewUser{FirstName: in.FirstName, LastName: in.LastName, Email: in.Email, JobTitle: in.JobTitle, Locale: in.Locale}
	errs := workflows.ValidateNewUser(&u)
	if strings.TrimSpace(in.ActingCustomerID) == "" {
		errs = append(errs, workflows.FieldError{Field: "actingCustomerId", Message: "is required"})
	}
	if !slices.Contains(s.Users.Roles(), in.Role) {
		errs = append(errs, workflows.FieldError{Field: "role", Message: "must be one of " + strings.Join(s.Users.Roles(), ", ")})
	}
	if len(errs) > 0 {
		out := make([]FieldError, len(errs))
		for i, e := range errs {
			out[i] = FieldError{Field: e.Field, Message: e.Message}
		}
		writeUsersInvalid(w, out)
		return
	}
	org := r.PathValue("organization")
	a, created, err := s.Users.RequestUserAddition(r.Context(), commerce.UserAddition{OrganizationID: org,
		ActingCustomerID: strings.TrimSpace(in.ActingCustomerID), FirstName: u.FirstName, LastName: u.LastName,
		Email: u.Email, JobTitle: u.JobTitle, Role: in.Role, Locale: u.Locale})
	if err != nil {
		s.answerUsersError(w, org, "add a user to", err)
		return
	}
	if a.Status == commerce.AdditionPending {
		// Started again for a pending addition, it joins the running one.
		in := workflows.PartnerUserAddition{AdditionID: a.ID, OrganizationID: org}
		_, err := s.Temporal.ExecuteWorkflow(r.Context(), workflows.AddPartnerUserStartOptions(in), workflows.AddPartnerUserWorkflowName, in)
		var started *serviceerror.WorkflowExecutionAlreadyStarted
		if err != nil && !errors.As(err, &started) {
			s.Logger.Error("Could not start the user addition", "organizationId", org, "additionId", a.ID, "error", err)
			writeError(w, http.StatusServiceUnavailable, "the user addition is registered but could not be started; send it again")
			return
		}
	}
	s.Logger.Info("User addition accepted", "organizationId", org, "additionId", a.ID, "created", created)
	writeJSON(w, http.StatusAccepted, additionView(a))
}

func additionView(a commerce.UserAddition) UserAdditionView {
	return UserAdditionView{ID: a.ID, Status: a.Status, Role: a.Role, Refusal: a.Refusal, At: a.CreatedAt}
}

func (s *Service) listUsers(w http.ResponseWriter, r *http.Request) {
	org := r.PathValue("organization")
	us, err := s.Users.ListPartnerUsers(r.Context(), org)
	if err != nil {
		s.answerUsersError(w, org, "list the users of", err)
		return
	}
	writeJSON(w, http.StatusOK, usersView(us))
}

func usersView(us commerce.PartnerUsers) PartnerUsersView {
	v := PartnerUsersView{OrganizationID: us.OrganizationID, Users: []PartnerUserView{}, Additions: []UserAdditionView{}}
	for _, u := range us.Users {
		v.Users = append(v.Users, userView(u))
	}
	for _, a := range us.Additions {
		v.Additions = append(v.Additions, additionView(a))
	}
	return v
}

func userView(u commerce.PartnerUser) PartnerUserView {
	return PartnerUserView{CustomerID: u.CustomerID, FirstName: u.FirstName, LastName: u.LastName, Email: u.Email,
		JobTitle: u.JobTitle, Role: u.Role, Active: u.Active}
}

// roleChange is the body of PUT .../users/{customer}/role.
type roleChange struct {
	ActingCustomerID string `json:"actingCustomerId"`
	Role             string `json:"role"`
}

func (s *Service) changeRole(w http.ResponseWriter, r *http.Request) {
	var in roleChange
	if errs := decode(w, r, &in); errs != nil {
		writeUsersInvalid(w, errs)
		return
	}
	var errs []FieldError
	if strings.TrimSpace(in.ActingCustomerID) == "" {
		errs = append(errs, FieldError{Field: "actingCustomerId", Message: "is required"})
	}
	if !slices.Contains(s.Users.Roles(), in.Role) {
		errs = append(errs, FieldError{Field: "role", Message: "must be one of " + strings.Join(s.Users.Roles(), ", ")})
	}
	if len(errs) > 0 {
		writeUsersInvalid(w, errs)
		return
	}
	org, customer := r.PathValue("organization"), r.PathValue("customer")
	u, err := s.Users.ChangeUserRole(r.Context(), org, strings.TrimSpace(in.ActingCustomerID), customer, in.Role)
	if err != nil {
		s.answerUsersError(w, org, "change a user's role at", err)
		return
	}
	s.Logger.Info("User's role changed", "organizationId", org, "customerId", customer, "role", in.Role)
	writeJSON(w, http.StatusOK, userView(u))
}

func (s *Service) removeUser(w http.ResponseWriter, r *http.Request) {
	org, customer := r.PathValue("organization"), r.PathValue("customer")
	acting := strings.TrimSpace(r.URL.Query().Get("actingCustomerId"))
	if acting == "" {
		writeUsersInvalid(w, []FieldError{{Field: "actingCustomerId", Message: "is required"}})
		return
	}
	if err := s.Users.RemoveUser(r.Context(), org, acting, customer); err != nil {
		s.answerUsersError(w, org, "remove a user of", err)
		return
	}
	s.Logger.Info("User removed", "organizationId", org, "customerId", customer)
	us, err := s.Users.ListPartnerUsers(r.Context(), org)
	if err != nil {
		s.answerUsersError(w, org, "list the users of", err)
		return
	}
	writeJSON(w, http.StatusOK, usersView(us))
}

func (s *Service) access(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("customer")
	acc, err := s.Users.CustomerAccess(r.Context(), id)
	switch {
	case errors.Is(err, commerce.ErrNotFound):
		writeError(w, http.StatusNotFound, "no customer with this id")
	case err != nil:
		s.Logger.Error("Could not read a customer's access", "customerId", id, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the customer's access could not be read; try again")
	default:
		writeJSON(w, http.StatusOK, AccessView{CustomerID: acc.CustomerID, MaySignIn: acc.MaySignIn,
			OrganizationID: acc.OrganizationID, Role: acc.Role})
	}
}

// answerUsersError answers what went wrong with a call on a partner's users.
func (s *Service) answerUsersError(w http.ResponseWriter, org, what string, err error) {
	switch {
	case errors.Is(err, commerce.ErrForbidden):
		writeError(w, http.StatusForbidden, "actingCustomerId is not an active Admin of this partner; only its admins manage its users")
	case errors.Is(err, commerce.ErrLastAdmin):
		writeError(w, http.StatusConflict, "the partner must keep at least one active Admin; make another user Admin first")
	case errors.Is(err, commerce.ErrNotFound):
		writeError(w, http.StatusNotFound, "no such partner organization, or no such user of it")
	case errors.Is(err, commerce.ErrInvalid):
		msg := err.Error()
		if i := strings.LastIndex(msg, commerce.ErrInvalid.Error()+": "); i >= 0 {
			msg = msg[i+len(commerce.ErrInvalid.Error())+2:]
		}
		writeError(w, http.StatusConflict, msg)
	default:
		s.Logger.Error("Could not "+what+" the partner", "organizationId", org, "error", err)
		writeError(w, http.StatusServiceUnavailable, "the partner's users could not be read or changed; try again")
	}
}

func writeUsersInvalid(w http.ResponseWriter, errs []FieldError) {
	writeJSON(w, http.StatusBadRequest, problem{Error: "invalid call on the partner's users", Fields: errs})
}
