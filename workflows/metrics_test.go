package workflows

import (
	"testing"
	"time"

	"github.com/uber-go/tally/v4"
	sdktally "go.temporal.io/sdk/contrib/tally"
	"go.temporal.io/sdk/testsuite"

	"github.com/partner-onboarding/onboarding/metrics"
)

// TestWorkflowRecordsTheProductMetrics: an approved and a rejected request
// count their decisions, time submit → lead and decision → email, and a
// step that needs attention is counted.
func TestWorkflowRecordsTheProductMetrics(t *testing.T) {
	scope := tally.NewTestScope("", nil)
	var suite testsuite.WorkflowTestSuite
	suite.SetMetricsHandler(sdktally.NewMetricsHandler(scope))
	env, fake := newEnvironment(&suite)
	r := &testRun{t: t, env: env, fake: fake}
	fake.fail[ActivityCreateLead] = []error{invalidLead()}
	r.signalAt(time.Hour, SignalRetry, Retry{})
	r.signalAt(2*time.Hour, SignalLeadQualified, qualified)
	r.signalAt(3*time.Hour, SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
	req := testRequest()
	req.ReceivedAt = env.Now().Add(-time.Minute)

	r.execute(req)

	snap := scope.Snapshot()
	counter := func(name string, tags map[string]string) int64 {
		for _, c := range snap.Counters() {
			if c.Name() == name && subset(tags, c.Tags()) {
				return c.Value()
			}
		}
		return 0
	}
	timed := func(name string) []time.Duration {
		for _, tm := range snap.Timers() {
			if tm.Name() == name {
				return tm.Values()
			}
		}
		return nil
	}
	if n := counter(metrics.RequestsDecided, map[string]string{"outcome": "approved", "decision": string(DecisionWon)}); n != 1 {
		t.Errorf("%s{approved} = %d, want 1", metrics.RequestsDecided, n)
	}
	if n := counter(metrics.RequestsNeedingAttention, map[string]string{"step": "Create lead in Sales"}); n != 1 {
		t.Errorf("%s = %d, want 1", metrics.RequestsNeedingAttention, n)
	}
	if got := timed(metrics.SubmitToLead); len(got) != 1 || got[0] < time.Hour {
		t.Errorf("%s = %v, want one, over the hour the lead waited for the operator", metrics.SubmitToLead, got)
	}
	if got := timed(metrics.DecisionToEmail); len(got) != 1 {
		t.Errorf("%s = %v, want one", metrics.DecisionToEmail, got)
	}
}

func subset(want, have map[string]string) bool {
	for k, v := range want {
		if have[k] != v {
			return false
		}
	}
	return true
}
