package commerce

import (
	"context"
	"errors"
	"sync"
	"testing"
)

// partnerAdmin is the requester approvedPartner made Admin of the partner.
func partnerAdmin(t *testing.T, s *Store, requestID string) string {
	t.Helper()
	h, err := s.GetHierarchyByRequest(context.Background(), requestID)
	if err != nil || len(h.Members) != 1 {
		t.Fatalf("hierarchy = %+v, %v", h, err)
	}
	return h.Members[0].CustomerID
}

// addUser carries an addition out as the workflow does and returns the
// user's customer ID.
func addUser(t *testing.T, s *Store, org, acting, email, role string) string {
	t.Helper()
	ctx := context.Background()
	a, _, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: org, ActingCustomerID: acting,
		FirstName: "Bo", LastName: "Berg", Email: email, Role: role})
	if err != nil {
		t.Fatal(err)
	}
	id, err := s.CreateAddedUser(ctx, a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.JoinAddedUser(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	return id
}

func TestAddUserIsIdempotentAndListed(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		a, created, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: org.ID, ActingCustomerID: admin,
			FirstName: " Bo ", LastName: "Berg", Email: "Bo@Example.com", JobTitle: "Buyer", Role: RoleUser, Locale: "de"})
		if err != nil || !created || a.Status != AdditionPending || a.FirstName != "Bo" {
			t.Fatalf("addition = %+v, %v, %v", a, created, err)
		}
		again, created, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: org.ID, ActingCustomerID: admin,
			FirstName: "Bo", LastName: "Berg", Email: "bo@example.com", Role: RoleUser})
		if err != nil || created || again.ID != a.ID {
			t.Fatalf("same address again = %+v, %v, %v; want addition %s", again, created, err, a.ID)
		}
		id1, err := s.CreateAddedUser(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		id2, err := s.CreateAddedUser(ctx, a.ID)
		if err != nil || id2 != id1 {
			t.Fatalf("second create = %s, %v; want %s", id2, err, id1)
		}
		for range 2 {
			if err := s.JoinAddedUser(ctx, a.ID); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.GetUserAddition(ctx, a.ID)
		if err != nil || got.Status != AdditionAdded || got.CustomerID != id1 || got.Locale != "de" {
			t.Fatalf("addition after join = %+v, %v", got, err)
		}
		users, err := s.ListPartnerUsers(ctx, org.ID)
		if err != nil || len(users.Users) != 2 || len(users.Additions) != 0 {
			t.Fatalf("users = %+v, %v", users, err)
		}
		if u := users.Users[1]; u.CustomerID != id1 || u.Role != RoleUser || !u.Active || u.JobTitle != "Buyer" {
			t.Errorf("added user = %+v", u)
		}
		acc, err := s.CustomerAccess(ctx, id1)
		if err != nil || !acc.MaySignIn || acc.OrganizationID != org.ID || acc.Role != RoleUser {
			t.Errorf("access = %+v, %v", acc, err)
		}
	})
}

func TestOnlyAnAdminAddsUsers(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		user := addUser(t, s, org.ID, admin, "bo@example.com", RoleUser)
		_, _, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: org.ID, ActingCustomerID: user,
			FirstName: "Cy", LastName: "Dahl", Email: "cy@example.com", Role: RoleUser})
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("a User adds a user: %v, want ErrForbidden", err)
		}
		other := approvedPartner(t, s, "req-2")
		_, _, err = s.RequestUserAddition(ctx, UserAddition{OrganizationID: other.ID, ActingCustomerID: admin,
			FirstName: "Cy", LastName: "Dahl", Email: "cy@example.com", Role: RoleUser})
		if !errors.Is(err, ErrForbidden) {
			t.Errorf("another partner's admin adds a user: %v, want ErrForbidden", err)
		}
		_, _, err = s.RequestUserAddition(ctx, UserAddition{OrganizationID: admin, ActingCustomerID: admin,
			FirstName: "Cy", LastName: "Dahl", Email: "cy@example.com", Role: RoleUser})
		if !errors.Is(err, ErrNotFound) {
			t.Errorf("addition to no partner: %v, want ErrNotFound", err)
		}
	})
}

func TestEmailOfAnotherPartnersUserIsRefused(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		addUser(t, s, org.ID, partnerAdmin(t, s, "req-1"), "bo@example.com", RoleUser)
		other := approvedPartner(t, s, "req-2")
		a, _, err := s.RequestUserAddition(ctx, UserAddition{OrganizationID: other.ID, ActingCustomerID: partnerAdmin(t, s, "req-2"),
			FirstName: "Bo", LastName: "Berg", Email: " BO@example.com", Role: RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			var inUse *EmailInUseError
			if _, err := s.CreateAddedUser(ctx, a.ID); !errors.As(err, &inUse) || !errors.Is(err, ErrInvalid) {
				t.Fatalf("create = %v, want EmailInUseError", err)
			}
		}
		got, _ := s.GetUserAddition(ctx, a.ID)
		if got.Status != AdditionRefused || got.Refusal == "" || got.CustomerID != "" {
			t.Errorf("refused addition = %+v", got)
		}
		users, err := s.ListPartnerUsers(ctx, other.ID)
		if err != nil || len(users.Users) != 1 || len(users.Additions) != 1 || users.Additions[0].Status != AdditionRefused {
			t.Errorf("other partner's users = %+v, %v", users, err)
		}
	})
}

func TestRemovedUserCannotSignIn(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		user := addUser(t, s, org.ID, admin, "bo@example.com", RoleUser)
		if err := s.RemoveUser(ctx, org.ID, admin, user); err != nil {
			t.Fatal(err)
		}
		if err := s.RemoveUser(ctx, org.ID, admin, user); err != nil {
			t.Fatalf("removing again: %v", err)
		}
		acc, err := s.CustomerAccess(ctx, user)
		if err != nil || acc.MaySignIn {
			t.Errorf("removed user's access = %+v, %v", acc, err)
		}
		users, _ := s.ListPartnerUsers(ctx, org.ID)
		if len(users.Users) != 2 || users.Users[1].Active {
			t.Errorf("users after removal = %+v", users.Users)
		}
		if _, err := s.ChangeUserRole(ctx, org.ID, user, admin, RoleUser); !errors.Is(err, ErrForbidden) {
			t.Errorf("removed user acts: %v, want ErrForbidden", err)
		}
		if acc, err := s.CustomerAccess(ctx, admin); err != nil || !acc.MaySignIn || acc.Role != RoleAdmin {
			t.Errorf("admin's access = %+v, %v", acc, err)
		}
		if acc, err := s.CustomerAccess(ctx, org.ID); err != nil || acc.MaySignIn {
			t.Errorf("organization's access = %+v, %v", acc, err)
		}
		if _, err := s.CustomerAccess(ctx, "nobody"); !errors.Is(err, ErrNotFound) {
			t.Errorf("unknown customer's access: %v", err)
		}
	})
}

func TestLastAdminIsKept(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		if err := s.RemoveUser(ctx, org.ID, admin, admin); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("removing the last admin: %v, want ErrLastAdmin", err)
		}
		if _, err := s.ChangeUserRole(ctx, org.ID, admin, admin, RoleUser); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demoting the last admin: %v, want ErrLastAdmin", err)
		}
		second := addUser(t, s, org.ID, admin, "bo@example.com", RoleUser)
		if u, err := s.ChangeUserRole(ctx, org.ID, admin, second, RoleAdmin); err != nil || u.Role != RoleAdmin {
			t.Fatalf("promote = %+v, %v", u, err)
		}
		if err := s.RemoveUser(ctx, org.ID, second, admin); err != nil {
			t.Fatalf("removing one of two admins: %v", err)
		}
		if _, err := s.ChangeUserRole(ctx, org.ID, second, second, RoleUser); !errors.Is(err, ErrLastAdmin) {
			t.Errorf("demoting the remaining admin: %v, want ErrLastAdmin", err)
		}
	})
}

// TestConcurrentDemotionsKeepAnAdmin has two admins demote each other at
// once: one demotion wins, the other finds the last Admin.
func TestConcurrentDemotionsKeepAnAdmin(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		for round := range 5 {
			second := addUser(t, s, org.ID, admin, "admin"+string(rune('a'+round))+"@example.com", RoleAdmin)
			var wg sync.WaitGroup
			errs := make([]error, 2)
			for i, pair := range [][2]string{{admin, second}, {second, admin}} {
				wg.Add(1)
				go func() {
					defer wg.Done()
					// Each demotes the other and then itself.
					_, errs[i] = s.ChangeUserRole(ctx, org.ID, pair[0], pair[1], RoleUser)
					if errs[i] == nil {
						_, errs[i] = s.ChangeUserRole(ctx, org.ID, pair[0], pair[0], RoleUser)
					}
				}()
			}
			wg.Wait()
			users, err := s.ListPartnerUsers(ctx, org.ID)
			if err != nil {
				t.Fatal(err)
			}
			admins := 0
			for _, u := range users.Users {
				if u.Active && u.Role == RoleAdmin {
					admins++
					admin = u.CustomerID
				}
			}
			if admins != 1 {
				t.Fatalf("round %d: %d active admins after concurrent demotions (%v)", round, admins, errs)
			}
			for _, err := range errs {
				if err != nil && !errors.Is(err, ErrLastAdmin) && !errors.Is(err, ErrForbidden) {
					t.Fatalf("round %d: unexpected error %v", round, err)
				}
			}
		}
	})
}

// TestAddingAMemberAgainKeepsItsRole: an admin who adds their own address
// as a User stays Admin; a removed user added again is active again.
func TestAddingAMemberAgainKeepsItsRole(t *testing.T) {
	eachStore(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		org := approvedPartner(t, s, "req-1")
		admin := partnerAdmin(t, s, "req-1")
		if _, err := s.pool.ExecContext(ctx, s.db.bind(`UPDATE customers SET email = ? WHERE id = ?`), "ada@example.com", admin); err != nil {
			t.Fatal(err)
		}
		if id := addUser(t, s, org.ID, admin, "ADA@example.com", RoleUser); id != admin {
			t.Fatalf("the admin's own address made customer %s, want %s", id, admin)
		}
		if acc, err := s.CustomerAccess(ctx, admin); err != nil || acc.Role != RoleAdmin || !acc.MaySignIn {
			t.Errorf("admin after adding their own address as a User = %+v, %v", acc, err)
		}
		user := addUser(t, s, org.ID, admin, "bo@example.com", RoleUser)
		if err := s.RemoveUser(ctx, org.ID, admin, user); err != nil {
			t.Fatal(err)
		}
		if again := addUser(t, s, org.ID, admin, "bo@example.com", RoleUser); again != user {
			t.Fatalf("the removed user added again is customer %s, want %s", again, user)
		}
		if acc, err := s.CustomerAccess(ctx, user); err != nil || !acc.MaySignIn {
			t.Errorf("removed user added again: access %+v, %v", acc, err)
		}
	})
}
