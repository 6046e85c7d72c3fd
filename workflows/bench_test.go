package workflows

import (
	"log/slog"
	"testing"
	"time"

	"go.temporal.io/sdk/log"
	"go.temporal.io/sdk/testsuite"
)

// BenchmarkWorkflowApproved runs the whole approved path (prospect, lead,
// qualification, customers, hierarchy, two emails) in the test environment
// with fake activities: the workflow code's own cost per request, without
// a server.
func BenchmarkWorkflowApproved(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		env := quietTestEnvironment()
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalLeadQualified, qualified) }, time.Hour)
		env.RegisterDelayedCallback(func() {
			env.SignalWorkflow(SignalOpportunityWon, OpportunityClosed{OpportunityID: "opp-1"})
		}, 2*time.Hour)
		env.ExecuteWorkflow(WorkflowName, testRequest())
		if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
			b.Fatalf("workflow did not complete: %v", env.GetWorkflowError())
		}
		var st State
		if err := env.GetWorkflowResult(&st); err != nil || st.Status != StatusApproved {
			b.Fatalf("status = %s, err = %v; want Approved", st.Status, err)
		}
	}
}

// quietTestEnvironment is newTestRun's environment without its logging, which
// would otherwise dominate what the benchmark measures.
func quietTestEnvironment() *testsuite.TestWorkflowEnvironment {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(log.NewStructuredLogger(slog.New(slog.DiscardHandler)))
	env, _ := newEnvironment(&suite)
	return env
}
