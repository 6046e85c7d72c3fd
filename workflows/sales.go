package workflows

import (
	"time"

	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/workflow"
)

// Sales decisions arrive as signals from webhooks, at least once and in any
// order, or are found by asking Sales on a timer. The rules, in one place:
//   - a decision seen again changes nothing (counted as a duplicate);
//   - "won" or "lost" before "qualified" is kept until the qualification comes;
//   - the first decision stands: a later contradicting one is recorded in
//     State.IgnoredSignals and logged, never applied.

type salesSignals struct {
	qualified, disqualified, won, lost, retry workflow.ReceiveChannel
}

// listen starts the coroutine that takes every signal as it arrives, so that
// the query shows it even while an activity runs.
func (o *onboarding) listen(ctx workflow.Context) salesSignals {
	s := salesSignals{
		qualified:    workflow.GetSignalChannel(ctx, SignalLeadQualified),
		disqualified: workflow.GetSignalChannel(ctx, SignalLeadDisqualified),
		won:          workflow.GetSignalChannel(ctx, SignalOpportunityWon),
		lost:         workflow.GetSignalChannel(ctx, SignalOpportunityLost),
		retry:        workflow.GetSignalChannel(ctx, SignalRetry),
	}
	workflow.Go(ctx, func(ctx workflow.Context) {
		for {
			sel := workflow.NewSelector(ctx)
			o.addReceivers(ctx, sel, s)
			sel.Select(ctx)
		}
	})
	return s
}

func (o *onboarding) addReceivers(ctx workflow.Context, sel workflow.Selector, s salesSignals) {
	sel.AddReceive(s.qualified, func(c workflow.ReceiveChannel, _ bool) {
		var v LeadQualified
		c.Receive(ctx, &v)
		o.onLeadQualified(ctx, v)
	})
	sel.AddReceive(s.disqualified, func(c workflow.ReceiveChannel, _ bool) {
		var v LeadDisqualified
		c.Receive(ctx, &v)
		o.onLeadDisqualified(ctx, v)
	})
	sel.AddReceive(s.won, func(c workflow.ReceiveChannel, _ bool) {
		var v OpportunityClosed
		c.Receive(ctx, &v)
		o.onOpportunityClosed(ctx, v, true)
	})
	sel.AddReceive(s.lost, func(c workflow.ReceiveChannel, _ bool) {
		var v OpportunityClosed
		c.Receive(ctx, &v)
		o.onOpportunityClosed(ctx, v, false)
	})
	sel.AddReceive(s.retry, func(c workflow.ReceiveChannel, _ bool) {
		var v Retry
		c.Receive(ctx, &v)
		o.retries++
	})
}

func (o *onboarding) onLeadQualified(ctx workflow.Context, v LeadQualified) {
	q := o.state.Qualification
	switch {
	case v.OpportunityID == "":
		o.ignore(ctx, SignalLeadQualified, v.LeadID, "no opportunity ID")
	case o.state.LeadID != "" && v.LeadID != "" && v.LeadID != o.state.LeadID:
		o.ignore(ctx, SignalLeadQualified, v.LeadID, "not this request's lead")
	case q != nil && q.OpportunityID == v.OpportunityID:
		// A repeat may still fill in IDs that the first delivery lacked.
		q.ContactID = firstNonEmpty(q.ContactID, v.ContactID)
		q.AccountID = firstNonEmpty(q.AccountID, v.AccountID)
		o.state.DuplicateSignals++
	case q != nil:
		o.ignore(ctx, SignalLeadQualified, v.OpportunityID, "the lead was already qualified with another opportunity")
	case o.state.Disqualification != nil:
		o.ignore(ctx, SignalLeadQualified, v.OpportunityID, "the lead was already disqualified")
	default:
		o.state.Qualification = &v
		o.state.OpportunityID = v.OpportunityID
		o.logger.Info("Lead qualified", "leadId", v.LeadID, "opportunityId", v.OpportunityID)
		if c := o.state.Closing; c != nil && c.OpportunityID != v.OpportunityID {
			o.state.Closing = nil
			o.ignore(ctx, closingSignal(c.Won), c.OpportunityID, "not the opportunity this lead was qualified into")
		}
	}
}

func (o *onboarding) onLeadDisqualified(ctx workflow.Context, v LeadDisqualified) {
	switch {
	case o.state.LeadID != "" && v.LeadID != "" && v.LeadID != o.state.LeadID:
		o.ignore(ctx, SignalLeadDisqualified, v.LeadID, "not this request's lead")
	case o.state.Disqualification != nil:
		o.state.DuplicateSignals++
	case o.state.Qualification != nil || o.state.Closing != nil:
		o.ignore(ctx, SignalLeadDisqualified, v.LeadID, "the lead was already qualified")
	default:
		o.state.Disqualification = &v
		o.logger.Info("Lead disqualified", "leadId", v.LeadID)
	}
}

func (o *onboarding) onOpportunityClosed(ctx workflow.Context, v OpportunityClosed, won bool) {
	name := closingSignal(won)
	c := o.state.Closing
	switch {
	case v.OpportunityID == "":
		o.ignore(ctx, name, "", "no opportunity ID")
	case c != nil && c.OpportunityID == v.OpportunityID && c.Won == won:
		o.state.DuplicateSignals++
	case c != nil:
		o.ignore(ctx, name, v.OpportunityID, "the opportunity was already closed as "+wonOrLost(c.Won))
	case o.state.Disqualification != nil:
		o.ignore(ctx, name, v.OpportunityID, "the lead was disqualified")
	case o.state.OpportunityID != "" && v.OpportunityID != o.state.OpportunityID:
		o.ignore(ctx, name, v.OpportunityID, "not this request's opportunity")
	default:
		o.state.Closing = &Closing{OpportunityID: v.OpportunityID, Won: won, EventID: v.EventID}
		o.logger.Info("Opportunity closed", "opportunityId", v.OpportunityID, "won", won)
	}
}

func (o *onboarding) ignore(ctx workflow.Context, signal, id, reason string) {
	o.logger.Warn("Sales decision ignored", "signal", signal, "id", id, "reason", reason)
	o.state.IgnoredSignals = append(o.state.IgnoredSignals, IgnoredSignal{
		Signal: signal, ID: id, Reason: reason, At: workflow.Now(ctx),
	})
}

// awaitSales waits until decided holds. A webhook can be lost, so on every
// tick of the check interval the workflow asks Sales itself.
func (o *onboarding) awaitSales(ctx workflow.Context, decided func() bool) error {
	for !decided() {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      o.checkEvery,
			TimerOptions: workflow.TimerOptions{Summary: "Next Sales check"},
		}, decided)
		if err != nil || ok {
			return err
		}
		o.checkSales(ctx)
		if !decided() && workflow.GetInfo(ctx).GetContinueAsNewSuggested() {
			return o.continueAsNew(ctx)
		}
	}
	return nil
}

// checkSales applies what Sales shows as if a webhook had brought it. A
// failed check is logged and tried again on the next tick: webhooks still work.
func (o *onboarding) checkSales(ctx workflow.Context) {
	actx := workflow.WithActivityOptions(ctx, workflow.ActivityOptions{
		StartToCloseTimeout: time.Minute,
		RetryPolicy:         &temporal.RetryPolicy{MaximumAttempts: 3},
		Summary:             "Check Sales for a decision",
	})
	in := SalesCheckInput{LeadID: o.state.LeadID, OpportunityID: o.state.OpportunityID}
	var check SalesCheck
	if err := workflow.ExecuteActivity(actx, ActivityCheckSales, in).Get(actx, &check); err != nil {
		o.logger.Warn("Sales check failed", "error", err)
		return
	}
	if check.LeadQualified != nil {
		o.onLeadQualified(ctx, *check.LeadQualified)
	}
	if check.LeadDisqualified {
		o.onLeadDisqualified(ctx, LeadDisqualified{LeadID: o.state.LeadID})
	}
	if (check.OpportunityWon || check.OpportunityLost) && o.state.OpportunityID != "" {
		o.onOpportunityClosed(ctx, OpportunityClosed{OpportunityID: o.state.OpportunityID}, check.OpportunityWon)
	}
}

// continueAsNew starts a fresh history for a request that has waited long,
// carrying its state and any signal not yet taken.
func (o *onboarding) continueAsNew(ctx workflow.Context) error {
	for {
		sel := workflow.NewSelector(ctx)
		o.addReceivers(ctx, sel, o.signals)
		if !sel.HasPending() {
			break
		}
		sel.Select(ctx)
	}
	next := o.request
	state := o.state
	next.Resume = &state
	o.logger.Info("Continuing as new", "status", o.state.Status)
	return workflow.NewContinueAsNewError(ctx, PartnerOnboarding, next)
}

func closingSignal(won bool) string {
	if won {
		return SignalOpportunityWon
	}
	return SignalOpportunityLost
}

func wonOrLost(won bool) string {
	if won {
		return "won"
	}
	return "lost"
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
