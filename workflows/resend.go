package workflows

import (
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// ResendEmailWorkflow sends an email of a request again: the requester says
// the welcome never came, or the mail server lost it. It runs beside the
// request's own workflow, which may have ended long ago, as a step operators
// see, retry and pause like any other. The resent copy has a Message-ID of
// its own (from this workflow's ID), so mail clients do not take it for the
// first one; a retry of this workflow's step sends the same copy.
func ResendEmailWorkflow(ctx workflow.Context, in ResendEmail) error {
	if in.RequestID == "" || in.Kind == "" {
		return temporal.NewNonRetryableApplicationError("resend email: requestId and kind are required", "InvalidRequest", nil)
	}
	workflow.GetLogger(ctx).Info("Resending email", "requestId", in.RequestID, "kind", in.Kind, "operator", in.Operator)
	opts := activityOptions(smtpCall, "Resend "+string(in.Kind)+" email")
	actx := workflow.WithActivityOptions(ctx, opts)
	email := Email{RequestID: in.RequestID, Kind: in.Kind, Resend: workflow.GetInfo(ctx).WorkflowExecution.ID}
	return workflow.ExecuteActivity(actx, ActivitySendEmail, email).Get(actx, nil)
}
