package workflows

import (
	"errors"
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// SalesEventWorkflow takes over one Sales webhook once the receiver has
// authenticated and read it: Dataverse retries a webhook once at most, so
// the receiver hands the decision to this workflow and answers at once. It
// finds the request in Sales (QualifyLead, Win and Lose bodies carry no
// images, so the body alone rarely names it), with retries that outlast a
// Sales outage or an expired secret, signals the request's workflow, and
// records the outcome.
func SalesEventWorkflow(ctx workflow.Context, ev SalesEvent) (string, error) {
	logger := workflow.GetLogger(ctx)
	actx := workflow.WithActivityOptions(ctx, activityOptions(salesCall, "Find the request in Sales"))
	var r ResolvedSalesEvent
	if err := workflow.ExecuteActivity(actx, ActivityResolveSalesEvent, ev).Get(actx, &r); err != nil {
		return "", err
	}
	if r.RequestID == "" {
		logger.Info("Sales event is not about an onboarding request", "signal", ev.Signal, "reason", r.Reason)
		return SalesEventNotOurs + ": " + r.Reason, nil
	}

	outcome, err := deliver(ctx, r)
	if err != nil {
		return "", err
	}
	record := SalesEventRecord{EventID: ev.EventID, RequestID: r.RequestID, Signal: ev.Signal,
		RecordID: firstNonEmpty(r.OpportunityID, r.LeadID), Outcome: outcome}
	dctx := workflow.WithActivityOptions(ctx, activityOptions(ownDatabase, "Record the Sales event"))
	if err := workflow.ExecuteActivity(dctx, ActivityRecordSalesEvent, record).Get(dctx, nil); err != nil {
		return "", err
	}
	logger.Info("Sales event handled", "requestId", r.RequestID, "signal", ev.Signal, "outcome", outcome)
	return outcome, nil
}

// deliver signals the request's workflow. A request already closed keeps
// the decision on record (RecordSalesEvent), never applied; any other failure
// to signal is tried again, so that the decision is not lost.
func deliver(ctx workflow.Context, r ResolvedSalesEvent) (string, error) {
	for {
		err := workflow.SignalExternalWorkflow(ctx, WorkflowID(r.RequestID), "", r.Signal, SignalPayload(r)).Get(ctx, nil)
		var closed *temporal.UnknownExternalWorkflowExecutionError
		switch {
		case err == nil:
			return SalesEventDelivered, nil
		case errors.As(err, &closed):
			return SalesEventRequestClosed, nil
		}
		workflow.GetLogger(ctx).Warn("Signal not delivered; trying again", "requestId", r.RequestID, "error", err)
		if err := workflow.Sleep(ctx, 10*time.Second); err != nil {
			return "", err
		}
	}
}

// SignalPayload is the signal a resolved decision becomes.
func SignalPayload(r ResolvedSalesEvent) any {
	switch r.Signal {
	case SignalLeadQualified:
		return LeadQualified{LeadID: r.LeadID, OpportunityID: r.OpportunityID,
			ContactID: r.ContactID, AccountID: r.AccountID, EventID: r.EventID}
	case SignalLeadDisqualified:
		return LeadDisqualified{LeadID: r.LeadID, EventID: r.EventID}
	default:
		return OpportunityClosed{OpportunityID: r.OpportunityID, EventID: r.EventID}
	}
}
