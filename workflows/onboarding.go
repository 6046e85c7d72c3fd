// Package workflows holds the partner onboarding process: one durable workflow
// per request, from the sign-up form to an approved business partner with a
// customer hierarchy, or a rejected prospect with a decline email.
package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// PartnerOnboarding runs one onboarding request.
func PartnerOnboarding(ctx workflow.Context, req Request) (State, error) {
	o, err := newOnboarding(ctx, req)
	if err != nil {
		return State{}, err
	}
	return o.run(ctx)
}

// run is the business process. A run that continued as new skips what its
// predecessor already did.
func (o *onboarding) run(ctx workflow.Context) (State, error) {
	if o.state.LeadID == "" {
		if err := o.openLead(ctx); err != nil {
			return o.state, err
		}
	}

	if o.state.OrganizationCustomerID == "" {
		qualified, err := o.awaitLeadDecision(ctx)
		if err != nil {
			return o.state, err
		}
		if !qualified {
			return o.reject(ctx, DecisionDisqualified)
		}
		if err := o.importCustomers(ctx); err != nil {
			return o.state, err
		}
	}

	won, err := o.awaitOpportunityDecision(ctx)
	if err != nil {
		return o.state, err
	}
	if !won {
		return o.reject(ctx, DecisionLost)
	}
	return o.approve(ctx)
}

// openLead registers the prospect, confirms receipt to the requester and puts
// a lead in front of Sales.
func (o *onboarding) openLead(ctx workflow.Context) error {
	if err := o.step(ctx, "Register prospect", ActivityRegisterProspect, o.request, nil); err != nil {
		return err
	}
	if err := o.sendEmail(ctx, EmailReceipt); err != nil {
		return err
	}
	if err := o.step(ctx, "Create lead in Sales", ActivityCreateLead, o.request, &o.state.LeadID); err != nil {
		return err
	}
	return o.setStatus(ctx, StatusAwaitingQualification)
}

// awaitLeadDecision waits until a seller qualifies or disqualifies the lead.
func (o *onboarding) awaitLeadDecision(ctx workflow.Context) (qualified bool, err error) {
	workflow.SetCurrentDetails(ctx, "Waiting for a seller to qualify or disqualify the lead in Sales.")
	err = o.awaitSales(ctx, func() bool {
		return o.state.Qualification != nil || o.state.Disqualification != nil
	})
	return o.state.Qualification != nil, err
}

// importCustomers writes the qualified contact and account to Commerce as
// customers of type Person and Organization.
func (o *onboarding) importCustomers(ctx workflow.Context) error {
	q := o.state.Qualification
	in := ImportCustomersInput{
		RequestID:     o.state.RequestID,
		OpportunityID: q.OpportunityID,
		ContactID:     q.ContactID,
		AccountID:     q.AccountID,
	}
	var customers Customers
	if err := o.step(ctx, "Import contact and account as customers", ActivityImportCustomers, in, &customers); err != nil {
		return err
	}
	o.state.ContactID, o.state.AccountID = customers.ContactID, customers.AccountID
	o.state.PersonCustomerID = customers.PersonCustomerID
	o.state.OrganizationCustomerID = customers.OrganizationCustomerID
	return o.setStatus(ctx, StatusQualified)
}

// awaitOpportunityDecision waits until the seller closes the opportunity. A
// "won" or "lost" that arrived before the qualification is already here.
func (o *onboarding) awaitOpportunityDecision(ctx workflow.Context) (won bool, err error) {
	workflow.SetCurrentDetails(ctx, "Waiting for the seller to close the opportunity as won or lost in Sales.")
	err = o.awaitSales(ctx, func() bool { return o.state.Closing != nil })
	return err == nil && o.state.Closing.Won, err
}

// approve makes the prospect a business partner: the customer hierarchy with
// the requester as Admin, the approved status and the welcome email.
func (o *onboarding) approve(ctx workflow.Context) (State, error) {
	in := HierarchyInput{
		RequestID:              o.state.RequestID,
		OrganizationCustomerID: o.state.OrganizationCustomerID,
		PersonCustomerID:       o.state.PersonCustomerID,
	}
	if err := o.step(ctx, "Create customer hierarchy", ActivityCreateCustomerHierarchy, in, &o.state.HierarchyID); err != nil {
		return o.state, err
	}
	o.state.Decision = DecisionWon
	if err := o.setStatus(ctx, StatusApproved); err != nil {
		return o.state, err
	}
	if err := o.sendEmail(ctx, EmailWelcome); err != nil {
		return o.state, err
	}
	workflow.SetCurrentDetails(ctx, "Approved: the partner is onboarded.")
	return o.state, nil
}

// reject marks the prospect rejected and tells the requester.
func (o *onboarding) reject(ctx workflow.Context, decision Decision) (State, error) {
	o.state.Decision = decision
	if err := o.setStatus(ctx, StatusRejected); err != nil {
		return o.state, err
	}
	if err := o.sendEmail(ctx, EmailDecline); err != nil {
		return o.state, err
	}
	workflow.SetCurrentDetails(ctx, "Rejected: "+string(decision)+".")
	return o.state, nil
}

// onboarding holds one request's state while the workflow runs.
type onboarding struct {
	request    Request
	state      State
	checkEvery time.Duration
	signals    salesSignals
	retries    int
	logger     log.Logger
}

func newOnboarding(ctx workflow.Context, req Request) (*onboarding, error) {
	if req.RequestID == "" {
		return nil, temporal.NewNonRetryableApplicationError("onboarding request: id is required", "InvalidRequest", nil)
	}
	o := &onboarding{
		request:    req,
		checkEvery: req.SalesCheckInterval,
		logger:     log.With(workflow.GetLogger(ctx), "requestId", req.RequestID),
	}
	o.request.Resume = nil
	if o.checkEvery <= 0 {
		o.checkEvery = defaultSalesCheckPeriod
	}
	if req.Resume != nil {
		o.state = *req.Resume
	} else {
		o.state = State{RequestID: req.RequestID}
		o.markStatus(ctx, StatusReceived)
	}
	if err := workflow.SetQueryHandler(ctx, QueryState, func() (State, error) { return o.state, nil }); err != nil {
		return nil, fmt.Errorf("register state query: %w", err)
	}
	o.signals = o.listen(ctx)
	return o, nil
}

// step runs one activity. Transient failures retry inside the activity
// without limit. A permanent failure sets NeedsAttention and waits for an
// operator's retry signal, then runs the step again: nothing is lost.
func (o *onboarding) step(ctx workflow.Context, summary, activity string, in, out any) error {
	for {
		actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
			StartToCloseTimeout: time.Minute,
			RetryPolicy: &temporal.RetryPolicy{
				InitialInterval:    time.Second,
				BackoffCoefficient: 2,
				MaximumInterval:    5 * time.Minute,
			},
			Summary: summary,
		})
		err := workflow.ExecuteActivity(actx, activity, in).Get(actx, out)
		var appErr *temporal.ApplicationError
		if err == nil || !errors.As(err, &appErr) || !appErr.NonRetryable() {
			return err
		}
		if err := o.awaitOperator(ctx, summary, appErr); err != nil {
			return err
		}
	}
}

// awaitOperator parks the request in NeedsAttention until an operator sends
// SignalRetry, and then restores the status it had.
func (o *onboarding) awaitOperator(ctx workflow.Context, step string, cause *temporal.ApplicationError) error {
	o.logger.Error("Step needs attention", "step", step, "errorType", cause.Type(), "error", cause.Error())
	previous := o.state.Status
	o.state.Attention = &Attention{Step: step, Error: cause.Error(), Since: workflow.Now(ctx)}
	o.markStatus(ctx, StatusNeedsAttention)
	o.tryProspectStatus(ctx, StatusNeedsAttention)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf(
		"**Needs attention**: %s failed: %s\n\nFix the cause, then send the `%s` signal.", step, cause.Error(), SignalRetry))

	seen := o.retries
	if err := workflow.Await(ctx, func() bool { return o.retries > seen }); err != nil {
		return err
	}
	o.logger.Info("Operator retries step", "step", step)
	o.state.Attention = nil
	o.markStatus(ctx, previous)
	o.tryProspectStatus(ctx, previous)
	return nil
}

// tryProspectStatus shows NeedsAttention, and its end, in the prospect
// register too. It tries a few times only: the failing step may be the
// register itself, and the operator's retry must not wait on it.
func (o *onboarding) tryProspectStatus(ctx workflow.Context, status Status) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
		Summary:             "Set prospect status to " + string(status),
	})
	in := ProspectStatus{RequestID: o.state.RequestID, Status: status}
	if err := workflow.ExecuteActivity(actx, ActivitySetProspectStatus, in).Get(actx, nil); err != nil {
		o.logger.Warn("Prospect register does not show the status", "status", status, "error", err)
	}
}

// setStatus moves the prospect register first, so that whoever sees a status
// in the workflow's state or search attributes finds it in Commerce too.
func (o *onboarding) setStatus(ctx workflow.Context, status Status) error {
	in := ProspectStatus{RequestID: o.state.RequestID, Status: status}
	if err := o.step(ctx, "Set prospect status to "+string(status), ActivitySetProspectStatus, in, nil); err != nil {
		return err
	}
	o.markStatus(ctx, status)
	return nil
}

// markStatus records a status in the workflow's state and search attributes.
func (o *onboarding) markStatus(ctx workflow.Context, status Status) {
	now := workflow.Now(ctx)
	o.state.Status = status
	o.state.StatusHistory = append(o.state.StatusHistory, StatusChange{Status: status, At: now})
	err := workflow.UpsertTypedSearchAttributes(ctx,
		OnboardingStatus.ValueSet(string(status)),
		OnboardingStatusChangedAt.ValueSet(now))
	if err != nil {
		o.logger.Warn("Could not update search attributes", "status", status, "error", err)
	}
	o.logger.Info("Status changed", "status", status)
}

func (o *onboarding) sendEmail(ctx workflow.Context, kind EmailKind) error {
	in := Email{RequestID: o.state.RequestID, Kind: kind}
	if err := o.step(ctx, "Send "+string(kind)+" email", ActivitySendEmail, in, nil); err != nil {
		return err
	}
	o.state.EmailsSent = append(o.state.EmailsSent, kind)
	return nil
}
