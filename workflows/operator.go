package workflows

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/metrics"
)

// What operators can do to a request, through the engine: the retry signal
// runs a failed step again; the correct-request Update fixes the request's
// data (and runs the failed step again); the abandon Update ends the request;
// cancelling the workflow ends it too, without an email.

func (o *onboarding) handleOperators(ctx workflow.Context) error {
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateCorrectRequest, o.correctRequest,
		workflow.UpdateHandlerOptions{
			Validator: o.validateCorrection,
			Description: "Fix the requester's or the company's data of a request that has no decision yet. " +
				`Input: {"requester":{"email":"..."},"company":{"name":"..."},"operator":"...","reason":"..."}; ` +
				"empty fields keep their value. A step that needed attention runs again with the corrected data.",
		}); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateCorrectRequest, err)
	}
	if err := workflow.SetUpdateHandlerWithOptions(ctx, UpdateAbandon, o.abandon,
		workflow.UpdateHandlerOptions{
			Validator: o.validateAbandon,
			Description: "End a request that has no decision yet as Rejected (decision Abandoned). " +
				`Input: {"reason":"...","sendDeclineEmail":true,"operator":"..."}.`,
		}); err != nil {
		return fmt.Errorf("register %s update: %w", UpdateAbandon, err)
	}
	return nil
}

// decided reports whether the request has a decision, taken or on its way,
// after which the operators' Updates are refused.
func (o *onboarding) decided() string {
	switch {
	case o.state.Abandonment != nil:
		return "the request was abandoned"
	case o.state.Decision != DecisionNone:
		return "the request was decided: " + string(o.state.Decision)
	case o.state.Disqualification != nil:
		return "the lead was disqualified in Sales"
	case o.state.Closing != nil:
		return "the opportunity was closed as " + wonOrLost(o.state.Closing.Won) + " in Sales"
	}
	return ""
}

// corrected is the request with the correction's fields applied and
// validated, and the names of the fields it changed. A request's claim has
// no data to apply the correction to: then the correction's own fields are
// validated, and the activity applies it to the register's data.
func (o *onboarding) corrected(c Correction) (Request, []string, error) {
	if o.request.IsClaim() {
		if err := ValidateCorrection(c); err != nil {
			return Request{}, nil, err
		}
		return o.request, nil, nil
	}
	return ApplyCorrection(o.request, c)
}

// correctionProbe is a valid request whose every field a correction may
// replace, so that validating a correction applied to it reports the
// correction's own invalid fields only.
var correctionProbe = Request{
	Company:   Company{Name: "Probe", Address: Address{Street: "Probe 1", City: "Probe", PostalCode: "1", CountryCode: "DE"}},
	Requester: Requester{FirstName: "Probe", LastName: "Probe", Email: "probe@probe.example"},
	Locale:    "en",
}

// ValidateCorrection checks the fields a correction gives, with the front
// door's messages, and that it gives at least one.
func ValidateCorrection(c Correction) error {
	if _, given := applyCorrection(Request{}, c); len(given) == 0 {
		return errors.New("the correction changes no field")
	}
	probe, _ := applyCorrection(correctionProbe, c)
	if errs := Validate(&probe); len(errs) > 0 {
		return errors.New("invalid correction: " + FieldErrors(errs))
	}
	return nil
}

// ApplyCorrection is req with the correction's fields applied and
// validated, and the names of the fields it changed.
func ApplyCorrection(req Request, c Correction) (Request, []string, error) {
	req, fields := applyCorrection(req, c)
	if errs := Validate(&req); len(errs) > 0 {
		return Request{}, nil, errors.New("invalid correction: " + FieldErrors(errs))
	}
	if len(fields) == 0 {
		return Request{}, nil, errors.New("the correction changes no field")
	}
	return req, fields, nil
}

// applyCorrection is req with the correction's non-empty fields set, and
// the names of the fields whose value changed.
func applyCorrection(req Request, c Correction) (Request, []string) {
	var fields []string
	set := func(name string, dst *string, v string) {
		if v = strings.TrimSpace(v); v != "" && v != *dst {
			*dst = v
			fields = append(fields, name)
		}
	}
	set("company.name", &req.Company.Name, c.Company.Name)
	set("company.taxId", &req.Company.TaxID, c.Company.TaxID)
	set("company.address.street", &req.Company.Address.Street, c.Company.Address.Street)
	set("company.address.city", &req.Company.Address.City, c.Company.Address.City)
	set("company.address.postalCode", &req.Company.Address.PostalCode, c.Company.Address.PostalCode)
	set("company.address.countryCode", &req.Company.Address.CountryCode, c.Company.Address.CountryCode)
	set("requester.firstName", &req.Requester.FirstName, c.Requester.FirstName)
	set("requester.lastName", &req.Requester.LastName, c.Requester.LastName)
	set("requester.email", &req.Requester.Email, c.Requester.Email)
	set("requester.phone", &req.Requester.Phone, c.Requester.Phone)
	set("requester.jobTitle", &req.Requester.JobTitle, c.Requester.JobTitle)
	set("locale", &req.Locale, c.Locale)
	return req, fields
}

func (o *onboarding) validateCorrection(c Correction) error {
	if why := o.decided(); why != "" {
		return errors.New("cannot correct: " + why)
	}
	if o.running == ActivityCreateLead {
		return errors.New("cannot correct while the lead is being created in Sales; try again in a minute")
	}
	_, _, err := o.corrected(c)
	return err
}

// correctRequest writes the correction to the register and, while the lead
// is open, to the lead in Sales; then the workflow goes on with it.
func (o *onboarding) correctRequest(ctx workflow.Context, c Correction) (State, error) {
	if err := workflow.Await(ctx, func() bool { return !o.correcting }); err != nil {
		return o.state, err
	}
	o.correcting = true
	defer func() { o.correcting = false }()
	req, fields, err := o.corrected(c)
	if err != nil {
		return o.state, err
	}
	in := CorrectRequestInput{Request: req}
	if req.IsClaim() {
		in.Correction = &c
	}
	if o.state.Qualification == nil && o.state.Disqualification == nil {
		in.LeadID = o.state.LeadID
	}
	opts := activityOptions(salesCall, "Correct the request's data")
	opts.RetryPolicy.MaximumAttempts = 5 // the operator waits for the answer
	actx := workflow.WithActivityOptions(ctx, opts)
	var changed []string
	if err := workflow.ExecuteActivity(actx, ActivityCorrectRequest, in).Get(actx, &changed); err != nil {
		return o.state, fmt.Errorf("correction not written: %w", err)
	}
	if in.Correction != nil {
		fields = changed
	}
	o.request = req
	o.state.Corrections = append(o.state.Corrections, Corrected{
		Fields: fields, Operator: c.Operator, Reason: c.Reason, At: workflow.Now(ctx)})
	o.logger.Info("Request corrected", "fields", strings.Join(fields, ","), "operator", c.Operator)
	if o.state.Attention != nil {
		o.retries++
	}
	return o.state, nil
}

func (o *onboarding) validateAbandon(a Abandon) error {
	if strings.TrimSpace(a.Reason) == "" {
		return errors.New("reason is required")
	}
	if why := o.decided(); why != "" {
		return errors.New("cannot abandon: " + why)
	}
	return nil
}

// abandon ends the request at its next step or wait, and answers once it
// is Rejected (or, if the decline email cannot go out, needs attention).
func (o *onboarding) abandon(ctx workflow.Context, a Abandon) (State, error) {
	o.state.Abandonment = &Abandonment{Reason: strings.TrimSpace(a.Reason), Operator: a.Operator,
		SendDeclineEmail: a.SendDeclineEmail, At: workflow.Now(ctx)}
	o.decidedAt = o.state.Abandonment.At
	o.logger.Info("Request abandoned by an operator", "operator", a.Operator, "declineEmail", a.SendDeclineEmail)
	err := workflow.Await(ctx, func() bool {
		return o.state.Status == StatusRejected && (!a.SendDeclineEmail || slices.Contains(o.state.EmailsSent, EmailDecline)) ||
			o.closing && o.state.Attention != nil
	})
	return o.state, err
}

// cancelled ends a request whose workflow was cancelled (from the Web UI or
// the CLI) the way abandon does, without an email, in a context the
// cancellation does not reach.
func (o *onboarding) cancelled(ctx workflow.Context) (State, error) {
	if o.state.Decision != DecisionNone {
		return o.state, temporalCanceled(ctx)
	}
	dctx, _ := workflow.NewDisconnectedContext(ctx)
	if o.state.Abandonment == nil {
		o.state.Abandonment = &Abandonment{Reason: "the workflow was cancelled", At: workflow.Now(dctx)}
	}
	o.state.Abandonment.SendDeclineEmail = false
	o.state.Attention = nil
	if _, err := o.reject(dctx, DecisionAbandoned); err != nil {
		return o.state, err
	}
	return o.state, temporalCanceled(ctx)
}

// temporalCanceled is the error a cancelled workflow ends with.
func temporalCanceled(ctx workflow.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return workflow.ErrCanceled
}

// awaitOperator parks the request in NeedsAttention until an operator sends
// SignalRetry (or corrects the request), or (v3) resolved holds, and then
// restores the status it had. resolved is for a wait on Sales: a decision
// that arrives at last needs nobody. nil waits for the operator only.
func (o *onboarding) awaitOperator(ctx workflow.Context, step, errorType, reason string, resolved func() bool) error {
	o.logger.Error("Step needs attention", "step", step, "errorType", errorType, "error", reason)
	workflow.GetMetricsHandler(ctx).WithTags(map[string]string{"step": step}).Counter(metrics.RequestsNeedingAttention).Inc(1)
	previous := o.state.Status
	o.state.Attention = &Attention{Step: step, Error: reason, Since: workflow.Now(ctx)}
	o.markStatus(ctx, StatusNeedsAttention)
	o.tryProspectStatus(ctx, StatusNeedsAttention)
	workflow.SetCurrentDetails(ctx, fmt.Sprintf(
		"**Needs attention**: %s: %s\n\nFix the cause, then send the `%s` signal; or fix the request's data with the `%s` update, "+
			"or end the request with the `%s` update.", step, reason, SignalRetry, UpdateCorrectRequest, UpdateAbandon))

	seen := o.retries
	if !o.v3 {
		resolved = nil
	}
	decided := func() bool { return resolved != nil && resolved() }
	if err := workflow.Await(ctx, func() bool {
		return o.retries > seen || o.state.Abandonment != nil && !o.closing || decided()
	}); err != nil {
		return err
	}
	o.state.Attention = nil
	switch {
	case o.retries > seen:
		o.logger.Info("Operator retries step", "step", step)
	case o.state.Abandonment != nil:
		return errAbandoned
	default:
		o.logger.Info("Sales decided: the request needs no operator any more", "step", step)
	}
	o.markStatus(ctx, previous)
	o.tryProspectStatus(ctx, previous)
	return nil
}

func orSomeone(operator string) string {
	if operator == "" {
		return "an operator"
	}
	return operator
}
