package workflows

import (
	"path/filepath"
	"testing"

	"go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"
)

// TestReplayRecordedHistories replays the histories of every released
// workflow shape, exported from a dev server with `temporal workflow show
// --output json` (the integration test writes them with -update-histories).
// A change to the workflow that breaks one of them needs workflow.GetVersion.
func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 3 {
		t.Fatalf("found %d recorded histories, want at least the approved, disqualified and lost paths", len(files))
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			replayer := worker.NewWorkflowReplayer()
			replayer.RegisterWorkflowWithOptions(PartnerOnboarding, workflow.RegisterOptions{Name: WorkflowName})
			replayer.RegisterWorkflowWithOptions(SalesEventWorkflow, workflow.RegisterOptions{Name: SalesEventWorkflowName})
			replayer.RegisterWorkflowWithOptions(ResendEmailWorkflow, workflow.RegisterOptions{Name: ResendEmailWorkflowName})
			if err := replayer.ReplayWorkflowHistoryFromJSONFile(nil, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
