package workflows

import (
	"errors"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// AddPartnerUserWorkflowName is the registered name of the workflow that
// adds a user to an approved partner on behalf of one of its admins.
const AddPartnerUserWorkflowName = "AddPartnerUser"

// The user addition's steps.
const (
	// ActivityCreatePartnerUser creates the user's person customer, or
	// refuses an address a user of another partner has (ErrorEmailInUse).
	ActivityCreatePartnerUser = "CreatePartnerUser"
	// ActivityJoinPartnerUser puts the user into the partner's hierarchy
	// with its role.
	ActivityJoinPartnerUser = "JoinPartnerUser"
	// ActivitySendInvitation sends the user the invitation to sign in.
	ActivitySendInvitation = "SendInvitation"
)

// ErrorEmailInUse is the type of the non-retryable error of a user addition
// whose address a user of another partner has.
const ErrorEmailInUse = "EmailInUse"

// EmailInvitation invites a partner's new user to sign in.
const EmailInvitation EmailKind = "invitation"

// The outcomes of a user addition; the Commerce register records the same.
const (
	UserAdded   = "Added"
	UserRefused = "Refused"
)

// PartnerUserAddition is the input of the AddPartnerUser workflow: IDs only.
// The user's name and address wait in the Commerce register under
// AdditionID (a claim check), so that no personal data enters the history.
type PartnerUserAddition struct {
	AdditionID     string `json:"additionId"`
	OrganizationID string `json:"organizationId"`
}

// PartnerUserAdded is the outcome of a user addition.
type PartnerUserAdded struct {
	Status     string `json:"status"`
	CustomerID string `json:"customerId,omitempty"`
	// Refusal says why a Refused addition was refused.
	Refusal string `json:"refusal,omitempty"`
}

// AddPartnerUserWorkflowID is the workflow ID of an addition: its ID, a
// UUID, and nothing of the user.
func AddPartnerUserWorkflowID(additionID string) string { return "add-partner-user-" + additionID }

// AddPartnerUserStartOptions are the start options of an addition; starting
// it again joins the running or finished one.
func AddPartnerUserStartOptions(in PartnerUserAddition) client.StartWorkflowOptions {
	return client.StartWorkflowOptions{
		ID:                       AddPartnerUserWorkflowID(in.AdditionID),
		TaskQueue:                TaskQueue,
		WorkflowIDConflictPolicy: enumspb.WORKFLOW_ID_CONFLICT_POLICY_USE_EXISTING,
		WorkflowIDReusePolicy:    enumspb.WORKFLOW_ID_REUSE_POLICY_REJECT_DUPLICATE,
		StaticSummary:            "Add a user to partner " + in.OrganizationID,
	}
}

// AddPartnerUser adds a user to a partner: it creates the person customer,
// joins it to the partner's hierarchy with its role and sends it the
// invitation. An address a user of another partner has ends the addition
// as Refused, which the register records; other failures retry.
func AddPartnerUser(ctx workflow.Context, in PartnerUserAddition) (PartnerUserAdded, error) {
	if in.AdditionID == "" || in.OrganizationID == "" {
		return PartnerUserAdded{}, temporal.NewNonRetryableApplicationError(
			"add partner user: additionId and organizationId are required", "InvalidRequest", nil)
	}
	workflow.GetLogger(ctx).Info("Adding a partner user", "additionId", in.AdditionID, "organizationId", in.OrganizationID)

	var customerID string
	err := runStep(ctx, ownDatabase, "Create the user's customer", ActivityCreatePartnerUser, in, &customerID)
	var appErr *temporal.ApplicationError
	if errors.As(err, &appErr) && appErr.Type() == ErrorEmailInUse {
		workflow.GetLogger(ctx).Info("Partner user refused", "additionId", in.AdditionID, "reason", ErrorEmailInUse)
		return PartnerUserAdded{Status: UserRefused, Refusal: appErr.Message()}, nil
	}
	if err != nil {
		return PartnerUserAdded{}, err
	}
	if err := runStep(ctx, ownDatabase, "Join the partner's hierarchy", ActivityJoinPartnerUser, in, nil); err != nil {
		return PartnerUserAdded{}, err
	}
	if err := runStep(ctx, smtpCall, "Send the invitation email", ActivitySendInvitation, in, nil); err != nil {
		return PartnerUserAdded{}, err
	}
	return PartnerUserAdded{Status: UserAdded, CustomerID: customerID}, nil
}

func runStep(ctx workflow.Context, kind stepKind, summary, activity string, in, out any) error {
	actx := workflow.WithActivityOptions(ctx, activityOptions(kind, summary))
	return workflow.ExecuteActivity(actx, activity, in).Get(actx, out)
}
