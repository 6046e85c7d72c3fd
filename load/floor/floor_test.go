package floor

import (
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/testsuite"
	"go.temporal.io/sdk/workflow"

	"github.com/partner-onboarding/onboarding/workflows"
)

func TestPhases(t *testing.T) {
	for _, c := range []struct {
		shape workflows.Shape
		want  []Phase
	}{
		{workflows.Shape{Activities: 4, LocalActivities: 1, Signals: 2}, []Phase{{1, 2}, {0, 1}, {0, 1}}},
		{workflows.Shape{Activities: 5, LocalActivities: 2, Signals: 1}, []Phase{{1, 3}, {1, 2}}},
		{workflows.Shape{}, []Phase{{0, 0}}},
	} {
		if got := Phases(c.shape); !slices.Equal(got, c.want) {
			t.Errorf("Phases(%+v) = %v, want %v", c.shape, got, c.want)
		}
	}
}

func TestWorkflowRunsTheShapeAndSaysWhenReady(t *testing.T) {
	var suite testsuite.WorkflowTestSuite
	env := suite.NewTestWorkflowEnvironment()
	f := &Worker{waiters: map[string]chan int{}}
	ready := make(chan int, 4)
	f.waiters["default-test-workflow-id"] = ready
	env.RegisterWorkflowWithOptions(f.workflow, workflow.RegisterOptions{Name: WorkflowName})
	env.RegisterActivityWithOptions(noop, activity.RegisterOptions{Name: ActivityName})
	activities, locals := 0, 0
	env.SetOnActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) { activities++ })
	env.SetOnLocalActivityCompletedListener(func(*activity.Info, converter.EncodedValue, error) { locals++ })
	for i := range 2 {
		env.RegisterDelayedCallback(func() { env.SignalWorkflow(SignalName, i+1) }, time.Duration(i+1)*time.Minute)
	}
	env.ExecuteWorkflow(WorkflowName, workflows.Shape{Activities: 4, LocalActivities: 1, Signals: 2})
	if !env.IsWorkflowCompleted() || env.GetWorkflowError() != nil {
		t.Fatalf("completed %v, error %v", env.IsWorkflowCompleted(), env.GetWorkflowError())
	}
	if activities != 4 || locals != 1 {
		t.Errorf("%d activities and %d local activities, want 4 and 1", activities, locals)
	}
	close(ready)
	var phases []int
	for p := range ready {
		phases = append(phases, p)
	}
	if !slices.Equal(phases, []int{0, 1}) {
		t.Errorf("ready after phases %v, want 0 and 1 (before each signal)", phases)
	}
}
