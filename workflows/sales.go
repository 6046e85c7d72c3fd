package workflows

import (
	"fmt"
	"slices"
	"time"

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
		if o.state.Attention != nil {
			o.logger.Info("Retry requested", "operator", v.Operator)
		}
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
	case o.state.Abandonment != nil:
		o.ignore(ctx, SignalLeadQualified, v.OpportunityID, "the request was abandoned")
	case q != nil && q.OpportunityID == v.OpportunityID:
		// A repeat may still fill in IDs that the first delivery lacked.
		q.ContactID = firstNonEmpty(q.ContactID, v.ContactID)
		q.AccountID = firstNonEmpty(q.AccountID, v.AccountID)
		o.state.DuplicateSignals++
	case q != nil:
		o.ignore(ctx, SignalLeadQualified, v.OpportunityID, "the lead was already qualified with another opportunity")
		// The seller may have qualified the lead again: Sales says which
		// opportunity counts now (followQualification).
		o.checkSoon = o.v2 && o.state.Closing == nil
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

// followQualification applies a qualification that Sales shows now: when the
// seller qualified the lead again into another opportunity while the one the
// request knows is undecided, the request follows the new one, and imports
// its customers again if they changed.
func (o *onboarding) followQualification(ctx workflow.Context, v LeadQualified) {
	q := o.state.Qualification
	if q == nil || q.OpportunityID == v.OpportunityID || o.state.Closing != nil || o.state.Abandonment != nil {
		o.onLeadQualified(ctx, v)
		return
	}
	o.logger.Info("Lead qualified again: following the new opportunity", "from", q.OpportunityID, "to", v.OpportunityID)
	o.ignore(ctx, SignalLeadQualified, q.OpportunityID, "the lead was qualified again into opportunity "+v.OpportunityID)
	o.state.Qualification = &v
	o.state.OpportunityID = v.OpportunityID
	if v.ContactID != o.state.ContactID || v.AccountID != o.state.AccountID {
		o.state.PersonCustomerID, o.state.OrganizationCustomerID = "", ""
	}
	// The register learns the new opportunity (and customers) at once.
	o.reimport = o.v3
}

func (o *onboarding) onLeadDisqualified(ctx workflow.Context, v LeadDisqualified) {
	switch {
	case o.state.LeadID != "" && v.LeadID != "" && v.LeadID != o.state.LeadID:
		o.ignore(ctx, SignalLeadDisqualified, v.LeadID, "not this request's lead")
	case o.state.Abandonment != nil:
		o.ignore(ctx, SignalLeadDisqualified, v.LeadID, "the request was abandoned")
	case o.state.Disqualification != nil:
		o.state.DuplicateSignals++
	case o.state.Qualification != nil || o.state.Closing != nil:
		o.ignore(ctx, SignalLeadDisqualified, v.LeadID, "the lead was already qualified")
	default:
		o.state.Disqualification = &v
		o.decidedAt = workflow.Now(ctx)
		o.logger.Info("Lead disqualified", "leadId", v.LeadID)
	}
}

func (o *onboarding) onOpportunityClosed(ctx workflow.Context, v OpportunityClosed, won bool) {
	name := closingSignal(won)
	c := o.state.Closing
	switch {
	case v.OpportunityID == "":
		o.ignore(ctx, name, "", "no opportunity ID")
	case o.state.Abandonment != nil:
		o.ignore(ctx, name, v.OpportunityID, "the request was abandoned")
	case c != nil && c.OpportunityID == v.OpportunityID && c.Won == won:
		o.state.DuplicateSignals++
	case c != nil:
		o.ignore(ctx, name, v.OpportunityID, "the opportunity was already closed as "+wonOrLost(c.Won))
	case o.state.Disqualification != nil:
		o.ignore(ctx, name, v.OpportunityID, "the lead was disqualified")
	case o.state.OpportunityID != "" && v.OpportunityID != o.state.OpportunityID:
		o.ignore(ctx, name, v.OpportunityID, "not this request's opportunity")
		o.checkSoon = o.v2
	default:
		o.state.Closing = &Closing{OpportunityID: v.OpportunityID, Won: won, EventID: v.EventID}
		o.decidedAt = workflow.Now(ctx)
		o.logger.Info("Opportunity closed", "opportunityId", v.OpportunityID, "won", won)
	}
}

// maxIgnoredSignals bounds the ignored decisions a state lists; more are counted.
const maxIgnoredSignals = 20

// ignore records a decision that is not applied, once: the Sales check sees
// the same state on every tick, and a long wait must not grow the state.
func (o *onboarding) ignore(ctx workflow.Context, signal, id, reason string) {
	if slices.ContainsFunc(o.state.IgnoredSignals, func(s IgnoredSignal) bool {
		return s.Signal == signal && s.ID == id && s.Reason == reason
	}) {
		return
	}
	o.logger.Warn("Sales decision ignored", "signal", signal, "id", id, "reason", reason)
	if len(o.state.IgnoredSignals) >= maxIgnoredSignals {
		o.state.MoreIgnoredSignals++
		return
	}
	o.state.IgnoredSignals = append(o.state.IgnoredSignals, IgnoredSignal{
		Signal: signal, ID: id, Reason: reason, At: workflow.Now(ctx),
	})
}

// salesWait is one of the two waits for Sales, with what happens when it
// lasts: a reminder to the sales inbox, and later an operator's attention.
type salesWait struct {
	name     string // for the operator: what is missing
	since    Status // the wait runs from the last change to this status
	reminder EmailKind
}

var (
	leadWait        = salesWait{"no lead decision in Sales", StatusAwaitingQualification, EmailLeadReminder}
	opportunityWait = salesWait{"no opportunity decision in Sales", StatusQualified, EmailOpportunityReminder}
)

// awaitSales waits until decided holds. A webhook can be lost, so on every
// tick of the check interval the workflow asks Sales itself. A wait that
// lasts gets a reminder to the sales inbox, and then an operator.
func (o *onboarding) awaitSales(ctx workflow.Context, w salesWait, decided func() bool) error {
	done := func() bool { return decided() || o.state.Abandonment != nil }
	for !done() {
		fired, err := o.sleep(ctx, w, func() bool { return done() || o.checkSoon })
		if err != nil {
			return err
		}
		if done() {
			break
		}
		if fired || o.checkSoon {
			o.checkSoon = false
			if stuck := o.checkSales(ctx); stuck != "" {
				if err := o.awaitOperator(ctx, "Check Sales for a decision", "SalesStuck", stuck, decided); err != nil {
					return err
				}
				o.checkSoon = true
				continue
			}
		}
		if o.reimport {
			o.reimport = false
			if err := o.importCustomers(ctx); err != nil {
				return err
			}
		}
		if err := o.onLongWait(ctx, w, decided); err != nil {
			return err
		}
		if !done() && o.runIsLong(ctx) {
			return o.continueAsNew(ctx)
		}
	}
	if o.state.Abandonment != nil && !decided() {
		return errAbandoned
	}
	return nil
}

// sleep waits until wake holds or the next Sales check, reminder or
// deadline is due; fired reports the latter. In v3 one timer serves every
// wait: a wait that ends before it fires leaves it for the next.
func (o *onboarding) sleep(ctx workflow.Context, w salesWait, wake func() bool) (fired bool, err error) {
	timeout := o.timing.SalesCheckInterval
	if o.v2 {
		now := workflow.Now(ctx)
		for _, due := range o.deadlines(w) {
			if left := due.Sub(now); left < timeout {
				timeout = max(left, time.Millisecond)
			}
		}
	}
	if !o.v3 {
		ok, err := workflow.AwaitWithOptions(ctx, workflow.AwaitOptions{
			Timeout:      timeout,
			TimerOptions: workflow.TimerOptions{Summary: "Next Sales check"},
		}, wake)
		return err == nil && !ok, err
	}
	if o.checkTimer == nil {
		o.checkTimer = workflow.NewTimerWithOptions(ctx, timeout, workflow.TimerOptions{Summary: "Next Sales check"})
	}
	if err := workflow.Await(ctx, func() bool { return wake() || o.checkTimer.IsReady() }); err != nil {
		return false, err
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	if !o.checkTimer.IsReady() {
		return false, nil
	}
	o.checkTimer = nil
	return true, nil
}

// deadlines are when the wait's reminder (unless sent) and its end are due.
func (o *onboarding) deadlines(w salesWait) []time.Time {
	since := o.waitingSince(w)
	out := []time.Time{since.Add(o.timing.GiveUpAfter)}
	if !o.reminded(w.reminder) {
		out = append(out, since.Add(o.remindAfter(w)))
	}
	return out
}

func (o *onboarding) remindAfter(w salesWait) time.Duration {
	if w.reminder == EmailLeadReminder {
		return o.timing.LeadReminderAfter
	}
	return o.timing.OpportunityReminderAfter
}

// waitingSince is when the request last entered the wait's status: an
// operator's retry after the deadline enters it again.
func (o *onboarding) waitingSince(w salesWait) time.Time {
	for _, c := range slices.Backward(o.state.StatusHistory) {
		if c.Status == w.since {
			return c.At
		}
	}
	return time.Time{}
}

func (o *onboarding) reminded(kind EmailKind) bool {
	return slices.ContainsFunc(o.state.Reminders, func(r ReminderSent) bool { return r.Kind == kind })
}

// onLongWait reminds the sales inbox of a request that waits long, and gives
// it to an operator when it waits too long.
func (o *onboarding) onLongWait(ctx workflow.Context, w salesWait, decided func() bool) error {
	if !o.v2 {
		return nil
	}
	since := o.waitingSince(w)
	now := workflow.Now(ctx)
	if !o.reminded(w.reminder) && !now.Before(since.Add(o.remindAfter(w))) {
		in := func() any {
			return Email{RequestID: o.state.RequestID, Kind: w.reminder, LeadID: o.state.LeadID,
				OpportunityID: o.state.OpportunityID, WaitingSince: since}
		}
		if err := o.step(ctx, smtpCall, "Remind the sales inbox", ActivitySendEmail, in, nil); err != nil {
			return err
		}
		o.state.Reminders = append(o.state.Reminders, ReminderSent{Kind: w.reminder, At: workflow.Now(ctx)})
	}
	if !now.Before(since.Add(o.timing.GiveUpAfter)) {
		reason := fmt.Sprintf("%s after %s", w.name, days(o.timing.GiveUpAfter))
		return o.awaitOperator(ctx, "Wait for Sales", "SalesUndecided", reason, decided)
	}
	return nil
}

// checkSales applies what Sales shows as if a webhook had brought it, and
// returns why the request cannot move on by itself, if Sales shows that. A
// failed check is logged and tried again on the next tick: webhooks still work.
func (o *onboarding) checkSales(ctx workflow.Context) (stuck string) {
	opts := activityOptions(salesCall, "Check Sales for a decision")
	opts.RetryPolicy.MaximumAttempts = 3
	actx := workflow.WithActivityOptions(ctx, opts)
	in := SalesCheckInput{LeadID: o.state.LeadID, OpportunityID: o.state.OpportunityID}
	var check SalesCheck
	if err := workflow.ExecuteActivity(actx, ActivityCheckSales, in).Get(actx, &check); err != nil {
		o.logger.Warn("Sales check failed", "error", err)
		return ""
	}
	if o.v2 && check.Stuck != "" {
		return check.Stuck
	}
	if q := check.LeadQualified; q != nil {
		if o.v2 {
			o.followQualification(ctx, *q)
		} else {
			o.onLeadQualified(ctx, *q)
		}
	}
	if check.LeadDisqualified {
		o.onLeadDisqualified(ctx, LeadDisqualified{LeadID: o.state.LeadID})
	}
	if opp := firstNonEmpty(check.OpportunityID, o.state.OpportunityID); (check.OpportunityWon || check.OpportunityLost) && opp != "" {
		o.onOpportunityClosed(ctx, OpportunityClosed{OpportunityID: opp}, check.OpportunityWon)
	}
	return ""
}

// runIsLong reports that the run's history should start afresh: the server
// suggests it, or (v3) the history reached Timing.EventsPerRun.
func (o *onboarding) runIsLong(ctx workflow.Context) bool {
	info := workflow.GetInfo(ctx)
	return info.GetContinueAsNewSuggested() || o.v3 && info.GetCurrentHistoryLength() >= o.timing.EventsPerRun
}

// continueAsNew starts a fresh history for a request that has waited long,
// carrying its state. Every signal already delivered is taken first, and
// Updates in flight finish, so that nothing is lost in the hand-over.
func (o *onboarding) continueAsNew(ctx workflow.Context) error {
	if err := workflow.Await(ctx, func() bool { return workflow.AllHandlersFinished(ctx) }); err != nil {
		return err
	}
	if err := yield(ctx); err != nil {
		return err
	}
	o.drainSignals(ctx)
	// The next run carries the request's claim: the register holds its data.
	next := o.request.Claim()
	state := o.state
	next.Resume = &state
	o.logger.Info("Continuing as new", "status", o.state.Status)
	return workflow.NewContinueAsNewError(ctx, PartnerOnboarding, next)
}

// yield lets the signal listener run before this coroutine goes on. A signal
// that arrived in this workflow task may already be the listener's, taken
// from its channel but not yet applied: draining the channel cannot see it,
// and a hand-over before the listener ran would lose it.
func yield(ctx workflow.Context) error {
	yielded := false
	return workflow.Await(ctx, func() bool {
		done := yielded
		yielded = true
		return done
	})
}

func (o *onboarding) drainSignals(ctx workflow.Context) {
	for {
		sel := workflow.NewSelector(ctx)
		o.addReceivers(ctx, sel, o.signals)
		if !sel.HasPending() {
			return
		}
		sel.Select(ctx)
	}
}

func days(d time.Duration) string {
	if d >= 24*time.Hour && d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
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
