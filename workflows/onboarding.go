// Package workflows holds the partner onboarding process: one durable workflow
// per request, from the sign-up form to an approved business partner with a
// customer hierarchy, or a rejected prospect with a decline email.
package workflows

import (
	"errors"
	"fmt"
	"time"

	"go.temporal.io/sdk/log"

	"github.com/partner-onboarding/onboarding/metrics"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// PartnerOnboarding runs one onboarding request.
func PartnerOnboarding(ctx workflow.Context, req Request) (State, error) {
	o, err := newOnboarding(ctx, req)
	if err != nil {
		return State{}, err
	}
	st, err := o.run(ctx)
	switch {
	case errors.Is(err, errAbandoned):
		st, err = o.reject(ctx, DecisionAbandoned)
	case err != nil && temporal.IsCanceledError(err):
		return o.cancelled(ctx)
	}
	if err == nil {
		// An Update still running answers before the workflow ends.
		err = workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) })
	}
	return st, err
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
	if o.v3 {
		return o.openLeadAtOnce(ctx)
	}
	if err := o.step(ctx, ownDatabase, "Register prospect", ActivityRegisterProspect, o.requestInput, nil); err != nil {
		return err
	}
	if err := o.sendEmail(ctx, EmailReceipt); err != nil {
		return err
	}
	if err := o.createLead(ctx); err != nil {
		return err
	}
	return o.setStatus(ctx, StatusAwaitingQualification)
}

// openLeadAtOnce sends the receipt while the lead is being created: the
// front door registered the prospect, and the lead's step records the lead
// and the status it brings in the register itself.
func (o *onboarding) openLeadAtOnce(ctx workflow.Context) error {
	receipt, sent := workflow.NewFuture(ctx)
	workflow.Go(ctx, func(ctx workflow.Context) { sent.Set(nil, o.sendEmail(ctx, EmailReceipt)) })
	leadErr := o.createLead(ctx)
	if err := receipt.Get(ctx, nil); err != nil {
		return err
	}
	if leadErr != nil {
		return leadErr
	}
	o.markStatus(ctx, StatusAwaitingQualification)
	return nil
}

func (o *onboarding) createLead(ctx workflow.Context) error {
	if err := o.step(ctx, salesCall, "Create lead in Sales", ActivityCreateLead, o.requestInput, &o.state.LeadID); err != nil {
		return err
	}
	if !o.request.ReceivedAt.IsZero() {
		workflow.GetMetricsHandler(ctx).Timer(metrics.SubmitToLead).Record(workflow.Now(ctx).Sub(o.request.ReceivedAt))
	}
	return nil
}

// awaitLeadDecision waits until a seller qualifies or disqualifies the lead.
func (o *onboarding) awaitLeadDecision(ctx workflow.Context) (qualified bool, err error) {
	workflow.SetCurrentDetails(ctx, "Waiting for a seller to qualify or disqualify the lead in Sales.")
	err = o.awaitSales(ctx, leadWait, func() bool {
		return o.state.Qualification != nil || o.state.Disqualification != nil
	})
	return o.state.Qualification != nil, err
}

// importCustomers writes the qualified contact and account to Commerce as
// customers of type Person and Organization.
func (o *onboarding) importCustomers(ctx workflow.Context) error {
	input := func() any {
		q := o.state.Qualification
		return ImportCustomersInput{
			RequestID:     o.state.RequestID,
			OpportunityID: q.OpportunityID,
			ContactID:     q.ContactID,
			AccountID:     q.AccountID,
		}
	}
	var customers Customers
	if err := o.step(ctx, salesCall, "Import contact and account as customers", ActivityImportCustomers, input, &customers); err != nil {
		return err
	}
	o.state.ContactID, o.state.AccountID = customers.ContactID, customers.AccountID
	o.state.PersonCustomerID = customers.PersonCustomerID
	o.state.OrganizationCustomerID = customers.OrganizationCustomerID
	if o.state.Status == StatusQualified {
		return nil // imported again for a new qualification
	}
	if o.v3 {
		o.markStatus(ctx, StatusQualified) // the import wrote it to the register
		return nil
	}
	return o.setStatus(ctx, StatusQualified)
}

// awaitOpportunityDecision waits until the seller closes the opportunity. A
// "won" or "lost" that arrived before the qualification is already here.
func (o *onboarding) awaitOpportunityDecision(ctx workflow.Context) (won bool, err error) {
	workflow.SetCurrentDetails(ctx, "Waiting for the seller to close the opportunity as won or lost in Sales.")
	err = o.awaitSales(ctx, opportunityWait, func() bool { return o.state.Closing != nil })
	return err == nil && o.state.Closing.Won, err
}

// approve makes the prospect a business partner: the customer hierarchy with
// the requester as Admin, the approved status and the welcome email.
func (o *onboarding) approve(ctx workflow.Context) (State, error) {
	o.closing = true
	if o.state.OrganizationCustomerID == "" {
		// The lead was qualified again into another account or contact.
		if err := o.importCustomers(ctx); err != nil {
			return o.state, err
		}
	}
	in := func() any {
		return HierarchyInput{
			RequestID:              o.state.RequestID,
			OrganizationCustomerID: o.state.OrganizationCustomerID,
			PersonCustomerID:       o.state.PersonCustomerID,
		}
	}
	if o.v3 {
		// The hierarchy, the credit limit and the status, as one step.
		if err := o.step(ctx, ownDatabase, "Approve the partner in Commerce", ActivityApprovePartner, in, &o.state.HierarchyID); err != nil {
			return o.state, err
		}
		o.state.Decision = DecisionWon
		o.markStatus(ctx, StatusApproved)
	} else {
		if err := o.step(ctx, ownDatabase, "Create customer hierarchy", ActivityCreateCustomerHierarchy, in, &o.state.HierarchyID); err != nil {
			return o.state, err
		}
		o.state.Decision = DecisionWon
		if err := o.setStatus(ctx, StatusApproved); err != nil {
			return o.state, err
		}
	}
	if err := o.sendEmail(ctx, EmailWelcome); err != nil {
		return o.state, err
	}
	o.countDecision(ctx, "approved", true)
	workflow.SetCurrentDetails(ctx, "Approved: the partner is onboarded.")
	return o.state, nil
}

// reject marks the prospect rejected and tells the requester, unless an
// operator abandoned the request without the decline email.
func (o *onboarding) reject(ctx workflow.Context, decision Decision) (State, error) {
	o.closing = true
	o.state.Decision = decision
	if err := o.setStatus(ctx, StatusRejected); err != nil {
		return o.state, err
	}
	details := "Rejected: " + string(decision) + "."
	if a := o.state.Abandonment; decision == DecisionAbandoned && a != nil {
		details = fmt.Sprintf("Rejected: abandoned by %s: %s.", orSomeone(a.Operator), a.Reason)
		if !a.SendDeclineEmail {
			o.countDecision(ctx, "rejected", false)
			workflow.SetCurrentDetails(ctx, details)
			return o.state, nil
		}
	}
	if err := o.sendEmail(ctx, EmailDecline); err != nil {
		return o.state, err
	}
	o.countDecision(ctx, "rejected", true)
	workflow.SetCurrentDetails(ctx, details)
	return o.state, nil
}

// countDecision counts the request's end and, when its email went out, times the
// way from the seller's decision to the requester's inbox.
func (o *onboarding) countDecision(ctx workflow.Context, outcome string, emailed bool) {
	h := workflow.GetMetricsHandler(ctx)
	h.WithTags(map[string]string{"outcome": outcome, "decision": string(o.state.Decision)}).Counter(metrics.RequestsDecided).Inc(1)
	if emailed && !o.decidedAt.IsZero() {
		h.Timer(metrics.DecisionToEmail).Record(workflow.Now(ctx).Sub(o.decidedAt))
	}
}

// onboarding holds one request's state while the workflow runs.
type onboarding struct {
	request Request
	state   State
	timing  Timing
	// v2 is set for runs started by this version of the workflow; runs
	// recorded before it replay without reminders, stuck checks and
	// prompt re-checks, which add commands.
	v2 bool
	// v3 is set for runs of the cheaper shape: steps that touch only the
	// Commerce database as local activities, a status written by the step
	// that causes it, the receipt beside the lead, one Sales check timer.
	v3      bool
	signals salesSignals
	// retries counts the operator's retry signals and the corrections made
	// while the request needed attention; a waiting step runs again when it grows.
	retries int
	// checkSoon asks for a Sales check without waiting for the next tick.
	checkSoon bool
	// checkTimer is the pending Sales check timer of v3, nil when none runs.
	checkTimer workflow.Future
	// reimport asks for the customers of a qualification the request
	// followed to be imported, which records it in the register too.
	reimport bool
	// closing is set once the request is being decided; steps from then on
	// finish even when an operator abandons the request meanwhile.
	closing bool
	// running names the step whose activity runs, for the Update validators.
	running string
	// correcting is set while a correction is being written.
	correcting bool
	// decidedAt is when the decision that ends the request reached it.
	decidedAt time.Time
	logger    log.Logger
}

// errAbandoned ends the process early: an operator abandoned the request.
var errAbandoned = errors.New("the request was abandoned")

func newOnboarding(ctx workflow.Context, req Request) (*onboarding, error) {
	if req.RequestID == "" {
		return nil, temporal.NewNonRetryableApplicationError("onboarding request: id is required", "InvalidRequest", nil)
	}
	o := &onboarding{
		request: req,
		timing:  req.Timing.withDefaults(),
		logger:  log.With(workflow.GetLogger(ctx), "requestId", req.RequestID),
	}
	// One version marker per run: a run of v3 is a run of v2 too.
	o.v3 = workflow.GetVersion(ctx, "onboarding-v3", workflow.DefaultVersion, 1) == 1
	o.v2 = o.v3 || workflow.GetVersion(ctx, "onboarding-v2", workflow.DefaultVersion, 1) == 1
	o.request.Resume = nil
	if req.Resume != nil {
		o.state = *req.Resume
	} else {
		o.state = State{RequestID: req.RequestID}
		if o.v3 {
			// The start options set the search attributes already.
			o.recordStatus(ctx, StatusReceived)
		} else {
			o.markStatus(ctx, StatusReceived)
		}
	}
	if err := workflow.SetQueryHandlerWithOptions(ctx, QueryState, func() (State, error) { return o.state, nil },
		workflow.QueryHandlerOptions{Description: "The request's whole state: status, Sales IDs, customers, decision, emails, why it needs attention. IDs only, no personal data."}); err != nil {
		return nil, fmt.Errorf("register state query: %w", err)
	}
	if err := o.handleOperators(ctx); err != nil {
		return nil, err
	}
	o.signals = o.listen(ctx)
	return o, nil
}

// requestInput is the request as steps take it: the current one, so that a
// step run again after a correction takes the corrected data.
func (o *onboarding) requestInput() any { return o.request }

// stepKind sizes a step's timeouts to what it calls.
type stepKind int

const (
	// ownDatabase steps touch only the Commerce database: seconds.
	ownDatabase stepKind = iota
	// salesCall steps call Sales, each call bounded by the client's timeout;
	// they heartbeat, so a worker that dies is noticed in seconds.
	salesCall
	// smtpCall steps send an email; they heartbeat too.
	smtpCall
)

// activityOptions are a step's timeouts and retries. Transient failures
// retry without limit; the workflow decides what a permanent one means.
func activityOptions(kind stepKind, summary string) workflow.ActivityOptions {
	opts := workflow.ActivityOptions{
		StartToCloseTimeout: 10 * time.Second,
		RetryPolicy: &temporal.RetryPolicy{
			InitialInterval:    time.Second,
			BackoffCoefficient: 2,
			MaximumInterval:    time.Minute,
		},
		Summary: summary,
	}
	switch kind {
	case salesCall:
		// ImportCustomers makes three Sales calls of up to 30 s each.
		opts.StartToCloseTimeout = 2 * time.Minute
		opts.HeartbeatTimeout = 10 * time.Second
		opts.RetryPolicy.MaximumInterval = 5 * time.Minute
	case smtpCall:
		opts.StartToCloseTimeout = time.Minute
		opts.HeartbeatTimeout = 10 * time.Second
		opts.RetryPolicy.MaximumInterval = 5 * time.Minute
	}
	return opts
}

// step runs one activity with the input that in gives at each attempt.
// Transient failures retry inside the activity without limit. A permanent
// failure sets NeedsAttention and waits for an operator, then runs the step
// again: nothing is lost.
func (o *onboarding) step(ctx workflow.Context, kind stepKind, summary, activity string, in func() any, out any) error {
	for {
		if o.state.Abandonment != nil && !o.closing {
			return errAbandoned
		}
		o.running = activity
		err := o.execute(ctx, kind, summary, activity, in(), out)
		o.running = ""
		var appErr *temporal.ApplicationError
		if err == nil || !errors.As(err, &appErr) || !appErr.NonRetryable() {
			return err
		}
		if err := o.awaitOperator(ctx, summary, appErr.Type(), appErr.Message(), nil); err != nil {
			return err
		}
	}
}

// execute runs one attempt of a step: steps that touch only the Commerce
// database run as local activities in v3, inside the workflow task, with no
// events of their own but a marker.
func (o *onboarding) execute(ctx workflow.Context, kind stepKind, summary, activity string, in, out any) error {
	opts := activityOptions(kind, summary)
	if kind == ownDatabase && o.v3 {
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: opts.StartToCloseTimeout,
			RetryPolicy:         opts.RetryPolicy,
			Summary:             summary,
		})
		return workflow.ExecuteLocalActivity(lctx, activity, in).Get(lctx, out)
	}
	actx := workflow.WithActivityOptions(ctx, opts)
	return workflow.ExecuteActivity(actx, activity, in).Get(actx, out)
}

// tryProspectStatus shows NeedsAttention, and its end, in the prospect
// register too. It tries a few times only: the failing step may be the
// register itself, and the operator's retry must not wait on it.
func (o *onboarding) tryProspectStatus(ctx workflow.Context, status Status) {
	summary := "Set prospect status to " + string(status)
	in := ProspectStatus{RequestID: o.state.RequestID, Status: status}
	if a := o.state.Attention; status == StatusNeedsAttention && a != nil && o.v3 {
		in.AttentionStep = a.Step
	}
	var err error
	if o.v3 {
		opts := activityOptions(ownDatabase, summary)
		lctx := workflow.WithLocalActivityOptions(ctx, workflow.LocalActivityOptions{
			StartToCloseTimeout: opts.StartToCloseTimeout,
			RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
			Summary:             summary,
		})
		err = workflow.ExecuteLocalActivity(lctx, ActivitySetProspectStatus, in).Get(lctx, nil)
	} else {
		opts := activityOptions(ownDatabase, summary)
		opts.RetryPolicy.MaximumAttempts = 3
		actx := workflow.WithActivityOptions(ctx, opts)
		err = workflow.ExecuteActivity(actx, ActivitySetProspectStatus, in).Get(actx, nil)
	}
	if err != nil {
		o.logger.Warn("Prospect register does not show the status", "status", status, "error", err)
	}
}

// setStatus moves the prospect register first, so that whoever sees a status
// in the workflow's state or search attributes finds it in Commerce too.
func (o *onboarding) setStatus(ctx workflow.Context, status Status) error {
	in := func() any {
		return ProspectStatus{RequestID: o.state.RequestID, Status: status, Decision: o.state.Decision}
	}
	if err := o.step(ctx, ownDatabase, "Set prospect status to "+string(status), ActivitySetProspectStatus, in, nil); err != nil {
		return err
	}
	o.markStatus(ctx, status)
	return nil
}

// recordStatus records a status in the workflow's state.
func (o *onboarding) recordStatus(ctx workflow.Context, status Status) time.Time {
	now := workflow.Now(ctx)
	o.state.Status = status
	o.state.StatusHistory = append(o.state.StatusHistory, StatusChange{Status: status, At: now})
	o.logger.Info("Status changed", "status", status)
	return now
}

// markStatus records a status in the workflow's state and search attributes.
func (o *onboarding) markStatus(ctx workflow.Context, status Status) {
	now := o.recordStatus(ctx, status)
	err := workflow.UpsertTypedSearchAttributes(ctx,
		OnboardingStatus.ValueSet(string(status)),
		OnboardingStatusChangedAt.ValueSet(now))
	if err != nil {
		o.logger.Warn("Could not update search attributes", "status", status, "error", err)
	}
}

func (o *onboarding) sendEmail(ctx workflow.Context, kind EmailKind) error {
	in := func() any { return Email{RequestID: o.state.RequestID, Kind: kind} }
	if err := o.step(ctx, smtpCall, "Send "+string(kind)+" email", ActivitySendEmail, in, nil); err != nil {
		return err
	}
	o.state.EmailsSent = append(o.state.EmailsSent, kind)
	return nil
}
