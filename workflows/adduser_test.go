package workflows

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"
)

// userFake stands in for the addition's activities and records their calls.
type userFake struct {
	mu           sync.Mutex
	calls        []string
	refuse       bool
	mailFailures int // sends that fail before one goes out
}

func (f *userFake) record(name string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, name)
}

func (f *userFake) Create(_ context.Context, in PartnerUserAddition) (string, error) {
	f.record(ActivityCreatePartnerUser)
	if f.refuse {
		return "", temporal.NewNonRetryableApplicationError("the email address is already used by a user of another partner",
			ErrorEmailInUse, nil)
	}
	return "cust-" + in.AdditionID, nil
}

func (f *userFake) Join(_ context.Context, _ PartnerUserAddition) error {
	f.record(ActivityJoinPartnerUser)
	return nil
}

func (f *userFake) Invite(_ context.Context, _ PartnerUserAddition) error {
	f.record(ActivitySendInvitation)
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.mailFailures > 0 {
		f.mailFailures--
		return errors.New("send invitation email: 421 try again later")
	}
	return nil
}

func runAddition(t *testing.T, f *userFake) (PartnerUserAdded, error) {
	t.Helper()
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	env.RegisterWorkflowWithOptions(AddPartnerUser, workflow.RegisterOptions{Name: AddPartnerUserWorkflowName})
	env.RegisterActivityWithOptions(f.Create, activity.RegisterOptions{Name: ActivityCreatePartnerUser})
	env.RegisterActivityWithOptions(f.Join, activity.RegisterOptions{Name: ActivityJoinPartnerUser})
	env.RegisterActivityWithOptions(f.Invite, activity.RegisterOptions{Name: ActivitySendInvitation})
	env.ExecuteWorkflow(AddPartnerUserWorkflowName, PartnerUserAddition{AdditionID: "add-1", OrganizationID: "org-1"})
	if !env.IsWorkflowCompleted() {
		t.Fatal("workflow did not complete")
	}
	if err := env.GetWorkflowError(); err != nil {
		return PartnerUserAdded{}, err
	}
	var out PartnerUserAdded
	if err := env.GetWorkflowResult(&out); err != nil {
		t.Fatal(err)
	}
	return out, nil
}

func TestAddPartnerUserCreatesJoinsAndInvites(t *testing.T) {
	f := &userFake{}
	out, err := runAddition(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != UserAdded || out.CustomerID != "cust-add-1" {
		t.Errorf("outcome = %+v", out)
	}
	want := ActivityCreatePartnerUser + " " + ActivityJoinPartnerUser + " " + ActivitySendInvitation
	if got := strings.Join(f.calls, " "); got != want {
		t.Errorf("steps = %s, want %s", got, want)
	}
}

func TestAddPartnerUserRefusedEmailEndsTheAddition(t *testing.T) {
	f := &userFake{refuse: true}
	out, err := runAddition(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != UserRefused || !strings.Contains(out.Refusal, "another partner") || out.CustomerID != "" {
		t.Errorf("outcome = %+v", out)
	}
	if len(f.calls) != 1 {
		t.Errorf("steps after a refusal = %v, want the create only", f.calls)
	}
}

func TestAddPartnerUserRetriesTheInvitation(t *testing.T) {
	f := &userFake{mailFailures: 2}
	out, err := runAddition(t, f)
	if err != nil {
		t.Fatal(err)
	}
	if out.Status != UserAdded {
		t.Errorf("outcome = %+v", out)
	}
	sends := 0
	for _, c := range f.calls {
		if c == ActivitySendInvitation {
			sends++
		}
	}
	if sends != 3 {
		t.Errorf("invitation sends = %d, want 3 (two failures, then one out)", sends)
	}
}

func TestAddPartnerUserStartOptionsCarryNoPersonalData(t *testing.T) {
	opts := AddPartnerUserStartOptions(PartnerUserAddition{AdditionID: "9b2f", OrganizationID: "org-7"})
	if opts.ID != "add-partner-user-9b2f" || opts.StaticSummary != "Add a user to partner org-7" || opts.TaskQueue != TaskQueue {
		t.Errorf("start options = %+v", opts)
	}
}
